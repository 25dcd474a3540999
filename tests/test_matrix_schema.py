"""The published JSON Schema of the report (docs/report-schema.json, format version 1).

Every report a test writes is validated by the hook in tests/conftest.py; these tests check the
schema itself, and that it rejects what a reader of the report must not receive.
"""

from __future__ import annotations

import copy

import pytest

from tests import matrix_reports as fixtures
from tests import report_schema


def test_schema_is_valid_draft_2020_12_and_accepts_the_fixture_reports():
    assert report_schema.validator() is not None
    for report in (fixtures.toy(), fixtures.conforming()):
        assert report_schema.problems(report) == []


def damage(report: dict, path: str, value):
    """A copy of ``report`` with the value at ``path`` ("results/0/outcome") replaced."""
    report = copy.deepcopy(report)
    *parents, last = path.split("/")
    place = report
    for part in parents:
        place = place[int(part)] if isinstance(place, list) else place[part]
    if value is KeyError:
        del place[last]
    else:
        place[int(last) if isinstance(place, list) else last] = value
    return report


@pytest.mark.parametrize(
    "path, value, words",
    [
        ("version", 2, "1 was expected"),
        ("suite/catalogue", "abc", "does not match"),
        ("suite/version", KeyError, "'version' is a required property"),
        ("results/0/outcome", "error", "is not one of"),
        ("results/0/case", KeyError, "'case' is a required property"),
        ("results/0/claimed", "yes", "is not of type 'boolean'"),
        ("verdicts/toy-cpu/autograd.backward/state", "would-pass", "is not one of"),
        ("verdicts/toy-cpu/autograd.backward/failed", -1, "less than the minimum"),
        ("environment/platform", KeyError, "'platform' is a required property"),
    ],
)
def test_schema_rejects(path, value, words):
    found = report_schema.problems(damage(fixtures.toy(), path, value))
    assert any(words in line for line in found), found


def test_folder_check_names_the_bad_report(tmp_path):
    fixtures.write(tmp_path / "good.json", fixtures.toy())
    assert report_schema.check_folder(tmp_path) == 1
    (tmp_path / "sub").mkdir()
    fixtures.write(tmp_path / "sub" / "bad.json", damage(fixtures.toy(), "results/0/outcome", "x"))
    with pytest.raises(AssertionError, match="bad.json breaks docs/report-schema.json"):
        report_schema.check_folder(tmp_path)
    (tmp_path / "sub" / "bad.json").unlink()  # the conftest hook checks this folder too
