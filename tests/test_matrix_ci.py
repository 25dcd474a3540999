"""The CI recipe of conformance/ci/: the GitHub Actions workflow and the plain shell gate.

The workflow is parsed and every ``conformance`` command it runs is checked against the CLI
(subcommands and their options, pytest options of the plugin); tests/test_ci_recipe.py runs its
steps on an engine project. The shell gate is run for each of its exit statuses.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conformance.__main__ import make_parser
from conformance.gate import EMPTY, PASS, REGRESSION, STALE, USAGE

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / "conformance" / "ci" / "github-actions.yml"
GATE = REPO / "conformance" / "ci" / "conformance-gate.sh"
ACTIONS = {"actions/checkout@v4", "actions/setup-python@v5", "actions/upload-artifact@v4"}
# Keeps the exercised runs short: two specs of the reference engine.
EXPRESSION = re.compile(r"\$\{\{\s*steps\.\w+\.outputs\.(\w+)\s*\}\}")
SELECTION = "-k 'autograd.square_grad or autograd.chain_rule' -p no:cacheprovider"


def job() -> dict:
    (found,) = yaml.safe_load(WORKFLOW.read_text())["jobs"].values()
    return found


def steps() -> list[dict]:
    return job()["steps"]


def commands(script: str) -> list[list[str]]:
    """The shell commands of a ``run:`` script, continuation lines joined, redirections cut."""
    found = []
    for line in script.replace("\\\n", " ").splitlines():
        line = line.split(">>", 1)[0].strip()
        if line and not line.startswith("#"):
            found.append(shlex.split(line))
    return found


@functools.cache
def pytest_options() -> set[str]:
    """The long options pytest knows with the plugin loaded (``conformance run --help``)."""
    text = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", text))


def test_workflow_uses_pinned_official_actions_and_known_commands():
    seen = set()
    for step in steps():
        if "uses" in step:
            assert step["uses"] in ACTIONS, f"{step['uses']}: not a pinned official action"
            continue
        for command in commands(EXPRESSION.sub("1", step["run"])):
            if command[0] != "conformance":
                continue  # shell (tests/test_ci_recipe.py runs every step)
            seen.add(command[1])
            if command[1] == "run":
                options = {a.split("=", 1)[0] for a in command[2:] if a.startswith("--")}
                assert options <= pytest_options(), options - pytest_options()
            else:  # argparse exits on an unknown subcommand or option
                make_parser().parse_args(command[1:])
    assert seen == {"run", "matrix"}, seen
    gating = [s for s in steps() if "conformance-gate.sh" in s.get("run", "")]
    assert gating and "GITHUB_STEP_SUMMARY" in gating[0]["run"]


def gate(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(REPO),  # the misbehaving engines of tests/
        "PYTEST_ADDOPTS": SELECTION,
    }
    return subprocess.run(
        ["bash", str(GATE), *args], cwd=tmp_path, env=env, capture_output=True, text=True
    )


def test_shell_gate_exit_statuses(tmp_path):
    passed = gate(tmp_path, "--engine=reference", f"--summary={tmp_path / 'summary.md'}")
    assert passed.returncode == PASS, passed.stdout + passed.stderr
    assert "✅ conforms" in (tmp_path / "conformance-report.md").read_text()
    assert "| capability | reference" in (tmp_path / "summary.md").read_text()

    stale = tmp_path / "stale.txt"
    stale.write_text("autograd.square_grad\n")
    result = gate(tmp_path, "--engine=reference", f"--baseline={stale}")
    assert result.returncode == STALE, result.stdout + result.stderr
    assert "stale baseline: autograd.square_grad" in result.stdout

    result = gate(tmp_path, "--engine=tests.misbehaving_engines:WrongShapesEngine")
    assert result.returncode == REGRESSION, result.stdout + result.stderr
    assert "regression: autograd" in result.stdout

    # A device the runner lacks: every claimed spec skips, and the gate does not pass that.
    result = gate(tmp_path, "--engine=reference", "--", "--device=mps")
    assert result.returncode == EMPTY, result.stdout + result.stderr
    assert "nothing ran: all 2 claimed results skipped" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        [],  # no engine
        ["--engine=reference", "--baseline=missing.txt"],
        ["--engine=reference", "--colour=yes"],
        ["--engine=reference", "--", "--no-such-pytest-option"],  # pytest's usage error
        ["--engine=reference", "--", "-k", "no_spec_has_this_name"],  # no spec ran
    ],
)
def test_shell_gate_usage_errors(tmp_path, args):
    result = gate(tmp_path, *args)
    assert result.returncode == USAGE, result.stdout + result.stderr
