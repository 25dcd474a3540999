"""The property chapters reject mutant engines that the worked-example chapters let through.

Each mutant runs the whole catalogue once (hypothesis profile ``mutants``: the ``ci`` examples
without shrinking, since only the verdict matters here); the named property specs must fail and,
for a ``property_only`` mutant, no spec of the other chapters may. The kill matrix printed by
tests/conftest.py shows, per mutant, the chapters and specs that caught it.
"""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings

from conformance.specs.strategies import FIXED_SHAPE_PROFILES, register_profiles
from tests.catalogue_run import failing, matches, run_catalogue
from tests.property_mutants import PROPERTY_MUTANTS

register_profiles()
settings.register_profile(
    "mutants", settings.get_profile("ci"), phases=[Phase.explicit, Phase.generate]
)
# The ci profile's fixed shapes too: a mutant must be caught with the shapes CI gates with.
FIXED_SHAPE_PROFILES.add("mutants")


@pytest.mark.parametrize("mutant", PROPERTY_MUTANTS, ids=[m.name for m in PROPERTY_MUTANTS])
def test_property_mutant_is_caught(pytester, record_property, mutant):
    with mutant.applied():
        results = run_catalogue(pytester, "reference", "--hypothesis-profile=mutants")
    failed = failing(results)
    record_property("mutant_kills", (mutant.name, sorted({r["spec"] for r in failed})))
    missed = [wanted for wanted in mutant.catches if not any(matches(r, wanted) for r in failed)]
    assert not missed, f"mutant {mutant.name} ({mutant.bug}) was not caught by {missed}"
    if mutant.property_only:
        seeds = sorted({r["spec"] for r in failed if not r["spec"].startswith("properties.")})
        assert not seeds, f"{mutant.name} is also caught by the worked examples: {seeds}"
