"""How the catalogue cites: short names for the source documents, and one helper per kind of
source (see :mod:`conformance.sources`).

``cite(document, anchor)``: the anchor occurs in the document verbatim (a test checks it), so a
reader can find the passage; anchors stay short (a heading, a phrase, a printed value), the spec
paraphrases. ``maths(derivation)``: a value that follows from mathematics. ``pytorch_docs(page,
what)``: a PyTorch convention that no document states.
"""

from conformance import MATHEMATICS, Source
from conformance.sources import PYTORCH_DOCS

R_COURSE = "000_f62b7cbb3fca057d.txt"  # training neural networks, R torch
BLOG = "001_a4ed5dc54d2b7027.txt"  # introducing torch autograd (R)
LINREG = "002_a844684ecb0fd38f.txt"  # autograd and linear regression (R)
PY_COURSE = "003_6019b0b13895e324.txt"  # training neural networks, PyTorch
BOOK = "004_87a9572cb53e2deb.txt"  # book chapter: autograd (R)


def cite(document: str, anchor: str) -> Source:
    """A passage of a source document, found by ``anchor`` (verbatim in the document)."""
    return Source(document, anchor)


def both_courses(py_anchor: str, r_anchor: str | None = None) -> list[Source]:
    """The PyTorch and R versions of the course document the same behaviour; the anchor is
    shared unless the R course words it differently."""
    return [cite(PY_COURSE, py_anchor), cite(R_COURSE, r_anchor or py_anchor)]


def maths(derivation: str) -> Source:
    return Source(MATHEMATICS, derivation)


def pytorch_docs(page: str, what: str) -> Source:
    """PyTorch's API documentation of ``page`` (e.g. ``torch.optim.SGD``), for ``what``."""
    return Source(PYTORCH_DOCS, f"{page}: {what}")
