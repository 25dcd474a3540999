"""The JSON report's published schema (docs/report-schema.json), checked on report files.

``tests/conftest.py`` runs :func:`check_folder` after every test that has a tmp folder, so every
report a test writes is validated, whatever wrote it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "report-schema.json"
FORMAT = "autograd-conformance-report"
MARK = f'"{FORMAT}"'


@cache
def validator():
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def problems(data) -> list[str]:
    """What in ``data`` breaks the schema, one line each with its place."""
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in sorted(validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    ]


def reports_in(folder: Path) -> dict[Path, dict]:
    """The JSON files under ``folder`` that say they are conformance reports, parsed."""
    found = {}
    for path in folder.rglob("*.json"):
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if MARK in text else None
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("format") == FORMAT:
            found[path] = data
    return found


def check_folder(folder: Path) -> int:
    """Validate every report under ``folder``; raise AssertionError naming the first bad one."""
    reports = reports_in(folder)
    for path, data in reports.items():
        wrong = problems(data)
        assert not wrong, f"{path} breaks docs/report-schema.json:\n" + "\n".join(wrong[:10])
    return len(reports)
