"""Worked examples of the source documents, with the numbers they print."""

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
from conformance.specs.sources import BLOG, BOOK, LINREG, cite, maths, pytorch_docs

BLOG_BASICS = cite(BLOG, "Autograd fundamentals")
# The blog prints x.grad = 0.25 twice: after the first backward, and again for x1 in the graph
# of "Digging deeper"; the first is the mean of ones.
BLOG_MEAN_GRAD = cite(BLOG, "0.2500 0.2500 0.2500 0.2500 [ CPUFloatType{2,2} ]", occurrence=1)
BLOG_DEEPER = cite(BLOG, "Digging deeper")
BOOK_EXAMPLE = cite(BOOK, "4.3 Automatic differentiation with torchautograd")
BOOK_NAMES = [cite(BOOK, "grad_fn = <SubBackward1>"), cite(BOOK, "PowBackward0 MulBackward1")]


@spec(
    id="examples.mean_of_ones",
    behaviour="the gradient of the mean of a 2x2 tensor of ones is 0.25 in every entry",
    sources=[BLOG_BASICS, BLOG_MEAN_GRAD, maths("d mean/dx_ij = 1/4")],
    about="autograd.backward",
    requires={"tensor.ops", "tensor.arrays"},
)
def test_mean_of_ones(engine):
    x = engine.ones(2, 2, requires_grad=True)
    x.mean().backward()
    expect_grad(x, np.full((2, 2), 0.25), what="x.grad of mean(ones(2, 2))")


def blog_graph(engine, x2_shape=()):
    """x1 = ones(2, 2), x2 = 1.1, y = x1 * (x2 + 2), z = 3 y**2, out = mean(z)."""
    x1 = engine.ones(2, 2, requires_grad=True)
    x2 = engine.tensor(np.full(x2_shape, 1.1).tolist(), requires_grad=True)
    # operand order as in the blog, so the grad_fn tree has the same shape
    y = x1 * (x2 + 2)
    z = y.pow(2) * 3
    return x1, x2, y, z, z.mean()


@pytest.mark.parametrize("x2_shape", [(), (1,)], ids=["0-d", "one-element"])
@spec(
    id="examples.blog_graph_gradients",
    behaviour="in the blog's graph, z.grad = 0.25, y.grad = 4.65, x1.grad = 14.415, x2.grad = 18.6",
    sources=[
        cite(BLOG, "y <- x1 * (x2 + 2)"),
        # each printed 2 x 2 gradient repeats its row, so its anchor occurs twice in a row
        cite(BLOG, "4.6500 4.6500", occurrence=1),
        cite(BLOG, "14.4150 14.4150", occurrence=1),
        maths("y = 3.1; dy = 0.25 * 6y; dx1 = dy * 3.1; dx2 = 4 dy"),
    ],
    about="autograd.retain_grad",
    requires={"autograd.backward", "tensor.ops", "tensor.arrays"},
    note="The R blog creates x2 with shape (1), PyTorch's natural scalar is 0-d; both broadcast "
    "the same way and x2.grad takes x2's shape.",
)
def test_blog_graph_gradients(engine, x2_shape):
    x1, x2, y, z, out = blog_graph(engine, x2_shape)
    y.retain_grad()
    z.retain_grad()
    out.backward()
    expect_grad(z, np.full((2, 2), 0.25), what="z.grad")
    expect_grad(y, np.full((2, 2), 4.65), what="y.grad")
    expect_grad(x1, np.full((2, 2), 14.415), what="x1.grad")
    expect_shape(x2.grad, x2_shape, what="x2.grad")
    expect_grad(x2, np.full(x2_shape, 18.6), what="x2.grad")


def chain_names(engine, node, depth=0):
    """(depth, name) of every node under ``node``, depth first, None shown as "None".
    ``next_functions`` entries are (node, index) pairs as in PyTorch; a bare node is read as its
    own entry, so an engine with another layout gets a comparison, not a crash."""
    if node is None:
        return [(depth, "None")]
    rows = [(depth, engine.grad_fn_name(node))]
    for entry in node.next_functions:
        child = entry[0] if isinstance(entry, tuple | list) else entry
        rows += chain_names(engine, child, depth + 1)
    return rows


