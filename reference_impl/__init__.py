"""A small, readable NumPy autograd engine with PyTorch's documented semantics.

Read it in this order: ``core`` (tensors, the graph and the backward pass), ``ops`` (each operation's
forward and gradient), ``functional`` and ``nn`` (layers and losses built from ops), ``optim``,
``data``, ``autograd`` (Jacobians).
"""

from reference_impl import ops  # noqa: F401  (attaches the operators and methods to Tensor)
from reference_impl import autograd, data, functional, nn, optim
from reference_impl.random import manual_seed
from reference_impl.core import Tensor, no_grad, tensor

__all__ = [
    "Tensor",
    "autograd",
    "data",
    "functional",
    "manual_seed",
    "nn",
    "no_grad",
    "optim",
    "tensor",
]
