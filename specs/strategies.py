"""Hypothesis strategies and settings profiles for the property chapters (``test_properties_*``).

The strategies draw what a property spec needs: shapes (0-d, 1-d, 2-d, size-1 dimensions,
broadcasting pairs), dtypes among those the engine declares, values inside an op's domain and a
margin away from its kinks and poles, and cases of the contract's differentiable ops
(:data:`OPS`). Everything random comes from hypothesis, so failures shrink and replay.

Profiles, selected with hypothesis's own option ``--hypothesis-profile=NAME``:

* ``ci``: derandomised (the same examples on every run, no database), 10 examples per spec
  case: the outcome of a run depends on the engine only. CI and the suite's own tests use it.
  Its shapes come from a small fixed set (:data:`CI_SHAPES` and the like) that still holds a
  0-d, a 1-d, a 2-d shape, size-1 dimensions and broadcasting with missing and size-1
  dimensions: a compiling engine (tinygrad) builds a kernel per shape it meets, and with few
  shapes it reuses them across specs instead of compiling anew for every drawn shape.
* ``dev``, the default for local runs (no option, or hypothesis's own ``default``): 50 random
  examples per case, failures kept in the ``.hypothesis/`` database and replayed first.
* ``thorough``: 1000 random examples per case, for engine authors' nightly runs.

They are registered by ``specs/conftest.py`` through :func:`register_profiles`: hypothesis's
pytest plugin loads the named profile in ``pytest_configure``, which runs after the conftest
files of the folders named on the command line are imported and before any spec module is; the
suite's plugin stays generic (another catalogue chooses its own profiles), and registering is
the only thing that import does.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp

from conformance import spec_clock

# -- profiles ----------------------------------------------------------------------------------
CI_EXAMPLES = 10
DEV_EXAMPLES = 50
THOROUGH_EXAMPLES = 1000


def spec_settings(test):
    """The settings of every property spec: the active profile (``dev`` when none was chosen)
    with no deadline and the engine fixture allowed. Built when the spec module is imported,
    after hypothesis's plugin has loaded the profile: a settings object takes its unset values
    from the profile active when it is created."""
    try:
        settings.get_profile("dev")
    except InvalidArgument:  # a run that did not import specs/conftest.py
        register_profiles()
    active = settings.get_current_profile_name()
    parent = settings.get_profile("dev") if active == "default" else None
    stop_when_time_is_up(test)
    return settings(
        parent,
        deadline=None,  # engines warm up (first calls, caches): a deadline would be flaky
        # one engine instance serves every example of a spec case (the fixture is per test)
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )(test)


def stop_when_time_is_up(test) -> None:
    """Check the spec timeout before each example (conformance/spec_clock.py): hypothesis
    would take pytest-timeout's failure for a falsifying example and go on shrinking."""
    inner = test.hypothesis.inner_test

    @functools.wraps(inner)
    def timed(*args, **kwargs):
        spec_clock.check()
        return inner(*args, **kwargs)

    test.hypothesis.inner_test = timed


def register_profiles() -> None:
    """Register the ``ci``, ``dev`` and ``thorough`` profiles (idempotent; loads none)."""
    settings.register_profile(
        "ci",
        derandomize=True,
        database=None,
        max_examples=CI_EXAMPLES,
        deadline=None,
        print_blob=True,
    )
    settings.register_profile("dev", max_examples=DEV_EXAMPLES, deadline=None, print_blob=True)
    settings.register_profile(
        "thorough", max_examples=THOROUGH_EXAMPLES, deadline=None, print_blob=True
    )


# -- shapes, dtypes, values --------------------------------------------------------------------
MAX_SIDE = 3

# The ci profile's shapes: few, so that compiled kernels are reused (see the module docstring).
CI_SHAPES = ((), (3,), (1, 3), (2, 3), (3, 1))
CI_MATRIX_SHAPES = ((2, 3), (3, 1), (1, 3))
CI_SIDES = (1, 3)
CI_BROADCAST_PAIRS = (
    ((), (2, 3)),  # a 0-d operand
    ((3,), (2, 3)),  # a missing dimension
    ((3, 1), (1, 3)),  # size-1 dimensions on both sides
    ((2, 3), (2, 3)),  # equal shapes
    ((2, 1), (3,)),
)


FIXED_SHAPE_PROFILES = {"ci"}  # the profiles that draw shapes from the fixed sets


@st.composite
def under_ci(draw, fixed: tuple, drawn):
    """One of ``fixed`` under the ``ci`` profile, else a draw from ``drawn``: decided at each
    draw, since the profile is loaded after this module is imported."""
    if settings.get_current_profile_name() in FIXED_SHAPE_PROFILES:
        return draw(st.sampled_from(fixed))
    return draw(drawn)


