"""Mutant engines: the reference engine with one realistic, planted bug each.

Each mutant names the specs that must catch it. A mutant is applied by patching one piece of
``reference_impl`` (or of its adapter) for the duration of a ``with mutant.applied():`` block,
so mutants never leak into each other or into the correct engine.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from unittest import mock

import numpy as np

from conformance.capabilities import documents_only, pytorch_like
from conformance.engines.reference_engine import ReferenceEngine
from conformance.reference_impl import (
    autograd,
    conversions,
    core,
    creation,
    data,
    function,
    functional,
    inplace,
    methods,
    nn,
    ops,
    optim,
    views,
)
from conformance.reference_impl.core import Node, Tensor


@dataclass(frozen=True)
class Mutant:
    name: str
    bug: str
    catches: tuple[str, ...]  # spec ids that must fail (an id may carry a "[param]" suffix)
    patches: Callable[[], list]  # the mock.patch objects that plant the bug

    @contextlib.contextmanager
    def applied(self):
        with contextlib.ExitStack() as stack:
            for patch in self.patches():
                stack.enter_context(patch)
            yield


def op(name, replacement):
    """Patch ``ops.<name>`` and every Tensor method bound to it."""
    original = getattr(ops, name)
    patches = [mock.patch.object(ops, name, replacement)]
    patches += [
        mock.patch.object(Tensor, method, replacement)
        for method, bound in methods.METHODS.items()
        if bound is original
    ]
    return patches


def kit(name, replacement):
    """Patch ``function.<name>`` in the kit and in every module of the engine that uses it."""
    modules = (function, ops, views, conversions, functional)
    return [mock.patch.object(m, name, replacement) for m in modules if hasattr(m, name)]


def adapter(name, replacement):
    return [mock.patch.object(ReferenceEngine, name, staticmethod(replacement))]


def unreached_leaves_given(fill):
    """Backward gives every tracked leaf made since the last backward that it did not reach the
    gradient ``fill(leaf.data)``: zeros, as tape-based engines that allocate each tracked
    variable's gradient do (a legal variant), or ones (a mutant)."""
    tape = []
    make_leaf, run_backward = creation._leaf, core.run_backward

    def leaf(array, requires_grad):
        out = make_leaf(array, requires_grad)
        if requires_grad:
            tape.append(out)
        return out

    def backward(root, seed, retain_graph=False):
        run_backward(root, seed, retain_graph)
        for tensor in tape:
            if tensor._grad is None:
                tensor._grad = Tensor(fill(tensor.data))
        tape.clear()

    return [
        mock.patch.object(creation, "_leaf", leaf),
        mock.patch.object(core, "run_backward", backward),
    ]


# -- planted bugs ------------------------------------------------------------------------------
def relu_leaky(a):
    return function.record("ReluBackward0", a.data * (a.data > 0), (a,), lambda g: (g,))


def overwrite_grad(tensor, grad):
    tensor.grad = Tensor(grad.copy())


def record_and_keep_every_grad(name, data_, inputs, backward, saved=(), keep_output=False):
    out = RECORD(name, data_, inputs, backward, saved, keep_output)
    if out.grad_fn is not None:
        out.grad_fn.retained = out
    return out


RECORD = function.record


def backward_always_freeing(root, seed, retain_graph=False):
    RUN_BACKWARD(root, seed, retain_graph=False)


RUN_BACKWARD = core.run_backward


def backward_accepting_vectors(self, gradient=None, retain_graph=False):
    if gradient is None:
        gradient = np.ones(self.shape, dtype=self.data.dtype)
    BACKWARD(self, gradient, retain_graph)


BACKWARD = Tensor.backward


def mean_not_divided(a, dim=None, keepdim=False):
    shape = a.data.shape
    return function.record(
        "MeanBackward0",
        a.data.mean(axis=dim, keepdims=keepdim),
        (a,),
        lambda g: (ops._expand(g, shape, dim, keepdim),),
    )


def pow_off_by_one(a, exponent):
    return function.record(
        "PowBackward0",
        a.data**exponent,
        (a,),
        lambda g, x: (g * exponent * x**exponent,),
        saved=(a,),
    )


def tanh_without_square(a):
    out = np.tanh(a.data)
    return function.record(
        "TanhBackward0", out, (a,), lambda g, y: (g * (1 - y),), keep_output=True
    )


