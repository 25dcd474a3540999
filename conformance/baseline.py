"""Baselines: the specs an engine is known to fail, kept in a file under version control.

One entry per line, ``#`` starts a comment::

    optim.adam_bias_correction            # fails on every target of the run
    loss.bce_stable[myengine-cpu]          # fails only on this target

Listed specs run as strict expected failures: a listed spec that starts passing fails the run
(XPASS(strict)), and an entry that matches no collected spec is reported, so the list cannot
rot silently. ``--write-baseline=PATH`` writes the failures of a run in this format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ENTRY = re.compile(r"^(?P<spec>[a-z][a-z0-9_.]*)(\[(?P<target>[^\]\s]+)\])?$")


class BaselineError(Exception):
    pass


@dataclass(frozen=True)
class Entry:
    spec: str
    target: str | None
    line: int

    def matches(self, spec_id: str, target_id: str) -> bool:
        return self.spec == spec_id and self.target in (None, target_id)

    def __str__(self) -> str:
        return self.spec + (f"[{self.target}]" if self.target else "")


def read(path: str) -> list[Entry]:
    file = Path(path)
    if not file.is_file():
        raise BaselineError(f"baseline file {path!r} does not exist (--baseline expects a file)")
    entries = []
    for number, raw in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        match = ENTRY.match(text)
        if not match:
            raise BaselineError(
                f"{path}:{number}: {text!r} is not 'spec.id' or 'spec.id[engine-device]'"
            )
        entries.append(Entry(match["spec"], match["target"], number))
    return entries


def write(path: str, failures: list[tuple[str, str]]) -> None:
    """Write ``(spec id, target id)`` failures, one line each, sorted."""
    try:
        lines = sorted({f"{spec}[{target}]" for spec, target in failures})
        header = "# Specs known to fail; written by --write-baseline. One entry per line.\n"
        Path(path).write_text(header + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    except OSError as error:
        raise BaselineError(f"cannot write baseline {path!r}: {error}") from error
