"""Targets (an engine on a device), why a spec cannot run on one, and blocking by basic specs.

Plain functions and classes, so that ``tests/`` can exercise them without pytest.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance import charging
from conformance.engine import Engine
from conformance.running import SpecFailure, running_spec
from conformance.spec import SpecInfo


@dataclass(frozen=True)
class Target:
    """One engine on one device; every spec runs once per target."""

    engine: Engine = field(compare=False, hash=False)
    device: str

    @property
    def id(self) -> str:
        return f"{self.engine.name}-{self.device}"

    @property
    def available(self) -> bool:
        return self.device in self.engine.devices

    def skip_reason(self, spec: SpecInfo) -> str | None:
        """Why ``spec`` cannot run on this target, or None when it can."""
        if not self.available:
            reason = self.engine.device_unavailable_reason(self.device)
            return f"engine {self.engine.name!r} has no device {self.device!r}: {reason}"
        missing = sorted(self.undeclared(spec))
        if missing:
            noun = "capability" if len(missing) == 1 else "capabilities"
            return (
                f"engine {self.engine.name!r} does not declare {noun} "
                f"{', '.join(repr(name) for name in missing)} required by spec {spec.id}"
            )
        return None

    def undeclared(self, spec: SpecInfo) -> frozenset[str]:
        """The capabilities ``spec`` needs that the engine does not declare."""
        return spec.capabilities - frozenset(self.engine.capabilities)

    def instance(self) -> Engine:
        return self.engine.on_device(self.device)


def first_line(error: BaseException) -> str:
    text = [error.what] if hasattr(error, "what") else str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def uses(spec: SpecInfo, basic: SpecInfo) -> bool:
    """Whether ``spec`` uses what the basic spec ``basic`` is about, so that it cannot be
    judged while ``basic`` fails: ``basic.about in spec.capabilities`` (for a basic spec that
    names several requirements and no ``about``, all of them)."""
    if basic.subject:
        return basic.subject in spec.capabilities
    return basic.capabilities <= spec.capabilities


HUNG = "did not finish (hung, or timed out)"


class BasicSpecs:
    """The basic specs of a run and, per target, whether each passes.

    A basic spec is run at most once per target (lazily, the first time a dependant needs it),
    so blocking works under any test order and under pytest-xdist, where each worker checks
    for itself.
    """

    def __init__(self):
        self.specs: dict[str, tuple[SpecInfo, object]] = {}
        # (basic id, target id) -> None when it passes, else (what failed, the capability of
        # the member that failed: only specs that need that capability are blocked)
        # (a plain reason: a basic spec that crashed its worker, see conformance/isolation.py)
        self.results: dict[tuple[str, str], tuple[str, str] | str | None] = {}

    def add(self, spec: SpecInfo, function) -> None:
        self.specs.setdefault(spec.id, (spec, function))

    def failure(self, spec: SpecInfo, target: Target) -> str | None:
        """The failing basic spec that ``spec`` relies on, as a skip reason, or None."""
        found = self.blocking(spec, target)
        return found[0] if found else None

    def blocking(self, spec: SpecInfo, target: Target) -> tuple[str, bool] | None:
        """The failing basic spec that ``spec`` relies on, as a skip reason, and whether the
        dependant may still be run to see if it passes (the basic spec failed with an error or
        a wrong value, rather than crashing its worker or hanging); None when nothing blocks
        it. A basic spec blocks only the specs that need the capability of what failed."""
        if spec.basic:
            return None
        for basic, function in self.specs.values():
            if not uses(spec, basic):
                continue
            if target.skip_reason(basic):
                continue
            key = (basic.id, target.id)
            if key not in self.results:
                # Marked first: if the check hangs until the spec timeout stops it, later
                # dependants are blocked at once instead of hanging in turn.
                self.results[key] = (HUNG, basic.subject)
                self.results[key] = self._run(basic, function, target)
            failure: Any = self.results[key]
            crashed = isinstance(failure, str)  # told by the isolation handler
            if crashed:
                failure = (failure, basic.subject)
            if failure is not None and failure[1] in spec.capabilities:
                hung = failure[0] == HUNG
                return blocked_reason(basic.id, target.id, failure[0]), not (crashed or hung)
        return None

    @staticmethod
    def _run(basic: SpecInfo, function, target: Target) -> tuple[str, str] | None:
        engine = target.instance()
        try:
            with running_spec(basic, engine), engine.spec_scope():
                function(engine)
        except pytest.skip.Exception:
            return None  # a basic spec that skips (e.g. inapplicable) blocks nothing
        except Exception as error:
            return first_line(error), failing_capability(basic, function, error)
        return None


def failing_capability(basic: SpecInfo, function, error: Exception) -> str:
    """The capability a basic spec's failure belongs to: that of the contract member that raised
    or was missing (conformance/charging.py), else what the basic spec is about."""
    from conformance import engine_errors  # it imports the plugin's helpers; only needed here

    if isinstance(error, SpecFailure):
        return basic.subject
    found = engine_errors.examine(error, source_file(function))
    return charging.charged(found.member, basic) or basic.subject


def source_file(function) -> Path:
    """The file a spec body is defined in (a function, or an object with ``__call__``)."""
    for candidate in (function, type(function)):
        try:
            return Path(inspect.getsourcefile(candidate) or "")
        except TypeError:
            continue
    return Path("")


BLOCKED = re.compile(r"^blocked by basic spec (?P<spec>\S+), which fails on ")


def blocked_reason(basic: str, target: str, what: str) -> str:
    """The skip reason of a spec blocked by the failing basic spec ``basic``."""
    return f"blocked by basic spec {basic}, which fails on {target}: {what}"


def blocker_of(reason: str) -> str | None:
    """The basic spec named by a :func:`blocked_reason` (read back from a report), else None."""
    found = BLOCKED.match(reason)
    return found["spec"] if found else None