@spec(
    id="examples.blog_grad_fn_chain",
    behaviour="the blog graph's backward chain is Mean <- Mul <- Pow <- Mul <- (x1, Add <- x2)",
    sources=[
        BLOG_DEEPER,
        cite(BLOG, "AccumulateGrad for x1"),
        pytorch_docs(
            "torch.autograd (autograd mechanics)",
            "node names such as MeanBackward0, MulBackward0, AccumulateGrad; None next_functions "
            "entries for inputs that need no gradient",
        ),
    ],
    about="autograd.grad_fn_names",
    requires={"autograd.grad_fn", "tensor.ops", "tensor.arrays"},
    note="PyTorch's name() for leaf nodes is 'torch::autograd::AccumulateGrad'; adapters report "
    "the last component. Constants (the 3 and the 2) appear as None entries. The blog prints no "
    "node names but AccumulateGrad (its comments describe each node in words), so the names "
    "are PyTorch's, cited to its documentation; the chain's shape without names is "
    "examples.grad_fn_chain_topology.",
)
def test_blog_grad_fn_chain(engine):
    *_, out = blog_graph(engine)
    expected = [
        (0, "MeanBackward0"),
        (1, "MulBackward0"),
        (2, "PowBackward0"),
        (3, "MulBackward0"),
        (4, "AccumulateGrad"),
        (4, "AddBackward0"),
        (5, "AccumulateGrad"),
        (5, "None"),
        (2, "None"),
    ]
    expect_equal(chain_names(engine, out.grad_fn), expected, what="the grad_fn tree of out")


def chain_shape(node) -> str:
    """The shape of the backward graph under ``node``, without names: "leaf" for a node with no
    children (a leaf's accumulator), "node(...)" with its children in order otherwise. Constants
    are None entries (the contract's reading) and are left out."""
    children = []
    for entry in node.next_functions:
        child = entry[0] if isinstance(entry, tuple | list) else entry
        if child is not None:
            children.append(chain_shape(child))
    return f"node({', '.join(children)})" if children else "leaf"


@spec(
    id="examples.grad_fn_chain_topology",
    behaviour="without node names, the blog's chain is mean <- mul <- pow <- mul <- (x1, add <- "
    "x2) and the book's is sub <- add <- (mul <- square <- x1, mul <- square <- x2)",
    sources=[
        BLOG_DEEPER,
        cite(BLOG, "the left department is a leaf node"),
        cite(BLOG, "we arrive on the different leaf node"),
        cite(BOOK, "adds the “missing link” to x1"),
        maths("each operation's node links to the nodes of its tensor inputs"),
    ],
    about="autograd.grad_fn",
    requires={"tensor.ops", "tensor.arrays"},
    note="The topology the two documents walk through over next_functions, with no name "
    "compared (names are autograd.grad_fn_names or _book). A chain that stops short of the "
    "leaves, flattens a level or drops an operand's edge has another shape.",
)
def test_grad_fn_chain_topology(engine):
    *_, out = blog_graph(engine)
    leaf = "leaf"
    blog = f"node(node(node(node({leaf}, node({leaf})))))"
    expect_equal(chain_shape(out.grad_fn), blog, what="the shape of out.grad_fn's chain (001)")
    _, _, x3, *_, x7 = book_graph(engine)
    expect_equal(chain_shape(x3.grad_fn), f"node({leaf})", what="x3.grad_fn's link to x1 (004)")
    book = f"node(node(node(node({leaf})), node(node({leaf}))))"
    expect_equal(chain_shape(x7.grad_fn), book, what="the shape of x7.grad_fn's chain (004)")


