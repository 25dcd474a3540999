"""Property specs by differential testing: hypothesis builds a computation graph (a DAG of
contract ops over a few broadcastable leaves, intermediates reused, reductions to scalars that
broadcast again); every node's value and every leaf's gradient must match the reference engine
(``reference_impl``, run in-process in float64), and, when the engine under test is the
reference engine itself, central finite differences.

The allowed error is a first-order running-error bound, computed from the drawn graph in NumPy:
each node's value is within ``k u M`` of the exact one, where ``M`` propagates the magnitudes of
the operands (``|a| + |b|`` for a sum, ``|a| |b|`` for a product, 1 for tanh and sigmoid, the
sum of magnitudes for a reduction) and ``k`` counts at most 8 roundings per node plus one per
element summed; each gradient within ``k u G``, where ``G`` is the backward pass run on the
absolute values of the local derivatives (1 for tanh's and sigmoid's, whose formulas 1 - t**2 and
s (1 - s) keep only an absolute accuracy).
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from conformance import expect_close, spec
from conformance.engines.reference_engine import ReferenceEngine
from conformance.expect import as_array, fail, show
from conformance.specs import gradcheck as gc
from conformance.specs import strategies as hs
from conformance.specs.sources import both_courses, maths
from conformance.tolerance import Tolerance

# Node templates over the input names {a}, {b} and a drawn constant {c}.
UNARY = {
    "tanh": "engine.tanh({a})",
    "sigmoid": "engine.sigmoid({a})",
    "neg": "-{a}",
    "scale": "{a} * {c}",
    "square": "{a}.square()",
    "sum": "{a}.sum()",
    "mean": "{a}.mean()",
}
BINARY = {
    "add": "{a} + {b}",
    "sub": "{a} - {b}",
    "mul": "{a} * {b}",
    "div": "{a} / ({b} * {b} + 1.0)",
}
constants = st.sampled_from([0.5, -2.0, 1.5])


@st.composite
def graphs(draw, dtype: str):
    """Leaves (values), and nodes (op, input indices, constant); index i < len(leaves) names a
    leaf, the rest earlier nodes."""
    shapes = draw(
        hs.hnp.mutually_broadcastable_shapes(
            num_shapes=draw(st.integers(1, 3)), max_dims=2, max_side=3
        )
    ).input_shapes
    leaves = [draw(hs.arrays(dtype, s, hs.Domain(-1.5, 1.5))) for s in shapes]
    nodes = []
    for _ in range(draw(st.integers(1, 6))):
        available = len(leaves) + len(nodes)
        pick = st.integers(0, available - 1)
        if draw(st.booleans()):
            nodes.append((draw(st.sampled_from(sorted(UNARY))), (draw(pick),), draw(constants)))
        else:
            nodes.append((draw(st.sampled_from(sorted(BINARY))), (draw(pick), draw(pick)), None))
    return leaves, nodes


def names_of(leaves) -> list[str]:
    return [f"x{i}" for i in range(len(leaves))]


def node_expressions(leaves, nodes) -> list[str]:
    names = names_of(leaves) + [f"n{k}" for k in range(len(nodes))]
    lines = []
    for op, inputs, c in nodes:
        template = UNARY.get(op) or BINARY[op]
        code = template.format(a=names[inputs[0]], b=names[inputs[-1]], c=repr(c))
        lines.append(code)
    return lines


def evaluate(engine, leaves, nodes, dtype: str, requires_grad: bool):
    """The leaves and node values as the engine's tensors."""
    scope = {
        name: engine.tensor(v.tolist(), dtype=dtype, requires_grad=requires_grad)
        for name, v in zip(names_of(leaves), leaves, strict=True)
    }
    values = []
    for k, code in enumerate(node_expressions(leaves, nodes)):
        compiled = compile(code, gc.EXPRESSIONS, "eval")  # told as the catalogue's own line
        scope[f"n{k}"] = eval(compiled, {"engine": engine}, scope)  # noqa: S307 (from tables)
        values.append(scope[f"n{k}"])
    return [scope[n] for n in names_of(leaves)], values


