"""Baselines: known failures run as strict xfails, fixed ones fail the run, stale entries are
reported, and ``--write-baseline`` writes a file that ``--baseline`` reads back."""

from __future__ import annotations

import json

import pytest

from conformance import baseline
from tests.plugin_run import TINY, WRONG_SIGN, needs_xdist, spec_source

TINY_ENGINE = f"--engine={TINY}:TinyEngine"
PASSING = spec_source(
    "passing", requires="set()", body="expect_close(engine.tensor(1.0), 1.0, what='x')"
)


def with_baseline(run, text: str, *specs: str, engine: str = TINY_ENGINE):
    run.write(*specs)
    run.pytester.makefile(".txt", known=text)
    return run(engine, "--baseline=known.txt", "-rxX", "--conformance-report=out.json")


@pytest.mark.parametrize(
    "entry",
    [
        "demo.square_grad",
        "demo.square_grad@tiny-cpu",
        "demo.square_grad[tiny-cpu]",  # the form written before cases could be named
        "  demo.square_grad   # sign, issue 12",
    ],
    ids=["every-target", "one-target", "one-target-old-form", "with-comment"],
)
def test_listed_failure_is_an_expected_failure(run, entry):
    result = with_baseline(run, f"# known failures\n\n{entry}\n", WRONG_SIGN, PASSING)
    result.assert_outcomes(xfailed=1, passed=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["XFAIL *test_square_grad[[]tiny-cpu[]] - in baseline: demo.*"])
    data = json.loads((run.pytester.path / "out.json").read_text())
    assert {r["spec"]: r["outcome"] for r in data["results"]} == {
        "demo.square_grad": "xfailed",
        "demo.passing": "passed",
    }
    verdicts = data["verdicts"]["tiny-cpu"]
    assert verdicts["autograd.backward"]["state"] == "known-failures"
    # the known failure counts against what its spec is about only
    assert verdicts["tensor.core"]["state"] == "conforms"


def test_listed_spec_that_passes_fails_the_run(run):
    result = with_baseline(run, "demo.passing\n", PASSING)
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*[[]XPASS(strict)[]] in baseline: demo.passing*"])


def test_stale_entry_is_a_warning_naming_it(run):
    result = with_baseline(run, "demo.passing\n\ndemo.gone  # removed spec\n", WRONG_SIGN, PASSING)
    result.stdout.fnmatch_lines(
        ["*PytestWarning: baseline line 3: demo.gone matches no collected spec; remove it"]
    )
    result.stdout.no_fnmatch_line("*baseline line 1*")


def test_entry_for_a_deselected_spec_is_not_stale(run):
    run.write(WRONG_SIGN, PASSING)
    run.pytester.makefile(".txt", known="demo.square_grad\n")
    result = run(TINY_ENGINE, "--baseline=known.txt", "-k", "demo.passing")
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.no_fnmatch_line("*matches no collected spec*")


def test_entry_for_another_target_does_not_hide_a_failure(run):
    result = with_baseline(run, "demo.square_grad[torch-cpu]\n", WRONG_SIGN)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*baseline line 1: demo.square_grad[[]torch-cpu[]] matches no*"])


def test_written_baseline_lists_failures_and_round_trips(run):
    failing_elsewhere = spec_source(
        "sum_off", requires='{"tensor.ops"}', body="expect_close(engine.tensor(1.0), 2.0, what='x')"
    )
    skipped = spec_source("sgd", requires='{"optim.sgd"}', body="pass")
    run.write(WRONG_SIGN, failing_elsewhere, PASSING, skipped)
    engines = f"--engine={TINY}:TinyEngine,{TINY}:TensorsOnlyEngine"
    run(engines, "--write-baseline=known.txt").assert_outcomes(failed=3, passed=2, skipped=3)
    assert (run.pytester.path / "known.txt").read_text().splitlines() == [
        "# Specs known to fail; written by --write-baseline. One entry per line.",
        "demo.square_grad@tiny-cpu",
        "demo.sum_off@tiny-cpu",
        "demo.sum_off@tinytensors-cpu",
    ]
    result = run(engines, "--baseline=known.txt")
    result.assert_outcomes(xfailed=3, passed=2, skipped=3)
    assert result.ret == pytest.ExitCode.OK


@needs_xdist
def test_written_baseline_under_xdist(run):
    run.write(WRONG_SIGN, PASSING)
    run(TINY_ENGINE, "--write-baseline=known.txt", "-n", "2", subprocess=True)
    assert "demo.square_grad@tiny-cpu" in (run.pytester.path / "known.txt").read_text()


# -- bad baselines are usage errors ------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("demo.ok\ndemo.square_grad[tiny-cpu\n", "known.txt:2: 'demo.square_grad[[]tiny-cpu' is*"),
        (
            "Demo.Upper\n",
            "known.txt:1: 'Demo.Upper' is not 'spec.id', 'spec.id[[]case[]]', "
            "'spec.id@engine-device' or 'spec.id[[]case[]]@engine-device'",
        ),
        ("demo.a demo.b\n", "known.txt:1: 'demo.a demo.b' is not*"),
    ],
    ids=["unclosed-bracket", "upper-case", "two-on-a-line"],
)
def test_malformed_baseline_is_a_usage_error(run, text, message):
    result = with_baseline(run, text, PASSING)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert "Traceback" not in result.stderr.str()


