"""The suite installed into an engine project's own environment, as engine authors install it.

Two promises are checked for real, in a fresh virtual environment, once for a built wheel and
once for an editable install:

- *inert unless asked*: the project's own test run is byte for byte what it was before the suite
  was installed (no header, no engine import, no reordering);
- *options that cannot collide*: the project's conftest defines ``--device``, ``--engine``,
  ``--baseline`` and ``--isolate`` for its own tests, which keep working, and the catalogue
  runs beside them under the namespaced names (``--conformance-engine``);
- *names that cannot collide*: the suite installs one top-level package, ``conformance`` (the
  catalogue and the reference engine are its subpackages ``conformance.specs`` and
  ``conformance.reference_impl``), so a project with its own ``specs`` and ``reference_impl``
  packages keeps them, and the catalogue still runs beside them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD_LEFTOVERS = (".git", ".venv", ".tox", "build", "dist", "*.egg-info", "__pycache__", ".*cache")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

# The engine project owns packages with the names a careless suite might install.
PROJECT_PACKAGES = {
    "specs/__init__.py": 'OWNER = "engine project"\n',
    "reference_impl/__init__.py": 'OWNER = "engine project"\n',
    "pyproject.toml": (
        '[build-system]\nrequires = ["setuptools>=77"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "engine-project-specs"\nversion = "1.0"\n'
        '[tool.setuptools]\npackages = ["specs", "reference_impl"]\n'
    ),
}

UNRELATED_TESTS = """
import sys

import pytest


def test_first():
    assert 1 + 1 == 2


@pytest.mark.skip(reason="unrelated skip")
def test_skipped():
    pass


def test_own_packages_are_the_projects():
    import reference_impl
    import specs

    assert specs.OWNER == reference_impl.OWNER == "engine project"


def test_nothing_heavy_imported():
    # The suite's plugin must not import its engines (and with them NumPy) here.
    assert "conformance.reference_impl" not in sys.modules
    assert "numpy" not in sys.modules
"""

# The project's conftest owns the option names engine test suites commonly define.
PROJECT_CONFTEST = """
def pytest_addoption(parser):
    parser.addoption("--device", default="cpu")
    parser.addoption("--engine", default="fast")
    parser.addoption("--baseline", default=None)
    parser.addoption("--isolate", action="store_true")
"""

OWN_OPTIONS_TEST = """
def test_own_options(request):
    got = [request.config.getoption(n) for n in ("device", "engine", "baseline", "isolate")]
    assert got == ["cpu", "fast", None, False], got
"""

# What the environment's Python sees of the installed distribution: its top-level names.
TOP_LEVEL = """
import json
from importlib.metadata import distribution

files = distribution("autograd-conformance").files
inside = [f for f in files if f.parts[0] != ".."]  # not the console script in bin/
names = {f.parts[0] for f in inside if len(f.parts) > 1 and not f.parts[0].endswith(".dist-info")}
names |= {f.name for f in inside if len(f.parts) == 1 and f.suffix in (".py", ".pth")}
print(json.dumps(sorted(names)))
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


def _run(command: list[str], folder: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=timeout)


def _pytest(python: Path, folder: Path, *args: str) -> subprocess.CompletedProcess:
    return _run([str(python), "-m", "pytest", "-p", "no:cacheprovider", *args], folder)


