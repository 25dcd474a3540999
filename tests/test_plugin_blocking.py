"""No cascades: when a basic spec fails on an engine, the specs relying on it are skipped as
"blocked by" it instead of failing with the same noise, in any order and under pytest-xdist.
Blocking hides no spec that passes: a dependant still runs where that is safe, and one that
passes is reported as passed; only those needing the capability of what failed are blocked."""

from __future__ import annotations

from fnmatch import fnmatch

import pytest

from conformance.spec import MATHEMATICS, Source, SpecInfo
from conformance.targets import BasicSpecs, Target
from tests.plugin_run import TINY, needs_randomly, needs_xdist, outcomes_in_report, spec_source
from tests.tiny_engine import BrokenTensorEngine, TensorsOnlyEngine, TinyEngine

FOUNDATION_AND_DEPENDANTS = (
    spec_source(
        "tensor_roundtrip",
        requires="set()",
        extra="basic=True,",
        body="expect_close(engine.tensor([1.5, -2.0]), [1.5, -2.0], what='tensor')",
    ),
    spec_source(
        "add_backward",
        extra="basic=True,",
        body="x = engine.tensor(1.0, requires_grad=True)\n(x + x).backward()\n"
        "expect_grad(x, 2.0, what='x.grad')",
    ),
    spec_source("square_grad"),
    spec_source(
        "cube_grad",
        body="x = engine.tensor(2.0, requires_grad=True)\n(x ** 3 + x).backward()\n"
        "expect_grad(x, 13.0, what='x.grad')",
    ),
    spec_source(
        "sum_values",
        requires='{"tensor.ops"}',
        body="expect_close(engine.tensor([1.0, 2.0]).sum(), 3.0, what='sum')",
    ),
)

BROKEN_TENSOR = "blocked by basic spec demo.tensor_roundtrip, which fails on tinybrokentensor-cpu: "
BROKEN_ADD = "blocked by basic spec demo.add_backward, which fails on tinybrokenadd-cpu: "

EXPECTED = {
    "BrokenTensorEngine": {
        "demo.tensor_roundtrip": "failed",
        "demo.add_backward": "failed",
        "demo.square_grad": "blocked",
        "demo.cube_grad": "blocked",
        "demo.sum_values": "blocked",
    },
    "BrokenAddBackwardEngine": {
        "demo.tensor_roundtrip": "passed",
        "demo.add_backward": "failed",
        "demo.square_grad": "passed",  # backward without an addition: it runs and passes
        "demo.cube_grad": "blocked",  # fails too, through the broken addition
        "demo.sum_values": "passed",  # needs no backward: still runs
    },
    "TinyEngine": {
        f"demo.{name}": "passed"
        for name in ("tensor_roundtrip", "add_backward", "square_grad", "cube_grad", "sum_values")
    },
}
REASONS = {
    "BrokenTensorEngine": BROKEN_TENSOR + "RuntimeError: tensor creation is broken",
    "BrokenAddBackwardEngine": BROKEN_ADD + "SpecFailure: *x.grad is not close*",
}


@pytest.mark.parametrize("engine", EXPECTED)
@pytest.mark.parametrize(
    "order",
    [
        [],
        pytest.param(["--randomly-seed=1"], marks=needs_randomly),
        pytest.param(["--randomly-seed=2"], marks=needs_randomly),
    ],
    ids=["in-order", "random-1", "random-2"],
)
def test_broken_basic_spec_blocks_its_dependants(run, engine, order):
    run.write(*FOUNDATION_AND_DEPENDANTS)
    result = run(
        f"--engine={TINY}:{engine}",
        "-rs",
        "--conformance-report=out.json",
        *order,
        randomly=bool(order),
    )
    outcomes = outcomes_in_report(run.pytester.path / "out.json")
    assert dict(sorted(outcomes.items())) == dict(sorted(EXPECTED[engine].items()))
    blocked = sum(outcome == "blocked" for outcome in EXPECTED[engine].values())
    reasons = skip_reasons(result)
    assert len(reasons) == blocked
    assert all(fnmatch(reason, REASONS[engine]) for reason in reasons), reasons


def skip_reasons(result) -> list[str]:
    """The reasons of the -rs summary: "SKIPPED [1] file.py:12: reason"."""
    return [line.split(": ", 1)[1] for line in result.outlines if line.startswith("SKIPPED [1] ")]


def test_dependant_is_blocked_when_the_basic_spec_is_not_selected(run):
    # The basic spec is not run as a test at all here: the dependant runs it first, itself.
    run.write(*FOUNDATION_AND_DEPENDANTS)
    result = run(f"--engine={TINY}:BrokenAddBackwardEngine", "-rs", "-k", "cube or sum")
    result.assert_outcomes(passed=1, skipped=1, deselected=3)
    assert [
        fnmatch(reason, REASONS["BrokenAddBackwardEngine"]) for reason in skip_reasons(result)
    ] == [True]


@needs_xdist
def test_blocking_under_xdist(run):
    run.write(*FOUNDATION_AND_DEPENDANTS)
    result = run(
        f"--engine={TINY}:BrokenTensorEngine,{TINY}:BrokenAddBackwardEngine",
        "-n",
        "2",
        "-rs",
        subprocess=True,
    )
    result.assert_outcomes(failed=3, passed=3, skipped=4)
    reasons = skip_reasons(result)
    assert sum(fnmatch(reason, REASONS["BrokenTensorEngine"]) for reason in reasons) == 3
    assert sum(fnmatch(reason, REASONS["BrokenAddBackwardEngine"]) for reason in reasons) == 1


