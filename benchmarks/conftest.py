"""The time ratio of the reference engine to PyTorch, per workload, after the benchmark table."""

from __future__ import annotations

import pytest

TIMINGS = pytest.StashKey[dict]()  # (workload, engine) -> pytest-benchmark's statistics


def pytest_configure(config):
    config.stash[TIMINGS] = {}


@pytest.fixture
def timings(request):
    """Where a test leaves its benchmark's statistics, keyed (workload, engine), for the ratio
    summary printed at the end of the run."""
    return request.config.stash[TIMINGS]


def ratio_lines(timings):
    """One line per workload timed on both engines: reference / torch for min and median."""
    lines = []
    for workload in sorted({w for w, _ in timings}):
        ours, theirs = timings.get((workload, "reference")), timings.get((workload, "torch"))
        if ours is None or theirs is None:
            continue
        lines.append(
            f"{workload:<22} reference {ours.median * 1e3:8.3f} ms   torch "
            f"{theirs.median * 1e3:8.3f} ms   ratio (median) {ours.median / theirs.median:5.2f}"
            f"   ratio (min) {ours.min / theirs.min:5.2f}"
        )
    return lines


def pytest_terminal_summary(terminalreporter, config):
    lines = ratio_lines(config.stash.get(TIMINGS, {}))
    if not lines:
        return
    terminalreporter.section("reference / torch time ratio (below 1: reference is faster)")
    for line in lines:
        terminalreporter.write_line(line)
