"""The CI gate: one exit status from a run's report, pytest's exit status and an older report.

Exit statuses (also those of ``conformance diff`` and ``conformance/ci/conformance-gate.sh``):

- ``0`` pass: every claimed spec passed or is a known failure of the baseline;
- ``1`` regression: a claimed spec failed (or was blocked) that the baseline does not list, or,
  (a spec blocked by a basic spec that is itself a known failure of the baseline is not one),
  with a previous report, a spec that passed there is now a known failure (a baseline entry
  added to hide a regression);
- ``2`` usage error: bad arguments, an unreadable or incomparable report, or a pytest run that
  did not reach a verdict (pytest's usage error 4, no spec collected 5, interrupted 2,
  internal error 3);
- ``3`` stale baseline: nothing regressed, but a spec listed in the baseline passes now. pytest
  reports it as a strict XPASS (a failure, pytest exit 1); the report records it as the outcome
  ``stale`` (the verdict table, the matrix and the JSON show that state). Remove the entry. A
  baseline line that names no spec of the run (a typo, a removed spec) is stale too: it can
  hide nothing, and it would hide the spec a corrected line means;
- ``4`` nothing ran: no claimed result ran (the engine claims no collected spec, or every
  claimed spec skipped, e.g. for a device the runner lacks). A gate that passes an empty run
  would pass an adapter that claims nothing.

Specs of capabilities the engine does not claim (run with ``--probe-undeclared``) never gate.
"""

from __future__ import annotations

from conformance import diff as diff_module
from conformance.matrix import Report
from conformance.targets import blocker_of

PASS, REGRESSION, USAGE, STALE, EMPTY = 0, 1, 2, 3, 4
PYTEST_NO_VERDICT = {2: "interrupted", 3: "internal error", 4: "usage error", 5: "no spec ran"}
XPASS_STRICT = "[XPASS(strict)]"


def is_stale(result: dict) -> bool:
    """A strict XPASS: outcome "stale" (or, in reports written before that outcome existed, a
    failure whose message starts with pytest's ``[XPASS(strict)]``)."""
    if result["outcome"] == "stale":
        return True
    return result["outcome"] == "failed" and result.get("message", "").startswith(XPASS_STRICT)


def blocked_by_known_failure(result: dict, known: set[tuple[str, str]]) -> bool:
    """Whether ``result`` is blocked by a basic spec that the baseline lists as failing on the
    same target: the known failure is the one to fix, its dependants add nothing to gate on."""
    if result["outcome"] != "blocked":
        return False
    return (blocker_of(result.get("message", "")), result["target"]) in known


def empty_reason(results: list[dict], claimed: list[dict]) -> str:
    """One line: why no claimed result ran."""
    if not claimed:
        return (
            f"nothing ran: the engine claims none of the {len(results)} collected results "
            "(check --engine and the capabilities its adapter declares)"
        )
    reasons = sorted({r.get("message", "").splitlines()[0] for r in claimed if r.get("message")})
    first = f"; first reason: {reasons[0]}" if reasons else ""
    return f"nothing ran: all {len(claimed)} claimed results skipped (check --device){first}"


def gate(
    report: Report, *, previous: Report | None = None, pytest_status: int | None = None
) -> tuple[int, list[str]]:
    """The exit status and the lines that explain it."""
    if pytest_status in PYTEST_NO_VERDICT:
        return USAGE, [
            f"pytest exited with {pytest_status} ({PYTEST_NO_VERDICT[pytest_status]}): "
            "the run reached no verdict"
        ]
    claimed = [r for r in report.results if r.get("claimed", True)]
    if not any(r["outcome"] != "skipped" for r in claimed):
        return EMPTY, [empty_reason(report.results, claimed)]
    stale = [r for r in claimed if is_stale(r)]
    known = {(r["spec"], r["target"]) for r in claimed if r["outcome"] == "xfailed"}
    failing = [
        r
        for r in claimed
        if r["outcome"] in diff_module.FAILING
        and not is_stale(r)
        and not blocked_by_known_failure(r, known)
    ]
    lines = [f"regression: {diff_module.label(diff_module.key(r))} {r['outcome']}" for r in failing]
    if previous is not None:
        reasons = diff_module.incomparable(previous, report)
        if reasons:
            return USAGE, ["the previous report is not comparable: " + "; ".join(reasons)]
        # Failures are regressions already; what the previous report adds is a spec that
        # passed there and is now a known failure: its baseline entry hides a regression.
        changes = diff_module.compare(previous, report)
        lines += [
            f"regression since the previous report: {diff_module.label(k)}: {was} -> {now} "
            "(a new baseline entry)"
            for k, was, now in changes.newly_known  # the diff's own definition
        ]
    lines += [
        f"stale baseline: {diff_module.label(diff_module.key(r))} passes now; remove its entry"
        for r in stale
    ]
    stray = report.data.get("options", {}).get("baseline_unmatched", [])
    lines += [
        f"stale baseline: {line} names no spec of this run; fix or remove it" for line in stray
    ]
    if any(line.startswith("regression") for line in lines):
        return REGRESSION, lines
    if stale or stray:
        return STALE, lines
    if pytest_status not in (None, 0):
        return REGRESSION, [
            f"pytest exited with {pytest_status} although no claimed spec failed; see its output"
        ]
    passed = sum(r["outcome"] == "passed" for r in claimed)
    known = sum(r["outcome"] == "xfailed" for r in claimed)
    return PASS, [f"pass: {passed} claimed results passed, {known} known failures"]
