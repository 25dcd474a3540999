"""The catalogue must accept every legal variant (tests/legal_variants.py): no spec it claims
fails, in the worked examples and the property chapters alike."""

from __future__ import annotations

import pytest

from conformance.engines.reference_engine import ReferenceEngine
from tests.catalogue_run import run_catalogue
from tests.legal_variants import VARIANTS


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_variant_differs(variant):
    with variant.applied():
        assert variant.differs(ReferenceEngine()), (
            f"variant {variant.name} ({variant.difference}) does not show its difference"
        )


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_variant_passes_every_claimed_spec(pytester, variant):
    with variant.applied():
        results = run_catalogue(pytester, "reference")
    assert results, "the catalogue ran no spec"
    failed = [
        f"{r['spec']}[{r['case']}]: {r['message']}" for r in results if r["outcome"] == "failed"
    ]
    assert not failed, f"legal variant {variant.name} ({variant.difference}) fails:\n" + "\n".join(
        failed
    )