def book_graph(engine, retain=False):
    """f = 0.2 x1**2 + 0.2 x2**2 - 5 at x1 = x2 = 2, with the book's intermediate names."""
    x1 = engine.tensor(2.0, requires_grad=True)
    x2 = engine.tensor(2.0, requires_grad=True)
    x3, x4 = x1.square(), x2.square()
    x5, x6 = x3 * 0.2, x4 * 0.2
    if retain:
        for t in (x3, x4, x5, x6):
            t.retain_grad()
    return x1, x2, x3, x4, x5, x6, x5 + x6 - 5


@spec(
    id="examples.book_value_and_gradients",
    behaviour="f = 0.2 x1**2 + 0.2 x2**2 - 5 at (2, 2) is -3.4 with gradient 0.4 x = (0.8, 0.8)",
    sources=[
        BOOK_EXAMPLE,
        cite(BOOK, "-3.4000"),
        cite(BOOK, "0.8000 [ CPUFloatType{1} ]", occurrence=1),
        cite(BOOK, "inherit this property"),
    ],
    about="autograd.backward",
    requires={"tensor.ops"},
)
def test_book_value_and_gradients(engine):
    x1, x2, *_, x7 = book_graph(engine)
    expect_close(x7, -3.4, what="x7")
    expect_equal(bool(x7.requires_grad), True, what="x7.requires_grad (inherited)")
    x7.backward()
    expect_grad(x1, 0.8, what="x1.grad")
    expect_grad(x2, 0.8, what="x2.grad")


@spec(
    id="examples.book_intermediate_grads",
    behaviour="without retain_grad the intermediates' .grad is empty; with it, 0.2, 0.2, 1, 1",
    sources=[
        cite(BOOK, "The field does not seem to be populated"),
        cite(BOOK, "x3$retain_grad()"),
        cite(BOOK, "0.2000", occurrence=1),
        maths("dx7/dx3 = 0.2, dx7/dx5 = 1"),
    ],
    about="autograd.retain_grad",
    requires={"autograd.backward", "autograd.leaf_only_grad", "tensor.ops"},
)
def test_book_intermediate_grads(engine):
    *_, x3, _, _, _, x7 = book_graph(engine)
    x7.backward()
    expect_no_grad(x3, what="x3.grad without retain_grad")
    _, _, x3, x4, x5, x6, x7 = book_graph(engine, retain=True)
    x7.backward()
    for name, t, value in (("x3", x3, 0.2), ("x4", x4, 0.2), ("x5", x5, 1.0), ("x6", x6, 1.0)):
        expect_grad(t, value, what=f"{name}.grad with retain_grad")


def book_node_names(engine):
    _, _, x3, x4, x5, x6, x7 = book_graph(engine)
    return [engine.grad_fn_name(t.grad_fn) for t in (x3, x4, x5, x6, x7)]


@spec(
    id="examples.book_grad_fn_names",
    behaviour="the book's nodes carry today's PyTorch names: PowBackward0 (square), MulBackward0 "
    "and SubBackward0",
    sources=[*BOOK_NAMES, pytorch_docs("torch.autograd", "node names such as MulBackward0")],
    about="autograd.grad_fn_names",
    requires={"autograd.grad_fn", "tensor.ops"},
    note="The book (an older torch) prints MulBackward1 for x3 * 0.2 and SubBackward1 for x7; "
    "current PyTorch records multiplication and subtraction by a Python number as MulBackward0 "
    "and SubBackward0. examples.book_grad_fn_names_printed checks the book's names.",
)
def test_book_grad_fn_names(engine):
    expected = ["PowBackward0", "PowBackward0", "MulBackward0", "MulBackward0", "SubBackward0"]
    expect_equal(book_node_names(engine), expected, what="grad_fn names of x3, x4, x5, x6, x7")


@spec(
    id="examples.book_grad_fn_names_printed",
    behaviour="the book's nodes carry the names it prints: PowBackward0 (square), MulBackward1 "
    "(times a number) and SubBackward1 (minus a number)",
    sources=BOOK_NAMES,
    about="autograd.grad_fn_names_book",
    requires={"autograd.grad_fn", "tensor.ops"},
)
def test_book_grad_fn_names_printed(engine):
    expected = ["PowBackward0", "PowBackward0", "MulBackward1", "MulBackward1", "SubBackward1"]
    expect_equal(book_node_names(engine), expected, what="grad_fn names of x3, x4, x5, x6, x7")