def magnitudes(leaves, nodes, weights):
    """Running-error magnitudes: M per node (values) and G per leaf (gradients), in float64."""
    vals = [np.asarray(v, dtype=np.float64) for v in leaves]
    mags = [np.abs(v) for v in vals]
    local = []  # per node: the magnitudes of d node / d input
    for op, inputs, c in nodes:
        va, ma = vals[inputs[0]], mags[inputs[0]]
        vb, mb = (vals[inputs[1]], mags[inputs[1]]) if len(inputs) > 1 else (None, None)
        if op == "tanh":
            v, m, d = np.tanh(va), np.ones_like(va), (np.ones_like(va),)
        elif op == "sigmoid":
            v, m, d = 1 / (1 + np.exp(-va)), np.ones_like(va), (np.ones_like(va),)
        elif op == "neg":
            v, m, d = -va, ma, (np.ones_like(va),)
        elif op == "scale":
            v, m, d = va * c, abs(c) * ma, (np.full_like(va, abs(c)),)
        elif op == "square":
            v, m, d = va * va, ma * ma, (2 * ma,)
        elif op == "sum":
            v, m, d = va.sum(), ma.sum(), (np.ones_like(va),)
        elif op == "mean":
            v, m, d = va.mean(), ma.mean(), (np.full_like(va, 1 / va.size),)
        elif op in ("add", "sub"):
            v = va + vb if op == "add" else va - vb
            m, d = ma + mb, (np.ones_like(v), np.ones_like(v))
        elif op == "mul":
            v, m, d = va * vb, ma * mb, (np.broadcast_to(mb, (va * vb).shape), ma + 0 * vb)
        else:  # div: a / (b * b + 1)
            den = vb * vb + 1
            v, m = va / den, ma + 0 * vb
            d = (np.broadcast_to(1 / den, v.shape), 2 * ma * mb / den**2 + 0 * va)
        vals.append(np.asarray(v))
        mags.append(np.asarray(m))
        local.append(d)
    adjoint = [np.zeros_like(m) for m in mags]
    for k, w in enumerate(weights):
        adjoint[len(leaves) + k] = adjoint[len(leaves) + k] + abs(w)
    for k in reversed(range(len(nodes))):
        out = adjoint[len(leaves) + k]
        for i, d in zip(nodes[k][1], local[k], strict=True):
            contribution = np.asarray(d * out)
            adjoint[i] = adjoint[i] + unbroadcast(contribution, adjoint[i].shape)
    return mags[len(leaves) :], adjoint[: len(leaves)]


def unbroadcast(grad: np.ndarray, shape) -> np.ndarray:
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, side in enumerate(shape):
        if side == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return np.broadcast_to(grad, shape)


weight_lists = st.lists(hs.weight_values, min_size=6, max_size=6)


@spec(
    id="properties.graphs_match_reference",
    behaviour="a drawn graph of contract ops gives every node the reference engine's value and "
    "every leaf its gradient (and, on the reference engine, the finite-difference gradient)",
    sources=[
        *both_courses("Calling .backward() on a scalar", "Calling $backward() on a scalar"),
        maths("the chain rule summed over every path from a leaf to the output"),
    ],
    about="properties.graphs",
    requires={"autograd.backward", "nn.activations", "tensor.arrays", "tensor.ops"},
)
@hs.spec_settings
@given(data=st.data())
def test_graphs_match_reference(engine, data):
    dtype = data.draw(hs.dtypes(engine), label="dtype")
    leaves, nodes = data.draw(graphs(dtype), label="graph")
    weights = data.draw(weight_lists, label="output weights")[: len(nodes)]
    lines = node_expressions(leaves, nodes)
    out_code = " + ".join(f"n{k}.sum() * {w!r}" for k, w in enumerate(weights))
    reproduction = gc.reproduction_lines(
        {n: gc.operand_code(v, dtype, True) for n, v in zip(names_of(leaves), leaves, strict=True)},
        dtype,
        [
            *[f"n{k} = {code}" for k, code in enumerate(lines)],
            f"out = {out_code}",
            "out.backward()",
            *[f"print({n}.grad)" for n in names_of(leaves)],
        ],
    )

    leaf_tensors, values = evaluate(engine, leaves, nodes, dtype, True)
    total = None
    for node, w in zip(values, weights, strict=True):
        term = node.sum() * w
        total = term if total is None else total + term
    total.backward()

    reference = ReferenceEngine()
    ref_leaves, ref_values = evaluate(reference, leaves, nodes, "float64", True)
    ref_total = None
    for node, w in zip(ref_values, weights, strict=True):
        term = node.sum() * w
        ref_total = term if ref_total is None else ref_total + term
    ref_total.backward()

    value_mags, grad_mags = magnitudes(leaves, nodes, weights)
    size = max(np.size(m) for m in [*leaves, *value_mags])
    k = 8 * (len(nodes) + 1) + size
    u, tiny = gc.UNIT_ROUNDOFF[dtype], float(np.finfo(dtype).tiny)
    why = "first-order running-error bound k u M of the drawn graph (module docstring)"
    try:
        for name, got, want, m in zip(
            [f"n{i}" for i in range(len(nodes))], values, ref_values, value_mags, strict=True
        ):
            bound = k * u * np.asarray(m) + k * tiny
            expect_close_within(got, reference.to_numpy(want), bound, f"value of {name}", why)
        used = {i for _, inputs, _ in nodes for i in inputs if i < len(leaves)}
        for i, (name, leaf, ref_leaf, g) in enumerate(
            zip(names_of(leaves), leaf_tensors, ref_leaves, grad_mags, strict=True)
        ):
            if i not in used:  # no node reads this leaf: backward never reaches it
                expect_no_gradient(leaf, leaves[i].shape, f"{name}.grad of a leaf out of the graph")
                continue
            if leaf.grad is None:
                fail(f"{name}.grad is None", "hint:      backward() did not reach this leaf")
            bound = k * u * np.asarray(g) + k * tiny
            expect_close_within(
                leaf.grad, reference.to_numpy(ref_leaf.grad), bound, f"{name}.grad", why
            )
        if engine.name == "reference":
            check_against_differences(
                engine, leaves, nodes, weights, leaf_tensors, value_mags, grad_mags, dtype, k
            )
    except AssertionError as failure:
        failure.add_note("\n".join(reproduction))
        raise


