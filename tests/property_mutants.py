"""Mutant engines that only the property chapters (specs/test_properties_*.py) catch: the
reference engine with one planted bug each, of the kinds a point example at one input misses,
and an engine that differentiates numerically.

``property_only`` says that no spec of the worked-example chapters fails on the mutant (checked
by tests/test_property_mutants.py), so the property chapters are what rejects it.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from unittest import mock

import numpy as np

from conformance.engines.reference_engine import ReferenceEngine
from conformance.reference_impl import (
    backend,
    core,
    data,
    function,
    functional,
    nn,
    ops,
    optim,
)
from conformance.reference_impl.core import Tensor
from tests.mutants import Mutant, adapter, op, unreached_leaves_given


@dataclass(frozen=True)
class PropertyMutant(Mutant):
    property_only: bool = True


# -- wrong gradients of single ops --------------------------------------------------------------
def exp_grad_of_magnitude(a):
    out = np.exp(a.data)  # the gradient taken as exp(|x|): right for x >= 0 only
    return function.record(
        "ExpBackward0", out, (a,), lambda g, y: (g * np.maximum(y, 1 / y),), keep_output=True
    )


def exp_grad_by_float64_differences(a):
    """exp's gradient as a float64 central difference with step cbrt(eps): right to about 1e-11
    relative, exact to float32 but not to float64."""
    out = np.exp(a.data)
    h = float(np.finfo(np.float64).eps) ** (1 / 3)

    def grad(g, x):
        x = x.astype(np.float64)
        return ((g * (np.exp(x + h) - np.exp(x - h)) / (2 * h)).astype(out.dtype),)

    return function.record("ExpBackward0", out, (a,), grad, (a,))


def log_grad_times_input(a):
    out = np.log(a.data)
    return function.record("LogBackward0", out, (a,), lambda g, x: (g * x,), (a,))


def abs_grad_without_sign(a):
    return function.record("AbsBackward0", abs(a.data), (a,), lambda g, x: (g + 0 * x,), (a,))


def rsub_without_sign(a, b):
    """number - a with the gradient g instead of -g: the subtracted tensor is the second operand."""
    b = function.operand(b, a)
    if isinstance(b, Tensor):
        return ops.sub(b, a)
    x, y = function.promote(a, b)
    return function.record("RsubBackward1", y - x, (a,), lambda g: (g,))


def div_denominator_missing_square(a, b):
    b = function.operand(b, a)
    x, y = function.promote(a, b, floating=True)
    saved = (b, ops.needed(b, a))

    def grad(g, y, x):
        return g / y, None if x is None else -g * x / y  # d(a/b)/db is -a / b**2

    return function.record("DivBackward0", x / y, (a, b), grad, saved)


# -- wrong forwards with the derivative of the wrong function: only the float64 oracle sees them
def rsub_operands_swapped(a, b):
    """number - a computed as a - number (the reflected operator taken as the plain one); its
    gradient is the right one for a - number, so finite differences of the forward agree."""
    return ops.sub(a, b)


def mse_over_rows(prediction, target):
    """sum / len(rows), differentiated consistently."""
    terms = (prediction - target) ** 2
    return terms.sum() / (terms.shape[0] if terms.ndim else 1)


def accumulate_arrays_in_float32(tensor, grad):
    """Gradients of rank >= 1 stored in float32 whatever the leaf's dtype (0-d ones keep it)."""
    ACCUMULATE(tensor, grad.astype(np.float32) if grad.ndim else grad)


ACCUMULATE = core.accumulate


def accumulate_widened_after_float16(tensor, grad):
    """Gradients stored in float64, the values rounded through float16 on the way: a wider dtype
    hiding a loss of accuracy (the gradient dtype is not checked, its values are)."""
    ACCUMULATE(tensor, grad.astype(np.float16).astype(np.float64))