shapes = under_ci(
    CI_SHAPES, hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=MAX_SIDE)
)
matrix_shapes = under_ci(
    CI_MATRIX_SHAPES, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=MAX_SIDE)
)
nonscalar_shapes = under_ci(
    tuple(s for s in CI_SHAPES if s),
    hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=MAX_SIDE),
)
sides = under_ci(CI_SIDES, st.integers(1, MAX_SIDE))
# A loss's operands: N >= 1 predictions, or N rows of them; never 0-d (the documents' losses are
# means over a batch, and an engine may refuse a loss of one 0-d prediction).
batch_shapes = under_ci(
    tuple(s for s in CI_SHAPES if s),
    hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=MAX_SIDE),
)


def broadcast_pairs(min_dims: int = 0):
    """Two shapes that broadcast together (size-1 and missing dimensions included)."""
    fixed = tuple(p for p in CI_BROADCAST_PAIRS if min(map(len, p)) >= min_dims)
    return under_ci(
        fixed,
        hnp.mutually_broadcastable_shapes(
            num_shapes=2, min_dims=min_dims, max_dims=2, min_side=1, max_side=MAX_SIDE
        ).map(lambda shapes: shapes.input_shapes),
    )


def dtypes(engine):
    """float32, and float64 where the engine declares it."""
    declared = "tensor.float64" in engine.capabilities
    return st.sampled_from(["float32", "float64"] if declared else ["float32"])


def _inward(bound: float, dtype: str, direction: int) -> float:
    """``bound`` rounded to ``dtype``, towards the inside of an interval (``direction`` +1 for a
    lower bound, -1 for an upper one)."""
    rounded = np.dtype(dtype).type(bound)
    if (float(rounded) - bound) * direction < 0:
        rounded = np.nextafter(rounded, np.dtype(dtype).type(direction * np.inf))
    return float(rounded)


@dataclass(frozen=True)
class Domain:
    """Values in [low, high] at least ``margin`` away from each point of ``avoid`` (kinks, poles
    and the points where an op is not differentiable)."""

    low: float = -3.0
    high: float = 3.0
    avoid: tuple[float, ...] = ()
    margin: float = 0.05

    def elements(self, dtype: str):
        width = 32 if dtype == "float32" else 64
        pieces, start = [], self.low
        for point in sorted(p for p in self.avoid if self.low < p < self.high):
            pieces.append((start, point - self.margin))
            start = point + self.margin
        pieces.append((start, self.high))
        inward = [(_inward(lo, dtype, 1), _inward(hi, dtype, -1)) for lo, hi in pieces]
        return st.one_of(
            [st.floats(lo, hi, width=width, allow_subnormal=False) for lo, hi in inward if lo < hi]
        ).map(float)

    def number(self):
        """A Python number operand: a multiple of 1/4, so that it is exact in every dtype."""
        return self.elements("float64").map(lambda v: round(v * 4) / 4).filter(self.contains)

    def contains(self, value: float) -> bool:
        inside = self.low <= value <= self.high
        return inside and all(abs(value - p) >= self.margin for p in self.avoid)


ANY = Domain()
POSITIVE = Domain(0.25, 3.0)
NONZERO = Domain(-3.0, 3.0, avoid=(0.0,), margin=0.5)
PROBABILITY = Domain(0.05, 0.95)
TARGET = Domain(0.05, 0.95)  # soft targets; the stencil stays inside [0, 1]


def arrays(dtype: str, shape, domain: Domain = ANY):
    return hnp.arrays(np.dtype(dtype), shape, elements=domain.elements(dtype))


# Output-gradient weights: multiples of 1/8, exact in float32, never 0 (0 would hide a term).
weight_values = st.integers(-16, 16).filter(bool).map(lambda k: k / 8)


def weights(shape):
    return hnp.arrays(np.float64, shape, elements=weight_values)


# -- the contract's differentiable ops ----------------------------------------------------------
@dataclass(frozen=True)
class Op:
    """One differentiable op of the contract as code over operands ``a`` and ``b``.

    ``operands`` is a string of kinds, one per operand: ``t`` a tensor that takes a gradient,
    ``d`` a tensor of data that takes none (a loss's targets: the documents differentiate a loss
    with respect to the predictions only), ``n`` a Python number, ``i`` an int64 class-index
    tensor. ``code`` is the expression a spec
    evaluates (and prints in a reproduction); ``{p}`` is replaced by a drawn parameter.
    ``roundings`` bounds the rounding errors per element of the op and its gradient (in units
    of the unit roundoff), for the tolerance; ``capability`` is what the op needs.
    """

    name: str
    code: str
    capability: str
    operands: str = "t"
    domains: tuple[Domain, ...] = (ANY,)
    layout: str = "any"  # how operand shapes are drawn: see case_shapes
    roundings: int = 4
    # per operand, where its gradient formula subtracts (1 - s, 1 - t**2, s - y, log(1 - p) -
    # log p), a bound on the terms per unit of output gradient: the difference keeps their
    # absolute accuracy, not a relative one
    cancelling: tuple[float, ...] = (0.0, 0.0)
    parameter: object = None  # a strategy of {p}, given the first operand's shape
    note: str = ""

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    def expression(self, p=None) -> str:
        return self.code.replace("{p}", "" if p is None else str(p))


