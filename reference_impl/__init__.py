"""A small, readable NumPy autograd engine with PyTorch's documented semantics.

Read it top to bottom; each module imports only those above it:

1. ``backend``: the array namespace, NumPy or CuPy; ``random``: the global generator;
2. ``core``: tensors, graph nodes and the backward pass;
3. ``function``: the kit every op is built with (``record``, operands, type promotion);
4. ``inplace``: views and in-place writes (version counters, ``CopySlices``);
5. ``views``: shape changes and indexing; ``ops``: every other op, forward beside gradient;
   ``conversions``: dtypes, devices, and values read back (item, numpy, repr);
6. ``methods``: the tensor's method table, attached to ``Tensor``;
7. ``creation``, ``functional`` and ``nn`` (layers and losses), ``optim``, ``data``,
   ``autograd`` (Jacobians).
"""

from . import methods  # noqa: F401, I001  (first: it attaches the Tensor methods)
from . import autograd, data, functional, nn, optim
from .core import Tensor, enable_grad, is_grad_enabled, no_grad
from .creation import (
    arange,
    from_numpy,
    full,
    ones,
    rand,
    randint,
    randn,
    tensor,
    zeros,
)
from .random import manual_seed

# dtype names, spelled as PyTorch's (torch.float32); tensors report them as strings
float32, float64, int64 = "float32", "float64", "int64"

__all__ = [
    "Tensor",
    "arange",
    "float32",
    "float64",
    "int64",
    "autograd",
    "data",
    "enable_grad",
    "from_numpy",
    "full",
    "functional",
    "is_grad_enabled",
    "manual_seed",
    "nn",
    "no_grad",
    "ones",
    "optim",
    "rand",
    "randint",
    "randn",
    "tensor",
    "views",
    "zeros",
]
