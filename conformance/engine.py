"""The engine contract: what an adapter provides so that specs can drive an autograd engine.

Specs talk to an engine through two surfaces:

* this :class:`Engine` class — construction of tensors, functions, layers, losses, optimisers and
  datasets, each method tagged with the capability it belongs to;
* the *protocol* — the tensors, modules, optimisers and datasets those methods return support
  PyTorch's names for operators and members (see :data:`PROTOCOL`). Engines with other names
  wrap their objects with :mod:`conformance.adapter`.

An adapter subclasses :class:`Engine`, sets ``name``, ``version``, ``devices`` and
``capabilities``, and implements the methods of the capabilities it declares. Methods of
undeclared capabilities are never called. ``docs/contract.md`` is generated from this module
(``python -m conformance contract``), so the docstrings below are the documentation.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

Tensor = Any  # an engine's own tensor type, with the members of PROTOCOL
Module = Any  # a callable layer: the "module" members of PROTOCOL
Optimizer = Any  # the "optimizer" members of PROTOCOL
Dataset = Any  # the "dataset" members of PROTOCOL

#: What specs use of the objects an engine returns, by the capability that needs it:
#: capability -> {"kind.member": what it must do}. Kinds: ``tensor``; ``node`` (a ``grad_fn``);
#: ``module`` (from linear, relu_layer, sequential, dropout); ``optimizer`` (from sgd, adam);
#: ``dataset`` (from tensor_dataset, subset, random_split); ``loader`` (from data_loader).
#: Operators are named by their Python method: ``tensor.__add__`` is ``a + b``, ``__rmul__`` is
#: ``3 * a``. "a number" is a Python int or float; "a tensor" is one of the engine's tensors.
#: A test runs the catalogue on the reference engine through recording proxies and fails when a
#: spec uses a member not listed under a capability it requires, or when a listed member is used
#: by no spec (tests/test_contract_recording.py).
PROTOCOL: dict[str, dict[str, str]] = {
    "tensor.core": {
        "tensor.item": "item(): the value of a one-element tensor as a Python float",
        "tensor.__add__": "a + b, b a tensor (broadcast as in NumPy) or a number",
        "tensor.__sub__": "a - b, b a tensor or a number",
        "tensor.__rsub__": "number - a",
        "tensor.__mul__": "a * b, b a tensor or a number",
        "tensor.__rmul__": "number * a",
        "tensor.__truediv__": "a / b, b a tensor or a number",
        "tensor.__pow__": "a ** n, n a number",
        "tensor.__neg__": "-a",
    },
    "tensor.ops": {
        "tensor.sum": "sum(): the sum of all elements, a 0-d tensor",
        "tensor.mean": "mean(): the mean of all elements, a 0-d tensor",
        "tensor.add": "add(b): a + b, b a tensor",
        "tensor.pow": "pow(n): a ** n, n a number",
        "tensor.square": "square(): a ** 2",
        "tensor.exp": "exp(), element-wise",
        "tensor.log": "log(), element-wise natural logarithm",
        "tensor.abs": "abs(): a new tensor, the input unchanged",
        "tensor.sqrt": "sqrt(), element-wise",
        "tensor.reshape": "reshape(*shape) with ints, -1 allowed once",
        "tensor.__getitem__": "a[i], a[i, j] and slices, as in NumPy basic indexing",
    },
    "tensor.matmul": {
        "tensor.__matmul__": "a @ b for 1-D and 2-D tensors",
        "tensor.mm": "mm(b): the product of two 2-D tensors",
        "tensor.t": "t(): the transpose of a 2-D tensor",
    },
    "tensor.inplace": {
        "tensor.abs_": "abs_(): replaces the values by their absolute values, returns the tensor",
        "tensor.add_": "add_(b), b a tensor or a number: a += b in place, returns the tensor",
        "tensor.sub_": "sub_(b), b a tensor or a number: a -= b in place, returns the tensor",
        "tensor.mul_": "mul_(b), b a tensor or a number: a *= b in place, returns the tensor",
        "tensor.zero_": "zero_(): sets every element to 0 in place; specs call it on a .grad "
        "(x.grad.zero_()), so .grad is a tensor of the engine",
    },
    "autograd.backward": {
        "tensor.requires_grad": "requires_grad: a bool, True on leaves created with "
        "requires_grad=True and on results of operations with such an input",
        "tensor.is_leaf": "is_leaf: a bool, True for tensors not produced by a recorded operation",
        "tensor.grad": "grad: None until a backward pass reaches the tensor, then a tensor of "
        "the engine with the tensor's shape (read through Engine.to_numpy); a leaf that a "
        "backward pass does not reach may hold zeros of its shape instead of None",
        "tensor.backward": "backward(gradient=None, retain_graph=False): from a 0-d tensor "
        "without gradient; gradient (a tensor of the output's shape) for other outputs",
    },
    "autograd.retain_grad": {"tensor.retain_grad": "retain_grad(): keep this non-leaf's grad"},
    "autograd.grad_fn": {
        "tensor.grad_fn": "grad_fn: the node that produced the tensor; on a leaf None or the "
        "leaf's accumulation node (specs tell leaves by is_leaf)",
        "node.next_functions": "next_functions: a tuple of (node or None, int) pairs, one per "
        "input of the operation; a leaf input's node is its AccumulateGrad",
    },
    "autograd.requires_grad_": {
        "tensor.requires_grad_": "requires_grad_(True): switches tracking on, returns the tensor",
    },
    "autograd.detach": {"tensor.detach": "detach(): the same values outside the graph"},
    "nn.activations": {"tensor.clamp": "clamp(min=number): max(a, min) element-wise"},
    "nn.linear": {
        "module.__call__": "module(x): the layer applied to a tensor x of shape (N, in) or (in,)",
        "module.weight": "weight: a Linear layer's (out, in) weight, a leaf requiring grad",
        "module.bias": "bias: a Linear layer's (out,) bias, a leaf requiring grad",
        "module.parameters": "parameters(): an iterable of the layer's leaf tensors, weight "
        "before bias, layers of a Sequential in order",
    },
    "nn.dropout": {
        "module.__call__": "dropout(x): the layer applied to a tensor",
        "module.train": "train(): training mode (random zeroing), returns the module",
        "module.eval": "eval(): evaluation mode (the identity), returns the module",
    },
    "optim.sgd": {
        "optimizer.step": "step(): one update of every parameter from its .grad, in place",
        "optimizer.zero_grad": "zero_grad(): clears the parameters' gradients (None or 0)",
    },
    "optim.adam": {
        "optimizer.step": "step(): one update of every parameter from its .grad, in place",
        "optimizer.zero_grad": "zero_grad(): clears the parameters' gradients (None or 0)",
    },
    "data.dataset": {
        "dataset.__len__": "len(dataset): the number of items",
        "dataset.__getitem__": "dataset[i], i an int: a tuple of tensors, one per stored tensor",
    },
    "data.subset": {
        "dataset.__len__": "len(subset): the number of indices",
        "dataset.__getitem__": "subset[k]: the item dataset[indices[k]]",
    },
    "data.loader": {
        "loader.__iter__": "iter(loader): a pass over the data (an epoch), batches as tuples "
        "of tensors stacked along a new first axis",
    },
    # the property specs also put Python numbers on the left and tensors as exponents
    "properties.gradients": {
        "tensor.__radd__": "number + a",
        "tensor.__rtruediv__": "number / a",
        "tensor.__rpow__": "number ** a, for a positive number",
        "tensor.__pow__": "a ** b, b a tensor (broadcast as in NumPy) or a number",
        "tensor.add": "add(b), b a tensor or a number",
    },
}


def provides(capability: str) -> Callable[[Callable], Callable]:
    """Tag an Engine method with the capability it belongs to (used to document the contract)."""

    def tag(method: Callable) -> Callable:
        method.capability = capability  # type: ignore[attr-defined]  # a tag on the method
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

    def spec_scope(self) -> contextlib.AbstractContextManager:
        """A context the plugin enters around every spec (and its reproduction): for an engine
        that records operations only inside a scope (a tape), that scope. None by default."""
        return contextlib.nullcontext()

    # -- tensor.core ---------------------------------------------------------------------------
    @provides("tensor.core")
    def tensor(self, data, *, dtype: str = "float32", requires_grad: bool = False) -> Tensor:
        """A new leaf tensor from ``data``: a Python number (a 0-d tensor) or nested lists of
        numbers, with ``dtype`` ``"float32"`` (the default), ``"float64"`` or ``"int64"``
        (``dtype=None`` gives the engine's own default); ``requires_grad=True`` makes it a leaf
        that backward passes fill (False by default)."""
        raise NotImplementedError

    @provides("tensor.core")
    def to_numpy(self, tensor: Tensor):
        """The tensor's values as a NumPy array on the host, with the tensor's shape and dtype
        (no graph, no shared memory). Every value check reads tensors through this method."""
        raise NotImplementedError

    @provides("tensor.core")
    def zeros(self, *shape: int, dtype: str = "float32", requires_grad: bool = False) -> Tensor:
        """A leaf tensor of zeros of ``shape`` (ints; none for a 0-d tensor)."""
        raise NotImplementedError

    @provides("tensor.core")
    def ones(self, *shape: int, dtype: str = "float32", requires_grad: bool = False) -> Tensor:
        """A leaf tensor of ones of ``shape`` (ints; none for a 0-d tensor)."""
        raise NotImplementedError

    # -- tensor.numpy --------------------------------------------------------------------------
    @provides("tensor.numpy")
    def from_numpy(self, array) -> Tensor:
        """A tensor with a NumPy array's values, shape and dtype (float32, float64, int64)."""
        raise NotImplementedError

    # -- random.manual_seed --------------------------------------------------------------------
    @provides("random.manual_seed")
    def manual_seed(self, seed: int) -> None:
        """Seed the engine's global random generator."""
        raise NotImplementedError

    @provides("random.randn")
    def randn(self, *shape: int, requires_grad: bool = False) -> Tensor:
        """A leaf float32 tensor of ``shape`` of standard normal samples from the global
        generator (so, with ``random.manual_seed``, the same seed gives the same samples)."""
        raise NotImplementedError

    # -- random.randint ------------------------------------------------------------------------
    @provides("random.randint")
    def randint(self, low: int, high: int, n: int) -> Tensor:
        """A 1-d int64 tensor of ``n`` integers drawn uniformly from ``low`` .. ``high - 1``
        (PyTorch: ``torch.randint(low, high, (n,))``)."""
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
        """The Jacobian of ``func`` at ``inputs`` (a 1-D tensor): ``func`` is called with
        1-D tensors of the engine (it may index, reshape and multiply them, or be a module) and
        returns a 1-D tensor; the result, a tensor or NumPy array of shape (out, in), has entry
        (i, j) = d out_i / d in_j."""
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

    # -- nn.softmax ----------------------------------------------------------------------------
    @provides("nn.softmax")
    def softmax(self, x: Tensor, dim: int = -1) -> Tensor:
        """exp(x) normalised to sum to 1 along ``dim``, differentiable."""
        raise NotImplementedError

    # -- nn.linear -----------------------------------------------------------------------------
    @provides("nn.linear")
    def linear(self, in_features: int, out_features: int, *, bias: bool = True) -> Module:
        """A fully connected layer computing ``x @ weight.T + bias``, with ``weight`` of shape
        (out, in) and ``bias`` of shape (out,) (none with ``bias=False``), both leaves requiring
        grad, initialised as the engine initialises them (PyTorch's uniform +-1/sqrt(in) is a
        capability of its own, ``nn.linear_init``)."""
        raise NotImplementedError

    @provides("nn.linear")
    def relu_layer(self) -> Module:
        """The ReLU activation as a module (no parameters)."""
        raise NotImplementedError

    @provides("nn.linear")
    def sequential(self, *layers: Module) -> Module:
        """A module applying the modules ``layers`` in order; its ``parameters()`` are theirs,
        in order."""
        raise NotImplementedError

    # -- nn.dropout ----------------------------------------------------------------------------
    @provides("nn.dropout")
    def dropout(self, p: float) -> Module:
        """A dropout layer: in training mode zeroes each element with probability ``p`` and
        scales the survivors by 1 / (1 - p); the identity in eval mode. Specs call ``train()``
        or ``eval()`` on the layer or on a ``sequential`` holding it before using it, so the
        mode may be global to the engine (one switch for every module, flipped by either call)
        and a new layer may start in either mode."""
        raise NotImplementedError

    # -- losses --------------------------------------------------------------------------------
    @provides("loss.mse")
    def mse_loss(self, prediction: Tensor, target: Tensor) -> Tensor:
        """Mean of squared differences of two tensors of the same shape, a 0-d tensor. Specs
        pass batches, (N,) or (N, M) with N >= 1, never 0-d operands."""
        raise NotImplementedError

    @provides("loss.cross_entropy")
    def cross_entropy(self, logits: Tensor, target: Tensor) -> Tensor:
        """Mean over the batch of -log softmax(logits)[target]; ``logits`` (N, K), ``target``
        int64 class indices (N,): the only form specs pass (one row is a batch with N = 1)."""
        raise NotImplementedError

    @provides("loss.bce")
    def bce_loss(self, probabilities: Tensor, target: Tensor) -> Tensor:
        """Mean binary cross-entropy of probabilities (a float tensor in (0, 1)) against float
        0/1 targets of the same shape, a 0-d tensor; specs pass batches, never 0-d operands."""
        raise NotImplementedError

    @provides("loss.bce_with_logits")
    def bce_with_logits(self, logits: Tensor, target: Tensor) -> Tensor:
        """Mean binary cross-entropy of sigmoid(logits) against float 0/1 targets of the same
        shape, computed stably (finite for logits of any size), a 0-d tensor; specs pass
        batches, never 0-d operands."""
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
        """SGD over ``params`` (a list of leaf tensors or ``module.parameters()``; numbers are
        Python floats): p -= lr * grad. ``momentum`` and ``weight_decay`` are passed only by
        specs of their own capabilities: ``optim.momentum`` (b = momentum * b + g, b = g on the
        first step, then g = b), ``optim.weight_decay`` (g = grad + weight_decay * p) or the
        documents' ``optim.weight_decay_penalty`` (g = grad + 2 weight_decay * p)."""
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
        """Adam over ``params`` (a list of leaf tensors or ``module.parameters()``): running
        means of each parameter's gradient and squared gradient scale its own step. The exact
        update (m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t), p -= lr * m_hat /
        (sqrt(v_hat) + eps)) is ``optim.adam_equations``; ``weight_decay`` is passed only by
        specs of ``optim.weight_decay`` (g = grad + weight_decay * p) or
        ``optim.weight_decay_penalty``."""
        raise NotImplementedError

    # -- data ----------------------------------------------------------------------------------
    @provides("data.dataset")
    def tensor_dataset(self, *tensors: Tensor) -> Dataset:
        """A dataset whose item i is the tuple of ``tensor[i]`` for each tensor."""
        raise NotImplementedError

    @provides("data.random_split")
    def random_split(self, dataset: Dataset, lengths: Sequence[int], *, seed: int) -> list:
        """Disjoint random subsets of ``dataset`` with the given lengths (counts summing to its
        size; with ``data.random_split_fractions`` also fractions summing to 1 as PyTorch takes
        them: floor(n * f) each, then one more item to the first parts in turn until all n are
        used), from a generator seeded with ``seed``. Each subset supports len() and indexing."""
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
        ``shuffle=True`` every pass over the loader (epoch) draws a fresh order (that
        ``manual_seed`` before the pass makes it reproducible is ``random.manual_seed``)."""
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
