"""``reference_impl.autograd``: PyTorch's ``torch.autograd`` entry points that go beyond
``Tensor.backward``; for now ``functional.jacobian`` (also importable as ``autograd.jacobian``)."""

from reference_impl.autograd import functional
from reference_impl.autograd.functional import jacobian

__all__ = ["functional", "jacobian"]
