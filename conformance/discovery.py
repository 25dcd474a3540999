"""Finding and loading engine adapters.

``--engine`` accepts, comma-separated:

* a registered name: a built-in (``reference``, ``torch``) or any entry point in the
  ``conformance.engines`` group, which is how a third-party package ships its adapter;
* ``package.module:factory`` for an adapter that is not installed as a plugin. ``factory`` is an
  :class:`~conformance.engine.Engine` subclass or a callable returning an instance. A module
  that is not importable otherwise is looked for in the current folder too, as ``python -m
  pytest`` would, so that ``pytest --engine=my_adapter:Engine`` finds the ``my_adapter.py``
  beside it.

Every failure is an :class:`EngineError` whose message says what went wrong and how to fix it.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from importlib.metadata import entry_points

from conformance.capabilities import contradictions, unknown
from conformance.engine import Engine

GROUP = "conformance.engines"
BUILTIN = {
    "reference": "conformance.engines.reference_engine:ReferenceEngine",
    "torch": "conformance.engines.torch_engine:TorchEngine",
}
INSTALL_HINTS = {
    "torch": "pip install -e '.[torch]'  (installs torch==2.13.0, CPU)",
    "mygrad": "pip install -e '.[engines]'  (installs mygrad==2.5.0)",
    "tinygrad": "pip install -e '.[engines]'  (tinygrad==0.14.0; CPU needs clang)",
    "micrograd": "pip install -e '.[engines]'  (installs micrograd==0.1.0)",
    "paddle": "pip install -e '.[engines]'  (installs paddlepaddle==3.3.1, CPU)",
}
KNOWN_DEVICES = re.compile(r"^(cpu|cuda|mps|xpu)(:\d+)?$")


class EngineError(Exception):
    """An engine or device could not be used; the message explains the fix."""


def registered() -> dict[str, str]:
    """Engine name -> ``module:factory`` for built-ins and installed entry points."""
    found = dict(BUILTIN)
    for entry in entry_points(group=GROUP):
        found.setdefault(entry.name, entry.value)
    return found


def split(option: str) -> list[str]:
    names = [part.strip() for part in option.split(",")]
    if not all(names):
        raise EngineError(
            f"--engine={option!r} has an empty name; use e.g. --engine=torch,reference"
        )
    return names


def _import_factory(target: str, shown: str):
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise EngineError(f"engine {shown!r}: expected 'package.module:factory', got {target!r}")
    try:
        module = import_here_too(module_name)
    except ImportError as error:
        hint = INSTALL_HINTS.get(shown)
        fix = f"install it: {hint}" if hint else "check the module path and that it is installed"
        raise EngineError(
            f"engine {shown!r}: cannot import {module_name!r} ({error}); {fix}"
        ) from None
    except Exception as error:
        raise EngineError(
            f"engine {shown!r}: importing {module_name!r} raised {type(error).__name__}: {error}"
        ) from error
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise EngineError(
            f"engine {shown!r}: module {module_name!r} has no {attribute!r}"
        ) from None


def import_here_too(module_name: str):
    """Import ``module_name``; if its top-level package is not found, once more with the
    current folder at the end of ``sys.path`` (after everything installed)."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        here = os.getcwd()
        top = module_name.split(".", 1)[0]
        if error.name != top or here in sys.path or "" in sys.path:
            raise
        sys.path.append(here)
        return importlib.import_module(module_name)


def load_engine(name: str) -> Engine:
    """Build the engine that ``name`` refers to, checking it honours the contract's basics."""
    known = registered()
    if ":" in name:
        factory = _import_factory(name, name)
    elif name in known:
        factory = _import_factory(known[name], name)
    else:
        raise EngineError(
            f"unknown engine {name!r}. Available engines: {', '.join(sorted(known))}. "
            "An adapter that is not installed can be named as 'package.module:factory'."
        )
    try:
        engine = factory()
    except Exception as error:
        raise EngineError(
            f"engine {name!r}: its factory raised {type(error).__name__}: {error}"
        ) from error
    if not isinstance(engine, Engine):
        raise EngineError(
            f"engine {name!r}: the factory returned {type(engine).__qualname__}, not an instance "
            "of conformance.Engine; adapters subclass conformance.Engine (see docs/contract.md)"
        )
    if not isinstance(engine.name, str) or not engine.name:
        raise EngineError(f"engine {name!r}: its 'name' must be a non-empty string")
    bad = unknown(engine.capabilities)
    if bad:
        raise EngineError(
            f"engine {name!r} declares unknown capabilities {bad}; the vocabulary is listed in "
            "docs/contract.md (python -m conformance capabilities)"
        )
    both = contradictions(engine.capabilities)
    if both:
        pairs = "; ".join(f"{ours!r} (PyTorch's) and {theirs!r}" for ours, theirs in both)
        raise EngineError(
            f"engine {name!r} declares both readings of a convention: {pairs}. The two disagree "
            "(docs/contract.md); declare the one the engine follows"
        )
    return engine


def load_engines(names: list[str]) -> dict[str, Engine]:
    """``--engine`` option part -> engine, each loaded once; two engines may not share a name,
    since test ids, reports and baselines tell engines apart by name."""
    engines: dict[str, Engine] = {}
    for name in dict.fromkeys(names):
        engine = load_engine(name)
        for other, loaded in engines.items():
            if loaded.name == engine.name:
                raise EngineError(
                    f"engines {other!r} and {name!r} are both named {engine.name!r}; test ids "
                    "and reports tell engines apart by name, so give each adapter its own"
                )
        engines[name] = engine
    return engines


def check_device(device: str) -> str:
    if not KNOWN_DEVICES.match(device):
        raise EngineError(
            f"unknown device {device!r}; use cpu, cuda, cuda:N, mps or xpu (comma-separated)"
        )
    return device
