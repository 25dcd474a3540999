"""Regularisation: dropout and weight decay."""

import numpy as np
import pytest

from conformance import expect_close, expect_true, spec
from conformance.specs.seeding import seed_if_declared
from conformance.specs.sources import PY_COURSE, R_COURSE, both_courses, cite, maths, pytorch_docs
from conformance.specs.test_optimisation import DECAY_FACTOR, WEIGHT_DECAY

SCALED = both_courses("1/(1-p)")
EVAL_OFF = both_courses("dropout is disabled entirely")
BERNOULLI = cite(PY_COURSE, "Bernoulli random variable")
INDEPENDENT = cite(PY_COURSE, "independently and randomly deactivated")


@spec(
    id="regularisation.dropout_values",
    behaviour="dropout with p = 0.5 in training turns ones(10) into 0s and 2s, in eval leaves it",
    sources=[
        cite(PY_COURSE, "tensor([0., 0., 2., 0., 2., 2., 2., 0., 0., 0.])"),
        cite(R_COURSE, "[ CPUFloatType{10} ]"),
        *EVAL_OFF,
    ],
    about="nn.dropout",
    requires={"tensor.arrays"},
    note="Which positions are zeroed depends on the generator; the documents print one draw.",
)
def test_dropout_values(engine):
    seed_if_declared(engine, 0)
    layer = engine.dropout(0.5)
    layer.train()
    ones = engine.ones(10)
    got = np.asarray(engine.to_numpy(layer(ones)))
    expect_true(np.isin(got, [0.0, 2.0]).all(), what="only 0s and 2s in training", got=got)
    layer.eval()
    expect_close(layer(ones), np.ones(10), what="dropout in eval mode")


def training(layer):
    """``layer`` switched to training mode. Specs switch it rather than rely on the mode of a
    new layer: an engine whose mode is global gives a new layer the current one."""
    layer.train()
    return layer


def dropout_output(engine, p, n, seed, train=True, seeded=False):
    """dropout(p) applied to ones(n), after ``manual_seed(seed)`` (when ``seeded``, else when
    the engine declares seeding)."""
    if seeded:
        engine.manual_seed(seed)
    else:
        seed_if_declared(engine, seed)
    layer = engine.dropout(p)
    if train:
        training(layer)
    else:
        layer.eval()
    return np.asarray(engine.to_numpy(layer(engine.ones(n))))


# The spec needs survivors to compare: all 1000 units are dropped with probability p**1000, at
# most 0.8**1000 = 1.23e-97 (exactly; scripts/check_probabilities.py).
@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
@spec(
    id="regularisation.dropout_scaling",
    behaviour="in training, dropout keeps each unit as 0 or scaled by exactly 1 / (1 - p)",
    sources=[*SCALED, maths("survivors scaled by 1/(1-p)")],
    about="nn.dropout",
    requires={"tensor.arrays"},
    false_failure_probability=1.3e-97,
)
def test_dropout_scaling(engine, p):
    got = dropout_output(engine, p, 1000, seed=3)
    survivors = got[got != 0]
    expect_true(survivors.size > 0, what="some units to survive out of 1000", got=got[:10])
    expect_close(survivors, np.full(survivors.shape, 1 / (1 - p)), what="surviving values")


# The number of zeros among n = 20000 units is Binomial(n, p). Hoeffding: P(|zeros/n - p| >= t)
# <= 2 exp(-2 n t**2); t = 0.035 gives 2 exp(-49) = 1.05e-21. The mean output 2 * (kept / n)
# for p = 0.5 then lies within 2t = 0.07 of 1. A mask keeping p instead of 1 - p is caught only
# for p != 0.5, hence p = 0.2 below as well.
N_UNITS, BAND = 20000, 0.035


@pytest.mark.parametrize("p", [0.2, 0.5])
@spec(
    id="regularisation.dropout_rate",
    behaviour="dropout zeroes a fraction p of units, and the expected activation is unchanged",
    sources=[
        BERNOULLI,
        *both_courses("the expected total activation remains unchanged"),
        maths("Bernoulli(1 - p) mask; Hoeffding bound"),
    ],
    about="nn.dropout",
    requires={"tensor.arrays"},
    false_failure_probability=1.1e-21,
)
def test_dropout_rate(engine, p):
    got = dropout_output(engine, p, N_UNITS, seed=11)
    zeros = float(np.mean(got == 0))
    expect_true(
        abs(zeros - p) < BAND, what=f"a fraction of zeros within {BAND} of p = {p}", got=zeros
    )
    expect_true(
        abs(float(got.mean()) - 1) < BAND / (1 - p),
        what="mean activation within the band of 1",
        got=float(got.mean()),
    )


