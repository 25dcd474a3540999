"""``scripts/flake_check.py`` finds a spec whose outcome depends on the run's seed, names the
seeds for each outcome, and passes a suite whose outcomes never change."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "flake_check.py"

SPECS = """
import random

from conformance import MATHEMATICS, Source, expect_true, spec


@spec(id="demo.coin", behaviour="a fair coin lands heads", sources=[Source(MATHEMATICS, "luck")])
def test_coin(engine):
    # pytest-randomly reseeds Python's generator with the run's seed before every test
    expect_true(random.random() < 0.5, what="heads")


@spec(id="demo.steady", behaviour="one plus one is two", sources=[Source(MATHEMATICS, "sums")])
def test_steady(engine):
    expect_true(1 + 1 == 2, what="1 + 1 == 2")
"""


@pytest.fixture(scope="module")
def flake_check():
    location = importlib.util.spec_from_file_location("flake_check", SCRIPT)
    module = importlib.util.module_from_spec(location)
    location.loader.exec_module(module)
    return module


def test_a_seed_dependent_spec_is_reported_with_its_seeds(flake_check, pytester, capsys):
    specs = pytester.makepyfile(test_demo=SPECS)
    code = flake_check.main(["--specs", str(specs), "--runs=2", "--jobs=2", "--seed=1"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "FLAKY demo.coin@reference-cpu: " in out
    assert "steady" not in out.split("\n\n", 1)[1]  # only the coin is flaky
    assert "expected heads" in out  # the failure message of one failing run
    assert f"repeat the whole run: pytest {specs} --engine=reference -p randomly" in out
    assert "1 flaky of 2 specs over 2 complete runs" in out


def test_steady_specs_pass(flake_check, pytester, capsys):
    specs = pytester.makepyfile(test_demo=SPECS)
    code = flake_check.main(
        ["--specs", str(specs), "--runs=2", "--jobs=2", "--seed=1", "--", "-k", "steady"]
    )
    assert code == 0, capsys.readouterr().out
    assert "0 flaky of 1 specs over 2 complete runs" in capsys.readouterr().out


def test_outcomes_compared_per_test(flake_check):
    run = flake_check.RunResult
    runs = [
        run(1, {"a": "passed", "b": "passed"}),
        run(2, {"a": "failed", "b": "passed"}),
        run(3, {"a": "passed"}),  # b missing: deselected or lost
        run(4, problem="exit code 4, no report"),
    ]
    assert flake_check.find_flakes(runs) == {
        "a": {"passed": [1, 3], "failed": [2]},
        "b": {"passed": [1, 2], "missing": [3]},
    }


def test_a_run_without_report_is_an_error(flake_check, capsys):
    code = flake_check.main(["--runs=2", "--seed=1", "--", "--no-such-option"])
    assert code == 2
    assert "2 runs gave no report (seeds 1, 2)" in capsys.readouterr().out
