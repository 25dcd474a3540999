"""Spec metadata is validated at collection: a malformed spec is a collection error naming the
spec and the field, before anything runs."""

from __future__ import annotations

import pytest

from conformance.spec import MATHEMATICS, Document, Source, SpecInfo, spec
from conformance.tolerance import Tolerance
from tests.plugin_run import PY_COURSE, TINY, spec_source


def collection_error(run, *specs: str) -> pytest.RunResult:
    run.write(*specs)
    result = run(f"--engine={TINY}:TinyEngine")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*Interrupted: 1 error during collection*"])
    return result


MALFORMED = {
    "bad-id": ({"id": "NoDots"}, "field 'id': 'NoDots' is not a dotted lower-case id*"),
    "id-with-space": ({"id": "demo.two words"}, "field 'id': 'demo.two words' is not*"),
    "short-behaviour": ({"behaviour": "short"}, "field 'behaviour': state the behaviour*"),
    "two-line-behaviour": (
        {"behaviour": "first line of it\\nsecond line of it"},
        "field 'behaviour': must be one line",
    ),
    "no-sources": ({"sources": "[]"}, "field 'sources': at least one Source*"),
    "source-not-a-source": ({"sources": '["a file"]'}, "field 'sources': 'a file' needs a*"),
    "source-without-section": (
        {"sources": '[Source(COURSE, "")]'},
        "field 'sources': Source(document=Document(id='003_*'), section='') needs a document and*",
    ),
    "document-not-declared": (
        {"sources": '[Source("nowhere.txt", "Intro")]'},
        "field 'sources': 'nowhere.txt' is not a conformance.Document; declare each document*",
    ),
    "unknown-capability": (
        {"requires": '{"autograd.magic", "tensor.ops"}'},
        "field 'requires': unknown capabilities ?'autograd.magic'?",
    ),
    "unknown-about": (
        {"extra": 'about="autograd.magic",'},
        "field 'about': unknown capability 'autograd.magic'",
    ),
    "tolerance-without-reason": (
        {"extra": "tolerance=Tolerance(rtol=1e-3, atol=0.0),"},
        "field 'tolerance': a spec's own tolerance must say why it differs",
    ),
    "tolerance-not-a-tolerance": (
        {"extra": "tolerance=1e-3,"},
        "field 'tolerance': must be a conformance.Tolerance",
    ),
    "false-failure-probability": (
        {"extra": "false_failure_probability=0.01,"},
        "field 'false_failure_probability': must be a float in (0, 1e-6]",
    ),
}


@pytest.mark.parametrize(("fields", "message"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_metadata_is_a_collection_error(run, fields, message):
    result = collection_error(run, spec_source(**fields))
    result.stdout.fnmatch_lines([f"malformed spec metadata on test_square_grad: {message}"])


def test_every_problem_is_listed(run):
    result = collection_error(run, spec_source(id="Bad", sources="[]"))
    result.stdout.fnmatch_lines(["*field 'id'*; field 'sources'*"])


def test_duplicate_spec_ids_name_both_specs(run, pytester):
    run.write(spec_source())
    run.write(spec_source("again", id="demo.square_grad"), name="test_other")
    result = run(f"--engine={TINY}:TinyEngine")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "spec id 'demo.square_grad' of test_again is already used by "
            "test_demo.py::test_square_grad"
        ]
    )


def test_spec_without_engine_argument_is_a_collection_error(run):
    result = collection_error(run, spec_source(arguments=""))
    result.stdout.fnmatch_lines(
        ["spec demo.square_grad (test_square_grad) must take the 'engine' argument*"]
    )


def test_plain_test_using_the_engine_fixture_fails_with_advice(run):
    run.write("")
    run.pytester.makepyfile(test_plain="def test_plain(engine):\n    pass\n")
    result = run(f"--engine={TINY}:TinyEngine")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*test_plain uses the engine fixture without @spec metadata; decorate it with*"]
    )


def test_requires_given_as_one_string(run):
    # A common slip: requires="autograd.backward" instead of a set of names.
    run.write(spec_source(requires='"autograd.backward"'))
    run(f"--engine={TINY}:TinyEngine").assert_outcomes(passed=1)


