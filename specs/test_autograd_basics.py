"""Autograd basics: backward from a scalar, gradients on leaves, the chain rule, accumulation."""

import math

import numpy as np
import pytest

from conformance import (
    Tolerance,
    expect_close,
    expect_equal,
    expect_grad,
    expect_no_grad,
    expect_shape,
    expect_true,
    spec,
)
from conformance.specs.seeding import seed_if_declared
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

AUTOGRAD = both_courses("Calling .backward() on a scalar", "Calling $backward() on a scalar")
ACTIVATIONS = both_courses("Activation functions are differentiable operations")
VECTORS = both_courses("For a vector-valued leaf tensor")
MATRICES = both_courses("The same logic extends to matrices")


@spec(
    id="autograd.square_grad",
    behaviour="for y = x**2 at x = 3, backward() stores dy/dx = 2x = 6 in x.grad",
    sources=both_courses("dy/dx = 2x = 6"),
    about="autograd.backward",
)
def test_square_grad(engine):
    x = engine.tensor(3.0, requires_grad=True)
    y = x**2
    y.backward()
    expect_grad(x, 6.0, what="x.grad")


@spec(
    id="autograd.accumulate",
    behaviour="a second backward adds to .grad: x = 2, x**2 then x**3 gives 4 then 4 + 12 = 16",
    sources=[
        *both_courses(
            "adds newly computed gradients to .grad", "adds newly computed gradients to $grad"
        ),
        cite(PY_COURSE, "tensor(4.)"),
        cite(R_COURSE, "16 [ CPUFloatType{1} ]"),
    ],
    about="autograd.accumulate",
    requires={"autograd.backward"},
)
def test_accumulate(engine):
    x = engine.tensor(2.0, requires_grad=True)
    (x**2).backward()
    expect_grad(x, 4.0, what="x.grad after backward of x**2")
    (x**3).backward()
    expect_grad(x, 16.0, what="x.grad after a second backward of x**3 without zeroing")


@spec(
    id="autograd.relu_grad",
    behaviour="ReLU passes a gradient of 1 for positive inputs and of 0 for negative ones",
    sources=[*both_courses("The ReLU derivative is 1"), maths("d relu(x)/dx = [x > 0]")],
    about="nn.activations",
    requires={"autograd.backward", "tensor.ops", "tensor.arrays"},
)
def test_relu_grad(engine):
    x = engine.tensor([-2.0, -0.5, 0.5, 3.0], requires_grad=True)
    engine.relu(x).sum().backward()
    expect_grad(x, [0.0, 0.0, 1.0, 1.0], what="x.grad of relu(x).sum()")


@spec(
    id="autograd.relu_chain",
    behaviour="relu(3x**2 + 1) at x = 2 lies in the active region, so its gradient is 6x = 12",
    sources=[*ACTIVATIONS, cite(PY_COURSE, "tensor(12.)", occurrence=2)],
    about="nn.activations",
    requires={"autograd.backward"},
)
def test_relu_chain(engine):
    x = engine.tensor(2.0, requires_grad=True)
    h = engine.relu(3 * x**2 + 1)
    expect_close(h, 13.0, what="relu(3 * 2**2 + 1)")
    h.backward()
    expect_grad(x, 12.0, what="x.grad")


@spec(
    id="autograd.chain_rule",
    behaviour="for y = x**2, z = 3y, h = z + 1 at x = 2, the chain rule gives dh/dx = 6x = 12",
    sources=[*both_courses("h = 3x^2 + 1"), cite(PY_COURSE, "tensor(12.)", occurrence=1)],
    about="autograd.backward",
)
def test_chain_rule(engine):
    x = engine.tensor(2.0, requires_grad=True)
    y = x**2
    z = 3 * y
    h = z + 1
    expect_close(h, 13.0, what="h = 3 * 2**2 + 1")
    h.backward()
    expect_grad(x, 12.0, what="x.grad")


