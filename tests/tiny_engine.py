"""A tiny NumPy autograd engine and variants of it, for the harness's own tests.

The plugin tests run small spec files against these engines instead of the reference engine, so
that a bug in ``reference_impl`` cannot make a test of the harness fail, and every behaviour the
harness has (skips, device handling, blocking) can be provoked on purpose. The engine implements
just enough for those spec files: ``+ - * / **``, unary minus, ``sum()`` and ``backward()``.
"""

from __future__ import annotations

import numpy as np

from conformance.adapter import Proxy, unwrap, wrap
from conformance.engine import Engine

DTYPES = {"float32": np.float32, "float64": np.float64, "int64": np.int64}


class TinyTensor:
    """An array with a gradient: ``parents`` pairs each input with the function that maps this
    tensor's gradient to that input's share of it."""

    def __init__(self, data, *, requires_grad=False, parents=()):
        self.data = np.asarray(data)
        self.requires_grad = requires_grad or any(p.requires_grad for p, _ in parents)
        self.parents = parents
        self.grad = None

    @property
    def shape(self):
        return self.data.shape

    @property
    def is_leaf(self):
        return not self.parents

    def item(self):
        return self.data.item()

    def __repr__(self):
        return f"TinyTensor({self.data!r})"

    def _result(self, data, *parents):
        return TinyTensor(data.astype(self.data.dtype), parents=parents)

    def __add__(self, other):
        other = lift(other, self)
        return self._result(self.data + other.data, (self, lambda g: g), (other, lambda g: g))

    __radd__ = __add__

    def __neg__(self):
        return self._result(-self.data, (self, lambda g: -g))

    def __sub__(self, other):
        return self + (-lift(other, self))

    def __rsub__(self, other):
        return lift(other, self) + (-self)

    def __mul__(self, other):
        other = lift(other, self)
        return self._result(
            self.data * other.data,
            (self, lambda g: g * other.data),
            (other, lambda g: g * self.data),
        )

    __rmul__ = __mul__

    def __truediv__(self, other):
        other = lift(other, self)
        return self * other**-1

    def __pow__(self, exponent):
        return self._result(
            self.data**exponent, (self, lambda g: g * exponent * self.data ** (exponent - 1))
        )

    def sum(self):
        return self._result(self.data.sum(), (self, lambda g: np.broadcast_to(g, self.shape)))

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:  # iterative depth-first search for a topological order
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((parent, False) for parent, _ in node.parents)
        grads = {id(self): np.ones_like(self.data)}
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None or not node.requires_grad:
                continue
            if node.is_leaf:
                node.grad = TinyTensor(g if node.grad is None else node.grad.data + g)
            for parent, vjp in node.parents:
                grads[id(parent)] = grads.get(id(parent), 0) + vjp(g)


def lift(value, like: TinyTensor) -> TinyTensor:
    return value if isinstance(value, TinyTensor) else TinyTensor(like.data.dtype.type(value))


class TinyEngine(Engine):
    """A correct engine for the spec files the plugin tests write."""

    name = "tiny"
    capabilities = frozenset({"tensor.core", "tensor.ops", "autograd.backward"})

    @property
    def version(self):
        return "0.0.1"

    def tensor(self, data, *, dtype="float32", requires_grad=False):
        return TinyTensor(np.asarray(data, dtype=DTYPES[dtype]), requires_grad=requires_grad)

    def to_numpy(self, tensor):
        return np.array(tensor.data)

    def dtype_of(self, tensor):
        return str(tensor.data.dtype)

    def zeros(self, *shape, dtype="float32", requires_grad=False):
        return self.tensor(np.zeros(shape), dtype=dtype, requires_grad=requires_grad)

    def ones(self, *shape, dtype="float32", requires_grad=False):
        return self.tensor(np.ones(shape), dtype=dtype, requires_grad=requires_grad)


class TwoDeviceEngine(TinyEngine):
    """Declares a second device, "cuda"; its arrays stay in host memory, but each tensor records
    the device it was made for, so a test can see that the spec ran on it."""

    name = "tinytwo"

    @property
    def devices(self):
        return ("cpu", "cuda")

    def tensor(self, data, **options):
        created = super().tensor(data, **options)
        created.device = self.device
        return created


class TensorsOnlyEngine(TinyEngine):
    """Declares no autograd: every spec that needs a backward pass must be skipped."""

    name = "tinytensors"
    capabilities = frozenset({"tensor.core", "tensor.ops"})


class BrokenTensorEngine(TinyEngine):
    """Cannot create a tensor at all."""

    name = "tinybrokentensor"

    def tensor(self, data, **options):
        raise RuntimeError("tensor creation is broken")


class BrokenAddBackwardEngine(TinyEngine):
    """Forward values are right, but the gradient of an addition is dropped for both inputs."""

    name = "tinybrokenadd"

    def tensor(self, data, *, dtype="float32", requires_grad=False):
        return _ZeroAddGradient(np.asarray(data, dtype=DTYPES[dtype]), requires_grad=requires_grad)


class _ZeroAddGradient(TinyTensor):
    def _result(self, data, *parents):
        return _ZeroAddGradient(data.astype(self.data.dtype), parents=parents)

    def __add__(self, other):
        other = lift(other, self)
        return self._result(self.data + other.data, (self, np.zeros_like), (other, np.zeros_like))

    __radd__ = __add__


class SgdDeclaredEngine(TinyEngine):
    """Declares SGD without implementing it (the Engine base's NotImplementedError)."""

    name = "tinysgd"
    capabilities = TinyEngine.capabilities | {"optim.sgd"}


class UnknownCapabilityEngine(TinyEngine):
    name = "tinytelepathy"
    capabilities = frozenset({"tensor.core", "autograd.telepathy"})


class BothReadingsEngine(TinyEngine):
    """Declares both sides of a disagreement between the documents and PyTorch."""

    name = "tinybothreadings"
    capabilities = TinyEngine.capabilities | {"optim.weight_decay", "optim.weight_decay_penalty"}


class NamelessEngine(TinyEngine):
    name = ""


def make_tiny() -> Engine:
    """A plain function returning an engine is a valid factory too."""
    return TinyEngine()


def raising_factory():
    raise ValueError("no licence key")


def not_an_engine():
    return object()


class ScopedRecordingEngine(TinyEngine):
    """Creates tensors only inside its recording scope, as an engine with a tape does; the
    scope is what ``spec_scope()`` returns, which the plugin enters around every spec."""

    name = "tinyscoped"
    recording = False

    def spec_scope(self):
        import contextlib

        @contextlib.contextmanager
        def tape():
            self.recording = True
            try:
                yield
            finally:
                self.recording = False

        return tape()

    def tensor(self, data, *, dtype="float32", requires_grad=False):
        if not self.recording:
            raise RuntimeError("no tape is open: operations are recorded only inside one")
        return super().tensor(data, dtype=dtype, requires_grad=requires_grad)


class KitTensor(Proxy):
    """TinyTensor under the adapter kit (conformance.adapter), which has no ``@``."""

    wraps = TinyTensor


class KitEngine(TinyEngine):
    """The tiny engine with its tensors wrapped by the adapter kit."""

    name = "tinykit"

    def tensor(self, data, *, dtype="float32", requires_grad=False):
        return wrap(super().tensor(data, dtype=dtype, requires_grad=requires_grad))

    def to_numpy(self, tensor):
        return super().to_numpy(unwrap(tensor))