@pytest.fixture(scope="module", params=["wheel", "editable"])
def environment(request, tmp_path_factory):
    """A fresh venv holding pytest and the engine project's own ``specs``/``reference_impl``
    packages; the project's tests run once before the suite is installed (``before``)."""
    tmp = tmp_path_factory.mktemp(request.param)
    subprocess.run([sys.executable, "-m", "venv", str(tmp / "venv")], check=True)
    python = tmp / "venv" / "bin" / "python"
    _pip(python, f"pytest=={pytest.__version__}")

    packages = tmp / "project_packages"
    for name, text in PROJECT_PACKAGES.items():
        (packages / name).parent.mkdir(parents=True, exist_ok=True)
        (packages / name).write_text(text, encoding="utf-8")
    _pip(python, str(packages))

    project = tmp / "engine_project"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_unrelated.py").write_text(UNRELATED_TESTS, encoding="utf-8")
    (project / "tests" / "test_own_options.py").write_text(OWN_OPTIONS_TEST, encoding="utf-8")
    (project / "conftest.py").write_text(PROJECT_CONFTEST, encoding="utf-8")
    before = _pytest(python, project, "-rA")
    assert before.returncode == 0, before.stdout + before.stderr

    # Installed from a copy, so that setuptools' build folder is not left in the checkout.
    source = tmp / "suite"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*BUILD_LEFTOVERS))
    _pip(python, *(["-e"] if request.param == "editable" else []), str(source))
    return SimpleNamespace(kind=request.param, python=python, project=project, before=before)


def test_installed_suite_leaves_an_unrelated_run_unchanged(environment):
    python, project = environment.python, environment.project
    after = _pytest(python, project, "-rA")
    assert after.returncode == 0, after.stdout + after.stderr
    assert _normalised(after.stdout) == _normalised(environment.before.stdout)
    assert after.stderr == environment.before.stderr

    # Asked for, the plugin is there, under the names the project's conftest left free.
    helped = _pytest(python, project, "--help")
    assert "--conformance-engine" in helped.stdout and "--spec-timeout" in helped.stdout


def test_the_suite_installs_one_top_level_name(environment):
    listed = _run([str(environment.python), "-c", TOP_LEVEL], environment.project)
    assert listed.returncode == 0, listed.stderr
    names = set(json.loads(listed.stdout))
    # A wheel places the package itself; an editable install places a path hook in its stead.
    # Either way no generic name such as `specs` is installed.
    assert not names & {"specs", "reference_impl"}, names
    if environment.kind == "wheel":
        assert names == {"conformance"}, names


def test_the_catalogue_runs_beside_packages_of_the_same_names(environment):
    python, project = environment.python, environment.project
    scripts = python.parent
    ran = _run([str(scripts / "conformance"), "run", "--engine=reference", "-q"], project)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr
    assert re.search(r"\d+ passed", ran.stdout) and "failed" not in ran.stdout

    by_name = _pytest(
        python,
        project,
        "--pyargs",
        "conformance.specs",
        "--conformance-engine=reference",  # --engine is the project's own
        "-q",
        "-k",
        "autograd",
    )
    assert by_name.returncode == 0, by_name.stdout[-3000:] + by_name.stderr
    assert re.search(r"\d+ passed", by_name.stdout)

    # ... and the project's own packages are still the ones its code imports.
    own = _pytest(python, project, "-q")
    assert own.returncode == 0, own.stdout + own.stderr


def test_every_package_folder_is_installed():
    """setuptools installs the packages listed in pyproject.toml, not what is on disk: a new
    subpackage left out of the list would be missing from the wheel only."""
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11")

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {name: ROOT / path for name, path in setuptools["package-dir"].items()}
    on_disk = {
        ".".join((name, *init.parent.relative_to(folder).parts))
        for name, folder in folders.items()
        for init in folder.rglob("__init__.py")
    }
    assert sorted(on_disk) == sorted(setuptools["packages"])


def test_the_ci_recipe_ships_in_the_package(environment, tmp_path):
    """``conformance ci-init`` writes the workflow and the shell gate from the installed
    package (package data), wherever the suite was installed from."""
    scripts = environment.python.parent
    project = tmp_path / "adopter"
    project.mkdir()
    command = [str(scripts / "conformance"), "ci-init", "--engine=pkg.mod:Engine", "--suite=./s"]
    made = _run(command, project)
    assert made.returncode == 0, made.stdout + made.stderr
    workflow = (project / ".github" / "workflows" / "conformance.yml").read_text()
    assert 'ENGINE: "pkg.mod:Engine"' in workflow and "conformance-gate.sh" in workflow
    assert (project / "ci" / "conformance-gate.sh").read_text().startswith("#!/usr/bin/env bash")
    again = _run(command, project)
    assert again.returncode == 2 and "not overwriting" in again.stderr
