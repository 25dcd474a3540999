"""Mutation score of the catalogue on the reference engine, by cosmic-ray.

The hand-written mutants (tests/mutants.py) were chosen with the specs in view; this asks a tool
to plant every small change it knows (an operator swapped, a number changed, a comparison
flipped, a condition negated, ...) in the reference engine's gradient functions, its stateful
rules, its losses and its optimisers, and counts how many of those changed engines the catalogue
rejects. See docs/mutation.md for the scope, the last measured score and each survivor.

cosmic-ray mutates a file in place, runs a test command, and restores the file. That fits this
repository's layout: ``conformance.reference_impl`` is installed from ``reference_impl/`` by a
``package-dir`` mapping, so only an editable install (``pip install -e .``) imports the mutated
file. (mutmut 3 copies the sources into ``mutants/`` and puts that folder first on ``sys.path``,
which the editable mapping of ``conformance.reference_impl`` bypasses, by its design; it was
not run here.) The script refuses to
run when the engine is imported from anywhere else, since every mutant would then survive.

Per-mutant test selection: each scope names the functions it mutates (every other mutation in
the file is marked skipped) and the spec chapters that exercise them; a mutant runs those
chapters only, stopping at the first failure (``-x``). Usage::

    python scripts/mutation_score.py                     # every scope (about an hour on 2 cores)
    python scripts/mutation_score.py --scope optimisers  # one scope
    python scripts/mutation_score.py --list              # scopes and their mutation counts only

Run it with nothing else using this checkout: the files under ``reference_impl/`` are mutated
while it runs (each is checked unchanged at the end, and restored if it is not).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation"


@dataclass(frozen=True)
class Scope:
    name: str
    module: str  # a file under reference_impl/
    functions: tuple[str, ...]  # qualified names ("Adam.update"); empty: the whole file
    specs: tuple[str, ...]  # the spec chapters that exercise them
    timeout: float = 60.0  # seconds per mutant; an infinite loop is killed (and counts as killed)
    # only the gradient code inside those functions: the lambdas and nested functions that the
    # ops hand to ``record`` as their backward
    gradients_only: bool = False


PROPERTY_GRADIENTS = "specs/test_properties_gradients.py"
SCOPES = (
    Scope(
        "optimisers",
        "reference_impl/optim.py",
        (),
        ("specs/test_optimisation.py", "specs/test_regularisation.py"),
    ),
    Scope(
        "losses",
        "reference_impl/functional.py",
        (
            "_reduce",
            "mse_loss",
            "nll_loss",
            "cross_entropy",
            "log_softmax",
            "softmax",
            "binary_cross_entropy",
            "binary_cross_entropy_with_logits",
        ),
        ("specs/test_losses.py", PROPERTY_GRADIENTS),
    ),
    Scope(
        "gradients",
        "reference_impl/ops.py",
        (),
        # the losses chapter too: softmax's and log-softmax's gradients are checked there
        (
            "specs/test_basics.py",
            "specs/test_autograd_basics.py",
            "specs/test_losses.py",
            PROPERTY_GRADIENTS,
        ),
        gradients_only=True,
    ),
    Scope(
        "stateful",
        "reference_impl/core.py",
        (
            "no_grad.__enter__",
            "no_grad.__exit__",
            "no_grad.__call__",
            "Node.apply",
            "Node.free",
            "Tensor.requires_grad_",
            "Tensor.retain_grad",
            "Tensor.grad",
            "Tensor.backward",
            "run_backward",
            "accumulate",
        ),
        (
            "specs/test_basics.py",
            "specs/test_graph_lifetime.py",
            "specs/test_autograd_basics.py",
            "specs/test_tensors.py",
            "specs/test_properties_stateful.py",
            # run_backward's order of nodes: exact_near_kinks' graphs are the ones that show it
            PROPERTY_GRADIENTS,
        ),
    ),
    Scope(
        "recording",
        "reference_impl/function.py",
        ("record",),
        ("specs/test_basics.py", "specs/test_autograd_basics.py", "specs/test_graph_lifetime.py"),
    ),
)


def line_ranges(path: Path, names: tuple[str, ...]) -> list[tuple[int, int]]:
    """The (first, last) line of each named function or method (every property accessor of a
    name included), from the module's syntax tree."""
    tree = ast.parse(path.read_text())
    found: dict[str, list[tuple[int, int]]] = {}

    def visit(body, prefix=""):
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found.setdefault(prefix + node.name, []).append((node.lineno, node.end_lineno))

    visit(tree.body)
    missing = [n for n in names if n not in found]
    if missing:
        raise SystemExit(f"{path}: no function named {missing}")
    return [r for n in names for r in found[n]]


def gradient_ranges(path: Path) -> list[tuple[int, int]]:
    """The lines of every lambda and nested function inside the module's functions."""
    ranges = []
    for top in ast.parse(path.read_text()).body:
        if not isinstance(top, ast.FunctionDef):
            continue
        for node in ast.walk(top):
            if node is not top and isinstance(node, ast.Lambda | ast.FunctionDef):
                ranges.append((node.lineno, node.end_lineno))
    return ranges


