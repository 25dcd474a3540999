"""The mutation-testing script's scopes name functions and chapters that exist, so a full run
(tox -e mutation, docs/mutation.md) mutates what it says; the run itself is not part of the
suite (about 50 minutes)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("mutation_score", ROOT / "scripts/mutation_score.py")
mutation_score = importlib.util.module_from_spec(spec)
sys.modules.setdefault("mutation_score", mutation_score)  # its dataclasses look themselves up
spec.loader.exec_module(mutation_score)


@pytest.mark.parametrize("scope", mutation_score.SCOPES, ids=lambda s: s.name)
def test_scope_names_what_exists(scope):
    module = ROOT / scope.module
    assert module.is_file()
    ranges = mutation_score.line_ranges(module, scope.functions) if scope.functions else []
    assert len(ranges) >= len(scope.functions)
    for chapter in scope.specs:
        assert (ROOT / chapter).is_file(), chapter
    if scope.gradients_only:
        assert mutation_score.gradient_ranges(module), "no gradient code found"


def test_unknown_function_is_refused():
    with pytest.raises(SystemExit, match="no function named"):
        mutation_score.line_ranges(ROOT / "reference_impl/optim.py", ("Adam.no_such_method",))


def test_only_arithmetic_swaps_are_kept():
    excluded = mutation_score.EXCLUDED_OPERATORS
    assert excluded.match("core/ReplaceBinaryOperator_Mul_BitXor")
    assert excluded.match("core/ReplaceBinaryOperator_Add_FloorDiv")
    assert not excluded.match("core/ReplaceBinaryOperator_Mul_Div")
    assert not excluded.match("core/NumberReplacer")


def test_gradient_ranges_cover_the_backward_lambdas():
    ops = ROOT / "reference_impl/ops.py"
    lines = ops.read_text().splitlines()
    ranges = mutation_score.gradient_ranges(ops)
    covered = {n for first, last in ranges for n in range(first, last + 1)}
    lambdas = [n for n, line in enumerate(lines, 1) if "lambda g" in line]
    assert lambdas and all(n in covered for n in lambdas)
