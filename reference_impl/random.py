"""The global random generator: ``manual_seed`` makes every random draw reproducible.

Draws are made on the host by NumPy's generator, whatever the device; callers copy them to the
device through the array namespace (``xp.asarray``), never mix them in as host arrays. A seed so
gives the same values on the CPU and on CUDA, for one copy per draw."""

from __future__ import annotations

import numpy

_generator = numpy.random.default_rng(0)


def manual_seed(seed: int) -> numpy.random.Generator:
    """Reseed the global generator (random tensors, Linear initialisation, dropout masks,
    shuffling) and return it."""
    global _generator
    _generator = numpy.random.default_rng(seed)
    return _generator


def generator(seed: int | None = None) -> numpy.random.Generator:
    """A generator of its own for ``seed``, else the global one."""
    return _generator if seed is None else numpy.random.default_rng(seed)
