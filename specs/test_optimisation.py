"""Optimisation: gradient descent by hand and with the SGD optimiser."""

import numpy as np
import pytest

from conformance import Tolerance, expect_close, expect_equal, expect_grad, expect_true, spec
from conformance.specs.sources import (
    BLOG,
    BOOK,
    LINREG,
    PY_COURSE,
    R_COURSE,
    both_courses,
    cite,
    maths,
    pytorch_docs,
)

# Each course prints the trace twice: first for the manual loop, then for the SGD optimiser.
MANUAL_STEPS = both_courses("step 6: w=1.2621 loss=0.1074", occurrence=1)
PRINTED_STEPS = both_courses("step 6: w=1.2621 loss=0.1074", occurrence=2)
UPDATE_RULE = both_courses("the update rule is:")
NO_GRAD_UPDATE = [
    cite(PY_COURSE, "torch.no_grad() is needed around"),
    cite(R_COURSE, "with_no_grad is needed around"),
]
OPTIMIZERS = both_courses("handle the parameter update and gradient zeroing")
ADAM_SCALES = both_courses("to scale the update for each parameter individually")
ADAM_EQUATIONS = pytorch_docs("torch.optim.Adam", "the algorithm: moments, bias correction, step")
WEIGHT_DECAY = [
    *both_courses("L + \\lambda \\sum_\\theta \\theta^2"),
    *both_courses("passed directly to the optimizer"),
]
SGD_DECAY = pytorch_docs(
    "torch.optim.SGD", "weight_decay adds weight_decay * param to the gradient"
)
ADAM_DECAY = pytorch_docs(
    "torch.optim.Adam", "weight_decay adds weight_decay * param to the gradient"
)
# The factor of weight_decay in the gradient under each reading of the option.
DECAY_FACTOR = {"optim.weight_decay": 1.0, "optim.weight_decay_penalty": 2.0}

# Minimising (w - 1)**2 from w = 2 with lr = 0.1: w <- w - 0.2 (w - 1), so w_k - 1 = 0.8**k and
# the loss before step k is 0.64**(k - 1). Printed in the courses as 1.8000, 1.6400, 1.5120,
# 1.4096, 1.3277, 1.2621 and 1.0000, 0.6400, 0.4096, 0.2621, 0.1678, 0.1074.
SGD_W = [1 + 0.8**k for k in range(1, 7)]
SGD_LOSS = [0.64**k for k in range(6)]


@spec(
    id="optim.sgd_trace",
    behaviour="SGD with lr 0.1 on (w - 1)**2 from w = 2 gives w = 1.8, 1.64, 1.512, ... 1.2621",
    sources=[
        *both_courses("which implements the update rule"),
        *PRINTED_STEPS,
        maths("w_k = 1 + 0.8**k, loss_k = 0.64**k"),
    ],
    about="optim.sgd",
    requires={"autograd.backward"},
    # The optimiser chapter's foundation: when plain SGD cannot take these steps, the specs of
    # momentum, weight decay, learning rates and zeroing that drive SGD are blocked by it
    # instead of each failing for the same reason.
    basic=True,
)
def test_sgd_trace(engine):
    w = engine.tensor(2.0, requires_grad=True)
    optimizer = engine.sgd([w], lr=0.1)
    losses, weights = [], []
    for _ in range(6):
        optimizer.zero_grad()
        loss = (w - 1) ** 2
        loss.backward()
        optimizer.step()
        losses.append(engine.to_numpy(loss).copy())  # copies keep the engine's dtype
        weights.append(engine.to_numpy(w).copy())
    expect_close(weights, SGD_W, what="w after each of the six steps")
    expect_close(losses, SGD_LOSS, what="loss before each of the six steps")


def manual_descent(engine, steps=6, lr=0.1):
    """The courses' manual loop: loss, backward, update under no_grad, zero the gradient."""
    w = engine.tensor(2.0, requires_grad=True)
    weights, losses = [], []
    for _ in range(steps):
        loss = (w - 1) ** 2
        loss.backward()
        with engine.no_grad():
            w.sub_(lr * w.grad)
            w.grad.zero_()  # inside no_grad, as the R documents' loops do
        losses.append(engine.to_numpy(loss).copy())
        weights.append(engine.to_numpy(w).copy())
    return w, weights, losses


