"""The pytest plugin's behaviour, run through pytester on small spec files."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conformance.capabilities import CAPABILITIES
from tests.catalogue_run import requires_torch

REPO = Path(__file__).resolve().parent.parent
SPECS = REPO / "specs"
FAKES = "tests.fake_engines"
PY_COURSE = "003_6019b0b13895e324.txt"

SQUARE_SPEC = f"""
from conformance import Source, expect_grad, spec

@spec(
    id="demo.square_grad",
    behaviour="for y = x**2 at x = 3 the gradient is 6",
    sources=[Source("{PY_COURSE}", "Autograd")],
    requires={{"autograd.backward"}},
)
def test_square_grad(engine):
    x = engine.tensor(3.0, requires_grad=True)
    (x ** 2).backward()
    expect_grad(x, 6.0, what="x.grad")
"""


@pytest.fixture
def run(pytester, monkeypatch):
    """Run pytest in-process on files written into the pytester dir, with -p no:randomly."""
    monkeypatch.syspath_prepend(str(REPO))  # tests.fake_engines importable as an adapter

    def runner(*args, subprocess=False):
        go = pytester.runpytest_subprocess if subprocess else pytester.runpytest_inprocess
        if subprocess:
            monkeypatch.setenv("PYTHONPATH", str(REPO))
        return go("-p", "no:randomly", "-p", "no:cacheprovider", *args)

    return runner


def write_spec(pytester, source=SQUARE_SPEC, name="test_demo"):
    pytester.makepyfile(**{name: source})


# -- discovery ---------------------------------------------------------------------------------
def test_help_lists_every_option(run):
    result = run("--help")
    for option in (
        "--engine",
        "--device",
        "--spec-timeout",
        "--conformance-report",
        "--baseline",
        "--write-baseline",
        "--isolate",
    ):
        result.stdout.fnmatch_lines([f"*{option}*"])
    result.stdout.fnmatch_lines(["*autograd conformance*"])


def test_builtin_engine_by_name(run, pytester):
    write_spec(pytester)
    result = run("--engine=reference")
    result.assert_outcomes(passed=1)
    total = len(CAPABILITIES)
    result.stdout.fnmatch_lines(
        [f"engine reference *: devices ?'cpu'?, {total}/{total} capabilities"]
    )


def test_engine_by_module_path(run, pytester):
    write_spec(pytester)
    result = run(f"--engine={FAKES}:reference_factory", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_square_grad?reference-cpu? PASSED*"])


def test_engine_by_entry_point(run, pytester, monkeypatch):
    from importlib.metadata import EntryPoint

    import conformance.discovery as discovery

    entry = EntryPoint("plugged", f"{FAKES}:TwoDeviceEngine", discovery.GROUP)
    monkeypatch.setattr(discovery, "entry_points", lambda group: [entry])
    write_spec(pytester)
    result = run("--engine=plugged", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_square_grad?twodevice-cpu? PASSED*"])


def test_several_engines_parametrize_every_spec(run, pytester):
    write_spec(pytester)
    result = run(f"--engine=reference,{FAKES}:TwoDeviceEngine", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*[[]reference-cpu[]] PASSED*", "*[[]twodevice-cpu[]] PASSED*"])


# -- usage errors ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--engine=nope", "unknown engine 'nope'. Available engines: reference, torch*"),
        ("--engine=no_such_module_xyz:make", "*cannot import 'no_such_module_xyz'*"),
        (f"--engine={FAKES}:missing", "*has no 'missing'*"),
        (f"--engine={FAKES}:raising_factory", "*factory raised ValueError: no licence key*"),
        (f"--engine={FAKES}:not_an_engine", "*returned object, not an instance of*Engine*"),
        (
            f"--engine={FAKES}:UnknownCapabilityEngine",
            "*unknown capabilities ?'autograd.telepathy'?*",
        ),
        (f"--engine={FAKES}:NamelessEngine", "*'name' must be a non-empty string*"),
        ("--engine=reference,,torch", "*has an empty name*"),
        ("--device=tpu", "*unknown device 'tpu'*"),
        ("--baseline=missing.txt", "*baseline file 'missing.txt' does not exist*"),
    ],
    ids=[
        "unknown-name",
        "no-module",
        "no-attribute",
        "factory-raises",
        "not-an-engine",
        "unknown-capability",
        "nameless",
        "empty-name",
        "unknown-device",
        "missing-baseline",
    ],
)
def test_bad_input_is_a_usage_error(run, pytester, option, message):
    write_spec(pytester)
    result = run(option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert "Traceback" not in result.stderr.str()


def test_malformed_baseline_is_a_usage_error(run, pytester):
    write_spec(pytester)
    pytester.makefile(".txt", baseline="demo.square_grad[reference-cpu\n")
    result = run("--baseline=baseline.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*baseline.txt:1: * is not 'spec.id' or 'spec.id?engine-device?'"])


# -- capabilities and devices ------------------------------------------------------------------
def test_missing_capability_skips_with_its_name(run, pytester):
    write_spec(pytester)
    result = run(f"--engine={FAKES}:TensorsOnlyEngine", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["*engine 'tensorsonly' does not declare capability 'autograd.backward'*demo.square_grad*"]
    )


def test_second_device_runs_on_an_engine_that_has_it(run, pytester):
    write_spec(pytester)
    result = run(f"--engine={FAKES}:TwoDeviceEngine", "--device=cpu,cuda", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*[[]twodevice-cpu[]] PASSED*", "*[[]twodevice-cuda[]] PASSED*"])


def test_missing_device_skips_with_engine_and_device(run, pytester):
    write_spec(pytester)
    result = run("--engine=reference", "--device=cpu,cuda", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*engine 'reference' has no device 'cuda': *CuPy*"])


@requires_torch
def test_torch_without_cuda_skips_naming_cuda(run, pytester):
    write_spec(pytester)
    result = run("--engine=torch", "--device=cuda", "-rs", subprocess=True)
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*no device 'cuda': torch.cuda.is_available() is False*"])


# -- spec metadata -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('id="demo.square_grad"', 'id="NoDots"', "field 'id': 'NoDots' is not a dotted*"),
        (f'sources=[Source("{PY_COURSE}", "Autograd")]', "sources=[]", "field 'sources'*"),
        (PY_COURSE, "nowhere.txt", "field 'sources': unknown document 'nowhere.txt'"),
        ('{"autograd.backward"}', '{"autograd.magic"}', "field 'requires': unknown capab*magic*"),
        ("for y = x**2 at x = 3 the gradient is 6", "short", "field 'behaviour'*"),
    ],
    ids=["bad-id", "no-sources", "unknown-document", "unknown-capability", "short-behaviour"],
)
def test_malformed_metadata_is_a_collection_error(run, pytester, old, new, message):
    write_spec(pytester, SQUARE_SPEC.replace(old, new))
    result = run("--engine=reference")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([f"malformed spec metadata on test_square_grad: {message}"])


def test_duplicate_spec_id_is_a_collection_error(run, pytester):
    write_spec(
        pytester,
        SQUARE_SPEC
        + SQUARE_SPEC.split("\n", 2)[2].replace("def test_square_grad", "def test_again"),
    )
    result = run("--engine=reference")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["spec id 'demo.square_grad' of test_again is already used by *::test_square_grad"]
    )


def test_own_tolerance_needs_a_reason(run, pytester):
    source = SQUARE_SPEC.replace(
        'requires={"autograd.backward"},',
        'requires={"autograd.backward"}, tolerance=Tolerance(rtol=1e-3, atol=0.0),',
    ).replace("import Source,", "import Source, Tolerance,")
    write_spec(pytester, source)
    result = run("--engine=reference")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*field 'tolerance': a spec's own tolerance must say why*"])


# -- failure messages and reproductions --------------------------------------------------------
WRONG_SIGN_SPEC = SQUARE_SPEC.replace("expect_grad(x, 6.0", "expect_grad(x, -6.0")


def test_failure_message_names_everything(run, pytester):
    write_spec(pytester, WRONG_SIGN_SPEC)
    result = run("--engine=reference")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*spec demo.square_grad failed on reference (cpu): x.grad is not close*",
            "*behaviour: for y = x*2 at x = 3 the gradient is 6*",
            "*expected:  -6.*",
            "*got:       6.* (float32)*",
            "*error:     |got - expected| = 12 at index (), allowed 0.00061 (rtol=0.0001*",
            "*hint:      every compared value has the wrong sign*",
            f"*source:    {PY_COURSE} § Autograd*",
            "*reproduce*",
        ]
    )


def test_reproduction_runs_standalone(run, pytester, tmp_path):
    write_spec(pytester, WRONG_SIGN_SPEC)
    result = run("--engine=reference")
    output = result.stdout.str()
    script = output.split(" reproduce ")[1].split("\n", 1)[1].split("\n===")[0]
    script = script.rsplit("\n", 1)[0] if script.rstrip().endswith("=") else script
    path = tmp_path / "repro.py"
    path.write_text(script)
    ran = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, cwd=pytester.path
    )
    assert ran.returncode != 0, ran.stdout
    assert "SpecFailure" in ran.stderr and "x.grad is not close" in ran.stderr, ran.stderr


# -- no cascades -------------------------------------------------------------------------------
@pytest.mark.parametrize("order", [[], ["-p", "randomly"]], ids=["in-order", "random-order"])
def test_broken_tensor_creation_blocks_dependants(run, order):
    result = run(
        str(SPECS / "test_basics.py"),
        str(SPECS / "test_autograd_basics.py"),
        f"--engine={FAKES}:BrokenTensorEngine",
        "-rs",
        *order,
    )
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 3  # the three basic specs
    assert outcomes["skipped"] >= 10
    result.stdout.fnmatch_lines(
        [
            "*blocked by basic spec basics.tensor_roundtrip, which fails on brokentensor-cpu: "
            "RuntimeError: tensor creation is broken*"
        ]
    )


def test_broken_backward_blocks_only_autograd_specs(run):
    result = run(
        str(SPECS / "test_basics.py"),
        str(SPECS / "test_tensors.py"),
        str(SPECS / "test_autograd_basics.py"),
        f"--engine={FAKES}:BrokenBackwardEngine",
        "-rs",
    )
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 1  # basics.add_backward
    assert outcomes["passed"] >= 8  # tensor specs that need no backward still run
    result.stdout.fnmatch_lines(["*blocked by basic spec basics.add_backward*backward is broken*"])


def test_blocking_works_under_xdist(run):
    result = run(
        str(SPECS / "test_basics.py"),
        str(SPECS / "test_autograd_basics.py"),
        f"--engine={FAKES}:BrokenTensorEngine",
        "-n",
        "2",
        "-rs",
        subprocess=True,
    )
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 3
    result.stdout.fnmatch_lines(["*blocked by basic spec basics.tensor_roundtrip*"])


# -- selection, reports, header ----------------------------------------------------------------
def test_select_by_capability_marker(run):
    result = run(str(SPECS), "--engine=reference", "-m", "optim.adam")
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == 3 and outcomes["deselected"] > 80  # the three Adam specs


def test_select_by_spec_id(run):
    result = run(str(SPECS), "--engine=reference", "-k", "autograd.square_grad")
    result.assert_outcomes(passed=1, deselected=result.parseoutcomes()["deselected"])


def test_json_report_and_verdict_table(run, pytester):
    write_spec(pytester)
    write_spec(
        pytester,
        WRONG_SIGN_SPEC.replace("demo.square_grad", "demo.wrong_sign").replace(
            "test_square_grad", "test_wrong_sign"
        ),
        name="test_wrong",
    )
    result = run("--engine=reference", "--conformance-report=out.json")
    result.stdout.fnmatch_lines(
        ["*conformance verdict*", "reference-cpu (reference *)", "*autograd.backward*1*1*FAILS*"]
    )
    data = json.loads((pytester.path / "out.json").read_text())
    assert data["engines"][0]["name"] == "reference"
    assert data["verdicts"]["reference-cpu"]["autograd.backward"]["failed"] == 1
    outcomes = {r["spec"]: r["outcome"] for r in data["specs"]}
    assert outcomes == {"demo.square_grad": "passed", "demo.wrong_sign": "failed"}


def test_json_report_under_xdist(run, pytester):
    write_spec(pytester)
    run("--engine=reference", "--conformance-report=out.json", "-n", "2", subprocess=True)
    data = json.loads((pytester.path / "out.json").read_text())
    assert [r["outcome"] for r in data["specs"]] == ["passed"]


# -- baselines ---------------------------------------------------------------------------------
def test_baseline_turns_known_failure_into_xfail(run, pytester):
    write_spec(pytester, WRONG_SIGN_SPEC)
    pytester.makefile(".txt", known="demo.square_grad  # sign bug, issue 12\n")
    result = run("--engine=reference", "--baseline=known.txt")
    result.assert_outcomes(xfailed=1)
    assert result.ret == pytest.ExitCode.OK


def test_fixed_baseline_entry_fails_the_run(run, pytester):
    write_spec(pytester)
    pytester.makefile(".txt", known="demo.square_grad[reference-cpu]\n")
    result = run("--engine=reference", "--baseline=known.txt")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*XPASS(strict)*"])


def test_stale_baseline_entry_is_reported(run, pytester):
    write_spec(pytester)
    pytester.makefile(".txt", known="demo.gone\n")
    result = run("--engine=reference", "--baseline=known.txt")
    result.stdout.fnmatch_lines(["*baseline line 1: demo.gone matches no collected spec*"])


def test_written_baseline_round_trips(run, pytester):
    write_spec(pytester, WRONG_SIGN_SPEC)
    run("--engine=reference", "--write-baseline=known.txt").assert_outcomes(failed=1)
    assert "demo.square_grad[reference-cpu]" in (pytester.path / "known.txt").read_text()
    run("--engine=reference", "--baseline=known.txt").assert_outcomes(xfailed=1)


# -- timeouts ----------------------------------------------------------------------------------
HANGING_SPEC = SQUARE_SPEC.replace(
    "    x = engine.tensor(3.0, requires_grad=True)",
    "    while True:\n        pass",
)


def test_hanging_spec_fails_after_the_spec_timeout(run, pytester):
    write_spec(pytester, HANGING_SPEC)
    result = run("--engine=reference", "--spec-timeout=0.5", subprocess=True)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Timeout*"])


# -- the command line --------------------------------------------------------------------------
@pytest.mark.parametrize("command", [["list"], ["list", "--json"], ["capabilities"]])
def test_command_line(command):
    ran = subprocess.run(
        [sys.executable, "-m", "conformance", *command],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    assert "autograd" in ran.stdout


def test_list_json_has_every_field():
    ran = subprocess.run(
        [sys.executable, "-m", "conformance", "list", "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    specs = json.loads(ran.stdout)
    assert len(specs) > 80
    assert set(specs[0]) >= {"id", "behaviour", "sources", "requires", "basic", "note"}


def test_textwrap_is_only_for_specs():
    # guard: the fixtures above write specs with top-level decorators
    assert textwrap.dedent(SQUARE_SPEC).startswith("\nfrom conformance")
