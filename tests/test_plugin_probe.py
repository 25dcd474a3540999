"""--probe-undeclared: the specs of capabilities an engine does not declare run too, never fail
the run, and say whether the engine would pass, deviates, or lacks what the spec needs."""

from __future__ import annotations

import json

import pytest

from tests.plugin_run import TINY, WRONG_SIGN, needs_xdist, spec_source

TINY_ENGINE = f"--engine={TINY}:TinyEngine"

# On the tiny engine, which declares only tensor.core, tensor.ops and autograd.backward:
UNDECLARED = (
    spec_source(  # works, though not declared
        "float64_kept",
        requires="set()",
        extra='about="tensor.float64",',
        body="x = engine.tensor([1.0], dtype='float64')\nexpect_dtype(x, 'float64', what='x')",
    ),
    spec_source(  # the tiny engine sums instead of refusing: a deviation
        "nonscalar_refused",
        requires='{"autograd.backward"}',
        extra='about="autograd.scalar_backward",',
        body="x = engine.tensor([1.0, 2.0], requires_grad=True)\n"
        "with expect_raises(what='backward() of a 2-element output'):\n"
        "    (x * 2).backward()",
    ),
    spec_source(  # the Engine base's NotImplementedError: absent
        "sgd_step",
        requires='{"optim.sgd"}',
        body="x = engine.tensor(1.0, requires_grad=True)\nengine.sgd([x], lr=0.1)",
    ),
    spec_source(  # a tensor member the engine lacks: absent
        "retain",
        requires='{"autograd.backward"}',
        extra='about="autograd.retain_grad",',
        body="y = engine.tensor(1.0, requires_grad=True) * 2\ny.retain_grad()",
    ),
    spec_source(  # the control step needs a member the engine lacks: absent, not a deviation
        "inplace_refused",
        requires='{"autograd.backward"}',
        extra='about="autograd.inplace_checks",',
        body="w = engine.tensor(1.0, requires_grad=True)\n"
        "with expect_raises(what='w.sub_(0.5) on a leaf', control=lambda: (w * 1).sub_(0.5)):\n"
        "    w.sub_(0.5)",
    ),
)
DECLARED_FAILING = WRONG_SIGN


def test_without_the_option_undeclared_specs_skip(run):
    run.write(*UNDECLARED)
    result = run(TINY_ENGINE, "--conformance-report=out.json")
    result.assert_outcomes(skipped=5)
    data = json.loads((run.pytester.path / "out.json").read_text())
    assert {r["outcome"] for r in data["results"]} == {"skipped"}
    assert {v["state"] for v in data["verdicts"]["tiny-cpu"].values()} == {"not-claimed"}


def test_probed_specs_run_and_never_fail_the_run(run):
    run.write(*UNDECLARED)
    result = run(TINY_ENGINE, "--probe-undeclared", "--conformance-report=out.json", "-rx")
    result.assert_outcomes(passed=1, xfailed=4)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "XFAIL *test_nonscalar_refused* - not claimed: deviates: spec demo.nonscalar_refused"
            " failed on tiny (cpu): expected an error: backward() of a 2-element output",
            "XFAIL *test_retain* - not claimed: absent: spec demo.retain failed on tiny (cpu):"
            " the engine raised AttributeError*",
        ],
        consecutive=False,
    )
    data = json.loads((run.pytester.path / "out.json").read_text())
    assert data["options"]["probe_undeclared"] is True
    records = {r["spec"]: r for r in data["results"]}
    assert {name: r["outcome"] for name, r in records.items()} == {
        "demo.float64_kept": "passed",
        "demo.nonscalar_refused": "failed",
        "demo.sgd_step": "absent",
        "demo.retain": "absent",
        "demo.inplace_refused": "absent",
    }
    assert {r["claimed"] for r in records.values()} == {False}
    assert "no exception was raised" in records["demo.nonscalar_refused"]["message"]
    assert "engine.sgd" in records["demo.sgd_step"]["message"]
    states = {name: v["state"] for name, v in data["verdicts"]["tiny-cpu"].items()}
    assert states == {
        "tensor.float64": "would-pass",
        "autograd.scalar_backward": "deviates",
        "optim.sgd": "absent",
        "autograd.retain_grad": "absent",
        "autograd.inplace_checks": "absent",
    }
    assert not any(v["claimed"] for v in data["verdicts"]["tiny-cpu"].values())
    result.stdout.fnmatch_lines(
        [
            "tiny-cpu (tiny 0.0.1)",
            "  not claimed * pass  fail  block  skip  xfail  absent  verdict",
            "  autograd.inplace_checks  *0     0      0     0      0       1  absent",
            "  autograd.retain_grad  *0     0      0     0      0       1  absent",
            "  autograd.scalar_backward  *0     1      0     0      0       0  deviates (1 spec)",
            "  optim.sgd *0     0      0     0      0       1  absent",
            "  tensor.float64 *1     0      0     0      0       0  would pass",
        ]
    )


def test_declared_failures_still_fail_a_probing_run(run):
    run.write(DECLARED_FAILING, *UNDECLARED[:1])
    result = run(TINY_ENGINE, "--probe-undeclared")
    result.assert_outcomes(failed=1, passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_spec_needing_an_undeclared_prerequisite_is_not_probed(run):
    # about a declared capability, but needing an undeclared one: not probed (it would show the
    # missing prerequisite, not the capability), counted as skipped in its claimed verdict
    body = "x = engine.tensor([1.0], dtype='float64')\nexpect_close(x.sum(), 2.0, what='sum')"
    run.write(
        spec_source("sum64", requires='{"tensor.float64"}', extra='about="tensor.ops",', body=body)
    )
    result = run(TINY_ENGINE, "--probe-undeclared", "--conformance-report=out.json", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*not probed: it also needs undeclared tensor.float64*"])
    data = json.loads((run.pytester.path / "out.json").read_text())
    (record,) = data["results"]
    assert (record["outcome"], record["claimed"]) == ("skipped", False)
    ops = data["verdicts"]["tiny-cpu"]["tensor.ops"]
    assert (ops["state"], ops["claimed"], ops["skipped"], ops["failed"]) == ("skipped", True, 1, 0)


@needs_xdist
def test_probing_under_xdist(run):
    run.write(*UNDECLARED)
    result = run(
        TINY_ENGINE,
        "--probe-undeclared",
        "--conformance-report=out.json",
        "-n",
        "2",
        subprocess=True,
    )
    result.assert_outcomes(passed=1, xfailed=4)
    data = json.loads((run.pytester.path / "out.json").read_text())
    outcomes = sorted(r["outcome"] for r in data["results"])
    assert outcomes == ["absent", "absent", "absent", "failed", "passed"]
