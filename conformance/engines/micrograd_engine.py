"""The adapter for micrograd 0.1.0 (``pip install -e '.[engines]'``), Karpathy's scalar engine.

Loaded only when ``--engine=micrograd`` asks for it. micrograd's ``Value`` holds one Python number,
so this adapter declares no capability that needs tensors of rank >= 1; asking it for one raises
NotImplementedError, which a probing run reports as "absent". What micrograd does differently
from PyTorch is left as it is (evidence in docs/engines/micrograd.md):

* there is no ``requires_grad`` and no ``is_leaf``: every Value takes part in the graph;
* ``.grad`` starts at 0 (not None), is a Python number, and non-leaf Values keep theirs;
* ``backward()`` takes no arguments (no output gradient, no ``retain_graph``), never frees the
  graph, and adds to ``.grad`` on every call;
* the data stays a Python float (float64), whatever dtype is asked for;
* the only activation is ``relu``; there is no tanh, sigmoid or clamp.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
from micrograd.engine import Value

from conformance.adapter import Proxy, through, unwrap, wrap
from conformance.engine import Engine

# dtype=None: the number stays as the caller gave it, which is micrograd's own behaviour.
PYTHON_NUMBER: dict[str | None, Callable[[Any], Any]] = {
    "float32": float,
    "float64": float,
    "int64": int,
    None: lambda number: number,
}


class MicrogradValue(Proxy):
    wraps = Value
    translations = {
        # micrograd reads its number as the attribute .data; PyTorch as the method item().
        "item": lambda value: value.data,
    }


class MicrogradEngine(Engine):
    name = "micrograd"
    capabilities = frozenset(
        {"tensor.core", "tensor.float64", "autograd.backward", "autograd.accumulate"}
    )

    @property
    def version(self) -> str:
        from importlib.metadata import version

        return version("micrograd")

    # NotImplementedError is raised in the methods themselves: a probing run reports "absent".
    def tensor(self, data, *, dtype="float32", requires_grad=False):
        if not isinstance(data, numbers.Number):
            raise NotImplementedError(f"micrograd's Value holds one number, not {data!r}")
        # requires_grad has no counterpart: every micrograd Value is tracked.
        return wrap(Value(PYTHON_NUMBER[dtype](data)))

    def to_numpy(self, tensor):
        # A Value's number is .data; micrograd's .grad is itself a Python number (read as is,
        # the way the suite reads numbers).
        value = unwrap(tensor)
        return np.asarray(value.data if isinstance(value, Value) else value)

    def zeros(self, *shape, dtype="float32", requires_grad=False):
        if shape not in ((), ((),)):
            raise NotImplementedError(f"micrograd's Value holds one number; shape {shape}")
        return self.tensor(0, dtype=dtype)

    def ones(self, *shape, dtype="float32", requires_grad=False):
        if shape not in ((), ((),)):
            raise NotImplementedError(f"micrograd's Value holds one number; shape {shape}")
        return self.tensor(1, dtype=dtype)

    relu = through(Value.relu)
