"""Legal variants: the reference engine changed in one detail that no source document states.

They are the mirror of the mutants (tests/mutants.py): a mutant plants a bug the catalogue must
reject; a variant differs from PyTorch only where the documents are silent, and the catalogue must
accept it, with no failure in any spec it claims. A variant that fails a spec shows a spec pinning
a detail of PyTorch's that an engine following the documents need not share: a false failure.

Each variant is applied by patching one piece of ``reference_impl`` (or its adapter) for the
duration of ``with variant.applied():``, and states with ``differs`` a check that the difference
is really there, so a variant cannot pass by being a no-op.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from unittest import mock

import numpy as np

from conformance.capabilities import documents_only, is_convention
from conformance.engines.reference_engine import ReferenceEngine
from conformance.reference_impl import (
    core,
    data,
    functional,
    nn,
    ops,
    optim,
)
from conformance.reference_impl.core import Tensor
from tests.mutants import (
    kit,
    op,
    record_flagging_no_grad_results,
    softmax_without_shift,
    unreached_leaves_given,
)


@dataclass(frozen=True)
class Variant:
    name: str
    difference: str  # what differs from PyTorch, and why no document forbids it
    patches: Callable[[], list]  # the mock.patch objects that make the difference
    differs: Callable[[ReferenceEngine], bool]  # True when the difference is observable
    declines: frozenset[str] = frozenset()  # capabilities the variant does not declare

    @contextlib.contextmanager
    def applied(self):
        with contextlib.ExitStack() as stack:
            for patch in self.patches():
                stack.enter_context(patch)
            if self.declines:
                kept = ReferenceEngine.capabilities - self.declines
                stack.enter_context(mock.patch.object(ReferenceEngine, "capabilities", kept))
            yield


VARIANTS: list[Variant] = []


# -- the documents' readings ----------------------------------------------------------------------
# Engines that do what the five documents say and nothing more where PyTorch does more: each
# declines the PyTorch convention it departs from (the catalogue must then fail none of its specs).
def _split_by_counts_only(dataset, lengths, seed=None, generator=None):
    """random_split as the documents use it: counts only (700, 150, 150); fractions refused."""
    if any(isinstance(length, float) for length in lengths):
        raise TypeError(f"random_split takes counts of items, not fractions: {list(lengths)}")
    return _RANDOM_SPLIT(dataset, lengths, seed=seed, generator=generator)


_RANDOM_SPLIT = data.random_split


def _no_grad_result_keeps_flag(engine) -> bool:
    x = engine.tensor(2.0, requires_grad=True)
    with engine.no_grad():
        y = x * 3
    return bool(y.requires_grad) and y.grad_fn is None


def _fractions_refused(engine) -> bool:
    dataset = engine.tensor_dataset(engine.tensor([0.0, 1.0, 2.0, 3.0]))
    try:
        engine.random_split(dataset, [0.5, 0.5], seed=0)
    except TypeError:
        return len(engine.random_split(dataset, [3, 1], seed=0)) == 2
    return False


def _softmax_overflows(engine) -> bool:
    p = engine.to_numpy(engine.softmax(engine.tensor([1000.0, 0.0, -1000.0]), dim=-1))
    return bool(np.isnan(p).any())


VARIANTS += [
    Variant(
        "random_split_counts_only",
        "random_split takes counts only and refuses fractions: the documents split 1000 items "
        "into 700, 150 and 150 and never pass a fraction",
        lambda: [mock.patch.object(data, "random_split", _split_by_counts_only)],
        _fractions_refused,
        declines=frozenset({"data.random_split_fractions"}),
    ),
    Variant(
        "no_grad_result_requires_grad",
        "a result computed under no_grad() keeps requires_grad=True while nothing is recorded "
        "(no grad_fn, no gradient flows): the documents say only that no_grad is not recorded",
        lambda: kit("record", record_flagging_no_grad_results),
        _no_grad_result_keeps_flag,
        declines=frozenset({"autograd.no_grad_flag"}),
    ),
    Variant(
        "softmax_as_written",
        "softmax is e^z / sum e^z as the course writes it, NaN once e^z overflows (the course "
        "says computing it explicitly can overflow)",
        lambda: op("softmax", softmax_without_shift),
        _softmax_overflows,
        declines=frozenset({"nn.softmax_stable"}),
    ),
]


def _record_as_the_book_names(name, data_, inputs, backward, saved=(), keep_output=False):
    """Products and differences with a Python number are named MulBackward1 and SubBackward1,
    as the book's older torch prints them (x3 * 0.2, x5 + x6 - 5)."""
    if name in ("MulBackward0", "SubBackward0") and any(
        not isinstance(t, core.Tensor) for t in inputs
    ):
        name = name.removesuffix("0") + "1"
    return record_flagging_no_grad_results(name, data_, inputs, backward, saved, keep_output)


