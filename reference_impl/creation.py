"""Making tensors: from data, filled, random. Floats default to float32, integers to int64."""

from __future__ import annotations

from . import backend, random
from .core import Tensor


def _leaf(array, requires_grad):
    out = Tensor(array)
    return out.requires_grad_() if requires_grad else out


def tensor(data, dtype=None, requires_grad=False, device="cpu"):
    """A new leaf tensor with a copy of ``data`` (numbers, nested lists, arrays or a tensor).
    Arrays and tensors keep their dtype; Python floats give float32, ints int64."""
    keeps_dtype = isinstance(data, Tensor) or hasattr(data, "dtype")
    array = backend.to_host(data.data if isinstance(data, Tensor) else data)
    if dtype is None and not keeps_dtype:
        kind = array.dtype.kind
        dtype = backend.DEFAULT_INT if kind in "iu" else "bool" if kind == "b" else None
        dtype = dtype or backend.DEFAULT_FLOAT
    dtype = backend.dtype(dtype or array.dtype)
    return _leaf(backend.for_device(device).array(array, dtype=dtype), requires_grad)


def from_numpy(array, device="cpu"):
    """A tensor with the array's values and dtype (sharing its memory on the CPU)."""
    return Tensor(backend.for_device(device).asarray(array))


def zeros(*shape, dtype="float32", requires_grad=False, device="cpu"):
    return _leaf(backend.for_device(device).zeros(_shape(shape), dtype=dtype), requires_grad)


def ones(*shape, dtype="float32", requires_grad=False, device="cpu"):
    return _leaf(backend.for_device(device).ones(_shape(shape), dtype=dtype), requires_grad)


def full(shape, value, dtype="float32", requires_grad=False, device="cpu"):
    return _leaf(backend.for_device(device).full(shape, value, dtype=dtype), requires_grad)


def arange(*bounds, dtype=None, device="cpu"):
    values = backend.numpy.arange(*bounds)
    return tensor(values, dtype=dtype, device=device)


def randn(*shape, dtype="float32", requires_grad=False, device="cpu"):
    """Standard normal samples from the global generator (see ``manual_seed``)."""
    values = random.generator().standard_normal(_shape(shape))
    return _leaf(backend.for_device(device).asarray(values, dtype=dtype), requires_grad)


def randint(low, high, shape, device="cpu"):
    """Integers drawn uniformly from ``low`` .. ``high - 1`` (int64) from the global generator."""
    values = random.generator().integers(low, high, size=_shape(shape))
    return _leaf(backend.for_device(device).asarray(values, dtype=backend.DEFAULT_INT), False)


def rand(*shape, dtype="float32", requires_grad=False, device="cpu"):
    """Uniform samples in [0, 1) from the global generator."""
    values = random.generator().random(_shape(shape))
    return _leaf(backend.for_device(device).asarray(values, dtype=dtype), requires_grad)


def _shape(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape
