"""Executable specs of documented autograd semantics, runnable against any PyTorch-like engine.

Spec authors import everything they need from here::

    from conformance import Source, spec, expect_close, expect_grad

The assertion helpers are loaded on first use: the plugin is imported into every pytest session
of an environment the suite is installed in, and a session that runs no spec should not pay for
(or be changed by) NumPy, which they need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from conformance.engine import Engine
from conformance.running import SpecFailure
from conformance.spec import MATHEMATICS, Document, Source, spec
from conformance.tolerance import Tolerance

if TYPE_CHECKING:
    from conformance.expect import (
        expect_close,
        expect_dtype,
        expect_equal,
        expect_grad,
        expect_no_grad,
        expect_raises,
        expect_shape,
        expect_true,
    )

__all__ = [
    "MATHEMATICS",
    "Document",
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
HELPERS = tuple(name for name in __all__ if name.startswith("expect_"))  # from conformance.expect


def __getattr__(name: str) -> Any:
    if name not in HELPERS:
        raise AttributeError(f"module 'conformance' has no attribute {name!r}")
    value = getattr(importlib.import_module("conformance.expect"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *HELPERS})