def sigmoid_grad_is_output(a):
    out = 1 / (1 + np.exp(-a.data))
    return function.record("SigmoidBackward0", out, (a,), lambda g, y: (g * y,), keep_output=True)


def matmul_missing_transpose(a, b):
    return function.record(
        "MmBackward0", a.data @ b.data, (a, b), lambda g, x, y: (g @ y, x.T @ g), saved=(a, b)
    )


def mul_old_name(a, b):
    b = function.as_tensor(b, a)
    return function.record(
        "MulBackward1", a.data * b.data, (a, b), lambda g, x, y: (g * y, g * x), saved=(a, b)
    )


def cross_entropy_naive(logits, target):
    if logits.ndim == 1:
        logits, target = logits.reshape(1, -1), target.reshape(1)
    probabilities = logits.exp() / logits.exp().sum(1, keepdim=True)
    rows = np.arange(logits.shape[0])
    return -probabilities.log()[rows, target.data].mean()


def bce_summed(p, y):
    y = function.as_tensor(y, p)
    return -(y * p.log() + (1 - y) * (1 - p).log()).sum()


def bce_with_logits_unstable(z, y):
    y = function.as_tensor(y, z)
    p = z.sigmoid()
    return -(y * p.log() + (1 - y) * (1 - p).log()).mean()


def dropout_unscaled(x, p, training=True, generator=None):
    if not training:
        return x
    keep = np.random.default_rng().random(x.shape) >= p
    return x * Tensor(keep.astype(x.data.dtype))


def dropout_keeping_p(x, p, training=True, generator=None):
    if not training:
        return x
    keep = np.random.default_rng().random(x.shape) < p  # keeps with probability p, not 1 - p
    return x * Tensor((keep / (1 - p)).astype(x.data.dtype))


def dropout_forward_ignoring_mode(self, x):
    return functional.dropout(x, self.p, training=True)


def dropout_grad_unmasked(x, p, training=True, generator=None):
    """Dropout's forward right, its gradient passed to every unit unscaled."""
    if not training:
        return x
    keep = np.random.default_rng().random(x.shape) >= p
    mask = (keep / (1 - p)).astype(x.data.dtype)
    return function.record("MulBackward0", x.data * mask, (x,), lambda g: (g,))


def exp_saturating(a):
    """exp clipped at the largest finite value instead of overflowing to inf."""
    with np.errstate(over="ignore"):
        out = np.minimum(np.exp(a.data), np.finfo(a.data.dtype).max)
    return function.record("ExpBackward0", out, (a,), lambda g, y: (g * y,), keep_output=True)


def train_this_module_only(self, mode=True):
    self.training = mode  # the layers inside a container keep their mode
    return self


def sgd_uphill(self, g, state):
    return -self.lr * g


def sgd_without_momentum(self, g, state):
    return self.lr * g


def step_with_decay(factor):
    """Optimizer.step with weight decay scaled by ``factor`` (0: ignored, 2: wrong convention)."""

    def step(self):
        with core.no_grad():
            for p, state in zip(self.params, self.state, strict=True):
                if p.grad is not None:
                    p.data -= self.update(p.grad.data + factor * self.weight_decay * p.data, state)

    return step


def adam_without_bias_correction(self, g, state):
    beta1, beta2 = self.betas
    state["m"] = beta1 * state.get("m", 0) + (1 - beta1) * g
    state["v"] = beta2 * state.get("v", 0) + (1 - beta2) * g * g
    return self.lr * state["m"] / (state["v"] ** 0.5 + self.eps)


def adam_one_scale_for_all(self, g, state):
    beta1, beta2 = self.betas
    step = state["step"] = state.get("step", 0) + 1
    state["m"] = beta1 * state.get("m", 0) + (1 - beta1) * g
    state["v"] = beta2 * state.get("v", 0) + (1 - beta2) * (g * g).mean()  # one for all
    m_hat, v_hat = state["m"] / (1 - beta1**step), state["v"] / (1 - beta2**step)
    return self.lr * m_hat / (v_hat**0.5 + self.eps)


def split_with(order_of):
    """random_split whose item order comes from ``order_of(n, seed)``."""

    def random_split(dataset, lengths, seed=None):
        order, parts, start = order_of(len(dataset), seed), [], 0
        for length in lengths:
            parts.append(data.Subset(dataset, order[start : start + length]))
            start += length
        return parts

    return random_split


