"""Short names for the source documents and their sections, so spec metadata reads briefly."""

from conformance import MATHEMATICS, Source

R_COURSE = "000_f62b7cbb3fca057d.txt"  # training neural networks, R torch
BLOG = "001_a4ed5dc54d2b7027.txt"  # introducing torch autograd (R)
LINREG = "002_a844684ecb0fd38f.txt"  # autograd and linear regression (R)
PY_COURSE = "003_6019b0b13895e324.txt"  # training neural networks, PyTorch
BOOK = "004_87a9572cb53e2deb.txt"  # book chapter: autograd (R)


def both_courses(section: str) -> list[Source]:
    """The PyTorch and R versions of the course document the same behaviour."""
    return [Source(PY_COURSE, section), Source(R_COURSE, section)]


def maths(derivation: str) -> Source:
    return Source(MATHEMATICS, derivation)
