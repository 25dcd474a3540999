"""Basic specs: what every other spec relies on. When one fails on an engine, the specs that use
what it is about report "blocked by" it instead of failing with the same noise."""

from conformance import expect_close, expect_dtype, expect_grad, expect_shape, spec
from conformance.specs.sources import BOOK, PY_COURSE, R_COURSE, both_courses, cite, maths


@spec(
    id="basics.scalar_roundtrip",
    behaviour="a scalar tensor made from a Python float reads back with the same value",
    sources=[cite(R_COURSE, "torch_tensor(3.0, requires_grad = TRUE)")],
    about="tensor.core",
    basic=True,
)
def test_scalar_roundtrip(engine):
    x = engine.tensor(-1.5)
    expect_close(x, -1.5, what="tensor(-1.5)")


@spec(
    id="basics.tensor_roundtrip",
    behaviour="a tensor made from a list reads back with the same values and shape",
    sources=[cite(PY_COURSE, "x = torch.tensor([1.5, 2.0, -1.0])")],
    about="tensor.arrays",
    basic=True,
)
def test_tensor_roundtrip(engine):
    x = engine.tensor([1.5, 2.0, -1.0])
    expect_shape(x, (3,), what="tensor([1.5, 2.0, -1.0])")
    expect_close(x, [1.5, 2.0, -1.0], what="tensor([1.5, 2.0, -1.0])")
    m = engine.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    expect_shape(m, (2, 3), what="a 2 x 3 tensor from nested lists")
    expect_close(m, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], what="a 2 x 3 tensor from nested lists")


@spec(
    id="basics.default_float32",
    behaviour="a tensor made from Python floats without naming a dtype is float32",
    sources=[
        cite(PY_COURSE, "xtensor([ 1.5000, 2.0000, -1.0000])"),
        cite(PY_COURSE, "tensor([1., 2., 3.], dtype=torch.float64)"),
        cite(R_COURSE, "[ CPUFloatType{1} ]", occurrence=1),
        cite(BOOK, "[ CPUFloatType{1} ]", occurrence=1),
    ],
    about="tensor.default_float32",
    requires={"tensor.arrays"},
    note="The PyTorch course prints the dtype only for the float64 tensor, which is how PyTorch "
    "marks a non-default dtype; the R documents print CPUFloatType (float32). The adapter is "
    "asked for the engine's own default (dtype=None).",
)
def test_default_float32(engine):
    for data in (2.5, [1.5, 2.0, -1.0]):
        expect_dtype(engine.tensor(data, dtype=None), "float32", what=f"tensor({data})")


@spec(
    id="basics.arithmetic",
    behaviour="element-wise +, -, * and / of two tensors give the arithmetic results",
    sources=[maths("element-wise arithmetic"), cite(PY_COURSE, "work as in NumPy")],
    about="tensor.ops",
    requires={"tensor.arrays"},
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
    sources=[
        maths("d(x + x)/dx = 2"),
        *both_courses("Calling .backward() on a scalar", "Calling $backward() on a scalar"),
    ],
    about="autograd.backward",
    basic=True,
)
def test_add_backward(engine):
    x = engine.tensor(1.0, requires_grad=True)
    (x + x).backward()
    expect_grad(x, 2.0, what="x.grad")
