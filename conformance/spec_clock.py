"""The spec timeout, kept between hypothesis examples.

pytest-timeout's signal method stops a spec by failing it where it runs; inside a property spec
that failure is one more falsifying example to hypothesis, which goes on shrinking and replaying
(92 s of a 60 s timeout, depending on the machine's load). So the plugin also starts a clock
for each spec, and :func:`check` (called by the property specs before each example) ends the
spec with :class:`SpecTimedOut`, which hypothesis does not catch, once the time is up.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator


class SpecTimedOut(BaseException):
    """A spec ran past its timeout. A BaseException, like pytest's own outcomes, so that
    hypothesis neither records it as a falsifying example nor shrinks it."""

    def __init__(self, seconds: float):
        super().__init__(f"did not finish in {seconds:g} s (the spec timeout)")
        self.seconds = seconds


# (monotonic time the spec must end by, its timeout in seconds), or None without a timeout
_deadline: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar(
    "spec_deadline", default=None
)


@contextlib.contextmanager
def timed(seconds: float | None) -> Iterator[None]:
    """Run the body under a timeout of ``seconds`` (None or 0: no timeout)."""
    token = _deadline.set((time.monotonic() + seconds, seconds) if seconds else None)
    try:
        yield
    finally:
        _deadline.reset(token)


def check() -> None:
    """Raise :class:`SpecTimedOut` when the running spec's time is up."""
    found = _deadline.get()
    if found is not None and time.monotonic() >= found[0]:
        raise SpecTimedOut(found[1])