def split_off_by_one(dataset, lengths, seed=None):
    order = np.random.default_rng(seed).permutation(len(dataset)).tolist()
    parts, start = [], 0
    for length in lengths:
        parts.append(data.Subset(dataset, order[start : start + length + 1]))  # one too many
        start += length + 1
    return parts


def loader_init_dropping_last(
    self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None
):
    LOADER_INIT(self, dataset, batch_size, shuffle, True, seed)


LOADER_INIT = data.DataLoader.__init__


def adopt_without_leaf_check(tensor, result):
    tensor.data[...] = result.data
    tensor._version += 1
    if result.grad_fn is not None:
        tensor.grad_fn, tensor.requires_grad = result.grad_fn, True
    return tensor


def adopt_recording_under_no_grad(tensor, result):
    """An in-place update under no_grad still gives a tracked leaf a history: it is no leaf
    any more, its old value the leaf behind it."""
    recorded = not core.is_grad_enabled() and tensor.requires_grad and tensor.is_leaf
    old = Tensor(tensor.data.copy(), requires_grad=True) if recorded else None
    ADOPT(tensor, result)
    if recorded:
        tensor.grad_fn = Node("SubBackward0", lambda g: (g,), (old,))
    return tensor


ADOPT = inplace.adopt


def apply_without_version_check(self, grad):
    if self.backward is None:
        raise RuntimeError("graph freed")
    return self.backward(grad, *[v.data if isinstance(v, Tensor) else v for v in self.saved])


def jacobian_transposed(func, inputs):
    j = JACOBIAN(func, inputs)
    return Tensor(j.data.T.copy())


JACOBIAN = autograd.jacobian


def linear_init_normal(self, in_features, out_features, bias=True, device="cpu"):
    rng = np.random.default_rng()
    self.weight = nn.Parameter(rng.standard_normal((out_features, in_features)).astype("float32"))
    self.bias = nn.Parameter(np.zeros(out_features, dtype="float32")) if bias else None


# -- bugs that only the documents' own specs see ----------------------------------------------
def declaring_the_documents_only():
    """The mutant declares what an engine following only the documents declares (no PyTorch
    convention), so the specs of the conventions, which would catch its bug too, do not run:
    the spec written for the documented behaviour is what must reject it."""
    kept = pytorch_like() & documents_only()
    return mock.patch.object(ReferenceEngine, "capabilities", kept)


def softmax_grad_summed_without_keepdims(a, dim):
    """The stable softmax, whose gradient drops the summed axis of (g * y).sum(dim): right for
    one row, broadcast against the wrong axis for a batch."""
    shifted = np.exp(a.data - a.data.max(axis=dim, keepdims=True))
    out = shifted / shifted.sum(axis=dim, keepdims=True)
    return function.record(
        "SoftmaxBackward0",
        out,
        (a,),
        lambda g, y: (y * (g - (g * y).sum(axis=dim)),),
        keep_output=True,
    )


def softmax_without_shift(a, dim):
    """e^z / sum e^z as written, overflowing for large logits (a bug for an engine declaring the
    stable convention; a legal variant for one that does not, tests/legal_variants.py)."""
    with np.errstate(over="ignore", invalid="ignore"):
        exp = np.exp(a.data)
        out = exp / exp.sum(axis=dim, keepdims=True)
    return function.record(
        "SoftmaxBackward0",
        out,
        (a,),
        lambda g, y: (y * (g - (g * y).sum(axis=dim, keepdims=True)),),
        keep_output=True,
    )


def record_flagging_no_grad_results(name, data_, inputs, backward, saved=(), keep_output=False):
    """Under no_grad nothing is recorded, but the result still says it requires grad."""
    out = RECORD(name, data_, inputs, backward, saved, keep_output)
    if not core.is_grad_enabled() and any(
        isinstance(t, Tensor) and t.requires_grad for t in inputs
    ):
        out.requires_grad = True
    return out


def accumulate_overwriting_non_leaves(tensor, grad):
    """Leaves add up; a retained non-leaf's .grad is replaced by each pass's gradient."""
    if tensor.grad_fn is not None:
        tensor.grad = None
    ACCUMULATE(tensor, grad)


