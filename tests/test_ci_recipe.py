"""The CI recipe as an adopter gets it: ``conformance ci-init`` writes the shipped workflow and
shell gate into an engine project, and the workflow's ``run:`` steps run in order, as written,
the way a runner runs them, in a fresh virtual environment that the install step fills.

Three pushes of a small engine project (tests/tiny_engine.py as its package, which fails one
claimed spec): the first has no baseline and bootstraps one; the second, on main, passes; the
third plants a bug in x ** n's gradient and hides the new failures in the baseline, which the
gate catches with the main branch's report (``--previous``).

Only ``uses:`` actions are left out (checkout and setup-python have nothing to do here; the
artifact upload is GitHub's). ``gh`` is a stand-in that hands out the main branch's report.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from conformance.__main__ import main
from tests.test_installed import BUILD_LEFTOVERS

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
KNOWN_FAILURE = "examples.book_value_and_gradients@tiny-cpu"

PROJECT_PYPROJECT = """\
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "planted-engine"
version = "1.0"
dependencies = ["numpy"]

[tool.setuptools]
packages = ["planted_engine"]
"""
CORRECT_POW = "g * exponent * self.data ** (exponent - 1)"
PLANTED_POW = "g * exponent * self.data ** exponent"  # the planted bug

FAKE_GH = """#!/bin/sh
# A stand-in for GitHub's CLI: the main branch's last run is 42, its artifact the report.
case "$1 $2" in
    "run list") echo 42 ;;
    "run download") mkdir -p previous && cp "$MAIN_REPORT" previous/conformance-report.json ;;
    *) exit 1 ;;
esac
"""


def fresh_environment(folder: Path) -> Path:
    """A new venv, its bin folder returned. The suite's dependencies (numpy, pytest,
    hypothesis) are seen from this test's environment through a .pth line, so that the install
    step builds and installs the suite and the engine without downloading them again."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return folder / "bin"


def run_job(project: Path, bin_folder: Path, *, ref: str, skip=(), extra_path=()) -> dict:
    """The workflow's steps in order, as a runner runs them (``bash -e``; a failed step skips
    the later ones unless they say ``if: always()``). Returns step name -> (status, output),
    and the job's status under "job"."""
    (workflow,) = yaml.safe_load((project / ".github/workflows/conformance.yml").read_text())[
        "jobs"
    ].values()
    summary = project / "summary.md"
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTEST_ADDOPTS", "VIRTUAL_ENV", "PYTHONHOME")
    }
    path = os.pathsep.join([str(bin_folder), *map(str, extra_path), os.environ["PATH"]])
    outputs: dict[str, dict[str, str]] = {}
    status, done = 0, {}
    for step in workflow["steps"]:
        if "uses" in step or step["name"] in skip:
            continue
        if status and "always()" not in step.get("if", ""):
            continue
        output = project / f"output-{len(done)}"
        values = {"github.token": "no-token", "env.BASELINE": workflow["env"]["BASELINE"]}
        for step_id, found in outputs.items():
            values.update({f"steps.{step_id}.outputs.{k}": v for k, v in found.items()})
        script = EXPRESSION.sub(lambda m, v=values: v.get(m[1], ""), step["run"])
        env = {**base, **workflow["env"], **step.get("env", {})}
        env.update(
            PATH=path, GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary), GITHUB_REF=ref
        )
        ran = subprocess.run(
            ["bash", "-e", "-c", script],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        lines = output.read_text().splitlines() if output.exists() else []
        outputs[step.get("id", "")] = dict(line.split("=", 1) for line in lines)
        done[step["name"]] = (ran.returncode, ran.stdout + ran.stderr)
        status = status or ran.returncode
    done["job"] = (status, summary.read_text() if summary.exists() else "")
    return done


def statuses(job: dict) -> dict[str, int]:
    return {name: status for name, (status, _) in job.items()}


def test_the_shipped_workflow_runs_as_written_on_an_engine_project(tmp_path):
    suite = tmp_path / "suite"  # installed from a path, one of the workflow's documented forms
    shutil.copytree(ROOT, suite, ignore=shutil.ignore_patterns(*BUILD_LEFTOVERS))
    project = tmp_path / "engine_project"
    (project / "planted_engine").mkdir(parents=True)
    (project / "pyproject.toml").write_text(PROJECT_PYPROJECT)
    (project / "planted_engine" / "__init__.py").write_text("")
    adapter = project / "planted_engine" / "adapter.py"
    adapter.write_text((ROOT / "tests" / "tiny_engine.py").read_text())
    assert CORRECT_POW in adapter.read_text()

    engine, baseline = "planted_engine.adapter:TinyEngine", "conformance/known-failures.txt"
    args = ["ci-init", f"--dir={project}", f"--engine={engine}", f"--suite={suite}"]
    assert main(args) == 0
    assert main(args) == 2  # never overwrites
    bin_folder = fresh_environment(tmp_path / "venv")

    # 1. No baseline yet: the bootstrap step writes it and fails the job, saying what to do.
    first = run_job(project, bin_folder, ref="refs/pull/1/merge")
    status, said = first["Bootstrap the first baseline (only while there is none)"]
    assert status == 2 and "no baseline yet" in said and "commit the file" in said, said
    assert first["Install the engine and the suite"][0] == 0, first
    assert first["job"][0] == 2 and "No baseline yet" in first["job"][1]
    assert (
        "Gate (0 pass, 1 regression, 2 usage error, 3 stale baseline, 4 nothing ran)" not in first
    )
    written = (project / baseline).read_text().splitlines()
    assert KNOWN_FAILURE in written, written

    # 2. The reviewed baseline committed, on main: the gate passes; the summary has the matrix.
    second = run_job(project, bin_folder, ref="refs/heads/main")
    assert set(statuses(second).values()) == {0}, statuses(second)
    summary = second["job"][1]
    assert "| capability | tiny" in summary and "Conformance gate: exit 0" in summary
    assert "pass: " in summary
    assert (project / "conformance-matrix.html").read_text().startswith("<!DOCTYPE html>")
    main_report = tmp_path / "main-report.json"
    shutil.copy(project / "conformance-report.json", main_report)

    # 3. A pull request plants a bug and hides its failures in the baseline: the gate compares
    # with main's report (the stand-in gh hands it out) and calls that a regression.
    adapter.write_text(adapter.read_text().replace(CORRECT_POW, PLANTED_POW))
    hidden = tmp_path / "hidden.txt"
    subprocess.run(
        [
            str(bin_folder / "conformance"),
            "run",
            f"--engine={engine}",
            f"--write-baseline={hidden}",
        ],
        cwd=project,
        capture_output=True,
        env={**os.environ, "PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}"},
    )
    assert len(hidden.read_text().splitlines()) > len(written)
    shutil.copy(hidden, project / baseline)
    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "gh").write_text(FAKE_GH)
    (fake / "gh").chmod(0o755)
    os.environ["MAIN_REPORT"] = str(main_report)
    try:
        third = run_job(
            project,
            bin_folder,
            ref="refs/pull/2/merge",
            skip={"Install the engine and the suite"},  # the environment of run 2, unchanged
            extra_path=[fake],
        )
    finally:
        del os.environ["MAIN_REPORT"]
    gate_status, gate_said = third[
        "Gate (0 pass, 1 regression, 2 usage error, 3 stale baseline, 4 nothing ran)"
    ]
    assert gate_status == 1, gate_said
    assert "regression since the previous report" in gate_said and "-> xfailed" in gate_said
    assert third["job"][0] == 1 and "Conformance gate: exit 1" in third["job"][1]
    assert third["HTML matrix"][0] == 0  # written whatever the verdict
