"""docs/matrix.md is generated from fresh runs (python -m conformance matrix --regenerate-docs);
it is stale when an engine's pin, the suite's version or the catalogue changed since."""

from __future__ import annotations

import json

from conformance import catalogue, matrix_docs
from conformance import report as report_module

REGENERATE = "python -m conformance matrix --regenerate-docs"


def test_docs_matrix_is_current():
    page = (matrix_docs.REPO / matrix_docs.PAGE).read_text(encoding="utf-8")
    digest = report_module.catalogue_digest(catalogue.collect())
    reasons = matrix_docs.stale(page, matrix_docs.pins(), digest)
    assert not reasons, f"{matrix_docs.PAGE} is stale ({'; '.join(reasons)}); run {REGENERATE}"
    for engine in matrix_docs.ENGINES:
        assert f"| {engine} " in page, f"{engine} is missing from {matrix_docs.PAGE}"


def test_a_changed_pin_or_catalogue_makes_the_page_stale():
    pins = {"reference": "0.1.0", "torch": "2.13.0", "mygrad": "2.5.0"}
    stamp = {"suite": "0.1.0", "catalogue": "abc", "engines": dict(pins)}
    page = f"# page\n<!-- generated from: {json.dumps(stamp)} -->\n"
    assert matrix_docs.stale(page, pins, "abc") == []
    assert matrix_docs.stale(page, {**pins, "mygrad": "2.6.0"}, "abc") == [
        "mygrad: the page ran 2.5.0, the pin is 2.6.0"
    ]
    assert matrix_docs.stale(page, pins, "def") == ["the catalogue changed (its hash differs)"]
    assert matrix_docs.stale("# hand-written\n", pins, "abc") == [
        "the page has no 'generated from' stamp"
    ]