NOTHING_FLOWED = Tolerance(
    rtol=0.0, atol=0.0, why="the output does not depend on the leaf: its derivative is exactly 0"
)


def expect_no_gradient(leaf, shape, what: str) -> None:
    """A leaf that backward did not reach holds no gradient: None (as PyTorch leaves it) or
    zeros of its shape (as an engine that gives every tracked leaf a gradient does); the
    documents speak of None only for intermediate tensors, so either form passes."""
    __tracebackhide__ = True
    if leaf.grad is not None:
        expect_close(leaf.grad, np.zeros(shape), what=what, tol=NOTHING_FLOWED)


def expect_close_within(got, expected, bound, what: str, why: str) -> None:
    """``got`` within ``bound`` (element-wise) of ``expected``, with the shape checked first."""
    __tracebackhide__ = True
    expect_close(got, expected, what=what, tol=Tolerance(rtol=0.0, atol=np.inf, why=why))
    actual = as_array(got).astype(np.float64)
    error = np.abs(actual - expected)
    if not (error <= bound).all():
        worst = np.unravel_index(np.argmax(error - bound), error.shape)
        fail(
            f"{what} disagrees with the reference engine",
            f"expected:  {show(expected)} (reference engine, float64)",
            f"got:       {show(actual)}",
            f"error:     {error[worst]:.3g} at index {tuple(map(int, worst))}, allowed "
            f"{np.broadcast_to(bound, error.shape)[worst]:.3g} ({why})",
        )


def check_against_differences(
    engine, leaves, nodes, weights, leaf_tensors, value_mags, grad_mags, dtype, k
):
    """The reference engine's own gradients against central differences of the graph."""
    fd_dtype = gc.difference_dtype(engine)
    u = gc.UNIT_ROUNDOFF[dtype]

    def forward(values):
        _, nodes_out = evaluate(engine, values, nodes, fd_dtype, False)
        return np.array([float(as_array(n).astype(np.float64).sum()) for n in nodes_out])

    for i, leaf in enumerate(leaf_tensors):
        if leaf.grad is None:
            continue  # checked against the reference engine already
        scale = np.array([float(np.sum(m)) for m in value_mags])
        diff = gc.central_differences(
            forward, leaves, i, np.array(weights), fd_dtype, 8, scale=scale
        )
        allowed = (
            k * u * (np.asarray(grad_mags[i]) + np.abs(diff.derivative))
            + k * float(np.finfo(dtype).tiny)
            + 2 * (diff.truncation + diff.rounding)
        )
        gc.expect_gradient_matches(leaf, f"x{i}", diff, allowed, dtype, [])
