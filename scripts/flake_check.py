"""Run the spec suite many times in random order and report specs whose outcome changes.

Each run shuffles the specs with pytest-randomly under a different seed (which also reseeds
Python's, NumPy's and the engine's global generators through pytest-randomly), writes a
``--conformance-report`` JSON file, and the outcomes per spec are compared across runs. A spec
that passes in one run and fails in another is a flake: it depends on the order, on a seed it
does not fix itself, or on luck in a statistical check. The seeds that gave each outcome are
printed, so any run can be repeated exactly.

    python scripts/flake_check.py                        # 50 runs on the reference engine
    python scripts/flake_check.py --engine=torch --runs=5 --jobs=2 -- -k autograd

Arguments after ``--`` go to pytest. Exit status: 0 no flakes, 1 flakes, 2 a run produced no
report (pytest crashed or was given bad arguments).
"""

import argparse
import json
import random
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

SPECS = Path(__file__).resolve().parent.parent / "specs"


@dataclass
class RunResult:
    seed: int
    outcomes: dict[str, str] = field(default_factory=dict)  # spec[case]@target -> outcome
    messages: dict[str, str] = field(default_factory=dict)  # the same -> message if not passed
    problem: str = ""  # why the run gave no report
    seconds: float = 0.0


def pytest_command(engine: str, seed: int, report: Path, specs: str, extra: list[str]) -> list:
    return [
        sys.executable,
        "-m",
        "pytest",
        specs,
        f"--engine={engine}",
        "-p",
        "randomly",
        "-p",
        "no:cacheprovider",
        f"--randomly-seed={seed}",
        f"--conformance-report={report}",
        "-q",
        "--no-header",
        *extra,
    ]


def run_once(engine: str, seed: int, specs: str, extra: list[str], folder: Path) -> RunResult:
    report = folder / f"report-{seed}.json"
    started = time.monotonic()
    done = subprocess.run(
        pytest_command(engine, seed, report, specs, extra), capture_output=True, text=True
    )
    result = RunResult(seed, seconds=time.monotonic() - started)
    if not report.exists():
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        result.problem = f"exit code {done.returncode}, no report: " + " | ".join(tail)
        return result
    for record in json.loads(report.read_text())["results"]:
        name = record["spec"] + (f"[{record['case']}]" if record["case"] else "")
        name += f"@{record['target']}"
        result.outcomes[name] = record["outcome"]
        if record["outcome"] != "passed":
            result.messages[name] = record["message"]
    return result


def find_flakes(runs: list[RunResult]) -> dict[str, dict[str, list[int]]]:
    """spec[case]@target -> outcome -> seeds, for the specs whose outcome was not the same in
    every run (a spec missing from a run that produced a report counts as "missing")."""
    complete = [run for run in runs if not run.problem]
    tests = {test for run in complete for test in run.outcomes}
    flakes = {}
    for test in sorted(tests):
        seeds_by_outcome: dict[str, list[int]] = defaultdict(list)
        for run in complete:
            seeds_by_outcome[run.outcomes.get(test, "missing")].append(run.seed)
        if len(seeds_by_outcome) > 1:
            flakes[test] = dict(seeds_by_outcome)
    return flakes


def first_line(message: str) -> str:
    """The line of a failure message that says what went wrong: a spec failure's headline, or
    the first of pytest's 'E' lines of a traceback."""
    errors = [line[1:].strip() for line in message.splitlines() if line.startswith("E ")]
    lines = errors or message.strip().splitlines()[:1] or [""]
    return lines[0][:200]


def describe(flakes, runs: list[RunResult], engine: str, specs: str, extra: list[str]) -> list:
    by_seed = {run.seed: run for run in runs}
    lines = []
    for test, seeds_by_outcome in flakes.items():
        counts = ", ".join(f"{outcome} in {len(s)}" for outcome, s in seeds_by_outcome.items())
        lines.append(f"FLAKY {test}: {counts}")
        for outcome, seeds in seeds_by_outcome.items():
            shown = ", ".join(map(str, seeds[:5])) + (" ..." if len(seeds) > 5 else "")
            lines.append(f"  {outcome}: seeds {shown}")
            if outcome != "passed" and outcome != "missing":
                lines.append(f"    {first_line(by_seed[seeds[0]].messages.get(test, ''))}")
        odd = [seeds for outcome, seeds in seeds_by_outcome.items() if outcome != "passed"]
        rerun = shlex.join([specs, f"--engine={engine}", "-p", "randomly", *extra])
        lines.append(f"  repeat the whole run: pytest {rerun} --randomly-seed={odd[0][0]}")
    return lines


def summary(run: RunResult) -> str:
    counts = Counter(run.outcomes.values())
    found = run.problem or ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
    return f"seed {run.seed}: {found} ({run.seconds:.1f} s)"


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        allow_abbrev=False,
        epilog="pytest arguments may follow '--', e.g. -- -k autograd -n 2",
    )
    parser.add_argument("--engine", default="reference", help="--engine value (reference)")
    parser.add_argument("--runs", type=int, default=50, help="number of runs (50)")
    parser.add_argument("--jobs", type=int, default=1, help="runs at the same time (1)")
    parser.add_argument(
        "--seed", type=int, help="first seed; runs use seed, seed+1, ... (default: random, printed)"
    )
    parser.add_argument("--specs", default=str(SPECS), help="spec folder or file (specs/)")
    args, extra = parser.parse_known_args(argv)
    extra = [a for a in extra if a != "--"]
    if args.runs < 2 or args.jobs < 1:
        parser.error("--runs must be at least 2 and --jobs at least 1")
    return args, extra


def main(argv: list[str] | None = None) -> int:
    args, extra = parse(sys.argv[1:] if argv is None else argv)
    first = args.seed if args.seed is not None else random.SystemRandom().randrange(10**9)
    seeds = [first + i for i in range(args.runs)]
    print(
        f"flake check: {args.runs} runs of {args.specs} on engine {args.engine!r}, "
        f"seeds {seeds[0]}..{seeds[-1]}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="flake-check-") as folder:
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            jobs = [
                pool.submit(run_once, args.engine, s, args.specs, extra, Path(folder))
                for s in seeds
            ]
            runs = []
            for number, job in enumerate(jobs, 1):
                runs.append(job.result())
                print(f"run {number}/{args.runs} {summary(runs[-1])}", flush=True)
    broken = [run for run in runs if run.problem]
    flakes = find_flakes(runs)
    tests = {test for run in runs for test in run.outcomes}
    print()
    for line in describe(flakes, runs, args.engine, args.specs, extra):
        print(line)
    print(
        f"{len(flakes)} flaky of {len(tests)} specs over {len(runs) - len(broken)} complete runs"
        + (
            f"; {len(broken)} runs gave no report (seeds {', '.join(str(r.seed) for r in broken)})"
            if broken
            else ""
        )
    )
    return 2 if broken else 1 if flakes else 0


if __name__ == "__main__":
    sys.exit(main())
