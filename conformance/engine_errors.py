"""An error the engine raised inside a spec, told as a spec failure.

When a spec body raises anything but a :class:`~conformance.expect.SpecFailure`, the plugin
replaces pytest's traceback with the spec's header (id, target, behaviour, sources), the line of
the spec where the error surfaced and the deepest frame inside the engine; the full traceback is
kept for ``-v``. A method the adapter does not implement (the ``NotImplementedError`` of the
:class:`~conformance.engine.Engine` base) or a member the engine's objects lack (an
``AttributeError`` raised on the spec's own line or by the adapter kit) is told apart as
*absent*: the adapter declares a capability it does not implement, which is not the same thing
as an engine that implements it wrongly.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass
from pathlib import Path

import conformance
from conformance import charging
from conformance.engine import Engine
from conformance.running import summary
from conformance.spec import SpecInfo

SUITE = Path(conformance.__file__).resolve().parent
ADAPTERS = SUITE / "engines"  # the built-in adapters are engine code
ADAPTER_KIT = SUITE / "adapter.py"
CONTRACT = SUITE / "engine.py"  # the Engine base, whose methods raise NotImplementedError
MEMBER = re.compile(r"has no (?:attribute |member )?'([^']+)'")


@dataclass(frozen=True)
class Frame:
    path: Path
    line: int
    function: str
    code: str

    def __str__(self) -> str:
        where = f"{short(self.path)}:{self.line} in {self.function}"
        return f"{where}: {self.code}" if self.code else where


def short(path: Path) -> str:
    """``path`` relative to the working folder when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def frames_of(error: BaseException) -> list[tuple[Frame, object]]:
    """The traceback of ``error``, outermost first, each frame with its Python frame object."""
    found: list[tuple[Frame, object]] = []
    tb = error.__traceback__
    for summary_, (frame, _) in zip(traceback.extract_tb(tb), traceback.walk_tb(tb), strict=False):
        found.append(
            (
                Frame(
                    Path(summary_.filename).resolve(),
                    summary_.lineno or 0,
                    summary_.name,
                    (summary_.line or "").strip(),
                ),
                frame,
            )
        )
    return found


def is_suite(path: Path, spec_folder: Path) -> bool:
    """Whether ``path`` is the suite's own code (harness or specs), not the engine's."""
    if path.is_relative_to(ADAPTERS):
        return False
    return path.is_relative_to(SUITE) or path.is_relative_to(spec_folder)


@dataclass(frozen=True)
class EngineError:
    """What the plugin needs to tell an engine error."""

    error: BaseException
    spec_line: Frame | None  # the spec's own line where the error surfaced
    engine_frame: Frame | None  # the deepest frame inside the engine
    missing: str  # "engine.method" or "member 'name'" when the adapter lacks it, else ""
    # the member that raised or is missing: "engine.softmax", or "*.mean" for a member of the
    # engine's objects (conformance/charging.py tells which kind), or ""
    member: str = ""
    # an implemented member refused the call: an Engine method raising NotImplementedError
    # itself, or any member refusing a keyword argument (TypeError)
    refused: bool = False

    @property
    def headline(self) -> str:
        kind, said = type(self.error).__name__, summary(str(self.error))
        text = f"the engine raised {kind}" + (f": {said}" if said else "")
        if self.spec_line is not None:
            text += f" at {short(self.spec_line.path)}:{self.spec_line.line}"
        return text


def examine(error: BaseException, spec_file: Path) -> EngineError:
    """Find the spec's line, the deepest engine frame and a missing member in ``error``."""
    spec_file = spec_file.resolve()
    frames = frames_of(error)
    own = [i for i, (frame, _) in enumerate(frames) if frame.path == spec_file]
    start = own[0] if own else 0
    spec_line = frames[own[-1]][0] if own else None
    engine = [f for f, _ in frames[start:] if not is_suite(f.path, spec_file.parent)]
    found = missing(error, frames, spec_file.parent)
    member = member_of(found, frames[own[-1] + 1 :] if own else frames, spec_file.parent)
    refused = (
        isinstance(error, NotImplementedError)
        and found.startswith("engine.")
        and frames[-1][0].path != CONTRACT
    ) or refuses_keyword(error)
    return EngineError(error, spec_line, engine[-1] if engine else None, found, member, refused)


