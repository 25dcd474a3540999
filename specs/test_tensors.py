"""Tensors: NumPy round trips, element-wise and matrix arithmetic, in-place methods."""

import numpy as np
import pytest

from conformance import (
    expect_close,
    expect_dtype,
    expect_equal,
    expect_grad,
    expect_raises,
    expect_shape,
    expect_true,
    spec,
)
from conformance.specs.sources import BLOG, LINREG, PY_COURSE, R_COURSE, cite, maths, pytorch_docs

NUMPY = cite(PY_COURSE, "convert to one another cheaply")
FLOAT64 = cite(PY_COURSE, "tensor([1., 2., 3.], dtype=torch.float64)")
LIKE_NUMPY = cite(PY_COURSE, "work as in NumPy")
UNDERSCORE = cite(PY_COURSE, "any method ending in _ operates in place")
MAY_RAISE = cite(PY_COURSE, "will raise an error or silently produce")
SEEDING = pytorch_docs("torch.manual_seed", "sets the seed for generating random numbers")


@spec(
    id="tensors.numpy_roundtrip",
    behaviour="a float64 NumPy array becomes a float64 tensor and converts back unchanged",
    sources=[NUMPY, FLOAT64],
    about="tensor.numpy",
    requires={"tensor.float64", "tensor.arrays"},
)
def test_numpy_roundtrip(engine):
    array = np.array([1.0, 2.0, 3.0])
    t = engine.from_numpy(array)
    expect_dtype(t, "float64", what="from_numpy(float64 array)")
    back = engine.to_numpy(t)
    expect_dtype(back, "float64", what="to_numpy(from_numpy(array))")
    expect_equal(np.asarray(back), array, what="values after the round trip")


@spec(
    id="tensors.float64_arithmetic",
    behaviour="arithmetic on float64 tensors stays float64 with float64 precision",
    sources=[FLOAT64, maths("1/3 + 1/3 in float64")],
    about="tensor.float64",
    requires={"tensor.arrays"},
)
def test_float64_arithmetic(engine):
    third = engine.tensor([1.0], dtype="float64") / 3
    result = third + third
    expect_dtype(result, "float64", what="float64 / 3 + itself")
    expect_close(result, [2 / 3], what="1/3 + 1/3 in float64", dtype="float64")


@spec(
    id="tensors.elementwise_like_numpy",
    behaviour="element-wise operations, reductions and reshapes give NumPy's results",
    sources=[LIKE_NUMPY, cite(PY_COURSE, "the equivalent of a NumPy array")],
    about="tensor.ops",
    requires={"tensor.arrays"},
)
def test_elementwise_like_numpy(engine):
    a = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])
    b = np.array([[2.0, 1.0, -1.0], [3.0, 0.5, 2.0]])
    x, y = engine.tensor(a.tolist()), engine.tensor(b.tolist())
    expect_close(x * y + x / y - y, a * b + a / b - b, what="x * y + x / y - y")
    expect_close(x.abs().sum(), np.abs(a).sum(), what="x.abs().sum()")
    expect_close(x.mean(), a.mean(), what="x.mean()")
    expect_close((x**2).exp().log(), a**2, what="log(exp(x**2))")
    expect_close(x.abs().sqrt(), np.sqrt(np.abs(a)), what="sqrt(|x|)")
    expect_close(x.reshape(3, 2), a.reshape(3, 2), what="x.reshape(3, 2)")
    expect_close(x[1], a[1], what="x[1]")


@spec(
    id="tensors.matmul_like_numpy",
    behaviour="matrix products (@, mm) and transposes give NumPy's results",
    sources=[LIKE_NUMPY],
    about="tensor.matmul",
    requires={"tensor.arrays"},
)
def test_matmul_like_numpy(engine):
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(12.0).reshape(3, 4) - 5
    x, y = engine.tensor(a.tolist()), engine.tensor(b.tolist())
    expect_close(x @ y, a @ b, what="x @ y")
    expect_close(x.mm(y), a @ b, what="x.mm(y)")
    expect_close(x.t(), a.T, what="x.t()")


