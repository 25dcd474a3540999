"""The array namespace: NumPy on the CPU, CuPy on a CUDA device when it is installed.

All array math in the engine goes through the namespace of the arrays involved (``namespace``),
or of the device a new tensor is made on (``for_device``), so the same engine code runs on
either device. CuPy is imported on first use of ``"cuda"``, never when the engine is imported.
"""

from __future__ import annotations

import functools

import numpy

#: The dtype of new floating-point tensors, as PyTorch's default dtype.
DEFAULT_FLOAT = numpy.dtype("float32")
DEFAULT_INT = numpy.dtype("int64")


@functools.cache
def _cupy():
    """The cupy module, or the reason it cannot be used, as a (module, problem) pair."""
    try:
        import cupy
    except Exception as error:  # ImportError, or a CUDA runtime error raised while importing
        return None, f"CuPy is not installed ({error}); pip install cupy-cuda12x on a GPU machine"
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None, "CuPy found no CUDA device"
    except Exception as error:  # no driver, no device
        return None, f"CuPy cannot reach a CUDA device ({error})"
    return cupy, None


def cuda_problem() -> str | None:
    """Why CUDA cannot be used here, or None when it can."""
    return _cupy()[1]


def namespace(array):
    """numpy or cupy, whichever owns ``array``."""
    if array.__class__ is numpy.ndarray or _cupy.cache_info().currsize == 0:
        return numpy  # the common case first; no cupy array can exist before cupy is loaded
    cupy = _cupy()[0]
    return cupy if cupy is not None and isinstance(array, cupy.ndarray) else numpy


def for_device(device: str):
    """The namespace that makes arrays on ``device`` ("cpu", "cuda" or "cuda:N")."""
    device = str(device)
    if device == "cpu":
        return numpy
    if device.startswith("cuda"):
        cupy, problem = _cupy()
        if cupy is not None:
            return cupy
        raise RuntimeError(f"device {device!r} is not available: {problem}")
    raise RuntimeError(f"unknown device {device!r}: use 'cpu' or 'cuda'")


def device_of(array) -> str:
    return "cpu" if namespace(array) is numpy else "cuda"


def scatter_add(target, index, values):
    """target[index] += values, where repeated indices each add their share."""
    if namespace(target) is numpy:
        numpy.add.at(target, index, values)
    else:
        import cupyx  # only reached with CuPy arrays, so CuPy is installed

        cupyx.scatter_add(target, index, values)


def quiet():
    """IEEE results (inf, nan) without NumPy's warnings, as PyTorch gives them."""
    return numpy.errstate(all="ignore")


def to_host(array) -> numpy.ndarray:
    """A NumPy array with the values of ``array`` (the array itself when already on the host)."""
    return numpy.asarray(array) if namespace(array) is numpy else array.get()


def to_namespace(array, xp):
    """``array`` in the namespace ``xp``: itself when already there, else a copy through host
    memory (CuPy never mixes host and device arrays in one operation)."""
    return array if namespace(array) is xp else xp.asarray(to_host(array))


def is_array(value) -> bool:
    """Whether ``value`` is a NumPy or CuPy array (NumPy scalars and lists are not)."""
    return value.__class__ is numpy.ndarray or namespace(value) is not numpy


def dtype(name) -> numpy.dtype:
    """A dtype from a name ("float32", "float64", "int64", "bool") or a NumPy dtype."""
    return numpy.dtype(name)