@spec(
    id="autograd.tanh_grad",
    behaviour="the derivative of tanh at x = 1 is 1 - tanh(1)**2 = 0.4200",
    sources=[
        cite(PY_COURSE, "Tanh and sigmoid have smooth"),
        cite(PY_COURSE, "tensor(0.4200)"),
        maths("1 - tanh(1)**2 = 0.419974"),
    ],
    about="nn.activations",
    requires={"autograd.backward"},
)
def test_tanh_grad(engine):
    x = engine.tensor(1.0, requires_grad=True)
    engine.tanh(x).backward()
    expect_grad(x, 1 - math.tanh(1.0) ** 2, what="x.grad of tanh(x) at x = 1")


@spec(
    id="autograd.sigmoid_grad",
    behaviour="the derivative of the sigmoid is s(x) * (1 - s(x)) everywhere, e.g. 0.25 at x = 0",
    sources=[cite(PY_COURSE, "Tanh and sigmoid have smooth"), maths("d sigmoid/dx = s (1 - s)")],
    about="nn.activations",
    requires={"autograd.backward", "tensor.ops", "tensor.arrays"},
)
def test_sigmoid_grad(engine):
    points = [-3.0, -0.5, 0.0, 0.5, 3.0]
    x = engine.tensor(points, requires_grad=True)
    engine.sigmoid(x).sum().backward()
    s = 1 / (1 + np.exp(-np.array(points)))
    expect_grad(x, s * (1 - s), what="x.grad of sigmoid(x).sum()")


@spec(
    id="autograd.vector_grad",
    behaviour="for a vector leaf, each element of .grad is the derivative with respect to it",
    sources=VECTORS,
    about="autograd.backward",
    requires={"tensor.ops", "tensor.arrays"},
)
def test_vector_grad(engine):
    values = [1.0, -2.0, 0.5, 3.0]
    x = engine.tensor(values, requires_grad=True)
    (x**3).sum().backward()
    expect_grad(x, 3 * np.array(values) ** 2, what="x.grad of sum(x**3)")


@spec(
    id="autograd.matrix_grad",
    behaviour="for a matrix leaf W, (W @ v).sum() has gradient W.grad[i, j] = v[j] in every row",
    sources=[*MATRICES, maths("d sum(Wv)/dW_ij = v_j")],
    about="autograd.backward",
    requires={"tensor.ops", "tensor.matmul", "tensor.arrays"},
)
def test_matrix_grad(engine):
    w = engine.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    v = engine.tensor([[0.5], [-1.0], [2.0]])
    (w @ v).sum().backward()
    expect_grad(w, [[0.5, -1.0, 2.0], [0.5, -1.0, 2.0]], what="W.grad")


@spec(
    id="autograd.requires_grad_propagates",
    behaviour="results computed from a tensor that requires grad require grad; constants do not",
    sources=[
        cite(BOOK, "inherit this property"),
        cite(BOOK, "x7$requires_grad [1] TRUE"),
        cite(BOOK, "pass in requires_grad = TRUE"),
    ],
    about="autograd.backward",
)
def test_requires_grad_propagates(engine):
    x = engine.tensor(2.0, requires_grad=True)
    c = engine.tensor(3.0)
    expect_equal(bool((x * c + 1).requires_grad), True, what="(x * c + 1).requires_grad")
    expect_equal(bool((c * c).requires_grad), False, what="(c * c).requires_grad")
    expect_equal(bool(x.is_leaf), True, what="x.is_leaf")
    expect_equal(bool((x * c).is_leaf), False, what="(x * c).is_leaf")


@spec(
    id="autograd.requires_grad_switch",
    behaviour="requires_grad_(True) enables tracking on an existing tensor",
    sources=[cite(LINREG, "$requires_grad_(TRUE)")],
    about="autograd.requires_grad_",
    requires={"autograd.backward"},
)
def test_requires_grad_switch(engine):
    x = engine.tensor(3.0)
    expect_equal(bool(x.requires_grad), False, what="requires_grad of a new tensor")
    same = x.requires_grad_(True)
    expect_true(same is x, what="requires_grad_ to return the tensor itself", got=same)
    (x * x).backward()
    expect_grad(x, 6.0, what="x.grad after requires_grad_(True)")


