"""Layers: Linear and Sequential networks, their parameter gradients and initialisation."""

import math

import numpy as np

from conformance import expect_close, expect_equal, expect_shape, expect_true, spec
from conformance.specs.seeding import seed_if_declared
from conformance.specs.sources import PY_COURSE, R_COURSE, both_courses, cite, maths, pytorch_docs

NETWORK = both_courses("a four-dimensional hidden layer with ReLU activation")
SHAPES = [cite(PY_COURSE, "(torch.Size([4, 3]), torch.Size([2, 4]))"), cite(R_COURSE, "[1] 4 3")]
SAME_SHAPE = both_courses("a gradient of the same shape as itself")
WEIGHT_SHAPES = (("first", (4, 3)), ("second", (2, 4)))


def expect_weight_layout(first, second):
    """Linear weights are stored (out_features, in_features), as the documents print them."""
    for (name, shape), layer in zip(WEIGHT_SHAPES, (first, second), strict=True):
        expect_shape(layer.weight, shape, what=f"{name} layer weight (out_features, in_features)")


def network(engine, seed=0, seeded=False):
    """3 inputs -> 4 hidden units with ReLU -> 2 outputs, as in the courses, after
    ``manual_seed(seed)`` (when ``seeded``, else when the engine declares seeding: the network
    specs read the weights the engine drew, whatever they are)."""
    if seeded:
        engine.manual_seed(seed)
    else:
        seed_if_declared(engine, seed)
    first, second = engine.linear(3, 4), engine.linear(4, 2)
    return first, second, engine.sequential(first, engine.relu_layer(), second)


@spec(
    id="layers.gradient_shapes",
    behaviour="in a 3 -> 4 (ReLU) -> 2 network the weight gradients have shapes (4, 3) and (2, 4)",
    sources=[*SHAPES, *SAME_SHAPE],
    about="nn.linear",
    requires={"autograd.backward", "tensor.ops", "tensor.arrays"},
)
def test_gradient_shapes(engine):
    first, second, model = network(engine)
    model(engine.tensor([[1.0, -0.5, 2.0]])).sum().backward()
    expect_shape(first.weight.grad, (4, 3), what="first layer weight.grad")
    expect_shape(second.weight.grad, (2, 4), what="second layer weight.grad")
    expect_shape(first.bias.grad, (4,), what="first layer bias.grad")
    expect_shape(second.bias.grad, (2,), what="second layer bias.grad")


@spec(
    id="layers.gradient_values",
    behaviour="each weight-gradient entry is the derivative of the scalar loss for that weight",
    sources=[
        *both_courses("every entry is the derivative"),
        maths("backpropagation through x W1^T + b1, relu, h W2^T + b2"),
    ],
    about="nn.linear",
    requires={"autograd.backward", "tensor.ops", "tensor.arrays"},
)
def test_gradient_values(engine):
    first, second, model = network(engine, seed=1)
    x = np.array([[1.0, -0.5, 2.0], [0.3, 0.8, -1.2]])
    model(engine.tensor(x.tolist())).sum().backward()
    expect_weight_layout(first, second)
    w1, b1 = (np.asarray(engine.to_numpy(p), dtype=np.float64) for p in (first.weight, first.bias))
    w2 = np.asarray(engine.to_numpy(second.weight), dtype=np.float64)
    pre = x @ w1.T + b1
    hidden = np.maximum(pre, 0)
    upstream = np.ones((2, 2)) @ w2 * (pre > 0)  # d loss / d pre-activation
    expect_close(second.weight.grad, np.ones((2, 2)).T @ hidden, what="second layer weight.grad")
    expect_close(first.weight.grad, upstream.T @ x, what="first layer weight.grad")
    expect_close(first.bias.grad, upstream.sum(axis=0), what="first layer bias.grad")


@spec(
    id="layers.output_shape",
    behaviour="the network maps a batch of 3-vectors to a batch of 2-vectors",
    sources=[*NETWORK, cite(PY_COURSE, "two-dimensional output")],
    about="nn.linear",
    requires={"tensor.arrays"},
)
def test_output_shape(engine):
    _, _, model = network(engine)
    expect_shape(model(engine.zeros(5, 3)), (5, 2), what="model(zeros(5, 3))")


