"""The matrix, diff and schema on reports that real runs write: the reference engine with a
planted bug (a mutant), the tiny engines in several configurations, and docs/matrix.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance import matrix, matrix_html
from conformance.__main__ import main
from tests import report_schema
from tests.mutants import MUTANTS
from tests.plugin_run import TINY

SPECS = Path(__file__).resolve().parent.parent / "specs"
QUIET = ["-p", "no:randomly", "-p", "no:cacheprovider", "-q"]


# A few chapters keep the runs short (no property specs, whose examples cost most).
CHAPTERS = [str(SPECS / f"test_{name}.py") for name in ("basics", "autograd_basics", "losses")]


def run_specs(pytester, report: Path, *args: str, chapters=CHAPTERS) -> dict:
    """Runs spec modules in-process (so a mutant's patches apply) and returns the report."""
    pytester.runpytest_inprocess(*chapters, f"--conformance-report={report}", *QUIET, *args)
    return json.loads(report.read_text())


def test_diff_reports_a_planted_regression_and_exits_1(pytester, capsys):
    selection = ["--engine=reference", "-k", "autograd.square_grad or autograd.relu_grad"]
    before, after = pytester.path / "before.json", pytester.path / "after.json"
    run_specs(pytester, before, *selection)
    (mutant,) = [m for m in MUTANTS if m.name == "pow_grad_off_by_one"]
    with mutant.applied():
        run_specs(pytester, after, *selection)
    assert main(["diff", str(before), str(after)]) == 1
    out = capsys.readouterr().out
    assert "newly failing (1)\n  autograd.square_grad on reference-cpu: passed -> failed" in out
    assert "REGRESSION: 1 newly failing" in out
    assert main(["diff", str(before), str(before)]) == 0
    assert main(["gate", str(after), "--pytest-status=1"]) == 1


CONFIGURATIONS = {
    "probe undeclared": [f"--engine={TINY}:TinyEngine", "--probe-undeclared"],
    "two engines, two devices": [
        f"--engine={TINY}:TinyEngine,{TINY}:TwoDeviceEngine",
        "--device=cpu,cuda",
    ],
    "blocked by a basic spec": [f"--engine={TINY}:BrokenAddBackwardEngine"],
    "selection": ["--engine=reference", "-k", "dropout_rate or loader"],
}
SELECTED = [str(SPECS / "test_regularisation.py"), str(SPECS / "test_data.py")]


@pytest.mark.parametrize("args", CONFIGURATIONS.values(), ids=CONFIGURATIONS.keys())
def test_reports_of_several_configurations_follow_the_schema_and_render(
    pytester, monkeypatch, args
):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent.parent))  # tests.tiny_engine
    chapters = SELECTED if "-k" in args else CHAPTERS
    data = run_specs(pytester, pytester.path / "report.json", *args, chapters=chapters)
    assert data["results"], "the run wrote no result"
    assert report_schema.problems(data) == []
    model = matrix.build([matrix.load(pytester.path / "report.json")])
    assert matrix.as_markdown(model).count("\n| `") == sum(map(len, model.chapters.values()))
    assert matrix_html.as_html(model).count('<section class="drill"') == sum(
        len(v) for v in data["verdicts"].values()
    )
