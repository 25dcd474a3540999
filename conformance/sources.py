"""Checking citations against the text of the documents they cite.

A citation of a source document (``Document(kind="document")``) names an *anchor*: a heading,
short phrase or printed value that occurs in the document verbatim (whitespace runs count as one
space), so a reader can find the passage. A catalogue checks its anchors with
:func:`anchor_problems` against its documents' text (this project's ``tests/test_catalogue.py``
does so against ``shared/seeds/``). Mathematics and external documentation are not checked here.
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


def anchor_problems(sources: Iterable[Source], texts: dict[str, str]) -> list[str]:
    """The citations among ``sources`` whose anchor does not occur in their document's text
    (``texts`` maps a document's id to its contents); other kinds are not checked."""
    found = []
    for source in sources:
        if source.document.kind != "document":
            continue
        text = texts.get(source.document.id)
        if text is None:
            found.append(f"{source}: the document's text was not given")
        elif normalised(source.section) not in normalised(text):
            found.append(f"{source}: the anchor does not occur in {source.document}")
    return found
