"""``conformance run`` gives one verdict wherever the suite is installed: with the environment
inside the project (the usual ``.venv/``) or elsewhere (a CI runner), the project's ini file
and root conftest.py stay out of the run unless ``--project-config`` asks for them.

The suite is laid out as installed (``conformance/`` with ``specs`` and ``reference_impl`` as
its subpackages) in a folder on PYTHONPATH, once inside the project and once beside it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LEFTOVERS = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".hypothesis")
pytestmark = pytest.mark.timeout(300)

# A project whose settings would change a run of the catalogue: stop at the first failure, and
# a root conftest that fails every test it reaches.
PROJECT_INI = "[pytest]\naddopts = -x --strict-config\n"
PROJECT_CONFTEST = """
import pytest


@pytest.fixture(autouse=True)
def project_only():
    pytest.fail("the project's conftest.py reached a spec")
"""
SELECTION = ["-k", "autograd.square_grad or autograd.chain_rule", "-p", "no:randomly"]


def install_layout(site: Path) -> None:
    """The suite's files under ``site`` as a wheel installs them."""
    shutil.copytree(REPO / "conformance", site / "conformance", ignore=LEFTOVERS)
    shutil.copytree(REPO / "specs", site / "conformance" / "specs", ignore=LEFTOVERS)
    shutil.copytree(
        REPO / "reference_impl", site / "conformance" / "reference_impl", ignore=LEFTOVERS
    )


def conformance_run(project: Path, site: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    env["PYTHONPATH"] = str(site)
    return subprocess.run(
        [sys.executable, "-m", "conformance", "run", *SELECTION, *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def summary(result: subprocess.CompletedProcess) -> str:
    found = re.findall(r"^=+ (.*) in [\d.]+s", result.stdout, flags=re.M)
    return found[-1] if found else result.stdout[-2000:] + result.stderr[-2000:]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("isolation")
    project = root / "engine_project"
    project.mkdir()
    (project / "pytest.ini").write_text(PROJECT_INI, encoding="utf-8")
    (project / "conftest.py").write_text(PROJECT_CONFTEST, encoding="utf-8")
    inside, outside = project / ".venv" / "site-packages", root / "runner" / "site-packages"
    install_layout(inside)
    install_layout(outside)
    return project, inside, outside


def test_the_verdict_does_not_depend_on_where_the_environment_lies(project):
    folder, inside, outside = project
    within = conformance_run(folder, inside)
    beside = conformance_run(folder, outside)
    assert within.returncode == beside.returncode == 0, within.stdout[-3000:] + within.stderr
    assert summary(within) == summary(beside)
    assert summary(within).startswith("2 passed, ")  # and the rest deselected
    assert "reached a spec" not in within.stdout


def test_the_projects_settings_apply_when_asked_for(project):
    folder, inside, _ = project
    asked = conformance_run(folder, inside, "--project-config")
    assert asked.returncode == 1, asked.stdout[-3000:]
    assert "the project's conftest.py reached a spec" in asked.stdout
    assert re.search(r"\b1 error\b", summary(asked))  # -x: stopped at the first
