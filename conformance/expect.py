"""Assertion helpers for specs: shape, then dtype, then values, with messages an engine author can
act on (expected vs got, the measured error against the tolerance, the spec and its source).

Helpers read the running spec and engine from :data:`running`, which the plugin sets around each
spec; outside the plugin they work with plain NumPy values and the dtype tolerance table.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import replace
from typing import NoReturn

import numpy as np

from conformance import tolerance as tolerances
from conformance.running import SpecFailure, running, summary
from conformance.tolerance import Tolerance

DEFAULT_COMPUTE_DTYPE = "float32"  # the documented default dtype of a new tensor


def fail(what: str, *lines: str) -> NoReturn:
    """Raise a SpecFailure describing ``what`` went wrong, with the running spec's context."""
    __tracebackhide__ = True
    now = running.get()
    text = [f"{what}"] + [f"  {line}" for line in lines if line]
    if now.spec is not None:
        engine = now.engine
        where = f" on {engine.name} ({engine.device})" if engine is not None else ""
        text = [f"spec {now.spec.id} failed{where}: {what}", f"  behaviour: {now.spec.behaviour}"]
        text += [f"  {line}" for line in lines if line]
        text += [f"  source:    {source.cited}" for source in now.spec.sources]
        if now.spec.note:
            text.append(f"  note:      {now.spec.note}")
    failure = SpecFailure("\n".join(text))
    failure.what = what  # the short form, used in "blocked by" reasons
    raise failure


def kind_of(value) -> str:
    """What ``value`` is, for a message: its type, and its length for a sequence."""
    name = type(value).__qualname__
    if type(value).__module__ not in ("builtins", "numpy"):
        name = f"{type(value).__module__}.{name}"
    return f"a {name} of length {len(value)}" if isinstance(value, list | tuple) else f"a {name}"


def as_array(value) -> np.ndarray:
    """A numeric NumPy view of a tensor (through the running engine), array, or Python number.

    Whatever the engine hands back, this either returns numbers or fails the spec saying what
    it got (a string, a ragged list, an object the engine cannot convert); it never crashes."""
    __tracebackhide__ = True
    engine = running.get().engine
    plain = isinstance(value, np.ndarray | np.generic | int | float | bool | list | tuple)
    problem = None
    if isinstance(value, str | bytes):
        problem = "a string is not a tensor"
    else:
        try:
            array = np.asarray(value if plain or engine is None else engine.to_numpy(value))
        except Exception as error:  # the engine's own conversion failed: say so
            problem = f"{type(error).__name__}: {summary(str(error))}"
    if problem is not None:  # (outside the except clause: no chained traceback)
        fail(
            "could not read a tensor back as NumPy",
            f"value:     {kind_of(value)}: {summary(repr(value), 120)}",
            f"error:     {problem}",
        )
    if array.dtype.kind not in "biufc":
        fail(
            "expected a tensor of numbers",
            f"got:       {kind_of(value)}: {summary(repr(value), 200)}",
            f"as NumPy:  dtype {array.dtype}, shape {array.shape}",
        )
    return array


def show(value) -> str:
    """``value`` for a message: at most a few leading and trailing entries of a long array
    (with its entry count), never the whole of it."""
    array = np.asarray(value)
    if array.dtype.kind not in "biufcb":
        return summary(repr(value), 200)
    text = np.array2string(array, precision=8, separator=", ", threshold=20, edgeitems=3)
    return f"{text} ({array.size} entries)" if array.size > 20 else text


def differences(got, expected, limit: int = 3) -> str:
    """For two equally long sequences: how many entries differ and the first few of them."""
    try:
        left, right = np.asarray(got), np.asarray(expected)
        if left.shape != right.shape or left.ndim == 0:
            return ""
        wrong = np.argwhere(left != right)
    except Exception:  # not comparable entry by entry: the values alone must do
        return ""
    if not len(wrong):
        return ""
    first = [tuple(int(i) for i in index) for index in wrong[:limit]]
    shown = "; ".join(
        f"at {i if len(i) > 1 else i[0]}: expected {right[i].tolist()!r}, got {left[i].tolist()!r}"
        for i in first
    )
    return f"{len(wrong)} of {left.size} entries differ; {shown}"


def expect_shape(got, shape, *, what: str) -> None:
    """``got`` (tensor or array) has exactly ``shape``."""
    __tracebackhide__ = True
    actual = tuple(as_array(got).shape)
    if actual != tuple(shape):
        fail(f"shape mismatch in {what}", f"expected:  {tuple(shape)}", f"got:       {actual}")


