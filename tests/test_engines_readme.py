"""The README's "Writing an adapter" walkthrough, followed literally: its Python block saved as
my_adapter.py in a fresh folder, and its commands run there as printed, with nothing added to
the environment (no PYTHONPATH: ``pytest`` and ``conformance`` find the adapter in the folder
they start in, as the README says).

micrograd (one pure-Python file) is in the dev extra, so this runs in ``pytest tests``; the
walkthrough's ``pip install`` line installs the same pinned version and is not run again.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
pytestmark = pytest.mark.timeout(600)

# What each run of the walkthrough shows, by its command's first words, as the README says.
EXPECTED = {
    "python -m conformance run --engine=my_adapter:Micrograd -k autograd.square_grad": (
        0,
        [r"\b1 passed\b"],
    ),
    "conformance run --engine=my_adapter:Micrograd": (
        1,
        [r"\b7 passed\b", r"\b1 failed\b", r"ValueProxy has no 'requires_grad'"],
    ),
}


def walkthrough() -> tuple[str, list[str]]:
    """The walkthrough's Python code and its shell commands, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Writing an adapter", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)
    python = [code for kind, code in blocks if kind == "python"]
    commands = [line for kind, code in blocks if kind == "sh" for line in code.splitlines()]
    assert len(python) == 1 and commands, "the walkthrough has one adapter file and its commands"
    return python[0], commands


def test_the_walkthrough_runs_as_written(tmp_path):
    pytest.importorskip("micrograd", reason="micrograd is in the dev extra: pip install -e .[dev]")
    code, commands = walkthrough()
    (tmp_path / "my_adapter.py").write_text(code, encoding="utf-8")
    # The environment's scripts (pytest, conformance) first on PATH, as in an activated venv.
    scripts = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    env["PATH"] = scripts + os.pathsep + env["PATH"]
    ran = []
    for command in commands:
        line = command.split("#", 1)[0].strip()
        words = shlex.split(line)
        if words[:2] == ["pip", "install"]:
            continue  # installed already (the dev extra pins the same version)
        assert line in EXPECTED, f"a walkthrough command without an expected result: {line}"
        status, patterns = EXPECTED[line]
        done = subprocess.run(
            words, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        shown = done.stdout[-3000:] + done.stderr[-3000:]
        assert done.returncode == status, shown
        for pattern in patterns:
            assert re.search(pattern, done.stdout), (pattern, shown)
        ran.append(line)
    assert ran == list(EXPECTED), "every command of the walkthrough ran"


def test_pytest_finds_the_adapter_in_the_folder_it_starts_in(tmp_path):
    """``pytest --engine=module:Class`` (the console script, which unlike ``python -m pytest``
    does not put the current folder on sys.path) finds an adapter module beside it."""
    pytest.importorskip("micrograd", reason="micrograd is in the dev extra: pip install -e .[dev]")
    code, _ = walkthrough()
    (tmp_path / "my_adapter.py").write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    pytest_script = Path(sys.executable).parent / "pytest"
    done = subprocess.run(
        [str(pytest_script), "--pyargs", "conformance.specs", "--engine=my_adapter:Micrograd"]
        + ["-k", "autograd.square_grad", "-p", "no:randomly"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert re.search(r"\b1 passed\b", done.stdout)