@spec(
    id="tensors.abs_returns_new",
    behaviour="x.abs() returns a new tensor and leaves x unchanged",
    sources=[cite(PY_COURSE, "x.abs() returns a new tensor")],
    about="tensor.ops",
    requires={"tensor.arrays"},
)
def test_abs_returns_new(engine):
    x = engine.tensor([1.5, -2.0, -1.0])
    y = x.abs()
    expect_close(y, [1.5, 2.0, 1.0], what="x.abs()")
    expect_close(x, [1.5, -2.0, -1.0], what="x after x.abs()")


@spec(
    id="tensors.abs_inplace",
    behaviour="x.abs_() (trailing underscore) changes x itself and returns it",
    sources=[cite(PY_COURSE, "x.abs_() modifies x in place"), UNDERSCORE],
    about="tensor.inplace",
    requires={"tensor.arrays"},
)
def test_abs_inplace(engine):
    x = engine.tensor([1.5, -2.0, -1.0])
    y = x.abs_()
    expect_close(x, [1.5, 2.0, 1.0], what="x after x.abs_()")
    expect_true(y is x, what="abs_() to return the tensor itself", got=type(y))


@spec(
    id="tensors.inplace_leaf_refused",
    behaviour="an in-place change of a leaf that requires grad, outside no_grad, raises",
    sources=[MAY_RAISE, cite(PY_COURSE, "Avoid in-place operations on any tensor")],
    about="autograd.inplace_checks",
    requires={"tensor.inplace", "tensor.arrays"},
    note="The course says such changes raise or silently corrupt gradients; a conforming engine "
    "raises. The control step makes the same change to a tensor that does not require grad.",
)
def test_inplace_leaf_refused(engine):
    step = engine.tensor([0.1, 0.1])
    w = engine.tensor([1.0, 2.0], requires_grad=True)
    with expect_raises(
        what="w.sub_(step) on a leaf that requires grad",
        control=lambda: engine.tensor([1.0, 2.0]).sub_(step),
    ):
        w.sub_(step)


@spec(
    id="tensors.inplace_under_no_grad",
    behaviour="under no_grad, in-place updates of a leaf that requires grad are allowed",
    sources=[
        cite(LINREG, "a$sub_(lr * a$grad)"),
        cite(PY_COURSE, "torch.no_grad() is needed around"),
    ],
    about="autograd.no_grad",
    requires={"tensor.inplace", "autograd.backward", "tensor.arrays"},
)
def test_inplace_under_no_grad(engine):
    w = engine.tensor([1.0, 2.0], requires_grad=True)
    with engine.no_grad():
        w.sub_(engine.tensor([0.5, 0.5]))
    expect_close(w, [0.5, 1.5], what="w after w.sub_([0.5, 0.5]) under no_grad")
    expect_equal(bool(w.requires_grad), True, what="w.requires_grad after the update")


@spec(
    id="tensors.inplace_saved_value_refused",
    behaviour="changing in place a value that backward needs makes backward raise, not mislead",
    sources=[MAY_RAISE],
    about="autograd.inplace_checks",
    requires={"tensor.inplace", "autograd.backward", "tensor.ops", "tensor.arrays"},
    note="The course says such changes raise or silently corrupt gradients; a conforming engine "
    "must raise. exp saves its output for the gradient, so changing it must be refused. The "
    "control step runs the same backward without the in-place change, on a leaf of its own: "
    "an engine that clears every graph through a leaf after backward would otherwise raise "
    "for that reason instead.",
)
def test_inplace_saved_value_refused(engine):
    x = engine.tensor([0.5, 1.0], requires_grad=True)
    two = engine.tensor([2.0, 2.0])
    y = x.exp()

    def unchanged():
        engine.tensor([0.5, 1.0], requires_grad=True).exp().sum().backward()

    with expect_raises(
        what="backward after the saved exp(x) was changed in place", control=unchanged
    ):
        y.mul_(two)
        y.sum().backward()