def expect_dtype(got, dtype: str, *, what: str) -> None:
    """``got`` has dtype ``dtype`` (a NumPy name like ``"float32"``)."""
    __tracebackhide__ = True
    actual = str(as_array(got).dtype)
    if actual != dtype:
        fail(f"dtype mismatch in {what}", f"expected:  {dtype}", f"got:       {actual}")


def _simple_factor(ratio: float) -> bool:
    """Whether ``ratio`` is a small fraction p/q other than 1 (2, 0.5, 1.5, 1/3, ...): the mark
    of a wrong constant in a formula rather than of a rounding difference."""
    for q in (1, 2, 3, 4):
        p = round(ratio * q)
        if p not in (0, q) and abs(ratio * q - p) < 1e-3 * q:
            return True
    return False


def _diagnosis(got: np.ndarray, expected: np.ndarray) -> str:
    """A hint that tells a rounding difference from a wrong formula."""
    if np.isnan(got).any() and not np.isnan(expected).any():
        return "got contains NaN"
    if np.isinf(got).any() and not np.isinf(expected).any():
        return "got contains inf (overflow?)"
    comparable = np.isfinite(got) & np.isfinite(expected)
    nonzero = comparable & (expected != 0) & (got != 0)
    if nonzero.any():
        if (np.sign(got[nonzero]) != np.sign(expected[nonzero])).all():
            return "every compared value has the wrong sign"
        ratios = got[nonzero] / expected[nonzero]
        factor = ratios.flat[0]
        # One value off by 0.2% is "times 0.998" too: name a factor only when several values
        # share it or it is a simple fraction.
        shared = ratios.size > 1 or _simple_factor(factor)
        if shared and np.allclose(ratios, factor, rtol=1e-3) and abs(factor - 1) > 1e-3:
            return f"got is expected times {factor:.6g}"
    return ""


def tolerance_for(result_dtype: str, kind: str = "value", dtype: str | None = None) -> Tolerance:
    """The table's tolerance for a result of ``result_dtype`` from a spec that computes in
    ``dtype`` (default ``"float32"``): the looser of the two entries, so that an engine that
    promotes a float32 computation to float64 is judged as the float32 computation it is.
    Integer and boolean results compare exactly. ``why`` names the dtype the tolerance came from.
    """
    compute = dtype or DEFAULT_COMPUTE_DTYPE
    by_result = tolerances.for_dtype(result_dtype, kind)
    if by_result is tolerances.EXACT or not result_dtype.startswith(("float", "complex")):
        return by_result
    by_compute = tolerances.for_dtype(compute, kind)
    if by_compute.rtol > by_result.rtol or by_compute.atol > by_result.atol:
        return replace(
            by_compute,
            why=f"{by_compute.why}: the spec computes in {compute}, the result is {result_dtype}",
        )
    if compute != result_dtype:
        return replace(
            by_result,
            why=f"{by_result.why}: the result is {result_dtype}, the spec computes in {compute}",
        )
    return by_result


def expect_close(
    got,
    expected,
    *,
    what: str,
    kind: str = "value",
    tol: Tolerance | None = None,
    dtype: str | None = None,
):
    """``got`` matches ``expected`` in shape, then within tolerance element-wise.

    The tolerance is ``tol``, else the running spec's own, else the dtype table's entry for
    ``kind`` (``"value"`` or ``"grad"``): the looser of the entries for ``got``'s dtype and for
    ``dtype``, the dtype the spec computes in (default ``"float32"``; pass ``dtype="float64"``
    in a float64 spec). See :func:`tolerance_for`.
    """
    __tracebackhide__ = True
    actual = as_array(got)
    wanted = np.asarray(expected, dtype=np.float64)
    if actual.shape != wanted.shape:
        fail(
            f"shape mismatch in {what}",
            f"expected:  shape {wanted.shape}: {show(wanted)}",
            f"got:       shape {actual.shape}: {show(actual)}",
        )
    spec = running.get().spec
    tol = tol or (spec.tolerance if spec else None) or tolerance_for(str(actual.dtype), kind, dtype)
    values = actual.astype(np.float64)
    with np.errstate(invalid="ignore"):  # inf - inf and 0 * inf are NaN, and handled below
        error = np.abs(values - wanted)
        allowed_at = np.broadcast_to(tol.allowed(wanted), error.shape)
        # An infinite expectation allows an infinite error: only inf itself matches it.
        bad = ~np.where(np.isfinite(wanted), error <= allowed_at, values == wanted)
    if bad.any():
        score = np.where(bad, np.nan_to_num(error, nan=np.inf), -1.0)  # a NaN is the worst
        worst = np.unravel_index(np.argmax(score), error.shape)
        allowed = allowed_at[worst]
        fail(
            f"{what} is not close to the expected value",
            f"expected:  {show(wanted)}",
            f"got:       {show(actual)} ({actual.dtype})",
            f"error:     |got - expected| = {error[worst]:.3g} at index {tuple(map(int, worst))}, "
            f"allowed {allowed:.3g} ({tol}; {tol.why})",
            f"outside:   {int(bad.sum())} of {bad.size} entries" if bad.size > 1 else "",
            f"hint:      {_diagnosis(values, wanted)}" if _diagnosis(values, wanted) else "",
        )


