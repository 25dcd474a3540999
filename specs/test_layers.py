"""Layers: Linear and Sequential networks, their parameter gradients and initialisation."""

import math

import numpy as np

from conformance import expect_close, expect_equal, expect_shape, expect_true, spec
from specs.sources import Source, both_courses, maths

NETWORK = both_courses("A two-layer network")


def network(engine, seed=0):
    """3 inputs -> 4 hidden units with ReLU -> 2 outputs, as in the courses."""
    engine.manual_seed(seed)
    first, second = engine.linear(3, 4), engine.linear(4, 2)
    return first, second, engine.sequential(first, engine.relu_layer(), second)


@spec(
    id="layers.gradient_shapes",
    behaviour="in a 3 -> 4 (ReLU) -> 2 network the weight gradients have shapes (4, 3) and (2, 4)",
    sources=NETWORK,
    requires={"nn.linear", "random.manual_seed", "autograd.backward", "tensor.ops"},
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
    sources=[*NETWORK, maths("backpropagation through x W1^T + b1, relu, h W2^T + b2")],
    requires={"nn.linear", "random.manual_seed", "autograd.backward", "tensor.ops"},
)
def test_gradient_values(engine):
    first, second, model = network(engine, seed=1)
    x = np.array([[1.0, -0.5, 2.0], [0.3, 0.8, -1.2]])
    model(engine.tensor(x.tolist())).sum().backward()
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
    sources=NETWORK,
    requires={"nn.linear", "random.manual_seed"},
)
def test_output_shape(engine):
    _, _, model = network(engine)
    expect_shape(model(engine.zeros(5, 3)), (5, 2), what="model(zeros(5, 3))")


@spec(
    id="layers.parameters",
    behaviour="a Sequential network lists every weight and bias as a parameter requiring grad",
    sources=[*NETWORK, *both_courses("Optimizers")],
    requires={"nn.linear", "random.manual_seed"},
)
def test_parameters(engine):
    _, _, model = network(engine)
    shapes = sorted(tuple(engine.to_numpy(p).shape) for p in model.parameters())
    expect_equal(shapes, sorted([(4, 3), (4,), (2, 4), (2,)]), what="parameter shapes")
    expect_true(
        all(p.requires_grad for p in model.parameters()), what="every parameter to require grad"
    )


# PyTorch's default Linear initialisation draws weights and biases uniformly from
# [-1/sqrt(fan_in), 1/sqrt(fan_in)]. For fan_in = 100, out = 200: 20000 weights, bound 0.1,
# variance bound**2 / 3. The sample variance of n = 20000 bounded values deviates from it by
# more than 0.1 * variance with probability below 2 exp(-2 n (0.1 var / bound**2)**2) (Hoeffding
# on the squares, which lie in [0, bound**2]) = 2 exp(-44.4) = 9.6e-20. A standard-normal init
# or a 1/fan_in bound is far outside.
@spec(
    id="layers.linear_init",
    behaviour="Linear weights start uniform in +-1/sqrt(in_features), with variance bound**2 / 3",
    sources=[
        Source("mathematics", "PyTorch's documented default initialisation of Linear"),
        *NETWORK,
    ],
    requires={"nn.linear", "random.manual_seed"},
    false_failure_probability=9.6e-20,
    note="The documents build layers without stating the initialisation; the spec encodes the "
    "default of the PyTorch API they use.",
)
def test_linear_init(engine):
    engine.manual_seed(4)
    layer = engine.linear(100, 200)
    weights = np.asarray(engine.to_numpy(layer.weight), dtype=np.float64)
    bound = 1 / math.sqrt(100)
    expect_true(
        np.abs(weights).max() <= bound,
        what=f"every weight within +-{bound}",
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
    sources=[*NETWORK, maths("a seeded generator is deterministic")],
    requires={"nn.linear", "random.manual_seed"},
)
def test_linear_init_seeded(engine):
    first, _, _ = network(engine, seed=6)
    again, _, _ = network(engine, seed=6)
    expect_equal(
        np.asarray(engine.to_numpy(again.weight)),
        np.asarray(engine.to_numpy(first.weight)),
        what="first layer weights for the same seed",
    )
    other, _, _ = network(engine, seed=7)
    expect_true(
        not np.array_equal(engine.to_numpy(other.weight), engine.to_numpy(first.weight)),
        what="other weights for another seed",
    )
