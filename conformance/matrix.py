"""The conformance matrix: JSON reports (format version 1) side by side.

Rows are capabilities grouped by chapter (the part of the name before the dot), columns are the
targets (engine and device) of every report given, and each cell is the verdict the run reached
for that capability with its counts. :func:`as_markdown` renders it for READMEs and CI job
summaries; :mod:`conformance.matrix_html` renders the same model as one self-contained page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from conformance.capabilities import CAPABILITIES
from conformance.catalogue import cell

FORMAT = "autograd-conformance-report"
VERSION = 1
OUTCOMES = ("passed", "failed", "blocked", "skipped", "xfailed", "absent", "stale")

# state -> (mark, words); the order is the legend's. Claimed states first, then the states of
# capabilities the engine does not claim (probed with --probe-undeclared, or not).
STATES: dict[str, tuple[str, str]] = {
    "conforms": ("✅", "conforms"),
    "fails": ("❌", "fails"),
    "known-failures": ("⚠️", "known failures"),
    "blocked": ("⛔", "blocked"),
    "stale": ("🧹", "stale baseline"),
    "skipped": ("⏭️", "skipped"),
    "would-pass": ("☑️", "not claimed — would pass"),
    "deviates": ("✴️", "not claimed — deviates"),
    "absent": ("∅", "absent"),
    "not-claimed": ("·", "not claimed"),
}
LEGEND = {
    "conforms": "every spec about the capability that ran passed",
    "fails": "a spec about the capability failed; N/M passed: N of the M specs that ran passed "
    "(in every claimed cell N/M counts the passes)",
    "known-failures": "the failures are listed in the baseline (strict expected failures)",
    "blocked": "a basic spec the specs rely on failed",
    "stale": "a spec the baseline lists as failing passes now: remove its entry",
    "skipped": "claimed, but the specs skipped (a device the engine lacks, for example)",
    "would-pass": "not declared; run with --probe-undeclared, every spec passed",
    "deviates": "not declared; run with --probe-undeclared, N specs failed",
    "absent": "not declared; the adapter does not implement what the specs call",
    "not-claimed": "not declared and not probed",
}


class ReportError(Exception):
    """A file that is not a conformance report this version of the suite can read."""


@dataclass
class Report:
    path: str
    data: dict

    @property
    def name(self) -> str:
        return Path(self.path).stem

    @property
    def suite(self) -> dict:
        return self.data["suite"]

    def engine(self, name: str) -> dict:
        return next((e for e in self.data["engines"] if e["name"] == name), {"name": name})

    @property
    def targets(self) -> list[dict]:
        return self.data["targets"]

    @property
    def results(self) -> list[dict]:
        return self.data["results"]

    @property
    def verdicts(self) -> dict[str, dict[str, dict]]:
        return self.data["verdicts"]


def load(path: str | Path) -> Report:
    """Read a report, refusing files of another format or version with a message saying so."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ReportError(f"cannot read report {str(path)!r}: {error.strerror}") from error
    except ValueError as error:
        raise ReportError(f"{path}: not JSON ({error})") from error
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ReportError(
            f'{path}: not a conformance report (no "format": {FORMAT!r}); write one with '
            "pytest --conformance-report=PATH"
        )
    if data.get("version") != VERSION:
        raise ReportError(
            f"{path}: report format version {data.get('version')!r}; this suite reads version "
            f"{VERSION}. Rerun the suite to write a current report."
        )
    missing = [k for k in ("suite", "engines", "targets", "results", "verdicts") if k not in data]
    if missing:
        raise ReportError(f"{path}: report lacks {', '.join(missing)}")
    return Report(str(path), data)


@dataclass(frozen=True)
class Column:
    """One target of one report."""

    report: Report = field(compare=False)
    index: int  # position among the reports given
    target: str
    engine: str
    version: str
    device: str

    @property
    def key(self) -> str:
        return f"{self.index}:{self.target}"

    def verdict(self, capability: str) -> dict | None:
        return self.report.verdicts.get(self.target, {}).get(capability)

    def results(self, capability: str) -> list[dict]:
        return [
            r
            for r in self.report.results
            if r["target"] == self.target and r.get("about") == capability
        ]


@dataclass
class Matrix:
    columns: list[Column]
    labels: dict[str, str]  # column key -> heading
    chapters: dict[str, list[str]]  # chapter -> capabilities, vocabulary order