def test_valid_metadata_with_own_tolerance_and_parameters(run):
    run.write(
        spec_source(
            "scaled",
            arguments="engine, factor",
            decorators="@pytest.mark.parametrize('factor', [1.0, 2.0])\n",
            extra="tolerance=Tolerance(rtol=1e-3, atol=0.0, why='a wider example'), basic=True,",
            body="x = engine.tensor(3.0, requires_grad=True)\n(x * factor).backward()\n"
            "expect_grad(x, factor, what='x.grad')",
        )
    )
    result = run(f"--engine={TINY}:TinyEngine", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_scaled[[]tiny-cpu-1.0[]] PASSED*"])


# -- SpecInfo and @spec, without pytest --------------------------------------------------------
def test_valid_spec_has_no_problems():
    good = SpecInfo(
        id="chapter.some_name2",
        behaviour="a sentence stating the behaviour",
        sources=(Source(MATHEMATICS, "derivation"), Source(Document(PY_COURSE, "Notes"), "x")),
        requires=frozenset({"autograd.backward"}),
        tolerance=Tolerance(rtol=1e-3, atol=0.0, why="stated"),
        false_failure_probability=1e-9,
    )
    assert good.problems() == []
    assert good.capabilities == {"autograd.backward", "tensor.core"}


def test_spec_decorator_records_metadata_and_keeps_the_function():
    def body(engine):
        return "ran"

    decorated = spec(
        id="demo.recorded",
        behaviour="the decorator records everything",
        sources=Source(MATHEMATICS, "one source, not in a list"),
        requires=["tensor.ops"],
    )(body)
    assert decorated is body and decorated(None) == "ran"
    recorded = body.conformance_spec
    assert recorded.id == "demo.recorded" and recorded.function == "body"
    assert recorded.sources == (Source(MATHEMATICS, "one source, not in a list"),)
    assert recorded.requires == frozenset({"tensor.ops"})


# -- about: the one capability a spec is about --------------------------------------------------
def about_info(about: str = "", *requires: str) -> SpecInfo:
    return SpecInfo(
        id="demo.x",
        behaviour="an example behaviour sentence",
        sources=(Source(MATHEMATICS, "example"),),
        requires=frozenset(requires),
        about=about,
    )


@pytest.mark.parametrize(
    ("about", "requires", "subject", "counted"),
    [
        ("autograd.accumulate", ("autograd.backward",), "autograd.accumulate", None),
        ("", ("autograd.backward",), "autograd.backward", None),  # one requirement: that one
        ("", (), "tensor.core", None),  # nothing beyond the implicit one
        (
            "",
            ("autograd.backward", "tensor.ops"),
            "",
            ["autograd.backward", "tensor.core", "tensor.ops"],
        ),
    ],
    ids=["declared", "fallback-one-requirement", "fallback-none", "fallback-ambiguous"],
)
def test_about_and_its_fallback(about, requires, subject, counted):
    info = about_info(about, *requires)
    assert info.subject == subject
    assert list(info.counted_against) == (counted or [subject])
    assert info.capabilities == {*requires, "tensor.core"} | ({about} if about else set())


def test_about_is_recorded_by_the_decorator():
    @spec(
        id="demo.x",
        behaviour="an example behaviour sentence",
        sources=[Source(MATHEMATICS, "example")],
        about="autograd.accumulate",
        requires={"autograd.backward"},
    )
    def test_x(engine): ...

    info = test_x.conformance_spec
    assert info.about == "autograd.accumulate"
    assert "autograd.accumulate" in info.capabilities and info.problems() == []


def test_a_third_party_spec_citing_its_own_document_collects(run):
    """The plugin knows no list of documents: a catalogue declares its own bibliography."""
    run.pytester.makepyfile(
        test_theirs=HEADER_OF_THIRD_PARTY
        + spec_source(sources='[Source(PAPER, "Section 2"), Source(MATHEMATICS, "d(x^2) = 2x")]')
    )
    result = run(f"--engine={TINY}:TinyEngine", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_square_grad*PASSED*"])


HEADER_OF_THIRD_PARTY = (
    "from conformance import *\n"
    "from conformance import MATHEMATICS\n"
    'PAPER = Document("smith-2031", "Gradients in our engine", author="A. Smith", '
    'where="our docs site")\n'
)
