"""Run the catalogue in-process against an engine and read back the per-spec outcomes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SPECS = Path(__file__).resolve().parent.parent / "specs"


# Checked without importing torch: pytester forgets modules imported during a test, and a second
# import of torch's extension modules in one process can crash it.
requires_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="the torch extra is not installed"
)


def run_catalogue(pytester, engine: str, *args: str) -> list[dict]:
    """Outcomes of every spec (the JSON report's "results" list) for ``engine``.

    Runs in-process (fast, and patches applied by a mutant take effect), except for PyTorch:
    pytester forgets modules imported during an in-process run, and importing torch's extension
    modules a second time in one process can crash it.
    """
    report = pytester.path / "report.json"
    run = pytester.runpytest_subprocess if "torch" in engine else pytester.runpytest_inprocess
    run(
        str(SPECS),
        f"--engine={engine}",
        f"--conformance-report={report}",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        "--hypothesis-profile=ci",  # the property specs' examples: fixed and few
        "-q",
        *args,
    )
    return json.loads(report.read_text())["results"]


def failing(results: list[dict]) -> list[dict]:
    return [r for r in results if r["outcome"] == "failed"]


def matches(result: dict, wanted: str) -> bool:
    """Whether ``wanted`` ("spec.id", "spec.id[case]" or "spec.id[target-case]") names this
    result."""
    spec, _, params = wanted.partition("[")
    params = params.removesuffix("]")
    cases = {result["case"], f"{result['target']}-{result['case']}".rstrip("-")}
    return result["spec"] == spec and (not params or params in cases)