def build(reports: list[Report]) -> Matrix:
    columns = []
    for index, report in enumerate(reports):
        for target in report.targets:
            engine = report.engine(target["engine"])
            columns.append(
                Column(
                    report,
                    index,
                    target["id"],
                    target["engine"],
                    str(engine.get("version", "")),
                    target["device"],
                )
            )
    labels = {c.key: f"{c.engine} {c.version} {c.device}".strip() for c in columns}
    # The same engine twice (before/after): the report's file name tells the columns apart.
    twice = {label for label in labels.values() if list(labels.values()).count(label) > 1}
    for column in columns:
        if labels[column.key] in twice:
            labels[column.key] += f" ({column.report.name})"
    names = {name for c in columns for name in c.report.verdicts.get(c.target, {})}
    ordered = [n for n in CAPABILITIES if n in names] + sorted(names - CAPABILITIES.keys())
    chapters: dict[str, list[str]] = {}
    for name in ordered:
        chapters.setdefault(chapter(name), []).append(name)
    return Matrix(columns, labels, chapters)


def chapter(capability: str) -> str:
    return capability.split(".", 1)[0]


def describe(verdict: dict | None) -> str:
    """A cell's words: the state and its counts, always passed of those that ran, e.g.
    ``fails 3/5 passed``, ``conforms 5/5 passed (3 skipped)``."""
    if verdict is None:
        return "—"
    state = verdict.get("state", "")
    counts = {o: int(verdict.get(o, 0)) for o in OUTCOMES}
    ran = sum(counts.values()) - counts["skipped"]
    words = STATES.get(state, ("", state))[1]
    passed = f"{counts['passed']}/{ran} passed"  # one meaning of N/M in every claimed cell
    main = {
        "conforms": passed,
        "fails": passed,
        "known-failures": passed,
        "blocked": passed,
        "stale": passed,
        "skipped": f"({counts['skipped']})",
        "would-pass": f"({counts['passed']})",
        "deviates": f"({counts['failed']})",
        "absent": f"({counts['absent']})",
    }.get(state, "")
    skipped = f" ({counts['skipped']} skipped)" if counts["skipped"] and ran else ""
    return f"{words} {main}{skipped}".strip()


def mark(verdict: dict | None) -> str:
    return "" if verdict is None else STATES.get(verdict.get("state", ""), ("?", ""))[0]


def summary(column: Column) -> dict[str, int]:
    """state -> how many capabilities of the column are in it."""
    found = dict.fromkeys(STATES, 0)
    for verdict in column.report.verdicts.get(column.target, {}).values():
        found[verdict.get("state", "")] = found.get(verdict.get("state", ""), 0) + 1
    return {state: n for state, n in found.items() if n}


def about_runs(matrix: Matrix) -> list[str]:
    """Markdown lines: what each column ran (engine, suite, catalogue, Python, platform)."""
    lines = [
        "| column | engine | device | suite | catalogue | Python | platform | report |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in matrix.columns:
        suite, env = c.report.suite, c.report.data.get("environment", {})
        lines.append(
            f"| {cell(matrix.labels[c.key])} | {cell(c.engine)} {cell(c.version)} "
            f"| {cell(c.device)} | {cell(str(suite.get('version', '')))} "
            f"| `{str(suite.get('catalogue', ''))[:12]}` | {cell(str(env.get('python', '')))} "
            f"| {cell(str(env.get('platform', '')))} | {cell(Path(c.report.path).name)} |"
        )
    return lines


def as_markdown(matrix: Matrix, *, title: str = "Conformance matrix", runs: bool = True) -> str:
    heads = [cell(matrix.labels[c.key]) for c in matrix.columns]
    lines = [f"## {title}", ""] if title else []
    lines += ["| capability | " + " | ".join(heads) + " |"]
    lines += ["|---|" + "---|" * len(heads)]
    lines += [
        "| *capabilities by state* | "
        + " | ".join(
            " ".join(f"{STATES.get(s, (s,))[0]} {n}" for s, n in summary(c).items())
            for c in matrix.columns
        )
        + " |"
    ]
    for name, capabilities in matrix.chapters.items():
        lines.append(f"| **{cell(name)}** |" + " |" * len(heads))
        for capability in capabilities:
            cells = []
            for c in matrix.columns:
                verdict = c.verdict(capability)
                cells.append(cell(f"{mark(verdict)} {describe(verdict)}".strip()))
            lines.append(f"| `{capability}` | " + " | ".join(cells) + " |")
    lines += ["", "Legend: " + "; ".join(f"{m} {w}: {LEGEND[s]}" for s, (m, w) in STATES.items())]
    lines[-1] += "."
    if runs:
        lines += ["", *about_runs(matrix)]
    return "\n".join(lines) + "\n"