def _sgd_with_penalty(self, params, *, lr, momentum=0.0, weight_decay=0.0):
    """weight_decay = lambda read as the documents' penalty lambda * sum(w**2): 2 lambda w."""
    return optim.SGD(params, lr=lr, momentum=momentum, weight_decay=2 * weight_decay)


def _adam_with_penalty(self, params, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    return optim.Adam(params, lr=lr, betas=betas, eps=eps, weight_decay=2 * weight_decay)


def _documents_only_patches():
    return [
        mock.patch.object(ReferenceEngine, "capabilities", documents_only()),
        mock.patch.object(ReferenceEngine, "sgd", _sgd_with_penalty),
        mock.patch.object(ReferenceEngine, "adam", _adam_with_penalty),
        mock.patch.object(data, "random_split", _split_by_counts_only),
        *kit("record", _record_as_the_book_names),
        *op("softmax", softmax_without_shift),
    ]


def _follows_the_documents_only(engine) -> bool:
    if any(is_convention(name) for name in engine.capabilities):
        return False
    w = engine.tensor(2.0, requires_grad=True)
    ((w - 1) ** 2).backward()
    engine.sgd([w], lr=0.1, weight_decay=0.5).step()  # 2 - 0.1 (2 + 2 * 0.5 * 2) = 1.6
    x = engine.tensor(2.0, requires_grad=True)
    names = [engine.grad_fn_name((x * 0.2).grad_fn), engine.grad_fn_name((x - 5).grad_fn)]
    return (
        abs(float(engine.to_numpy(w)) - 1.6) < 1e-6
        and names == ["MulBackward1", "SubBackward1"]
        and _fractions_refused(engine)
        and _no_grad_result_keeps_flag(engine)
        and _softmax_overflows(engine)
    )


VARIANTS += [
    Variant(
        "documents_only",
        "an engine that follows the five documents and nothing else: it declares no PyTorch "
        "convention and the documents' side of each alternative (weight_decay as the penalty "
        "lambda * sum(w**2), the book's node names), splits by counts, keeps requires_grad on "
        "no_grad results and computes softmax as written",
        _documents_only_patches,
        _follows_the_documents_only,
    ),
]


# -- forms: what the documents never state about call forms, dtypes, None and last places -------
def _loss_needing_batches(loss, logits: bool = False):
    """``loss`` refusing what no document shows: 0-d operands, and for cross-entropy anything
    but (N, C) logits with (N,) class indices (the documents' losses are means over a batch)."""

    def batched(prediction, target, *args, **kwargs):
        if logits and (prediction.ndim != 2 or target.ndim != 1):
            raise ValueError(
                f"cross_entropy takes (N, C) logits and (N,) targets, not {prediction.shape} "
                f"and {target.shape}"
            )
        if prediction.ndim == 0 or target.ndim == 0:
            raise ValueError("losses take a batch: len() of a 0-d operand is undefined")
        return loss(prediction, target, *args, **kwargs)

    return staticmethod(batched)


def _batch_only_patches():
    return [
        mock.patch.object(ReferenceEngine, name, _loss_needing_batches(loss, logits))
        for name, loss, logits in [
            ("mse_loss", functional.mse_loss, False),
            ("cross_entropy", functional.cross_entropy, True),
            ("bce_loss", functional.binary_cross_entropy, False),
            ("bce_with_logits", functional.binary_cross_entropy_with_logits, False),
        ]
    ]


def _refuses(call) -> bool:
    try:
        call()
    except ValueError:
        return True
    return False


def _batch_only_differs(engine) -> bool:
    scalar, row = engine.tensor(0.5), engine.tensor([1.0, 2.0])
    return _refuses(lambda: engine.mse_loss(scalar, scalar)) and _refuses(
        lambda: engine.cross_entropy(row, engine.tensor(0, dtype="int64"))
    )


ACCUMULATE = core.accumulate


def _accumulate_in_float64(tensor, grad):
    ACCUMULATE(tensor, grad.astype(np.float64))


def _float64_grad_differs(engine) -> bool:
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    (x * 2.0).sum().backward()
    return x.dtype == "float32" and x.grad.dtype == "float64"


def _zeros_for_unused_differs(engine) -> bool:
    used = engine.tensor([1.0], requires_grad=True)
    unused = engine.tensor([1.0, 2.0], requires_grad=True)
    (used * 2.0).sum().backward()
    return unused.grad is not None and not np.asarray(engine.to_numpy(unused.grad)).any()


# exp, log, tanh and sigmoid scaled by (1 - 4 eps): a few units in the last place low (towards
# 0, so that sigmoid and tanh stay within their ranges). The gradients of exp, tanh and sigmoid
# are written in terms of the output, so they follow the engine's own forward value.
ULPS_OFF = ("exp", "log", "tanh", "sigmoid")


def _few_ulps_low(original):
    def off(a):
        out = original(a)
        out.data *= 1 - 4 * np.finfo(out.data.dtype).eps  # in place: the saved output too
        return out

    return off


def _ulps_off_patches():
    return [patch for name in ULPS_OFF for patch in op(name, _few_ulps_low(getattr(ops, name)))]


def _ulps_off_differs(engine) -> bool:
    x = engine.tensor([1.0, 2.0])
    return bool((np.asarray(engine.to_numpy(x.exp())) != np.exp(np.float32([1.0, 2.0]))).all())


GRAD_FN = Tensor.grad_fn


def _grad_fn_with_accumulator(tensor):
    """Outside the engine, a leaf that requires grad shows its accumulation node as its grad_fn
    (as Paddle's leaves do); inside, the engine keeps its own bookkeeping (None for a leaf)."""
    node = GRAD_FN.fget(tensor)
    caller = sys._getframe(1).f_globals.get("__name__", "")
    if node is None and tensor.requires_grad and not caller.startswith(core.__package__):
        return tensor._node()
    return node


def _accumulation_node_patches():
    return [mock.patch.object(Tensor, "grad_fn", property(_grad_fn_with_accumulator, GRAD_FN.fset))]


def _accumulation_node_differs(engine) -> bool:
    w = engine.tensor([1.0], requires_grad=True)
    shown = w.grad_fn is not None and engine.grad_fn_name(w.grad_fn) == "AccumulateGrad"
    return w.is_leaf and shown


def _global_mode_patches():
    """One training flag for the whole engine, off until train() is first called (as tinygrad's
    Tensor.training): train() and eval() on any module set it, and every dropout layer reads it."""
    mode = {"training": False}

    def train(self, training=True):
        mode["training"] = training
        return self

    def forward(self, x):
        return functional.dropout(x, self.p, mode["training"])

    return [
        mock.patch.object(nn.Module, "train", train),
        mock.patch.object(nn.Module, "training", property(lambda self: mode["training"])),
        mock.patch.object(nn.Dropout, "forward", forward),
    ]


def _global_mode_differs(engine) -> bool:
    ones = engine.ones(100)
    first, second = engine.dropout(0.5), engine.dropout(0.5)
    first.eval()
    switched = bool((np.asarray(engine.to_numpy(second(ones))) == 1).all())
    second.train()
    return switched and bool((np.asarray(engine.to_numpy(first(ones))) != 1).any())


def _cross_entropy_a_dozen_ulps_high(logits, target, *args, **kwargs):
    """Cross-entropy 12 eps high: 1.4e-6 in float32, as a log-softmax whose log is evaluated
    through log2 returns at a loss of 0. A Python number: the gradient is unchanged."""
    loss = functional.cross_entropy(logits, target, *args, **kwargs)
    return loss + 12 * float(np.finfo(loss.data.dtype).eps)


def _cross_entropy_high_differs(engine) -> bool:
    loss = engine.cross_entropy(
        engine.tensor([[1000.0, 0.0, -1000.0]]), engine.tensor([0], dtype="int64")
    )
    return float(engine.to_numpy(loss)) > 1e-6


VARIANTS += [
    Variant(
        "batch_only_losses",
        "losses take batches only: (N, C) logits with (N,) class indices for cross-entropy, "
        "at least one dimension for MSE and the BCEs (0-d operands raise); the documents' "
        "losses are means over n predictions",
        _batch_only_patches,
        _batch_only_differs,
    ),
    Variant(
        "float64_grads_of_float32_leaves",
        "every leaf's .grad is float64 whatever the leaf's dtype (as where a Python number "
        "becomes a float64 0-d array); no document states a gradient's dtype",
        lambda: [mock.patch.object(core, "accumulate", _accumulate_in_float64)],
        _float64_grad_differs,
    ),
    Variant(
        "zeros_for_unused_leaf",
        "backward gives a zero gradient to every tracked leaf made since the last backward that "
        "it did not reach, where PyTorch leaves None; the documents speak of None only for "
        "intermediate tensors",
        lambda: unreached_leaves_given(np.zeros_like),
        _zeros_for_unused_differs,
    ),
    Variant(
        "transcendentals_few_ulps_off",
        "exp, log, tanh and sigmoid are 4 eps (a few units in the last place) low; no document "
        "states the accuracy of a function in last places",
        _ulps_off_patches,
        _ulps_off_differs,
    ),
    Variant(
        "leaves_with_accumulation_node",
        "a leaf that requires grad shows its accumulation node as grad_fn (is_leaf stays True), "
        "as Paddle's leaves do; the documents show grad_fn on results, not its absence on leaves",
        _accumulation_node_patches,
        _accumulation_node_differs,
    ),
    Variant(
        "global_train_eval",
        "train() and eval() switch one mode for the whole engine rather than for the module and "
        "its children, and a new layer takes the engine's current mode (evaluation at first); "
        "the documents say dropout is off during evaluation, not how the switch is scoped",
        _global_mode_patches,
        _global_mode_differs,
    ),
    Variant(
        "cross_entropy_a_dozen_ulps_high",
        "cross-entropy is 12 eps above the exact value (1.4e-6 in float32 where it is 0); no "
        "document states its accuracy in last places, and at logits of 1000 a few roundings "
        "cost far more",
        lambda: [
            mock.patch.object(
                ReferenceEngine, "cross_entropy", staticmethod(_cross_entropy_a_dozen_ulps_high)
            )
        ],
        _cross_entropy_high_differs,
    ),
]


# -- capabilities: an engine without one PyTorch convention keeps every spec that does not use it


def _refuse(what: str):
    def refuse(*args, **kwargs):
        raise RuntimeError(f"this engine has no {what}")

    return refuse


def _method_refuses(engine: ReferenceEngine, method: str, *args, **kwargs) -> bool:
    try:
        getattr(engine, method)(*args, **kwargs)
    except RuntimeError:
        return True
    return False


def _loader_without_split_differs(engine: ReferenceEngine) -> bool:
    dataset = engine.tensor_dataset(engine.zeros(4))
    loads = len(list(engine.data_loader(dataset, batch_size=2))) == 2
    return loads and _method_refuses(engine, "random_split", dataset, [2, 2], seed=0)


VARIANTS.append(
    Variant(
        name="loader_without_random_split",
        difference="datasets and a DataLoader but no random_split: the documents split with it, "
        "but an engine can batch and take subsets without offering it",
        patches=lambda: [
            mock.patch.object(ReferenceEngine, "random_split", _refuse("random_split")),
            mock.patch.object(ReferenceEngine, "subset_indices", _refuse("random_split")),
        ],
        differs=_loader_without_split_differs,
        declines=frozenset({"data.random_split"}),
    )
)

VARIANTS.append(
    Variant(
        name="no_seeding",
        difference="no seedable global generator (manual_seed raises): no document seeds one, "
        "so dropout, randint, shuffling and Linear layers draw unseeded",
        patches=lambda: [
            mock.patch.object(ReferenceEngine, "manual_seed", _refuse("seedable generator")),
        ],
        differs=lambda engine: _method_refuses(engine, "manual_seed", 0),
        declines=frozenset({"random.manual_seed"}),
    )
)