@spec(
    id="tensors.inplace_on_result_tracked",
    behaviour="an in-place add on an intermediate result is recorded: d(x*2 + 1)/dx is still 2",
    sources=[
        pytorch_docs("Autograd mechanics", "in-place operations are checked, not forbidden"),
        maths("d(2x + 1)/dx = 2"),
    ],
    about="autograd.inplace_on_intermediate",
    requires={"tensor.inplace", "autograd.backward", "tensor.ops", "tensor.arrays"},
    note="The course advises against in-place ops on tracked tensors and allows them to raise; "
    "PyTorch records them when backward does not need the overwritten value.",
)
def test_inplace_on_result_tracked(engine):
    x = engine.tensor([1.0, -1.0], requires_grad=True)
    y = x * 2
    y.add_(engine.tensor([1.0, 1.0]))
    expect_close(y, [3.0, -1.0], what="x * 2 after add_(1)")
    y.sum().backward()
    expect_grad(x, [2.0, 2.0], what="x.grad")


@pytest.mark.parametrize("dtype", ["float32", "int64"])
@spec(
    id="tensors.numpy_roundtrip_dtypes",
    behaviour="float32 and int64 NumPy arrays round-trip through tensors keeping dtype and values",
    sources=[NUMPY],
    about="tensor.numpy",
    requires={"tensor.arrays"},
)
def test_numpy_roundtrip_dtypes(engine, dtype):
    array = np.array([[1, -2, 3], [40, 5, -6]], dtype=dtype)
    t = engine.from_numpy(array)
    expect_dtype(t, dtype, what=f"from_numpy({dtype} array)")
    back = np.asarray(engine.to_numpy(t))
    expect_dtype(back, dtype, what="to_numpy(from_numpy(array))")
    expect_equal(back, array, what="values after the round trip")


@pytest.mark.parametrize(
    ("method", "argument", "expected"),
    [
        ("add_", [1.0, 1.0], [2.5, -1.0]),
        ("sub_", [0.5, 0.5], [1.0, -2.5]),
        ("mul_", [2.0, 2.0], [3.0, -4.0]),
        ("zero_", None, [0.0, 0.0]),
    ],
    ids=["add_", "sub_", "mul_", "zero_"],
)
@spec(
    id="tensors.inplace_methods",
    behaviour="add_, sub_, mul_ and zero_ change the tensor itself and return it",
    sources=[UNDERSCORE, cite(BLOG, "w1$sub_(learning_rate * w1$grad)"), cite(LINREG, "(suffix _")],
    about="tensor.inplace",
    requires={"tensor.arrays"},
)
def test_inplace_methods(engine, method, argument, expected):
    x = engine.tensor([1.5, -2.0])
    arguments = () if argument is None else (engine.tensor(argument),)
    returned = getattr(x, method)(*arguments)
    shown = "" if argument is None else f"tensor({argument})"
    expect_close(x, expected, what=f"x after x.{method}({shown})")
    expect_true(returned is x, what=f"{method} to return the tensor itself", got=type(returned))


@pytest.mark.parametrize("shape", [(), (1,)], ids=["0-d", "one-element"])
@spec(
    id="tensors.item",
    behaviour="item() of a one-element float tensor gives its value as a Python float",
    sources=[cite(LINREG, "loss = loss$item()")],
    about="tensor.ops",
    requires={"tensor.arrays"},
    note="R torch's scalars have shape (1); PyTorch's are 0-d. Both must support item().",
)
def test_item(engine, shape):
    loss = (engine.tensor(np.full(shape, 2.5).tolist()) ** 2).mean()
    value = loss.item()
    expect_true(isinstance(value, float), what="a Python float from item()", got=type(value))
    expect_equal(value, 6.25, what="loss.item()")


def randn_draws(engine, n=100_000):
    return np.asarray(engine.to_numpy(engine.randn(n)), dtype=np.float64)


def randn_sample(engine, seed, n=100_000):
    """``n`` draws of randn after ``manual_seed(seed)``."""
    engine.manual_seed(seed)
    return randn_draws(engine, n)