ACCUMULATE = core.accumulate


def adam_memoryless(self, g, state):
    """Adam that keeps no history: each step is lr in the direction against this gradient."""
    return self.lr * g / (abs(g) + self.eps)


class LeafEdgesHidden:
    """A grad_fn as seen from outside the engine, with a leaf input's edge shown as None (as if
    the leaf were a constant): the chain stops one step before the leaves. The engine itself
    keeps the real edges, so gradients are unchanged."""

    def __init__(self, node):
        object.__setattr__(self, "_node", node)

    def __getattr__(self, name):
        return getattr(self._node, name)

    def __setattr__(self, name, value):
        setattr(self._node, name, value)

    @property
    def next_functions(self):
        return tuple(
            (None if node is None or isinstance(node, core.AccumulateGrad) else hide(node), i)
            for node, i in self._node.next_functions
        )


def hide(node):
    return node if node is None else LeafEdgesHidden(node)


GRAD_FN = Tensor.grad_fn


def grad_fn_hiding_leaf_edges():
    """Tensor.grad_fn read from outside ``reference_impl`` (by a spec or the adapter) gives the
    hiding view; the engine's own reads get the real node."""

    def read(self):
        node = GRAD_FN.fget(self)
        caller = sys._getframe(1).f_globals.get("__name__", "")
        return node if caller.startswith("conformance.reference_impl") else hide(node)

    return [mock.patch.object(Tensor, "grad_fn", property(read, GRAD_FN.fset))]


RANDINT = creation.randint


def randint_including_high(low, high, n):
    """randint whose upper bound is inclusive: randint(0, 2, n) also draws 2."""
    return RANDINT(low, high + 1, (n,))


# -- lucky passes: deviations that earlier examples could not tell apart ------------------------
def mse_mean_over_rows(prediction, target):
    """MSE as sum / len(rows): the mean over all elements only for 1-d operands."""
    terms = (prediction - target) ** 2
    rows = terms.shape[0] if terms.ndim else 1
    return terms.sum() / rows


def adam_eps_uncorrected(self, g, state):
    """The Adam paper's efficient form: bias correction folded into the step size, eps added to
    sqrt(v) rather than to sqrt(v_hat) (so eps is effectively eps / sqrt(1 - beta2**t))."""
    beta1, beta2 = self.betas
    step = state["step"] = state.get("step", 0) + 1
    state["m"] = beta1 * state.get("m", 0) + (1 - beta1) * g
    state["v"] = beta2 * state.get("v", 0) + (1 - beta2) * g * g
    step_size = self.lr * (1 - beta2**step) ** 0.5 / (1 - beta1**step)
    return step_size * state["m"] / (state["v"] ** 0.5 + self.eps)


def bce_mean_over_rows(p, y):
    y = function.as_tensor(y, p)
    terms = -(y * p.log() + (1 - y) * (1 - p).log())
    return terms.sum() / (terms.shape[0] if terms.ndim else 1)


def cross_entropy_summed(logits, target):
    return CROSS_ENTROPY(logits, target, reduction="sum")


CROSS_ENTROPY = functional.cross_entropy


def bce_with_logits_summed(z, y):
    y = function.as_tensor(y, z)
    return (z.clamp(min=0) - z * y + ((-z.abs()).exp() + 1).log()).sum()


def bce_with_logits_mean_over_rows(z, y):
    y = function.as_tensor(y, z)
    terms = z.clamp(min=0) - z * y + ((-z.abs()).exp() + 1).log()
    return terms.sum() / (terms.shape[0] if terms.ndim else 1)


def cross_entropy_mean_over_entries(logits, target):
    """-(onehot * log_softmax).mean(): divides by N * K, not by the batch size N."""
    rows = logits if logits.ndim > 1 else logits.reshape(1, -1)
    classes = np.atleast_1d(np.asarray(target.data))
    onehot = np.zeros(rows.shape, dtype=rows.data.dtype)
    onehot[np.arange(len(classes)), classes] = 1
    return -(Tensor(onehot) * functional.log_softmax(rows, 1)).mean()


def softmax_over_first_dim(self, x, dim=-1):
    return functional.softmax(x, 0)


