"""Specs that end the interpreter, under pytest-xdist (``--isolate`` or ``-n``).

When an engine kills its process (a segmentation fault, an abort, ``os._exit``), pytest-xdist
reports the running test as failed with a bare report and starts a fresh worker. That report
carries none of the spec's details, and the controller collects nothing itself; but the spec's
setup report came through before it ran, carrying its result record (the plugin checks basic
specs in the call, after that report is out). :class:`CrashHandler` takes that record, marks it
failed with the crash's message and attaches it to the crash report, so the spec counts as
failed with all its details. When the spec was a basic one, the replacement workers learn it
through their ``workerinput``: specs that rely on it are then blocked, instead of each crashing
a worker in turn while re-checking it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from conformance.targets import BasicSpecs

CRASHED_BASICS = "conformance_crashed_basics"  # key in a pytest-xdist worker's workerinput

CRASH_EXPLANATION = (
    "The engine ended the Python interpreter (for example a segmentation fault, an abort or "
    "os._exit), or pytest-timeout's thread method ended a hang. The spec counts as failed and a "
    "fresh worker runs the rest. The worker's output above may show the signal and where it "
    "happened; to see it directly, run this spec alone without --isolate."
)


class CrashHandler:
    """pytest-xdist controller hooks: name a crashed spec so it counts as failed, and pass the
    basic specs that crashed on to the workers that replace the dead ones."""

    def __init__(
        self, started: Callable[[str], tuple[dict, bool] | None], result_key: str, timeout: float
    ):
        # node id -> the record its setup report brought and whether the spec is basic, or None
        self.started_record = started
        self.result_key = result_key
        self.timeout = timeout  # seconds a spec may run; 0 when there is no limit
        self.started: dict[str, float] = {}  # node id -> when its worker started it
        self.crashed_basics: dict[tuple[str, str], str] = {}  # (spec id, target id) -> reason

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.started[nodeid] = time.monotonic()

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem: str, report: pytest.TestReport, sched) -> None:
        report.longrepr = f"{report.longrepr}\n{self.when(crashitem)}\n{CRASH_EXPLANATION}"
        found = self.started_record(crashitem)
        if found is None:
            return  # not a spec, or it died in setup: pytest-xdist's report counts it as failed
        record, basic = found
        record = {**record, "outcome": "failed", "message": str(report.longrepr)}
        record["duration"] = time.monotonic() - self.started.get(crashitem, time.monotonic())
        report.user_properties.append((self.result_key, record))
        if basic:
            worker = getattr(getattr(report, "node", None), "gateway", None)
            self.crashed_basics[(record["spec"], record["target"])] = (
                f"its worker process died (pytest-xdist worker {getattr(worker, 'id', '?')})"
            )

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node) -> None:
        node.workerinput[CRASHED_BASICS] = [
            [spec, target, reason] for (spec, target), reason in self.crashed_basics.items()
        ]

    def when(self, nodeid: str) -> str:
        """How long the spec ran before its worker died, and whether that passed the timeout.
        (pytest-timeout's thread method reports to the worker's terminal, which is lost.)"""
        elapsed = time.monotonic() - self.started.get(nodeid, time.monotonic())
        text = f"The worker died {elapsed:.1f} s after the spec started"
        if 0 < self.timeout <= elapsed:
            return f"{text}, past the spec timeout of {self.timeout:g} s: most likely a hang."
        return f"{text}."


def seed_worker(config: pytest.Config, basics: BasicSpecs) -> None:
    """On a replacement worker: the basic specs that crashed earlier fail without running."""
    for spec, target, reason in getattr(config, "workerinput", {}).get(CRASHED_BASICS, []):
        basics.results[(spec, target)] = reason