def accumulate_twice_into_non_leaves(tensor, grad):
    if tensor.grad_fn is not None and tensor._grad is not None:  # a retained non-leaf
        ACCUMULATE(tensor, 2 * grad)
    else:
        ACCUMULATE(tensor, grad)


def bce_grad_not_divided(probabilities, target, reduction="mean"):
    target = functional.as_tensor(target, probabilities)
    p, y = probabilities.data, target.data
    terms = -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log1p(-p), -100))

    def backward(g, p, y):  # the mean's 1/n forgotten
        logs = np.maximum(np.log1p(-p), -100) - np.maximum(np.log(p), -100)
        return g * (p - y) / np.maximum((1 - p) * p, 1e-12), g * logs

    return function.record(
        "BinaryCrossEntropyBackward0",
        terms.mean(),
        (probabilities, target),
        backward,
        (probabilities, target),
    )


# -- stateful rules -----------------------------------------------------------------------------
def adam_update_sharing_the_step(self, g, state):
    """Adam whose step counter lives on the optimiser, counted once per parameter update."""
    self.shared_step = getattr(self, "shared_step", 0) + 1
    beta1, beta2 = self.betas
    step = self.shared_step
    m, v = state.get("m", 0 * g), state.get("v", 0 * g)
    state["m"] = m = m + (g - m) * (1 - beta1)
    state["v"] = v = v * beta2 + (1 - beta2) * g * g
    denominator = v**0.5 / (1 - beta2**step) ** 0.5 + self.eps
    return self.lr / (1 - beta1**step) * m / denominator


def iterate_dropping_last_when_shuffled(self):
    n = len(self.dataset)
    order = ORDER(self, n)
    for start in range(0, n, self.batch_size):
        chunk = order[start : start + self.batch_size]
        if len(chunk) < self.batch_size and (self.drop_last or self.shuffle):
            return
        yield data.collate([self.dataset[i] for i in chunk])


def ORDER(loader, n):  # noqa: N802 (the loader's order, as the reference computes it)
    if loader.shuffle:
        generator = loader.generator or data.random.generator(loader.seed)
        return generator.permutation(n).tolist()
    return list(range(n))


def train_one_level(self, mode=True):
    """train()/eval() reaching a container's own layers but not the layers of nested ones."""
    self.training = mode
    for child in self.children():
        child.training = mode
    return self


def linear_with_zero_bias(
    self, in_features, out_features, bias=True, device="cpu", dtype="float32"
):
    LINEAR_INIT(self, in_features, out_features, bias=bias, device=device, dtype=dtype)
    if self.bias is not None:
        self.bias = nn.Parameter(np.zeros(out_features, dtype=dtype))


LINEAR_INIT = nn.Linear.__init__


# -- a gradient where none flowed --------------------------------------------------------------


# -- an engine that differentiates numerically --------------------------------------------------
DIFFERENTIABLE_METHODS = (
    "__add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__ __rtruediv__ __neg__ "
    "__pow__ __rpow__ __matmul__ __getitem__ add sub mul div neg pow mm matmul exp log sqrt abs "
    "tanh sigmoid relu clamp square sum mean reshape t"
).split()
DIFFERENTIABLE_FUNCTIONS = (
    "relu tanh sigmoid mse_loss cross_entropy bce_loss bce_with_logits".split()
)


