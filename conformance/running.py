"""The spec running now and its engine, which the plugin sets around each spec and the
assertion helpers read; kept apart from :mod:`conformance.expect` so that the plugin can know
about them without importing NumPy into every pytest session of the environment; also
:func:`summary`, the one-line form of a message that both use."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from conformance.spec import SpecInfo


class SpecFailure(AssertionError):
    """An engine did not behave as a spec says."""

    what: str = ""  # the short form, used in "blocked by" reasons


@dataclass(frozen=True)
class Running:
    spec: SpecInfo | None = None
    engine: Any = None  # the running Engine


# The default is frozen, so sharing it is safe.
running: contextvars.ContextVar[Running] = contextvars.ContextVar(
    "running",
    default=Running(),  # noqa: B039
)


@contextlib.contextmanager
def running_spec(spec: SpecInfo | None, engine: Any) -> Iterator[None]:
    token = running.set(Running(spec, engine))
    try:
        yield
    finally:
        running.reset(token)


def summary(text: str, limit: int = 300) -> str:
    """``text`` on one line, cut to ``limit`` characters with a count of what was left out."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return f"{flat[:limit]}... ({len(flat) - limit} more characters)"
