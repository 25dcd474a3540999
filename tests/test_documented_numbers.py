"""The numbers the documents print agree with the values the specs expect.

Specs compare against exact values (derived in float64); the documents print rounded ones. These
tests tie the two together, so an expectation cannot drift from its source unnoticed.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from conformance import catalogue, tolerance
from conformance.specs import test_losses, test_optimisation

SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason="source documents not beside the repo")


def printed(document: str) -> str:
    return next(SEEDS.glob(f"{document}*")).read_text(encoding="utf-8")


@needs_seeds
@pytest.mark.parametrize("document", ["000", "003"])
def test_sgd_trace_matches_the_printed_steps(document):
    text = printed(document)
    weights, losses = test_optimisation.SGD_W, test_optimisation.SGD_LOSS
    for step, (w, loss) in enumerate(zip(weights, losses, strict=True), start=1):
        assert f"step {step}: w={w:.4f} loss={loss:.4f}" in text


@needs_seeds
def test_cross_entropy_matches_both_printouts():
    assert "tensor(0.2413)" in printed("003")
    assert f"{test_losses.CE_EXAMPLE:.4f}" == "0.2413"
    # The R course prints a float32 result with 17 digits: 0.24131132662296295, one float32
    # step away from the exact value; the float32 table must accept it, the float64 one not.
    r_value = 0.24131132662296295
    assert str(r_value) in printed("000")
    float32, float64 = (tolerance.for_dtype(d) for d in ("float32", "float64"))
    error = abs(r_value - test_losses.CE_EXAMPLE)
    assert error <= float32.allowed(test_losses.CE_EXAMPLE)
    assert error > float64.allowed(test_losses.CE_EXAMPLE)


@needs_seeds
@pytest.mark.parametrize(
    ("document", "shown", "value"),
    [
        ("003", "tensor(0.4200)", 1 - math.tanh(1.0) ** 2),
        ("003", "tensor(12.)", 12.0),
        ("000", "6\n", 2 * 3.0),
        ("001", "4.6500", 0.25 * 6 * 3.1),
        ("001", "14.4150", 0.25 * 6 * 3.1 * 3.1),
        ("004", "-3.4000", 0.2 * 4 + 0.2 * 4 - 5),
        ("004", "0.8000", 0.4 * 2),
    ],
)
def test_printed_values_match_the_mathematics(document, shown, value):
    assert shown in printed(document)
    number = float(shown.removeprefix("tensor(").rstrip(")\n"))
    assert abs(number - value) < 5e-5


def script(name: str):
    """A module of scripts/, imported by path (the folder is not a package)."""
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "scripts" / f"{name}.py"
    loaded = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    return module


def test_every_stated_probability_holds_by_a_second_method():
    """Each statistical spec's stated false-failure probability is at least what an exact tail
    (or a Chernoff bound with the exact moment generating function) gives."""
    checks = script("check_probabilities")
    rows = checks.rows()
    statistical = {s.id for s in catalogue.collect() if s.false_failure_probability is not None}
    assert {spec_id for spec_id, *_ in rows} == statistical, "a statistical spec lacks a check"
    assert [
        (spec_id, stated, second) for spec_id, stated, second, _ in rows if second > stated
    ] == []


def test_linear_init_seed_script_runs(capsys):
    assert script("linear_init_seeds").main(["--engine=reference", "--seeds=20"]) == 0
    assert "20 of 20 consecutive seeds" in capsys.readouterr().out
