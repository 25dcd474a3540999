"""Per-capability verdicts: what a run found, as a terminal table and a JSON report."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

OUTCOMES = ("passed", "failed", "blocked", "skipped", "xfailed")


@dataclass
class Result:
    spec: str
    target: str
    outcome: str  # one of OUTCOMES
    capabilities: list[str]
    message: str = ""
    test: str = ""  # the pytest node id, which tells parametrized cases apart


def outcome_of(report, blocked: bool) -> str:
    if hasattr(report, "wasxfail"):
        # A strict XPASS arrives as a plain failure; one with wasxfail set is a non-strict XPASS.
        return "xfailed" if report.skipped else "passed"
    if report.failed:
        return "failed"
    if report.skipped:
        return "blocked" if blocked else "skipped"
    return "passed"


def verdicts(results: list[Result]) -> dict[str, dict[str, dict[str, int]]]:
    """target -> capability -> outcome counts."""
    table: dict = defaultdict(lambda: defaultdict(lambda: dict.fromkeys(OUTCOMES, 0)))
    for result in results:
        for capability in result.capabilities:
            table[result.target][capability][result.outcome] += 1
    return {target: dict(sorted(caps.items())) for target, caps in table.items()}


def verdict(counts: dict[str, int]) -> str:
    if counts["failed"]:
        return "FAILS"
    if counts["blocked"]:
        return "blocked"
    if counts["xfailed"]:  # a capability with known failures does not conform
        return "known failures"
    if counts["passed"] and not counts["skipped"]:
        return "conforms"
    if counts["passed"]:
        return "partly skipped"
    return "skipped"


def lines(results: list[Result], engines: dict[str, str]) -> list[str]:
    """The terminal table: one block per target, one row per capability."""
    out = []
    for target, capabilities in verdicts(results).items():
        out.append(f"{target} ({engines.get(target, '')})")
        out.append(
            f"  {'capability':<26}{'pass':>6}{'fail':>6}{'block':>7}{'skip':>6}{'xfail':>7}"
            "  verdict"
        )
        for name, counts in capabilities.items():
            out.append(
                f"  {name:<26}{counts['passed']:>6}{counts['failed']:>6}{counts['blocked']:>7}"
                f"{counts['skipped']:>6}{counts['xfailed']:>7}  {verdict(counts)}"
            )
    return out


def write_json(path: str, results: list[Result], engines: list[dict]) -> None:
    data = {
        "engines": engines,
        "verdicts": {
            target: {name: {**counts, "verdict": verdict(counts)} for name, counts in caps.items()}
            for target, caps in verdicts(results).items()
        },
        "specs": [asdict(result) for result in results],
    }
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