@spec(
    id="autograd.grad_fn_recorded",
    behaviour="a result of an op on a tracked tensor has a grad_fn and is no leaf; the tensor "
    "it came from stays a leaf",
    sources=[cite(BLOG, "non-empty grad_fn"), cite(BOOK, "tensor’s grad_fn field")],
    about="autograd.grad_fn",
    requires={"autograd.backward", "tensor.arrays"},
    note="What a leaf's own grad_fn reads is not checked: PyTorch gives None, an engine whose "
    "leaves show their accumulation node (Paddle) is as faithful to the documents, which "
    "show grad_fn on results only.",
)
def test_grad_fn_recorded(engine):
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    expect_true(y.grad_fn is not None, what="a grad_fn on x * 2", got=y.grad_fn)
    expect_equal(bool(y.is_leaf), False, what="(x * 2).is_leaf")
    expect_equal(bool(x.is_leaf), True, what="x.is_leaf after x * 2")


@spec(
    id="autograd.linear_model_grads",
    behaviour="for y = a*x + b, backward gives dy/da = x and dy/db = 1, and u = a*x keeps no .grad",
    sources=[
        cite(LINREG, "a \\times x + b"),
        cite(LINREG, "no gradient is stored"),
        maths("d(ax + b)/da = x, d(ax + b)/db = 1"),
    ],
    about="autograd.backward",
    requires={"autograd.leaf_only_grad"},
)
def test_linear_model_grads(engine):
    a = engine.tensor(2.0, requires_grad=True)
    b = engine.tensor(-1.0, requires_grad=True)
    x = engine.tensor(1.5)
    u = a * x
    y = u + b
    expect_close(y, 2.0, what="y = 2 * 1.5 - 1")
    y.backward()
    expect_grad(a, 1.5, what="a.grad (= x)")
    expect_grad(b, 1.0, what="b.grad")
    expect_no_grad(u, what="u.grad of the intermediate u = a * x")


@spec(
    id="autograd.no_grad",
    behaviour="an operation inside no_grad() is not recorded: backward treats its result as a "
    "constant",
    sources=[
        cite(PY_COURSE, "torch.no_grad() is needed around"),
        cite(R_COURSE, "with_no_grad is needed around"),
        cite(LINREG, "without tracking this specific operation"),
    ],
    about="autograd.no_grad",
    requires={"autograd.backward"},
    note="Whether the result reports requires_grad or a grad_fn is not documented; only that the "
    "operation stays out of the graph.",
)
def test_no_grad(engine):
    x = engine.tensor(2.0, requires_grad=True)
    with engine.no_grad():
        y = x * 3
    expect_close(y, 6.0, what="x * 3 computed under no_grad")
    (x * y).backward()  # recorded, y would contribute 3x as well: 12 instead of 6
    expect_grad(x, 6.0, what="x.grad of x * y, y = 3x made under no_grad (a constant 6)")


@spec(
    id="autograd.no_grad_result_flag",
    behaviour="a result computed under no_grad() from a tensor that requires grad reports "
    "requires_grad False",
    sources=[
        pytorch_docs("torch.no_grad", "every computation in the block has requires_grad=False"),
        maths("a result outside the graph has nothing to differentiate"),
    ],
    about="autograd.no_grad_flag",
    requires={"autograd.no_grad", "autograd.backward"},
    note="The documents say an operation under no_grad is not recorded (autograd.no_grad checks "
    "that through the gradient); what the result's requires_grad flag says is PyTorch's "
    "convention, a capability an engine following the documents may decline.",
)
def test_no_grad_result_flag(engine):
    x = engine.tensor(2.0, requires_grad=True)
    with engine.no_grad():
        y = x * 3
    expect_equal(bool(y.requires_grad), False, what="(x * 3).requires_grad under no_grad")


@spec(
    id="autograd.detach",
    behaviour="detach() gives a tensor with the same values outside the graph",
    sources=[
        pytorch_docs("torch.Tensor.detach", "a new tensor detached from the current graph"),
        maths("a detached tensor is a constant"),
    ],
    about="autograd.detach",
    requires={"autograd.backward"},
)
def test_detach(engine):
    x = engine.tensor(2.0, requires_grad=True)
    y = (x * x).detach()
    expect_close(y, 4.0, what="(x * x).detach()")
    # That it is outside the graph shows in the gradient (a constant factor), not in the
    # requires_grad flag: reading that flag is autograd.backward's member, checked by its specs.
    (x * y).backward()
    expect_grad(x, 4.0, what="x.grad of x * detach(x * x) (the detached factor is a constant)")