def numerically(original, name: str):
    """``original`` with its gradient replaced by central differences of its own forward
    values, in the operand's dtype, step cbrt(eps) * max(1, |x|): what an engine without
    reverse-mode rules computes."""

    def forward(*args, **kwargs):
        with core.no_grad():
            out = original(*args, **kwargs)
        if not core.is_grad_enabled() or not isinstance(out, Tensor):
            return out
        inputs = tuple(a for a in args if isinstance(a, Tensor) and a.requires_grad)
        if not inputs:
            return out
        # held in a namespace: the node refuses arrays and tensors closed over directly
        held = types.SimpleNamespace(args=args, kwargs=kwargs)

        def differences(g):
            grads = []
            for tensor in inputs:
                x = tensor.data
                grad = np.zeros(x.shape, dtype=x.dtype)
                h0 = float(np.finfo(x.dtype).eps) ** (1 / 3)
                for j in np.ndindex(x.shape):
                    h = h0 * max(1.0, abs(float(x[j])))
                    values = []
                    for sign in (1, -1):
                        moved = x.copy()
                        moved[j] = x[j] + sign * h
                        swapped = [Tensor(moved) if a is tensor else a for a in held.args]
                        with core.no_grad():
                            values.append(original(*swapped, **held.kwargs).data)
                    grad[j] = np.sum(backend.to_host(g) * (values[0] - values[1])) / (2 * h)
                grads.append(grad)
            return tuple(grads)

        return function.record(name, out.data, inputs, differences)

    return forward


def numeric_engine_patches():
    patches = [
        mock.patch.object(Tensor, method, numerically(getattr(Tensor, method), method))
        for method in DIFFERENTIABLE_METHODS
    ]
    patches += [
        mock.patch.object(
            ReferenceEngine, name, staticmethod(numerically(getattr(ReferenceEngine, name), name))
        )
        for name in DIFFERENTIABLE_FUNCTIONS
    ]
    return patches


# -- random_split at counts and fractions -----------------------------------------------------
def sizes_with_remainder_last(lengths, n):
    """Fractions floored, and every item left over given to the last part."""
    if lengths and all(isinstance(x, float) for x in lengths):
        sizes = [int(n * fraction) for fraction in lengths]
        sizes[-1] += n - sum(sizes)
        return sizes
    return list(lengths)


RANDOM_SPLIT = data.random_split


def random_split_dropping_empty_parts(dataset, lengths, seed=None, generator=None):
    """A requested part of length 0 is left out of the result."""
    parts = RANDOM_SPLIT(dataset, lengths, seed=seed, generator=generator)
    return [part for part in parts if len(part)]


