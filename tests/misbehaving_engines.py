"""Engines that misbehave the way broken engines do: they raise, return the wrong kind of object,
hang, or end the interpreter. The suite must survive each one with a correct verdict and a
message that says what happened (see ``tests/test_misbehaving.py``).

Engines that need nothing to work subclass :class:`conformance.Engine` and claim every
capability (PyTorch's side of each disagreement, as one engine can follow only one), so that
every spec of that reading runs against them; the others break one part of the reference
engine and keep the rest.
"""

from __future__ import annotations

import contextlib
import os
import signal

import numpy as np

from conformance.capabilities import pytorch_like
from conformance.engine import Engine, contract_methods
from conformance.engines.reference_engine import ReferenceEngine


class EngineFault(RuntimeError):
    """What the engines here raise, so a test can tell their errors from the harness's own."""


def _every_method_raises(engine_class: type[Engine]) -> type[Engine]:
    """Replace every method of the engine contract with one that raises EngineFault."""

    def broken(name: str):
        def method(self, *args, **kwargs):
            raise EngineFault(f"{name}() is not working in this engine")

        method.__name__ = name
        return method

    for _, name, _ in contract_methods():
        setattr(engine_class, name, broken(name))
    return engine_class


@_every_method_raises
class EveryOpRaisesEngine(Engine):
    """Claims every capability; every method, tensor creation included, raises."""

    name = "everyopraises"
    capabilities = pytorch_like()


class StringTensorsEngine(Engine):
    """Returns the tensor's printed form, a ``str``, where a tensor is expected."""

    name = "stringtensors"
    capabilities = pytorch_like()

    def tensor(self, data, **options):
        return f"tensor({data})"

    def to_numpy(self, tensor):
        return tensor.numpy()  # what an adapter for a real engine would do


class ListTensorsEngine(Engine):
    """Returns Python lists for tensors: they read back, but as float64, and ``+`` joins them."""

    name = "listtensors"
    capabilities = pytorch_like()

    def tensor(self, data, **options):
        return data

    def to_numpy(self, tensor):
        return np.asarray(tensor)

    def dtype_of(self, tensor):
        return str(np.asarray(tensor).dtype)


class WrongShapesEngine(ReferenceEngine):
    """Every tensor gains a leading axis of length 1."""

    name = "wrongshapes"

    def tensor(self, data, **options):
        return super().tensor([data], **options)


class HangingEngine(Engine):
    """Tensor creation never returns: an infinite loop in Python code."""

    name = "hanging"
    capabilities = pytorch_like()

    def tensor(self, data, **options):
        while True:
            pass


class DeafHangingEngine(HangingEngine):
    """Hangs with SIGALRM blocked, as native code that masks signals can: pytest-timeout's
    signal method cannot interrupt it, only its thread method (which ends the process)."""

    name = "deafhanging"

    def tensor(self, data, **options):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        while True:
            pass


class SegfaultEngine(Engine):
    """Tensor creation kills the interpreter the way a faulty C extension does."""

    name = "segfault"
    capabilities = pytorch_like()

    def tensor(self, data, **options):
        self.die()

    def die(self):
        os.kill(os.getpid(), signal.SIGSEGV)


class AbortEngine(SegfaultEngine):
    """Tensor creation aborts the process (a failed assertion in native code)."""

    name = "abort"

    def die(self):
        os.abort()


class ExitEngine(SegfaultEngine):
    """Tensor creation ends the process without any cleanup or report."""

    name = "exit"

    def die(self):
        os._exit(3)


class SegfaultInJacobianEngine(ReferenceEngine):
    """A working engine except that computing a Jacobian kills the interpreter."""

    name = "segfaultjacobian"

    def jacobian(self, func, inputs):
        os.kill(os.getpid(), signal.SIGSEGV)


@contextlib.contextmanager
def reference_tensors_without(member: str):
    """The reference engine with its tensors lacking ``member`` (``mean``): the way an adapter
    for an engine without that method behaves. A failure it causes belongs to the capability
    that documents the member, not to every capability whose specs happen to call it."""
    from conformance.reference_impl import core

    saved = vars(core.Tensor)[member]
    delattr(core.Tensor, member)
    try:
        yield
    finally:
        setattr(core.Tensor, member, saved)