@spec(
    id="optim.gradient_descent_step",
    behaviour="one step theta <- theta - lr * dL/dtheta on L = (theta - 3)**2 from 1 with lr 0.25 "
    "gives 2",
    sources=[*UPDATE_RULE, cite(LINREG, "a_{t+1} = a_t - \\eta")],
    about="autograd.backward",
    requires={"autograd.no_grad", "tensor.inplace"},
)
def test_gradient_descent_step(engine):
    theta = engine.tensor(1.0, requires_grad=True)
    ((theta - 3) ** 2).backward()
    expect_grad(theta, -4.0, what="dL/dtheta at theta = 1")
    with engine.no_grad():
        theta.sub_(0.25 * theta.grad)
    expect_close(theta, 2.0, what="theta after one step")


@spec(
    id="optim.manual_sgd_trace",
    behaviour="a manual no_grad loop on (w - 1)**2 from w = 2, lr 0.1, gives w = 1.8, 1.64, ...",
    sources=[*NO_GRAD_UPDATE, *MANUAL_STEPS, maths("w_k = 1 + 0.8**k, loss_k = 0.64**k")],
    about="autograd.no_grad",
    requires={"autograd.backward", "tensor.inplace"},
)
def test_manual_sgd_trace(engine):
    _, weights, losses = manual_descent(engine)
    expect_close(weights, SGD_W, what="w after each of the six manual steps")
    expect_close(losses, SGD_LOSS, what="loss before each of the six manual steps")


@spec(
    id="optim.manual_matches_optimizer",
    behaviour="the SGD optimiser reproduces the manual no_grad loop step for step",
    sources=[*OPTIMIZERS, *MANUAL_STEPS, *PRINTED_STEPS],
    about="optim.sgd",
    requires={"autograd.backward", "autograd.no_grad", "tensor.inplace"},
)
def test_manual_matches_optimizer(engine):
    _, manual, _ = manual_descent(engine)
    w = engine.tensor(2.0, requires_grad=True)
    optimizer = engine.sgd([w], lr=0.1)
    by_optimizer = []
    for _ in range(6):
        optimizer.zero_grad()
        ((w - 1) ** 2).backward()
        optimizer.step()
        by_optimizer.append(engine.to_numpy(w).copy())
    expect_close(
        by_optimizer, np.asarray(manual, dtype=np.float64), what="optimizer trace vs manual"
    )


@spec(
    id="optim.update_keeps_leaf",
    behaviour="an update made under no_grad is not recorded: w stays a leaf that requires grad, "
    "and the next backward fills w.grad with the gradient at the updated w",
    sources=[*NO_GRAD_UPDATE, cite(BLOG, "we have to explicitly exempt it")],
    about="autograd.no_grad",
    requires={"autograd.backward", "tensor.inplace"},
    note="Tracked is judged by what the documents show of a leaf (is_leaf, requires_grad, .grad "
    "filled by backward), not by grad_fn being None: Paddle's leaves show an accumulation node.",
)
def test_update_keeps_leaf(engine):
    w, _, _ = manual_descent(engine, steps=2)  # w = 1.64, its .grad zeroed
    expect_equal(bool(w.is_leaf), True, what="w.is_leaf after two manual updates")
    expect_equal(bool(w.requires_grad), True, what="w.requires_grad after two manual updates")
    ((w - 1) ** 2).backward()
    expect_grad(w, 2 * (SGD_W[1] - 1), what="w.grad of (w - 1)**2 at the updated w = 1.64")


