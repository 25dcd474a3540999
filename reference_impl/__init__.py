"""A small, readable NumPy autograd engine with PyTorch's documented semantics.

Read it in this order: ``core`` (tensors, the graph and the backward pass), ``ops`` (each
operation's forward and gradient), ``views`` (shapes and indexing), ``functional`` and ``nn``
(layers and losses), ``optim``, ``data``, ``autograd`` (Jacobians). ``backend`` picks NumPy or
CuPy, ``creation`` makes tensors.
"""

from reference_impl import ops, views  # noqa: F401, I001  (first: they attach Tensor methods)
from reference_impl import autograd, data, functional, nn, optim
from reference_impl.core import Tensor, enable_grad, is_grad_enabled, no_grad
from reference_impl.creation import (
    arange,
    from_numpy,
    full,
    ones,
    rand,
    randn,
    tensor,
    zeros,
)
from reference_impl.random import manual_seed

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
    "randn",
    "tensor",
    "views",
    "zeros",
]
