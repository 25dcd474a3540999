"""A small, readable NumPy autograd engine with PyTorch's documented semantics.

Read it in this order: ``core`` (tensors, the graph and the backward pass), ``ops`` (each
operation's forward and gradient), ``functional`` and ``nn`` (layers and losses built from ops),
``optim``, ``data``, ``autograd`` (Jacobians).
"""

from reference_impl import ops  # noqa: F401, I001  (first: attaches the operators to Tensor)
from reference_impl import autograd, data, functional, nn, optim
from reference_impl.core import Tensor, no_grad, tensor
from reference_impl.random import manual_seed

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
