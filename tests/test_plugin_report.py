"""Selecting specs by capability and id, the verdict table and the JSON report."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from conformance import report
from tests.plugin_run import TINY, needs_xdist, spec_source

# One spec of each fate: on the tiny engine add_backward and square_grad pass, the SGD spec is
# skipped (no optim.sgd) and wrong_sum fails; on the broken-add engine add_backward fails and
# square_grad is blocked by it.
MIXED = (
    spec_source(
        "add_backward",
        extra="basic=True,",
        body="x = engine.tensor(1.0, requires_grad=True)\n(x + x).backward()\n"
        "expect_grad(x, 2.0, what='x.grad')",
    ),
    # through an addition, so on tinybrokenadd it fails too when run, and reads "blocked"
    spec_source(
        "square_grad",
        body="x = engine.tensor(3.0, requires_grad=True)\n(x * x + 1).backward()\n"
        "expect_grad(x, 6.0, what='x.grad')",
    ),
    spec_source("sgd_step", requires='{"optim.sgd"}', body="engine.sgd([], lr=0.1)"),
    spec_source(
        "wrong_sum",
        requires='{"tensor.ops"}',
        body="expect_close(engine.tensor([1.0, 2.0]).sum(), 4.0, what='sum')",
    ),
)
TWO_ENGINES = f"--engine={TINY}:TinyEngine,{TINY}:BrokenAddBackwardEngine"

SPEC_OUTCOMES = {
    ("demo.add_backward", "tiny-cpu"): "passed",
    ("demo.square_grad", "tiny-cpu"): "passed",
    ("demo.sgd_step", "tiny-cpu"): "skipped",
    ("demo.wrong_sum", "tiny-cpu"): "failed",
    ("demo.add_backward", "tinybrokenadd-cpu"): "failed",
    ("demo.square_grad", "tinybrokenadd-cpu"): "blocked",
    ("demo.sgd_step", "tinybrokenadd-cpu"): "skipped",
    ("demo.wrong_sum", "tinybrokenadd-cpu"): "failed",
}


# -- selection ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("selection", "selected"),
    [
        (["-m", "optim.sgd"], ["test_sgd_step"]),
        (["-m", "autograd.backward and not basic"], ["test_square_grad"]),
        (["-m", "basic"], ["test_add_backward"]),
        (["-m", "tensor.ops or optim.sgd"], ["test_sgd_step", "test_wrong_sum"]),
        (["-k", "demo.square_grad"], ["test_square_grad"]),  # the spec id, not the test name
        (["-k", "demo.wrong_sum or demo.sgd_step"], ["test_sgd_step", "test_wrong_sum"]),
    ],
    ids=["marker", "marker-and-not", "basic", "marker-or", "spec-id", "spec-ids"],
)
def test_select_by_capability_and_spec_id(run, selection, selected):
    run.write(*MIXED)
    result = run(f"--engine={TINY}:TinyEngine", "--collect-only", "-q", *selection)
    (finish,) = result.reprec.getcalls("pytest_collection_finish")
    tests = [item.originalname for item in finish.session.items]
    assert sorted(tests) == selected


def test_strict_markers_accepts_capability_markers(run):
    run.write(*MIXED)
    result = run(f"--engine={TINY}:TinyEngine", "--strict-markers", "-m", "optim.sgd")
    result.assert_outcomes(skipped=1, deselected=3)
    assert result.ret == pytest.ExitCode.OK


def test_markers_are_registered_with_descriptions(run):
    result = run(f"--engine={TINY}:TinyEngine", "--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.basic: a basic spec that other specs rely on",
            "@pytest.mark.optim.sgd: specs requiring SGD optimiser*",
        ]
    )


# -- the verdict table and the JSON report -----------------------------------------------------
def test_verdict_table(run):
    run.write(*MIXED)
    result = run(TWO_ENGINES)
    result.stdout.fnmatch_lines(
        [
            "*= conformance verdict =*",
            "tiny-cpu (tiny 0.0.1)",
            "  capability *pass  fail  block  skip  xfail  verdict",
            "  autograd.backward *2     0      0     0      0  conforms",
            "  tensor.ops *0     1      0     0      0  FAILS",
            "  not claimed *pass  fail  block  skip  xfail  verdict",
            "  optim.sgd *0     0      0     1      0  not claimed",
            "tinybrokenadd-cpu (tinybrokenadd 0.0.1)",
            "  capability *pass  fail  block  skip  xfail  verdict",
            "  autograd.backward *0     1      1     0      0  FAILS",
        ]
    )


def test_failure_counts_against_what_the_spec_is_about(run):
    # Fails in its forward value: a fault of tensor.ops, not of autograd.backward that it uses.
    run.write(
        spec_source(
            "sum_then_backward",
            requires='{"autograd.backward"}',
            extra='about="tensor.ops",',
            body="x = engine.tensor([1.0, 2.0], requires_grad=True)\n"
            "expect_close(x.sum(), 4.0, what='sum')",
        )
    )
    result = run(f"--engine={TINY}:TinyEngine", "--conformance-report=out.json")
    result.stdout.fnmatch_lines(["  tensor.ops *0     1      0     0      0  FAILS"])
    result.stdout.no_fnmatch_line("  autograd.backward *")
    result.stdout.no_fnmatch_line("  tensor.core *")


def test_table_stays_aligned_for_long_capability_names():
    long = "autograd.nonleaf_grad_warning"
    results = [
        report.Result("demo.a", "", "e-cpu", long, [long], True, "passed"),
        report.Result("demo.b", "", "e-cpu", "tensor.ops", ["tensor.ops"], True, "failed"),
        report.Result("demo.c", "", "e-cpu", "optim.sgd", ["optim.sgd"], False, "skipped"),
    ]
    table = report.lines(results, {"e-cpu": "e 1"}, {"e-cpu": frozenset({long, "tensor.ops"})})
    assert table[0] == "e-cpu (e 1)"
    headers = [line for line in table if line.endswith("verdict")]
    rows = [line for line in table[1:] if line not in headers]
    assert len(headers) == 2 and len(rows) == 3
    column = headers[0].index("verdict")
    assert all(header.index("verdict") == column for header in headers)
    assert [row[column:] for row in rows] == ["conforms", "FAILS", "not claimed"]
    assert all(row[column - 2 : column] == "  " and row[column - 3].isdigit() for row in rows)


def read_report(run, *args: str, subprocess: bool = False) -> dict:
    run.write(*MIXED)
    run(TWO_ENGINES, "--conformance-report=out.json", *args, subprocess=subprocess)
    return json.loads((run.pytester.path / "out.json").read_text())


def test_json_report(run):
    data = read_report(run)
    assert (data["format"], data["version"]) == ("autograd-conformance-report", 1)
    assert set(data) == {
        "format",
        "version",
        "suite",
        "environment",
        "options",
        "engines",
        "targets",
        "results",
        "verdicts",
    }
    assert data["suite"]["version"] == report.suite_version() != ""
    assert len(data["suite"]["catalogue"]) == 64
    assert data["environment"]["pytest"] == pytest.__version__
    assert data["options"] == {
        "probe_undeclared": False,
        "baseline": None,
        "baseline_unmatched": [],
    }
    assert [e["name"] for e in data["engines"]] == ["tiny", "tinybrokenadd"]
    assert data["engines"][0] == {
        "name": "tiny",
        "version": "0.0.1",
        "devices": ["cpu"],
        "capabilities": ["autograd.backward", "tensor.core", "tensor.ops"],
    }
    assert data["targets"][1] == {
        "id": "tinybrokenadd-cpu",
        "engine": "tinybrokenadd",
        "device": "cpu",
    }
    assert {(r["spec"], r["target"]): r["outcome"] for r in data["results"]} == SPEC_OUTCOMES
    by_id = {(r["spec"], r["target"]): r for r in data["results"]}
    blocked = by_id["demo.square_grad", "tinybrokenadd-cpu"]
    assert blocked["message"].startswith("Skipped: blocked by basic spec demo.add_backward")
    failed = by_id["demo.add_backward", "tinybrokenadd-cpu"]
    assert failed["message"].startswith(
        "spec demo.add_backward failed on tinybrokenadd (cpu): x.grad is not close"
    )
    assert (
        "run(test_add_backward, engine='tests.tiny_engine:BrokenAddBackwardEngine'"
        in (failed["reproduction"])
    )
    assert set(failed) == {
        "spec",
        "case",
        "target",
        "about",
        "capabilities",
        "claimed",
        "outcome",
        "message",
        "duration",
        "behaviour",
        "sources",
        "reproduction",
    }
    assert (failed["case"], failed["about"], failed["claimed"]) == ("", "autograd.backward", True)
    assert failed["behaviour"] == "for y = x**2 at x = 3 the gradient is 6"
    assert failed["sources"] == ["003_6019b0b13895e324.txt § Autograd"]
    assert failed["duration"] >= 0
    sgd = by_id["demo.sgd_step", "tiny-cpu"]
    assert (sgd["capabilities"], sgd["claimed"]) == (["optim.sgd", "tensor.core"], False)
    assert data["verdicts"]["tiny-cpu"]["optim.sgd"] == {
        **dict.fromkeys(report.OUTCOMES, 0),
        "skipped": 1,
        "state": "not-claimed",
        "claimed": False,
    }
    backward = data["verdicts"]["tinybrokenadd-cpu"]["autograd.backward"]
    assert (backward["failed"], backward["blocked"], backward["state"]) == (1, 1, "fails")
    assert backward["claimed"] is True


def test_json_report_keeps_whole_messages(run):
    body = "expect_equal(list(range(400)), list(range(1, 401)), what='the indices')"
    run.write(spec_source("long_message", requires="set()", body=body))
    run(f"--engine={TINY}:TinyEngine", "--conformance-report=out.json")
    (result,) = json.loads((run.pytester.path / "out.json").read_text())["results"]
    assert result["message"].startswith("spec demo.long_message failed on tiny (cpu): the indices")
    assert result["message"] == result["message"].strip() and "source:" in result["message"]


def test_catalogue_digest_follows_the_spec_metadata():
    from tests.test_plugin_blocking import info

    one, two = info("a", "tensor.ops"), info("b", "autograd.backward")
    assert report.catalogue_digest([one, two]) == report.catalogue_digest([two, one])
    changed = info("b", "autograd.backward", basic=True)
    assert report.catalogue_digest([one, two]) != report.catalogue_digest([one, changed])


@needs_xdist
def test_json_report_under_xdist(run):
    data = read_report(run, "-n", "2", subprocess=True)
    assert {(r["spec"], r["target"]): r["outcome"] for r in data["results"]} == SPEC_OUTCOMES
    # the digest comes from a worker, which collected the specs
    assert data["suite"]["catalogue"] == read_report(run)["suite"]["catalogue"]


@pytest.mark.parametrize("option", ["--conformance-report", "--write-baseline"])
def test_output_into_a_missing_folder_is_a_usage_error(run, option):
    run.write(*MIXED)
    result = run(f"--engine={TINY}:TinyEngine", f"{option}=no/such/folder/out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {option}=no/such/folder/out: the folder * not exist"])


# -- verdicts, without pytest ------------------------------------------------------------------
def test_a_stale_entry_is_a_state_of_its_own():
    counts = {**dict.fromkeys(report.OUTCOMES, 0), "passed": 2, "stale": 1, "xfailed": 1}
    assert report.verdict(counts, True) == "stale"
    assert report.verdict({**counts, "failed": 1}, True) == "fails"  # a failure comes first


@pytest.mark.parametrize(
    ("counts", "claimed", "verdict"),
    [
        ({"passed": 3}, True, "conforms"),
        ({"passed": 3, "failed": 1, "blocked": 2}, True, "fails"),
        ({"passed": 3, "blocked": 1}, True, "blocked"),
        ({"passed": 3, "xfailed": 1}, True, "known-failures"),
        ({"passed": 3, "skipped": 1}, True, "conforms"),  # skipped for a missing prerequisite
        ({"skipped": 2}, True, "skipped"),
        ({"xfailed": 1, "skipped": 1}, True, "known-failures"),
        ({"skipped": 2}, False, "not-claimed"),
        ({"passed": 2, "skipped": 1}, False, "would-pass"),
        ({"passed": 2, "failed": 1, "absent": 1}, False, "deviates"),
        ({"passed": 2, "absent": 1}, False, "absent"),
    ],
)
def test_verdict(counts, claimed, verdict):
    assert report.verdict({**dict.fromkeys(report.OUTCOMES, 0), **counts}, claimed) == verdict


def fake_report(outcome: str, **attributes) -> SimpleNamespace:
    """What outcome_of reads of a pytest TestReport."""
    flags = {name: outcome == name for name in ("passed", "failed", "skipped")}
    return SimpleNamespace(**flags, **attributes)


@pytest.mark.parametrize(
    ("outcome", "attributes", "blocked", "expected"),
    [
        ("passed", {}, False, "passed"),
        ("skipped", {}, False, "skipped"),
        ("skipped", {}, True, "blocked"),
        ("skipped", {"wasxfail": "in baseline"}, False, "xfailed"),
        ("failed", {}, False, "failed"),
        # a strict XPASS arrives as a failure with pytest's mark: a stale baseline entry
        ("failed", {"longrepr": "[XPASS(strict)] in baseline: demo.a"}, False, "stale"),
        ("passed", {"wasxfail": "flaky"}, False, "passed"),  # a non-strict XPASS
    ],
)
def test_outcome_of(outcome, attributes, blocked, expected):
    assert report.outcome_of(fake_report(outcome, **attributes), blocked) == expected


# -- the parametrized case, from the item's CallSpec -------------------------------------------
CASES = spec_source(
    "cases",
    requires="set()",
    decorators='@pytest.mark.parametrize("n", [1, 2], ids=["one", "two-x"])\n'
    '@pytest.mark.parametrize("dtype", ["float32"])\n',
    arguments="engine, n, dtype",
    body="expect_close(engine.tensor(float(n), dtype=dtype), 1.0, what='n')",
)


def test_each_record_names_its_case_apart_from_the_target(run):
    run.write(CASES, MIXED[1])
    run(TWO_ENGINES, "--conformance-report=out.json")
    data = json.loads((run.pytester.path / "out.json").read_text())
    found = {(r["spec"], r["case"], r["target"]): r["outcome"] for r in data["results"]}
    assert found == {
        # pytest joins the ids of stacked parametrize marks from the innermost out
        ("demo.cases", "float32-one", "tiny-cpu"): "passed",
        ("demo.cases", "float32-two-x", "tiny-cpu"): "failed",
        ("demo.cases", "float32-one", "tinybrokenadd-cpu"): "passed",
        ("demo.cases", "float32-two-x", "tinybrokenadd-cpu"): "failed",
        ("demo.square_grad", "", "tiny-cpu"): "passed",
        ("demo.square_grad", "", "tinybrokenadd-cpu"): "failed",  # it adds; no basic spec here
    }


@pytest.mark.parametrize(
    ("callspec_id", "target", "case"),
    [
        ("tiny-cpu", "tiny-cpu", ""),
        ("tiny-cpu-float64", "tiny-cpu", "float64"),
        ("a-b-tiny-cpu", "tiny-cpu", "a-b"),
        ("a-tiny-cpu-b", "tiny-cpu", "a-b"),
    ],
)
def test_case_without_the_id_list(callspec_id, target, case):
    from conformance.plugin import case_of

    item = SimpleNamespace(
        callspec=SimpleNamespace(id=callspec_id, params={"engine": SimpleNamespace(id=target)})
    )
    assert case_of(item) == case