def expect_grad(tensor, expected, *, what: str, dtype: str | None = None) -> None:
    """``tensor.grad`` has been filled and matches ``expected`` within the gradient tolerance
    (``dtype``: the dtype the spec computes in, as for :func:`expect_close`)."""
    __tracebackhide__ = True
    grad = tensor.grad
    if grad is None:
        fail(
            f"{what} is None",
            f"expected:  {show(np.asarray(expected))}",
            "hint:      backward() did not deliver a gradient to this tensor",
        )
    expect_close(grad, expected, what=what, kind="grad", dtype=dtype)


def expect_no_grad(tensor, *, what: str) -> None:
    """``tensor.grad`` is None (the documented signal for "no gradient stored")."""
    __tracebackhide__ = True
    with warnings.catch_warnings():  # PyTorch warns when a non-leaf's .grad is read
        warnings.simplefilter("ignore")
        grad = tensor.grad
    if grad is not None:
        fail(f"{what} should be None", f"got:       {show(as_array(grad))}")


def expect_equal(got, expected, *, what: str) -> None:
    """``got == expected`` for exact things: lengths, names, flags, integer arrays."""
    __tracebackhide__ = True
    try:
        if isinstance(expected, np.ndarray) or isinstance(got, np.ndarray):
            same = np.array_equal(np.asarray(got), np.asarray(expected))
        else:
            same = bool(got == expected)
    except Exception as error:  # e.g. an engine object whose == is element-wise
        fail(
            f"{what} cannot be compared with the expected value",
            f"expected:  {show_value(expected)}",
            f"got:       {kind_of(got)}: {show_value(got)}",
            f"error:     {type(error).__name__}: {summary(str(error))}",
        )
    if not same:
        fail(
            f"{what} differs",
            f"expected:  {show_value(expected)}",
            f"got:       {show_value(got)}",
            f"differ:    {differences(got, expected)}" if differences(got, expected) else "",
        )


def show_value(value) -> str:
    """An exact value for a message: a long list or array shortened (see :func:`show`)."""
    if isinstance(value, np.ndarray) or (
        isinstance(value, list | tuple) and len(value) > 20 and _numeric(value)
    ):
        return show(value)
    return summary(repr(value), 300)


def _numeric(values) -> bool:
    return all(isinstance(v, int | float | np.generic) for v in values)


def expect_true(condition: bool, *, what: str, got=None) -> None:
    """A property that must hold, e.g. "every element is 0 or 2"."""
    __tracebackhide__ = True
    if not condition:
        fail(f"expected {what}", f"got:       {show_value(got)}" if got is not None else "")


# Errors that say an argument had the wrong kind or a member is missing: an engine raising one of
# these where a spec expects a refusal has not shown the documented check.
MISUSE = (TypeError, AttributeError, NotImplementedError)


@contextlib.contextmanager
def expect_raises(
    *,
    what: str,
    control=None,
    types: tuple[type[BaseException], ...] = (Exception,),
):
    """The block must raise (any ``Exception`` by default: engines use their own error types).

    ``control`` is a zero-argument callable doing the same operation where it is allowed; it runs
    first and must succeed, so that the refusal is shown to come from the documented check and
    not from the operation being unsupported. A TypeError, AttributeError or NotImplementedError
    raised in the block (a wrong argument kind, a missing member) fails the spec, unless
    ``types`` names it.
    """
    __tracebackhide__ = True
    if control is not None:
        try:
            control()
        except SpecFailure:
            raise
        except Exception as error:
            try:
                fail(
                    f"control step failed: {what}",
                    "the same operation where it is allowed must succeed before its refusal counts",
                    f"error:     {type(error).__name__}: {summary(str(error))}",
                )
            except SpecFailure as failure:
                failure.cause = error  # type: ignore[attr-defined]  # read by the plugin
                raise
    named = tuple(t for t in types if t not in (Exception, BaseException))
    try:
        yield
    except SpecFailure:
        raise
    except types as error:
        if isinstance(error, MISUSE) and not isinstance(error, named):
            fail(
                f"expected an error: {what}",
                f"got:       the engine raised {type(error).__name__}: {summary(str(error))} — "
                "an argument-type or missing-member error, not the documented refusal",
            )
        return
    fail(f"expected an error: {what}", "got:       no exception was raised")
