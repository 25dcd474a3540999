"""Conversions between dtypes and devices: ``to`` and its short forms (``float()``,
``double()``, ``long()``, ``bool()``, ``cpu()``, ``cuda()``)."""

from __future__ import annotations

from reference_impl import backend
from reference_impl.core import Tensor
from reference_impl.function import record


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
