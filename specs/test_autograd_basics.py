"""Autograd basics: backward from a scalar, gradients on leaves, the chain rule, accumulation."""

from conformance import expect_close, expect_grad, spec
from specs.sources import both_courses, maths


@spec(
    id="autograd.square_grad",
    behaviour="for y = x**2 at x = 3, backward() stores dy/dx = 2x = 6 in x.grad",
    sources=both_courses("Autograd"),
    requires={"autograd.backward"},
)
def test_square_grad(engine):
    x = engine.tensor(3.0, requires_grad=True)
    y = x**2
    y.backward()
    expect_grad(x, 6.0, what="x.grad")


@spec(
    id="autograd.accumulate",
    behaviour="a second backward adds to .grad: x = 2, x**2 then x**3 gives 4 then 4 + 12 = 16",
    sources=both_courses("Gradient accumulation"),
    requires={"autograd.backward", "autograd.accumulate"},
)
def test_accumulate(engine):
    x = engine.tensor(2.0, requires_grad=True)
    (x**2).backward()
    expect_grad(x, 4.0, what="x.grad after backward of x**2")
    (x**3).backward()
    expect_grad(x, 16.0, what="x.grad after a second backward of x**3 without zeroing")


@spec(
    id="autograd.relu_grad",
    behaviour="the ReLU gradient is 1 where the input is positive and 0 where it is negative",
    sources=[*both_courses("Activation functions"), maths("d relu(x)/dx = [x > 0]")],
    requires={"autograd.backward", "nn.activations", "tensor.ops"},
)
def test_relu_grad(engine):
    x = engine.tensor([-2.0, -0.5, 0.5, 3.0], requires_grad=True)
    engine.relu(x).sum().backward()
    expect_grad(x, [0.0, 0.0, 1.0, 1.0], what="x.grad of relu(x).sum()")


@spec(
    id="autograd.relu_chain",
    behaviour="relu(3x**2 + 1) at x = 2 lies in the active region, so its gradient is 6x = 12",
    sources=both_courses("Activation functions"),
    requires={"autograd.backward", "nn.activations"},
)
def test_relu_chain(engine):
    x = engine.tensor(2.0, requires_grad=True)
    h = engine.relu(3 * x**2 + 1)
    expect_close(h, 13.0, what="relu(3 * 2**2 + 1)")
    h.backward()
    expect_grad(x, 12.0, what="x.grad")