def refuses_keyword(error: BaseException) -> bool:
    """Whether ``error`` is a member refusing a keyword it does not take
    (``backward(retain_graph=True)`` on an engine without ``retain_graph``): the member exists,
    and the argument is the form the spec is about, so the failure stays with the spec's subject."""
    return isinstance(error, TypeError) and "unexpected keyword argument" in str(error)


def member_of(missing: str, called: list[tuple[Frame, object]], spec_folder: Path) -> str:
    """The contract member the spec's line was in when the error surfaced: the one the adapter
    lacks (``missing``, as :func:`missing` tells it), else the first engine frame below the
    spec's line: an Engine method ("engine.softmax") or a method of an engine object, by its
    PyTorch name where the adapter kit renames it ("*.mean": conformance/charging.py tells the
    kind); "" when neither is known."""
    if missing.startswith("engine."):
        return missing
    if missing:
        return f"*.{missing.split(chr(39))[1]}"  # member 'mean'
    for frame, python_frame in called:
        local = getattr(python_frame, "f_locals", {})
        if frame.path == ADAPTER_KIT and "member_name" in local:
            return f"*.{local['member_name']}"  # a proxy's member, under its PyTorch name
        if isinstance(local.get("self"), Engine):
            return f"engine.{frame.function}"
        if not is_suite(frame.path, spec_folder):
            return f"*.{frame.function}"
    return ""


def missing(error: BaseException, frames: list[tuple[Frame, object]], spec_folder: Path) -> str:
    """What the adapter lacks, when ``error`` says it lacks something; else ""."""
    if not frames:
        return ""
    deepest, frame = frames[-1]
    if isinstance(error, NotImplementedError):
        owner = getattr(frame, "f_locals", {}).get("self")
        return f"engine.{deepest.function}" if isinstance(owner, Engine) else ""
    if isinstance(error, AttributeError):
        name = getattr(error, "name", None)
        if name is None:
            match = MEMBER.search(str(error))
            name = match[1] if match else None
        # Only a member the suite itself reads (or the adapter kit looks up for it): an
        # AttributeError raised deeper inside the engine is the engine's own bug.
        if name and (deepest.path == ADAPTER_KIT or is_suite(deepest.path, spec_folder)):
            return f"member {name!r}"
    return ""


def failure_text(
    info: SpecInfo,
    target: str,
    found: EngineError,
    about: str,
    engine_declares: frozenset[str] | None = None,
) -> str:
    """The failure message: the spec's header, what the engine raised where, its sources;
    ``target`` reads "engine (device)". A member of another capability than ``about`` is named
    with its capability, which the failure then counts against."""
    lines = [f"spec {info.id} failed on {target}: {found.headline}"]
    lines.append(f"  behaviour: {info.behaviour}")
    owner = charging.capability_of(found.member, info) if found.member else ""
    named = charging.resolve(found.member, info)
    member = f"{named} ({owner})" if owner else ""
    declared = owner if owner in info.capabilities else about
    under = f", under {owner}" if owner and owner != declared else ""
    # a probed spec (--probe-undeclared) runs capabilities the adapter does not declare
    claimed = engine_declares is None or declared in engine_declares
    stated = f"declares {declared} but" if claimed else f"does not declare {declared}, and"
    if found.missing and found.refused:
        lines.append(
            f"  refused:   {member or found.missing} is implemented but refused this call "
            f"(NotImplementedError: {summary(str(found.error))})"
        )
    elif found.missing.startswith("engine."):
        lines.append(
            f"  absent:    the adapter {stated} does not implement "
            f"{named or found.missing}" + (f" (a member of {owner})" if under else "")
        )
    elif found.missing:
        lines.append(
            f"  absent:    the adapter {stated} its objects have no "
            f"{found.missing}" + (f" (the contract's {named}{under})" if named else "")
        )
    elif member:
        lines.append(f"  member:    the error surfaced in {member}")
    charged = charging.charged(found.member, info, found.refused)
    if charged:
        lines.append(f"  counted:   against {charged}, the capability of {named}")
    if found.engine_frame is not None:
        lines.append(f"  in engine: {found.engine_frame}")
    lines += [f"  source:    {source.cited}" for source in info.sources]
    if info.note:
        lines.append(f"  note:      {info.note}")
    return "\n".join(lines)