def sgd_momentum_dampened(self, g, state):
    """Momentum as a running mean, b = m b + (1 - m) g (dampening = momentum), not b = m b + g."""
    if not self.momentum:
        return self.lr * g
    state["b"] = self.momentum * state.get("b", g) + (1 - self.momentum) * g
    return self.lr * state["b"]


def leaves_reached(root):
    """The leaves (AccumulateGrad variables) behind the node ``root``."""
    leaves, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, core.AccumulateGrad):
            leaves.append(node.variable)
        stack.extend(child for child, _ in node.next_functions)
    return leaves


def graph_clearing_without_version_check():
    """No version check, and backward frees every node that consumes a leaf it reached, in any
    graph (mygrad's behaviour): a refusal spec whose control step runs backward through the
    same leaf would then see the block raise "graph freed" and pass for the wrong reason."""
    consumers: dict[int, list] = {}

    def record(name, data_, inputs, backward, saved=(), keep_output=False):
        out = RECORD(name, data_, inputs, backward, saved, keep_output)
        if out.grad_fn is not None:
            for t in inputs:
                if isinstance(t, Tensor) and t.requires_grad and t.grad_fn is None:
                    consumers.setdefault(id(t), []).append(out.grad_fn)
        return out

    def run_backward(root, seed, retain_graph=False):
        leaves = leaves_reached(root) if root is not None else []
        RUN_BACKWARD(root, seed, retain_graph)
        if retain_graph:
            return
        for leaf in leaves:
            for node in consumers.get(id(leaf), []):
                node.free()

    return [
        *kit("record", record),
        mock.patch.object(core, "run_backward", run_backward),
        mock.patch.object(Node, "apply", apply_without_version_check),
    ]


