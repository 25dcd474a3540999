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
from collections.abc import Callable
from dataclasses import dataclass
from unittest import mock

import numpy as np

from conformance.capabilities import documents_only, is_convention
from conformance.engines.reference_engine import ReferenceEngine
from conformance.reference_impl import (
    conversions,
    core,
    data,
    function,
    functional,
    methods,
    ops,
    optim,
    views,
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


def _record_flagging_no_grad_results(name, data_, inputs, backward, saved=(), keep_output=False):
    """Under no_grad nothing is recorded (no grad_fn), but the result keeps requires_grad from
    its inputs: the documents say only that the operation is not recorded."""
    out = _RECORD(name, data_, inputs, backward, saved, keep_output)
    if not core.is_grad_enabled() and any(
        isinstance(t, core.Tensor) and t.requires_grad for t in inputs
    ):
        out.requires_grad = True
    return out


def _softmax_as_written(a, dim):
    """e^z / sum_j e^z_j exactly as the PyTorch course writes it: it overflows for large logits,
    as the course says computing it explicitly can."""
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


_RANDOM_SPLIT, _RECORD = data.random_split, function.record


def _softmax_patches():
    original = ops.softmax
    patches = [mock.patch.object(ops, "softmax", _softmax_as_written)]
    patches += [
        mock.patch.object(core.Tensor, method, _softmax_as_written)
        for method, bound in methods.METHODS.items()
        if bound is original
    ]
    return patches


def _record_patches(replacement):
    modules = (function, ops, views, conversions, functional)
    return [mock.patch.object(m, "record", replacement) for m in modules if hasattr(m, "record")]


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
        lambda: _record_patches(_record_flagging_no_grad_results),
        _no_grad_result_keeps_flag,
        declines=frozenset({"autograd.no_grad_flag"}),
    ),
    Variant(
        "softmax_as_written",
        "softmax is e^z / sum e^z as the course writes it, NaN once e^z overflows (the course "
        "says computing it explicitly can overflow)",
        _softmax_patches,
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
    return _record_flagging_no_grad_results(name, data_, inputs, backward, saved, keep_output)


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
        *_record_patches(_record_as_the_book_names),
        *_softmax_patches(),
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
