"""Legal variants: the reference engine changed in one detail that no source document states.

They are the mirror of the mutants (tests/mutants.py): a mutant plants a bug the catalogue must
reject; a variant differs from PyTorch only where the documents are silent, and the catalogue must
accept it, with no failure in any spec it claims. A variant that fails a spec shows a spec pinning
a detail of PyTorch's that an engine following the documents need not share: a false failure.

Each variant is applied by patching one piece of ``reference_impl`` (or its adapter) for the
duration of ``with variant.applied():``, and states with ``differs`` a check that the difference
is really there, so a variant cannot pass by being a no-op.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from unittest import mock

from conformance.engines.reference_engine import ReferenceEngine


@dataclass(frozen=True)
class Variant:
    name: str
    difference: str  # what differs from PyTorch, and why no document forbids it
    patches: Callable[[], list]  # the mock.patch objects that make the difference
    differs: Callable[[ReferenceEngine], bool]  # True when the difference is observable
    declines: frozenset[str] = frozenset()  # capabilities the variant does not declare

    @contextlib.contextmanager
    def applied(self):
        with contextlib.ExitStack() as stack:
            for patch in self.patches():
                stack.enter_context(patch)
            if self.declines:
                kept = ReferenceEngine.capabilities - self.declines
                stack.enter_context(mock.patch.object(ReferenceEngine, "capabilities", kept))
            yield


VARIANTS: list[Variant] = []
