"""The reference engine's gradients agree with central finite differences, for every op.

Each case is a function of float64 tensors; hypothesis draws their values. The analytic side is
one backward pass of sum(f(inputs) * w) for fixed random weights w (a full vector-Jacobian
product); the numeric side perturbs each input element by +-1e-6. Cases that are not smooth
everywhere (abs, relu, clamp, max) keep their draws away from the kinks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conformance import reference_impl as ref
from conformance.reference_impl import functional as F

EPS = 1e-6


@dataclass(frozen=True)
class Case:
    name: str
    func: Callable  # tensors -> tensor
    shapes: tuple  # one shape per differentiable input
    low: float = -2.0
    high: float = 2.0
    smooth: Callable = lambda *arrays: True  # noqa: E731  (the draw is away from any kink)


def away_from(*points, margin=1e-3):
    return lambda *arrays: all(np.abs(a - p).min() > margin for a in arrays for p in points)


def distinct(*arrays):
    values = np.concatenate([a.ravel() for a in arrays])
    return np.diff(np.sort(values)).min(initial=1.0) > 1e-3


def inplace_on_view(x, b):
    y = x * 1
    y[1:].mul_(b)  # CopySlices: y's second row onward scaled in place
    return y


def setitem_from(x, b):
    y = x * 1
    y[0] = b * 3
    return y


def chain_of_inplace(x, b):
    y = x * 1
    y.abs_()
    y.mul_(b)
    y.sub_(0.5)
    return y.exp()


CASES = [
    # element-wise, one input
    Case("neg", lambda x: -x, ((2, 3),)),
    Case("exp", lambda x: x.exp(), ((2, 3),)),
    Case("log", lambda x: x.log(), ((2, 3),), low=0.1),
    Case("sqrt", lambda x: x.sqrt(), ((2, 3),), low=0.1),
    Case("reciprocal", lambda x: x.reciprocal(), ((4,),), low=0.2),
    Case("abs", lambda x: x.abs(), ((2, 3),), smooth=away_from(0)),
    Case("sin", lambda x: x.sin(), ((3,),)),
    Case("cos", lambda x: x.cos(), ((3,),)),
    Case("tanh", lambda x: x.tanh(), ((2, 3),)),
    Case("sigmoid", lambda x: x.sigmoid(), ((2, 3),), low=-30, high=30),
    Case("relu", lambda x: x.relu(), ((2, 3),), smooth=away_from(0)),
    Case("clamp", lambda x: x.clamp(-0.5, 0.5), ((2, 3),), smooth=away_from(-0.5, 0.5)),
    Case("clamp_min", lambda x: x.clamp(min=0.1), ((5,),), smooth=away_from(0.1)),
    Case("square", lambda x: x.square(), ((2, 3),)),
    Case("pow_3", lambda x: x**3, ((2, 3),)),
    Case("pow_half", lambda x: x**0.5, ((2, 3),), low=0.1),
    Case("rpow", lambda x: 2.0**x, ((2, 3),)),
    Case("rsub", lambda x: 5 - x, ((3,),)),
    Case("rdiv", lambda x: 2 / x, ((3,),), low=0.2),
    # element-wise, two inputs with broadcasting
    Case("add", lambda a, b: a + b, ((2, 3), (3,))),
    Case("add_alpha", lambda a, b: a.add(b, alpha=2.5), ((2, 3), (1, 3))),
    Case("sub", lambda a, b: a - b, ((2, 1), (1, 3))),
    Case("mul", lambda a, b: a * b, ((2, 3), (2, 1))),
    Case("div", lambda a, b: a / b, ((2, 3), (3,)), low=0.2),
    Case("pow_tensor", lambda a, b: a**b, ((2, 3), (3,)), low=0.2),
    Case("same_input_twice", lambda a: a * a + a, ((4,),)),
    # reductions
    Case("sum", lambda x: x.sum(), ((2, 3),)),
    Case("sum_dim", lambda x: x.sum(1), ((2, 3),)),
    Case("sum_dims_keepdim", lambda x: x.sum(dim=(0, 2), keepdim=True), ((2, 3, 2),)),
    Case("mean", lambda x: x.mean(), ((2, 3),)),
    Case("mean_dim_keepdim", lambda x: x.mean(0, keepdim=True), ((2, 3),)),
    Case("max", lambda x: x.max(), ((2, 3),), smooth=distinct),
    Case("max_dim", lambda x: x.max(dim=1).values, ((2, 3),), smooth=distinct),
    Case("min_dim_keepdim", lambda x: x.min(0, keepdim=True)[0], ((2, 3),), smooth=distinct),
    Case("logsumexp", lambda x: x.logsumexp(1), ((2, 3),), low=-30, high=30),
    Case("softmax", lambda x: x.softmax(1), ((2, 3),)),
    Case("log_softmax", lambda x: x.log_softmax(0), ((3, 2),)),
    # shapes and indexing
    Case("reshape", lambda x: x.reshape(3, 2), ((2, 3),)),
    Case("reshape_copy", lambda x: x.t().reshape(6), ((2, 3),)),
    Case("t", lambda x: x.t(), ((2, 3),)),
    Case("T", lambda x: x.T, ((2, 3, 2),)),
    Case("transpose", lambda x: x.transpose(0, 2), ((2, 3, 2),)),
    Case("permute", lambda x: x.permute(2, 0, 1), ((2, 3, 2),)),
    Case("unsqueeze_squeeze", lambda x: x.unsqueeze(1).squeeze(), ((3,),)),
    Case("expand", lambda x: x.expand(4, 3), ((1, 3),)),
    Case("flatten", lambda x: x.flatten(), ((2, 3),)),
    Case("select", lambda x: x[1], ((2, 3),)),
    Case("select_slice", lambda x: x[0, 1:], ((2, 3),)),
    Case("ellipsis_none", lambda x: x[..., None, 1], ((2, 3),)),
    Case("repeated_index", lambda x: x[[0, 0, 1]], ((2, 3),)),
    Case("mask_index", lambda x: x[x > 0], ((2, 3),), smooth=away_from(0)),
    # matrix products
    Case("mm", lambda a, b: a @ b, ((2, 3), (3, 4))),
    Case("mv", lambda a, b: a @ b, ((2, 3), (3,))),
    Case("vm", lambda a, b: a @ b, ((3,), (3, 2))),
    Case("dot", lambda a, b: a @ b, ((3,), (3,))),
    Case("bmm_broadcast", lambda a, b: a @ b, ((2, 2, 3), (3, 4))),
    Case("linear", lambda x, w, b: F.linear(x, w, b), ((4, 3), (2, 3), (2,))),
    Case("linear_3d", lambda x, w, b: F.linear(x, w, b), ((2, 2, 3), (2, 3), (2,))),
    # losses, differentiated with respect to every float input
    Case("mse", lambda p, y: F.mse_loss(p, y), ((2, 3), (2, 3))),
    Case("cross_entropy", lambda z: F.cross_entropy(z, ref.tensor([2, 0])), ((2, 3),)),
    Case("cross_entropy_1d", lambda z: F.cross_entropy(z, ref.tensor(1)), ((3,),)),
    Case("bce", lambda p, y: F.binary_cross_entropy(p, y), ((2, 3), (2, 3)), low=0.05, high=0.95),
    Case("bce_with_logits", lambda z, y: F.binary_cross_entropy_with_logits(z, y), ((4,), (4,))),
    # in-place changes: gradients through the snapshot, CopySlices and index_put
    Case("inplace_on_view", inplace_on_view, ((3, 2), (2,))),
    Case("setitem", setitem_from, ((3, 2), (2,))),
    Case("inplace_chain", chain_of_inplace, ((4,), (4,)), smooth=away_from(0)),
    Case("setitem_advanced", lambda x: x.clone().__setitem__([0, 2], 0.0) or x, ((3,),)),
]


def scalar_value(case, arrays, weights):
    out = case.func(*(ref.tensor(a, dtype="float64") for a in arrays))
    return float((out.data * weights).sum())


def numeric_gradients(case, arrays, weights):
    grads = []
    for i, array in enumerate(arrays):
        grad = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            shifted = [a.copy() for a in arrays]
            shifted[i][index] += EPS
            up = scalar_value(case, shifted, weights)
            shifted[i][index] -= 2 * EPS
            grad[index] = (up - scalar_value(case, shifted, weights)) / (2 * EPS)
        grads.append(grad)
    return grads


def inputs(case):
    elements = st.floats(case.low, case.high, allow_nan=False, allow_infinity=False)
    return st.tuples(*(hnp.arrays(np.float64, shape, elements=elements) for shape in case.shapes))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data())
def test_gradient_matches_finite_differences(case, data):
    arrays = [np.asarray(a) for a in data.draw(inputs(case))]
    assume(case.smooth(*arrays))
    leaves = [ref.tensor(a, dtype="float64", requires_grad=True) for a in arrays]
    out = case.func(*leaves)
    weights = np.random.default_rng(0).uniform(0.5, 1.5, out.shape)
    (out * ref.tensor(weights)).sum().backward()
    expected = numeric_gradients(case, arrays, weights)
    for i, (leaf, numeric) in enumerate(zip(leaves, expected, strict=True)):
        got = np.zeros_like(numeric) if leaf.grad is None else leaf.grad.numpy()
        np.testing.assert_allclose(
            got, numeric, rtol=1e-5, atol=1e-6, err_msg=f"{case.name}: input {i}"
        )