@spec(
    id="autograd.jacobian",
    behaviour="jacobian(f, x) of f: R^3 -> R^2 has shape (2, 3) with entry (i, j) = d f_i / d x_j",
    sources=[
        cite(PY_COURSE, "torch.autograd.functional.jacobian"),
        cite(PY_COURSE, "The entry at row"),
        maths("f(x) = [x0 * x1, x1 * x2]"),
    ],
    about="autograd.jacobian",
    requires={"tensor.ops", "tensor.arrays"},
)
def test_jacobian(engine):
    def f(x):
        return x[0:2] * x[1:3]  # [x0 * x1, x1 * x2]

    jacobian = engine.jacobian(f, engine.tensor([2.0, 3.0, -1.0]))
    expect_close(jacobian, [[3.0, 2.0, 0.0], [0.0, -1.0, 3.0]], what="jacobian(f, [2, 3, -1])")


@spec(
    id="autograd.jacobian_linear",
    behaviour="the Jacobian of x -> W @ x is W itself (rows are outputs, columns inputs)",
    sources=[cite(PY_COURSE, "The entry at row"), maths("d(Wx)_i/dx_j = W_ij")],
    about="autograd.jacobian",
    requires={"tensor.matmul", "tensor.ops", "tensor.arrays"},
)
def test_jacobian_linear(engine):
    weights = [[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]]
    w = engine.tensor(weights)
    jacobian = engine.jacobian(
        lambda x: (w @ x.reshape(3, 1)).reshape(2), engine.tensor([1.0, 1.0, 1.0])
    )
    expect_close(jacobian, weights, what="jacobian of x -> W @ x")


@spec(
    id="autograd.tanh_grad_curve",
    behaviour="the derivative of tanh is 1 - tanh(x)**2 at every point, from -10 to 10",
    sources=[cite(PY_COURSE, "everywhere-defined derivatives"), maths("d tanh/dx = 1 - tanh**2")],
    about="nn.activations",
    requires={"autograd.backward", "tensor.ops", "tensor.arrays"},
)
def test_tanh_grad_curve(engine):
    points = [-10.0, -2.0, -0.5, 0.0, 0.5, 2.0, 10.0]
    x = engine.tensor(points, requires_grad=True)
    engine.tanh(x).sum().backward()
    expect_grad(x, 1 - np.tanh(np.array(points)) ** 2, what="x.grad of tanh(x).sum()")


@spec(
    id="autograd.clamp_grad",
    behaviour="clamp(min=0), the blog's ReLU, keeps positive inputs with gradient 1 and zeroes "
    "negative ones with gradient 0",
    sources=[cite(BLOG, "$clamp(min = 0)", occurrence=1), maths("d max(x, 0)/dx = [x > 0]")],
    about="nn.activations",
    requires={"autograd.backward", "tensor.ops", "tensor.arrays"},
    note="At exactly x = 0 PyTorch's clamp passes the gradient (1) while relu blocks it (0); the "
    "documents leave that point open, so the spec avoids it.",
)
def test_clamp_grad(engine):
    x = engine.tensor([-2.0, -0.25, 0.5, 3.0], requires_grad=True)
    y = x.clamp(min=0)
    expect_close(y, [0.0, 0.0, 0.5, 3.0], what="x.clamp(min=0)")
    y.sum().backward()
    expect_grad(x, [0.0, 0.0, 1.0, 1.0], what="x.grad of clamp(x, min=0).sum()")


