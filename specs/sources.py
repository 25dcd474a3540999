"""The catalogue's bibliography, and how it cites: one helper per kind of source.

``cite(document, anchor)``: the anchor occurs in the document verbatim up to whitespace (runs of
spaces and line breaks match one space; a test checks it), so a reader can find the passage;
anchors stay short (a heading, a phrase, a printed value), the spec paraphrases. An anchor that
occurs more than once in its document names the passage meant: ``cite(document, anchor,
occurrence=k)``, the k-th occurrence in reading order (the test rejects an ambiguous anchor).
``maths(derivation)``: a value that follows from mathematics. ``pytorch_docs(page, what)``: a
PyTorch convention that no document states.
"""

from conformance import MATHEMATICS, Document, Source

# The source documents, by their file names in shared/seeds/. Titles and authors are as the
# documents give them; where a document names none, the entry says so.
R_COURSE = Document(
    "000_f62b7cbb3fca057d.txt",
    "Training neural networks (course notes, R torch version)",
    author="Mark Andrews",
    where="course notes on autograd, losses, optimisers and regularisation with R torch",
)
BLOG = Document(
    "001_a4ed5dc54d2b7027.txt",
    "Introducing torch autograd",
    author="RStudio AI Blog (the post names no author in this copy)",
    where="RStudio AI Blog, the post titled 'Introducing torch autograd' (R torch)",
)
LINREG = Document(
    "002_a844684ecb0fd38f.txt",
    "Autograd and linear regression (tutorial, R torch)",
    author="not named in the document",
    where="a tutorial on torch's autograd fitting a linear regression by gradient descent",
)
PY_COURSE = Document(
    "003_6019b0b13895e324.txt",
    "Training Neural Networks (course notes, PyTorch version)",
    author="Mark Andrews",
    where="course notes on tensors, autograd, losses, optimisers and regularisation in PyTorch",
)
BOOK = Document(
    "004_87a9572cb53e2deb.txt",
    "4 Autograd (a book chapter on R torch)",
    author="not named in the chapter",
    where="chapter 4, 'Autograd', of a book on deep learning with R torch",
)
PYTORCH_DOCS = Document(
    "pytorch-api-docs",
    "PyTorch API documentation",
    author="the PyTorch project",
    where="pytorch.org/docs, the page named in each citation",
    kind="external",
)

BIBLIOGRAPHY: tuple[Document, ...] = (R_COURSE, BLOG, LINREG, PY_COURSE, BOOK, PYTORCH_DOCS)
"""Every document the catalogue may cite (a test checks that specs cite only these)."""

SEED_DOCUMENTS: tuple[Document, ...] = tuple(d for d in BIBLIOGRAPHY if d.kind == "document")


def cite(document: Document, anchor: str, occurrence: int | None = None) -> Source:
    """A passage of a source document, found by ``anchor`` (verbatim up to whitespace in the
    document); ``occurrence`` (from 1) says which, where the anchor occurs more than once."""
    return Source(document, anchor, occurrence)


def both_courses(
    py_anchor: str, r_anchor: str | None = None, occurrence: int | None = None
) -> list[Source]:
    """The PyTorch and R versions of the course document the same behaviour; the anchor is
    shared unless the R course words it differently, and so is ``occurrence`` (the two courses
    run in the same order)."""
    return [
        cite(PY_COURSE, py_anchor, occurrence),
        cite(R_COURSE, r_anchor or py_anchor, occurrence),
    ]


def maths(derivation: str) -> Source:
    return Source(MATHEMATICS, derivation)


def pytorch_docs(page: str, what: str) -> Source:
    """PyTorch's API documentation of ``page`` (e.g. ``torch.optim.SGD``), for ``what``."""
    return Source(PYTORCH_DOCS, f"{page}: {what}")
