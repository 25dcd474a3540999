"""Helpers for the plugin tests: write small spec files into a pytester dir and run pytest on them.

Runs are in-process by default (fast); ``subprocess=True`` is for runs that need a fresh
interpreter (pytest-xdist workers, PyTorch, which must not be imported twice in one process).
Engines come from :mod:`tests.tiny_engine`, so no test here depends on ``reference_impl``.
"""

from __future__ import annotations

import importlib.util
import json
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Both are in the dev extra; without them the tests that use them skip, saying why.
needs_xdist = pytest.mark.skipif(
    importlib.util.find_spec("xdist") is None, reason="needs pytest-xdist (pip install -e .[dev])"
)
needs_randomly = pytest.mark.skipif(
    importlib.util.find_spec("pytest_randomly") is None,
    reason="needs pytest-randomly (pip install -e .[dev])",
)
TINY = "tests.tiny_engine"
PY_COURSE = "003_6019b0b13895e324.txt"  # the id of the document the demo specs cite

SQUARE_BODY = """\
x = engine.tensor(3.0, requires_grad=True)
(x ** 2).backward()
expect_grad(x, 6.0, what="x.grad")"""

# Spec files written by the tests declare the one document they cite, as any catalogue does.
HEADER = (
    "import pytest\nfrom conformance import *\nfrom conformance import MATHEMATICS\n"
    f'COURSE = Document("{PY_COURSE}", "Training Neural Networks", author="Mark Andrews")\n'
)


def spec_source(
    name: str = "square_grad",
    *,
    body: str = SQUARE_BODY,
    id: str | None = None,
    behaviour: str = "for y = x**2 at x = 3 the gradient is 6",
    sources: str = '[Source(COURSE, "Autograd")]',
    requires: str = '{"autograd.backward"}',
    extra: str = "",
    arguments: str = "engine",
    decorators: str = "",
) -> str:
    """One spec function, ``test_<name>`` with id ``demo.<name>`` unless given; ``extra`` adds
    keyword arguments to ``@spec``."""
    return (
        f"\n\n{decorators}@spec(\n"
        f'    id="{id or "demo." + name}",\n'
        f'    behaviour="{behaviour}",\n'
        f"    sources={sources},\n"
        f"    requires={requires},\n" + (f"    {extra}\n" if extra else "") + f")\n"
        f"def test_{name}({arguments}):\n" + textwrap.indent(body, "    ") + "\n"
    )


WRONG_SIGN = spec_source(body=SQUARE_BODY.replace("6.0", "-6.0"))


class PluginRun:
    """``run(*args)`` runs pytest in the pytester dir with randomisation and the cache off."""

    def __init__(self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
        self.pytester = pytester
        self.monkeypatch = monkeypatch
        # The engines are named as tests.tiny_engine:..., importable from the repository root.
        monkeypatch.syspath_prepend(str(REPO))

    def write(self, *specs: str, name: str = "test_demo") -> Path:
        """A spec module made of ``specs`` (from :func:`spec_source`)."""
        return self.pytester.makepyfile(**{name: HEADER + "".join(specs)})

    def __call__(self, *args: str, subprocess: bool = False, randomly: bool = False):
        # hypothesis's plugin imports hypothesis at the end of every run, and pytester forgets
        # modules imported during an in-process run: a second per run for nothing.
        options = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark"]
        options += [] if randomly else ["-p", "no:randomly"]
        if subprocess:
            self.monkeypatch.setenv("PYTHONPATH", str(REPO))
            return self.pytester.runpytest_subprocess(*options, *args)
        return self.pytester.runpytest_inprocess(*options, *args)


def outcomes_in_report(path: Path) -> dict[str, str]:
    """Spec id -> outcome ("passed", "blocked", ...) from a run's ``--conformance-report``, in
    the order the specs ran: the plugin's own records, nothing read back from terminal text."""
    results = json.loads(path.read_text(encoding="utf-8"))["results"]
    return {result["spec"]: result["outcome"] for result in results}
