"""``--spec-timeout``: a hung spec fails instead of stalling the run; pytest-timeout's own
settings, and a spec's own timeout marker, take precedence."""

from __future__ import annotations

import pytest

from tests.plugin_run import TINY, spec_source

TINY_ENGINE = f"--engine={TINY}:TinyEngine"

# Records the timeout the spec runs under, as pytest-timeout will read it.
RECORD_TIMEOUT = spec_source(
    "records_timeout",
    requires="set()",
    arguments="engine, request",
    body="marker = request.node.get_closest_marker('timeout')\n"
    "with open('timeout.txt', 'w') as out:\n"
    "    out.write(repr(marker.args if marker else None))",
)


@pytest.mark.parametrize(
    ("options", "ini", "recorded"),
    [
        ([], "", "(60.0,)"),
        (["--spec-timeout=5"], "", "(5.0,)"),
        (["--spec-timeout=0"], "", "None"),
        (["--timeout=7"], "", "None"),
        (["--spec-timeout=5", "--timeout=0"], "", "None"),  # --timeout=0 turns timeouts off
        ([], "timeout = 9", "None"),
    ],
    ids=["default", "spec-timeout", "disabled", "timeout-option", "timeout-zero", "timeout-ini"],
)
def test_which_timeout_applies(run, options, ini, recorded):
    run.write(RECORD_TIMEOUT)
    if ini:
        run.pytester.makeini(f"[pytest]\n{ini}\n")
    run(TINY_ENGINE, *options).assert_outcomes(passed=1)
    assert (run.pytester.path / "timeout.txt").read_text() == recorded


def test_spec_own_timeout_marker_wins(run):
    run.write(
        spec_source(
            "records_timeout",
            requires="set()",
            arguments="engine, request",
            decorators="@pytest.mark.timeout(123)\n",
            body="marker = request.node.get_closest_marker('timeout')\n"
            "assert marker.args == (123,), marker",
        )
    )
    run(TINY_ENGINE, "--spec-timeout=5").assert_outcomes(passed=1)


HANGS = spec_source("hangs", requires="set()", body="while True:\n    pass")
SLOW = spec_source("slow", requires="set()", body="import time\ntime.sleep(0.5)")


def test_hanging_spec_fails_with_a_timeout(run):
    run.write(HANGS)
    result = run(TINY_ENGINE, "--spec-timeout=0.2")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Failed: Timeout (>0.2s) from pytest-timeout*"])


@pytest.mark.parametrize(
    ("options", "passes"),
    [(["--spec-timeout=0.1"], False), (["--spec-timeout=0.1", "--timeout=5"], True)],
    ids=["spec-timeout", "timeout-overrides"],
)
def test_timeout_option_overrides_spec_timeout(run, options, passes):
    run.write(SLOW)
    result = run(TINY_ENGINE, *options)
    result.assert_outcomes(passed=int(passes), failed=int(not passes))
