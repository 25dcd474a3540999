"""Checking citations against the text of the documents they cite.

A citation of a source document (``Document(kind="document")``) names an *anchor*: a heading,
short phrase or printed value that occurs in the document verbatim up to whitespace (every run
of spaces and line breaks, in the anchor and in the document, counts as one space), so a reader
can find the passage. The anchor must lead to one passage: it occurs exactly once, or the
citation says which occurrence it means (``Source(..., occurrence=k)``, counted from 1). A
catalogue checks its anchors with :func:`anchor_problems` against its documents' text (this
project's ``tests/test_catalogue.py`` does so against ``shared/seeds/``). Mathematics and
external documentation are not checked here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.spec import Source


def normalised(text: str) -> str:
    """``text`` with every run of whitespace as one space, for anchor matching."""
    return re.sub(r"\s+", " ", text).strip()


def occurrences(anchor: str, text: str) -> int:
    """How many times ``anchor`` occurs in ``text`` up to whitespace, overlapping ones included
    (each is a place a reader could land on)."""
    needle, haystack = normalised(anchor), normalised(text)
    count, start = 0, haystack.find(needle)
    while needle and start != -1:
        count, start = count + 1, haystack.find(needle, start + 1)
    return count


def anchor_problems(sources: Iterable[Source], texts: dict[str, str]) -> list[str]:
    """The citations among ``sources`` whose anchor does not lead to one passage of their
    document's text (``texts`` maps a document's id to its contents): not found, found several
    times without naming the occurrence, or naming an occurrence the text does not have. Other
    kinds of source are not checked."""
    found = []
    for source in sources:
        if source.document.kind != "document":
            continue
        text = texts.get(source.document.id)
        if text is None:
            found.append(f"{source}: the document's text was not given")
            continue
        count = occurrences(source.section, text)
        which = getattr(source, "occurrence", None)
        if count == 0:
            found.append(f"{source}: the anchor does not occur in {source.document}")
        elif which is None and count > 1:
            found.append(
                f"{source}: the anchor occurs {count} times in {source.document}; name the "
                "occurrence meant (occurrence=k) or lengthen the anchor"
            )
        elif which is not None and not 1 <= which <= count:
            found.append(
                f"{source}: occurrence {which} asked for, the anchor occurs {count} times in "
                f"{source.document}"
            )
    return found
