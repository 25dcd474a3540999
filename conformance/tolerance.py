"""One table of comparison tolerances per dtype.

A value passes when ``|got - expected| <= atol + rtol * |expected|`` element-wise (NumPy's
``isclose`` rule). Specs use this table unless they state their own tolerance and say why.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float
    why: str = ""

    def allowed(self, expected):
        """The largest error allowed at each element of ``expected``."""
        import numpy as np

        return self.atol + self.rtol * np.abs(expected)

    def __str__(self) -> str:
        return f"rtol={self.rtol:g}, atol={self.atol:g}"


# float32 has a unit roundoff of 6e-8. Forward values in the specs go through a handful of ops,
# so 1e-5 relative (about 170 roundoffs) accepts every correct rounding order while a wrong
# formula, sign or factor is off by far more. Gradients go through the forward ops and their
# adjoints, so they get ten times more room. float64 (roundoff 1.1e-16) gets the same margins
# scaled down: any float64 engine computing the same formula lands far inside them.
TOLERANCES: dict[str, dict[str, Tolerance]] = {
    "float32": {
        "value": Tolerance(rtol=1e-5, atol=1e-6, why="float32 table"),
        "grad": Tolerance(rtol=1e-4, atol=1e-5, why="float32 table"),
    },
    "float64": {
        "value": Tolerance(rtol=1e-10, atol=1e-12, why="float64 table"),
        "grad": Tolerance(rtol=1e-9, atol=1e-11, why="float64 table"),
    },
}

# Integers and booleans compare exactly.
EXACT = Tolerance(rtol=0.0, atol=0.0, why="exact comparison of integer values")


def for_dtype(dtype: str, kind: str = "value") -> Tolerance:
    """The table's tolerance for an array of ``dtype`` (a NumPy dtype name)."""
    if dtype in TOLERANCES:
        return TOLERANCES[dtype][kind]
    if dtype.startswith(("float", "complex")):
        # float16/bfloat16 engines: fall back to the loosest float entry rather than failing.
        return TOLERANCES["float32"][kind]
    return EXACT
