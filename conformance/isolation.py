"""Specs that end the interpreter, under pytest-xdist (``--isolate`` or ``-n``).

When an engine kills its process (a segmentation fault, an abort, ``os._exit``), pytest-xdist
reports the running test as failed with a bare report and starts a fresh worker. That report
carries none of the spec's details, and the controller collects nothing itself, so
:class:`CrashHandler` finds the spec again from the node id. When the spec was a basic one, the
replacement workers learn it through their ``workerinput``: specs that rely on it are then
blocked, instead of each crashing a worker in turn while re-checking it.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from types import ModuleType

import pytest

from conformance.spec import SpecInfo, info_of
from conformance.targets import BasicSpecs, Target

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

    def __init__(self, targets: list[Target], rootpath: Path, result_key: str, timeout: float):
        self.targets = targets
        self.rootpath = rootpath
        self.result_key = result_key
        self.timeout = timeout  # seconds a spec may run; 0 when there is no limit
        self.started: dict[str, float] = {}  # node id -> when its worker started it
        self.crashed_basics: dict[tuple[str, str], str] = {}  # (spec id, target id) -> reason
        self.modules: dict[str, ModuleType | None] = {}

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.started[nodeid] = time.monotonic()

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem: str, report: pytest.TestReport, sched) -> None:
        report.longrepr = f"{report.longrepr}\n{self.when(crashitem)}\n{CRASH_EXPLANATION}"
        info = self.spec_at(crashitem)
        target = target_of(crashitem, self.targets)
        if info is None or target is None:
            return  # not a spec: pytest-xdist's report already counts it as failed
        record = {"spec": info.id, "target": target.id, "blocked": False}
        record["capabilities"] = sorted(info.capabilities)
        record["about"] = info.subject
        report.user_properties.append((self.result_key, record))
        if info.basic:
            worker = getattr(getattr(report, "node", None), "gateway", None)
            self.crashed_basics[(info.id, target.id)] = (
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

    def spec_at(self, nodeid: str) -> SpecInfo | None:
        """The @spec metadata of the test function that ``nodeid`` names, or None."""
        path, _, rest = nodeid.partition("::")
        if path not in self.modules:
            self.modules[path] = load_module(self.rootpath / path)
        name = rest.rpartition("::")[2].partition("[")[0]
        return info_of(getattr(self.modules[path], name, None))


def load_module(path: Path) -> ModuleType | None:
    """A fresh copy of the spec module at ``path`` (spec modules have no import-time effects)."""
    location = importlib.util.spec_from_file_location(f"_conformance_crashed_{path.stem}", path)
    if location is None or location.loader is None:
        return None
    module = importlib.util.module_from_spec(location)
    try:
        location.loader.exec_module(module)
    except Exception:  # the spec is still reported as failed, only without its capabilities
        return None
    return module


def target_of(nodeid: str, targets: list[Target]) -> Target | None:
    """The target whose id appears among the node id's parameters, the longest if several do."""
    params = f"-{nodeid.rpartition('[')[2].rstrip(']')}-" if nodeid.endswith("]") else ""
    found = [t for t in targets if f"-{t.id}-" in params]
    return max(found, key=lambda t: len(t.id), default=None)


def seed_worker(config: pytest.Config, basics: BasicSpecs) -> None:
    """On a replacement worker: the basic specs that crashed earlier fail without running."""
    for spec, target, reason in getattr(config, "workerinput", {}).get(CRASHED_BASICS, []):
        basics.results[(spec, target)] = reason
