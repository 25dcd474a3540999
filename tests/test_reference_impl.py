"""The reference engine's own behaviour, checked without PyTorch: the graph machinery, in-place
rules, type promotion, layers, optimisers, data, the array namespace. (Agreement with PyTorch
itself is in test_reference_vs_torch.py, gradients against finite differences in
test_reference_gradients.py.)"""

from __future__ import annotations

import ast
import math
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from conformance import reference_impl as ref
from conformance.engines.reference_engine import ReferenceEngine
from conformance.reference_impl import backend, core, function
from conformance.reference_impl import functional as F


def values(t):
    return t.detach().numpy()


# -- the graph and the backward pass ---------------------------------------------------------
def test_backward_is_iterative_on_a_deep_graph():
    x = ref.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(20_000):  # far beyond Python's recursion limit
        y = y + 1
    (y * 2).backward()
    assert x.grad.item() == 2.0


def test_diamond_graph_adds_both_paths():
    x = ref.tensor(3.0, requires_grad=True)
    a, b = x * 2, x * x
    (a + b).backward()  # d/dx (2x + x**2) = 2 + 2x
    assert x.grad.item() == 8.0


@pytest.mark.parametrize(
    ("grad_shape", "shape", "expected"),
    [((2, 3), (2, 3), np.ones((2, 3))), ((2, 3), (3,), [2, 2, 2]), ((2, 3), (2, 1), [[3], [3]])],
    ids=["same", "leading", "size-one"],
)
def test_unbroadcast_sums_the_broadcast_axes(grad_shape, shape, expected):
    np.testing.assert_array_equal(core.unbroadcast(np.ones(grad_shape), shape), expected)


def test_grad_accumulates_until_zeroed():
    x = ref.tensor(2.0, requires_grad=True)
    for _ in range(3):
        (x * x).backward()
    assert x.grad.item() == 12.0
    x.grad.zero_()
    (x * x).backward()
    assert x.grad.item() == 4.0


def test_nonleaf_grad_is_none_and_warns_unless_retained():
    x = ref.tensor([1.0, 2.0], requires_grad=True)
    y, z = x * 2, x * 3
    z.retain_grad()
    (y * z).sum().backward()
    with pytest.warns(UserWarning, match="retain_grad"):
        assert y.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(values(z.grad), [2.0, 4.0])
        np.testing.assert_array_equal(values(x.grad), [12.0, 24.0])


def test_second_backward_through_freed_graph_names_the_fix():
    x = ref.tensor(2.0, requires_grad=True)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_pass():
    x = ref.tensor(2.0, requires_grad=True)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 8.0


@pytest.mark.parametrize("shape", [(2,), (2, 2)])
def test_backward_without_gradient_needs_one_element(shape):
    y = ref.ones(*shape, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="scalar outputs"):
        y.backward()


def test_backward_on_a_tensor_outside_the_graph_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ref.tensor([1.0]).sum().backward()


def test_no_grad_as_block_and_decorator_restores_the_mode():
    x = ref.tensor(1.0, requires_grad=True)

    @ref.no_grad()
    def double(t):
        return t * 2

    with ref.no_grad():
        assert not (x * 2).requires_grad
        with ref.enable_grad():
            assert (x * 2).requires_grad
        assert not ref.is_grad_enabled()
    assert not double(x).requires_grad
    assert ref.is_grad_enabled() and (x * 2).requires_grad


def test_detach_leaves_the_graph_but_shares_memory():
    x = ref.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    d.mul_(3)  # allowed: d does not require grad
    np.testing.assert_array_equal(values(x), [3.0, 6.0])
    assert x._version == 1


def test_requires_grad_rules():
    assert ref.tensor([1.0]).requires_grad_() is not None
    with pytest.raises(RuntimeError, match="floating-point"):
        ref.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf"):
        (ref.tensor([1.0], requires_grad=True) * 2).requires_grad_(False)


# -- node names and structure ------------------------------------------------------------------
NAMED_EXPRESSIONS = {
    "AddBackward0": lambda x: x + 1,
    "MulBackward0": lambda x: x * 0.2,
    "SubBackward0": lambda x: x - 5,
    "PowBackward0": lambda x: x**2,
    "MeanBackward0": lambda x: x.mean(),
    "SumBackward0": lambda x: x.sum(),
    "ReluBackward0": lambda x: x.relu(),
    "TanhBackward0": lambda x: x.tanh(),
    "SigmoidBackward0": lambda x: x.sigmoid(),
    "ClampBackward1": lambda x: x.clamp(min=0),
    "MmBackward0": lambda x: x.reshape(3, 1).mm(x.reshape(1, 3)),
}


