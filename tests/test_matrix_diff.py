"""``conformance diff`` (two reports of one engine) and ``conformance gate`` (a CI exit status)."""

from __future__ import annotations

import pytest

from conformance import gate
from conformance.__main__ import main
from tests import matrix_reports as fixtures
from tests.matrix_reports import result


def engine_report(*results: dict, catalogue: str = fixtures.CATALOGUE, engine: str = "toy"):
    return fixtures.report(engine, list(results), catalogue=catalogue)


BEFORE = [
    ("autograd.square_grad", "autograd.backward", "passed", {}),
    ("autograd.chain_grad", "autograd.backward", "failed", {"message": "got 12, expected 16"}),
    ("autograd.accumulate_twice", "autograd.accumulate", "passed", {"duration": 0.02}),
    ("optim.sgd_step", "optim.sgd", "passed", {"duration": 0.30}),
    ("nn.relu_grad", "nn.activations", "passed", {"claimed": False}),
]


def changed(**changes) -> list[dict]:
    """The BEFORE results with some replaced: spec id -> (outcome, extra fields)."""
    out = []
    for spec, about, outcome, extra in BEFORE:
        if spec in changes:
            outcome, extra = changes[spec][0], {**extra, **changes[spec][1]}
        out.append(result(spec, about, outcome, **extra))
    return out


@pytest.fixture
def before(tmp_path):
    return fixtures.write(tmp_path / "before.json", engine_report(*changed()))


def write_after(tmp_path, **changes):
    return fixtures.write(tmp_path / "after.json", engine_report(*changed(**changes)))


def test_an_unchanged_engine_passes(tmp_path, before, capsys):
    after = write_after(tmp_path)
    assert main(["diff", str(before), str(after)]) == 0
    assert "no regression" in capsys.readouterr().out


def test_newly_failing_newly_passing_messages_and_timings(tmp_path, before, capsys):
    after = write_after(
        tmp_path,
        **{
            "autograd.square_grad": ("failed", {"message": "got -6, expected 6"}),
            "autograd.chain_grad": ("failed", {"message": "got 14, expected 16"}),
            "autograd.accumulate_twice": ("passed", {"duration": 0.04}),  # 2x but 20 ms: noise
            "optim.sgd_step": ("passed", {"duration": 0.95}),  # 3x and 650 ms: slower
            "nn.relu_grad": ("failed", {"claimed": False}),  # a probe: never a regression
        },
    )
    assert main(["diff", str(before), str(after)]) == 1
    assert "slower" not in capsys.readouterr().out  # timings only when asked for
    assert main(["diff", str(before), str(after), "--timings"]) == 1
    out = capsys.readouterr().out
    assert "newly failing (1)\n  autograd.square_grad on toy-cpu: passed -> failed" in out
    assert "newly failing, not claimed (never a regression) (1)" in out
    assert "before: got 12, expected 16\n    after:  got 14, expected 16" in out
    assert "slower (1)\n  optim.sgd_step on toy-cpu: 0.300 s -> 0.950 s" in out
    assert "accumulate_twice" not in out
    assert "REGRESSION: 1 newly failing" in out

    fixed = fixtures.write(tmp_path / "fixed.json", engine_report(*changed()))
    assert main(["diff", str(after), str(fixed)]) == 0
    assert "newly passing (2)\n  autograd.square_grad on toy-cpu: failed -> passed" in (
        capsys.readouterr().out
    )


def test_diff_and_gate_agree_that_a_pass_turned_known_failure_is_a_regression(
    tmp_path, before, capsys
):
    after = write_after(
        tmp_path,
        **{"autograd.chain_grad": ("xfailed", {}), "autograd.square_grad": ("xfailed", {})},
    )
    assert main(["diff", str(before), str(after)]) == gate.REGRESSION
    out = capsys.readouterr().out
    assert "newly known failures" in out and "square_grad on toy-cpu: passed -> xfailed" in out
    assert "REGRESSION: 1 newly known failures" in out
    assert main(["gate", str(after), f"--previous={before}"]) == gate.REGRESSION
    # a probe (not claimed) that passed and now deviates is neither's regression
    probe = write_after(tmp_path, **{"nn.relu_grad": ("xfailed", {"claimed": False})})
    assert main(["diff", str(before), str(probe)]) == gate.PASS


