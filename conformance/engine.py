"""The engine contract: what an adapter provides so that specs can drive an autograd engine.

Specs talk to an engine through two surfaces:

* this :class:`Engine` class — construction of tensors, functions, layers, losses, optimisers and
  datasets, each method tagged with the capability it belongs to;
* the *tensor protocol* — the tensors those methods return support PyTorch's names for operators
  and methods (see :data:`TENSOR_PROTOCOL`). Engines whose tensors use other names wrap them.

An adapter subclasses :class:`Engine`, sets ``name``, ``version``, ``devices`` and
``capabilities``, and implements the methods of the capabilities it declares. Methods of
undeclared capabilities are never called. ``docs/contract.md`` is generated from this module
(``python -m conformance contract``), so the docstrings below are the documentation.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

Tensor = Any  # an engine's own tensor type, following TENSOR_PROTOCOL
Module = Any  # callable layer with parameters(), train(), eval(), zero_grad()
Optimizer = Any  # object with step() and zero_grad()
Dataset = Any  # object with len() and integer indexing returning a tuple of tensors

# The tensor protocol: members every engine tensor has, by capability.
TENSOR_PROTOCOL: dict[str, str] = {
    "tensor.core": "shape (tuple-like), item() (a Python float for a one-element float tensor); "
    "operators + - * / ** and unary -, with tensors and Python numbers on either side, "
    "broadcasting as in NumPy",
    "tensor.ops": "sum(), mean(), add(x), pow(n), square(), exp(), log(), abs(), sqrt(), "
    "reshape(*shape), indexing with integers and slices",
    "tensor.matmul": "a @ b, a.mm(b), a.t()",
    "tensor.inplace": "abs_(), add_(x), sub_(x), mul_(x), zero_() modify the tensor and return it",
    "autograd.backward": "requires_grad, is_leaf, grad (None until a backward pass reaches it), "
    "backward(gradient=None, retain_graph=False)",
    "autograd.retain_grad": "retain_grad()",
    "autograd.grad_fn": "grad_fn (None on leaves), grad_fn.next_functions: tuple of "
    "(node or None, int) pairs",
    "autograd.requires_grad_": "requires_grad_(True) returns the tensor itself",
    "autograd.detach": "detach()",
    "autograd.nonleaf_grad_warning": "reading grad of a non-leaf that did not call retain_grad() "
    "emits a warning (warnings.warn, any Warning subclass) and gives None",
    "nn.activations": "clamp(min=...)",
}


def provides(capability: str) -> Callable[[Callable], Callable]:
    """Tag an Engine method with the capability it belongs to (used to document the contract)."""

    def tag(method: Callable) -> Callable:
        method.capability = capability
        return method

    return tag


class Engine:
    """Base class of engine adapters. Subclass it, declare what you support, implement methods.

    The plugin makes one copy of the engine per requested device with :meth:`on_device`; methods
    create tensors on ``self.device``.
    """

    #: Short name used in test ids and reports (``--engine=NAME``).
    name: ClassVar[str] = "unnamed"
    #: Capabilities from :data:`conformance.capabilities.CAPABILITIES` this engine implements.
    capabilities: frozenset[str] = frozenset()
    #: The device this instance creates tensors on.
    device: str = "cpu"

    @property
    def version(self) -> str:
        """The engine's version string, shown in the report header."""
        return "unknown"

    @property
    def devices(self) -> tuple[str, ...]:
        """Devices usable right now on this machine (``"cpu"``, ``"cuda"``, ...)."""
        return ("cpu",)

    def device_unavailable_reason(self, device: str) -> str:
        """Why ``device`` is not among :attr:`devices`; shown in skip reasons."""
        return f"engine {self.name!r} offers devices {list(self.devices)}"

    def __repr__(self) -> str:
        return f"<engine {self.name} {self.version} on {self.device}>"

    def on_device(self, device: str) -> Engine:
        """A copy of this engine that creates tensors on ``device``."""
        clone = copy.copy(self)
        clone.device = device
        return clone

    # -- tensor.core ---------------------------------------------------------------------------
    @provides("tensor.core")
    def tensor(self, data, *, dtype: str = "float32", requires_grad: bool = False) -> Tensor:
        """A new leaf tensor from a number or nested lists, with dtype ``"float32"``/``"float64"``
        (integer data with dtype ``"int64"``)."""
        raise NotImplementedError

    @provides("tensor.core")
    def to_numpy(self, tensor: Tensor):
        """The tensor's values as a NumPy array on the host (no graph, no shared gradient)."""
        raise NotImplementedError

    @provides("tensor.core")
    def dtype_of(self, tensor: Tensor) -> str:
        """The tensor's dtype as a NumPy-style name: ``"float32"``, ``"float64"``, ``"int64"``."""
        raise NotImplementedError

    @provides("tensor.core")
    def zeros(self, *shape: int, dtype: str = "float32", requires_grad: bool = False) -> Tensor:
        """A leaf tensor of zeros."""
        raise NotImplementedError

    @provides("tensor.core")
    def ones(self, *shape: int, dtype: str = "float32", requires_grad: bool = False) -> Tensor:
        """A leaf tensor of ones."""
        raise NotImplementedError

    # -- tensor.numpy --------------------------------------------------------------------------
    @provides("tensor.numpy")
    def from_numpy(self, array) -> Tensor:
        """A tensor with the array's values and dtype."""
        raise NotImplementedError

    # -- random.manual_seed --------------------------------------------------------------------
    @provides("random.manual_seed")
    def manual_seed(self, seed: int) -> None:
        """Seed the engine's global random generator."""
        raise NotImplementedError

    @provides("random.manual_seed")
    def randn(self, *shape: int, requires_grad: bool = False) -> Tensor:
        """A leaf tensor of standard normal samples from the global generator."""
        raise NotImplementedError

    # -- autograd ------------------------------------------------------------------------------
    @provides("autograd.no_grad")
    def no_grad(self):
        """A context manager under which operations are not recorded."""
        raise NotImplementedError

    @provides("autograd.grad_fn")
    def grad_fn_name(self, node) -> str:
        """The name of a ``grad_fn`` node, e.g. ``"MulBackward0"`` or ``"AccumulateGrad"``."""
        return type(node).__name__

    @provides("autograd.jacobian")
    def jacobian(self, func: Callable[[Tensor], Tensor], inputs: Tensor) -> Tensor:
        """The Jacobian of ``func`` at ``inputs``: entry (i, j) is d out_i / d in_j."""
        raise NotImplementedError

    # -- nn.activations ------------------------------------------------------------------------
    @provides("nn.activations")
    def relu(self, x: Tensor) -> Tensor:
        """max(x, 0) element-wise; its gradient is 1 where x > 0 and 0 where x < 0."""
        raise NotImplementedError

    @provides("nn.activations")
    def tanh(self, x: Tensor) -> Tensor:
        """tanh(x) element-wise; its gradient is 1 - tanh(x)**2."""
        raise NotImplementedError

    @provides("nn.activations")
    def sigmoid(self, x: Tensor) -> Tensor:
        """1 / (1 + exp(-x)) element-wise."""
        raise NotImplementedError

    # -- nn.linear -----------------------------------------------------------------------------
    @provides("nn.linear")
    def linear(self, in_features: int, out_features: int, *, bias: bool = True) -> Module:
        """A fully connected layer with ``weight`` of shape (out, in) and ``bias`` of shape
        (out,), initialised from the global generator."""
        raise NotImplementedError

    @provides("nn.linear")
    def relu_layer(self) -> Module:
        """The ReLU activation as a layer."""
        raise NotImplementedError

    @provides("nn.linear")
    def sequential(self, *layers: Module) -> Module:
        """A layer applying ``layers`` in order."""
        raise NotImplementedError

    # -- nn.dropout ----------------------------------------------------------------------------
    @provides("nn.dropout")
    def dropout(self, p: float) -> Module:
        """A dropout layer (training mode when created): zeroes each element with probability
        ``p`` and scales the survivors by 1 / (1 - p); the identity in eval mode."""
        raise NotImplementedError

    # -- losses --------------------------------------------------------------------------------
    @provides("loss.mse")
    def mse_loss(self, prediction: Tensor, target: Tensor) -> Tensor:
        """Mean of squared differences."""
        raise NotImplementedError

    @provides("loss.cross_entropy")
    def cross_entropy(self, logits: Tensor, target: Tensor) -> Tensor:
        """Mean over the batch of -log softmax(logits)[target]; ``logits`` (N, K) or (K,),
        ``target`` int64 class indices (N,) or scalar."""
        raise NotImplementedError

    @provides("loss.bce")
    def bce_loss(self, probabilities: Tensor, target: Tensor) -> Tensor:
        """Mean binary cross-entropy of probabilities against 0/1 targets."""
        raise NotImplementedError

    @provides("loss.bce_with_logits")
    def bce_with_logits(self, logits: Tensor, target: Tensor) -> Tensor:
        """Mean binary cross-entropy of sigmoid(logits) against targets, computed stably."""
        raise NotImplementedError

    # -- optimisers ----------------------------------------------------------------------------
    @provides("optim.sgd")
    def sgd(
        self,
        params: Iterable[Tensor],
        *,
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> Optimizer:
        """PyTorch's SGD: g = grad + weight_decay * p; with momentum, b = momentum * b + g (b = g
        on the first step) and g = b; then p -= lr * g."""
        raise NotImplementedError

    @provides("optim.adam")
    def adam(
        self,
        params: Iterable[Tensor],
        *,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> Optimizer:
        """PyTorch's Adam: g = grad + weight_decay * p; m, v running moments; bias-corrected
        m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t); p -= lr * m_hat / (sqrt(v_hat)
        + eps)."""
        raise NotImplementedError

    # -- data ----------------------------------------------------------------------------------
    @provides("data.random_split")
    def tensor_dataset(self, *tensors: Tensor) -> Dataset:
        """A dataset whose item i is the tuple of ``tensor[i]`` for each tensor."""
        raise NotImplementedError

    @provides("data.random_split")
    def random_split(self, dataset: Dataset, lengths: Sequence[int], *, seed: int) -> list:
        """Disjoint random subsets of ``dataset`` with the given lengths, from a generator
        seeded with ``seed``. Each subset supports len() and indexing."""
        raise NotImplementedError

    @provides("data.random_split")
    def subset_indices(self, subset) -> list[int]:
        """The indices into the original dataset that a ``random_split`` subset holds."""
        raise NotImplementedError

    @provides("data.loader")
    def data_loader(
        self, dataset: Dataset, *, batch_size: int, shuffle: bool = False, drop_last: bool = False
    ) -> Iterable:
        """Iterate over ``dataset`` in batches: each batch a tuple of stacked tensors. With
        ``shuffle=True`` every pass over the loader (epoch) draws a fresh order from the global
        generator, so ``manual_seed`` before the pass makes the order reproducible."""
        raise NotImplementedError

    # -- data.subset ---------------------------------------------------------------------------
    @provides("data.subset")
    def subset(self, dataset: Dataset, indices: Sequence[int]) -> Dataset:
        """The dataset restricted to ``indices``: ``len`` is ``len(indices)`` and item k is
        ``dataset[indices[k]]`` (PyTorch's ``Subset``, R torch's ``dataset_subset``)."""
        raise NotImplementedError


def contract_methods() -> list[tuple[str, str, str]]:
    """(capability, method name, docstring) for every tagged Engine method, in source order."""
    return [
        (member.capability, name, (member.__doc__ or "").strip())
        for name, member in vars(Engine).items()
        if hasattr(member, "capability")
    ]
