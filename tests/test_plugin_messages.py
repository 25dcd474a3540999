"""Failure messages an engine author can act on, and reproductions that run outside pytest."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.plugin_run import PY_COURSE, REPO, SQUARE_BODY, TINY, spec_source


def square_spec_expecting(value: str) -> str:
    return spec_source(body=SQUARE_BODY.replace("6.0", value))


# -- the failure message -----------------------------------------------------------------------
def test_failure_message_names_everything(run):
    run.write(square_spec_expecting("-6.0"))
    result = run(f"--engine={TINY}:TinyEngine")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *SpecFailure: spec demo.square_grad failed on tiny (cpu): "
            "x.grad is not close to the expected value",
            "E   *behaviour: for y = x**2 at x = 3 the gradient is 6",
            "E   *expected:  -6.",
            "E   *got:       6. (float32)",
            "E   *error:     |got - expected| = 12 at index (), allowed 0.00061 "
            "(rtol=0.0001, atol=1e-05; float32 table)",
            "E   *hint:      every compared value has the wrong sign",
            f"E   *source:    {PY_COURSE} § Autograd",
            "*- reproduce -*",
            "run(test_square_grad, engine='tests.tiny_engine:TinyEngine', device='cpu')",
        ]
    )


@pytest.mark.parametrize(
    ("expected", "error", "hint"),
    [
        ("-6.0", "= 12 at index ()", "every compared value has the wrong sign"),
        ("3.0", "= 3 at index ()", "got is expected times 2"),
        ("6.01", "= 0.01 at index (), allowed 0.000611", None),
    ],
    ids=["wrong-sign", "factor-two", "slightly-off"],
)
def test_hint_tells_a_wrong_formula_from_a_rounding_difference(run, expected, error, hint):
    run.write(square_spec_expecting(expected))
    result = run(f"--engine={TINY}:TinyEngine")
    result.stdout.fnmatch_lines([f"E   *error:     |got - expected| {error}*"])
    if hint:
        result.stdout.fnmatch_lines([f"E   *hint:      {hint}"])
    else:
        result.stdout.no_fnmatch_line("*hint:*")


@pytest.mark.parametrize(
    ("body", "lines"),
    [
        (
            "expect_shape(engine.tensor([1.0, 2.0]), (3,), what='v')",
            [": shape mismatch in v", "E *expected:  (3,)", "E *got:  *(2,)"],
        ),
        (
            "expect_dtype(engine.tensor(1.0, dtype='float64'), 'float32', what='v')",
            [": dtype mismatch in v", "E *expected:  float32", "E *got:       float64"],
        ),
        (
            "expect_close(engine.tensor([1.0, 2.0]), [1.0, 2.0, 3.0], what='v')",
            [": shape mismatch in v", "E *expected:  shape (3,): ?1., 2., 3.?"],
        ),
        (
            "expect_close(engine.tensor(float('nan')), 1.0, what='v')",
            [": v is not close to the expected value", "E *hint:      got contains NaN"],
        ),
        (
            "expect_close(engine.tensor([1.0, float('nan')]), [1.0, 2.0], what='v')",
            [": v is not close*", "E *error:     |got - expected| = nan at index (1,)*"],
        ),
        (
            "x = engine.tensor(1.0, requires_grad=True)\nexpect_grad(x, 1.0, what='x.grad')",
            [": x.grad is None", "E *hint:      backward() did not deliver a gradient*"],
        ),
        (
            "with expect_raises(what='adding a string'):\n    engine.tensor(1.0) * 1",
            [": expected an error: adding a string", "E *got:       no exception was raised"],
        ),
    ],
    ids=["shape", "dtype", "close-shape", "nan", "nan-beside-good", "no-grad", "no-error"],
)
def test_helper_messages_say_expected_and_got(run, body, lines):
    run.write(spec_source(body=body, requires="set()"))
    result = run(f"--engine={TINY}:TinyEngine")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["E *SpecFailure: spec demo.square_grad failed on tiny (cpu)" + lines[0], *lines[1:]]
    )


def test_engine_error_still_gets_a_reproduction(run):
    run.write(spec_source(requires="set()", body="engine.tensor(1.0)"))
    result = run(f"--engine={TINY}:BrokenTensorEngine")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E *RuntimeError: tensor creation is broken", "*- reproduce -*"])


# -- reproductions -----------------------------------------------------------------------------
# A spec that needs the module around it: a constant, a helper function and a parameter.
NEEDS_ITS_MODULE = "\nSCALE = 2.0\n\n\ndef doubled(x):\n    return (x + x) * SCALE\n" + spec_source(
    "doubled",
    arguments="engine, factor",
    decorators="@pytest.mark.parametrize('factor', [3.0])\n",
    body="x = engine.tensor(1.0, requires_grad=True)\n(doubled(x) * factor).backward()\n"
    "expect_grad(x, 2 * SCALE * factor, what='x.grad')",
)


def reproduction_of_failure(run) -> str:
    run.write(NEEDS_ITS_MODULE)
    result = run(f"--engine={TINY}:BrokenAddBackwardEngine")
    result.assert_outcomes(failed=1)
    (failure,) = result.reprec.getfailures()
    return dict(failure.sections)["reproduce"]


def run_script(path, source: str) -> subprocess.CompletedProcess:
    path.write_text(source)
    return subprocess.run(
        [sys.executable, str(path)],
        capture_output=True,
        text=True,
        cwd=path.parent,  # not the spec's folder: the script must stand alone
        env={**os.environ, "PYTHONPATH": str(REPO)},  # where the tiny engines are importable
        timeout=60,
    )


def test_reproduction_raises_the_same_failure_standalone(run, tmp_path):
    script = reproduction_of_failure(run)
    assert f"engine='{TINY}:BrokenAddBackwardEngine'" in script and "factor=3.0" in script
    ran = run_script(tmp_path / "repro.py", script)
    assert ran.returncode == 1, ran.stderr
    assert (
        "conformance.expect.SpecFailure: spec demo.doubled failed on tinybrokenadd (cpu): "
        "x.grad is not close to the expected value" in ran.stderr
    ), ran.stderr


def test_reproduction_passes_once_the_engine_is_fixed(run, tmp_path):
    script = reproduction_of_failure(run).replace("BrokenAddBackwardEngine", "TinyEngine")
    ran = run_script(tmp_path / "repro.py", script)
    assert ran.returncode == 0, ran.stderr
