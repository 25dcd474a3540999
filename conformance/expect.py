"""Assertion helpers for specs: shape, then dtype, then values, with messages an engine author can
act on (expected vs got, the measured error against the tolerance, the spec and its source).

Helpers read the running spec and engine from :data:`running`, which the plugin sets around each
spec; outside the plugin they work with plain NumPy values and the dtype tolerance table.
"""

from __future__ import annotations

import contextlib
import contextvars
import warnings
from dataclasses import dataclass

import numpy as np

from conformance import tolerance as tolerances
from conformance.spec import SpecInfo
from conformance.tolerance import Tolerance


class SpecFailure(AssertionError):
    """An engine did not behave as a spec says."""


@dataclass(frozen=True)
class Running:
    spec: SpecInfo | None = None
    engine: object | None = None


# The default is frozen, so sharing it is safe.
running: contextvars.ContextVar[Running] = contextvars.ContextVar(
    "running",
    default=Running(),  # noqa: B039
)


@contextlib.contextmanager
def running_spec(spec: SpecInfo | None, engine):
    token = running.set(Running(spec, engine))
    try:
        yield
    finally:
        running.reset(token)


def fail(what: str, *lines: str) -> None:
    """Raise a SpecFailure describing ``what`` went wrong, with the running spec's context."""
    __tracebackhide__ = True
    now = running.get()
    text = [f"{what}"] + [f"  {line}" for line in lines if line]
    if now.spec is not None:
        engine = now.engine
        where = f" on {engine.name} ({engine.device})" if engine is not None else ""
        text = [f"spec {now.spec.id} failed{where}: {what}", f"  behaviour: {now.spec.behaviour}"]
        text += [f"  {line}" for line in lines if line]
        text += [f"  source:    {source}" for source in now.spec.sources]
        if now.spec.note:
            text.append(f"  note:      {now.spec.note}")
    failure = SpecFailure("\n".join(text))
    failure.what = what  # the short form, used in "blocked by" reasons
    raise failure


def as_array(value) -> np.ndarray:
    """A NumPy view of a tensor (through the running engine), array, or Python number."""
    __tracebackhide__ = True
    if isinstance(value, np.ndarray | np.generic | int | float | bool | list | tuple):
        return np.asarray(value)
    engine = running.get().engine
    if engine is None:
        return np.asarray(value)
    try:
        return np.asarray(engine.to_numpy(value))
    except Exception as error:  # the engine's own conversion failed: say so, not a traceback
        fail(
            "could not read a tensor back as NumPy",
            f"value:     {type(value).__module__}.{type(value).__qualname__}",
            f"error:     {type(error).__name__}: {error}",
        )


def show(array: np.ndarray) -> str:
    return np.array2string(np.asarray(array), precision=8, separator=", ", threshold=20)


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


def expect_close(got, expected, *, what: str, kind: str = "value", tol: Tolerance | None = None):
    """``got`` matches ``expected`` in shape, then within tolerance element-wise.

    The tolerance is ``tol``, else the running spec's own, else the dtype table entry for
    ``kind`` (``"value"`` or ``"grad"``) and ``got``'s dtype.
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
    tol = tol or (spec.tolerance if spec else None) or tolerances.for_dtype(str(actual.dtype), kind)
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
            f"hint:      {_diagnosis(values, wanted)}" if _diagnosis(values, wanted) else "",
        )


def expect_grad(tensor, expected, *, what: str) -> None:
    """``tensor.grad`` has been filled and matches ``expected`` within the gradient tolerance."""
    __tracebackhide__ = True
    grad = tensor.grad
    if grad is None:
        fail(
            f"{what} is None",
            f"expected:  {show(np.asarray(expected))}",
            "hint:      backward() did not deliver a gradient to this tensor",
        )
    expect_close(grad, expected, what=what, kind="grad")


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
    if isinstance(expected, np.ndarray) or isinstance(got, np.ndarray):
        same = np.array_equal(np.asarray(got), np.asarray(expected))
    else:
        same = got == expected
    if not same:
        fail(f"{what} differs", f"expected:  {expected!r}", f"got:       {got!r}")


def expect_true(condition: bool, *, what: str, got=None) -> None:
    """A property that must hold, e.g. "every element is 0 or 2"."""
    __tracebackhide__ = True
    if not condition:
        fail(f"expected {what}", f"got:       {got!r}" if got is not None else "")


@contextlib.contextmanager
def expect_raises(*, what: str, types: tuple[type[BaseException], ...] = (Exception,)):
    """The block must raise (any ``Exception`` by default: engines use their own error types)."""
    __tracebackhide__ = True
    try:
        yield
    except types:
        return
    fail(f"expected an error: {what}", "got:       no exception was raised")