def test_basic_specs_run_first(run):
    run.write(*FOUNDATION_AND_DEPENDANTS[2:], *FOUNDATION_AND_DEPENDANTS[:2])
    run(f"--engine={TINY}:TinyEngine", "--conformance-report=out.json")
    order = list(outcomes_in_report(run.pytester.path / "out.json"))
    assert order[:2] == ["demo.tensor_roundtrip", "demo.add_backward"]


# -- BasicSpecs, without pytest ----------------------------------------------------------------
def info(name: str, *requires: str, basic: bool = False) -> SpecInfo:
    return SpecInfo(
        id=f"demo.{name}",
        behaviour="an example behaviour sentence",
        sources=(Source(MATHEMATICS, "example"),),
        requires=frozenset(requires),
        basic=basic,
    )


class CountingBasic:
    """A basic spec body that creates a tensor, counting its runs."""

    def __init__(self):
        self.runs = 0

    def __call__(self, engine):
        self.runs += 1
        engine.tensor(1.0)


def test_basic_spec_runs_once_per_target():
    basics, body = BasicSpecs(), CountingBasic()
    basics.add(info("roundtrip", basic=True), body)
    target = Target(BrokenTensorEngine(), "cpu")
    reasons = {basics.failure(info(f"dependant{i}", "tensor.ops"), target) for i in range(5)}
    assert reasons == {
        BROKEN_TENSOR.replace("demo.tensor_roundtrip", "demo.roundtrip")
        + "RuntimeError: tensor creation is broken"
    }
    assert body.runs == 1
    assert basics.failure(info("other"), Target(TinyEngine(), "cpu")) is None
    assert body.runs == 2  # a second target is checked for itself


def test_basic_specs_are_never_blocked_themselves():
    basics = BasicSpecs()
    basics.add(info("roundtrip", basic=True), CountingBasic())
    assert basics.failure(info("arith", basic=True), Target(BrokenTensorEngine(), "cpu")) is None


def test_only_basic_specs_within_the_dependants_requirements_block():
    basics, body = BasicSpecs(), CountingBasic()
    basics.add(info("backward", "autograd.backward", basic=True), body)
    assert basics.failure(info("ops", "tensor.ops"), Target(BrokenTensorEngine(), "cpu")) is None
    assert body.runs == 0


def about_info(name: str, about: str, *requires: str, basic: bool = False) -> SpecInfo:
    return SpecInfo(
        id=f"demo.{name}",
        behaviour="an example behaviour sentence",
        sources=(Source(MATHEMATICS, "example"),),
        requires=frozenset(requires),
        basic=basic,
        about=about,
    )


@pytest.mark.parametrize(
    ("dependant", "blocked"),
    [
        # uses what the basic spec is about, though not its prerequisite autograd.backward
        (about_info("sum", "tensor.ops"), True),
        (about_info("grad_of_sum", "autograd.backward", "tensor.ops"), True),
        # uses the basic spec's prerequisite only: the basic spec's failure says nothing of it
        (about_info("square", "autograd.backward"), False),
        (about_info("scalar", "tensor.core"), False),
    ],
    ids=["uses-about", "uses-about-and-more", "uses-prerequisite-only", "uses-neither"],
)
def test_blocking_follows_what_the_dependant_uses(dependant, blocked):
    basics, body = BasicSpecs(), CountingBasic()
    basics.add(about_info("arrays", "tensor.ops", "autograd.backward", basic=True), body)
    reason = basics.failure(dependant, Target(BrokenTensorEngine(), "cpu"))
    assert (reason is not None) is blocked
    assert body.runs == int(blocked)


def test_basic_spec_the_target_cannot_run_blocks_nothing():
    basics, body = BasicSpecs(), CountingBasic()
    basics.add(info("backward", "autograd.backward", basic=True), body)
    dependant = info("square", "autograd.backward")
    assert basics.failure(dependant, Target(TensorsOnlyEngine(), "cpu")) is None
    assert body.runs == 0


def test_basic_spec_that_skips_blocks_nothing():
    def skipping(engine):
        pytest.skip("not applicable here")

    basics = BasicSpecs()
    basics.add(info("skips", basic=True), skipping)
    assert basics.failure(info("dependant"), Target(TinyEngine(), "cpu")) is None


class SoftmaxDeclaredEngine(TinyEngine):
    """Declares nn.softmax without implementing it (the Engine base's NotImplementedError)."""

    capabilities = TinyEngine.capabilities | {"nn.softmax"}


class SoftmaxBasic:
    """A basic spec about tensor.ops whose body needs engine.softmax (nn.softmax)."""

    def __call__(self, engine):
        engine.softmax(engine.tensor([1.0, 2.0]))


@pytest.mark.parametrize(
    ("dependant", "blocked"),
    [
        (about_info("ops", "tensor.ops"), False),
        (about_info("probabilities", "tensor.ops", "nn.softmax"), True),
    ],
    ids=["needs-the-about-only", "needs-the-failing-member"],
)
def test_blocking_follows_the_capability_of_the_failing_member(dependant, blocked):
    basics = BasicSpecs()
    basics.add(about_info("softmax_sum", "tensor.ops", "nn.softmax", basic=True), SoftmaxBasic())
    reason = basics.failure(dependant, Target(SoftmaxDeclaredEngine(), "cpu"))
    assert (reason is not None) is blocked, reason
