"""The plain functions behind the messages: hints, comparisons and the tolerance table."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conformance import tolerance
from conformance.expect import (
    SpecFailure,
    _diagnosis,
    _simple_factor,
    expect_close,
    expect_equal,
    expect_grad,
    expect_raises,
    expect_true,
    tolerance_for,
)
from conformance.tolerance import EXACT, TOLERANCES, Tolerance, for_dtype


# -- hints -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("got", "expected", "hint"),
    [
        ([-1.0, -2.0], [1.0, 2.0], "every compared value has the wrong sign"),
        (-6.0, 6.0, "every compared value has the wrong sign"),
        ([2.0, 4.0], [1.0, 2.0], "got is expected times 2"),
        ([0.5, 1.0, 0.0], [1.0, 2.0, 0.0], "got is expected times 0.5"),
        (3.0, 2.0, "got is expected times 1.5"),  # one value, but a simple fraction
        ([1.002, 2.004], [1.0, 2.0], "got is expected times 1.002"),  # shared by two values
        ([np.nan, 1.0], [1.0, 1.0], "got contains NaN"),
        ([np.inf], [1.0], "got contains inf (overflow?)"),
        (6.0, 6.01, ""),  # one value a little off: a rounding question, not a formula
        ([1.0, -2.0], [-1.0, -2.0], ""),  # some signs wrong: no pattern to name
        ([2.0, 3.0], [1.0, 2.0], ""),  # different factors
        ([0.0, 0.0], [1.0, 2.0], ""),  # nothing to compare a ratio on
        ([1.0], [1.0], ""),
        ([np.nan], [np.nan], ""),
    ],
)
def test_diagnosis(got, expected, hint):
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert _diagnosis(got, expected) == hint


@pytest.mark.parametrize(
    ("ratio", "simple"),
    [(2.0, True), (0.5, True), (1 / 3, True), (0.75, True), (1.5, True), (-2.0, True)]
    + [(1.0, False), (0.998, False), (1.0004, False), (1e-5, False), (2.2, False), (0.6, False)],
)
def test_simple_factor(ratio, simple):
    assert _simple_factor(ratio) is simple


# -- expect_close outside a spec ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("got", "expected"),
    [
        (np.float32(0.1), 0.1),  # float32 rounding is inside the float32 table
        (np.array([1.0, -np.inf, np.inf]), [1.0, -np.inf, np.inf]),
        (np.array([3, 4]), [3, 4]),
        (np.float64(1.0 + 1e-11), 1.0),
    ],
    ids=["float32-rounding", "infinities", "integers", "float64"],
)
def test_expect_close_accepts(got, expected):
    expect_close(got, expected, what="value")


@pytest.mark.parametrize(
    ("got", "expected", "message"),
    [
        (np.float32(1.001), 1.0, "|got - expected| = 0.001 at index (), allowed 1.1e-05"),
        (np.array([3, 4]), [3, 5], "= 1 at index (1,), allowed 0 (rtol=0, atol=0; exact"),
        (np.array([np.nan, 1.0, 5.0]), [1.0, 1.0, 1.0], "= nan at index (0,)"),
        (np.array([np.inf]), [-np.inf], "= inf at index (0,)"),
        (np.array([1.0, 5.0]), [1.0, np.inf], "= inf at index (1,)"),
        (np.array([[1.0, 2.0]]), [1.0, 2.0], "shape mismatch in value"),
    ],
    ids=[
        "float32",
        "integers",
        "nan-is-the-worst",
        "opposite-infinity",
        "finite-for-infinity",
        "shape",
    ],
)
def test_expect_close_rejects(got, expected, message):
    with pytest.raises(SpecFailure) as failure:
        expect_close(got, expected, what="value")
    assert message in str(failure.value)


def test_expect_close_explicit_tolerance_wins():
    loose = Tolerance(rtol=0.1, atol=0.0, why="a test")
    expect_close(np.float32(1.05), 1.0, what="value", tol=loose)
    with pytest.raises(SpecFailure, match=r"rtol=0.1, atol=0; a test"):
        expect_close(np.float32(1.2), 1.0, what="value", tol=loose)


def test_gradient_tolerance_is_wider_than_value_tolerance():
    expect_close(np.float32(1.00005), 1.0, what="grad", kind="grad")
    with pytest.raises(SpecFailure):
        expect_close(np.float32(1.00005), 1.0, what="value")


def test_other_helpers_say_expected_and_got():
    with pytest.raises(SpecFailure, match=r"n differs\n  expected:  3\n  got:       4"):
        expect_equal(4, 3, what="n")
    with pytest.raises(SpecFailure, match=r"expected all zeros\n  got:       \[1\]"):
        expect_true(False, what="all zeros", got=[1])
    with pytest.raises(SpecFailure, match="expected an error: a bad call"):
        with expect_raises(what="a bad call"):
            pass
    with expect_raises(what="a bad call", types=(ValueError,)):
        raise ValueError("bad")


# -- expect_raises: the documented refusal, not any error ---------------------------------------
@pytest.mark.parametrize("error", [TypeError, AttributeError, NotImplementedError])
def test_argument_type_or_missing_member_error_is_not_a_refusal(error):
    with pytest.raises(SpecFailure) as failure:
        with expect_raises(what="w.sub_(0.1) on a leaf"):
            raise error("sub_() needs a tensor")
    assert (
        f"the engine raised {error.__name__}: sub_() needs a tensor — an argument-type or "
        "missing-member error, not the documented refusal"
    ) in str(failure.value)


def test_engine_specific_error_types_are_refusals():
    class EngineError(RuntimeError):
        pass

    with expect_raises(what="a refused call"):
        raise EngineError("a leaf Variable that requires grad is being used in an in-place op")
    with expect_raises(what="a refused call", types=(TypeError,)):  # named: accepted
        raise TypeError("refused")


def test_control_step_runs_first_and_must_succeed():
    steps = []
    with expect_raises(what="a refused call", control=lambda: steps.append("control")):
        steps.append("block")
        raise RuntimeError("refused")
    assert steps == ["control", "block"]

    def unsupported():
        raise TypeError("sub_() takes a tensor, not a float")

    with pytest.raises(SpecFailure) as failure:
        with expect_raises(what="w.sub_(0.1) on a leaf", control=unsupported):
            raise AssertionError("the block must not run")  # pragma: no cover
    assert "control step failed: w.sub_(0.1) on a leaf" in str(failure.value)
    assert "TypeError: sub_() takes a tensor, not a float" in str(failure.value)


def test_failed_expectation_inside_the_block_is_not_a_refusal():
    with pytest.raises(SpecFailure, match="n differs"):
        with expect_raises(what="a refused call"):
            expect_equal(1, 2, what="n")


# -- tolerance from what the spec computes ------------------------------------------------------
def test_promoted_float32_computation_is_judged_at_float32_tolerance():
    got = np.float64(1.0 + 7.6e-8)  # float32-accurate, returned as float64
    expect_close(got, 1.0, what="value")  # computes in float32 by default
    with pytest.raises(SpecFailure) as failure:
        expect_close(got, 1.0, what="value", dtype="float64")
    assert "allowed 1.01e-10 (rtol=1e-10, atol=1e-12; float64 table)" in str(failure.value)


@pytest.mark.parametrize(
    ("result", "compute", "kind", "expected", "why"),
    [
        ("float32", None, "value", TOLERANCES["float32"]["value"], "float32 table"),
        (
            "float64",
            None,
            "value",
            TOLERANCES["float32"]["value"],
            "float32 table: the spec computes in float32, the result is float64",
        ),
        ("float64", "float64", "grad", TOLERANCES["float64"]["grad"], "float64 table"),
        (
            "float32",
            "float64",
            "grad",
            TOLERANCES["float32"]["grad"],
            "float32 table: the result is float32, the spec computes in float64",
        ),
        ("int64", None, "value", EXACT, EXACT.why),
    ],
)
def test_tolerance_is_the_looser_of_result_and_compute_dtype(result, compute, kind, expected, why):
    found = tolerance_for(result, kind, compute)
    assert (found.rtol, found.atol, found.why) == (expected.rtol, expected.atol, why)


def test_gradient_tolerance_follows_the_compute_dtype():
    class Leaf:
        grad = np.float64(2.0 + 1e-6)  # within float32's gradient table, not float64's

    expect_grad(Leaf(), 2.0, what="x.grad")
    with pytest.raises(SpecFailure, match="float64 table"):
        expect_grad(Leaf(), 2.0, what="x.grad", dtype="float64")


# -- the tolerance table -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dtype", "kind", "expected"),
    [
        ("float32", "value", TOLERANCES["float32"]["value"]),
        ("float32", "grad", TOLERANCES["float32"]["grad"]),
        ("float64", "value", TOLERANCES["float64"]["value"]),
        ("float64", "grad", TOLERANCES["float64"]["grad"]),
        ("float16", "value", TOLERANCES["float32"]["value"]),
        ("int64", "value", EXACT),
        ("bool", "grad", EXACT),
    ],
)
def test_for_dtype(dtype, kind, expected):
    assert for_dtype(dtype, kind) == expected


def test_table_is_ordered_by_precision():
    for kind in ("value", "grad"):
        wide, narrow = TOLERANCES["float32"][kind], TOLERANCES["float64"][kind]
        assert narrow.rtol < wide.rtol and narrow.atol < wide.atol
        assert np.finfo(np.float32).eps < wide.rtol  # room for float32 rounding
        assert np.finfo(np.float64).eps < narrow.rtol
    for dtype in TOLERANCES:
        assert TOLERANCES[dtype]["value"].rtol < TOLERANCES[dtype]["grad"].rtol


def test_tolerance_allowed_and_text():
    tol = Tolerance(rtol=1e-3, atol=1e-6, why="why")
    assert np.allclose(tol.allowed(np.array([0.0, -2.0])), [1e-6, 1e-6 + 2e-3])
    assert str(tol) == "rtol=0.001, atol=1e-06"
    assert tolerance.for_dtype("float32").why == "float32 table"


def test_rule_is_numpys_isclose():
    tol = TOLERANCES["float32"]["value"]
    for got, wanted in [(1.0 + 1e-5, 1.0), (1.0 + 2e-5, 1.0), (1e-6, 0.0), (2e-6, 0.0)]:
        inside = abs(got - wanted) <= tol.allowed(wanted)
        assert inside == math.isclose(got, wanted, rel_tol=0, abs_tol=tol.allowed(wanted))
        assert inside == np.isclose(got, wanted, rtol=tol.rtol, atol=tol.atol)


# -- the comparison helpers on plain values -----------------------------------------------------
@pytest.mark.parametrize(
    ("got", "expected", "hint"),
    [
        ([-1.0, -2.0], [1.0, 2.0], "wrong sign"),
        ([2.0, 4.0], [1.0, 2.0], "expected times 2"),
        ([np.nan], [1.0], "NaN"),
        ([np.inf], [1.0], "inf"),
        ([1.0, 5.0], [1.0, 2.0], ""),
    ],
)
def test_diagnosis_tells_kinds_of_error_apart(got, expected, hint):
    found = _diagnosis(np.array(got), np.array(expected))
    assert (hint in found) if hint else found == ""


def test_rounding_error_within_the_float32_table_passes():
    expect_close(np.float32(0.24131133), 0.241311296657157, what="cross-entropy")


def test_float32_tolerance_rejects_a_wrong_digit():
    with pytest.raises(SpecFailure, match=r"allowed .*float32 table"):
        expect_close(np.float32(0.2414), 0.241311296657157, what="cross-entropy")


def test_float64_is_held_to_the_float64_table():
    # A float64 spec says so (dtype="float64"); a float64 result of a float32 computation is
    # judged at float32 tolerance.
    with pytest.raises(SpecFailure):
        expect_close(
            np.float64(0.24131133), 0.241311296657157, what="cross-entropy", dtype="float64"
        )


def test_shape_is_checked_before_values():
    with pytest.raises(SpecFailure, match=r"shape mismatch.*\n.*shape \(2,\)"):
        expect_close(np.zeros((2, 1)), np.zeros(2), what="x")


def test_expect_raises_fails_when_nothing_is_raised():
    with pytest.raises(SpecFailure, match="no exception was raised"):
        with expect_raises(what="an error"):
            pass


def test_integer_dtypes_compare_exactly():
    assert tolerance.for_dtype("int64").rtol == 0 == tolerance.for_dtype("int64").atol
