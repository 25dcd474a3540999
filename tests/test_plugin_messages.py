"""Failure messages an engine author can act on, and reproductions that run outside pytest."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.plugin_run import HEADER, REPO, SQUARE_BODY, TINY, spec_source


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
            "E   *source:    Training Neural Networks § Autograd",
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
    result.stdout.fnmatch_lines(["*RuntimeError: tensor creation is broken*", "*- reproduce -*"])


# -- an error the engine raises is a spec failure with the spec's header ------------------------
# Where a two-line spec body's second line lands in the written file: the header's lines, then
# spec_source's blank lines, decorator and signature (11 lines).
SECOND_BODY_LINE = f"test_demo.py:{HEADER.count(chr(10)) + 11}"
ENGINE_ERROR = spec_source(
    requires="set()",
    body="x = engine.tensor(1.0)\nengine.tensor(2.0)",
    extra='note="a note for the reader",',
)


def test_engine_error_has_the_spec_header_and_the_engine_frame(run):
    run.write(ENGINE_ERROR)
    result = run(f"--engine={TINY}:BrokenTensorEngine", "--conformance-report=out.json")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "spec demo.square_grad failed on tinybrokentensor (cpu): the engine raised "
            f"RuntimeError: tensor creation is broken at {SECOND_BODY_LINE}",
            "  behaviour: for y = x**2 at x = 3 the gradient is 6",
            "  in engine: */tests/tiny_engine.py:* in tensor: "
            'raise RuntimeError("tensor creation is broken")',
            "  source:    Training Neural Networks § Autograd",
            "  note:      a note for the reader",
            "  (the full traceback: run with -v)",
            "*- reproduce -*",
        ]
    )
    result.stdout.no_fnmatch_line("*def tensor(self, data, **options):*")  # no traceback
    (record,) = json.loads((run.pytester.path / "out.json").read_text())["results"]
    assert record["message"].startswith(
        "spec demo.square_grad failed on tinybrokentensor (cpu): the engine raised RuntimeError"
    )


def test_verbose_adds_the_full_traceback(run):
    run.write(ENGINE_ERROR)
    result = run(f"--engine={TINY}:BrokenTensorEngine", "-v")
    result.stdout.fnmatch_lines(
        [
            "spec demo.square_grad failed on tinybrokentensor (cpu): the engine raised *",
            "*def tensor(self, data, **options):*",
            "E       RuntimeError: tensor creation is broken",
        ]
    )


def test_absent_method_under_a_declared_capability_says_so(run):
    body = "x = engine.tensor(1.0, requires_grad=True)\nengine.sgd([x], lr=0.1)"
    run.write(spec_source(requires='{"optim.sgd"}', body=body))
    result = run(f"--engine={TINY}:SgdDeclaredEngine")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "spec demo.square_grad failed on tinysgd (cpu): the engine raised "
            f"NotImplementedError at {SECOND_BODY_LINE}",  # (an empty message is left out)
            "  absent:    the adapter declares optim.sgd but does not implement engine.sgd",
        ]
    )


def test_missing_member_under_a_declared_capability_says_so(run):
    run.write(spec_source(body="x = engine.tensor(1.0, requires_grad=True)\nx.retain_grad()"))
    result = run(f"--engine={TINY}:TinyEngine")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the engine raised AttributeError: 'TinyTensor' object has no attribute "
            f"'retain_grad' at {SECOND_BODY_LINE}",
            "  absent:    the adapter declares autograd.backward but its objects have no "
            "member 'retain_grad' (the contract's tensor.retain_grad, under autograd.retain_grad)",
        ]
    )


WRONG_RESULTS = {
    "string": (
        "expect_close('1.0', 1.0, what='v')",
        ["could not read a tensor back as NumPy", "*value:     a str: '1.0'", "*a string is not*"],
    ),
    "ragged-list": (
        "expect_shape([[1.0], [1.0, 2.0]], (2,), what='v')",
        ["could not read a tensor back as NumPy", "*value:     a list of length 2: *"],
    ),
    "not-convertible": (
        "expect_close(object(), 1.0, what='v')",
        ["could not read a tensor back as NumPy", "*value:     a object: <object object at*"],
    ),
    "list-of-nodes": (
        "expect_shape([object(), object()], (2,), what='v')",
        ["expected a tensor of numbers", "*got:       a list of length 2: [[]<object*"],
    ),
    "element-wise-equality": (
        "expect_equal(engine.tensor([1.0, 2.0]).data, [1.0, 3.0], what='v')",
        ["v differs", "*differ:    1 of 2 entries differ; at 1: expected *3*, got *2*"],
    ),
}


@pytest.mark.parametrize(("body", "lines"), WRONG_RESULTS.values(), ids=WRONG_RESULTS.keys())
def test_helpers_report_an_unexpected_result_instead_of_crashing(run, body, lines):
    run.write(spec_source(requires="set()", body=body))
    result = run(f"--engine={TINY}:TinyEngine")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["E *SpecFailure: spec demo.square_grad failed on tiny (cpu): " + lines[0], *lines[1:]]
    )
    result.stdout.no_fnmatch_line("*the engine raised*")
    result.stdout.no_fnmatch_line("*During handling of the above exception*")


def test_long_values_are_summarised(run):
    body = "expect_equal(list(range(200)), [0, 1] + list(range(3, 201)), what='indices')"
    close = "expect_close(engine.tensor(list(range(200))), list(range(1, 201)), what='values')"
    run.write(
        spec_source("equal", requires="set()", body=body),
        spec_source("close", requires="set()", body=close),
    )
    result = run(f"--engine={TINY}:TinyEngine")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "E *expected:  [[]  0,   1,   3, ..., 198, 199, 200] (200 entries)",
            "E *got:       [[]  0,   1,   2, ..., 197, 198, 199] (200 entries)",
            "E *differ:    198 of 200 entries differ; at 2: expected 3, got 2; "
            "at 3: expected 4, got 3; at 4: expected 5, got 4",
            "E *outside:   200 of 200 entries",
        ],
        consecutive=False,
    )
    assert "100, 101" not in result.stdout.str()
    assert max(len(line) for line in result.outlines) < 200


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
        "conformance.running.SpecFailure: spec demo.doubled failed on tinybrokenadd (cpu): "
        "x.grad is not close to the expected value" in ran.stderr
    ), ran.stderr


def test_reproduction_passes_once_the_engine_is_fixed(run, tmp_path):
    script = reproduction_of_failure(run).replace("BrokenAddBackwardEngine", "TinyEngine")
    ran = run_script(tmp_path / "repro.py", script)
    assert ran.returncode == 0, ran.stderr


def test_reproduction_of_a_spec_in_a_package_imports_absolutely(run, tmp_path):
    # A catalogue package whose spec module imports its helpers relatively: the script lives
    # outside the package, so it must name the package.
    package = run.pytester.mkpydir("democat")
    (package / "helpers.py").write_text("EXPECTED = 2.0\n")
    body = "x = engine.tensor(1.0, requires_grad=True)\n(x + x).backward()\n"
    body += "expect_grad(x, EXPECTED, what='x.grad')"
    (package / "test_demo.py").write_text(
        HEADER + "from .helpers import EXPECTED\n" + spec_source("doubled", body=body)
    )
    result = run(f"--engine={TINY}:BrokenAddBackwardEngine", str(package))
    result.assert_outcomes(failed=1)
    (failure,) = result.reprec.getfailures()
    script = dict(failure.sections)["reproduce"]
    assert "from democat.helpers import EXPECTED" in script.splitlines()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "repro.py").write_text(script)
    ran = subprocess.run(
        [sys.executable, "repro.py"],
        capture_output=True,
        text=True,
        cwd=tmp_path / "elsewhere",
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(run.pytester.path)])},
        timeout=60,
    )
    assert ran.returncode == 1, ran.stderr
    assert "SpecFailure: spec demo.doubled failed on tinybrokenadd" in ran.stderr, ran.stderr


# A module whose preamble has much that the spec does not use: only what it uses is copied.
LONG_PREAMBLE = (
    "import json\nimport math as m\nfrom fractions import Fraction, Decimal\n"
    "UNUSED_TABLE = {'a': 1}\nRATE = 2.0\nFACTOR = RATE * 1\n\n\n"
    "def unused_helper(x):\n    return json.dumps(x)\n\n\n"
    "def scaled(x):\n    return x * FACTOR\n\n\n"
    "class UnusedThing:\n    pass\n"
)


def test_reproduction_copies_only_what_the_spec_uses(run, tmp_path):
    body = "x = engine.tensor(1.0, requires_grad=True)\n(scaled(x) + x).backward()\n"
    body += "expect_grad(x, m.floor(FACTOR) + 1.0, what='x.grad')"
    run.write(LONG_PREAMBLE + spec_source("scaled", body=body))
    result = run(f"--engine={TINY}:BrokenAddBackwardEngine")
    result.assert_outcomes(failed=1)
    (failure,) = result.reprec.getfailures()
    script = dict(failure.sections)["reproduce"]
    lines = script.splitlines()
    # the helper, the constants behind it, the import the body uses, the star import
    assert {"import math as m", "RATE = 2.0", "FACTOR = RATE * 1", "def scaled(x):"} <= set(lines)
    assert "from conformance import *" in lines
    for unused in ("json", "Fraction", "UNUSED_TABLE", "unused_helper", "UnusedThing"):
        assert unused not in script, (unused, script)
    ran = run_script(tmp_path / "repro.py", script)
    assert ran.returncode == 1, ran.stderr
    assert "SpecFailure: spec demo.scaled failed on tinybrokenadd" in ran.stderr, ran.stderr