@spec(
    id="layers.parameters",
    behaviour="a Sequential network lists every weight and bias as a parameter requiring grad",
    sources=[
        *NETWORK,
        *SHAPES,
        pytorch_docs("torch.nn.Module.parameters", "the weights and biases of every submodule"),
    ],
    about="nn.linear",
    requires={"autograd.backward", "tensor.arrays"},
    note="No document lists a network's parameters: the courses show the two weight matrices' "
    "shapes; the listing itself is cited to PyTorch's Module.parameters (the optimiser passage "
    "cited before says nothing about which tensors are parameters).",
)
def test_parameters(engine):
    _, _, model = network(engine)
    shapes = sorted(tuple(engine.to_numpy(p).shape) for p in model.parameters())
    expect_equal(shapes, sorted([(4, 3), (4,), (2, 4), (2,)]), what="parameter shapes")
    expect_true(
        all(p.requires_grad for p in model.parameters()), what="every parameter to require grad"
    )


# PyTorch's default Linear initialisation draws weights uniformly from [-b, b], b = 1/sqrt(fan_in).
# For fan_in = 100, out = 200: n = 20000 weights, b = 0.1, E[w**2] = b**2 / 3.
# The bound: a float32 engine rounds draws near b to float32(0.1) = 0.10000000149 > 0.1 (PyTorch
# does, for about 1 seed in 600), so the bound allows 4 units of rounding of the weights' dtype;
# a draw within [-b, b] rounds to at most float32(b), so this check cannot fail a correct engine.
# The mean square: Hoeffding on the squares (each in [0, b**2]) bounds a deviation of
# t = 0.1 b**2 / 3 by 2 exp(-2 n t**2 / b**4) = 2 exp(-44.44) = 1.0e-19; a Chernoff bound with the
# exact moment generating function of w**2 gives 2.8e-53 (scripts/check_probabilities.py). A
# standard-normal init or a 1/fan_in bound is far outside.
ROUNDING_UNITS = 4


@spec(
    id="layers.linear_init",
    behaviour="Linear weights start uniform in +-1/sqrt(in_features): mean square bound**2 / 3",
    sources=[
        pytorch_docs(
            "torch.nn.Linear", "weight and bias from U(-sqrt(k), sqrt(k)), k = 1/in_features"
        ),
        maths("E[w**2] = b**2 / 3 for w ~ U(-b, b); Hoeffding bound"),
    ],
    about="nn.linear_init",
    requires={"nn.linear", "tensor.arrays"},
    false_failure_probability=1.0e-19,
    note="The documents build layers without stating the initialisation; the spec encodes the "
    "default of the PyTorch API they use. scripts/linear_init_seeds.py runs it on PyTorch for "
    "10,000 consecutive seeds.",
)
def test_linear_init(engine):
    check_linear_init(engine, seed=4)


def check_linear_init(engine, seed):
    """The body of layers.linear_init for any seed (scripts/linear_init_seeds.py runs many)."""
    seed_if_declared(engine, seed)
    layer = engine.linear(100, 200)
    expect_shape(layer.weight, (200, 100), what="weight of Linear(100, 200)")
    stored = np.asarray(engine.to_numpy(layer.weight))
    weights = stored.astype(np.float64)
    bound = 1 / math.sqrt(100)
    rounding = np.finfo(stored.dtype).eps if stored.dtype.kind == "f" else 0.0
    allowed = bound * (1 + ROUNDING_UNITS * rounding)
    expect_true(
        np.abs(weights).max() <= allowed,
        what=f"every weight within +-{bound} (up to {ROUNDING_UNITS} roundings of {stored.dtype})",
        got=float(np.abs(weights).max()),
    )
    variance = float((weights**2).mean())
    expect_true(
        abs(variance - bound**2 / 3) < 0.1 * bound**2 / 3,
        what=f"mean square weight within 10% of {bound**2 / 3:.6f}",
        got=variance,
    )


@spec(
    id="layers.linear_init_seeded",
    behaviour="Linear layers created after the same manual_seed start with the same weights",
    sources=[
        pytorch_docs("torch.manual_seed", "sets the seed for generating random numbers"),
        maths("a seeded generator is deterministic"),
    ],
    about="random.manual_seed",
    requires={"nn.linear", "tensor.arrays"},
)
def test_linear_init_seeded(engine):
    first, _, _ = network(engine, seed=6, seeded=True)
    again, _, _ = network(engine, seed=6, seeded=True)
    expect_equal(
        np.asarray(engine.to_numpy(again.weight)),
        np.asarray(engine.to_numpy(first.weight)),
        what="first layer weights for the same seed",
    )
    other, _, _ = network(engine, seed=7, seeded=True)
    expect_true(
        not np.array_equal(engine.to_numpy(other.weight), engine.to_numpy(first.weight)),
        what="other weights for another seed",
    )
