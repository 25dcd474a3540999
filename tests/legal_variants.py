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


# -- capabilities: an engine without one PyTorch convention keeps every spec that does not use it


def _refuse(what: str):
    def refuse(*args, **kwargs):
        raise RuntimeError(f"this engine has no {what}")

    return refuse


def _refuses(engine: ReferenceEngine, method: str, *args, **kwargs) -> bool:
    try:
        getattr(engine, method)(*args, **kwargs)
    except RuntimeError:
        return True
    return False


def _loader_without_split_differs(engine: ReferenceEngine) -> bool:
    dataset = engine.tensor_dataset(engine.zeros(4))
    loads = len(list(engine.data_loader(dataset, batch_size=2))) == 2
    return loads and _refuses(engine, "random_split", dataset, [2, 2], seed=0)


VARIANTS.append(
    Variant(
        name="loader_without_random_split",
        difference="datasets and a DataLoader but no random_split: the documents split with it, "
        "but an engine can batch and take subsets without offering it",
        patches=lambda: [
            mock.patch.object(ReferenceEngine, "random_split", _refuse("random_split")),
            mock.patch.object(ReferenceEngine, "subset_indices", _refuse("random_split")),
        ],
        differs=_loader_without_split_differs,
        declines=frozenset({"data.random_split"}),
    )
)

VARIANTS.append(
    Variant(
        name="no_seeding",
        difference="no seedable global generator (manual_seed raises): no document seeds one, "
        "so dropout, randint, shuffling and Linear layers draw unseeded",
        patches=lambda: [
            mock.patch.object(ReferenceEngine, "manual_seed", _refuse("seedable generator")),
        ],
        differs=lambda engine: _refuses(engine, "manual_seed", 0),
        declines=frozenset({"random.manual_seed"}),
    )
)