@spec(
    id="tensors.randn_seeded",
    behaviour="randn after the same manual_seed gives the same draws; another seed other draws",
    sources=[SEEDING, maths("a seeded generator is deterministic")],
    about="random.manual_seed",
    requires={"random.randn", "tensor.arrays"},
)
def test_randn_seeded(engine):
    first = randn_sample(engine, 3, n=1000)
    expect_equal(randn_sample(engine, 3, n=1000), first, what="draws for the same seed")
    expect_true(
        not np.array_equal(randn_sample(engine, 4, n=1000), first),
        what="different draws for another seed",
    )


# n = 100000 standard normal draws. Their mean is N(0, 1/n): P(|mean| >= 0.025) <= 2 exp(-n
# 0.025**2 / 2) = 2 exp(-31.25) = 5.4e-14. Their sum of squares S is chi-square(n); Laurent and
# Massart (2000): P(S/n - 1 >= 2 sqrt(x/n) + 2x/n) <= e^-x and P(1 - S/n >= 2 sqrt(x/n)) <= e^-x;
# x = 30 gives a band of 0.036 with probability 2 e^-30 = 1.9e-13. Total: 2.4e-13. Uniform draws
# (mean 0.5 or mean square 1/3) and normals of the wrong scale fall far outside.
MEAN_BAND, SQUARE_BAND = 0.025, 0.036


@spec(
    id="tensors.randn_standard_normal",
    behaviour="randn draws standard normal values: over 100000 draws the mean is within 0.025 of "
    "0 and the mean square within 0.036 of 1",
    sources=[
        cite(PY_COURSE, "X = torch.randn(1000, 10)"),
        cite(R_COURSE, "X_data <- torch_randn(1000, 10)"),
        cite(BLOG, "x <- torch_randn(n, d_in)"),
        maths("Gaussian tail of the mean; chi-square tail of the sum of squares"),
    ],
    about="random.randn",
    requires={"tensor.arrays"},
    false_failure_probability=2.4e-13,
    note="The documents draw their data with randn and never seed it, so the spec is about randn "
    "itself, not the seeding convention (random.manual_seed): it draws from the generator as it "
    "is, which the bound covers whatever the generator's state.",
)
def test_randn_standard_normal(engine):
    draws = randn_draws(engine)
    expect_true(abs(draws.mean()) < MEAN_BAND, what=f"|mean| below {MEAN_BAND}", got=draws.mean())
    expect_true(
        abs((draws**2).mean() - 1) < SQUARE_BAND,
        what=f"mean square within {SQUARE_BAND} of 1",
        got=(draws**2).mean(),
    )


@spec(
    id="tensors.keepdim_column_slice",
    behaviour="slicing one column with a range, x[:, 0:1], keeps it a column of shape (n, 1), so "
    "the blog's target 0.2 x1 - 1.3 x2 - 0.5 x3 has shape (n, 1)",
    sources=[cite(BLOG, "x[, 1, NULL] * 0.2"), maths("y = X @ [0.2, -1.3, -0.5]^T")],
    about="tensor.ops",
    requires={"tensor.arrays", "autograd.backward"},
    note="R's x[, 1, NULL] keeps the dimension; in PyTorch's indexing a range does (x[:, 0:1]), "
    "an integer does not (x[:, 0] has shape (n,)).",
)
def test_keepdim_column_slice(engine):
    data = np.arange(12.0).reshape(4, 3) / 4 - 1
    x = engine.tensor(data.tolist(), requires_grad=True)
    first = x[:, 0:1]
    expect_shape(first, (4, 1), what="x[:, 0:1]")
    expect_close(first, data[:, 0:1], what="x[:, 0:1]")
    y = x[:, 0:1] * 0.2 - x[:, 1:2] * 1.3 - x[:, 2:3] * 0.5
    expect_shape(y, (4, 1), what="x[:, 0:1] * 0.2 - x[:, 1:2] * 1.3 - x[:, 2:3] * 0.5")
    expect_close(y, data @ np.array([[0.2], [-1.3], [-0.5]]), what="the blog's target")
    y.sum().backward()
    expect_grad(x, np.tile([0.2, -1.3, -0.5], (4, 1)), what="x.grad of the target's sum")