@pytest.mark.parametrize("name", NAMED_EXPRESSIONS)
def test_grad_fn_names_follow_pytorch(name):
    x = ref.tensor([1.0, -2.0, 3.0], requires_grad=True)
    node = NAMED_EXPRESSIONS[name](x).grad_fn
    assert node.name() == name
    leaves = [child for child, _ in node.next_functions if child is not None]
    assert leaves and all(child.name() in ("AccumulateGrad", "ViewBackward0") for child in leaves)


def test_constants_are_none_edges():
    node = (ref.tensor([1.0], requires_grad=True) * ref.tensor([2.0])).grad_fn
    assert node.next_functions[0][0].name() == "AccumulateGrad"
    assert node.next_functions[1] == (None, 0)


# -- in-place changes ----------------------------------------------------------------------------
def test_inplace_on_a_leaf_that_requires_grad_is_refused_outside_no_grad():
    w = ref.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.sub_(0.1)
    with pytest.raises(RuntimeError, match="view of a leaf"):
        w[0].mul_(2)
    with ref.no_grad():
        w -= 0.5  # __isub__ is in place, as in PyTorch
    np.testing.assert_array_equal(values(w), [0.5, 1.5])
    assert w.is_leaf and w._version == 1


def test_change_of_a_saved_value_is_reported_with_the_node():
    x = ref.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()
    y[0].mul_(2)  # through a view: the version counter is shared
    with pytest.raises(RuntimeError, match="ExpBackward0.*version 1.*version 0"):
        y.sum().backward()


# -- what a gradient reads is declared once, in saved= ------------------------------------------
def _log_reading(what):
    """A log op whose gradient reads ``what`` (the input tensor or its array) from its closure
    instead of declaring it: the bug that would escape the version check and the freeing."""

    def log(a):
        read = a if what == "tensor" else a.data
        return function.record("LogBackward0", np.log(a.data), (a,), lambda g: (g / _data(read),))

    return log


def _data(value):
    return value.data if isinstance(value, ref.Tensor) else value


@pytest.mark.parametrize("what", ["tensor", "array"])
def test_a_gradient_reading_an_undeclared_value_is_refused_when_the_op_runs(what):
    x = ref.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=f"LogBackward0: its gradient reads an? {what}.*saved="):
        _log_reading(what)(x * 1)
    with ref.no_grad():  # nothing is recorded, so there is nothing to check
        _log_reading(what)(x * 1)


def test_declared_values_reach_the_gradient_version_checked_and_are_freed():
    x = ref.tensor([1.0, 2.0], requires_grad=True)

    def log(a):
        return function.record("LogBackward0", np.log(a.data), (a,), lambda g, v: (g / v,), (a,))

    log(x * 1).sum().backward()
    np.testing.assert_allclose(values(x.grad), [1.0, 0.5])
    h = x * 1
    y = log(h)
    h.mul_(2)
    with pytest.raises(RuntimeError, match="LogBackward0.*modified by an in-place operation"):
        y.sum().backward()
    z = log(x * 1).sum()
    z.backward()
    with pytest.raises(RuntimeError, match="LogBackward0: trying to backward through the graph"):
        z.backward()


def test_inplace_result_keeps_gradients_of_the_old_value():
    x = ref.tensor([1.0, -2.0], requires_grad=True)
    y = x * 1
    y.abs_().mul_(3)  # d/dx 3|x| = 3 sign(x)
    y.sum().backward()
    np.testing.assert_array_equal(values(x.grad), [3.0, -3.0])


def test_setitem_routes_gradients_to_the_written_value():
    x = ref.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = ref.tensor(4.0, requires_grad=True)
    y = x * 1
    y[1] = b * 2
    assert y.grad_fn.name() == "CopySlices"
    (y * ref.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(values(x.grad), [1.0, 0.0, 100.0])
    assert b.grad.item() == 20.0


# -- dtypes and promotion ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "dtype"),
    [
        (lambda: ref.tensor([1.0]), "float32"),
        (lambda: ref.tensor([1]), "int64"),
        (lambda: ref.tensor(np.array([1.0])), "float64"),
        (lambda: ref.tensor([1.0]) * 2.5, "float32"),
        (lambda: ref.tensor([1]) * 0.5, "float32"),
        (lambda: ref.tensor([1]) / ref.tensor([2]), "float32"),
        (lambda: ref.tensor([1.0]) + ref.tensor([1.0], dtype="float64"), "float64"),
        (lambda: ref.tensor([1.0]) + ref.tensor(1.0, dtype="float64"), "float32"),
        (lambda: ref.tensor([1]) + ref.tensor(1.0, dtype="float64"), "float64"),
        (lambda: ref.tensor([1.0], dtype="float64").exp(), "float64"),
    ],
    ids=[
        "float-default",
        "int-default",
        "array-keeps",
        "float32-times-number",
        "int-times-float",
        "int-division",
        "float32-float64",
        "dimensioned-beats-0d",
        "higher-kind-0d",
        "float64-math",
    ],
)
def test_dtypes_follow_pytorch_promotion(make, dtype):
    assert make().dtype == dtype


