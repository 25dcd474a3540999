"""``reference_impl.autograd``: PyTorch's ``torch.autograd`` entry points that go beyond
``Tensor.backward``; for now ``functional.jacobian`` (also importable as ``autograd.jacobian``)."""

from . import functional
from .functional import jacobian

__all__ = ["functional", "jacobian"]
