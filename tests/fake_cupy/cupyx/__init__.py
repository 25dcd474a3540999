"""The one ``cupyx`` function the engine uses, for the CuPy stand-in beside it (tests only)."""

from __future__ import annotations

import cupy
import numpy


def scatter_add(target, index, values):
    """target[index] += values, each repeated index adding its share; ``target`` and
    ``values`` must be device arrays (or ``values`` a scalar), as in cupyx."""
    if not isinstance(target, cupy.ndarray):
        raise TypeError(f"scatter_add: the target must be a device array, not {type(target)}")
    cupy._refuse_host("cupyx.scatter_add", (values,))
    numpy.add.at(target._values, cupy._unwrap(index), cupy._unwrap(values))