PROPERTY_MUTANTS = [
    PropertyMutant(
        "exp_grad_of_magnitude",
        "exp's gradient taken as exp(|x|), wrong for negative x",
        ("properties.grad_tensor_ops[reference-cpu-exp]", "properties.exact_curvature"),
        lambda: op("exp", exp_grad_of_magnitude),
    ),
    PropertyMutant(
        "exp_grad_by_float64_differences",
        "exp's gradient is a float64 central difference: exact in float32, not in float64",
        ("properties.exact_curvature",),
        lambda: op("exp", exp_grad_by_float64_differences),
        property_only=False,  # autograd.exact_not_numerical catches it too
    ),
    PropertyMutant(
        "log_grad_times_input",
        "log's gradient computed as g * x instead of g / x",
        ("properties.grad_tensor_ops[reference-cpu-log]",),
        lambda: op("log", log_grad_times_input),
    ),
    PropertyMutant(
        "abs_grad_without_sign",
        "abs passes the gradient unchanged, without sign(x)",
        ("properties.grad_tensor_ops[reference-cpu-abs]", "properties.exact_near_kinks"),
        lambda: op("absolute", abs_grad_without_sign),
    ),
    PropertyMutant(
        "rsub_second_operand_positive",
        "number - a gives a, the second operand, the gradient +g instead of -g",
        ("properties.grad_arithmetic[reference-cpu-rsub_number]",),
        lambda: op("rsub", rsub_without_sign),
    ),
    PropertyMutant(
        "div_denominator_missing_square",
        "a / b gives b the gradient -g a / b instead of -g a / b**2",
        ("properties.grad_arithmetic[reference-cpu-div]",),
        lambda: op("div", div_denominator_missing_square),
    ),
    PropertyMutant(
        "float64_leaves_get_float32_grads",
        "gradients of rank >= 1 are stored in float32 whatever the leaf's dtype",
        ("properties.grad_arithmetic[reference-cpu-mul]",),
        lambda: [mock.patch.object(core, "accumulate", accumulate_arrays_in_float32)],
    ),
    PropertyMutant(
        "bce_grad_not_divided",
        "BCE's value is a mean but its gradient is not divided by n",
        ("properties.grad_bce",),
        lambda: adapter("bce_loss", bce_grad_not_divided),
    ),
    PropertyMutant(
        "adam_step_shared",
        "Adam counts one step per parameter update on the optimiser, shared by all parameters",
        ("properties.adam_steps",),
        lambda: [mock.patch.object(optim.Adam, "update", adam_update_sharing_the_step)],
    ),
    PropertyMutant(
        "shuffled_loader_drops_last",
        "a shuffling DataLoader drops the last partial batch",
        ("properties.loader_partitions_every_epoch",),
        lambda: [
            mock.patch.object(data.DataLoader, "__iter__", iterate_dropping_last_when_shuffled)
        ],
    ),
    PropertyMutant(
        "eval_not_reaching_nested_children",
        "train()/eval() on a container reach its own layers, not those of nested containers",
        ("properties.dropout_modes_through_containers",),
        lambda: [mock.patch.object(nn.Module, "train", train_one_level)],
    ),
    PropertyMutant(
        "linear_bias_left_zero",
        "Linear initialises its weight but leaves the bias at zero",
        ("properties.linear_init_bounds",),
        lambda: [mock.patch.object(nn.Linear, "__init__", linear_with_zero_bias)],
    ),
    PropertyMutant(
        "retained_grad_counted_twice",
        "a second backward adds twice its gradient to a retained non-leaf's .grad",
        # graph.retained_grad_accumulates, the worked example of accumulation into a retained
        # non-leaf, catches it too
        ("properties.accumulation_sequences", "graph.retained_grad_accumulates"),
        lambda: [mock.patch.object(core, "accumulate", accumulate_twice_into_non_leaves)],
        property_only=False,
    ),
    PropertyMutant(
        "finite_difference_engine",
        "every op's gradient is computed by central differences of its forward values",
        # exact sums fail first: basics.add_backward then blocks the specs that build on it
        ("basics.add_backward",),
        numeric_engine_patches,
        property_only=False,
    ),
    PropertyMutant(
        "random_split_remainder_to_last",
        "random_split by fractions gives every left-over item to the last part",
        ("properties.random_split_fractions",),
        lambda: [mock.patch.object(data, "_sizes", sizes_with_remainder_last)],
    ),
    PropertyMutant(
        "random_split_drops_empty_parts",
        "random_split leaves a part of length 0 out of its result",
        ("properties.random_split_partitions",),
        lambda: [mock.patch.object(data, "random_split", random_split_dropping_empty_parts)],
    ),
    PropertyMutant(
        "unreached_leaf_gets_ones",
        "a tracked leaf that backward did not reach gets a gradient of ones",
        ("properties.graphs_match_reference",),
        lambda: unreached_leaves_given(np.ones_like),
    ),
    PropertyMutant(
        "grads_widened_after_float16",
        "gradients are float64 arrays but only as accurate as float16",
        ("properties.grad_arithmetic[reference-cpu-mul]", "properties.graphs_match_reference"),
        lambda: [mock.patch.object(core, "accumulate", accumulate_widened_after_float16)],
        property_only=False,
    ),
    PropertyMutant(
        "rsub_forward_swapped",
        "number - tensor computes tensor - number, with that function's gradient",
        ("properties.grad_arithmetic[reference-cpu-rsub_number]",),
        lambda: op("rsub", rsub_operands_swapped),
    ),
    PropertyMutant(
        "mse_forward_over_rows",
        "MSE divides by the number of rows, with that function's gradient",
        ("properties.grad_mse", "loss.mse_mean_over_all_elements"),
        lambda: adapter("mse_loss", mse_over_rows),
        property_only=False,
    ),
]
