"""Nothing lost on a bad path or file: report and baseline paths are checked before the run, a
write that fails at the end still shows the results, baselines in a wrong encoding are one-line
usage errors naming the line, and a baseline line that names no spec is an error under the
gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance import gate
from conformance.__main__ import main
from tests.plugin_run import TINY, WRONG_SIGN, spec_source

TINY_ENGINE = f"--engine={TINY}:TinyEngine"
PASSING = spec_source(
    "passing", requires="set()", body="expect_close(engine.tensor(1.0), 1.0, what='x')"
)
FULL_DISK = "/dev/full"  # every write fails with ENOSPC, whoever writes


def one_error_line(result, start: str) -> None:
    errors = [line for line in result.stderr.str().splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1 and errors[0].startswith(start), result.stderr.str()
    assert "Traceback" not in result.stderr.str()


@pytest.mark.parametrize("option", ["--conformance-report", "--write-baseline"])
def test_a_folder_given_as_an_output_is_a_usage_error(run, option):
    run.write(PASSING)
    (run.pytester.path / "out").mkdir()
    result = run(TINY_ENGINE, f"{option}=out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    one_error_line(result, f"ERROR: {option}=out: is a folder")


def test_a_folder_given_as_the_baseline_says_it_is_a_folder(run):
    run.write(PASSING)
    (run.pytester.path / "known").mkdir()
    result = run(TINY_ENGINE, "--baseline=known")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    one_error_line(result, "ERROR: baseline 'known' is a folder")


@pytest.mark.skipif(not Path(FULL_DISK).exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize(
    "option, message",
    [
        ("--conformance-report", "ERROR: --conformance-report: cannot write '/dev/full': *"),
        ("--write-baseline", "ERROR: --write-baseline: cannot write baseline '/dev/full': *"),
    ],
)
def test_a_write_failing_at_the_end_keeps_the_results(run, option, message):
    run.write(WRONG_SIGN, PASSING)
    result = run(TINY_ENGINE, f"{option}={FULL_DISK}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # not "a spec failed"
    # the failure, the verdict table, then the one line saying what was lost
    result.stdout.fnmatch_lines(
        ["*x.grad is not close*", "*conformance verdict*", "*autograd.backward*FAILS*", message]
    )
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize(
    "data, message",
    [
        (
            "demo.passing\n# caf\u00e9\ndemo.square_grad\n".encode("latin-1"),
            "ERROR: known.txt:2: not UTF-8 text (byte 0xe9 at column 6); save the file as UTF-8",
        ),
        (
            "demo.square_grad\n".encode("utf-16"),
            "ERROR: known.txt:1: the file is UTF-16; save it as UTF-8",
        ),
    ],
    ids=["latin-1", "utf-16"],
)
def test_a_baseline_in_another_encoding_is_a_one_line_error(run, data, message):
    run.write(WRONG_SIGN)
    (run.pytester.path / "known.txt").write_bytes(data)
    result = run(TINY_ENGINE, "--baseline=known.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    one_error_line(result, message)


def test_a_baseline_with_a_byte_order_mark_reads_as_utf8(run):
    run.write(WRONG_SIGN)
    (run.pytester.path / "known.txt").write_bytes(b"\xef\xbb\xbfdemo.square_grad\r\n")
    result = run(TINY_ENGINE, "--baseline=known.txt")
    result.assert_outcomes(xfailed=1)
    assert result.ret == pytest.ExitCode.OK


def test_a_baseline_line_naming_no_spec_fails_the_gate(run, capsys):
    run.write(WRONG_SIGN)
    (run.pytester.path / "known.txt").write_text("demo.square_grad\ndemo.sqare_grad\n")
    result = run(TINY_ENGINE, "--baseline=known.txt", "--conformance-report=out.json")
    assert result.ret == pytest.ExitCode.OK  # pytest warns; the gate decides
    report = run.pytester.path / "out.json"
    assert json.loads(report.read_text())["options"]["baseline_unmatched"] == [
        "line 2: demo.sqare_grad"
    ]
    assert main(["gate", str(report), "--pytest-status=0"]) == gate.STALE
    assert "stale baseline: line 2: demo.sqare_grad names no spec" in capsys.readouterr().out


def test_the_namespaced_baseline_option_is_checked_the_same_way(run):
    run.write(PASSING)
    (run.pytester.path / "known").mkdir()
    result = run(TINY_ENGINE, "--conformance-baseline=known")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    one_error_line(result, "ERROR: baseline 'known' is a folder")
