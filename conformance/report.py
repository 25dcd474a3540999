"""What a run found: one result record per spec, case and target, per-capability verdicts, the
terminal table and the JSON report (format version 1, see docs/report-schema.json).

:func:`result_of` is the one place a result record is built; the plugin and the crash handler of
:mod:`conformance.isolation` both use it, and nobody reads a pytest node id to learn a spec's id,
case or target.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

FORMAT = "autograd-conformance-report"
VERSION = 1
DISTRIBUTION = "autograd-conformance"
# "stale": a spec its baseline lists as failing passed (pytest's strict XPASS): neither a
# failure nor a pass, but an entry to remove, and a state of its own wherever results show.
OUTCOMES = ("passed", "failed", "blocked", "skipped", "xfailed", "absent", "stale")
STRICT_XPASS = "[XPASS(strict)]"  # what pytest puts at the start of a strict XPASS's message


@dataclass
class Result:
    """One spec, in one parametrized case, on one target."""

    spec: str
    case: str  # the parametrized case id without the target ("" for an unparametrized spec)
    target: str
    about: str  # the capability a failure counts against; "" counts against all (old specs)
    capabilities: list[str]
    claimed: bool  # whether the engine declares every capability the spec needs
    outcome: str  # one of OUTCOMES
    message: str = ""  # the whole message, never cut
    duration: float = 0.0
    behaviour: str = ""
    sources: list[str] = field(default_factory=list)
    reproduction: str = ""  # a standalone script, or ""
    # the capability of the contract member that failed, when not ``about`` (conformance/charging)
    charged: str = ""

    @property
    def counted_against(self) -> list[str]:
        if self.charged:
            return [self.charged]
        return [self.about] if self.about else self.capabilities

    @property
    def name(self) -> str:
        """``spec.id`` or ``spec.id[case]``: the spec and case, as people write it."""
        return f"{self.spec}[{self.case}]" if self.case else self.spec

    def to_json(self) -> dict:
        data = asdict(self)
        # A spec written before ``about`` existed that requires several capabilities counts
        # against all of them; its record names the first (the format needs a capability).
        data["about"] = self.about or self.capabilities[0]
        # A failure charged to the capability of the member that failed counts against that
        # one: the report's "about" is the capability a result counts against.
        if data.pop("charged"):
            data["about"] = self.charged
        return data


def result_of(
    info,
    *,
    case: str,
    target: str,
    claimed: bool,
    outcome: str,
    message: str = "",
    duration: float = 0.0,
    reproduction: str = "",
    charged: str = "",
) -> Result:
    """The result record of spec ``info`` (a :class:`conformance.spec.SpecInfo`)."""
    return Result(
        spec=info.id,
        case=case,
        target=target,
        about=info.subject,
        capabilities=sorted(info.capabilities),
        claimed=claimed,
        outcome=outcome,
        message=message,
        duration=duration,
        behaviour=info.behaviour,
        sources=[str(source) for source in info.sources],
        reproduction=reproduction,
        charged=charged,
    )


def outcome_of(report, blocked: bool) -> str:
    if hasattr(report, "wasxfail"):
        # A strict XPASS arrives as a plain failure; one with wasxfail set is a non-strict XPASS.
        return "xfailed" if report.skipped else "passed"
    if report.failed and str(getattr(report, "longrepr", "")).startswith(STRICT_XPASS):
        return "stale"
    if report.failed:
        return "failed"
    if report.skipped:
        return "blocked" if blocked else "skipped"
    return "passed"


def verdicts(
    results: list[Result], declared: dict[str, frozenset[str]] | None = None
) -> dict[str, dict[str, dict[str, int]]]:
    """target -> capability -> outcome counts; a result counts against what it is about.

    ``declared`` maps a target id to its engine's capabilities: a probed spec that the engine
    does not claim (``--probe-undeclared``; it needs a capability the engine does not declare)
    counts as skipped in the verdict of a capability the engine does declare, as it would without
    the probe, so that a claimed verdict rests on claimed specs alone.
    """
    declared = declared or {}
    table: dict = defaultdict(lambda: defaultdict(lambda: dict.fromkeys(OUTCOMES, 0)))
    for result in results:
        for capability in result.counted_against:
            outcome = result.outcome
            if not result.claimed and capability in declared.get(result.target, ()):
                outcome = "skipped"
            table[result.target][capability][outcome] += 1
    return {target: dict(sorted(caps.items())) for target, caps in table.items()}


# The verdict of one capability on one target: for a capability the engine declares (claims),
# then for one it does not.
CLAIMED_STATES = ("conforms", "fails", "known-failures", "blocked", "skipped", "stale")
UNCLAIMED_STATES = ("not-claimed", "would-pass", "deviates", "absent")


def verdict(counts: dict[str, int], claimed: bool = True) -> str:
    """The state of a capability from its outcome counts (see CLAIMED_STATES, UNCLAIMED_STATES).

    Unclaimed: ``deviates`` when a probed spec failed, else ``absent`` when the adapter lacks a
    method a spec needs, else ``would-pass`` when probed specs passed, else ``not-claimed``
    (not probed). Claimed: ``fails``, ``blocked``, ``known-failures`` (baseline entries) in that
    order (``stale`` before ``known-failures``: a baseline entry of a spec that passes now), else
    ``conforms`` when a spec passed, else ``skipped``.
    """
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
    if counts.get("stale", 0):
        return "stale"
    if counts["xfailed"]:  # a capability with known failures does not conform
        return "known-failures"
    if counts["passed"]:
        return "conforms"
    return "skipped"


def shown(state: str, counts: dict[str, int]) -> str:
    """A state as the terminal table words it."""
    if state == "fails":
        return "FAILS"
    if state == "stale":
        return "stale baseline"
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
    table = verdicts(results, declared)
    names = [name for capabilities in table.values() for name in capabilities]
    width = max([len("not claimed"), *map(len, names)]) + 2
    absent = any(r.outcome == "absent" for r in results)
    stale = any(r.outcome == "stale" for r in results)
    columns = COLUMNS + ((("absent", "absent"),) if absent else ())
    columns += (("stale", "stale"),) if stale else ()
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


def suite_version() -> str:
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "0+unknown"


def catalogue_digest(specs) -> str:
    """sha256 over the collected specs' metadata (``SpecInfo``), sorted by id: two reports
    with the same digest ran the same specs with the same expectations stated."""
    rows = [
        {
            "id": info.id,
            "about": info.subject,
            "behaviour": info.behaviour,
            "sources": [str(source) for source in info.sources],
            "requires": sorted(info.requires),
            "tolerance": str(info.tolerance) if info.tolerance else None,
            "basic": info.basic,
        }
        for info in sorted(specs, key=lambda info: info.id)
    ]
    text = json.dumps(rows, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document(
    results: list[Result],
    *,
    engines: list[dict],
    targets: list[dict],
    declared: dict[str, frozenset[str]],
    specs,
    options: dict,
    catalogue: str | None = None,
) -> dict:
    """The JSON report, format version 1 (docs/report-schema.json). ``catalogue``: the digest
    when it was computed elsewhere (by a pytest-xdist worker), else it is computed from
    ``specs``."""
    import pytest

    return {
        "format": FORMAT,
        "version": VERSION,
        "suite": {"version": suite_version(), "catalogue": catalogue or catalogue_digest(specs)},
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "pytest": pytest.__version__,
        },
        "options": options,
        "engines": engines,
        "targets": targets,
        "results": [result.to_json() for result in results],
        "verdicts": {
            target: {
                name: {
                    "state": verdict(counts, name in declared.get(target, ())),
                    "claimed": name in declared.get(target, ()),
                    **counts,
                }
                for name, counts in caps.items()
            }
            for target, caps in verdicts(results, declared).items()
        },
    }


def write_json(path: str, data: dict) -> None:
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