def _reshape_targets(shape):
    size = math.prod(shape)
    options = [(size,), (1, size), (size, 1), tuple(reversed(shape)) or (1,)]
    return st.sampled_from([s for s in options if s != tuple(shape)] or [(size,)])


def _index(shape):
    """An index of integers and slices for ``shape`` (never empty), as code."""
    if not shape:
        return st.nothing()

    def one(side):
        integer = st.integers(-side, side - 1).map(str)
        start = st.integers(0, side - 1)
        piece = start.flatmap(lambda s: st.integers(s + 1, side).map(lambda e: f"{s}:{e}"))
        return st.one_of(integer, piece, st.just(":"))

    return st.tuples(*[one(side) for side in shape]).map(", ".join)


def _clamp_floor(_shape):
    return st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0])


def _int_power(_shape):
    return st.sampled_from([2, 3])


# Reductions use no dim argument: the contract's sum() and mean() reduce everything.
OPS: tuple[Op, ...] = (
    # tensor.core: operators, both operands, tensor-tensor, tensor-number and number-tensor
    Op("neg", "-a", "tensor.core"),
    Op("add", "a + b", "tensor.core", "tt", (ANY, ANY), "broadcast"),
    Op("add_number", "a + b", "tensor.core", "tn", (ANY, ANY)),
    Op("radd_number", "b + a", "tensor.core", "tn", (ANY, ANY)),
    Op("sub", "a - b", "tensor.core", "tt", (ANY, ANY), "broadcast"),
    Op("sub_number", "a - b", "tensor.core", "tn", (ANY, ANY)),
    Op("rsub_number", "b - a", "tensor.core", "tn", (ANY, ANY)),
    Op("mul", "a * b", "tensor.core", "tt", (ANY, ANY), "broadcast"),
    Op("mul_number", "a * b", "tensor.core", "tn", (ANY, ANY)),
    Op("rmul_number", "b * a", "tensor.core", "tn", (ANY, ANY)),
    Op("div", "a / b", "tensor.core", "tt", (ANY, NONZERO), "broadcast"),
    Op("div_number", "a / b", "tensor.core", "tn", (ANY, NONZERO)),
    Op("rdiv_number", "b / a", "tensor.core", "tn", (NONZERO, ANY)),
    Op("pow_tensor", "a ** b", "tensor.core", "tt", (POSITIVE, Domain(-2, 2)), "broadcast", 8),
    Op("pow_int", "a ** {p}", "tensor.core", parameter=_int_power),
    Op("pow_half", "a ** 0.5", "tensor.core", domains=(POSITIVE,)),
    Op("pow_minus_one", "a ** -1", "tensor.core", domains=(NONZERO,)),
    Op("rpow_number", "b ** a", "tensor.core", "tn", (Domain(-2, 2), POSITIVE), roundings=8),
    # tensor.ops
    # the contract's add(b) takes a tensor (a number is the operator's case, add_number)
    Op("add_method", "a.add(b)", "tensor.ops", "tt", (ANY, ANY), "broadcast"),
    Op("pow_method", "a.pow({p})", "tensor.ops", parameter=_int_power),
    Op("square", "a.square()", "tensor.ops"),
    Op("exp", "a.exp()", "tensor.ops"),
    Op("log", "a.log()", "tensor.ops", domains=(POSITIVE,)),
    Op("abs", "a.abs()", "tensor.ops", domains=(NONZERO,)),
    Op("sqrt", "a.sqrt()", "tensor.ops", domains=(POSITIVE,)),
    Op("sum", "a.sum()", "tensor.ops"),
    Op("mean", "a.mean()", "tensor.ops"),
    Op("reshape", "a.reshape{p}", "tensor.ops", parameter=_reshape_targets),
    Op("index", "a[{p}]", "tensor.ops", layout="nonscalar", parameter=_index),
    # tensor.matmul
    Op("matmul", "a @ b", "tensor.matmul", "tt", (ANY, ANY), "matmul"),
    Op("mm", "a.mm(b)", "tensor.matmul", "tt", (ANY, ANY), "mm"),
    Op("t", "a.t()", "tensor.matmul", layout="matrix"),
    # nn.activations
    Op("relu", "engine.relu(a)", "nn.activations", domains=(NONZERO,)),
    Op("tanh", "engine.tanh(a)", "nn.activations", cancelling=(1.0,)),
    Op(
        "sigmoid",
        "engine.sigmoid(a)",
        "nn.activations",
        domains=(Domain(-6, 6),),
        cancelling=(1.0,),
    ),
    Op(
        "clamp_min",
        "a.clamp(min={p})",
        "nn.activations",
        domains=(Domain(avoid=(-1.0, -0.5, 0.0, 0.5, 1.0), margin=0.05),),
        parameter=_clamp_floor,
    ),
    # losses: every argument that takes a gradient, on batches as the documents show them (a
    # mean over n predictions; cross-entropy over rows of logits): layouts "batch" and "logits"
    # 2 (a - b) / n: |a| + |b| <= 6, twice
    Op("mse_loss", "engine.mse_loss(a, b)", "loss.mse", "tt", (ANY, ANY), "batch", 4, (12.0, 12.0)),
    # softmax(a) - onehot: each term at most 1
    Op(
        "cross_entropy",
        "engine.cross_entropy(a, b)",
        "loss.cross_entropy",
        "ti",
        (ANY,),
        "logits",
        8,
        (2.0, 0.0),
    ),
    Op(
        "bce_loss",
        "engine.bce_loss(a, b)",
        "loss.bce",
        "td",
        (PROBABILITY, TARGET),
        "batch",
        8,
        # (p - y) / (p (1 - p)) <= 2 / (0.05 * 0.95)
        cancelling=(42.0, 0.0),
    ),
    Op(
        "bce_with_logits",
        "engine.bce_with_logits(a, b)",
        "loss.bce_with_logits",
        "td",
        (Domain(-6, 6), TARGET),
        "batch",
        8,
        cancelling=(2.0, 0.0),  # sigmoid(z) - y
    ),
)


