"""The fixed vocabulary of capabilities an engine can declare and a spec can require.

A capability names one documented behaviour family. Specs require capabilities; an engine that
does not declare one gets a skip whose reason names it, never a failure. Each capability is also a
pytest marker of the same name, so ``-m "optim.adam"`` selects the Adam specs.

``tensor.core`` is required by every spec implicitly: without creating a tensor and reading it
back, nothing can be checked.
"""

from __future__ import annotations

CAPABILITIES: dict[str, str] = {
    # tensors
    "tensor.core": "create tensors from nested lists (float32 default), read them back as NumPy",
    "tensor.float64": "create and compute in float64",
    "tensor.numpy": "convert NumPy arrays to tensors and back without changing values or dtype",
    "tensor.ops": "element-wise arithmetic, pow, exp, log, abs, reductions (sum, mean), reshape",
    "tensor.matmul": "matrix products (``@`` and ``mm``)",
    "tensor.inplace": "in-place methods with a trailing underscore (``abs_``, ``sub_``, ...)",
    # autograd
    "autograd.backward": "reverse-mode ``backward()`` from a scalar, gradients stored in ``.grad``",
    "autograd.leaf_only_grad": "``.grad`` is filled on leaves only; non-leaf ``.grad`` stays None",
    "autograd.retain_grad": "``retain_grad()`` keeps the gradient of a non-leaf tensor",
    "autograd.graph_freed": "a second backward through a freed graph raises",
    "autograd.retain_graph": "``backward(retain_graph=True)`` allows another backward pass",
    "autograd.accumulate": "gradients add up across backward calls until zeroed",
    "autograd.no_grad": "operations under ``no_grad()`` are not recorded",
    "autograd.scalar_backward": "``backward()`` on a non-scalar without an output gradient raises",
    "autograd.grad_fn": "results carry a ``grad_fn`` with ``next_functions``",
    "autograd.grad_fn_names": "``grad_fn`` nodes carry PyTorch's names (MulBackward0, ...)",
    "autograd.inplace_checks": "in-place changes that would corrupt a gradient raise",
    "autograd.jacobian": "``jacobian(f, x)`` of a vector function",
    "autograd.requires_grad_": "``requires_grad_()`` turns tracking on after creation",
    "autograd.detach": "``detach()`` returns a tensor outside the graph",
    "autograd.nonleaf_grad_warning": "reading ``.grad`` of a non-leaf that does not retain its "
    "gradient emits a warning",
    # functions and layers
    "nn.activations": "relu, tanh, sigmoid, clamp as differentiable functions",
    "nn.linear": "``Linear`` layers, ``Sequential`` containers and Module parameters",
    "nn.dropout": "``Dropout`` with train/eval modes",
    # losses
    "loss.mse": "mean squared error",
    "loss.cross_entropy": "cross-entropy from logits and class indices",
    "loss.bce": "binary cross-entropy on probabilities",
    "loss.bce_with_logits": "binary cross-entropy on logits (numerically stable form)",
    # optimisation
    "optim.sgd": "SGD optimiser: step and zero_grad",
    "optim.momentum": "SGD with momentum",
    "optim.weight_decay": "the optimiser's ``weight_decay`` option (L2 term added to the gradient)",
    "optim.adam": "Adam optimiser with bias correction",
    # data
    "data.random_split": "``random_split`` of a dataset into given lengths, seeded",
    "data.loader": "``DataLoader`` batching with batch size, shuffle and last partial batch",
    "data.subset": "a dataset restricted to a list of indices (``Subset``, R's ``dataset_subset``)",
    # randomness
    "random.manual_seed": "``manual_seed`` makes random tensors and dropout masks reproducible",
}

IMPLICIT = frozenset({"tensor.core"})


def unknown(names) -> list[str]:
    """The names in ``names`` that are not in the vocabulary, sorted."""
    return sorted(set(names) - CAPABILITIES.keys())
