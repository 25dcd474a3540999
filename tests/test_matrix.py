"""The conformance matrix: reports of format version 1 rendered as Markdown and as one HTML page."""

from __future__ import annotations

import json
import re

import pytest

from conformance import matrix, matrix_html
from conformance.__main__ import main
from tests import matrix_reports as fixtures


@pytest.fixture
def reports(tmp_path):
    return [
        fixtures.write(tmp_path / "reference.json", fixtures.conforming()),
        fixtures.write(tmp_path / "toy.json", fixtures.toy()),
    ]


def markdown_rows(text: str) -> dict[str, list[str]]:
    """capability -> its cells, from the matrix table's rows."""
    rows = {}
    for line in text.splitlines():
        found = re.match(r"^\| `([a-z0-9_.]+)` \| (.*) \|$", line)
        if found:
            rows[found[1]] = [c.strip() for c in re.split(r"(?<!\\)\|", found[2])]
    return rows


def test_markdown_has_a_cell_per_capability_and_target_with_state_and_counts(reports):
    text = matrix.as_markdown(matrix.build([matrix.load(p) for p in reports]))
    assert "| capability | reference 0.1.0 cpu | toy 1.0 cpu |" in text
    rows = markdown_rows(text)
    assert rows["autograd.backward"] == ["✅ conforms 2/2 passed", "❌ fails 1/2 passed"]
    assert rows["autograd.accumulate"] == ["✅ conforms 1/1 passed", "⚠️ known failures 0/1 passed"]
    assert rows["autograd.no_grad"] == ["—", "⛔ blocked 0/1 passed"]
    assert rows["tensor.matmul"][1] == "⏭️ skipped (1)"
    assert rows["nn.activations"][1] == "☑️ not claimed — would pass (1)"
    assert rows["optim.sgd"][1] == "✴️ not claimed — deviates (1)"
    assert rows["loss.mse"][1] == "∅ absent (1)"
    assert rows["data.random_split"][1] == "· not claimed"
    # chapters in the vocabulary's order, each a bold row
    chapters = re.findall(r"^\| \*\*([a-z]+)\*\* \|", text, re.MULTILINE)
    assert chapters == ["tensor", "autograd", "nn", "loss", "optim", "data"]


def test_markdown_names_what_each_column_ran(reports):
    text = matrix.as_markdown(matrix.build([matrix.load(p) for p in reports]))
    assert "| toy 1.0 cpu | toy 1.0 | cpu | 0.1.0 | `000000000000` | 3.11.7 | Linux-test" in text


def test_the_same_engine_twice_is_told_apart_by_report_name(tmp_path):
    before = fixtures.write(tmp_path / "before.json", fixtures.conforming())
    after = fixtures.write(tmp_path / "after.json", fixtures.conforming())
    model = matrix.build([matrix.load(before), matrix.load(after)])
    assert list(model.labels.values()) == [
        "reference 0.1.0 cpu (before)",
        "reference 0.1.0 cpu (after)",
    ]


@pytest.mark.parametrize(
    "content, words",
    [
        ("[1, 2]", "not a conformance report"),
        ('{"format": "autograd-conformance-report", "version": 2}', "format version 2"),
        ("{not json", "not JSON"),
    ],
)
def test_files_that_are_not_version_1_reports_are_refused(tmp_path, capsys, content, words):
    path = tmp_path / "r.bad"  # not .json: the schema hook of conftest.py would refuse it too
    path.write_text(content)
    assert main(["matrix", str(path)]) == 2
    assert words in capsys.readouterr().err


def test_command_writes_markdown_and_html(reports, tmp_path, capsys):
    md, page = tmp_path / "m.md", tmp_path / "m.html"
    assert main(["matrix", *map(str, reports), "--markdown", str(md), "--html", str(page)]) == 0
    assert "❌ fails 1/2 passed" in md.read_text()
    assert page.read_text().startswith("<!DOCTYPE html>")
    assert main(["matrix", *map(str, reports)]) == 0  # Markdown on stdout by default
    assert "❌ fails 1/2 passed" in capsys.readouterr().out


def test_html_lists_failures_before_the_table(reports):
    page = matrix_html.as_html(matrix.build([matrix.load(p) for p in reports]))
    failures = page.index('<section id="failures">')
    assert failures < page.index('<table id="matrix">')
    listed = re.findall(r'<li class="state-(\w[\w-]*)"><a href="#(d-\d+)"', page[failures:])
    failing = re.findall(
        r'<td class="cell state-(fails|blocked|stale|deviates)" [^>]*>'
        r'<a href="#(d-\d+)"',
        page,
    )
    assert listed == failing and failing, (listed, failing)


def test_html_is_self_contained_with_a_drill_down_per_cell(reports):
    model = matrix.build([matrix.load(p) for p in reports])
    page = matrix_html.as_html(model)
    # no network: nothing fetched from elsewhere
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page)
    assert "<link" not in page and "@import" not in page
    cells = re.findall(r'<td class="cell [^>]*><a href="#(d-\d+)" data-drill="\1">', page)
    sections = re.findall(r'<section class="drill" id="(d-\d+)" hidden', page)
    verdicts = sum(len(v) for r in reports for v in json.loads(r.read_text())["verdicts"].values())
    assert len(cells) == len(sections) == verdicts
    # the failing cell's section names the spec, its behaviour, source, message, reproduction
    failing = re.search(r'state-fails" [^>]*><a href="#(d-\d+)"', page)[1]
    section = re.search(rf'<section class="drill" id="{failing}".*?</section>', page, re.S)[0]
    assert "autograd.chain_grad" in section
    assert "the behaviour autograd.chain_grad checks" in section
    assert "003_6019b0b13895e324.txt, section Autograd" in section
    assert "got 12 &lt;|&gt;" in section  # escaped
    assert "# reproduce autograd.chain_grad" in section
    assert 'id="filter"' in page
