"""A float64 NumPy oracle for the forward values of the contract's differentiable ops.

The gradient checks of the property chapters differentiate the engine's own forward: an engine
whose forward computes the wrong function, with the right derivative of that wrong function,
passes them. This module evaluates the same contract expression (``a / b``, ``a.exp()``,
``engine.mse_loss(a, b)``, ...) on NumPy float64 arrays, with ``engine`` standing for the
documented definitions below, so a spec can compare the engine's forward value with it.

Allowed error, element-wise, for a result computed in a dtype with unit roundoff ``u``:
``64 (r + m) u (|f| + S) + tiny``, where ``r`` is the op's roundings per element (the op table),
``m`` the largest operand or output element count (a reduction adds that many roundings), and
``S = 4 max(1, M)**2`` bounds every intermediate of the contract's ops over the strategies'
domains (``M`` the largest operand magnitude; ``(a - b)**2 <= 4 M**2``, ``a * b <= M**2``, and
``exp`` of a value in [-3, 3], powers of [0.25, 3] by [-2, 2] stay below ``4 * 9``). The factor 64
leaves room for transcendental functions a few ulp off, which no document forbids; a wrong
formula (a sum for a mean, a swapped operand, a missing factor) is off by O(|f|), far above.
"""

from __future__ import annotations

import numpy as np

from conformance.expect import as_array, fail, show
from conformance.specs.gradcheck import UNIT_ROUNDOFF

SLACK = 64  # ulps per rounding allowed beyond correct rounding: no document states accuracy


class OracleArray(np.ndarray):
    """A float64 array with the contract's tensor methods that NumPy arrays lack."""

    def exp(self):
        return np.exp(self)

    def log(self):
        return np.log(self)

    def sqrt(self):
        return np.sqrt(self)

    def square(self):
        return np.square(self)

    def abs(self):
        return np.abs(self)

    def add(self, other):
        return self + other

    def pow(self, exponent):
        return self**exponent

    def mm(self, other):
        return self @ other

    def t(self):
        return self.T

    def clamp(self, min=None):  # noqa: A002  (the contract's keyword)
        return np.maximum(self, min)


def oracle(value):
    """``value`` (array or Python number) as the oracle's operand: float64 for float arrays."""
    if not isinstance(value, np.ndarray):
        return value
    kind = np.int64 if value.dtype.kind == "i" else np.float64
    return np.asarray(value, dtype=kind).view(OracleArray)


class Definitions:
    """``engine.<name>(...)`` of the op table, as the documents define each function."""

    @staticmethod
    def relu(a):
        return np.maximum(a, 0.0)

    @staticmethod
    def tanh(a):
        return np.tanh(a)

    @staticmethod
    def sigmoid(a):
        return 1.0 / (1.0 + np.exp(-a))

    @staticmethod
    def mse_loss(prediction, target):
        return np.mean((prediction - target) ** 2)  # over all n predictions

    @staticmethod
    def cross_entropy(logits, target):
        rows = np.atleast_2d(np.asarray(logits, dtype=np.float64))
        classes = np.atleast_1d(np.asarray(target)).astype(np.int64)
        largest = rows.max(axis=1, keepdims=True)
        log_sum_exp = largest[:, 0] + np.log(np.exp(rows - largest).sum(axis=1))
        return np.mean(log_sum_exp - rows[np.arange(len(rows)), classes])

    @staticmethod
    def bce_loss(p, y):
        return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))

    @staticmethod
    def bce_with_logits(z, y):
        return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


def forward_value(function, operands: list) -> np.ndarray:
    """``function`` (a compiled contract expression of ``engine, a, b``) evaluated by the
    oracle on ``operands``, as a float64 array."""
    return np.asarray(function(Definitions, *[oracle(v) for v in operands]), dtype=np.float64)


def allowed_error(expected: np.ndarray, operands: list, dtype: str, roundings: int) -> np.ndarray:
    """The bound of the module docstring, element-wise."""
    arrays = [np.asarray(v, dtype=np.float64) for v in operands if np.ndim(v) or _is_float(v)]
    largest = max([float(np.max(np.abs(a))) for a in arrays if a.size] + [1.0])
    elements = max([a.size for a in arrays] + [expected.size, 1])
    scale = 4 * max(1.0, largest) ** 2
    u = UNIT_ROUNDOFF[dtype]
    return SLACK * (roundings + elements) * u * (np.abs(expected) + scale) + np.finfo(dtype).tiny


def _is_float(value) -> bool:
    return isinstance(value, float) or (isinstance(value, np.ndarray) and value.dtype.kind == "f")


def expect_forward_matches(
    out, function, operands: list, dtype: str, roundings: int, reproduction
) -> float:
    """The engine's forward value ``out`` of ``function`` on ``operands`` is within the allowed
    error of the float64 oracle; a failure shows the reproduction. Returns the largest error
    (the forward's drift), which a gradient computed from the forward's own values inherits."""
    __tracebackhide__ = True
    expected = forward_value(function, operands)
    got = as_array(out).astype(np.float64)
    if got.shape != expected.shape:
        fail(
            "the forward value's shape differs from the float64 oracle's",
            f"expected:  shape {expected.shape}",
            f"got:       shape {got.shape}",
            *reproduction,
        )
    allowed = allowed_error(expected, operands, dtype, roundings)
    with np.errstate(invalid="ignore"):
        error = np.abs(got - expected)
    bad = ~(error <= allowed)
    if bad.any():
        worst = np.unravel_index(
            np.argmax(np.where(bad, np.nan_to_num(error, nan=np.inf), -1)), error.shape
        )
        fail(
            "the forward value disagrees with the float64 oracle (the documented definition "
            "evaluated in NumPy)",
            f"expected:  {show(expected)} (float64 oracle)",
            f"got:       {show(got)} ({dtype})",
            f"error:     {error[worst]:.3g} at index {tuple(map(int, worst))}, allowed "
            f"{allowed[worst]:.3g} ({SLACK} (roundings + elements) u (|f| + S); derivation in "
            "specs/forward_oracle.py)",
            *reproduction,
        )
    return float(np.max(error, initial=0.0))
