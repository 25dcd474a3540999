# NumPy is imported here, before pytester snapshots sys.modules: the plugin no longer imports it
# (it stays out of sessions that run no spec), and an in-process run that imported it first
# would have it removed afterwards, and a C extension cannot be loaded twice in one process.
import numpy  # noqa: F401
import pytest

from tests import report_schema
from tests.plugin_run import PluginRun

pytest_plugins = ["pytester"]

KILLS: dict[str, list[str]] = {}  # mutant name -> ids of the specs that failed on it


@pytest.fixture
def run(pytester, monkeypatch):
    """Runs pytest on spec files written into the pytester dir (see tests.plugin_run)."""
    return PluginRun(pytester, monkeypatch)


def pytest_runtest_logreport(report):
    for key, value in report.user_properties:
        if key == "mutant_kills" and report.when == "call":
            name, specs = value
            KILLS[name] = list(specs)


def pytest_terminal_summary(terminalreporter):
    """The mutant kill matrix: the chapters and specs that failed for each mutant (a spec id's
    first part is its chapter), and the kill rate."""
    if not KILLS:
        return
    terminalreporter.section("mutant kill matrix")
    width = max(len(name) for name in KILLS) + 1
    for name, specs in sorted(KILLS.items()):
        chapters = sorted({spec.split(".")[0] for spec in specs})
        shown = ", ".join(specs[:5]) + (f", ... ({len(specs)} specs)" if len(specs) > 5 else "")
        caught = f"[{', '.join(chapters)}] {shown}" if specs else "NOT CAUGHT"
        terminalreporter.write_line(f"{name:<{width}} {caught}")
    caught = sum(1 for specs in KILLS.values() if specs)
    terminalreporter.write_line(f"kill rate: {caught}/{len(KILLS)} mutants caught")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Every conformance report a passing test leaves in its tmp folder follows the published
    schema (docs/report-schema.json)."""
    outcome = yield
    pytester = item.funcargs.get("pytester")
    folder = pytester.path if pytester is not None else item.funcargs.get("tmp_path")
    if folder is not None:
        report_schema.check_folder(folder)
    return outcome


def pytest_configure(config):
    # Runs in `pytest tests` like every other test; `-m "not slow"` leaves out the few that
    # build virtual environments, for a quick local loop.
    config.addinivalue_line("markers", "slow: builds a virtual environment (tens of seconds)")
