"""The reference engine behind recording proxies: which contract members each spec touches.

``--engine=tests.contract_recorder:RecordingEngine`` runs the catalogue on the reference engine
with every engine method, tensor, grad_fn node, module, optimiser, dataset and loader wrapped by
the adapter kit; each member a running spec reads (``x.grad``, ``x + 1``, ``model.parameters``,
``engine.sgd``) is recorded in :data:`TOUCHED` with that spec's id and capabilities.
"""

from __future__ import annotations

import functools

from conformance import reference_impl as ref
from conformance.adapter import _OPERATORS, Proxy, unwrap, wrap
from conformance.engine import contract_methods
from conformance.engines.reference_engine import ReferenceEngine
from conformance.expect import running
from conformance.reference_impl import core, data, nn, optim

#: (spec id, its capabilities, "kind.member") for every touch while a spec runs.
TOUCHED: set[tuple[str, frozenset[str], str]] = set()
#: (spec id, Engine method, number of positional arguments, keyword names) for every call.
CALLS: set[tuple[str, str, int, tuple[str, ...]]] = set()
ENGINE_METHODS = {name for _, name, _ in contract_methods()}


def record(kind: str, member: str) -> None:
    spec = running.get().spec
    if spec is not None:
        TOUCHED.add((spec.id, spec.capabilities, f"{kind}.{member}"))


#: What a spec does with tensors that no member names, as pseudo-members of the capabilities
#: that are about it: a tensor of rank >= 1 (tensor.arrays), a float64 one (tensor.float64).
STATES = {"state.arrays": "tensor.arrays", "state.float64": "tensor.float64"}


def record_states(value) -> None:
    """Record the states of the tensors in ``value`` (a result handed to a spec)."""
    for item in value if isinstance(value, list | tuple) else (value,):
        native = getattr(item, "native", None)
        if isinstance(native, core.Tensor):
            if native.data.ndim >= 1:
                record("state", "arrays")
            if native.data.dtype == "float64":
                record("state", "float64")


def _recording(name: str):
    method = getattr(Proxy, name)

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        record(self.kind, name)
        record_states(self)
        result = method(self, *args, **kwargs)
        record_states(result)
        return result

    return call


class Recording(Proxy):
    kind = "object"

    def __getattr__(self, name):
        if not name.startswith("__"):
            record(self.kind, name)
        record_states(self)
        found = super().__getattr__(name)
        if callable(found) and not isinstance(found, Proxy):
            method = found

            def called(*args, **kwargs):
                result = method(*args, **kwargs)
                record_states(result)
                return result

            return called
        record_states(found)
        return found

    def __setattr__(self, name, value):
        record(self.kind, name)
        super().__setattr__(name, value)


SPECIAL = [f"__{n}__" for n in _OPERATORS] + [
    "__getitem__", "__setitem__", "__len__", "__iter__", "__call__", "__float__", "__int__",
    "__bool__", "__index__", "__enter__",
]  # fmt: skip
for _special in SPECIAL:
    setattr(Recording, _special, _recording(_special))


class RecordedTensor(Recording):
    wraps = core.Tensor
    kind = "tensor"


class RecordedNode(Recording):
    wraps = (core.Node, core.AccumulateGrad)
    kind = "node"


class RecordedModule(Recording):
    wraps = nn.Module
    kind = "module"


class RecordedOptimizer(Recording):
    wraps = optim.Optimizer
    kind = "optimizer"


class RecordedDataset(Recording):
    wraps = data.Dataset
    kind = "dataset"


class RecordedLoader(Recording):
    wraps = data.DataLoader
    kind = "loader"


def _native_argument(value):
    """Unwrap proxies; a spec's callable (jacobian's ``f``) is given proxies and its result
    unwrapped, so what it touches is recorded too."""
    if callable(value) and not isinstance(value, Proxy | type):
        return lambda *args: unwrap(value(*wrap(args)))
    return unwrap(value)


class RecordingEngine(ReferenceEngine):
    name = "recording"

    def __getattribute__(self, name):
        member = super().__getattribute__(name)
        if name not in ENGINE_METHODS:
            return member
        record("engine", name)

        def call(*args, **kwargs):
            spec = running.get().spec
            if spec is not None:
                CALLS.add((spec.id, name, len(args), tuple(sorted(kwargs))))
            args = [_native_argument(a) for a in args]
            kwargs = {k: _native_argument(v) for k, v in kwargs.items()}
            result = wrap(member(*args, **kwargs))
            record_states(result)
            return result

        return call


assert ref  # the package is imported so that its classes above are the ones the engine returns
