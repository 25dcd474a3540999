"""An engine project's own options beside the suite's: ``--device``, ``--engine``, ``--baseline``
and ``--isolate`` defined by the project's conftest keep the project's meaning, and the
catalogue still runs under the namespaced names (conformance.options)."""

from __future__ import annotations

import pytest

from tests.plugin_run import TINY, WRONG_SIGN

# An engine project's conftest, defining the four names for its own test suite.
PROJECT_CONFTEST = """
def pytest_addoption(parser):
    parser.addoption("--device", default="cpu", help="the project's device")
    parser.addoption("--engine", default="fast", help="the project's engine flavour")
    parser.addoption("--baseline", default=None, help="the project's benchmark baseline")
    parser.addoption("--isolate", action="store_true", help="the project's isolation switch")
"""

PROJECT_TEST = """
def test_own_options(request):
    got = [request.config.getoption(name) for name in ("device", "engine", "baseline", "isolate")]
    assert got == ["gpu7", "slow", "bench.json", True], got
"""

PROJECT_ARGS = ("--device=gpu7", "--engine=slow", "--baseline=bench.json", "--isolate")


@pytest.fixture
def project(run):
    run.pytester.makeconftest(PROJECT_CONFTEST)
    run.pytester.makepyfile(test_project=PROJECT_TEST)
    run.write(WRONG_SIGN, name="test_specs")  # fails: the baseline entry makes it xfail
    (run.pytester.path / "known.txt").write_text("demo.square_grad\n", encoding="utf-8")
    return run


def test_the_projects_own_options_keep_their_meaning(project):
    result = project("test_project.py", *PROJECT_ARGS)
    result.assert_outcomes(passed=1)


def test_the_catalogue_runs_under_the_namespaced_names(project):
    result = project(
        "test_specs.py",
        f"--conformance-engine={TINY}:TinyEngine",
        "--conformance-device=cpu",
        "--conformance-baseline=known.txt",
        *PROJECT_ARGS,  # the project's values do not reach the suite
    )
    result.assert_outcomes(xfailed=1)  # the baseline entry applies: the suite read its own
    result.stdout.fnmatch_lines(
        [
            "conformance: --engine is this project's own option; the suite's is "
            "--conformance-engine",
            "conformance: --device is this project's own option; the suite's is "
            "--conformance-device",
        ]
    )


def test_isolation_under_its_namespaced_name(project):
    pytest.importorskip("xdist", reason="--conformance-isolate runs specs under pytest-xdist")
    result = project(
        "test_specs.py",
        f"--conformance-engine={TINY}:TinyEngine",
        "--conformance-baseline=known.txt",
        "--conformance-isolate",
        subprocess=True,  # pytest-xdist workers
    )
    result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines(["created: 1/1 worker*"])


def test_short_names_are_the_suites_where_free(run):
    run.write(WRONG_SIGN, name="test_specs")  # fails: the baseline entry makes it xfail
    (run.pytester.path / "known.txt").write_text("demo.square_grad\n", encoding="utf-8")
    result = run(f"--engine={TINY}:TinyEngine", "--device=cpu", "--baseline=known.txt")
    result.assert_outcomes(xfailed=1)
    assert "own option" not in result.stdout.str()
