"""The catalogue's own consistency: valid metadata, generated pages up to date, helpers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conformance import catalogue, contract_doc, tolerance
from conformance.expect import SpecFailure, _diagnosis, expect_close, expect_raises
from conformance.sources import DOCUMENTS
from conformance.spec import MATHEMATICS

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"
SPECS = catalogue.collect()


def test_catalogue_has_specs_in_every_chapter():
    chapters = {catalogue.chapter(s) for s in SPECS}
    assert chapters >= {
        "autograd",
        "graph",
        "loss",
        "optim",
        "data",
        "regularisation",
        "tensors",
        "examples",
        "layers",
        "basics",
    }


@pytest.mark.parametrize("info", SPECS, ids=[s.id for s in SPECS])
def test_spec_metadata_is_valid(info):
    assert info.problems(set(DOCUMENTS)) == []


def test_every_source_document_is_cited():
    cited = {source.document for s in SPECS for source in s.sources}
    assert cited - {MATHEMATICS} == set(DOCUMENTS)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the source documents are not beside the repo")
def test_known_documents_match_the_seed_folder():
    assert {p.name for p in SEEDS.glob("*.txt")} == set(DOCUMENTS)


@pytest.mark.parametrize(
    ("page", "render"),
    [
        ("catalogue.md", lambda: catalogue.as_markdown(SPECS)),
        ("contract.md", contract_doc.as_markdown),
    ],
)
def test_generated_page_is_up_to_date(page, render):
    committed = (REPO / "docs" / page).read_text(encoding="utf-8")
    assert committed == render(), f"docs/{page} is stale: run python -m conformance docs"


# -- helpers -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("got", "expected", "hint"),
    [
        ([-1.0, -2.0], [1.0, 2.0], "wrong sign"),
        ([2.0, 4.0], [1.0, 2.0], "expected times 2"),
        ([np.nan], [1.0], "NaN"),
        ([np.inf], [1.0], "inf"),
        ([1.0, 5.0], [1.0, 2.0], ""),
    ],
)
def test_diagnosis_tells_kinds_of_error_apart(got, expected, hint):
    found = _diagnosis(np.array(got), np.array(expected))
    assert (hint in found) if hint else found == ""


def test_rounding_error_within_the_float32_table_passes():
    expect_close(np.float32(0.24131133), 0.241311296657157, what="cross-entropy")


def test_float32_tolerance_rejects_a_wrong_digit():
    with pytest.raises(SpecFailure, match=r"allowed .*float32 table"):
        expect_close(np.float32(0.2414), 0.241311296657157, what="cross-entropy")


def test_float64_is_held_to_the_float64_table():
    with pytest.raises(SpecFailure):
        expect_close(np.float64(0.24131133), 0.241311296657157, what="cross-entropy")


def test_shape_is_checked_before_values():
    with pytest.raises(SpecFailure, match=r"shape mismatch.*\n.*shape \(2,\)"):
        expect_close(np.zeros((2, 1)), np.zeros(2), what="x")


def test_expect_raises_fails_when_nothing_is_raised():
    with pytest.raises(SpecFailure, match="no exception was raised"):
        with expect_raises(what="an error"):
            pass


def test_integer_dtypes_compare_exactly():
    assert tolerance.for_dtype("int64").rtol == 0 == tolerance.for_dtype("int64").atol
