"""The catalogue's own consistency: valid metadata, citations found in their documents, generated
pages up to date, paraphrase. (Its teeth are in test_planted_torch.py.)"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import catalogue, contract_doc
from conformance.capabilities import CAPABILITIES, documents_only
from conformance.sources import anchor_problems
from conformance.spec import MATHEMATICS, Source
from conformance.specs.sources import BIBLIOGRAPHY, PYTORCH_DOCS, SEED_DOCUMENTS
from conformance.specs.sources import PY_COURSE as PY_COURSE_DOCUMENT

if importlib.util.find_spec("torch") is not None:
    # Imported with this module, before pytester snapshots sys.modules, so that the in-process
    # runs below reuse it instead of importing torch's extension modules a second time.
    import torch

    from conformance.engines.torch_engine import TorchEngine
else:  # the planted engines below are then never instantiated (their tests skip)
    torch = None
    TorchEngine = object

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
    assert info.problems() == []


def test_specs_cite_exactly_the_bibliography():
    cited = {source.document for s in SPECS for source in s.sources}
    assert cited - {MATHEMATICS} == set(BIBLIOGRAPHY)


def test_every_document_of_the_bibliography_can_be_looked_up():
    for document in BIBLIOGRAPHY:
        assert document.title and document.author and document.where, document.id


NO_SEEDS = f"the source documents are not beside the repository (looked in {SEEDS})"


@pytest.mark.skipif(not SEEDS.is_dir(), reason=NO_SEEDS)
def test_known_documents_match_the_seed_folder():
    assert {p.name for p in SEEDS.glob("*.txt")} == {d.id for d in SEED_DOCUMENTS}


def seed_texts() -> dict[str, str]:
    return {d.id: (SEEDS / d.id).read_text(encoding="utf-8") for d in SEED_DOCUMENTS}


@pytest.mark.skipif(not SEEDS.is_dir(), reason=NO_SEEDS)
@pytest.mark.parametrize("info", SPECS, ids=[s.id for s in SPECS])
def test_every_anchor_occurs_in_its_document(info):
    assert anchor_problems(info.sources, seed_texts()) == []


@pytest.mark.skipif(not SEEDS.is_dir(), reason=NO_SEEDS)
def test_an_anchor_edited_to_other_text_is_caught():
    """The check has teeth: each spec's metadata, copied with one document anchor edited to text
    that is not in the document, fails it."""
    texts = seed_texts()
    edited = 0
    for info in SPECS:
        for i, source in enumerate(info.sources):
            if source.document in SEED_DOCUMENTS:
                changed = Source(source.document, source.section + " (edited)")
                copy = [*info.sources[:i], changed, *info.sources[i + 1 :]]
                assert anchor_problems(copy, texts) == [
                    f"{changed}: the anchor does not occur in {source.document}"
                ], info.id
                edited += 1
    assert edited >= len(SPECS)


@pytest.mark.skipif(not SEEDS.is_dir(), reason=NO_SEEDS)
def test_passages_judged_not_executable_are_anchored_too():
    notes = catalogue.reading_notes()
    assert notes, "the reading notes of specs/reading.py are missing"
    cited = [Source(document, anchor) for document, anchor, _ in notes]
    assert anchor_problems(cited, seed_texts()) == []
    assert all(why.strip() for _, _, why in notes)


@pytest.mark.skipif(not SEEDS.is_dir(), reason=NO_SEEDS)
def test_an_ambiguous_anchor_is_rejected_unless_the_occurrence_is_named():
    """A planted citation of a value the PyTorch course prints twice (the chain rule's and the
    ReLU chain's x.grad): without ``occurrence`` it could lead a reader to either passage."""
    texts, course = seed_texts(), PY_COURSE_DOCUMENT
    ambiguous = Source(course, "tensor(12.)")
    assert anchor_problems([ambiguous], texts) == [
        f"{ambiguous}: the anchor occurs 2 times in {course}; name the occurrence meant "
        "(occurrence=k) or lengthen the anchor"
    ]
    assert anchor_problems([Source(course, "tensor(12.)", occurrence=2)], texts) == []
    beyond = Source(course, "tensor(12.)", occurrence=3)
    assert anchor_problems([beyond], texts) == [
        f"{beyond}: occurrence 3 asked for, the anchor occurs 2 times in {course}"
    ]
    longer = Source(course, "autograd handles them transparently.\ntensor(12.)")
    assert anchor_problems([longer], texts) == []


@pytest.mark.skipif(not SEEDS.is_dir(), reason=NO_SEEDS)
def test_every_named_occurrence_is_needed():
    """Each citation that names an occurrence cites an anchor that occurs more than once, so
    dropping the occurrence makes the check fail: the field is never decoration."""
    texts, named = seed_texts(), 0
    for info in SPECS:
        for source in info.sources:
            if source.occurrence is not None:
                bare = Source(source.document, source.section)
                assert anchor_problems([bare], texts), f"{info.id}: {source} is unambiguous"
                named += 1
    assert named >= 18


def test_anchors_match_up_to_whitespace():
    """The stated rule: runs of spaces and line breaks match one space, in the anchor and the
    text alike; anything else must match exactly."""
    document = SEED_DOCUMENTS[0]
    text = {document.id: "x1$grad\n 0.2500  0.2500\n[ CPUFloatType{2,2} ]"}
    assert anchor_problems([Source(document, "0.2500 0.2500 [ CPUFloatType{2,2} ]")], text) == []
    assert anchor_problems([Source(document, "0.25 0.25")], text) != []


def test_a_missing_document_text_is_reported():
    source = Source(SEED_DOCUMENTS[0], "anything")
    assert anchor_problems([source], {}) == [f"{source}: the document's text was not given"]


def is_convention(capability: str) -> bool:
    return CAPABILITIES[capability].startswith("PyTorch convention")


@pytest.mark.parametrize("info", SPECS, ids=[s.id for s in SPECS])
def test_pytorch_documentation_is_cited_only_for_conventions(info):
    """A spec whose behaviour no document states (it cites PyTorch's API documentation and no
    source document) relies on a PyTorch convention, so it sits under a capability that says so:
    an engine following only the documents can decline it."""
    kinds = {source.document for source in info.sources}
    if PYTORCH_DOCS in kinds and not kinds & set(SEED_DOCUMENTS):
        assert any(is_convention(c) for c in info.capabilities), info.id


def test_every_convention_capability_has_a_spec_about_it():
    about = {getattr(s, "about", "") for s in SPECS}
    assert {c for c in CAPABILITIES if is_convention(c)} <= about


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


def test_catalogue_page_counts_the_specs_per_document_and_for_a_documents_only_engine(tmp_path):
    """The page written by ``conformance docs`` (into a temporary folder) states, per source
    document, how many specs cite it and how many of those an engine declaring no PyTorch
    convention runs, and the total."""
    ran = subprocess.run(
        [sys.executable, "-m", "conformance", "docs", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    page = (tmp_path / "catalogue.md").read_text(encoding="utf-8")
    documented = documents_only()
    runs = [s for s in SPECS if s.capabilities <= documented]
    assert 0 < len(runs) < len(SPECS)
    assert f"a documents-only engine runs {len(runs)} of the {len(SPECS)} specs" in page
    for document in SEED_DOCUMENTS:
        citing = [s for s in SPECS if any(src.document == document for src in s.sources)]
        running = [s for s in citing if s in runs]
        row = f"| `{document.id}` | {len(citing)} | {len(running)} |"
        assert row in page, row
        assert f"{len(citing)} specs cite it; a documents-only engine runs {len(running)}" in page
    # a spec needing a convention is not counted as run
    assert not any(is_convention(c) for s in runs for c in s.capabilities)


def test_statistical_specs_are_bounded_tightly():
    """The suite's promise: a statistical spec fails a correct engine at most once in 10**9."""
    loose = {
        s.id: s.false_failure_probability
        for s in SPECS
        if s.false_failure_probability is not None and s.false_failure_probability > 1e-9
    }
    assert not loose


def test_listing_names_every_spec_with_its_sources_and_capabilities():
    table = catalogue.as_table(SPECS)
    for info in SPECS:
        assert info.id in table
        assert catalogue.short_source(info.sources[0]) in table
    assert f"{len(SPECS)} specs" in table


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


COPIED_RUN = 9  # identical consecutive words that count as a copied sentence


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the source documents are not beside the repo")
def test_specs_and_pages_paraphrase_the_documents():
    runs = set()
    for document in SEEDS.glob("*.txt"):
        w = words(document.read_text(encoding="utf-8", errors="ignore"))
        runs.update(tuple(w[i : i + COPIED_RUN]) for i in range(len(w) - COPIED_RUN + 1))
    copied = {}
    for path in [*(REPO / "specs").glob("*.py"), *(REPO / "docs").glob("*.md")]:
        w = words(path.read_text(encoding="utf-8"))
        found = [w[i : i + COPIED_RUN] for i in range(len(w) - COPIED_RUN + 1)]
        found = [" ".join(run) for run in found if tuple(run) in runs]
        if found:
            copied[path.name] = found
    assert not copied, f"sentences copied from the source documents: {copied}"


# Every case of every spec the reference engine claims, as the copy-pasteable script a failure
# prints (pytest collects the cases, repro.reproduction_of writes each as the plugin does), then
# executed outside pytest and outside the package (a fresh namespace, no __package__): a relative
# import, a parameter whose repr names nothing, or a helper left out breaks it.
REPRODUCE_EVERY_CASE = """
import sys
import pytest
import conformance.specs as package
from conformance.repro import reproduction_of
from conformance.spec import info_of

class Scripts:
    found = []

    def pytest_collection_finish(self, session):
        for item in session.items:
            target = item.callspec.params["engine"]
            if not target.undeclared(info_of(item.obj)):
                self.found.append((item.nodeid, reproduction_of(item, "reference")))

status = pytest.main(
    [package.__path__[0], "--engine=reference", "--collect-only", "-q", "-p", "no:randomly",
     "-p", "no:cacheprovider"],
    plugins=[Scripts()],
)
assert status == 0, status
problems = []
for case, script in Scripts.found:
    try:
        exec(compile(script, case, "exec"), {"__name__": "__main__"})
    except BaseException as error:
        problems.append(f"{case}: {type(error).__name__}: {error}")
print(len(Scripts.found))
print("\\n".join(problems), file=sys.stderr)
"""


def test_every_reproduction_runs_standalone(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", REPRODUCE_EVERY_CASE],
        cwd=tmp_path,  # not the checkout: the scripts must stand alone
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr[-5000:]
    ran = int(done.stdout.splitlines()[-1])  # pytest's collection output comes first
    assert ran >= 190, done.stdout[-2000:]  # the reference engine claims 199 of 204 cases