@spec(
    id="regularisation.dropout_seeded",
    behaviour="the same seed gives the same dropout mask",
    sources=[
        pytorch_docs("torch.manual_seed", "sets the seed for generating random numbers"),
        maths("a seeded generator is deterministic"),
    ],
    about="random.manual_seed",
    requires={"nn.dropout", "tensor.arrays"},
)
def test_dropout_seeded(engine):
    first = dropout_output(engine, 0.5, 200, seed=5, seeded=True)
    again = dropout_output(engine, 0.5, 200, seed=5, seeded=True)
    expect_close(again, first, what="mask for the same seed")


@spec(
    id="regularisation.dropout_eval_identity",
    behaviour="in eval mode dropout is the identity: no unit dropped, no scaling",
    sources=[*EVAL_OFF, cite(PY_COURSE, "no scaling is applied")],
    about="nn.dropout",
    requires={"tensor.arrays"},
)
def test_dropout_eval_identity(engine):
    values = np.linspace(-2, 2, 50)
    seed_if_declared(engine, 0)
    layer = engine.dropout(0.5)
    layer.eval()
    expect_close(layer(engine.tensor(values.tolist())), values, what="dropout(x) in eval mode")


@spec(
    id="regularisation.dropout_grad",
    behaviour="the gradient through dropout is the same mask and scaling as the forward pass",
    sources=[BERNOULLI, maths("d(mask * x / (1-p))/dx = mask / (1-p)")],
    about="nn.dropout",
    requires={"autograd.backward", "tensor.ops", "tensor.arrays"},
)
def test_dropout_grad(engine):
    seed_if_declared(engine, 9)
    x = engine.ones(100, requires_grad=True)
    out = training(engine.dropout(0.25))(x)
    out.sum().backward()
    expect_close(x.grad, engine.to_numpy(out), what="x.grad (mask / (1 - p)) vs dropout(ones)")


def check_weight_decay_is_penalty(engine, reading):
    lam = 0.05
    option = 2 * lam / DECAY_FACTOR[reading]  # the option that stands for the penalty lambda
    decayed = engine.tensor([1.5, -2.0], requires_grad=True)
    optimizer = engine.sgd([decayed], lr=0.1, weight_decay=option)
    ((decayed - 1) ** 2).sum().backward()
    optimizer.step()
    penalised = engine.tensor([1.5, -2.0], requires_grad=True)
    plain = engine.sgd([penalised], lr=0.1)
    (((penalised - 1) ** 2).sum() + lam * (penalised**2).sum()).backward()
    plain.step()
    expect_close(
        decayed,
        engine.to_numpy(penalised),
        what=f"step with weight_decay = {option:g} vs penalised",
    )


@spec(
    id="regularisation.weight_decay_is_l2_penalty",
    behaviour="SGD with weight_decay = 2 lambda steps like plain SGD on L + lambda sum(w**2)",
    sources=[
        *WEIGHT_DECAY,
        pytorch_docs("torch.optim.SGD", "weight_decay adds weight_decay * param to the gradient"),
        maths("d(lambda w**2)/dw = 2 lambda w"),
    ],
    about="optim.weight_decay",
    requires={"optim.sgd", "autograd.backward", "tensor.ops", "tensor.arrays"},
    note="The courses write the penalty as lambda * sum(theta**2); PyTorch's weight_decay option "
    "is the coefficient of theta in the gradient, i.e. 2 lambda for that penalty.",
)
def test_weight_decay_is_l2_penalty(engine):
    check_weight_decay_is_penalty(engine, "optim.weight_decay")


@spec(
    id="regularisation.weight_decay_penalty",
    behaviour="SGD with weight_decay = lambda, read as the documents' penalty, steps like plain "
    "SGD on L + lambda sum(w**2)",
    sources=[*WEIGHT_DECAY, maths("L_reg = L + lambda sum(theta**2)")],
    about="optim.weight_decay_penalty",
    requires={"optim.sgd", "autograd.backward", "tensor.ops", "tensor.arrays"},
)
def test_weight_decay_penalty(engine):
    check_weight_decay_is_penalty(engine, "optim.weight_decay_penalty")


def both_dropped(engine, across_passes: bool) -> float:
    """The fraction of unit pairs dropped together by a p = 0.5 layer on ones(20000): pairs of
    neighbouring units in one pass, or the same unit in two passes."""
    seed_if_declared(engine, 17)
    layer = training(engine.dropout(0.5))
    first = np.asarray(engine.to_numpy(layer(engine.ones(N_UNITS)))) == 0
    if across_passes:
        second = np.asarray(engine.to_numpy(layer(engine.ones(N_UNITS)))) == 0
        return float(np.mean(first & second))
    return float(np.mean(first[0::2] & first[1::2]))