def test_command(scope: Scope) -> str:
    return shlex.join(
        [
            sys.executable,
            "-m",
            "pytest",
            "-x",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "--hypothesis-profile=ci",
            "--engine=reference",
            *scope.specs,
        ]
    )


def write_config(scope: Scope) -> Path:
    config = WORK / f"{scope.name}.toml"
    config.write_text(
        "[cosmic-ray]\n"
        f"module-path = {json.dumps(scope.module)}\n"
        f"timeout = {scope.timeout}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(test_command(scope))}\n\n"
        "[cosmic-ray.distributor]\n"
        'name = "local"\n'
    )
    return config


def cosmic_ray(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "cosmic_ray.cli", *args], cwd=ROOT, check=True)


# Replacing an arithmetic operator by a bitwise one, a shift, // or % on floating-point arrays
# raises TypeError or gives an obviously wrong formula: every such mutant dies in the first spec
# that runs, so they cost time and measure nothing. The arithmetic swaps (+ - * / **) stay.
EXCLUDED_OPERATORS = re.compile(
    r"core/ReplaceBinaryOperator_\w+_(RShift|LShift|BitOr|BitAnd|BitXor|FloorDiv|Mod)$"
)


def skip_outside(scope: Scope, session: Path) -> None:
    """Mark as skipped every mutation outside the scope's functions or by an excluded
    operator."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    module = ROOT / scope.module
    ranges = line_ranges(module, scope.functions) if scope.functions else [(1, 10**9)]
    if scope.gradients_only:
        ranges = [r for r in gradient_ranges(module) if any(a <= r[0] <= b for a, b in ranges)]
    skipped = WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output="outside the scope")
    with use_db(str(session), WorkDB.Mode.open) as db:
        outside = [
            item.job_id
            for item in db.work_items
            if not all(
                any(first <= m.start_pos[0] <= last for first, last in ranges)
                and not EXCLUDED_OPERATORS.match(m.operator_name)
                for m in item.mutations
            )
        ]
        db.set_multiple_results(outside, skipped)


def results(session: Path) -> dict:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    counts = {"killed": 0, "survived": 0, "incompetent": 0, "skipped": 0, "pending": 0}
    survivors = []
    with use_db(str(session), WorkDB.Mode.open) as db:
        done = {job_id: result for job_id, result in db.results}
        for item in db.work_items:
            result = done.get(item.job_id)
            if result is None:
                counts["pending"] += 1
            elif result.worker_outcome == WorkerOutcome.SKIPPED:
                counts["skipped"] += 1
            elif result.test_outcome == TestOutcome.SURVIVED:
                counts["survived"] += 1
                mutation = item.mutations[0]
                survivors.append(
                    {
                        "job": item.job_id,
                        "where": f"{mutation.module_path}:{mutation.start_pos[0]}",
                        "operator": mutation.operator_name,
                        "occurrence": mutation.occurrence,
                        "diff": result.diff,
                    }
                )
            elif result.test_outcome == TestOutcome.KILLED:
                counts["killed"] += 1
            else:
                counts["incompetent"] += 1
    judged = counts["killed"] + counts["survived"]
    counts["score"] = round(counts["killed"] / judged, 4) if judged else None
    return {"counts": counts, "survivors": survivors}


def check_editable_install() -> None:
    import conformance.reference_impl as engine

    where = Path(engine.__file__).resolve().parent
    if where != ROOT / "reference_impl":
        raise SystemExit(
            f"conformance.reference_impl is imported from {where}, not from {ROOT}/reference_impl:"
            " mutations would never reach the engine. Install this checkout with pip install -e ."
        )


def run_scope(scope: Scope, list_only: bool) -> dict:
    WORK.mkdir(exist_ok=True)
    config, session = write_config(scope), WORK / f"{scope.name}.sqlite"
    module = ROOT / scope.module
    before = hashlib.sha256(module.read_bytes()).hexdigest()
    original = module.read_bytes()
    cosmic_ray("init", "--force", str(config), str(session))
    skip_outside(scope, session)
    if not list_only:
        cosmic_ray("baseline", str(config))  # the unmutated engine must pass the chapters
        try:
            cosmic_ray("exec", str(config), str(session))
        finally:
            if hashlib.sha256(module.read_bytes()).hexdigest() != before:
                module.write_bytes(original)
                print(f"restored {scope.module}, which was left mutated", file=sys.stderr)
    return results(session)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scope", action="append", choices=[s.name for s in SCOPES])
    parser.add_argument("--list", action="store_true", help="count the mutations, run nothing")
    parser.add_argument("--report", type=Path, help="write the counts and survivors as JSON")
    args = parser.parse_args(argv)
    check_editable_install()
    chosen = [s for s in SCOPES if not args.scope or s.name in args.scope]
    report = {}
    for scope in chosen:
        report[scope.name] = run_scope(scope, args.list)
        counts = report[scope.name]["counts"]
        print(f"{scope.name}: {counts}")
        for survivor in report[scope.name]["survivors"]:
            print(f"  survived: {survivor['where']} {survivor['operator']}")
    if args.report:
        args.report.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