@spec(
    id="autograd.grad_none_before_backward",
    behaviour="a leaf's .grad is empty (None) until a backward pass reaches it",
    sources=[
        cite(BLOG, "x has a non-null discipline termed grad"),
        cite(BLOG, "0.2500 0.2500 0.2500 0.2500 [ CPUFloatType{2,2} ]", occurrence=1),
    ],
    about="autograd.backward",
    requires={"tensor.ops", "tensor.arrays"},
    note="The blog says the field is non-null after backward; PyTorch's None before it is the "
    "empty state the R book prints as an undefined tensor.",
)
def test_grad_none_before_backward(engine):
    x = engine.ones(2, 2, requires_grad=True)
    out = x.mean()
    expect_no_grad(x, what="x.grad before backward")
    out.backward()
    expect_grad(x, np.full((2, 2), 0.25), what="x.grad after backward of x.mean()")


# Operands broadcast against a (3, 4) tensor: the blog's bias row b1 of shape (1, d) and its
# one-element x2 of shape (1,). Each gets a gradient of its own shape, summed over the copies.
X_3x4 = np.arange(12.0).reshape(3, 4) / 4


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((1, 4), X_3x4.sum(axis=0, keepdims=True)),
        ((3, 1), X_3x4.sum(axis=1, keepdims=True)),
        ((1,), np.array([X_3x4.sum()])),
        ((), np.array(X_3x4.sum())),
    ],
    ids=["row", "column", "one-element", "0-d"],
)
@spec(
    id="autograd.broadcast_grad",
    behaviour="an operand broadcast over a larger tensor gets a gradient of its own shape, summed "
    "over the positions it was copied to",
    sources=[
        cite(BLOG, "b1 <- torch_zeros(1, d_hidden, requires_grad = TRUE)"),
        cite(BLOG, "x2 <- torch_tensor(1.1, requires_grad = TRUE)"),
        maths("d sum(x * b)/db = x summed over the broadcast axes"),
    ],
    about="autograd.backward",
    requires={"tensor.ops", "tensor.arrays"},
)
def test_broadcast_grad(engine, shape, expected):
    b = engine.tensor(np.full(shape, 0.5).tolist(), requires_grad=True)
    product = engine.tensor(X_3x4.tolist()) * b
    expect_close(product, X_3x4 * 0.5, what="x * b, broadcast as in NumPy")
    product.sum().backward()
    expect_shape(b.grad, shape, what="b.grad")
    expect_grad(b, expected, what="b.grad")


def small_network(engine, shift):
    """The courses' 3 -> 4 (ReLU) -> 2 network, its first bias lowered by ``shift``."""
    seed_if_declared(engine, 2)
    first, second = engine.linear(3, 4), engine.linear(4, 2)
    with engine.no_grad():
        first.bias.sub_(engine.tensor([shift] * 4))
    return first, second, engine.sequential(first, engine.relu_layer(), second)


def affine_map(engine, layer, n_in):
    """The matrix A and offset b of ``layer``, read off its own outputs: row j of layer(I) is
    A e_j + b and layer(0) is b. Whatever way the engine stores a weight, (out, in) as the
    documents print it or (in, out), this is the map the layer applies, so the spec judges the
    Jacobian and not the storage (layers.parameters judges that)."""
    eye = engine.tensor(np.eye(n_in).tolist())
    zero = engine.tensor([[0.0] * n_in])
    with engine.no_grad():
        offset = np.asarray(engine.to_numpy(layer(zero)), dtype=np.float64)[0]
        columns = np.asarray(engine.to_numpy(layer(eye)), dtype=np.float64) - offset
    return columns.T, offset


@pytest.mark.parametrize("shift", [0.0, 100.0], ids=["some-units-active", "no-unit-active"])
@spec(
    id="autograd.jacobian_network",
    behaviour="the Jacobian of the 3 -> 4 (ReLU) -> 2 network at an input is the (2, 3) matrix "
    "W2 diag(relu'(W1 x + b1)) W1, all zero when no hidden unit is active",
    sources=[
        cite(PY_COURSE, "torch.autograd.functional.jacobian"),
        cite(PY_COURSE, "[0., 0., 0.]]"),
        maths("chain rule: d out/dx = W2 diag([W1 x + b1 > 0]) W1"),
    ],
    about="autograd.jacobian",
    requires={
        "nn.linear",
        "autograd.no_grad",
        "tensor.inplace",
        "tensor.arrays",
    },
    note="The course prints a (2, 3) Jacobian of zeros, which depends on its random weights; "
    "lowering the first bias by 100 makes every hidden unit inactive and reproduces that output.",
)
def test_jacobian_network(engine, shift):
    first, second, model = small_network(engine, shift)
    x = [0.5, -1.0, 2.0]
    (w1, b1), (w2, _) = affine_map(engine, first, 3), affine_map(engine, second, 4)
    active = (w1 @ np.array(x) + b1 > 0).astype(np.float64)
    jacobian = engine.jacobian(model, engine.tensor(x))
    expect_close(jacobian, w2 @ np.diag(active) @ w1, what="jacobian of the network at x")


