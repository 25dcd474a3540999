"""The kit every op is built with: ``record`` (the result and its ``grad_fn``), operands and
PyTorch's type promotion, and the small array helpers gradients share.

``record`` builds the result and, when any input requires grad and recording is on, the
``grad_fn`` node whose ``backward(g, *saved)`` returns one gradient per input (None where none
flows). What the gradient reads is declared once, in ``saved``, and reaches it as arguments;
a gradient that reads an array or a tensor from its closure is refused when the node is made
(``core.Node``), so no read escapes the version check or the freeing of the graph. Gradients
are returned at the broadcast shape; ``core.unbroadcast`` sums them back to each input's shape
in one place, and the backward pass casts them to each input's dtype.
"""

from __future__ import annotations

from . import backend
from .core import Node, Tensor, is_grad_enabled

_Number = int | float | bool


def record(name, data, inputs, backward, saved=(), keep_output=False):
    """The result of an op; with a ``name`` node attached when a gradient can flow. ``saved``
    lists what the gradient reads, passed to it after ``g``: tensors (their arrays, after a
    version check), numbers, private arrays or None; all freed after backward.
    ``keep_output`` adds the result itself, for gradients written in terms of the output."""
    out = Tensor(data)
    if is_grad_enabled():
        for t in inputs:
            if isinstance(t, Tensor) and t.requires_grad:
                out.requires_grad = True
                out.grad_fn = Node(name, backward, inputs, (*saved, out) if keep_output else saved)
                break
    return out


def xp_of(t):
    """The array namespace (numpy or cupy) of a tensor's data."""
    return backend.namespace(t.data)


# -- operands and type promotion -------------------------------------------------------------
def operand(value, like):
    """A tensor, or a plain Python number (which PyTorch treats as a 'weak' scalar); lists and
    arrays become a tensor on the device of ``like``, the tensor they are combined with."""
    if isinstance(value, Tensor | _Number):
        return value
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # a NumPy scalar
        return value.item()
    return Tensor(xp_of(like).asarray(backend.to_host(value)))


def as_tensor(value, like):
    """A Python number or tensor as a tensor; numbers take the other operand's dtype."""
    if isinstance(value, Tensor):
        return value
    return Tensor(xp_of(like).asarray(value, dtype=like.data.dtype))


def _category(array):
    return "buif".index(array.dtype.kind) if array.dtype.kind in "buif" else 4


def result_dtype(x, y):
    """PyTorch's promotion of two tensors: the higher category (bool < int < float) wins;
    within a category a dimensioned tensor's dtype beats a 0-d tensor's."""
    cx, cy = _category(x), _category(y)
    if cx == cy:
        if x.ndim == 0 and y.ndim > 0:
            return y.dtype
        if y.ndim == 0 and x.ndim > 0:
            return x.dtype
        return backend.numpy.promote_types(x.dtype, y.dtype)
    return x.dtype if cx > cy else y.dtype


def promote(a, b, floating=False):
    """The values of ``a`` and ``b`` (tensor or number) cast to PyTorch's result dtype. A float
    number turns an integer tensor into float32 but never widens a float32 tensor; with
    ``floating`` (true division) integers become float32 too."""
    x = a.data
    if isinstance(b, Tensor):
        y = b.data
        if x.dtype == y.dtype and not floating:  # the common case, first
            return x, y
        if x.dtype != y.dtype:
            dtype = result_dtype(x, y)
            x, y = x.astype(dtype, copy=False), y.astype(dtype, copy=False)
    else:
        y = b
        if x.dtype.kind in "biu" and isinstance(b, float):
            x = x.astype(backend.DEFAULT_FLOAT)
    if floating and x.dtype.kind in "biu":
        x = x.astype(backend.DEFAULT_FLOAT)
        y = y.astype(backend.DEFAULT_FLOAT) if isinstance(b, Tensor) else y
    return x, y


# -- helpers gradients share -----------------------------------------------------------------
def masked(g, mask):
    """g where ``mask`` holds, else exactly 0 (also where g is inf or nan, as in PyTorch)."""
    return backend.namespace(g).where(mask, g, 0)


def zeros(g):
    """A zero gradient shaped like ``g``."""
    return backend.namespace(g).zeros_like(g)
