"""Loss functions: MSE, cross-entropy from logits, binary cross-entropy."""

import math

from conformance import expect_close, spec
from specs.sources import both_courses, maths

# -z_c + log(sum_j exp(z_j)) for z = [2.0, 0.5, -1.0], c = 0, evaluated in float64.
CE_EXAMPLE = -2.0 + math.log(math.exp(2.0) + math.exp(0.5) + math.exp(-1.0))


@spec(
    id="loss.cross_entropy_example",
    behaviour="cross-entropy of logits [2.0, 0.5, -1.0] with true class 0 is 0.2413",
    sources=[*both_courses("Cross-entropy loss"), maths("-2 + log(e^2 + e^0.5 + e^-1)")],
    requires={"loss.cross_entropy"},
    note="The documents print 0.2413 (PyTorch) and 0.24131132662296295 (R, float32); the spec "
    "compares with the float64 value 0.241311296657157 within the result dtype's tolerance.",
)
def test_cross_entropy_example(engine):
    logits = engine.tensor([[2.0, 0.5, -1.0]])
    target = engine.tensor([0], dtype="int64")
    expect_close(engine.cross_entropy(logits, target), CE_EXAMPLE, what="cross_entropy")
