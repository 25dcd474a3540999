"""A misbehaving engine never takes the run down: it gets failing specs with messages that say
what happened, the specs that rely on a failing basic spec are blocked, and the run, its verdict
table and its JSON report complete.

The engines are in ``tests/misbehaving_engines.py``; they run against two chapters of the real
catalogue. Runs that hang or crash need a fresh interpreter (``runpytest_subprocess``).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from tests.plugin_run import needs_xdist

REPO = Path(__file__).resolve().parent.parent
CHAPTERS = [str(REPO / "specs" / "test_basics.py"), str(REPO / "specs" / "test_autograd_basics.py")]
ENGINES = "tests.misbehaving_engines"
BASICS = {
    "basics.scalar_roundtrip",
    "basics.tensor_roundtrip",
    "basics.arithmetic",
    "basics.add_backward",
}
# Where a crash costs a worker restart (a second or more), runs select a basic spec and a spec
# that relies on it.
ONE_EACH = "scalar_roundtrip or square_grad"


@pytest.fixture
def run(pytester, monkeypatch):
    """Run the two chapters against a misbehaving engine; returns (result, report dict)."""
    monkeypatch.syspath_prepend(str(REPO))  # tests.misbehaving_engines, in-process
    path = os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(REPO)]))
    monkeypatch.setenv("PYTHONPATH", path)  # the same, for subprocesses and xdist workers

    def runner(engine: str, *args: str, subprocess: bool = False):
        go = pytester.runpytest_subprocess if subprocess else pytester.runpytest_inprocess
        result = go(
            *CHAPTERS,
            f"--engine={ENGINES}:{engine}",
            "--conformance-report=report.json",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "-rs",
            *args,
        )
        report = pytester.path / "report.json"
        return result, json.loads(report.read_text()) if report.exists() else None

    return runner


def by_spec(report: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for result in report["results"]:
        found.setdefault(result["spec"], []).append(result)
    return found


def check_complete(result, report: dict) -> None:
    """Every test pytest ran is in the report, and the verdict table was printed."""
    counts = result.parseoutcomes()
    ran = sum(counts.get(key, 0) for key in ("passed", "failed", "skipped", "error", "errors"))
    assert len(report["results"]) == ran
    result.stdout.fnmatch_lines(["*conformance verdict*"])


def check_basics_fail_and_block_the_rest(report: dict, target: str, blocker: str) -> None:
    specs = by_spec(report)
    assert {r["outcome"] for name in BASICS for r in specs[name]} == {"failed"}
    others = [r for name, results in specs.items() if name not in BASICS for r in results]
    # (specs of capabilities the engine does not declare skip before anything is checked)
    others = [r for r in others if r["claimed"]]
    # A dependant still runs (blocking hides no spec that passes: a dtype check passes on an
    # engine whose shapes are wrong); every one that does not pass reads as blocked.
    blocked = [r for r in others if r["outcome"] != "passed"]
    assert blocked and all(r["outcome"] == "blocked" for r in blocked)
    assert all(f"blocked by basic spec {blocker}" in r["message"] for r in blocked)
    assert report["verdicts"][target]["tensor.core"]["state"] == "fails"


# -- engines that raise or return garbage ------------------------------------------------------
@pytest.mark.parametrize(
    ("engine", "target", "messages"),
    [
        (
            "EveryOpRaisesEngine",
            "everyopraises-cpu",
            ["*EngineFault: tensor() is not working in this engine*"],
        ),
        (
            "StringTensorsEngine",
            "stringtensors-cpu",
            [
                "*could not read a tensor back as NumPy*",
                "*value:     a str: *",
                "*error:     a string is not a tensor*",
            ],
        ),
        (
            "WrongShapesEngine",
            "wrongshapes-cpu",
            ["*shape mismatch in tensor(?1.5, 2.0, -1.0?)*", "*expected:  (3,)*", "*got:*(1, 3)"],
        ),
    ],
    ids=["every-op-raises", "returns-strings", "wrong-shapes"],
)
def test_garbage_fails_the_basics_and_blocks_the_rest(run, engine, target, messages):
    result, report = run(engine)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    check_complete(result, report)
    check_basics_fail_and_block_the_rest(report, target, "basics.scalar_roundtrip")
    result.stdout.fnmatch_lines(messages)


def test_lists_for_tensors_read_back_but_fail_arithmetic(run):
    # A list of numbers reads back as those numbers, so the round trips pass; list + list
    # concatenates, which the arithmetic spec reports as a shape mismatch, not a crash.
    result, report = run("ListTensorsEngine")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    check_complete(result, report)
    specs = by_spec(report)
    assert [r["outcome"] for r in specs["basics.tensor_roundtrip"]] == ["passed"]
    assert [r["outcome"] for r in specs["basics.arithmetic"]] == ["failed"]
    result.stdout.fnmatch_lines(
        ["*shape mismatch in a + b", "*expected:  shape (3,): *", "*got:       shape (6,): *"]
    )
    blocked = [r for rs in specs.values() for r in rs if r["outcome"] == "blocked"]
    assert blocked and all("blocked by basic spec basics." in r["message"] for r in blocked)


# -- engines that hang -------------------------------------------------------------------------
def test_hanging_engine_times_out_and_the_run_goes_on(run):
    result, report = run("HangingEngine", "--spec-timeout=0.5", subprocess=True)
    check_complete(result, report)
    result.stdout.fnmatch_lines(["*Failed: Timeout (>0.5s) from pytest-timeout*"])
    specs = by_spec(report)
    for name in BASICS:
        assert [r["outcome"] for r in specs[name]] == ["failed"]
        assert "Timeout" in specs[name][0]["message"]
    # The first dependant meets the hang while re-checking scalar_roundtrip and times out too;
    # from then on the basic spec is known not to finish, and the rest are blocked at once.
    others = Counter(r["outcome"] for n, rs in specs.items() if n not in BASICS for r in rs)
    assert others["failed"] == 1 and others["blocked"] == sum(others.values()) - 1
    result.stdout.fnmatch_lines(
        ["*blocked by basic spec basics.scalar_roundtrip, which fails on hanging-cpu: did not fin*"]
    )


@needs_xdist
def test_hang_deaf_to_signals_is_stopped_by_the_thread_method_under_isolation(run):
    """pytest-timeout's default signal method cannot stop code that blocks SIGALRM; its thread
    method ends the process instead, which --isolate turns into one failed spec."""
    args = ("--spec-timeout=0.5", "--timeout-method=thread", "--isolate", "-k", ONE_EACH)
    result, report = run("DeafHangingEngine", *args, subprocess=True)
    check_complete(result, report)
    outcomes = {r["spec"]: r["outcome"] for r in report["results"]}
    assert outcomes == {"basics.scalar_roundtrip": "failed", "autograd.square_grad": "blocked"}
    result.stdout.fnmatch_lines(
        [
            "*worker 'gw0' crashed while running*test_scalar_roundtrip*",
            "The worker died * s after the spec started, past the spec timeout of 0.5 s: most "
            "likely a hang.",
        ]
    )


# -- engines that end the interpreter ----------------------------------------------------------
@needs_xdist
def test_crashing_engine_is_isolated_and_its_dependants_blocked(run):
    result, report = run("SegfaultEngine", "--isolate", subprocess=True)
    check_complete(result, report)
    check_basics_fail_and_block_the_rest(report, "segfault-cpu", "basics.scalar_roundtrip")
    result.stdout.fnmatch_lines(
        [
            "*worker 'gw0' crashed while running 'specs/test_basics.py::test_scalar_roundtrip*",
            "The worker died * s after the spec started.",
            "The engine ended the Python interpreter (for example a segmentation fault*",
        ]
    )
    result.stderr.fnmatch_lines(  # faulthandler's stack dump, passed on from the worker
        ["Fatal Python error: Segmentation fault", "*in die", "*in tensor"]
    )


@pytest.mark.parametrize(
    ("engine", "stderr"),
    [
        ("AbortEngine", "Fatal Python error: Aborted"),
        ("ExitEngine", None),  # os._exit leaves no trace but the dead worker
    ],
    ids=["abort", "exit"],
)
@needs_xdist
def test_every_way_of_dying_is_isolated(run, engine, stderr):
    result, report = run(engine, "--isolate", "-k", ONE_EACH, subprocess=True)
    check_complete(result, report)
    target = f"{engine.removesuffix('Engine').lower()}-cpu"
    outcomes = {r["spec"]: r["outcome"] for r in report["results"]}
    assert outcomes == {"basics.scalar_roundtrip": "failed", "autograd.square_grad": "blocked"}
    assert report["verdicts"][target]["tensor.core"]["state"] == "fails"
    result.stdout.fnmatch_lines(
        [
            "*worker 'gw0' crashed while running 'specs/test_basics.py::test_scalar_roundtrip*",
            "The worker died * s after the spec started.",
            "The engine ended the Python interpreter (for example a segmentation fault*",
            f"*blocked by basic spec basics.scalar_roundtrip, which fails on {target}: its worker "
            "process died (pytest-xdist worker gw0)*",
        ]
    )
    if stderr:
        result.stderr.fnmatch_lines([stderr])


@needs_xdist
def test_crash_in_one_function_fails_only_its_specs(run):
    selection = "jacobian_linear or square_grad or chain_rule"
    result, report = run("SegfaultInJacobianEngine", "--isolate", "-k", selection, subprocess=True)
    check_complete(result, report)
    outcomes = {r["spec"]: r["outcome"] for r in report["results"]}
    assert outcomes == {
        "autograd.jacobian_linear": "failed",
        "autograd.square_grad": "passed",
        "autograd.chain_rule": "passed",
    }
    verdicts = report["verdicts"]["segfaultjacobian-cpu"]
    assert verdicts["autograd.jacobian"]["state"] == "fails"
    assert verdicts["autograd.backward"]["state"] == "conforms"


def test_crash_without_isolation_ends_the_run_visibly(run):
    result, report = run("SegfaultEngine", "-k", "scalar_roundtrip", subprocess=True)
    assert result.ret not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
    assert report is None  # nothing pretends the run finished
    result.stderr.fnmatch_lines(["Fatal Python error: Segmentation fault"])


# -- the isolation option's own bad input ------------------------------------------------------
def test_isolate_without_xdist_is_a_usage_error(run):
    result, _ = run("SegfaultEngine", "--isolate", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--isolate needs pytest-xdist: pip install pytest-xdist*"])
