"""Basic specs: what every other spec relies on. When one fails on an engine, the specs that
need it report "blocked by" it instead of failing with the same noise."""

from conformance import expect_close, expect_dtype, expect_grad, expect_shape, spec
from specs.sources import PY_COURSE, Source, maths


@spec(
    id="basics.tensor_roundtrip",
    behaviour="a float tensor made from a list reads back with the same values, shape and float32",
    sources=[Source(PY_COURSE, "Tensors")],
    basic=True,
)
def test_tensor_roundtrip(engine):
    x = engine.tensor([1.5, 2.0, -1.0])
    expect_shape(x, (3,), what="tensor([1.5, 2.0, -1.0])")
    expect_dtype(x, "float32", what="tensor([1.5, 2.0, -1.0])")
    expect_close(x, [1.5, 2.0, -1.0], what="tensor([1.5, 2.0, -1.0])")


@spec(
    id="basics.arithmetic",
    behaviour="element-wise +, -, * and / of two tensors give the arithmetic results",
    sources=[maths("element-wise arithmetic"), Source(PY_COURSE, "Tensors")],
    requires={"tensor.ops"},
    basic=True,
)
def test_arithmetic(engine):
    a = engine.tensor([1.0, 2.0, 3.0])
    b = engine.tensor([4.0, 5.0, 6.0])
    expect_close(a + b, [5.0, 7.0, 9.0], what="a + b")
    expect_close(a - b, [-3.0, -3.0, -3.0], what="a - b")
    expect_close(a * b, [4.0, 10.0, 18.0], what="a * b")
    expect_close(b / a, [4.0, 2.5, 2.0], what="b / a")


@spec(
    id="basics.add_backward",
    behaviour="backward through y = x + x gives x.grad = 2",
    sources=[maths("d(x + x)/dx = 2")],
    requires={"autograd.backward"},
    basic=True,
)
def test_add_backward(engine):
    x = engine.tensor(1.0, requires_grad=True)
    (x + x).backward()
    expect_grad(x, 2.0, what="x.grad")