def test_reports_of_another_catalogue_or_engine_are_refused_unless_forced(tmp_path, before, capsys):
    other = fixtures.write(
        tmp_path / "other.json", engine_report(*changed(), catalogue="f" * 64, engine="other")
    )
    assert main(["diff", str(before), str(other)]) == 2
    err = capsys.readouterr().err
    assert "not comparable" in err and "catalogue differs" in err and "engines differ" in err
    assert main(["diff", str(before), str(other), "--force"]) == 1  # everything "new" fails


BLOCKED_BY_CHAIN = "blocked by basic spec autograd.chain_grad, which fails on toy-cpu: ..."
BLOCKED_BY_OTHER = "blocked by basic spec basics.arithmetic, which fails on toy-cpu: ..."


@pytest.mark.parametrize(
    "change, pytest_status, expected",
    [
        ({}, 1, gate.REGRESSION),  # chain_grad fails and is in no baseline
        ({"autograd.chain_grad": ("xfailed", {})}, 0, gate.PASS),
        (
            {"autograd.chain_grad": ("failed", {"message": "[XPASS(strict)] known failure"})},
            1,
            gate.STALE,
        ),
        ({"autograd.chain_grad": ("xfailed", {})}, 4, gate.USAGE),
        ({"autograd.chain_grad": ("xfailed", {})}, 5, gate.USAGE),
        ({"autograd.chain_grad": ("xfailed", {}), "nn.relu_grad": ("failed", {})}, 0, gate.PASS),
        (  # blocked by a basic spec the baseline lists: the known failure is what to fix
            {
                "autograd.chain_grad": ("xfailed", {}),
                "optim.sgd_step": ("blocked", {"message": BLOCKED_BY_CHAIN}),
            },
            0,
            gate.PASS,
        ),
        (  # blocked by a basic spec failing outside the baseline (here not even selected)
            {
                "autograd.chain_grad": ("xfailed", {}),
                "optim.sgd_step": ("blocked", {"message": BLOCKED_BY_OTHER}),
            },
            0,
            gate.REGRESSION,
        ),
        (  # every claimed result skipped, as for a device the runner lacks
            {
                spec: ("skipped", {"message": "engine 'toy' has no device 'cuda'"})
                for spec, _, _, extra in BEFORE
                if extra.get("claimed", True)
            },
            0,
            gate.EMPTY,
        ),
        (  # an adapter that claims nothing: only probes ran
            {spec: ("passed", {"claimed": False}) for spec, _, _, _ in BEFORE},
            0,
            gate.EMPTY,
        ),
    ],
    ids=[
        "failure",
        "known-failure",
        "stale",
        "usage-error",
        "no-spec-ran",
        "unclaimed-failure",
        "blocked-by-known-failure",
        "blocked-by-other-failure",
        "all-skipped-for-the-device",
        "nothing-claimed",
    ],
)
def test_gate_exit_status(tmp_path, change, pytest_status, expected):
    report = write_after(tmp_path, **change)
    assert main(["gate", str(report), f"--pytest-status={pytest_status}"]) == expected


def test_an_empty_gate_says_why_in_one_line(tmp_path, capsys):
    skipped = {"message": "engine 'toy' has no device 'cuda'"}
    report = write_after(tmp_path, **{spec: ("skipped", skipped) for spec, *_ in BEFORE[:4]})
    assert main(["gate", str(report), "--pytest-status=0"]) == gate.EMPTY
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("nothing ran: all 4 claimed results skipped") and "cuda" in line


def test_gate_with_a_previous_report_catches_a_regression_moved_into_the_baseline(
    tmp_path, before, capsys
):
    # square_grad passed in the previous report; now the baseline lists it (xfailed)
    report = write_after(
        tmp_path,
        **{"autograd.chain_grad": ("xfailed", {}), "autograd.square_grad": ("xfailed", {})},
    )
    assert main(["gate", str(report)]) == gate.PASS
    assert main(["gate", str(report), f"--previous={before}"]) == gate.REGRESSION
    assert "autograd.square_grad on toy-cpu: passed -> xfailed" in capsys.readouterr().out
    other = fixtures.write(tmp_path / "other.json", engine_report(*changed(), engine="other"))
    assert main(["gate", str(report), f"--previous={other}"]) == gate.USAGE
