"""The example engines' baselines: one reason per entry, and writing a baseline then replaying it
is a round trip on each engine (CI also replays the committed baselines). Engines that are not
installed skip (pip install -e '.[engines]'; tinygrad's CPU device also needs clang)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import baseline, discovery, matrix_docs

ROOT = Path(__file__).resolve().parent.parent
# The example engines: every engine registered in pyproject.toml besides the two the suite is
# built around (checked against the registry below, so a new one cannot go without a baseline).
ENGINES = sorted(path.stem for path in (ROOT / "baselines").glob("*.txt"))


def installed(engine: str) -> bool:
    found = importlib.util.find_spec(engine) is not None
    return found and (engine != "tinygrad" or shutil.which("clang") is not None)


def catalogue(engine: str, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "specs"), f"--engine={engine}", *options]
        + ["-q", "-p", "no:randomly", "-p", "no:cacheprovider", "--hypothesis-profile=ci"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_every_example_engine_has_a_baseline_a_page_and_a_matrix_column():
    ours = {n for n, target in discovery.registered().items() if target.startswith("conformance.")}
    examples = ours - {"reference", "torch"}
    assert set(ENGINES) == examples, "baselines/<engine>.txt for each registered example engine"
    assert examples <= set(discovery.INSTALL_HINTS), "an install hint for each example engine"
    assert {p.stem for p in (ROOT / "docs" / "engines").glob("*.md")} == examples
    assert set(matrix_docs.ENGINES) == examples | {"reference", "torch"}


@pytest.mark.parametrize("engine", ENGINES)
def test_every_entry_says_why(engine):
    path = ROOT / "baselines" / f"{engine}.txt"
    baseline.read(str(path))  # well-formed
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        entry, _, reason = line.partition("#")
        if entry.strip():
            assert reason.strip(), f"{path.name}:{number}: '{entry.strip()}' needs '# reason'"


@pytest.mark.parametrize("engine", ENGINES)
def test_write_then_replay_is_a_round_trip(engine, tmp_path):
    if not installed(engine):
        pytest.skip(f"{engine} is not installed (pip install -e '.[engines]')")
    written = tmp_path / "baseline.txt"
    catalogue(engine, f"--write-baseline={written}")
    replay = catalogue(engine, f"--baseline={written}")
    assert replay.returncode == 0, replay.stdout[-4000:]
