"""``jacobian(f, x)``: the matrix of partial derivatives of a vector function."""

from __future__ import annotations

from reference_impl import backend
from reference_impl.core import Tensor


def jacobian(func, inputs):
    """Entry (i, j) is d out_i / d in_j, built one output row at a time with backward passes."""
    x = Tensor(inputs.data.copy(), requires_grad=True)
    out = func(x)
    xp = backend.namespace(out.data)
    rows = []
    for i in range(out.numel()):
        x.grad = None
        seed = xp.zeros(out.data.size, dtype=out.data.dtype)
        seed[i] = 1
        out.backward(seed.reshape(out.shape), retain_graph=True)
        grad = x.grad.data if x.grad is not None else xp.zeros_like(x.data)
        rows.append(grad.reshape(-1))
    matrix = xp.stack(rows).reshape(out.shape + x.shape)
    return Tensor(matrix)
