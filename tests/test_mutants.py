"""The catalogue must reject every mutant engine, by the specs the mutant names, and accept the
correct engines. The kill matrix (mutant x failing specs) is printed at the end of the run."""

from __future__ import annotations

import pytest

from conformance.capabilities import ALTERNATIVES
from tests.catalogue_run import SPECS, failing, matches, requires_torch, run_catalogue
from tests.mutants import MUTANTS

PROPERTY_CHAPTERS = SPECS / "test_properties_*.py"


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_caught(pytester, record_property, mutant):
    with mutant.applied():
        # the worked-example chapters name these catches; the property chapters'
        # mutants run in tests/test_property_mutants.py
        results = run_catalogue(pytester, "reference", f"--ignore-glob={PROPERTY_CHAPTERS}")
    failed = failing(results)
    # reaches the kill matrix in tests/conftest.py, also from pytest-xdist workers
    record_property("mutant_kills", (mutant.name, sorted({r["spec"] for r in failed})))
    missed = [wanted for wanted in mutant.catches if not any(matches(r, wanted) for r in failed)]
    assert not missed, f"mutant {mutant.name} ({mutant.bug}) was not caught by {missed}"


@pytest.mark.parametrize("engine", ["reference", pytest.param("torch", marks=requires_torch)])
def test_correct_engine_passes_everything(pytester, engine):
    results = run_catalogue(pytester, engine)
    assert results, "the catalogue ran no spec"
    # The documents' side of each PyTorch/document alternative is not declared by these engines.
    declined = set(ALTERNATIVES.values())
    bad = [
        f"{r['spec']}[{r['case']}]: {r['outcome']}"
        for r in results
        if r["outcome"] != "passed" and not (r["outcome"] == "skipped" and r["about"] in declined)
    ]
    assert not bad, f"{engine} does not pass every spec:\n" + "\n".join(bad)


@requires_torch
def test_reference_and_torch_agree(pytester):
    results = run_catalogue(pytester, "reference,torch")
    outcomes: dict[str, dict[str, str]] = {}
    for r in results:
        case = f"{r['spec']}[{r['case']}]"
        outcomes.setdefault(case, {})[r["target"]] = r["outcome"]
    differ = {
        case: by_target
        for case, by_target in outcomes.items()
        if len(set(by_target.values())) != 1 or len(by_target) != 2
    }
    assert not differ, f"outcomes differ between reference and torch: {differ}"