MUTANTS = [
    Mutant(
        "relu_leaks_negative",
        "ReLU passes gradient 1 also where the input is negative",
        ("autograd.relu_grad",),
        lambda: op("relu", relu_leaky),
    ),
    Mutant(
        "grad_overwritten",
        "backward overwrites .grad instead of adding to it",
        ("autograd.accumulate", "graph.retain_graph", "graph.repeat_without_zeroing_doubles"),
        lambda: [mock.patch.object(core, "accumulate", overwrite_grad)],
    ),
    Mutant(
        "nonleaf_grad_filled",
        ".grad is filled on every tensor, not only leaves",
        ("graph.leaf_only_grad", "examples.book_intermediate_grads"),
        lambda: kit("record", record_and_keep_every_grad),
    ),
    Mutant(
        "retain_grad_ignored",
        "retain_grad() does nothing",
        ("graph.retain_grad", "examples.blog_graph_gradients"),
        lambda: [mock.patch.object(Tensor, "retain_grad", lambda self: None)],
    ),
    Mutant(
        "graph_never_freed",
        "the graph is never freed: a second backward silently works",
        ("graph.second_backward_raises",),
        lambda: [mock.patch.object(Node, "free", lambda self: None)],
    ),
    Mutant(
        "graph_freed_despite_retain",
        "retain_graph=True is ignored: the graph is freed",
        ("graph.retain_graph", "autograd.jacobian"),
        lambda: [mock.patch.object(core, "run_backward", backward_always_freeing)],
    ),
    Mutant(
        "nonscalar_backward_accepted",
        "backward() on a vector silently uses a ones gradient",
        ("graph.backward_needs_scalar",),
        lambda: [mock.patch.object(Tensor, "backward", backward_accepting_vectors)],
    ),
    Mutant(
        "no_grad_ignored",
        "operations under no_grad() are still recorded",
        ("autograd.no_grad",),
        lambda: [mock.patch.object(function, "is_grad_enabled", lambda: True)],
    ),
    Mutant(
        "mean_grad_not_divided",
        "mean's gradient is not divided by the element count",
        ("examples.mean_of_ones", "loss.mse_grad"),
        lambda: op("mean", mean_not_divided),
    ),
    Mutant(
        "pow_grad_off_by_one",
        "d(x**n)/dx computed as n * x**n",
        ("autograd.square_grad", "autograd.chain_rule"),
        lambda: op("power", pow_off_by_one),
    ),
    Mutant(
        "tanh_grad_without_square",
        "tanh's gradient computed as 1 - tanh(x)",
        ("autograd.tanh_grad",),
        lambda: op("tanh", tanh_without_square),
    ),
    Mutant(
        "sigmoid_grad_is_output",
        "sigmoid's gradient computed as sigmoid(x)",
        ("autograd.sigmoid_grad",),
        lambda: op("sigmoid", sigmoid_grad_is_output),
    ),
    Mutant(
        "broadcast_not_summed",
        "gradients of broadcast inputs are not summed back",
        ("examples.blog_graph_gradients",),
        lambda: [mock.patch.object(core, "unbroadcast", lambda grad, shape: grad)],
    ),
    Mutant(
        "matmul_grad_untransposed",
        "the gradient of a @ b for a misses b's transpose",
        ("autograd.matrix_grad",),
        lambda: op("matmul", matmul_missing_transpose),
    ),
    Mutant(
        "grad_fn_old_names",
        "every product node is named MulBackward1 (the book's name for a product with a number) "
        "while the engine declares today's names; tensor * tensor is MulBackward0 in both",
        ("examples.book_grad_fn_names", "examples.blog_grad_fn_chain"),
        lambda: op("mul", mul_old_name),
    ),
    Mutant(
        "cross_entropy_naive_softmax",
        "cross-entropy computes softmax first, overflowing",
        ("loss.cross_entropy_large_logits",),
        lambda: adapter("cross_entropy", cross_entropy_naive),
    ),
    Mutant(
        "bce_summed",
        "BCE sums the terms instead of averaging them",
        ("loss.bce_value",),
        lambda: adapter("bce_loss", bce_summed),
    ),
    Mutant(
        "bce_with_logits_unstable",
        "BCE-with-logits goes through log(sigmoid(z))",
        ("loss.bce_with_logits_stable",),
        lambda: adapter("bce_with_logits", bce_with_logits_unstable),
    ),
    Mutant(
        "dropout_unscaled",
        "dropout does not scale survivors by 1 / (1 - p)",
        ("regularisation.dropout_scaling", "regularisation.dropout_values"),
        lambda: [mock.patch.object(functional, "dropout", dropout_unscaled)],
    ),
    Mutant(
        "dropout_keeps_p",
        "dropout keeps each unit with probability p instead of 1 - p",
        ("regularisation.dropout_rate[reference-cpu-0.2]",),
        lambda: [mock.patch.object(functional, "dropout", dropout_keeping_p)],
    ),
    Mutant(
        "dropout_active_in_eval",
        "dropout keeps dropping units in eval mode",
        ("regularisation.dropout_eval_identity", "regularisation.dropout_values"),
        lambda: [mock.patch.object(nn.Dropout, "forward", dropout_forward_ignoring_mode)],
    ),
    Mutant(
        "sgd_uphill",
        "SGD adds lr * grad instead of subtracting it",
        # the SGD trace is a basic spec: the other SGD specs are blocked by it, not failed
        ("optim.sgd_trace",),
        lambda: [mock.patch.object(optim.SGD, "update", sgd_uphill)],
    ),
    Mutant(
        "momentum_ignored",
        "SGD ignores its momentum argument",
        ("optim.sgd_momentum",),
        lambda: [mock.patch.object(optim.SGD, "update", sgd_without_momentum)],
    ),
    Mutant(
        "weight_decay_ignored",
        "the optimisers ignore weight_decay",
        (
            "optim.sgd_weight_decay",
            "optim.adam_weight_decay",
            "regularisation.weight_decay_is_l2_penalty",
        ),
        lambda: [mock.patch.object(optim.Optimizer, "step", step_with_decay(0))],
    ),
    Mutant(
        "weight_decay_doubled",
        "weight_decay read as the documents' penalty (2 wd w in the gradient) while the engine "
        "declares PyTorch's convention (optim.weight_decay, wd w)",
        ("optim.sgd_weight_decay", "regularisation.weight_decay_is_l2_penalty"),
        lambda: [mock.patch.object(optim.Optimizer, "step", step_with_decay(2))],
    ),
    Mutant(
        "adam_without_bias_correction",
        "Adam skips the bias correction of its moments",
        # the documents' Adam has no bias correction: only PyTorch's equations catch it
        ("optim.adam_trace",),
        lambda: [mock.patch.object(optim.Adam, "update", adam_without_bias_correction)],
    ),
    Mutant(
        "adam_one_scale_for_all",
        "Adam scales every element's step by one second moment shared by the whole tensor",
        ("optim.adam_trace", "optim.adam_per_parameter_steps"),
        lambda: [mock.patch.object(optim.Adam, "update", adam_one_scale_for_all)],
    ),
    Mutant(
        "random_split_off_by_one",
        "random_split gives each part one item too many",
        ("data.random_split_sizes",),
        lambda: [mock.patch.object(data, "random_split", split_off_by_one)],
    ),
    Mutant(
        "random_split_overlapping",
        "random_split draws each part independently (overlaps)",
        ("data.random_split_sizes",),
        lambda: [
            mock.patch.object(
                data,
                "random_split",
                split_with(lambda n, seed: np.random.default_rng(seed).integers(0, n, n).tolist()),
            )
        ],
    ),
    Mutant(
        "random_split_unshuffled",
        "random_split cuts the dataset in its stored order",
        ("data.random_split_shuffles", "data.random_split_seeded"),
        lambda: [
            mock.patch.object(data, "random_split", split_with(lambda n, seed: list(range(n))))
        ],
    ),
    Mutant(
        "loader_drops_last",
        "the DataLoader always drops the last partial batch",
        ("data.loader_batches[reference-cpu-last-partial]",),
        lambda: [mock.patch.object(data.DataLoader, "__init__", loader_init_dropping_last)],
    ),
    Mutant(
        "inplace_leaf_allowed",
        "in-place changes of grad-requiring leaves are allowed",
        ("tensors.inplace_leaf_refused",),
        lambda: [mock.patch.object(inplace, "adopt", adopt_without_leaf_check)],
    ),
    Mutant(
        "inplace_version_unchecked",
        "backward uses saved values changed in place",
        ("tensors.inplace_saved_value_refused",),
        lambda: [mock.patch.object(Node, "apply", apply_without_version_check)],
    ),
    Mutant(
        "jacobian_transposed",
        "jacobian returns d in_j / d out_i (rows are inputs)",
        ("autograd.jacobian", "autograd.jacobian_linear"),
        lambda: [mock.patch.object(autograd, "jacobian", jacobian_transposed)],
    ),
    Mutant(
        "linear_init_standard_normal",
        "Linear weights start standard normal",
        ("layers.linear_init",),
        lambda: [mock.patch.object(nn.Linear, "__init__", linear_init_normal)],
    ),
    Mutant(
        "softmax_unshifted",
        "softmax exponentiates the raw logits, e^z / sum e^z, while the engine declares the "
        "stable convention",
        ("loss.softmax_stable",),
        lambda: op("softmax", softmax_without_shift),
    ),
    Mutant(
        "no_grad_results_flagged",
        "results computed under no_grad() say requires_grad True (nothing is recorded) while "
        "the engine declares PyTorch's flag convention",
        ("autograd.no_grad_result_flag",),
        lambda: kit("record", record_flagging_no_grad_results),
    ),
    Mutant(
        "retained_grad_overwritten",
        "a retained non-leaf's .grad is replaced by each backward pass instead of added to",
        ("graph.retained_grad_accumulates",),
        lambda: [mock.patch.object(core, "accumulate", accumulate_overwriting_non_leaves)],
    ),
    Mutant(
        "adam_memoryless",
        "Adam keeps no running means: every step is lr against the current gradient's sign "
        "(an engine following the documents only, so PyTorch's Adam equations do not run)",
        ("optim.adam_running_estimates",),
        lambda: [
            mock.patch.object(optim.Adam, "update", adam_memoryless),
            declaring_the_documents_only(),
        ],
    ),
    Mutant(
        "grad_fn_chain_stops_before_leaves",
        "next_functions shows a leaf input as None instead of its accumulator node (an engine "
        "following the documents only, so the node-name conventions do not run)",
        ("examples.grad_fn_chain_topology",),
        lambda: [*grad_fn_hiding_leaf_edges(), declaring_the_documents_only()],
    ),
    Mutant(
        "randint_high_inclusive",
        "randint(low, high, n) draws from low .. high, the upper bound included",
        ("data.randint_labels",),
        lambda: adapter("randint", randint_including_high),
    ),
    Mutant(
        "dropout_grad_unmasked",
        "dropout's gradient reaches every unit, unscaled, whatever the forward mask",
        ("regularisation.dropout_grad",),
        lambda: [mock.patch.object(functional, "dropout", dropout_grad_unmasked)],
    ),
    Mutant(
        "container_mode_not_passed_on",
        "train()/eval() on a Sequential switch the container, not the layers inside it",
        ("regularisation.dropout_switched_by_container",),
        lambda: [mock.patch.object(nn.Sequential, "train", train_this_module_only)],
    ),
    Mutant(
        "exp_saturates",
        "exp of a large number gives the largest finite float instead of inf",
        ("loss.softmax_first_overflows",),
        lambda: op("exp", exp_saturating),
    ),
    Mutant(
        "no_grad_update_recorded",
        "an in-place update under no_grad turns the tracked leaf into a recorded result",
        ("optim.update_keeps_leaf",),
        lambda: [mock.patch.object(inplace, "adopt", adopt_recording_under_no_grad)],
    ),
    Mutant(
        "every_tensor_a_leaf",
        "is_leaf is True for results of recorded operations too",
        ("autograd.grad_fn_recorded",),
        lambda: [mock.patch.object(Tensor, "is_leaf", property(lambda self: True))],
    ),
    Mutant(
        "mse_mean_over_rows",
        "MSE divides the summed squares by the number of rows (len()), not by the element count",
        ("loss.mse_mean_over_all_elements", "loss.mse_grad_batch"),
        lambda: adapter("mse_loss", mse_mean_over_rows),
    ),
    Mutant(
        "adam_eps_uncorrected",
        "Adam adds eps to sqrt(v) and folds the bias correction into the step size",
        ("optim.adam_trace",),
        lambda: [mock.patch.object(optim.Adam, "update", adam_eps_uncorrected)],
    ),
    Mutant(
        "inplace_unchecked",
        "no in-place version check, and backward clears every graph through the leaves it "
        "reached (so a second backward through the same leaf raises for that reason)",
        ("tensors.inplace_saved_value_refused",),
        graph_clearing_without_version_check,
    ),
    Mutant(
        "bce_mean_over_rows",
        "BCE divides the summed terms by the number of rows, not by the element count",
        ("loss.bce_mean_over_all_terms",),
        lambda: adapter("bce_loss", bce_mean_over_rows),
    ),
    Mutant(
        "cross_entropy_summed",
        "cross-entropy sums over the batch instead of averaging",
        ("loss.cross_entropy_is_neg_log_softmax", "loss.cross_entropy_grad"),
        lambda: adapter("cross_entropy", cross_entropy_summed),
    ),
    Mutant(
        "bce_with_logits_summed",
        "BCE-with-logits sums the terms instead of averaging them",
        ("loss.bce_with_logits_matches_bce", "loss.bce_with_logits_grad"),
        lambda: adapter("bce_with_logits", bce_with_logits_summed),
    ),
    Mutant(
        "momentum_dampened",
        "SGD's momentum buffer is a running mean, b = m b + (1 - m) g",
        ("optim.sgd_momentum",),
        lambda: [mock.patch.object(optim.SGD, "update", sgd_momentum_dampened)],
    ),
    Mutant(
        "bce_with_logits_mean_over_rows",
        "BCE-with-logits divides the summed terms by the number of rows",
        ("loss.bce_with_logits_mean_over_all_terms",),
        lambda: adapter("bce_with_logits", bce_with_logits_mean_over_rows),
    ),
    Mutant(
        "cross_entropy_mean_over_entries",
        "cross-entropy averages -onehot * log_softmax over all N * K entries",
        ("loss.cross_entropy_is_neg_log_softmax", "loss.cross_entropy_grad"),
        lambda: adapter("cross_entropy", cross_entropy_mean_over_entries),
    ),
    Mutant(
        "softmax_over_first_dim",
        "softmax normalises along the first dimension whatever dim says",
        ("loss.softmax_values",),
        lambda: [mock.patch.object(ReferenceEngine, "softmax", softmax_over_first_dim)],
    ),
    Mutant(
        "softmax_grad_sum_not_kept",
        "softmax's gradient sums (g * y) over the row without keeping that axis, so a batch's "
        "row sums broadcast against the wrong axis",
        ("loss.softmax_batch_grad",),
        lambda: op("softmax", softmax_grad_summed_without_keepdims),
    ),
]
