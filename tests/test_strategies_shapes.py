"""Under the ``ci`` profile the property chapters' shapes come from a small fixed set, so that a
compiling engine reuses its kernels; other profiles draw freely. The fixed set still has what
the properties rely on: 0-d, 1-d and 2-d shapes, size-1 dimensions, broadcasting."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from conformance.specs import strategies as hs


def drawn(strategy, profile: str, examples: int = 60) -> set:
    previous = settings.get_current_profile_name()
    hs.register_profiles()
    settings.load_profile(profile)
    seen: set = set()
    try:

        @settings(max_examples=examples, database=None, deadline=None)
        @given(strategy)
        def collect(value):
            seen.add(tuple(map(tuple, value)) if isinstance(value, list) else value)

        collect()
    finally:
        settings.load_profile(previous)
    return seen


def test_ci_shapes_come_from_the_fixed_set():
    assert drawn(hs.shapes, "ci") <= set(hs.CI_SHAPES)
    assert drawn(hs.matrix_shapes, "ci") <= set(hs.CI_MATRIX_SHAPES)
    assert drawn(hs.sides, "ci") <= set(hs.CI_SIDES)
    assert drawn(hs.broadcast_pairs(), "ci") <= set(hs.CI_BROADCAST_PAIRS)


def test_other_profiles_draw_beyond_the_fixed_set():
    assert drawn(hs.shapes, "dev") - set(hs.CI_SHAPES)
    assert drawn(hs.broadcast_pairs(), "dev") - set(hs.CI_BROADCAST_PAIRS)


def test_the_fixed_set_keeps_what_the_properties_rely_on():
    dims = {len(shape) for shape in hs.CI_SHAPES}
    assert dims == {0, 1, 2} and any(1 in shape for shape in hs.CI_SHAPES)
    for left, right in hs.CI_BROADCAST_PAIRS:
        np.broadcast_shapes(left, right)  # raises if they do not broadcast
    assert any(len(a) != len(b) for a, b in hs.CI_BROADCAST_PAIRS)  # a missing dimension
    assert any(a != b and 1 in a + b for a, b in hs.CI_BROADCAST_PAIRS)  # size-1 stretching
