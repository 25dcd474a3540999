"""Executable specs of documented autograd semantics, runnable against any PyTorch-like engine.

Spec authors import everything they need from here::

    from conformance import Source, spec, expect_close, expect_grad
"""

from conformance.engine import Engine
from conformance.expect import (
    SpecFailure,
    expect_close,
    expect_dtype,
    expect_equal,
    expect_grad,
    expect_no_grad,
    expect_raises,
    expect_shape,
    expect_true,
)
from conformance.spec import MATHEMATICS, Source, spec
from conformance.tolerance import Tolerance

__all__ = [
    "MATHEMATICS",
    "Engine",
    "Source",
    "SpecFailure",
    "Tolerance",
    "expect_close",
    "expect_dtype",
    "expect_equal",
    "expect_grad",
    "expect_no_grad",
    "expect_raises",
    "expect_shape",
    "expect_true",
    "spec",
]
