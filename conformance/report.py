"""Per-capability verdicts: what a run found, as a terminal table and a JSON report."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

OUTCOMES = ("passed", "failed", "blocked", "skipped", "xfailed", "absent")


@dataclass
class Result:
    spec: str
    target: str
    outcome: str  # one of OUTCOMES
    capabilities: list[str]
    message: str = ""
    test: str = ""  # the pytest node id, which tells parametrized cases apart
    about: str = ""  # the capability a failure counts against; "" counts against all

    @property
    def counted_against(self) -> list[str]:
        return [self.about] if self.about else self.capabilities


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
    """target -> capability -> outcome counts; a result counts against what it is about."""
    table: dict = defaultdict(lambda: defaultdict(lambda: dict.fromkeys(OUTCOMES, 0)))
    for result in results:
        for capability in result.counted_against:
            table[result.target][capability][result.outcome] += 1
    return {target: dict(sorted(caps.items())) for target, caps in table.items()}


# The verdict of one capability on one target: for a capability the engine declares (claims),
# then for one it does not.
CLAIMED_STATES = ("conforms", "fails", "known-failures", "blocked", "skipped")
UNCLAIMED_STATES = ("not-claimed", "would-pass", "deviates", "absent")


def verdict(counts: dict[str, int], claimed: bool = True) -> str:
    """The state of a capability from its outcome counts (see CLAIMED_STATES, UNCLAIMED_STATES)."""
    if not claimed:
        if counts["failed"]:
            return "deviates"
        if counts.get("absent", 0):
            return "absent"
        if counts["passed"]:
            return "would-pass"
        return "not-claimed"
    if counts["failed"]:
        return "fails"
    if counts["blocked"]:
        return "blocked"
    if counts["xfailed"]:  # a capability with known failures does not conform
        return "known-failures"
    if counts["passed"]:
        return "conforms"
    return "skipped"


def shown(state: str, counts: dict[str, int]) -> str:
    """A state as the terminal table words it."""
    if state == "fails":
        return "FAILS"
    if state == "deviates":
        n = counts["failed"]
        return f"deviates ({n} spec{'s' if n != 1 else ''})"
    return state.replace("-", " ")


COLUMNS: tuple[tuple[str, str], ...] = (
    ("pass", "passed"),
    ("fail", "failed"),
    ("block", "blocked"),
    ("skip", "skipped"),
)
COLUMNS += (("xfail", "xfailed"),)


def lines(
    results: list[Result], engines: dict[str, str], declared: dict[str, frozenset[str]]
) -> list[str]:
    """The terminal table: one block per target, its declared capabilities first, then those it
    does not claim; ``declared`` maps a target id to its engine's capabilities."""
    out = []
    table = verdicts(results)
    names = [name for capabilities in table.values() for name in capabilities]
    width = max([len("not claimed"), *map(len, names)]) + 2
    absent = any(r.outcome == "absent" for r in results)
    columns = COLUMNS + ((("absent", "absent"),) if absent else ())
    heading = "".join(f"{title:>{len(title) + 2}}" for title, _ in columns)
    for target, capabilities in table.items():
        out.append(f"{target} ({engines.get(target, '')})")
        claims = declared.get(target, frozenset())
        for claimed, title in ((True, "capability"), (False, "not claimed")):
            rows = {name: c for name, c in capabilities.items() if (name in claims) == claimed}
            if not rows:
                continue
            out.append(f"  {title:<{width}}{heading}  verdict")
            for name, counts in rows.items():
                cells = "".join(f"{counts[key]:>{len(title) + 2}}" for title, key in columns)
                state = shown(verdict(counts, claimed), counts)
                out.append(f"  {name:<{width}}{cells}  {state}")
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
