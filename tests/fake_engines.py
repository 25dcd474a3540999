"""Engines built for the harness's own tests: each differs from the reference engine in one way."""

from __future__ import annotations

from conformance.engine import Engine
from conformance.engines.reference_engine import ReferenceEngine


class TwoDeviceEngine(ReferenceEngine):
    """Declares a second device ("cuda"); its tensors still live in host memory."""

    name = "twodevice"

    @property
    def devices(self):
        return ("cpu", "cuda")

    def tensor(self, data, *, dtype="float32", requires_grad=False):
        on_cpu = self.on_device("cpu")
        return ReferenceEngine.tensor(on_cpu, data, dtype=dtype, requires_grad=requires_grad)


class TensorsOnlyEngine(ReferenceEngine):
    """Declares only the tensor capabilities: every autograd spec must be skipped."""

    name = "tensorsonly"
    capabilities = frozenset({"tensor.core", "tensor.ops"})


class BrokenTensorEngine(ReferenceEngine):
    """Cannot create a tensor at all."""

    name = "brokentensor"

    def tensor(self, data, **options):
        raise RuntimeError("tensor creation is broken")


class BrokenBackwardEngine(ReferenceEngine):
    """Tensors work, but every backward pass raises."""

    name = "brokenbackward"

    def tensor(self, data, **options):
        created = super().tensor(data, **options)
        if options.get("requires_grad"):
            return _NoBackward(created)
        return created


class _NoBackward:
    """Wraps a tensor: arithmetic works on the wrapped tensor, backward() raises."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def __add__(self, other):
        return _NoBackward(self.inner + (other.inner if isinstance(other, _NoBackward) else other))

    def backward(self, *args, **kwargs):
        raise RuntimeError("backward is broken")


class UnknownCapabilityEngine(ReferenceEngine):
    name = "unknowncapability"
    capabilities = frozenset({"tensor.core", "autograd.telepathy"})


class NamelessEngine(ReferenceEngine):
    name = ""


def raising_factory():
    raise ValueError("no licence key")


def not_an_engine():
    return object()


def reference_factory() -> Engine:
    """A plain function returning an engine is a valid factory too."""
    return ReferenceEngine()
