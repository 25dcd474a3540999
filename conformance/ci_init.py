"""``conformance ci-init``: the CI recipe that ships in the package, written into a project.

Two files: the GitHub Actions workflow (``.github/workflows/conformance.yml``) and the shell
gate it runs (``ci/conformance-gate.sh``, usable by any other CI system on its own). The
workflow's ``ENGINE``, ``BASELINE`` and ``SUITE`` values are filled in; ``SUITE`` defaults to
how this copy of the suite was installed, when that is a form pip can install again on a
runner (a VCS URL at its commit, or a folder inside the project).
"""

from __future__ import annotations

import json
import re
from importlib import resources
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

DISTRIBUTION = "autograd-conformance"
WORKFLOW = Path(".github/workflows/conformance.yml")
GATE = Path("ci/conformance-gate.sh")
SHIPPED = {WORKFLOW: "github-actions.yml", GATE: "conformance-gate.sh"}


class InitError(Exception):
    """Nothing was written; the message says why and what to do."""


def shipped(name: str) -> str:
    return resources.files("conformance").joinpath("ci").joinpath(name).read_text(encoding="utf-8")


def installed_suite(project: Path) -> str | None:
    """How pip could install this suite again on a CI runner, from its install record (PEP 610
    ``direct_url.json``): a VCS URL at the installed commit, or a folder inside ``project``
    (relative to it). None when neither applies (an index release, or a folder elsewhere)."""
    try:
        text = distribution(DISTRIBUTION).read_text("direct_url.json")
    except PackageNotFoundError:
        return None
    if not text:
        return None
    record = json.loads(text)
    url = record.get("url", "")
    vcs = record.get("vcs_info")
    if vcs:
        return f"{vcs['vcs']}+{url}@{vcs['commit_id']}"
    if url.startswith("file://"):
        folder = Path(url.removeprefix("file://"))
        try:
            return "./" + folder.resolve().relative_to(project.resolve()).as_posix()
        except ValueError:
            return None
    return None


def workflow(engine: str, baseline: str, suite: str) -> str:
    text = shipped(SHIPPED[WORKFLOW])
    for key, value in (("ENGINE", engine), ("BASELINE", baseline), ("SUITE", suite)):
        quoted = json.dumps(value)  # a YAML double-quoted string

        def filled(match: re.Match, quoted: str = quoted) -> str:
            return f"{match[1]}: {quoted}"

        text, count = re.subn(
            rf"^(\s+{key}): .*$",
            filled,
            text,
            count=1,
            flags=re.M,
        )
        assert count == 1, f"the shipped workflow has no {key} value"
    return text


def write(project: Path, *, engine: str, baseline: str, suite: str | None) -> list[Path]:
    """Write both files into ``project``; refuses (writing nothing) when either exists."""
    suite = suite or installed_suite(project)
    if not suite:
        raise InitError(
            "cannot tell how a CI runner would install this suite: give --suite, a VCS URL "
            "with a tag or commit (git+https://HOST/OWNER/autograd-conformance@TAG) or a path "
            "inside the project"
        )
    existing = [project / relative for relative in SHIPPED if (project / relative).exists()]
    if existing:
        raise InitError(
            "not overwriting "
            + ", ".join(str(path) for path in existing)
            + ": move it away first, or compare it with the shipped one (conformance ci-init "
            "--dir into an empty folder)"
        )
    contents = {
        WORKFLOW: workflow(engine, baseline, suite),
        GATE: shipped(SHIPPED[GATE]),
    }
    written = []
    for relative, text in contents.items():
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    (project / GATE).chmod(0o755)
    return written
