"""Property specs of the stateful rules: gradient accumulation over drawn sequences of passes,
optimiser updates over several parameters and steps, dataset splits and loaders of any size,
dropout inside containers, Linear initialisation.

Each spec runs a drawn scenario against a small NumPy model of the documented rule and compares
after every step, so a failure names the first step where the engine leaves the rule.
"""

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from conformance import Tolerance, expect_close, expect_equal, expect_no_grad, expect_true, spec
from conformance.expect import as_array
from conformance.specs import strategies as hs
from conformance.specs.sources import PY_COURSE, both_courses, cite, maths, pytorch_docs

ACCUMULATES = both_courses(
    "adds newly computed gradients to .grad", "adds newly computed gradients to $grad"
)
RETAINED = both_courses(
    ".retain_grad() on it before the backward pass", "$retain_grad() on it before the backward pass"
)
SGD_EQUATIONS = pytorch_docs("torch.optim.SGD", "momentum: b_t = momentum b_(t-1) + g_t")
ADAM_EQUATIONS = pytorch_docs("torch.optim.Adam", "the algorithm: moments, bias correction, step")
LOADER = pytorch_docs("torch.utils.data.DataLoader", "batch_size, shuffle, drop_last")
SPLIT = pytorch_docs("torch.utils.data.random_split", "lengths as counts or fractions")
DROPOUT_EVAL = both_courses("dropout is disabled entirely")
LINEAR_INIT = pytorch_docs("torch.nn.Linear", "weight and bias from U(-1/sqrt(in), 1/sqrt(in))")
U32 = 2.0**-24

# -- accumulation -------------------------------------------------------------------------------
# Values that are multiples of 1/4 with |v| <= 2 and coefficients in {-1, 0.5, 1, 2}: every
# gradient and every sum of a few of them is exact in float32, so the model compares exactly.
quarters = st.integers(-8, 8).map(lambda k: k / 4)
coefficients = st.sampled_from([-1.0, 0.5, 1.0, 2.0])
# A round: a forward pass (coefficient c, whether h = x * y retains its gradient), then 1 to 3
# backward passes (all but the last with retain_graph=True, the last drawn), then optionally a
# zeroing of one leaf's gradient and a pass under no_grad.
rounds = st.lists(
    st.tuples(
        coefficients,
        st.booleans(),
        st.integers(1, 3),
        st.booleans(),
        st.sampled_from([None, "x", "y"]),
        st.booleans(),
    ),
    min_size=1,
    max_size=4,
)


def plan_of(rounds_drawn) -> list[tuple]:
    steps = []
    for c, retains, backwards, last_retains, zero, no_grad in rounds_drawn:
        steps.append(("forward", c, retains))
        steps += [("backward", True)] * (backwards - 1) + [("backward", last_retains)]
        steps += [("zero", zero)] if zero else []
        steps += [("no_grad",)] if no_grad else []
    return steps


