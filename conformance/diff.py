"""Two reports of one engine compared: what a change to the engine (or its adapter) did.

Results are matched by (target, spec, case). A result is *failing* when its outcome is
``failed`` or ``blocked`` (a blocked spec no longer passes either). The diff lists

- newly failing: failing after, not failing before (a spec new in ``after`` that fails counts);
  only results of claimed capabilities are a regression, probed ones are listed apart;
- newly known failures: passed before, a known failure (xfailed: listed in the baseline)
  after, a claimed spec: the baseline entry hides a regression, so this is a regression too,
  here and in ``conformance gate --previous`` alike;
- newly passing: passed after, not passed before;
- changed messages: failing in both, with different messages;
- other outcome changes (skipped, xfailed, absent, ...) and specs found in only one report;
- with ``timings=True`` (``conformance diff --timings``), timing changes beyond noise (see
  :data:`NOISE`), a section of their own that is never a regression.

Reports are comparable when they ran the same catalogue (suite version and catalogue hash) on
the same engines; :func:`incomparable` says why not, and the command refuses unless forced.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.matrix import Report

FAILING = ("failed", "blocked")

# A duration changed beyond noise when both the ratio and the absolute change are large:
# a spec at least twice as slow (or fast) AND by at least 50 ms. Durations of a few ms jitter
# by several times on a shared machine, so the absolute floor keeps them out.
NOISE = {"ratio": 2.0, "seconds": 0.05}
NOISE_RULE = (
    f"a duration counts as changed when it moved by at least {NOISE['ratio']:g}x "
    f"and by at least {NOISE['seconds'] * 1000:g} ms"
)


def key(result: dict) -> tuple[str, str, str]:
    return (result["target"], result["spec"], result.get("case", ""))


def label(k: tuple[str, str, str]) -> str:
    target, spec, case = k
    return f"{spec}{f'[{case}]' if case else ''} on {target}"


def incomparable(before: Report, after: Report) -> list[str]:
    """Why two reports should not be compared (empty when they can be)."""
    reasons = []
    for what in ("version", "catalogue"):
        a, b = before.suite.get(what), after.suite.get(what)
        if a != b:
            reasons.append(f"suite {what} differs: {a} vs {b}")
    engines_before = sorted(e["name"] for e in before.data["engines"])
    engines_after = sorted(e["name"] for e in after.data["engines"])
    if engines_before != engines_after:
        reasons.append(f"engines differ: {', '.join(engines_before)} vs {', '.join(engines_after)}")
    return reasons


@dataclass
class Diff:
    newly_failing: list[tuple] = field(default_factory=list)  # (key, before outcome, after)
    newly_deviating: list[tuple] = field(default_factory=list)  # the same, not claimed
    newly_known: list[tuple] = field(default_factory=list)  # claimed, passed -> xfailed
    newly_passing: list[tuple] = field(default_factory=list)
    changed_messages: list[tuple] = field(default_factory=list)  # (key, before msg, after msg)
    other_changes: list[tuple] = field(default_factory=list)  # (key, before, after)
    only_before: list[tuple] = field(default_factory=list)
    only_after: list[tuple] = field(default_factory=list)
    slower: list[tuple] = field(default_factory=list)  # (key, before s, after s)
    faster: list[tuple] = field(default_factory=list)
    versions: tuple[str, str] = ("", "")

    @property
    def regressed(self) -> bool:
        return bool(self.newly_failing or self.newly_known)


def compare(before: Report, after: Report) -> Diff:
    old = {key(r): r for r in before.results}
    new = {key(r): r for r in after.results}
    diff = Diff(
        versions=(
            ", ".join(f"{e['name']} {e.get('version', '')}" for e in before.data["engines"]),
            ", ".join(f"{e['name']} {e.get('version', '')}" for e in after.data["engines"]),
        )
    )
    for k, b in new.items():
        a = old.get(k)
        failing = diff.newly_failing if b.get("claimed", True) else diff.newly_deviating
        if a is None:
            diff.only_after.append((k, b["outcome"]))
            if b["outcome"] in FAILING:
                failing.append((k, "(not in before)", b["outcome"]))
            continue
        was, now = a["outcome"], b["outcome"]
        if now in FAILING and was not in FAILING:
            failing.append((k, was, now))
        elif now == "passed" and was != "passed":
            diff.newly_passing.append((k, was, now))
        elif was == "passed" and now == "xfailed" and b.get("claimed", True):
            diff.newly_known.append((k, was, now))
        elif was != now:
            diff.other_changes.append((k, was, now))
        elif now != "passed" and a.get("message", "") != b.get("message", ""):
            diff.changed_messages.append((k, a.get("message", ""), b.get("message", "")))
        if was == now == "passed":
            t0, t1 = float(a.get("duration") or 0), float(b.get("duration") or 0)
            if abs(t1 - t0) >= NOISE["seconds"]:
                if t1 >= NOISE["ratio"] * t0:
                    diff.slower.append((k, t0, t1))
                elif t0 >= NOISE["ratio"] * t1:
                    diff.faster.append((k, t0, t1))
    diff.only_before = [(k, r["outcome"]) for k, r in old.items() if k not in new]
    return diff


def headline(message: str) -> str:
    """The first non-empty line of a message, cut to 160 characters."""
    line = next((ln.strip() for ln in message.splitlines() if ln.strip()), "")
    return line if len(line) <= 160 else line[:157] + "..."


def first_difference(before: str, after: str) -> tuple[str, str]:
    """The first lines where two messages differ."""
    a, b = before.splitlines(), after.splitlines()
    for x, y in zip(a, b, strict=False):
        if x != y:
            return headline(x), headline(y)
    return headline("\n".join(a[len(b) :])), headline("\n".join(b[len(a) :]))


def as_text(diff: Diff, *, markdown: bool = False, timings: bool = False) -> str:
    bullet = "- " if markdown else "  "
    out = [f"before: {diff.versions[0]}", f"after:  {diff.versions[1]}"]

    def section(title: str, rows: list[str]) -> None:
        if rows:
            out.append(f"\n{'### ' if markdown else ''}{title} ({len(rows)})")
            out.extend(bullet + row for row in rows)

    section(
        "newly failing",
        [f"{label(k)}: {was} -> {now}" for k, was, now in diff.newly_failing],
    )
    section(
        "newly failing, not claimed (never a regression)",
        [f"{label(k)}: {was} -> {now}" for k, was, now in diff.newly_deviating],
    )
    section(
        "newly known failures (passed before, now hidden by a baseline entry: a regression)",
        [f"{label(k)}: {was} -> {now}" for k, was, now in diff.newly_known],
    )
    section("newly passing", [f"{label(k)}: {was} -> {now}" for k, was, now in diff.newly_passing])
    section(
        "changed messages",
        [
            f"{label(k)}:\n{bullet}  before: {x}\n{bullet}  after:  {y}"
            for k, a, b in diff.changed_messages
            for x, y in [first_difference(a, b)]
        ],
    )
    section("other outcome changes", [f"{label(k)}: {a} -> {b}" for k, a, b in diff.other_changes])
    section("only in before", [f"{label(k)}: {o}" for k, o in diff.only_before])
    section(
        "only in after",
        [f"{label(k)}: {o}" for k, o in diff.only_after if o not in FAILING],
    )
    count, known = len(diff.newly_failing), len(diff.newly_known)
    parts = [f"{count} newly failing"] * bool(count) + [f"{known} newly known failures"] * bool(
        known
    )
    verdict = f"REGRESSION: {', '.join(parts)}" if diff.regressed else "no regression"
    out.append(f"\n{'**' + verdict + '**' if markdown else verdict}")
    if timings:  # a section apart: durations are never a regression
        out.append(f"\n{'## ' if markdown else ''}timings ({NOISE_RULE}; never a regression)")
        section("slower", [f"{label(k)}: {a:.3f} s -> {b:.3f} s" for k, a, b in diff.slower])
        section("faster", [f"{label(k)}: {a:.3f} s -> {b:.3f} s" for k, a, b in diff.faster])
        if not (diff.slower or diff.faster):
            out.append(f"{bullet}no duration changed beyond noise")
    return "\n".join(out) + "\n"