@pytest.mark.parametrize("point", [(1.0, -3.0), (2.0, 2.0), (0.0, 0.0)], ids=str)
@spec(
    id="examples.book_descent_direction",
    behaviour="the gradient of 0.2 x1**2 + 0.2 x2**2 - 5 is (0.4 x1, 0.4 x2) at any point, zero "
    "at the minimum (0, 0)",
    sources=[
        cite(BOOK, "4.1 Why compute derivatives?"),
        cite(BOOK, "-0.4x_1\\\\-0.4x_2"),
        maths("df/dx_i = 0.4 x_i"),
    ],
    about="autograd.backward",
    requires={"tensor.ops", "tensor.arrays"},
    note="The book writes the gradient as the sum 0.4 x1 + 0.4 x2; what autograd stores, and "
    "what the spec checks, is the vector of the two partial derivatives.",
)
def test_book_descent_direction(engine, point):
    x = engine.tensor(list(point), requires_grad=True)
    (0.2 * x**2 - 2.5).sum().backward()
    expect_grad(x, 0.4 * np.array(point), what=f"gradient at {point}")


def two_layer_data(seed=2024):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((100, 3))
    y = x[:, [0]] * 0.2 - x[:, [1]] * 1.3 - x[:, [2]] * 0.5 + rng.standard_normal((100, 1))
    return x, y, rng.standard_normal((3, 32)), rng.standard_normal((32, 1))


def two_layer_losses_float64(steps=200, lr=1e-4):
    """The blog's manual network in float64 NumPy with its gradients written out."""
    x, y, w1, w2 = two_layer_data()
    b1, b2 = np.zeros((1, 32)), np.zeros((1, 1))
    losses = []
    for _ in range(steps):
        pre = x @ w1 + b1
        hidden = np.maximum(pre, 0)
        residual = hidden @ w2 + b2 - y
        losses.append((residual**2).sum())
        g = 2 * residual
        g_hidden = g @ w2.T * (pre > 0)
        w1, w2 = w1 - lr * x.T @ g_hidden, w2 - lr * hidden.T @ g
        b1, b2 = b1 - lr * g_hidden.sum(0, keepdims=True), b2 - lr * g.sum(0, keepdims=True)
    return np.array(losses)


@spec(
    id="examples.two_layer_training",
    behaviour="the blog's manual two-layer network (clamp ReLU, squared-error sum, 200 steps of "
    "lr 1e-4) follows the exact loss curve and cuts the loss over 50-fold",
    sources=[
        cite(BLOG, "$clamp(min = 0)$mm(w2)", occurrence=2),
        cite(BLOG, "learning_rate <- 1e-4"),
        cite(BLOG, "for (t in 1:200)"),
        maths("the same loop in float64 NumPy"),
    ],
    about="autograd.backward",
    requires={
        "autograd.no_grad",
        "tensor.inplace",
        "tensor.matmul",
        "tensor.ops",
        "nn.activations",
        "tensor.arrays",
    },
    tolerance=Tolerance(
        rtol=1e-4,
        atol=0.0,
        why="200 float32 updates of 3x32 and 32x1 weights "
        "drift from the float64 curve: measured 3.5e-7 relative on PyTorch and "
        "2.1e-7 on the reference engine; 1e-4 leaves room for other summation "
        "orders",
    ),
)
def test_two_layer_training(engine):
    x, y, w1_init, w2_init = (engine.tensor(a.tolist()) for a in two_layer_data())
    w1 = engine.tensor(engine.to_numpy(w1_init).tolist(), requires_grad=True)
    w2 = engine.tensor(engine.to_numpy(w2_init).tolist(), requires_grad=True)
    b1 = engine.zeros(1, 32, requires_grad=True)
    b2 = engine.zeros(1, 1, requires_grad=True)
    losses = []
    for _ in range(200):
        hidden = x.mm(w1).add(b1).clamp(min=0)  # ReLU written as a clamp
        residual = hidden.mm(w2).add(b2) - y
        loss = residual.pow(2).sum()
        losses.append(engine.to_numpy(loss).copy())
        loss.backward()
        with engine.no_grad():
            for parameter in (w1, w2, b1, b2):
                parameter.sub_(1e-4 * parameter.grad)
                parameter.grad.zero_()
    expected = two_layer_losses_float64()
    expect_close(losses[::10], expected[::10], what="loss at every tenth step")
    expect_true(
        float(losses[-1]) < float(losses[0]) / 50,
        what="final loss below 1/50 of the first (the float64 run: 7312 to 91.8)",
        got=(float(losses[0]), float(losses[-1])),
    )