def test_missing_baseline_is_a_usage_error(run):
    run.write(PASSING)
    result = run(TINY_ENGINE, "--baseline=missing.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: baseline file 'missing.txt' does not exist*"])


# -- read and write, without pytest ------------------------------------------------------------
def test_read_skips_comments_and_blank_lines(tmp_path):
    path = tmp_path / "known.txt"
    path.write_text(
        "# header\n\noptim.adam_bias   # all targets\n  loss.bce@mine-cuda:1\n"
        "loss.mse[float64-2x3]\nloss.l1[a]@mine-cpu\n"
    )
    entries = baseline.read(str(path))
    assert entries == [
        baseline.Entry("optim.adam_bias", None, None, 3),
        baseline.Entry("loss.bce", None, "mine-cuda:1", 4),
        baseline.Entry("loss.mse", "float64-2x3", None, 5),
        baseline.Entry("loss.l1", "a", "mine-cpu", 6),
    ]
    assert [str(entry) for entry in entries] == [
        "optim.adam_bias",
        "loss.bce@mine-cuda:1",
        "loss.mse[float64-2x3]",
        "loss.l1[a]@mine-cpu",
    ]


@pytest.mark.parametrize(
    ("entry", "spec_id", "case", "target_id", "matches"),
    [
        ((None, None), "demo.a", "", "tiny-cpu", True),
        ((None, None), "demo.a", "x", "tiny-cpu", True),  # every case
        ((None, None), "demo.b", "", "tiny-cpu", False),
        ((None, "tiny-cpu"), "demo.a", "x", "tiny-cpu", True),
        ((None, "tiny-cpu"), "demo.a", "", "tiny-cuda", False),
        (("x", None), "demo.a", "x", "tiny-cuda", True),
        (("x", None), "demo.a", "y", "tiny-cuda", False),
        (("x", "tiny-cpu"), "demo.a", "x", "tiny-cpu", True),
        (("x", "tiny-cpu"), "demo.a", "x", "tiny-cuda", False),
        (("tiny-cpu", None), "demo.a", "", "tiny-cpu", True),  # the old form: a target
        (("tiny-cpu", None), "demo.a", "", "tiny-cuda", False),
    ],
)
def test_entry_matches(entry, spec_id, case, target_id, matches):
    assert baseline.Entry("demo.a", *entry, 1).matches(spec_id, case, target_id) is matches


def test_write_then_read_round_trips(tmp_path):
    path = str(tmp_path / "known.txt")
    failures = [("demo.b", "", "x-cpu"), ("demo.a", "f64", "x-cpu"), ("demo.b", "", "x-cpu")]
    baseline.write(path, failures)
    assert [str(entry) for entry in baseline.read(path)] == ["demo.a[f64]@x-cpu", "demo.b@x-cpu"]


PARAMETRIZED = spec_source(
    "scaled",
    requires="set()",
    decorators='@pytest.mark.parametrize("factor", [1.0, 2.0], ids=["one", "two"])\n',
    arguments="engine, factor",
    body="expect_close(engine.tensor(factor), 1.0, what='x')",  # passes for one, fails for two
)


def test_one_failing_case_round_trips(run):
    run.write(PARAMETRIZED, WRONG_SIGN)
    first = run(TINY_ENGINE, "--write-baseline=known.txt")
    first.assert_outcomes(passed=1, failed=2)
    assert (run.pytester.path / "known.txt").read_text().splitlines()[1:] == [
        "demo.scaled[two]@tiny-cpu",
        "demo.square_grad@tiny-cpu",
    ]
    replay = run(TINY_ENGINE, "--baseline=known.txt")
    replay.assert_outcomes(passed=1, xfailed=2)
    assert replay.ret == pytest.ExitCode.OK


def test_a_case_entry_covers_that_case_on_every_target(run):
    run.write(PARAMETRIZED)
    run.pytester.makefile(".txt", known="demo.scaled[two]\n")
    result = run(f"--engine={TINY}:TinyEngine,{TINY}:TensorsOnlyEngine", "--baseline=known.txt")
    result.assert_outcomes(passed=2, xfailed=2)


def test_write_into_a_missing_folder_raises_a_baseline_error(tmp_path):
    with pytest.raises(baseline.BaselineError, match="cannot write baseline"):
        baseline.write(str(tmp_path / "missing" / "known.txt"), [])


def test_a_passing_listed_spec_is_stale_in_the_table_the_json_and_the_matrix(run):
    result = with_baseline(run, "demo.passing\n", PASSING)
    result.stdout.fnmatch_lines(
        ["*capability*pass*fail*stale*verdict", "*tensor.core*stale baseline"]
    )
    data = json.loads((run.pytester.path / "out.json").read_text())
    assert [r["outcome"] for r in data["results"]] == ["stale"]
    assert data["verdicts"]["tiny-cpu"]["tensor.core"]["state"] == "stale"
    from conformance import matrix

    text = matrix.as_markdown(matrix.build([matrix.load(str(run.pytester.path / "out.json"))]))
    assert "🧹 stale baseline 0/1 passed" in text
