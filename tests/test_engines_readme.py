"""The README's "Writing an adapter" walkthrough, followed literally: its Python block saved as
my_adapter.py, its commands run from a fresh folder, against micrograd."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


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
    pytest.importorskip("micrograd", reason="the walkthrough installs micrograd (engines extra)")
    code, commands = walkthrough()
    (tmp_path / "my_adapter.py").write_text(code, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    for command in commands:
        words = shlex.split(command.split("#", 1)[0])
        if words[:2] == ["pip", "install"]:
            continue  # installed already (the engines extra pins the same version)
        assert words[0] == "python", f"unexpected command in the walkthrough: {command}"
        done = subprocess.run(
            [sys.executable, *words[1:], "-p", "no:randomly", "-p", "no:cacheprovider"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert re.search(r"\b1 passed\b", done.stdout), done.stdout[-3000:]
