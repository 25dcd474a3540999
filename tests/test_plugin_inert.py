"""Installed into an engine project's environment, the plugin changes nothing in that project's
own test runs: no header, no engine import, no reordering, the same output byte for byte.

The check is done for real: a fresh virtual environment with pytest runs an unrelated test
folder, then the suite is installed (not editable, as a user installs it) and the same folder
runs again.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD_LEFTOVERS = (".git", ".venv", ".tox", "build", "dist", "*.egg-info", "__pycache__", ".*cache")

UNRELATED_TESTS = """
import sys

import pytest


def test_first():
    assert 1 + 1 == 2


@pytest.mark.skip(reason="unrelated skip")
def test_skipped():
    pass


def test_second():
    assert "x" * 2 == "xx"


def test_nothing_heavy_imported():
    # The suite's plugin must not import its engines (and with them NumPy) here.
    assert "reference_impl" not in sys.modules
    assert "numpy" not in sys.modules
"""


def _normalised(output: str) -> str:
    """The run's output without what legitimately differs: timings, the venv's path, and the
    'plugins:' line of pytest's own header (which lists every installed plugin)."""
    lines = [line for line in output.splitlines() if not line.startswith("plugins:")]
    text = "\n".join(lines)
    return re.sub(r"in \d+\.\d+s", "in Xs", text)


def _pip(python: Path, *args: str) -> None:
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
        check=True,
        capture_output=True,
        text=True,
    )


def _pytest(python: Path, folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-rA"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.timeout(600)
def test_installed_suite_leaves_an_unrelated_run_unchanged(tmp_path):
    env = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    python = env / "bin" / "python"
    _pip(python, f"pytest=={pytest.__version__}")

    project = tmp_path / "engine_project"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_unrelated.py").write_text(UNRELATED_TESTS, encoding="utf-8")

    before = _pytest(python, project)
    assert before.returncode == 0, before.stdout + before.stderr

    # As a user installs it: a built wheel, with its dependencies. Built from a copy, so that
    # setuptools' build folder is not left in the checkout.
    source = tmp_path / "suite"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*BUILD_LEFTOVERS))
    _pip(python, str(source))
    shown = subprocess.run(
        [str(python), "-m", "pip", "show", "autograd-conformance"], capture_output=True, text=True
    )
    assert shown.returncode == 0, "the suite did not install"

    after = _pytest(python, project)
    assert after.returncode == 0, after.stdout + after.stderr
    assert _normalised(after.stdout) == _normalised(before.stdout)
    assert after.stderr == before.stderr

    # Asked for, the plugin is there: --engine names it in the same environment.
    helped = subprocess.run(
        [str(python), "-m", "pytest", "--help"], cwd=project, capture_output=True, text=True
    )
    assert "--engine" in helped.stdout
