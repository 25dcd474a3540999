"""Gradient checks for the property chapters: an engine's analytic gradient against central
finite differences that the suite computes from the engine's own forward values.

The derivation of the allowed error, element by element (stated once here, and in each failure):

* The check is a vector-Jacobian product: the spec runs ``out.backward(gradient=w)`` and compares
  each leaf element's gradient ``g_j = sum_i w_i J_ij`` with central differences of
  ``F(x) = sum_i w_i f_i(x)``, evaluated in float64 when the engine declares ``tensor.float64``
  (else in float32), at the same input values (float32 inputs are exact in float64).
* Step ``h_j = u_fd**(1/3) * max(1, |x_j|)`` (``u_fd`` the unit roundoff of the difference dtype),
  which balances truncation against rounding. Truncation error of ``D(h) = (F(x+h) - F(x-h)) /
  2h`` is ``c h**2 + O(h**4)``; ``D(2h) - D(h) = 3 c h**2``, so ``|D(h) - D(2h)|`` bounds it three
  times over (the ``O(h**4)`` rest is smaller while the stencil stays inside the domain, which the
  strategies guarantee: draws keep a margin of 0.05 >= 2h from every kink and pole). Rounding of
  the forward values adds at most ``r u_fd S_j / h``, ``r`` roundings per element of the largest
  intermediate of the forward computation, which for the contract's ops is at most
  ``max(|f_i|, M)`` with ``M`` the largest operand (``a - b``, ``logsumexp(a) - a_t`` cancel):
  ``S_j = max sum_i |w_i| max(|f_i|, M)`` over the stencil.
  Rounding ``x +- h`` moves the stencil's centre off ``x`` by ``d``, which shifts the estimate by
  ``|F''| d`` (``F''`` from the same evaluations): added to the truncation term.
* The engine's own gradient, in the leaf dtype with unit roundoff ``u``, is a sum of terms
  ``w_i J_ij`` each computed with at most ``r`` roundings and summed with at most ``m`` more
  (``m`` the operands' and output's element count): its error is at most ``(r + m) u A_j`` with
  the condition estimate ``A_j = sum_i |w_i J_ij|``, read off the same differences, plus
  ``(r + m) u |g_j|`` for the final roundings.
* Where the gradient formula subtracts (``1 - s`` for sigmoid, ``1 - t**2`` for tanh, ``s - y``
  for BCE with logits, ``log(1 - p) - log(p)`` for BCE's target) the difference keeps only the
  absolute accuracy of its terms, bounded by ``c`` per unit of output gradient (the op table
  states ``c`` per operand, from its domain): ``A_j`` grows by ``c max|w|``. Such a formula
  reads the op's own output (``1 - t**2`` with ``t = tanh(x)``), so for an element-wise op a
  forward off by ``d`` (the drift the float64 oracle measured, a few ulps on an engine whose
  transcendental functions are not correctly rounded) moves the gradient by up to ``2 c d`` per
  unit of output gradient: ``2 c max|w| d`` is added.
* Gradual underflow loses at most the smallest normal number ``tiny`` per rounding.
* Allowed: ``(r + m) (u (A_j + |D_j|) + tiny) + 2 c max|w| d + 2 (|D(h) - D(2h)| +
  r u_fd S_j / h_j)``; the
  factor 2 covers the estimated (not bounded) truncation term. Nothing here is tuned to an
  engine: a wrong formula, factor or sign is off by O(|g|), orders of magnitude above it.
* The gradient's own dtype is not checked: no document states it, and an engine may hand a
  float32 leaf a float64 gradient (one that turns a Python number into a float64 array does).
  Its values are judged at the unit roundoff ``u`` of the leaf's dtype, the dtype the spec
  computes in: a wider gradient is at least as accurate as that, a narrower one (a float32
  gradient of a float64 leaf) is not, and fails on its values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from conformance import expect_shape
from conformance.expect import as_array, fail, show

UNIT_ROUNDOFF = {"float32": 2.0**-24, "float64": 2.0**-53}


def difference_dtype(engine) -> str:
    return "float64" if "tensor.float64" in engine.capabilities else "float32"


EXPRESSIONS = str(Path(__file__).with_name("<expression>"))


def compile_expression(expression: str):
    """The function of (engine, a, b) that ``expression`` (a fixed contract expression from the
    op table or a drawn graph) computes; the same text is printed in reproductions."""
    # Compiled under a name inside the catalogue's folder, so that an error in a member the
    # expression calls is told like one on a spec's own line (conformance/engine_errors.py).
    code = compile(f"lambda engine, a=None, b=None: {expression}", EXPRESSIONS, "eval")
    return eval(code)  # noqa: S307


def operand_code(value, dtype: str, requires_grad: bool) -> str:
    """The contract call that makes ``value`` (array or Python number) an operand."""
    if not isinstance(value, np.ndarray):
        return repr(value)
    kind = "int64" if value.dtype.kind == "i" else dtype
    grad = ", requires_grad=True" if requires_grad and kind != "int64" else ""
    return f"engine.tensor({value.tolist()!r}, dtype={kind!r}{grad})"


def make_operand(engine, value, dtype: str, requires_grad: bool):
    if not isinstance(value, np.ndarray):
        return value
    if value.dtype.kind == "i":
        return engine.tensor(value.tolist(), dtype="int64")
    return engine.tensor(value.tolist(), dtype=dtype, requires_grad=requires_grad)


@dataclass
class Differences:
    """Central differences of F = sum(w * f) for one leaf: the estimate and its error bound."""

    derivative: np.ndarray
    truncation: np.ndarray
    rounding: np.ndarray
    condition: np.ndarray  # A_j = sum_i |w_i J_ij|


def central_differences(
    forward,
    point: list,
    leaf: int,
    weights: np.ndarray,
    fd_dtype: str,
    roundings: int,
    scale=0.0,
) -> Differences:
    """Differences of ``sum(weights * forward(values))`` with respect to ``point[leaf]``, where
    ``forward`` maps a list of operand values (arrays in ``fd_dtype``) to the output as float64;
    ``scale`` bounds the intermediates of each output where they exceed it and the operands.
    """
    u = UNIT_ROUNDOFF[fd_dtype]
    base = [
        p.astype(fd_dtype) if isinstance(p, np.ndarray) and p.dtype.kind == "f" else p
        for p in point
    ]
    w = np.asarray(weights, dtype=np.float64)
    f_at_point = forward(base)
    largest = max(float(np.max(np.abs(p))) for p in base if np.asarray(p).dtype.kind == "f")
    value = float(np.sum(w * f_at_point))
    x = base[leaf]
    derivative, truncation, rounding, condition = (np.zeros(x.shape) for _ in range(4))
    for j in np.ndindex(x.shape):
        h = u ** (1 / 3) * max(1.0, abs(float(x[j])))
        estimates, sums = [], []
        for step in (h, 2 * h):
            shifted = []
            for sign in (1, -1):
                moved = x.copy()
                moved[j] = x[j] + sign * step  # rounded to fd_dtype: the true step is below
                shifted.append(moved)
            actual = float(shifted[0][j]) - float(shifted[1][j])
            columns = [forward([*base[:leaf], s, *base[leaf + 1 :]]) for s in shifted]
            if step == h:  # the size of the intermediates whose difference is taken
                magnitude = max(
                    float(np.sum(np.abs(w) * np.maximum(np.maximum(np.abs(c), largest), scale)))
                    for c in [*columns, f_at_point]
                )
            column = (columns[0] - columns[1]) / actual
            estimates.append((float(np.sum(w * column)), column))
            sums.append(float(np.sum(w * (columns[0] + columns[1]))))
            if step == h:  # x +- h rounded: the stencil's centre is off x by at most u (|x| + h)
                off_centre = abs((float(shifted[0][j]) + float(shifted[1][j])) / 2 - float(x[j]))
        curvature = abs(sums[0] - 2 * value) / h**2  # |F''| from the same evaluations
        derivative[j] = estimates[0][0]
        truncation[j] = abs(estimates[0][0] - estimates[1][0]) + curvature * off_centre
        rounding[j] = roundings * u * magnitude / h
        condition[j] = float(np.sum(np.abs(w * estimates[0][1])))
    return Differences(derivative, truncation, rounding, condition)


def allowed_error(
    diff: Differences,
    dtype: str,
    roundings: int,
    elements: int,
    cancelling: float = 0.0,
    drift: float = 0.0,
) -> np.ndarray:
    """The derived bound of the module docstring, element-wise; ``cancelling`` is ``c max|w|``,
    ``drift`` the forward's measured error ``d`` (0 where the op is not element-wise)."""
    engine_side = (roundings + elements) * (
        UNIT_ROUNDOFF[dtype] * (diff.condition + cancelling + np.abs(diff.derivative))
        + float(np.finfo(dtype).tiny)
    )
    return engine_side + 2 * cancelling * drift + 2 * (diff.truncation + diff.rounding)