# The exact gradient of f(x) = x**3 + exp(x) at 1.5 is 3 * 2.25 + e**1.5. Autograd reproduces it
# up to the rounding of a few float64 operations (a few units of 2.2e-16); a central finite
# difference is at best about 1e-11 off (truncation h**2 f'''/6 against rounding eps f / h), so
# the tolerance below separates the two by two orders of magnitude.
@spec(
    id="autograd.exact_not_numerical",
    behaviour="the gradient of x**3 + exp(x) at 1.5 in float64 is 3 x**2 + exp(x) to within "
    "1e-13 relative, closer than any finite-difference estimate",
    sources=[
        cite(LINREG, "Unlike numerical differentiation"),
        cite(LINREG, "autograd computes exact gradients"),
        maths("d(x**3 + e**x)/dx = 3x**2 + e**x; central difference error >= ~1e-11"),
    ],
    about="autograd.backward",
    requires={"tensor.float64", "tensor.ops"},
    tolerance=Tolerance(
        rtol=1e-13,
        atol=0.0,
        why="exact up to float64 rounding (a few 1e-16); finite differences cannot reach 1e-11",
    ),
)
def test_exact_not_numerical(engine):
    x = engine.tensor(1.5, dtype="float64", requires_grad=True)
    (x**3 + x.exp()).backward()
    expect_grad(x, 3 * 1.5**2 + math.exp(1.5), what="x.grad of x**3 + exp(x)", dtype="float64")


def path_taken(x):
    """Python control flow on the values: cube by repeated products while below 20, else triple."""
    if x.item() < 0:
        return 3 * x
    y = x
    while y.item() < 20:
        y = y * x
    return y


@pytest.mark.parametrize(
    ("start", "derivative"), [(3.0, 27.0), (2.0, 80.0), (-2.0, 3.0)], ids=["x3", "x5", "branch"]
)
@spec(
    id="autograd.control_flow_path",
    behaviour="the graph is recorded as the code runs, so Python branches and loops on values "
    "differentiate the path taken: x**3 at 3, x**5 at 2, 3x at -2",
    sources=[
        cite(LINREG, "builds a computational graph on the fly"),
        cite(LINREG, "dynamic computational graph"),
        maths("d x**3/dx at 3 = 27; d x**5/dx at 2 = 80; d 3x/dx = 3"),
    ],
    about="autograd.backward",
)
def test_control_flow_path(engine, start, derivative):
    x = engine.tensor(start, requires_grad=True)
    path_taken(x).backward()
    expect_grad(x, derivative, what=f"x.grad of the path taken from x = {start}")


@spec(
    id="autograd.grad_second_operand",
    behaviour="the gradient reaches the second operand of a difference: for L = mean((y - "
    "yhat)**2) it is -2 (y - yhat) / n on yhat",
    sources=[cite(LINREG, "(y - \\hat{y})^2"), maths("d (y - yhat)**2 / d yhat = -2 (y - yhat)")],
    about="autograd.backward",
    requires={"tensor.ops", "tensor.arrays"},
)
def test_grad_second_operand(engine):
    y = engine.tensor([1.0, 2.0, 3.0, 0.0])
    yhat = engine.tensor([1.5, 1.0, 3.0, -2.0], requires_grad=True)
    ((y - yhat) ** 2).mean().backward()
    expect_grad(yhat, [0.25, -0.5, 0.0, -1.0], what="yhat.grad of mean((y - yhat)**2)")