# Independent Bernoulli(0.5) drops hit both units of a pair with probability 0.25. Hoeffding over
# the m independent pairs: P(|fraction - 0.25| >= 0.04) <= 2 exp(-2 m 0.04**2); m = 10000
# neighbour pairs gives 2 exp(-32) = 2.5e-14, m = 20000 same-unit pairs 2 exp(-64). A mask shared
# by neighbours, or reused by the next pass, drops pairs together half of the time.
PAIR_BAND = 0.04


@pytest.mark.parametrize("across_passes", [False, True], ids=["neighbours", "two-passes"])
@spec(
    id="regularisation.dropout_independent",
    behaviour="dropout draws every unit independently and afresh at each forward pass: two units "
    "are dropped together a fraction p**2 of the time",
    sources=[
        INDEPENDENT,
        cite(PY_COURSE, "during each forward pass of training"),
        maths("P(both dropped) = p**2; Hoeffding bound"),
    ],
    about="nn.dropout",
    requires={"tensor.arrays"},
    false_failure_probability=2.5e-14,
)
def test_dropout_independent(engine, across_passes):
    fraction = both_dropped(engine, across_passes)
    expect_true(
        abs(fraction - 0.25) < PAIR_BAND,
        what=f"pairs dropped together within {PAIR_BAND} of p**2 = 0.25",
        got=fraction,
    )


def check_weight_decay_shrinks(engine, reading):
    w = engine.tensor([1.5, -2.0], requires_grad=True)
    optimizer = engine.sgd([w], lr=0.1, weight_decay=0.5)
    for _ in range(3):
        optimizer.zero_grad()
        (w * 0).sum().backward()
        optimizer.step()
    factor = 1 - 0.1 * DECAY_FACTOR[reading] * 0.5
    expect_close(w, np.array([1.5, -2.0]) * factor**3, what="w after three steps of pure decay")


@spec(
    id="regularisation.weight_decay_shrinks",
    behaviour="with a loss whose gradient is zero, SGD's weight decay alone shrinks the weights by "
    "a factor 1 - lr * weight_decay per step",
    sources=[
        pytorch_docs("torch.optim.SGD", "weight_decay adds weight_decay * param to the gradient"),
        maths("w <- w - lr (0 + wd w) = (1 - lr wd) w"),
    ],
    about="optim.weight_decay",
    requires={"optim.sgd", "autograd.backward", "tensor.ops", "tensor.arrays"},
)
def test_weight_decay_shrinks(engine):
    check_weight_decay_shrinks(engine, "optim.weight_decay")


@spec(
    id="regularisation.weight_decay_penalty_shrinks",
    behaviour="with a loss whose gradient is zero, the documents' penalty lambda sum(w**2) alone "
    "shrinks the weights by a factor 1 - 2 lr lambda per step",
    sources=[
        *both_courses("penalises large parameter values"),
        maths("w <- w - lr (0 + 2 lambda w)"),
    ],
    about="optim.weight_decay_penalty",
    requires={"optim.sgd", "autograd.backward", "tensor.ops", "tensor.arrays"},
)
def test_weight_decay_penalty_shrinks(engine):
    check_weight_decay_shrinks(engine, "optim.weight_decay_penalty")


@spec(
    id="regularisation.dropout_switched_by_container",
    behaviour="eval() and train() on a network switch the dropout inside it: identity in eval, "
    "0s and 2s (p = 0.5) in training",
    sources=[*EVAL_OFF, *SCALED],
    about="nn.dropout",
    requires={"nn.linear", "tensor.arrays"},
    note="No document shows how the mode is switched, only that dropout is off during "
    "evaluation; the spec switches the network, as a user evaluating a model does, so an "
    "engine whose train()/eval() set one mode for everything passes as well as one whose "
    "switch reaches the container's layers.",
)
def test_dropout_switched_by_container(engine):
    seed_if_declared(engine, 0)
    model = engine.sequential(engine.dropout(0.5))
    ones = engine.ones(200)
    model.eval()
    expect_close(model(ones), np.ones(200), what="model(ones) after model.eval()")
    model.train()
    got = np.asarray(engine.to_numpy(model(ones)))
    expect_true(
        np.isin(got, [0.0, 2.0]).all() and (got == 0).any(),
        what="only 0s and 2s, some 0s, after model.train()",
        got=got[:10],
    )
