"""What a spec may cite, by kind. Three kinds, never mixed in one citation:

* a source document (:data:`SEED_DOCUMENTS`, as in ``shared/seeds/``): the citation's second field
  is an *anchor*, a heading, short phrase or printed value that occurs in the document verbatim
  (whitespace runs count as one space); ``tests/test_catalogue.py`` checks every anchor;
* derived mathematics (``Source("mathematics", "<the derivation>")``);
* external API documentation (:data:`EXTERNAL`): PyTorch's documentation, for conventions that no
  source document states; the second field names the page (``torch.optim.SGD``) and what it
  defines there. Specs citing it sit under a capability that says "PyTorch convention".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.spec import Source

SEED_DOCUMENTS: dict[str, str] = {
    "000_f62b7cbb3fca057d.txt": "Training neural networks with R torch (course notes)",
    "001_a4ed5dc54d2b7027.txt": "Introducing torch autograd (blog post, R torch)",
    "002_a844684ecb0fd38f.txt": "Autograd and linear regression with R torch (tutorial)",
    "003_6019b0b13895e324.txt": "Training neural networks with PyTorch (course notes)",
    "004_87a9572cb53e2deb.txt": "Autograd (book chapter 4, R torch)",
}

PYTORCH_DOCS = "pytorch-api-docs"

EXTERNAL: dict[str, str] = {
    PYTORCH_DOCS: "PyTorch's API documentation (pytorch.org/docs): an external reference for "
    "PyTorch conventions, not one of the source documents",
}

DOCUMENTS: dict[str, str] = {**SEED_DOCUMENTS, **EXTERNAL}
"""Every document a citation may name (validated at collection)."""


def normalised(text: str) -> str:
    """``text`` with every run of whitespace as one space, for anchor matching."""
    return re.sub(r"\s+", " ", text).strip()


def anchor_problems(sources: Iterable[Source], texts: dict[str, str]) -> list[str]:
    """The citations among ``sources`` whose anchor does not occur in their document's text
    (``texts`` maps a seed document's name to its contents); other kinds are not checked."""
    found = []
    for source in sources:
        text = texts.get(source.document)
        if source.document in SEED_DOCUMENTS and text is None:
            found.append(f"{source}: the document's text was not given")
        elif text is not None and normalised(source.section) not in normalised(text):
            found.append(f"{source}: the anchor does not occur in {source.document}")
    return found
