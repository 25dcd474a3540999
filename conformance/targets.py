"""Targets (an engine on a device), why a spec cannot run on one, and blocking by basic specs.

Plain functions and classes, so that ``tests/`` can exercise them without pytest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from conformance.engine import Engine
from conformance.running import running_spec
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


class BasicSpecs:
    """The basic specs of a run and, per target, whether each passes.

    A basic spec is run at most once per target (lazily, the first time a dependant needs it),
    so blocking works under any test order and under pytest-xdist, where each worker checks
    for itself.
    """

    def __init__(self):
        self.specs: dict[str, tuple[SpecInfo, object]] = {}
        self.results: dict[tuple[str, str], str | None] = {}

    def add(self, spec: SpecInfo, function) -> None:
        self.specs.setdefault(spec.id, (spec, function))

    def failure(self, spec: SpecInfo, target: Target) -> str | None:
        """The failing basic spec that ``spec`` relies on, as a skip reason, or None."""
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
                self.results[key] = "did not finish (hung, or timed out)"
                self.results[key] = self._run(basic, function, target)
            failure = self.results[key]
            if failure is not None:
                return blocked_reason(basic.id, target.id, failure)
        return None

    @staticmethod
    def _run(basic: SpecInfo, function, target: Target) -> str | None:
        engine = target.instance()
        try:
            with running_spec(basic, engine):
                function(engine)
        except pytest.skip.Exception:
            return None  # a basic spec that skips (e.g. inapplicable) blocks nothing
        except Exception as error:
            return first_line(error)
        return None


BLOCKED = re.compile(r"^blocked by basic spec (?P<spec>\S+), which fails on ")


def blocked_reason(basic: str, target: str, what: str) -> str:
    """The skip reason of a spec blocked by the failing basic spec ``basic``."""
    return f"blocked by basic spec {basic}, which fails on {target}: {what}"


def blocker_of(reason: str) -> str | None:
    """The basic spec named by a :func:`blocked_reason` (read back from a report), else None."""
    found = BLOCKED.match(reason)
    return found["spec"] if found else None