def test_gradient_takes_the_dtype_of_its_tensor():
    x = ref.tensor([1.0, 2.0], requires_grad=True)
    (x * ref.tensor([3.0, 3.0], dtype="float64")).sum().backward()
    assert x.grad.dtype == "float32"


# -- missing gradients, devices, the array namespace ------------------------------------------
def test_missing_gradient_names_the_op():
    bound = ref.tensor(0.0, requires_grad=True)
    with pytest.raises(NotImplementedError, match="ClampBackward1"):
        ref.tensor([1.0], requires_grad=True).clamp(min=bound)


def test_cuda_is_offered_only_with_cupy_and_a_gpu():
    engine = ReferenceEngine()
    problem = backend.cuda_problem()
    if problem is None:
        pytest.skip("CuPy and a GPU are present here")
    assert engine.devices == ("cpu",)
    assert "CuPy" in engine.device_unavailable_reason("cuda")
    with pytest.raises(RuntimeError, match="not available"):
        ref.zeros(2, device="cuda")


def test_the_engine_imports_under_any_package_name(tmp_path):
    """Its modules import each other relatively, so the folder works under whatever name it is
    imported as: ``conformance.reference_impl`` once installed, or any other."""
    source = Path(ref.__file__).parent
    shutil.copytree(source, tmp_path / "renamed_engine", ignore=shutil.ignore_patterns("*.pyc"))
    code = (
        "import sys, renamed_engine as r\n"
        "x = r.tensor([1.0, 2.0], requires_grad=True)\n"
        "(x * x).sum().backward()\n"
        "assert 'reference_impl' not in sys.modules\n"
        "print(x.grad.tolist(), type(x).__module__)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["[2.0,", "4.0]", "renamed_engine.core"]


# The reading order of reference_impl/__init__.py: each module imports only modules before it.
LAYERS = ["backend", "random", "core", "function", "inplace", "views", "ops", "conversions"]
LAYERS += ["methods", "creation", "functional", "nn", "optim", "data", "autograd"]


def test_each_module_imports_only_the_layers_before_it():
    """No import cycle: the engine reads top to bottom in the order its __init__ gives."""
    package = Path(ref.__file__).parent
    later = {}
    for path in package.rglob("*.py"):
        if path.name == "__init__.py" and path.parent == package:
            continue
        inner = path.relative_to(package).parts
        module = inner[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or node.level == 0:
                continue
            if len(inner) > 1 and node.level == 1:  # inside the autograd subpackage
                continue
            names = [node.module] if node.module else [alias.name for alias in node.names]
            for name in names:
                if LAYERS.index(name.split(".")[0]) >= LAYERS.index(module):
                    later.setdefault(module, set()).add(name)
    assert set(LAYERS) == {p.name.removesuffix(".py") for p in package.iterdir()} - {
        "__init__",
        "__pycache__",
    }
    assert later == {}, f"modules importing a layer at or after their own: {later}"


def test_only_the_backend_and_the_generator_import_numpy():
    """Array math goes through backend.namespace (NumPy or CuPy); nothing else imports NumPy."""
    package = Path(ref.__file__).parent
    importers = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if any(name.split(".")[0] in ("numpy", "cupy") for name in names):
                importers.add(path.name)
    assert importers == {"backend.py", "random.py"}


# -- layers, losses, optimisers, data -------------------------------------------------------------
def test_linear_initialisation_bounds_and_parameter_names():
    ref.manual_seed(0)
    model = ref.nn.Sequential(ref.nn.Linear(25, 40), ref.nn.ReLU(), ref.nn.Linear(40, 1))
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    first = model[0]
    assert first.weight.shape == (40, 25) and first.bias.shape == (40,)
    for p in (first.weight, first.bias):
        assert p.requires_grad and p.is_leaf and p.dtype == "float32"
        assert np.abs(values(p)).max() <= 1 / math.sqrt(25)
        assert np.abs(values(p)).max() > 0.9 / math.sqrt(25)  # spread over the whole range


def test_train_eval_and_zero_grad_reach_every_layer():
    model = ref.nn.Sequential(ref.nn.Linear(2, 2), ref.nn.Dropout(0.5))
    model(ref.ones(3, 2)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.eval()
    assert not model[1].training
    x = ref.ones(4, 2)
    np.testing.assert_array_equal(values(model[1](x)), values(x))


def test_dropout_keeps_one_minus_p_and_scales_survivors():
    ref.manual_seed(1)
    out = values(F.dropout(ref.ones(100_000), p=0.2))
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.8)}
    assert abs((out > 0).mean() - 0.8) < 0.01
    ref.manual_seed(1)
    np.testing.assert_array_equal(values(F.dropout(ref.ones(100_000), p=0.2)), out)


def test_cross_entropy_is_logsumexp_minus_the_target_logit():
    logits = ref.tensor([[2.0, 1.0, 0.1], [1000.0, 0.0, -1000.0]])
    loss = F.cross_entropy(logits, ref.tensor([0, 1]), reduction="none")
    z = np.array([[2.0, 1.0, 0.1]])
    expected_first = -2.0 + np.log(np.exp(z).sum())
    np.testing.assert_allclose(values(loss), [expected_first, 1000.0], rtol=1e-6)


def test_sgd_with_momentum_and_weight_decay_follows_the_equations():
    w = ref.tensor([1.0], requires_grad=True)
    optimizer = ref.optim.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.5)
    expected, buffer = 1.0, None
    for _ in range(3):
        optimizer.zero_grad()
        (w * w).sum().backward()  # grad 2w
        g = 2 * expected + 0.5 * expected
        buffer = g if buffer is None else 0.9 * buffer + g
        expected -= 0.1 * buffer
        optimizer.step()
        assert w.item() == pytest.approx(expected, rel=1e-6)