def adam_reference(w, scale, target, steps, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    """Adam's update equations in float64 on L = sum(scale * (w - target)**2)."""
    w = np.array(w, dtype=np.float64)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    history = []
    for t in range(1, steps + 1):
        g = 2 * np.asarray(scale) * (w - np.asarray(target)) + weight_decay * w
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        m_hat = m / (1 - betas[0] ** t)
        v_hat = v / (1 - betas[1] ** t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        history.append(w.copy())
    return history


def adam_trace(engine, scale, target, steps, lr, weight_decay=0.0):
    w = engine.tensor([1.0] * len(scale), requires_grad=True)
    optimizer = engine.adam([w], lr=lr, weight_decay=weight_decay)
    history = []
    for _ in range(steps):
        optimizer.zero_grad()
        (engine.tensor(scale) * (w - engine.tensor(target)) ** 2).sum().backward()
        optimizer.step()
        history.append(engine.to_numpy(w).copy())
    return history


# Two parameters whose gradients differ by a factor of 10**6.
SCALE, TARGET = [1000.0, 0.001], [0.0, 0.0]
# The trace adds a third parameter whose gradient (2e-6) is near eps / sqrt(1 - beta2) = 3.2e-7:
# there Adam's eps added to sqrt(v_hat) (PyTorch's equations) and eps added to sqrt(v) with the
# bias correction folded into the step size (lr sqrt(1 - b2^t) / (1 - b1^t), the Adam paper's
# "efficient" form) differ by 4.4e-3 after five steps, 400 times the float32 tolerance; on the
# first two parameters alone they differ by 4.9e-6. A fourth parameter has gradient 0 throughout:
# m = v = 0, so its step is 0 / eps = 0 and it stays at 1.
TRACE_SCALE, TRACE_TARGET = [*SCALE, 1e-6, 0.0], [*TARGET, 0.0, 0.0]


@spec(
    id="optim.adam_trace",
    behaviour="Adam follows its equations: running means of g and g**2 with bias correction, "
    "eps added to sqrt(v_hat); a parameter whose gradient is 0 does not move",
    sources=[
        ADAM_EQUATIONS,
        maths("m_t, v_t, m_hat = m/(1-b1^t), v_hat = v/(1-b2^t), step m_hat/(sqrt(v_hat)+eps)"),
    ],
    about="optim.adam_equations",
    requires={"optim.adam", "autograd.backward", "tensor.arrays", "tensor.ops"},
)
def test_adam_trace(engine):
    got = adam_trace(engine, TRACE_SCALE, TRACE_TARGET, steps=5, lr=0.01)
    expected = adam_reference([1.0] * 4, TRACE_SCALE, TRACE_TARGET, steps=5, lr=0.01)
    expect_close(got, expected, what="Adam's w after each of five steps")


@spec(
    id="optim.adam_per_parameter_steps",
    behaviour="Adam's first step moves two parameters whose gradients are 10**6 apart downhill by "
    "the same amount, of the order of lr",
    sources=[
        *ADAM_SCALES,
        maths(
            "first step = lr m1 / (sqrt(v1) + eps), m1 = (1-b1) g, v1 = (1-b2) g**2: "
            "lr (1-b1) / sqrt(1-b2) for every g >> eps, lr once bias-corrected"
        ),
    ],
    about="optim.adam",
    requires={"autograd.backward", "tensor.arrays", "tensor.ops"},
    note="Only what the documents say is pinned: one step size for both parameters (plain SGD "
    "would make steps 10**6 apart), within [lr/10, 10 lr], which holds with or without bias "
    "correction (factor 1 or 3.16 at the default betas); the exact trace is optim.adam_trace.",
)
def test_adam_per_parameter_steps(engine):
    lr = 0.01
    (first,) = adam_trace(engine, SCALE, TARGET, steps=1, lr=lr)
    # SCALE puts the large gradient first.
    large, small = 1.0 - np.asarray(first, dtype=np.float64)  # a step downhill is positive
    expect_true(
        lr / 10 <= large <= 10 * lr,
        what=f"the first step of the parameter with the large gradient lies in [lr/10, 10 lr] "
        f"(lr = {lr})",
        got=large,
    )
    # The steps differ by eps / sqrt(v1) relative: 5e-6 bias-corrected, 1.6e-4 without.
    same = Tolerance(rtol=1e-3, atol=0.0, why="eps / sqrt(v1) <= 1.6e-4 relative, and roundoff")
    expect_close(
        small, large, tol=same, what="the small-gradient parameter's step, against the large one's"
    )


def adam_steps_on_reversing_gradient(engine, lr, gradients):
    """The steps Adam takes on L = sum(c w) from w = [1] when c (the gradient) is each of
    ``gradients`` in turn, as float64 numbers (positive: downhill for c > 0). The parameter has
    one element, not zero dimensions, so an optimiser's handling of 0-d parameters (the SGD
    trace's business) does not decide this spec."""
    w = engine.tensor([1.0], requires_grad=True)
    optimizer = engine.adam([w], lr=lr)
    before, steps = 1.0, []
    for c in gradients:
        optimizer.zero_grad()
        (w * c).sum().backward()
        optimizer.step()
        after = float(np.asarray(engine.to_numpy(w), dtype=np.float64).reshape(-1)[0])
        steps.append(before - after)
        before = after
    return steps


@spec(
    id="optim.adam_running_estimates",
    behaviour="Adam keeps running means of the gradient: when the gradient flips from +1 to -1, "
    "its second step is less than half its first",
    sources=[
        *both_courses("maintains a running estimate of the mean gradient"),
        maths(
            "g = +1 then -1: m1 = 1-b1, m2 = -(1-b1)**2, v1 = 1-b2, v2 = (1-b2)(1+b2); at the "
            "default betas step2 / step1 = -0.053 bias-corrected, -0.071 without"
        ),
    ],
    about="optim.adam",
    requires={"autograd.backward", "tensor.arrays", "tensor.ops"},
    note="What the documents state: Adam averages the gradient over steps. One that keeps no "
    "history steps lr g / |g|, so its second step is as long as its first (ratio 1); PyTorch's "
    "Adam gives 0.053 lr after lr (ratio 0.053), without bias correction 0.22 lr after 3.16 lr "
    "(0.071). The bound 1/2 sits seven times above the larger of these and twice below the "
    "memoryless ratio, which is 14 times the larger.",
)
def test_adam_running_estimates(engine):
    lr = 0.01
    first, second = adam_steps_on_reversing_gradient(engine, lr, [1.0, -1.0])
    expect_true(first > 0, what="the first step goes downhill (against the gradient +1)", got=first)
    expect_true(
        abs(second) < first / 2,
        what=f"the second step, after the gradient flips to -1, shorter than half the first "
        f"({first:.6g})",
        got=second,
    )


@spec(
    id="optim.sgd_momentum",
    behaviour="SGD with momentum keeps b = momentum * b + g and steps by lr * b",
    sources=[
        pytorch_docs("torch.optim.SGD", "momentum: b_t = momentum b_(t-1) + g_t, step lr b_t"),
        maths("b1 = g1, b2 = 0.9 b1 + g2"),
    ],
    about="optim.momentum",
    requires={"optim.sgd", "autograd.backward"},
)
def test_sgd_momentum(engine):
    w = engine.tensor(2.0, requires_grad=True)
    optimizer = engine.sgd([w], lr=0.1, momentum=0.9)
    trace = []
    for _ in range(2):
        optimizer.zero_grad()
        ((w - 1) ** 2).backward()
        optimizer.step()
        trace.append(engine.to_numpy(w).copy())
    # g1 = 2, w1 = 2 - 0.2 = 1.8; g2 = 1.6, b2 = 0.9 * 2 + 1.6 = 3.4, w2 = 1.8 - 0.34 = 1.46
    expect_close(trace, [1.8, 1.46], what="w after two momentum steps")


def check_sgd_weight_decay(engine, reading):
    w = engine.tensor(2.0, requires_grad=True)
    optimizer = engine.sgd([w], lr=0.1, weight_decay=0.5)
    ((w - 1) ** 2).backward()
    optimizer.step()
    expected = 2.0 - 0.1 * (2.0 + DECAY_FACTOR[reading] * 0.5 * 2.0)
    expect_close(w, expected, what=f"w after one step with weight_decay = 0.5 ({reading})")


@spec(
    id="optim.sgd_weight_decay",
    behaviour="SGD's weight_decay = wd adds wd * w to the gradient before the step",
    sources=[SGD_DECAY, maths("w <- w - lr (g + wd w)")],
    about="optim.weight_decay",
    requires={"optim.sgd", "autograd.backward"},
    note="PyTorch's convention: weight_decay = wd is the gradient of (wd / 2) sum(w**2); the "
    "courses' penalty lambda * sum(w**2) corresponds to weight_decay = 2 lambda.",
)
def test_sgd_weight_decay(engine):
    check_sgd_weight_decay(engine, "optim.weight_decay")


@spec(
    id="optim.sgd_weight_decay_penalty",
    behaviour="SGD's weight_decay = lambda read as the documents' penalty lambda * sum(w**2) adds "
    "2 lambda w to the gradient before the step",
    sources=[*WEIGHT_DECAY, maths("d(lambda w**2)/dw = 2 lambda w; w <- w - lr (g + 2 lambda w)")],
    about="optim.weight_decay_penalty",
    requires={"optim.sgd", "autograd.backward"},
)
def test_sgd_weight_decay_penalty(engine):
    check_sgd_weight_decay(engine, "optim.weight_decay_penalty")


# Both readings of weight_decay are checked against Adam's equations (adam_reference).
ADAM_EXPECTED_BY_EQUATIONS = {
    "optim.adam",
    "optim.adam_equations",
    "autograd.backward",
    "tensor.arrays",
    "tensor.ops",
}


def check_adam_weight_decay(engine, reading):
    scale, target = [1.0, 0.5], [0.5, 2.0]
    got = adam_trace(engine, scale, target, steps=3, lr=0.1, weight_decay=0.3)
    decay = DECAY_FACTOR[reading] * 0.3
    expected = adam_reference([1.0, 1.0], scale, target, steps=3, lr=0.1, weight_decay=decay)
    expect_close(got, expected, what=f"Adam's w with weight_decay = 0.3 ({reading})")


@spec(
    id="optim.adam_weight_decay",
    behaviour="Adam's weight_decay adds weight_decay * w to the gradient (L2, not decoupled)",
    sources=[ADAM_DECAY, maths("g <- g + wd w before the moments")],
    about="optim.weight_decay",
    requires=ADAM_EXPECTED_BY_EQUATIONS,
)
def test_adam_weight_decay(engine):
    check_adam_weight_decay(engine, "optim.weight_decay")


def adam_trace_penalised(engine, scale, target, steps, lr, penalty):
    """Adam without weight_decay on L + penalty * sum(w**2), the documents' L_reg written out."""
    w = engine.tensor([1.0, 1.0], requires_grad=True)
    optimizer = engine.adam([w], lr=lr)
    history = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = (engine.tensor(scale) * (w - engine.tensor(target)) ** 2).sum()
        (loss + (w * w).sum() * penalty).backward()
        optimizer.step()
        history.append(engine.to_numpy(w).copy())
    return history


# At w = 1 the first parameter's loss gradient is 2 (1 - 1.375) = -0.75; the penalty 0.5 w**2
# adds 2 * 0.5 = 1 (the documents' reading: +0.25), PyTorch's weight_decay 0.5 adds 0.5 (-0.25):
# opposite signs, so the two readings' first steps go opposite ways.
PENALTY_SCALE, PENALTY_TARGET, PENALTY = [1.0, 0.5], [1.375, 0.5], 0.5


@spec(
    id="optim.adam_weight_decay_penalty",
    behaviour="Adam with weight_decay = lambda steps exactly as Adam without it on the loss plus "
    "the penalty lambda * sum(w**2)",
    sources=[*WEIGHT_DECAY, maths("g(L + lambda sum w**2) = g(L) + 2 lambda w")],
    about="optim.weight_decay_penalty",
    requires={"optim.adam", "autograd.backward", "tensor.arrays", "tensor.ops"},
    note="The documents' side of weight decay, checked against the documents alone: the "
    "optimiser's weight_decay must act as the penalty added to the loss, whatever Adam's exact "
    "equations are (PyTorch's are optim.adam_equations, not required here). PyTorch's reading "
    "(wd w in the gradient) moves the first parameter the other way, 0.2 apart after one step "
    "at lr 0.1.",
)
def test_adam_weight_decay_penalty(engine):
    lr, steps = 0.1, 3
    got = adam_trace(
        engine, PENALTY_SCALE, PENALTY_TARGET, steps=steps, lr=lr, weight_decay=PENALTY
    )
    written_out = adam_trace_penalised(
        engine, PENALTY_SCALE, PENALTY_TARGET, steps=steps, lr=lr, penalty=PENALTY
    )
    first = float(np.asarray(written_out[0], dtype=np.float64)[0])
    expect_true(
        first < 1.0,
        what="the penalised loss's first step moves w[0] against its gradient +0.25",
        got=first,
    )
    expect_close(
        got,
        np.asarray(written_out, dtype=np.float64),
        what=f"Adam(weight_decay={PENALTY}) against Adam on L + {PENALTY} * sum(w**2)",
    )


# On (w - 1)**2 one SGD step maps w - 1 to (1 - 2 lr)(w - 1): a contraction for 0 < lr < 1, an
# oscillating divergence for lr > 1.
@pytest.mark.parametrize("lr", [0.01, 0.1, 1.1], ids=["small-slow", "moderate", "large-overshoots"])
@spec(
    id="optim.learning_rate_size",
    behaviour="each SGD step on (w - 1)**2 scales the distance to the minimum by 1 - 2 lr: a small "
    "lr crawls, lr 1.1 overshoots and diverges",
    sources=[
        cite(PY_COURSE, "risks overshooting the minimum"),
        cite(PY_COURSE, "a small one converges slowly"),
        maths("w_k - 1 = (1 - 2 lr)**k (w_0 - 1)"),
    ],
    about="optim.sgd",
    requires={"autograd.backward"},
)
def test_learning_rate_size(engine, lr):
    w = engine.tensor(2.0, requires_grad=True)
    optimizer = engine.sgd([w], lr=lr)
    distances = []
    for _ in range(5):
        optimizer.zero_grad()
        ((w - 1) ** 2).backward()
        optimizer.step()
        distances.append(engine.to_numpy(w - 1).copy())
    expected = [(1 - 2 * lr) ** k for k in range(1, 6)]
    expect_close(distances, expected, what=f"w - 1 after each of five steps with lr {lr}")


def book_f(x):
    """The book's f(x1, x2) = 0.2 x1**2 + 0.2 x2**2 - 5 on a tensor or array of two values."""
    return (0.2 * x**2).sum() - 5


@spec(
    id="optim.negative_gradient_descends",
    behaviour="from (2, 2), a step of 0.5 against the gradient of the book's f lowers it from -3.4 "
    "to -3.976; the same step along the gradient raises it to -2.696",
    sources=[
        cite(BOOK, "0.2 {x_1}^2 + 0.2 {x_2}^2 - 5"),
        cite(BOOK, "we have to go in the opposite direction"),
        cite(LINREG, "the negative gradient points in the direction"),
        maths("grad f(2, 2) = (0.8, 0.8); f(1.6, 1.6) = -3.976; f(2.4, 2.4) = -2.696"),
    ],
    about="autograd.backward",
    requires={"autograd.no_grad", "tensor.ops", "tensor.arrays"},
)
def test_negative_gradient_descends(engine):
    x = engine.tensor([2.0, 2.0], requires_grad=True)
    value = book_f(x)
    value.backward()
    with engine.no_grad():
        downhill, uphill = book_f(x - 0.5 * x.grad), book_f(x + 0.5 * x.grad)
    expect_close(
        [engine.to_numpy(t).copy() for t in (value, downhill, uphill)],
        [-3.4, -3.976, -2.696],
        what="f at (2, 2), one step against the gradient, one step along it",
    )


@spec(
    id="optim.skipped_zeroing_corrupts_update",
    behaviour="without zero_grad, SGD steps on the sum of old and new gradients: two steps on "
    "(w - 1)**2 from 2 reach 1.44 instead of 1.64",
    sources=[
        *both_courses("corrupt the parameter update"),
        maths("g1 = 2, w1 = 1.8; g2 = 2 + 1.6 = 3.6, w2 = 1.8 - 0.36 = 1.44"),
    ],
    about="autograd.accumulate",
    requires={"optim.sgd", "autograd.backward"},
)
def test_skipped_zeroing_corrupts_update(engine):
    w = engine.tensor(2.0, requires_grad=True)
    optimizer = engine.sgd([w], lr=0.1)
    trace = []
    for _ in range(2):  # no optimizer.zero_grad(): the first gradient stays in w.grad
        ((w - 1) ** 2).backward()
        optimizer.step()
        trace.append(engine.to_numpy(w).copy())
    expect_close(trace, [1.8, 1.44], what="w after each step without zeroing")
