"""``jacobian(f, x)``: the matrix of partial derivatives of a vector function."""

from __future__ import annotations

from .. import backend
from ..core import Tensor, enable_grad


def jacobian(func, inputs):
    """Entry (i, j) is d out_i / d in_j, built one output row at a time by backward passes
    through one retained graph; its shape is out.shape + in.shape. For a tuple of inputs, a
    tuple of Jacobians, one per input."""
    several = isinstance(inputs, tuple | list)
    leaves = [Tensor(x.data.copy(), requires_grad=True) for x in (inputs if several else [inputs])]
    with enable_grad():
        out = func(*leaves)
    xp = backend.namespace(out.data)
    rows = [[] for _ in leaves]
    for i in range(out.numel()):
        for x in leaves:
            x.grad = None
        if out.requires_grad:
            seed = xp.zeros(out.data.size, dtype=out.data.dtype)
            seed[i] = 1
            out.backward(seed.reshape(out.shape), retain_graph=True)
        for x, row in zip(leaves, rows, strict=True):
            grad = x.grad.data if x.grad is not None else xp.zeros_like(x.data)
            row.append(grad.reshape(-1))
    matrices = tuple(
        Tensor(xp.stack(row).reshape(out.shape + x.shape))
        if row
        else Tensor(xp.zeros(out.shape + x.shape, dtype=x.data.dtype))
        for x, row in zip(leaves, rows, strict=True)
    )
    return matrices if several else matrices[0]
