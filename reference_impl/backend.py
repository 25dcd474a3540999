"""The array namespace: NumPy on the CPU, CuPy on a CUDA device when it is installed.

All array math in the engine goes through the namespace of the arrays involved, so the same code
runs on either device.
"""

from __future__ import annotations

import numpy

try:  # CuPy is optional: without it (or without a GPU) "cuda" is simply not a device.
    import cupy
except Exception:  # ImportError, or a CUDA runtime error raised while importing
    cupy = None

ARRAY_TYPES = (numpy.ndarray,) if cupy is None else (numpy.ndarray, cupy.ndarray)
DTYPES = {"float32": numpy.float32, "float64": numpy.float64, "int64": numpy.int64}


def cuda_problem() -> str | None:
    """Why CUDA cannot be used here, or None when it can."""
    if cupy is None:
        return "CuPy is not installed (pip install cupy-cuda12x on a machine with a GPU)"
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return "CuPy found no CUDA device"
    except Exception as error:  # no driver, no device
        return f"CuPy cannot reach a CUDA device ({error})"
    return None


def namespace(array):
    """numpy or cupy, whichever owns ``array``."""
    if cupy is not None and isinstance(array, cupy.ndarray):
        return cupy
    return numpy


def for_device(device: str):
    if device == "cpu":
        return numpy
    if device.startswith("cuda") and cuda_problem() is None:
        return cupy
    raise RuntimeError(f"device {device!r} is not available: {cuda_problem() or 'unknown device'}")


def device_of(array) -> str:
    return "cuda" if namespace(array) is not numpy else "cpu"


def to_host(array) -> numpy.ndarray:
    return array.get() if namespace(array) is not numpy else numpy.asarray(array)
