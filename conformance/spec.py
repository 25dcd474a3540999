"""Spec metadata: the ``@spec`` decorator and its validation.

A spec is a pytest test function taking the ``engine`` fixture, decorated with :func:`spec`::

    @spec(
        id="autograd.square_grad",
        behaviour="the gradient of y = x**2 at x = 3 is 6",
        sources=[Source("003_6019b0b13895e324.txt", "Autograd")],
        about="autograd.backward",
        requires={"tensor.ops"},
    )
    def test_square_grad(engine): ...

``about`` is the one capability the spec is about: a failure counts against it, unless the
contract member that raised or was missing belongs to one of the prerequisites
(conformance/charging.py). ``requires`` are its prerequisites, exactly the capabilities of the
members it calls (the spec skips on an engine that does not declare them; a test checks that
none is missing or extra).

The decorator only records the metadata; the plugin validates it at collection so that a
malformed spec is a collection error naming the spec and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields

from conformance.capabilities import CAPABILITIES, IMPLICIT
from conformance.tolerance import Tolerance

SPEC_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
ATTRIBUTE = "conformance_spec"

KINDS = {
    "document": "a source document; the citation's section is an anchor found in it verbatim "
    "(up to whitespace), once, or the citation names the occurrence",
    "external": "external API documentation, for conventions no source document states",
    "mathematics": "derived mathematics; the citation's section is the derivation",
}


@dataclass(frozen=True)
class Document:
    """One entry of a catalogue's bibliography: what a citation names.

    A catalogue declares the documents it cites (this project's are in ``specs/sources.py``); the
    plugin knows no list of its own, so a third-party catalogue cites its own documents the same
    way. ``title``, ``author`` and ``where`` let a reader without the files look a citation up.
    """

    id: str  # short and stable: a file name, a URL slug
    title: str
    author: str = ""
    where: str = ""  # where a reader finds it
    kind: str = "document"  # one of KINDS

    def __str__(self) -> str:
        return self.id


MATHEMATICS = Document(
    "mathematics",
    "Derived mathematics",
    where="the derivation is stated in the citation itself",
    kind="mathematics",
)


@dataclass(frozen=True)
class Source:
    """Where a behaviour is documented: a :class:`Document` and a section of it (for a source
    document, an anchor that occurs in it verbatim up to whitespace), or
    ``Source(MATHEMATICS, "<derivation>")`` for values that follow from the maths.

    An anchor that occurs more than once in its document (a printed value, a repeated trace)
    names the passage it means with ``occurrence``, counted from 1 in reading order; otherwise
    the anchor must occur exactly once, so a reader cannot land on the wrong passage."""

    document: Document
    section: str
    occurrence: int | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        which = f", occurrence={self.occurrence!r}" if self.occurrence is not None else ""
        return f"Source(document={self.document!r}, section={self.section!r}{which})"

    def __str__(self) -> str:
        which = f" (occurrence {self.occurrence})" if self.occurrence else ""
        return f"{self.document} § {self.section}{which}"

    @property
    def cited(self) -> str:
        """The citation as a failure message shows it: the document's title and the anchor
        (``conformance sources`` gives each title's file, author and where to find it)."""
        return f"{self.document.title or self.document.id} § {self.section}"


@dataclass(frozen=True)
class SpecInfo:
    id: str
    behaviour: str
    sources: tuple[Source, ...]
    requires: frozenset[str] = frozenset()
    tolerance: Tolerance | None = None
    basic: bool = False
    note: str = ""
    false_failure_probability: float | None = None
    function: str = field(default="", compare=False)
    about: str = ""

    @property
    def capabilities(self) -> frozenset[str]:
        """Everything the spec needs: its prerequisites, its subject and ``tensor.core``."""
        return self.requires | IMPLICIT | ({self.about} if self.about else frozenset())

    @property
    def subject(self) -> str:
        """The capability a failure of this spec counts against: ``about``, else (for specs
        written before ``about`` existed) its one non-implicit requirement, else ``tensor.core``
        when it requires nothing more; "" when it requires several and names none of them, in
        which case its outcome counts against each of :attr:`counted_against`."""
        if self.about:
            return self.about
        explicit = self.requires - IMPLICIT
        if len(explicit) == 1:
            return next(iter(explicit))
        if not explicit:
            return next(iter(IMPLICIT))
        return ""

    @property
    def counted_against(self) -> tuple[str, ...]:
        """The capabilities whose verdict this spec's outcome counts in (sorted)."""
        return (self.subject,) if self.subject else tuple(sorted(self.capabilities))

    def problems(self) -> list[str]:
        """Human-readable problems with this metadata, each naming the field; empty if valid."""
        found = []
        if not isinstance(self.id, str) or not SPEC_ID.match(self.id):
            found.append(
                f"field 'id': {self.id!r} is not a dotted lower-case id like 'chapter.name'"
            )
        if not isinstance(self.behaviour, str) or len(self.behaviour.strip()) < 10:
            found.append("field 'behaviour': state the behaviour in one sentence")
        elif "\n" in self.behaviour.strip():
            found.append("field 'behaviour': must be one line")
        if not self.sources:
            found.append("field 'sources': at least one Source(document, section) is required")
        for source in self.sources:
            if not isinstance(source, Source) or not source.section:
                found.append(f"field 'sources': {source!r} needs a document and a section")
            elif not isinstance(source.document, Document):
                found.append(
                    f"field 'sources': {source.document!r} is not a conformance.Document; declare "
                    "each document the catalogue cites, e.g. Document(id, title, author, where)"
                )
            elif source.document.kind not in KINDS:
                found.append(f"field 'sources': {source.document.id!r} has an unknown kind")
        if self.about and (not isinstance(self.about, str) or self.about not in CAPABILITIES):
            found.append(f"field 'about': unknown capability {self.about!r}")
        bad = sorted(set(self.requires) - CAPABILITIES.keys())
        if bad:
            found.append(f"field 'requires': unknown capabilities {bad}")
        if self.tolerance is not None and not isinstance(self.tolerance, Tolerance):
            found.append("field 'tolerance': must be a conformance.Tolerance")
        elif self.tolerance is not None and not self.tolerance.why.strip():
            found.append("field 'tolerance': a spec's own tolerance must say why it differs")
        p = self.false_failure_probability
        if p is not None and not (isinstance(p, float) and 0.0 < p <= 1e-6):
            found.append("field 'false_failure_probability': must be a float in (0, 1e-6]")
        return found


def spec(
    *,
    id: str,
    behaviour: str,
    sources,
    about: str = "",
    requires=(),
    tolerance: Tolerance | None = None,
    basic: bool = False,
    note: str = "",
    false_failure_probability: float | None = None,
):
    """Attach spec metadata to a test function (validated by the plugin at collection).

    ``about`` is the one capability the spec is about (a failure counts against it only);
    ``requires`` are the prerequisites it uses. ``basic`` marks one of the few specs that
    everything else relies on; when one fails on an engine, the specs that use what it is about
    and the capability of what failed report "blocked by" it instead of failing with the same
    noise (they still run where that is safe; one that passes is reported as passed). ``note``
    records nuances (e.g. where current PyTorch prints something other than a document).
    Statistical specs state ``false_failure_probability``.
    """

    def attach(function):
        sources_tuple = tuple(sources) if isinstance(sources, list | tuple) else (sources,)
        setattr(
            function,
            ATTRIBUTE,
            SpecInfo(
                id=id,
                behaviour=behaviour,
                sources=sources_tuple,
                # requires="a.b" would otherwise become the set of its characters
                requires=frozenset([requires] if isinstance(requires, str) else requires),
                tolerance=tolerance,
                basic=basic,
                note=note,
                false_failure_probability=false_failure_probability,
                function=function.__name__,
                about=about,
            ),
        )
        return function

    return attach


def info_of(function) -> SpecInfo | None:
    return getattr(function, ATTRIBUTE, None)


FIELDS = tuple(f.name for f in fields(SpecInfo))