def ops_needing(capability: str) -> list[Op]:
    return [op for op in OPS if op.capability == capability]


class Case:
    """A drawn op application: operands (arrays, numbers or class indices), the parameter and
    the dtype. A plain class, so that hypothesis prints it with its own short repr."""

    def __init__(self, op: Op, dtype: str):
        self.op, self.dtype = op, dtype
        self.operands: list = []
        self.parameter = None

    @property
    def expression(self) -> str:
        return self.op.expression(self.parameter)

    def __repr__(self) -> str:  # hypothesis prints it in the falsifying example
        named = ", ".join(f"{n}={v!r}" for n, v in zip("ab", self.operands, strict=False))
        return f"Case({self.expression!r}, {self.dtype}, {named})"


def case_shapes(draw, op: Op):
    """Operand shapes for ``op``'s layout."""
    if op.layout == "broadcast":
        return list(draw(broadcast_pairs()))
    if op.layout in ("matmul", "mm"):
        n, k, m = draw(sides), draw(sides), draw(sides)
        if op.layout == "mm":
            return [(n, k), (k, m)]
        left = draw(st.sampled_from([(n, k), (k,)]))
        right = draw(st.sampled_from([(k, m), (k,)]))
        return [left, right]
    if op.layout == "logits":  # (N, K) logits; the targets, (N,) class indices, follow them
        return [(draw(sides), draw(sides))]
    if op.layout == "batch":  # a batch of N >= 1 predictions (or rows of them) and its targets
        shape = draw(batch_shapes)
        return [shape, shape]
    if op.layout == "matrix":
        return [draw(matrix_shapes)]
    if op.layout == "nonscalar":
        return [draw(nonscalar_shapes)]
    return [draw(shapes)]


@st.composite
def cases(draw, op: Op, dtype: str):
    """One application of ``op`` in ``dtype``."""
    case = Case(op, dtype)
    shape_list = case_shapes(draw, op)
    for kind, position in zip(op.operands, range(len(op.operands)), strict=True):
        domain = op.domains[min(position, len(op.domains) - 1)]
        if kind in ("t", "d"):
            case.operands.append(draw(arrays(dtype, shape_list[position], domain)))
        elif kind == "n":
            case.operands.append(draw(domain.number()))
        else:  # one class index per row of the logits
            rows, classes = shape_list[0]
            indices = hnp.arrays(np.int64, (rows,), elements=st.integers(0, classes - 1))
            case.operands.append(draw(indices))
    if op.parameter is not None:
        case.parameter = draw(op.parameter(shape_list[0]))
    return case
