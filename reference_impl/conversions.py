"""Conversions: between dtypes and devices (``to`` and its short forms ``float()``,
``double()``, ``long()``, ``bool()``, ``cpu()``, ``cuda()``), and out of the engine: Python
numbers, NumPy arrays, lists and the printed form."""

from __future__ import annotations

from . import backend
from .core import Tensor
from .function import record


def to(a, target):
    """A copy with another dtype ("float64", ...) or on another device ("cpu", "cuda"):
    ToCopyBackward0. The same tensor when nothing changes, as in PyTorch."""
    target = str(target).removeprefix("torch.")
    if target.startswith(("cpu", "cuda")):
        if target.split(":")[0] == a.device:
            return a
        here = backend.for_device(a.device)
        data = backend.to_namespace(a.data, backend.for_device(target))
        return record("ToCopyBackward0", data, (a,), lambda g: (backend.to_namespace(g, here),))
    dtype = backend.dtype(target)
    if dtype == a.data.dtype:
        return a
    data = a.data.astype(dtype)
    if dtype.kind not in "fc":  # integer results cannot carry a gradient
        return Tensor(data)
    return record("ToCopyBackward0", data, (a,), lambda g: (g,))


def converter(target):
    """The method that converts to ``target`` (``Tensor.float`` is ``converter("float32")``)."""

    def convert(a):
        return to(a, target)

    convert.__name__ = target
    return convert


# -- reading values back ---------------------------------------------------------------------
def dim(a) -> int:
    return a.data.ndim


def size(a, dim=None):
    return a.shape if dim is None else a.shape[dim]


def numel(a) -> int:
    return int(a.data.size)


def length(a) -> int:
    if a.data.ndim == 0:
        raise TypeError("len() of a 0-d tensor")
    return len(a.data)


def iterate(a):
    return (a[i] for i in range(length(a)))


def item(a):
    if a.data.size != 1:
        raise RuntimeError(f"a tensor with {a.data.size} elements cannot be one number")
    return a.data.item()


def as_float(a) -> float:
    return float(item(a))


def as_int(a) -> int:
    return int(item(a))


def as_bool(a) -> bool:
    return bool(item(a))


def numpy(a):
    """The values as a NumPy array sharing memory (refused while the tensor requires grad,
    as the array would escape the graph unnoticed)."""
    if a.requires_grad:
        raise RuntimeError("can't call numpy() on a tensor that requires grad: use detach()")
    return backend.to_host(a.data)


def as_array(a, dtype=None, copy=None):
    """``numpy.asarray(tensor)`` works as for PyTorch tensors (and is refused likewise)."""
    array = numpy(a)
    return array if dtype is None else array.astype(dtype, copy=False)


def tolist(a):
    return backend.to_host(a.data).tolist()


def representation(a) -> str:
    values = backend.numpy.array2string(
        backend.to_host(a.data),
        separator=", ",
        precision=4,
        floatmode="maxprec_equal",
        prefix="tensor(",  # rows after the first line up under the first, as in PyTorch
    )
    extra = "" if a.data.dtype in ("float32", "int64", "bool") else f", dtype={a.dtype}"
    if a.grad_fn is not None:
        extra += f", grad_fn=<{a.grad_fn.name()}>"
    elif a.requires_grad:
        extra += ", requires_grad=True"
    return f"tensor({values}{extra})"
