"""Baselines: the specs an engine is known to fail, kept in a file under version control.

One entry per line, ``#`` starts a comment. An entry names a spec, optionally one parametrized
case of it (in brackets, the case id as pytest shows it without the engine target) and
optionally one target (after ``@``)::

    optim.adam_bias_correction                 # every case, every target of the run
    loss.bce_stable@myengine-cpu                # every case, on this target only
    examples.blog_graph_gradients[float64]      # this case, on every target
    tensors.dtype_kept[int64]@myengine-cpu      # this case on this target

Lines written before cases could be named, ``spec.id[engine-device]``, still mean "on this
target": a bracket that names a target of the run and no case of the spec is read that way.
``--write-baseline=PATH`` writes the new form, one line per failing case, so that writing a
baseline and replaying it is a round trip even when one case of a spec passes and another
fails.

Listed specs run as strict expected failures: a listed spec that starts passing fails the run
(XPASS(strict)), and an entry that matches no collected spec is reported, so the list cannot
rot silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ENTRY = re.compile(r"^(?P<spec>[a-z][a-z0-9_.]*)(\[(?P<case>\S+)\])?(@(?P<target>[^\s@\[\]]+))?$")


class BaselineError(Exception):
    pass


@dataclass(frozen=True)
class Entry:
    spec: str
    case: str | None
    target: str | None
    line: int

    def matches(self, spec_id: str, case: str, target_id: str) -> bool:
        if self.spec != spec_id or self.target not in (None, target_id):
            return False
        if self.case is None or self.case == case:
            return True
        # 'spec.id[engine-device]', written before cases could be named: a target.
        return self.target is None and self.case == target_id

    def __str__(self) -> str:
        case = f"[{self.case}]" if self.case is not None else ""
        return self.spec + case + (f"@{self.target}" if self.target else "")


UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


def read(path: str) -> list[Entry]:
    file = Path(path)
    if file.is_dir():
        raise BaselineError(f"baseline {path!r} is a folder (--baseline expects a file)")
    if not file.is_file():
        raise BaselineError(f"baseline file {path!r} does not exist (--baseline expects a file)")
    entries = []
    for number, raw in enumerate(text_lines(path, file.read_bytes()), start=1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        match = ENTRY.match(text)
        if not match:
            raise BaselineError(
                f"{path}:{number}: {text!r} is not 'spec.id', 'spec.id[case]', "
                "'spec.id@engine-device' or 'spec.id[case]@engine-device'"
            )
        entries.append(Entry(match["spec"], match["case"], match["target"], number))
    return entries


def text_lines(path: str, data: bytes) -> list[str]:
    """The file's lines as UTF-8 text (a leading byte order mark is dropped); any other encoding
    is a one-line error naming the first line that is not UTF-8."""
    if data.startswith(UTF16_MARKS):
        raise BaselineError(f"{path}:1: the file is UTF-16; save it as UTF-8")
    data = data.removeprefix(b"\xef\xbb\xbf")
    lines = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            lines.append(raw.decode("utf-8").rstrip("\r"))
        except UnicodeDecodeError as error:
            raise BaselineError(
                f"{path}:{number}: not UTF-8 text (byte 0x{raw[error.start]:02x} at column "
                f"{error.start + 1}); save the file as UTF-8"
            ) from None
    return lines


def write(path: str, failures: list[tuple[str, str, str]]) -> None:
    """Write ``(spec id, case, target id)`` failures, one line each, sorted."""
    try:
        lines = sorted(
            {str(Entry(spec, case or None, target, 0)) for spec, case, target in failures}
        )
        header = "# Specs known to fail; written by --write-baseline. One entry per line.\n"
        Path(path).write_text(header + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    except OSError as error:
        raise BaselineError(f"cannot write baseline {path!r}: {error}") from error