def regression_data(seed=7):
    """100 points on y = 2x - 1 with noise 0.1, a random start, and 10 batches of 10."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(100)
    y = 2.0 * x - 1.0 + 0.1 * rng.standard_normal(100)
    a, b = rng.standard_normal(), rng.standard_normal()
    return x, y, a, b, rng.permutation(100).reshape(10, 10)


def regression_float64(lr=0.02, epochs=10):
    x, y, a, b, batches = regression_data()
    for _ in range(epochs):
        for batch in batches:
            residual = x[batch] * a + b - y[batch]
            a, b = a - lr * (2 * residual * x[batch]).mean(), b - lr * (2 * residual).mean()
    return a, b


@spec(
    id="examples.minibatch_linear_regression",
    behaviour="minibatch SGD on y = a x + b (lr 0.02, 10 epochs of 10 batches of 10) moves from "
    "a random start to a = 2, b = -1 within 0.15, matches the float64 run and cuts the mean "
    "batch loss of an epoch over 100-fold",
    sources=[
        cite(LINREG, "loss <- mean((Y_hat - Y_batch)^2)"),
        cite(LINREG, "lr <- 0.02"),
        cite(LINREG, "Split data into 10 batches of size 10"),
        maths("float64 NumPy replica"),
    ],
    about="autograd.backward",
    note="100 float32 updates deviate from the float64 replica by 1.4e-7 relative (measured), "
    "inside the float32 table's tolerance. The float64 replica's epoch losses fall from 9.98 to "
    "0.022 (455-fold).",
    requires={"autograd.no_grad", "tensor.inplace", "tensor.ops", "tensor.arrays"},
)
def test_minibatch_linear_regression(engine):
    x_all, y_all, a0, b0, batches = regression_data()
    a = engine.tensor(a0, requires_grad=True)
    b = engine.tensor(b0, requires_grad=True)
    history = []  # the batch losses, read with item() as the tutorial records them
    for _ in range(10):
        for batch in batches:
            x, y = engine.tensor(x_all[batch].tolist()), engine.tensor(y_all[batch].tolist())
            loss = ((x * a + b - y) ** 2).mean()
            history.append(loss.item())
            loss.backward()
            with engine.no_grad():
                a.sub_(0.02 * a.grad)
                b.sub_(0.02 * b.grad)
                a.grad.zero_()  # "Ensure gradients are zero", inside the update's no_grad
                b.grad.zero_()
    got = [engine.to_numpy(a).copy(), engine.to_numpy(b).copy()]
    expect_close(got, list(regression_float64()), what="(a, b) after 10 epochs")
    expect_true(
        abs(float(got[0]) - 2) < 0.15 and abs(float(got[1]) + 1) < 0.15,
        what="(a, b) within 0.15 of the generating (2, -1)",
        got=got,
    )
    first_epoch, last_epoch = np.mean(history[:10]), np.mean(history[-10:])
    expect_true(
        last_epoch < first_epoch / 100,
        what="the last epoch's mean batch loss below 1/100 of the first epoch's",
        got=(first_epoch, last_epoch),
    )
