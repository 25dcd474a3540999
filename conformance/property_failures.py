"""Property spec failures told one by one.

Hypothesis reports several distinct failures of one property spec as an ``ExceptionGroup``;
told as an engine error, it read "the engine raised ExceptionGroup ... in engine:
hypothesis/core.py", with the examples and the suite's messages left in the traceback. Here
each distinct failure is told with its own minimal example (the notes hypothesis attaches) and
the message the suite wrote for it (a spec failure's own text, or the error the engine raised).
"""

from __future__ import annotations

import builtins
import sys
import traceback

from conformance.running import SpecFailure, summary

# Python 3.11's exception groups, and on 3.10 the ``exceptiongroup`` backport hypothesis raises
_BACKPORT = sys.modules.get("exceptiongroup")
GROUPS: tuple[type, ...] = tuple(
    kind
    for kind in (
        getattr(builtins, "BaseExceptionGroup", None),
        getattr(_BACKPORT, "BaseExceptionGroup", None),
    )
    if kind is not None
)


def failures_in(error: BaseException) -> list[BaseException]:
    """The distinct failures in ``error``: those of an exception group (nested ones flattened),
    else ``error`` itself."""
    if isinstance(error, GROUPS):
        return [leaf for inner in getattr(error, "exceptions", ()) for leaf in failures_in(inner)]
    return [error]


def examples_of(error: BaseException) -> list[str]:
    """The lines of the notes hypothesis attached to ``error``: its minimal failing example and
    how to replay it."""
    return [line for note in getattr(error, "__notes__", ()) for line in str(note).splitlines()]


def own_message(error: BaseException) -> str:
    """The suite's message for one failure: a spec failure's text, else what the engine
    raised."""
    if isinstance(error, SpecFailure):
        return str(error)
    said = summary(str(error))
    return f"the engine raised {type(error).__name__}" + (f": {said}" if said else "")


def text(error: BaseException, spec_id: str, target: str) -> str:
    """The failure message of a property spec that failed with ``error``."""
    found = failures_in(error)
    if len(found) == 1:
        single = found[0]
        return "\n".join([own_message(single), *("  " + n for n in examples_of(single))])
    lines = [f"spec {spec_id} failed on {target} in {len(found)} distinct ways:"]
    for number, failure in enumerate(found, 1):
        lines.append(f"--- failure {number} of {len(found)}")
        lines += own_message(failure).splitlines()
        lines += ["  " + note for note in examples_of(failure)]
    return "\n".join(lines)


def tracebacks(error: BaseException) -> str:
    """The traceback of each failure in ``error``, for ``-v``."""
    return "\n".join("".join(traceback.format_exception(failure)) for failure in failures_in(error))