def unbroadcast(grad: np.ndarray, shape) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched (the documented rule for
    a broadcast operand's gradient)."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, side in enumerate(shape):
        if side == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


@spec(
    id="properties.accumulation_sequences",
    behaviour="over any sequence of passes, each backward adds its gradient to the leaves' .grad "
    "until zeroed, a retained non-leaf keeps its gradient, and no_grad passes add nothing",
    note="A result computed under no_grad is not asked whether it requires grad (that flag is "
    "the convention autograd.no_grad_flag); where it says it does, its backward must add nothing "
    "to the leaves. A retained non-leaf must hold the sum of the passes where the engine "
    "declares autograd.accumulate_retained, the sum or the last pass's otherwise.",
    sources=[*ACCUMULATES, *RETAINED, *both_courses("must be zeroed explicitly")],
    about="properties.accumulation",
    requires={
        "autograd.backward",
        "autograd.accumulate",
        "autograd.retain_graph",
        "autograd.retain_grad",
        "autograd.no_grad",
        "tensor.arrays",
        "tensor.ops",
        "tensor.inplace",
    },
    tolerance=Tolerance(
        rtol=0.0,
        atol=0.0,
        why="multiples of 1/4 times coefficients in {-1, 1/2, 1, 2}, summed a dozen times: "
        "every value is exact in float32",
    ),
)
@hs.spec_settings
@given(shapes=hs.broadcast_pairs(), data=st.data(), drawn=rounds)
def test_accumulation_sequences(engine, shapes, data, drawn):
    plan = plan_of(drawn)
    x_values = data.draw(hs.hnp.arrays(np.float32, shapes[0], elements=quarters), label="x")
    y_values = data.draw(hs.hnp.arrays(np.float32, shapes[1], elements=quarters), label="y")
    x = engine.tensor(x_values.tolist(), requires_grad=True)
    y = engine.tensor(y_values.tolist(), requires_grad=True)
    model = {"x": None, "y": None}  # the documented .grad of each leaf
    graph = None  # the live graph: (h, out, c, retains h, model of h.grad)
    done = ["x = engine.tensor(...); y = engine.tensor(...)  # requires_grad=True"]

    def check(where: str) -> None:
        for name, leaf in (("x", x), ("y", y)):
            if model[name] is None:
                expect_no_grad(leaf, what=f"{name}.grad after: {where}")
            else:
                expect_close(leaf.grad, model[name], what=f"{name}.grad after: {where}")
        if graph is not None and graph["retains"] and graph["passes"]:
            # The PyTorch course states accumulation for computations sharing a *leaf*; the R
            # course adds without exception, which autograd.accumulate_retained encodes. An
            # engine declaring it keeps the sum of the passes in a retained non-leaf; one that
            # overwrites (Paddle) declines it and keeps the last pass's (the same dh each time).
            got = as_array(graph["h"].grad)
            dh, passes = graph["dh"], graph["passes"]
            allowed = {"the sum of the passes": dh * passes}
            if "autograd.accumulate_retained" not in engine.capabilities:
                allowed["one pass"] = dh
            expect_true(
                any(got.shape == v.shape and np.array_equal(got, v) for v in allowed.values()),
                what=f"h.grad after: {where} to be {' or '.join(allowed)}: "
                + " or ".join(repr(v.tolist()) for v in allowed.values()),
                got=got,
            )

    for step in plan:
        if step[0] == "forward":
            _, c, retains = step
            h = x * y
            if retains:
                h.retain_grad()
            out = (h * c + x).sum()
            graph = {"h": h, "out": out, "c": c, "retains": retains, "passes": 0, "dh": None}
            done.append(
                f"h = x * y{'; h.retain_grad()' if retains else ''}; out = (h * {c} + x).sum()"
            )
        elif step[0] == "backward" and graph is not None and graph["out"] is not None:
            retain = step[1]
            graph["out"].backward(retain_graph=retain)
            c, shape = graph["c"], np.broadcast_shapes(x_values.shape, y_values.shape)
            dh = np.full(shape, c)
            add = {
                "x": unbroadcast(dh * y_values + 1.0, x_values.shape),
                "y": unbroadcast(dh * x_values, y_values.shape),
            }
            for name in model:
                model[name] = add[name] if model[name] is None else model[name] + add[name]
            graph["passes"], graph["dh"] = graph["passes"] + 1, dh
            if not retain:  # freed: no further backward through this graph
                graph["out"] = None
            done.append(f"out.backward(retain_graph={retain})")
        elif step[0] == "zero":
            leaf = {"x": x, "y": y}[step[1]]
            if model[step[1]] is not None:
                with engine.no_grad():  # where the documents' loops zero gradients
                    leaf.grad.zero_()
                model[step[1]] = np.zeros_like(model[step[1]])
                done.append(f"with engine.no_grad(): {step[1]}.grad.zero_()")
        elif step[0] == "no_grad":
            with engine.no_grad():
                z = (x * y).sum()
            done.append("with engine.no_grad(): z = (x * y).sum()")
            # Not recorded: nothing flows from z into x or y. Whether z reports requires_grad is
            # not documented (autograd.no_grad_flag); where it does, its backward must reach no
            # leaf, which check() below confirms against the unchanged model.
            if z.requires_grad:
                z.backward()
                done.append("z.backward()")
        check("; ".join(done[-3:]))


# -- optimisers ---------------------------------------------------------------------------------
param_shapes = st.lists(hs.shapes, min_size=2, max_size=3)


def quadratic_loss(params, linear, curvature):
    """sum_p sum(a_p * p + b * p * p): gradient a_p + 2 b p, away from zero by construction."""
    total = None
    for p, a in zip(params, linear, strict=True):
        term = (p * a + p * p * curvature).sum()
        total = term if total is None else total + term
    return total


@st.composite
def optimiser_problems(draw):
    shapes = draw(param_shapes)
    values = [draw(hs.arrays("float32", s, hs.Domain(-2.0, 2.0))) for s in shapes]
    # |a| >= 0.5 and b <= 0.05 keep every gradient at least 0.5 - 0.1 * 2.5 = 0.25 from zero
    linear = [draw(hs.arrays("float32", s, hs.Domain(-2.0, 2.0, (0.0,), 0.5))) for s in shapes]
    curvature = draw(st.sampled_from([0.0, 0.015625, 0.03125, 0.046875]))
    return values, linear, curvature


def run_steps(engine, make_optimiser, problem, steps_count):
    values, linear, curvature = problem
    params = [engine.tensor(v.tolist(), requires_grad=True) for v in values]
    linear_t = [engine.tensor(a.tolist()) for a in linear]
    optimiser = make_optimiser(params)
    history = []
    for _ in range(steps_count):
        optimiser.zero_grad()
        quadratic_loss(params, linear_t, curvature).backward()
        optimiser.step()
        history.append([as_array(p).astype(np.float64) for p in params])
    return history


def expect_trajectory(history, expected, allowed, what):
    for step, (got, want) in enumerate(zip(history, expected, strict=True), start=1):
        for k, (g, w) in enumerate(zip(got, want, strict=True)):
            expect_close(
                g,
                w,
                what=f"parameter {k} after step {step} of {what}",
                tol=Tolerance(rtol=0.0, atol=allowed, why=ROUNDING_WHY),
            )


ROUNDING_WHY = (
    "float32 updates: at most 8 roundings of the largest quantity per step (parameter, lr * "
    "update), carried through the later steps with the update's sensitivity to the parameter "
    "(amplification computed from the drawn values)"
)


@spec(
    id="properties.sgd_momentum_weight_decay",
    behaviour="SGD with momentum and weight decay together follows g = grad + wd p, "
    "b = mu b + g (b = g first), p -= lr b for several parameters of different shapes",
    sources=[SGD_EQUATIONS, *both_courses("the update rule is:")],
    about="properties.optimisers",
    requires={
        "autograd.backward",
        "optim.sgd",
        "optim.momentum",
        "optim.weight_decay",
        "tensor.arrays",
        "tensor.ops",
    },
)
@hs.spec_settings
@given(
    problem=optimiser_problems(),
    lr=st.sampled_from([0.01, 0.05, 0.1, 0.3]),
    momentum=st.sampled_from([0.0, 0.5, 0.9]),
    weight_decay=st.sampled_from([0.0, 0.01, 0.1]),
    steps_count=st.integers(1, 6),
)
def test_sgd_momentum_weight_decay(engine, problem, lr, momentum, weight_decay, steps_count):
    def make(params):
        return engine.sgd(params, lr=lr, momentum=momentum, weight_decay=weight_decay)

    history = run_steps(engine, make, problem, steps_count)
    values, linear, b = problem
    p = [v.astype(np.float64) for v in values]
    buffers = [None] * len(p)
    expected, largest, gain = [], 0.0, 1.0
    for _ in range(steps_count):
        for k in range(len(p)):
            g = linear[k] + 2 * b * p[k] + weight_decay * p[k]
            buffers[k] = g if buffers[k] is None else momentum * buffers[k] + g
            p[k] = p[k] - lr * buffers[k]
            largest = max(largest, float(np.max(np.abs(p[k]))), lr * float(np.max(np.abs(g))))
        gain *= 1 + lr * (2 * b + weight_decay) + momentum
        expected.append([q.copy() for q in p])
    allowed = 8 * U32 * steps_count * largest * gain
    expect_trajectory(
        history,
        expected,
        allowed,
        f"SGD(lr={lr}, momentum={momentum}, weight_decay={weight_decay})",
    )


@spec(
    id="properties.adam_steps",
    behaviour="Adam keeps moments and a step count per parameter and follows its bias-corrected "
    "update for several parameters of different shapes over several steps",
    sources=[ADAM_EQUATIONS, *both_courses("to scale the update for each parameter individually")],
    about="properties.optimisers",
    requires={
        "autograd.backward",
        "optim.adam",
        "optim.adam_equations",
        "tensor.arrays",
        "tensor.ops",
    },
)
@hs.spec_settings
@given(
    problem=optimiser_problems(),
    lr=st.sampled_from([0.001, 0.01, 0.05]),
    betas=st.sampled_from([(0.9, 0.999), (0.8, 0.99), (0.5, 0.9)]),
    steps_count=st.integers(1, 6),
)
def test_adam_steps(engine, problem, lr, betas, steps_count):
    eps = 1e-8

    def make(params):
        return engine.adam(params, lr=lr, betas=betas, eps=eps)

    history = run_steps(engine, make, problem, steps_count)
    values, linear, b = problem
    beta1, beta2 = betas
    p = [v.astype(np.float64) for v in values]
    m = [np.zeros_like(q) for q in p]
    v = [np.zeros_like(q) for q in p]
    expected, largest, gain = [], lr, 1.0
    for t in range(1, steps_count + 1):
        smallest = math.inf
        for k in range(len(p)):
            g = linear[k] + 2 * b * p[k]
            smallest = min(smallest, float(np.min(np.abs(g))))
            m[k] = beta1 * m[k] + (1 - beta1) * g
            v[k] = beta2 * v[k] + (1 - beta2) * g * g
            m_hat, v_hat = m[k] / (1 - beta1**t), v[k] / (1 - beta2**t)
            p[k] = p[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
            largest = max(largest, float(np.max(np.abs(p[k]))))
        # the update m_hat / sqrt(v_hat) changes by at most 1/|g| per unit change of g, and g by
        # 2b per unit change of p
        gain *= 1 + lr * 2 * b / smallest / (1 - beta1)
        expected.append([q.copy() for q in p])
    allowed = 8 * U32 * steps_count * largest * gain
    expect_trajectory(history, expected, allowed, f"Adam(lr={lr}, betas={betas})")


# -- data ---------------------------------------------------------------------------------------
@st.composite
def split_plans(draw):
    """(n, counts, sizes): a dataset size and counts summing to it, as the documents split."""
    n = draw(st.integers(0, 30))
    parts = draw(st.integers(1, 4))
    cuts = sorted(draw(st.lists(st.integers(0, n), min_size=parts - 1, max_size=parts - 1)))
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    return n, sizes, sizes


@st.composite
def fraction_plans(draw):
    """(n, fractions, sizes): fractions summing to 1 and the sizes PyTorch's rule gives them
    (floor(n f) each, then one more item to the first parts in turn until all n are used)."""
    n = draw(st.integers(1, 30))
    parts = draw(st.integers(1, 4))
    tenths = draw(
        st.lists(st.integers(1, 10), min_size=parts, max_size=parts).filter(lambda w: sum(w) == 10)
        | st.just([10])
    )
    fractions = [w / 10 for w in tenths]
    sizes = [math.floor(n * f) for f in fractions]
    for i in range(n - sum(sizes)):
        sizes[i % len(sizes)] += 1
    return n, fractions, sizes


def item_ids(engine, dataset_item) -> int:
    return round(float(as_array(dataset_item[0])))


def check_partition(engine, plan, seed):
    """random_split of items 0..n-1 by ``lengths``: parts of ``sizes`` holding every item once."""
    n, lengths, sizes = plan
    ids = engine.tensor([float(i) for i in range(n)]) if n else engine.zeros(0)
    dataset = engine.tensor_dataset(ids)
    parts = engine.random_split(dataset, lengths, seed=seed)
    what = f"random_split of {n} items into {lengths} (seed {seed})"
    expect_equal([len(part) for part in parts], sizes, what=f"part sizes of {what}")
    held = []
    for part in parts:
        indices = list(engine.subset_indices(part))
        expect_equal(
            [item_ids(engine, part[k]) for k in range(len(part))],
            indices,
            what=f"items of a part against its indices, {what}",
        )
        held += indices
    expect_equal(sorted(held), list(range(n)), what=f"the items the parts hold together, {what}")


@spec(
    id="properties.random_split_partitions",
    behaviour="random_split of any dataset into counts summing to its size gives parts of those "
    "sizes that together hold every item exactly once",
    sources=[
        cite(PY_COURSE, "random_split(dataset, [n_train"),
        cite(PY_COURSE, "n_train, n_val, n_test = 700, 150, 150"),
    ],
    about="properties.data",
    requires={"data.random_split", "data.dataset", "tensor.arrays"},
    note="The documents split by counts (700, 150, 150); fractions, and PyTorch's rule for the "
    "items they leave over, are properties.random_split_fractions, under the convention "
    "data.random_split_fractions.",
)
@hs.spec_settings
@given(plan=split_plans(), seed=st.integers(0, 2**31 - 1))
def test_random_split_partitions(engine, plan, seed):
    check_partition(engine, plan, seed)


@spec(
    id="properties.random_split_fractions",
    behaviour="random_split into fractions summing to 1 gives floor(n f) items to each part and "
    "the remainder one item at a time to the first parts, every item exactly once",
    sources=[SPLIT, maths("sizes_i = floor(n f_i), plus 1 for i < n - sum floor(n f)")],
    about="data.random_split_fractions",
    requires={"properties.data", "data.random_split", "data.dataset", "tensor.arrays"},
    note="A PyTorch convention: no document passes fractions (the courses split 1000 items into "
    "counts), so an engine that takes counts only declines it.",
)
@hs.spec_settings
@given(plan=fraction_plans(), seed=st.integers(0, 2**31 - 1))
def test_random_split_fractions(engine, plan, seed):
    check_partition(engine, plan, seed)


@spec(
    id="properties.loader_partitions_every_epoch",
    behaviour="a DataLoader of any size and batch size yields full batches and one last partial "
    "batch unless drop_last, covering every item once per epoch, in order unless shuffled",
    sources=[LOADER, cite(PY_COURSE, "is one epoch")],
    about="properties.data",
    requires={"data.loader", "data.dataset", "tensor.arrays"},
)
@hs.spec_settings
@given(
    n=st.integers(1, 25),
    batch_size=st.integers(1, 8),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
)
def test_loader_partitions_every_epoch(engine, n, batch_size, shuffle, drop_last):
    dataset = engine.tensor_dataset(engine.tensor([float(i) for i in range(n)]))
    loader = engine.data_loader(
        dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last
    )
    full, rest = divmod(n, batch_size)
    sizes = [batch_size] * full + ([rest] if rest and not drop_last else [])
    what = f"DataLoader(n={n}, batch_size={batch_size}, shuffle={shuffle}, drop_last={drop_last})"
    for epoch in (1, 2):
        batches = [as_array(batch[0]).ravel().round().astype(int).tolist() for batch in loader]
        expect_equal(
            [len(b) for b in batches], sizes, what=f"batch sizes in epoch {epoch} of {what}"
        )
        seen = [i for b in batches for i in b]
        expect_equal(len(set(seen)), len(seen), what=f"items repeated in epoch {epoch} of {what}")
        if not shuffle:
            expect_equal(seen, list(range(len(seen))), what=f"order in epoch {epoch} of {what}")
        elif not drop_last:
            expect_equal(sorted(seen), list(range(n)), what=f"items of epoch {epoch} of {what}")


# -- layers -------------------------------------------------------------------------------------
probabilities = st.sampled_from([0.2, 0.25, 0.5])
# a container: a list of dropout probabilities and nested containers, at least one dropout
containers = st.recursive(
    st.lists(probabilities, min_size=1, max_size=2),
    lambda inner: st.lists(st.one_of(probabilities, inner), min_size=1, max_size=3),
    max_leaves=5,
)
WIDTH = 200  # elements: a train-mode pass drops none with probability at most 0.8**200 < 1e-19


def build(engine, plan):
    layers = [engine.dropout(p) if isinstance(p, float) else build(engine, p) for p in plan]
    return engine.sequential(*layers)


def dropouts_in(plan) -> list[float]:
    return [p for item in plan for p in ([item] if isinstance(item, float) else dropouts_in(item))]


@spec(
    id="properties.dropout_modes_through_containers",
    behaviour="eval() on a container makes every dropout inside nested containers the identity, "
    "and train() makes each drop again with survivors scaled by 1/(1-p) per layer",
    sources=[*DROPOUT_EVAL, *both_courses("1/(1-p)")],
    about="properties.layers",
    requires={"nn.dropout", "nn.linear", "tensor.arrays"},
    false_failure_probability=1e-12,
)
@hs.spec_settings
@given(plan=containers, modes=st.lists(st.sampled_from(["eval", "train"]), min_size=1, max_size=4))
def test_dropout_modes_through_containers(engine, plan, modes):
    model = build(engine, plan)
    values = np.linspace(1.0, 2.0, WIDTH, dtype=np.float32)
    x = engine.tensor(values.tolist())
    scale = float(np.prod([1 / (1 - p) for p in dropouts_in(plan)]))
    for k, mode in enumerate(modes):
        getattr(model, mode)()
        out = as_array(model(x))
        what = f"{plan} after {'(), '.join(modes[: k + 1])}()"
        if mode == "eval":
            expect_close(out, values, what=f"output in eval mode of {what}")
        else:
            kept = out != 0
            expect_true(
                not kept.all(),
                what=f"some of {WIDTH} units dropped in train mode of {what}",
                got="none dropped",
            )
            expect_close(out[kept], values[kept] * scale, what=f"survivors in train mode of {what}")


@spec(
    id="properties.linear_init_bounds",
    behaviour="a new Linear layer of any size has weight and bias drawn within "
    "+-1/sqrt(in_features), neither left at zero",
    sources=[LINEAR_INIT, maths("U(-k, k) with k = 1/sqrt(in_features)")],
    about="properties.layers",
    requires={"nn.linear", "nn.linear_init", "tensor.arrays"},
    false_failure_probability=1e-9,
)
@hs.spec_settings
@given(in_features=st.integers(1, 30), out_features=st.integers(1, 30))
def test_linear_init_bounds(engine, in_features, out_features):
    layer = engine.linear(in_features, out_features)
    bound = 1 / math.sqrt(in_features) * (1 + U32)  # the bound itself rounded to float32
    for name in ("weight", "bias"):
        values = as_array(getattr(layer, name)).astype(np.float64)
        what = f"Linear({in_features}, {out_features}).{name}"
        expect_true(
            float(np.abs(values).max()) <= bound,
            what=f"{what} within +-{bound:.6g}",
            got=float(np.abs(values).max()),
        )
        expect_true(bool(np.any(values != 0)), what=f"{what} not all zero", got=values.tolist())
        if values.size >= 40:  # all within half the bound: probability 2**-40 < 1e-12
            expect_true(
                float(np.abs(values).max()) > bound / 2,
                what=f"{what} spread over +-bound, not a narrower range",
                got=float(np.abs(values).max()),
            )
