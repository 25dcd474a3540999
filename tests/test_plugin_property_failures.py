"""Property spec failures an author can read: each distinct hypothesis failure with its own
minimal example and the suite's own message, in the terminal and the JSON report; and the spec
timeout stops hypothesis ("did not finish in N s") instead of being shrunk as one more
falsifying example."""

from __future__ import annotations

import json
import time

from tests.plugin_run import TINY, spec_source

PROPERTY = "@hs.spec_settings\n@given(n=st.integers(0, 20))\n"
IMPORTS = (
    "from hypothesis import example, given, strategies as st\n"
    "from conformance.specs import strategies as hs\n"
)

# Two distinct failures: a wrong value for odd n (the suite's own message) and an error the
# "engine" raises for large even n. Both are explicit examples, which hypothesis runs (and
# reports together) under every profile: finding both must not depend on the search, which in
# a long run of the project's tests now and then stopped after the first.
TWO_WAYS = spec_source(
    "two_ways",
    requires="set()",
    arguments="engine, n",
    decorators="@hs.spec_settings\n@given(n=st.sampled_from([1, 12]))\n"
    "@example(n=1)\n@example(n=12)\n",
    body="if n % 2:\n"
    "    expect_close(engine.tensor(float(n)), n + 1.0, what=f'tensor({n})')\n"
    "elif n > 10:\n"
    "    raise ValueError(f'no tensor of {n}')",
)


def test_each_distinct_failure_is_told_with_its_example(run):
    run.write(IMPORTS + TWO_WAYS)
    result = run(f"--engine={TINY}:TinyEngine", "--conformance-report=out.json")
    result.assert_outcomes(failed=1)
    record = json.loads((run.pytester.path / "out.json").read_text())["results"][0]
    message = record["message"]
    assert "in 2 distinct ways" in message, message
    assert "tensor(1) is not close to the expected value" in message  # the minimal odd n
    assert "the engine raised ValueError: no tensor of 12" in message  # the minimal even n > 10
    assert "n=1," in message and "n=12," in message, message  # each failure's own example
    assert "ExceptionGroup" not in message
    result.stdout.fnmatch_lines(
        [
            "*spec demo.two_ways failed on tiny (cpu) in 2 distinct ways:",
            "*tensor(1) is not close*",
            "*n=1,*",
            "*(the full traceback: run with -v)",
        ]
    )


def test_verbose_shows_the_traceback_of_each_failure(run):
    run.write(IMPORTS + TWO_WAYS)
    result = run(f"--engine={TINY}:TinyEngine", "-v")
    result.stdout.fnmatch_lines(["*in 2 distinct ways:*", "Traceback (most recent call last):"])
    result.stdout.fnmatch_lines(["*ValueError: no tensor of 12"])
    result.stdout.no_fnmatch_line("*(the full traceback: run with -v)")


SLOW_EXAMPLES = spec_source(
    "slow_examples",
    requires="set()",
    arguments="engine, n",
    decorators=PROPERTY,
    body="import time\ntime.sleep(0.3)\nassert n >= 0",
)


def test_the_spec_timeout_stops_hypothesis(run):
    run.write(IMPORTS + SLOW_EXAMPLES)
    started = time.monotonic()
    result = run(f"--engine={TINY}:TinyEngine", "--spec-timeout=1", "--conformance-report=o.json")
    elapsed = time.monotonic() - started
    result.assert_outcomes(failed=1)
    record = json.loads((run.pytester.path / "o.json").read_text())["results"][0]
    assert "did not finish in 1 s" in record["message"], record["message"]
    result.stdout.fnmatch_lines(["*spec demo.slow_examples failed on tiny (cpu): did not finish*"])
    # 50 examples of 0.3 s would take 15 s; stopped at the timeout, plus one example
    assert elapsed < 8, elapsed