def test_adam_first_step_has_the_size_of_the_learning_rate():
    w = ref.tensor([1.0, -1.0, 100.0], requires_grad=True)
    optimizer = ref.optim.Adam([w], lr=0.01)
    (w * ref.tensor([3.0, 0.001, -50.0])).sum().backward()
    optimizer.step()  # m_hat = g and v_hat = g**2 after bias correction: a step of lr sign(g)
    np.testing.assert_allclose(values(w), [0.99, -1.01, 100.01], rtol=1e-5)


@pytest.mark.parametrize(
    ("lengths", "sizes"),
    [([700, 150, 150], [700, 150, 150]), ([0.7, 0.15, 0.15], [700, 150, 150]), ([0.5, 0.5], None)],
    ids=["counts", "fractions", "fractions-with-remainder"],
)
def test_random_split_sizes_and_disjointness(lengths, sizes):
    n = 1000 if sizes else 5
    dataset = ref.data.TensorDataset(ref.arange(n))
    parts = ref.data.random_split(dataset, lengths, seed=3)
    assert [len(p) for p in parts] == (sizes or [3, 2])
    indices = [i for p in parts for i in p.indices]
    assert sorted(indices) == list(range(n))


def test_data_loader_batches_last_partial_and_shuffles_reproducibly():
    dataset = ref.data.TensorDataset(ref.arange(10), ref.arange(10) * 2)
    batches = list(ref.data.DataLoader(dataset, batch_size=4))
    assert [len(x) for x, _ in batches] == [4, 4, 2]
    np.testing.assert_array_equal(values(batches[0][1]), [0, 2, 4, 6])
    assert len(list(ref.data.DataLoader(dataset, batch_size=4, drop_last=True))) == 2

    def order():
        loader = ref.data.DataLoader(dataset, batch_size=10, shuffle=True)
        return values(next(iter(loader))[0])

    ref.manual_seed(5)
    first = order()
    ref.manual_seed(5)
    np.testing.assert_array_equal(order(), first)
    assert sorted(first) == list(range(10)) and list(first) != list(range(10))


def test_jacobian_of_a_linear_map_is_its_matrix():
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    jacobian = ref.autograd.functional.jacobian(
        lambda x: ref.tensor(a) @ x, ref.tensor([1.0, 1.0, 1.0])
    )
    np.testing.assert_array_equal(values(jacobian), a)
    both = ref.autograd.jacobian(lambda x, y: x * y, (ref.tensor([2.0]), ref.tensor([5.0])))
    assert [t.item() for t in both] == [5.0, 2.0]


def test_repr_shows_values_and_history():
    x = ref.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert repr(ref.tensor([1.5], dtype="float64")) == "tensor([1.5], dtype=float64)"
