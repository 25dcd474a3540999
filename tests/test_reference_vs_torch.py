"""The reference engine behaves as PyTorch, program for program.

Each program below is written once against a module with PyTorch's names (``torch`` or
``reference_impl``) and run on both: either both raise, or both give the same values, dtypes and
graph node names. Hypothesis also draws random sequences of in-place changes, where the version
counter, views and CopySlices must make the same decisions as PyTorch's.
"""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import reference_impl

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="the torch extra is not installed"
)


@pytest.fixture(scope="module")
def torch():
    import torch

    return torch


def plain(value):
    """Tensors, nodes and dtypes as comparable plain values."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if hasattr(value, "next_functions"):
        return node_chain(value)
    if hasattr(value, "detach"):
        return (str(value.dtype).removeprefix("torch."), value.detach().numpy().copy())
    return str(value).removeprefix("torch.")


def node_chain(node, depth=0):
    """A node's name and, recursively, its inputs' (None for constants), to depth 6."""
    if node is None or depth > 6:
        return None
    name = node.name().rsplit("::", 1)[-1]
    return [name, [node_chain(child, depth + 1) for child, _ in node.next_functions]]


def outcome(program, lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return plain(program(lib))
        except (RuntimeError, ValueError):  # NumPy reports shape mismatches as ValueError
            return "raises"


def assert_same(ours, theirs, path="result"):
    if isinstance(theirs, tuple):  # (dtype, values)
        assert isinstance(ours, tuple), f"{path}: {ours!r} vs PyTorch's {theirs!r}"
        assert ours[0] == theirs[0], f"{path}: dtype {ours[0]} vs PyTorch's {theirs[0]}"
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5, atol=1e-6, err_msg=path)
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{path}: {ours} vs {theirs}"
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_same(a, b, f"{path}[{i}]")
    else:
        assert ours == theirs, f"{path}: {ours!r} vs PyTorch's {theirs!r}"


def leaf(lib, values=(1.0, -2.0, 3.0)):
    return lib.tensor(list(values), requires_grad=True)


def matrix(lib):
    return lib.tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)


def grad_after(lib, build):
    """x.grad after build(x).sum().backward()."""
    x = leaf(lib)
    build(x).sum().backward()
    return x.grad


def inplace_then_backward(first, second=None):
    def program(lib):
        x = leaf(lib)
        y = x * 1
        first(y, lib)
        if second:
            second(y, lib)
        y.sum().backward()
        return x.grad, y.grad_fn

    return program


GRAPHS = {
    "scalar_mul": lambda lib: leaf(lib) * 0.2,
    "scalar_sub": lambda lib: leaf(lib) - 5,
    "rsub": lambda lib: 5 - leaf(lib),
    "rdiv": lambda lib: 2 / leaf(lib),
    "rpow": lambda lib: 2 ** leaf(lib),
    "pow_tensor": lambda lib: leaf(lib) ** leaf(lib),
    "square": lambda lib: leaf(lib).square(),
    "clamp_min": lambda lib: leaf(lib).clamp(min=0),
    "clamp_both": lambda lib: leaf(lib).clamp(-1, 1),
    "sum_dim": lambda lib: matrix(lib).sum(0),
    "mean": lambda lib: matrix(lib).mean(),
    "max": lambda lib: matrix(lib).max(),
    "max_dim": lambda lib: matrix(lib).max(1)[0],
    "select_select": lambda lib: matrix(lib)[0, 1],
    "select_slice": lambda lib: matrix(lib)[0, 1:],
    "full_slice_skipped": lambda lib: matrix(lib)[:, 1],
    "alias": lambda lib: matrix(lib)[...],
    "unsqueeze": lambda lib: matrix(lib)[None],
    "advanced": lambda lib: matrix(lib)[[0, 1, 1]],
    "reshape": lambda lib: matrix(lib).reshape(4),
    "reshape_copy": lambda lib: matrix(lib).t().reshape(4),
    "T": lambda lib: matrix(lib).T,
    "transpose": lambda lib: matrix(lib).transpose(0, 1),
    "squeeze": lambda lib: matrix(lib)[None].squeeze(0),
    "expand": lambda lib: leaf(lib).expand(2, 3),
    "mm": lambda lib: matrix(lib) @ matrix(lib),
    "mv": lambda lib: matrix(lib) @ leaf(lib, (1.0, 2.0)),
    "vm": lambda lib: leaf(lib, (1.0, 2.0)) @ matrix(lib),
    "dot": lambda lib: leaf(lib) @ leaf(lib),
    "logsumexp": lambda lib: matrix(lib).logsumexp(1),
    "softmax": lambda lib: matrix(lib).softmax(1),
    "cross_entropy": lambda lib: lib.nn.functional.cross_entropy(matrix(lib), lib.tensor([0, 1])),
    "bce": lambda lib: lib.nn.functional.binary_cross_entropy(
        matrix(lib).sigmoid(), lib.ones(2, 2)
    ),
    "bce_with_logits": lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(
        matrix(lib), lib.ones(2, 2)
    ),
    "linear": lambda lib: lib.nn.functional.linear(matrix(lib), matrix(lib), leaf(lib, (1, 2.0))),
    "linear_1d": lambda lib: lib.nn.functional.linear(leaf(lib, (1, 2.0)), matrix(lib)),
    "dropout_train": lambda lib: lib.nn.functional.dropout(matrix(lib), 0.5),
    "inplace_history": lambda lib: (matrix(lib) * 1).abs_().clamp_(min=0).zero_(),
    "copy_from_tensor": lambda lib: (matrix(lib) * 1).copy_(matrix(lib) * 3),
    "to_double": lambda lib: matrix(lib).double(),
}

PROGRAMS = {
    # in-place changes: computed from the old value, refused when a saved value changed
    "abs_": inplace_then_backward(lambda y, lib: y.abs_()),
    "abs_then_mul_": inplace_then_backward(lambda y, lib: y.abs_(), lambda y, lib: y.mul_(2)),
    "clamp_then_mul_": inplace_then_backward(
        lambda y, lib: y.clamp_(min=0), lambda y, lib: y.mul_(2)
    ),
    "mul_tensor": inplace_then_backward(lambda y, lib: y.mul_(leaf(lib, (2.0, 3.0, 4.0)))),
    "div_tensor": inplace_then_backward(lambda y, lib: y.div_(leaf(lib, (2.0, 3.0, 4.0)))),
    "exp_then_mul_": inplace_then_backward(lambda y, lib: y.exp_(), lambda y, lib: y.mul_(2)),
    "zero_": inplace_then_backward(lambda y, lib: y.zero_()),
    "fill_": inplace_then_backward(lambda y, lib: y.fill_(2.0)),
    "saved_then_changed": lambda lib: grad_after(
        lib, lambda x: (lambda y: (y.mul_(2), y)[1])(x.exp())
    ),
    "leaf_inplace": lambda lib: leaf(lib).sub_(1),
    "leaf_view_inplace": lambda lib: leaf(lib)[0].mul_(2),
    "leaf_iadd": lambda lib: (lambda x: x.__iadd__(1))(leaf(lib)),
    "leaf_inplace_no_grad": lambda lib: no_grad_step(lib, lambda: leaf(lib).sub_(1)),
    # views share memory and version counters with their base
    "view_inplace_rebases_base": inplace_then_backward(lambda y, lib: y[1:].mul_(2)),
    "reshape_view_inplace": inplace_then_backward(lambda y, lib: y.reshape(3, 1).mul_(2)),
    "setitem_number": inplace_then_backward(lambda y, lib: y.__setitem__(0, 5.0)),
    "setitem_tensor": inplace_then_backward(lambda y, lib: y.__setitem__(1, y[0] * 3)),
    "setitem_advanced": inplace_then_backward(lambda y, lib: y.__setitem__([0, 2], 0.0)),
    "view_changes_saved_base": lambda lib: grad_after(
        lib, lambda x: (lambda y: (y[0].zero_(), y)[1])(x.exp())
    ),
    "detach_changes_saved": lambda lib: grad_after(
        lib, lambda x: (lambda y: (y.detach().zero_(), y)[1])(x.exp())
    ),
    "version_counts": lambda lib: (lambda y: (y[0].mul_(2), y.view(3).add_(1), y._version)[2])(
        leaf(lib).detach()
    ),
    # graph lifetime and gradient bookkeeping
    "second_backward_scalar_mul": lambda lib: (lambda y: (y.backward(), y.backward()))(
        (leaf(lib) * 2).sum()
    ),
    "second_backward_add_only": lambda lib: (lambda x, y: (y.backward(), y.backward(), x.grad))(
        *(lambda x: (x, (x + 1).sum()))(leaf(lib))
    ),
    "retain_graph_accumulates": lambda lib: (
        lambda x, y: (y.backward(retain_graph=True), y.backward(), x.grad)
    )(*(lambda x: (x, (x * x).sum()))(leaf(lib))),
    "retained_nonleaf": lambda lib: (
        lambda x: (lambda y: (y.retain_grad(), (y * y).sum().backward(), y.grad))(x * 2)
    )(leaf(lib)),
    "nonscalar_backward": lambda lib: (leaf(lib) * 2).backward(),
    "backward_with_gradient": lambda lib: (
        lambda x: ((x * 2).backward(lib.tensor([1.0, 0.5, 0.25])), x.grad)[1]
    )(leaf(lib)),
    "backward_one_element": lambda lib: (lambda x: ((x * 2).backward(), x.grad)[1])(
        lib.tensor([[1.5]], requires_grad=True)
    ),
    "requires_grad_nonleaf_off": lambda lib: (leaf(lib) * 2).requires_grad_(False),
    "int_requires_grad": lambda lib: lib.tensor([1, 2]).requires_grad_(),
    "no_grad_result": lambda lib: no_grad_step(lib, lambda: leaf(lib) * 2).requires_grad,
    # type promotion with Python numbers and between tensors
    "int_times_float": lambda lib: lib.tensor([1, 2]) * 0.5,
    "int_true_division": lambda lib: lib.tensor([1, 2]) / lib.tensor([2, 2]),
    "float32_plus_0d_float64": lambda lib: (
        lib.tensor([1.0, 2.0]) + lib.tensor(1.0, dtype=lib.float64)
    ),
    "int_plus_0d_float64": lambda lib: lib.tensor([1, 2]) + lib.tensor(1.5, dtype=lib.float64),
    "float32_times_float64": lambda lib: lib.tensor([1.0]) * lib.tensor([2.0], dtype=lib.float64),
    "bool_plus_int": lambda lib: lib.tensor([True, False]) + 1,
    "mixed_grad_dtype": lambda lib: grad_after(
        lib, lambda x: x * lib.tensor([2.0, 2.0, 2.0], dtype=lib.float64)
    ),
    # values at the edges
    "max_ties_share": lambda lib: grad_after(lib, lambda x: (x * 0 + 1).max()),
    "max_dim_first_index": lambda lib: (
        lambda x: (x.max(1)[0].sum().backward(), x.grad, x.max(1)[1])
    )(lib.tensor([[2.0, 2.0, 1.0]], requires_grad=True)),
    "pow_zero_at_zero": lambda lib: grad_after(lib, lambda x: (x * 0) ** 0),
    "abs_at_zero": lambda lib: grad_after(lib, lambda x: (x * 0).abs()),
    "relu_at_zero": lambda lib: grad_after(lib, lambda x: (x * 0).relu()),
    "clamp_at_bounds": lambda lib: grad_after(lib, lambda x: x.clamp(-2.0, 3.0)),
    "logsumexp_minus_inf": lambda lib: lib.tensor([float("-inf")] * 2).logsumexp(0),
    "bce_at_zero_and_one": lambda lib: lib.nn.functional.binary_cross_entropy(
        lib.tensor([0.0, 1.0]), lib.tensor([1.0, 0.0])
    ),
    "bce_logits_large": lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(
        lib.tensor([100.0, -100.0]), lib.tensor([0.0, 1.0])
    ),
    "cross_entropy_large": lambda lib: lib.nn.functional.cross_entropy(
        lib.tensor([[1000.0, 0.0]]), lib.tensor([1])
    ),
    "reductions_none": lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(
        lib.tensor([1.0, -2.0]), lib.tensor([0.0, 1.0]), reduction="none"
    ),
}


@pytest.mark.parametrize("name", GRAPHS)
def test_graph_matches_pytorch(torch, name):
    ours, theirs = (
        outcome(lambda lib: GRAPHS[name](lib).grad_fn, lib) for lib in (reference_impl, torch)
    )
    assert_same(ours, theirs)


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_matches_pytorch(torch, name):
    assert_same(outcome(PROGRAMS[name], reference_impl), outcome(PROGRAMS[name], torch))


# -- random sequences of in-place changes ----------------------------------------------------
STEPS = {
    "mul_": lambda y, w, lib: y.mul_(2),
    "mul_w": lambda y, w, lib: y.mul_(w),
    "abs_": lambda y, w, lib: y.abs_(),
    "exp_": lambda y, w, lib: y.exp_(),
    "clamp_": lambda y, w, lib: y.clamp_(-1, 1),
    "zero_": lambda y, w, lib: y.zero_(),
    "view_mul_": lambda y, w, lib: y[1:].mul_(3),
    "setitem": lambda y, w, lib: y.__setitem__(0, w[1] * 2),
    "detach_add_": lambda y, w, lib: y.detach().add_(1),
    "no_grad_sub_": lambda y, w, lib: no_grad_step(lib, lambda: y.sub_(0.5)),
    "relu_": lambda y, w, lib: y.relu_(),
    "sigmoid_": lambda y, w, lib: y.sigmoid_(),
    "nested_view": lambda y, w, lib: y.view(3, 1).view(3),
    "exp": lambda y, w, lib: y.exp(),
    "tanh": lambda y, w, lib: y.tanh(),
    "times_w": lambda y, w, lib: y * w,
    "square": lambda y, w, lib: y**2,
}


OUT_OF_PLACE = {"nested_view", "exp", "tanh", "times_w", "square"}


def no_grad_step(lib, step):
    with lib.no_grad():
        return step()


def run_steps(lib, steps):
    """Apply ``steps`` to y = x * 1, keeping every intermediate result in the loss. In float64,
    so that chains of exp do not turn last-bit differences into visible ones."""
    x = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True)
    w = lib.tensor([1.5, -0.5, 0.25], dtype=lib.float64, requires_grad=True)
    y, kept = x * 1, []
    for step in steps:
        result = STEPS[step](y, w, lib)
        if step in OUT_OF_PLACE:
            kept.append(y)
            y = result
    loss = sum((t.sum() for t in kept), y.sum())
    loss.backward()
    return x.grad, w.grad, y


@settings(max_examples=150, deadline=None)
@given(steps=st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=6))
def test_inplace_sequences_match_pytorch(torch, steps):
    ours = outcome(lambda lib: run_steps(lib, steps), reference_impl)
    theirs = outcome(lambda lib: run_steps(lib, steps), torch)
    assert_same(ours, theirs, path=" -> ".join(steps))


# -- optimisers ------------------------------------------------------------------------------
OPTIMIZERS = {
    "sgd": lambda lib, p: lib.optim.SGD(p, lr=0.1),
    "sgd_momentum": lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=0.9),
    "sgd_nesterov_decay": lambda lib, p: lib.optim.SGD(
        p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01
    ),
    "sgd_dampening": lambda lib, p: lib.optim.SGD(p, lr=0.05, momentum=0.5, dampening=0.3),
    "adam": lambda lib, p: lib.optim.Adam(p, lr=0.1),
    "adam_decay": lambda lib, p: lib.optim.Adam(p, lr=0.01, betas=(0.8, 0.9), weight_decay=0.1),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_trace_matches_pytorch(torch, name):
    def trace(lib):
        w = lib.tensor([2.0, -1.0, 0.5], requires_grad=True)
        optimizer, weights = OPTIMIZERS[name](lib, [w]), []
        for _ in range(20):
            optimizer.zero_grad()
            ((w - 1) ** 2 * lib.tensor([1.0, 10.0, 0.1])).sum().backward()
            optimizer.step()
            weights.append(w.detach().numpy().copy())
        return weights

    np.testing.assert_allclose(trace(reference_impl), trace(torch), rtol=2e-6, atol=1e-7)