def expect_gradient_matches(
    leaf, name: str, diff: Differences, allowed: np.ndarray, dtype: str, reproduction: str
) -> None:
    """``leaf.grad`` exists, has the leaf's shape, and is within ``allowed`` (derived for the
    leaf's ``dtype``) of the differences, whatever dtype the gradient itself has; a failure
    shows the reproduction."""
    __tracebackhide__ = True
    grad = leaf.grad
    where = f"{name}.grad"
    if grad is None:
        fail(f"{where} is None", "hint:      backward() did not reach this operand", *reproduction)
    expect_shape(grad, diff.derivative.shape, what=where)
    array = as_array(grad)
    got = array.astype(np.float64)
    error = np.abs(got - diff.derivative)
    bad = ~(error <= allowed)
    if bad.any():
        worst = np.unravel_index(
            np.argmax(np.where(bad, np.nan_to_num(error, nan=np.inf), -1)), error.shape
        )
        fail(
            f"{where} disagrees with central finite differences",
            f"expected:  {show(diff.derivative)} (central differences)",
            f"got:       {show(got)} ({array.dtype}; the leaf is {dtype})",
            f"error:     {error[worst]:.3g} at index {tuple(map(int, worst))}, allowed "
            f"{allowed[worst]:.3g} (rounding bound of the gradient + twice the differences' "
            "truncation and rounding estimates; derivation in specs/gradcheck.py)",
            *reproduction,
        )


def reproduction_lines(operands: dict, dtype: str, statements: list[str]) -> list[str]:
    """A copy-pasteable, contract-level snippet (``engine`` is your adapter instance)."""
    lines = ["reproduce (contract level; engine = your adapter instance):"]
    lines += [f"    {name} = {code}" for name, code in operands.items()]
    lines += [f"    {statement}" for statement in statements]
    return lines
