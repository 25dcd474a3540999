"""The suite's pytest options that an engine project's own test suite may define too.

The plugin is loaded into every pytest session of an environment where the suite is installed.
An engine project's ``conftest.py`` commonly defines ``--device`` (and sometimes ``--engine``,
``--baseline`` or ``--isolate``); two plugins defining one option name make argparse fail before
any test runs. So each of these options is registered under a namespaced name, always
(``--conformance-device``), and under its short name only once the initial conftests and every
other plugin have registered theirs, and only where none of them took it. The project's own
option then keeps its meaning, and the header of a run that collects specs says which name
to use instead.
"""

from __future__ import annotations

from typing import Any

import pytest

# short name -> namespaced name
LONG = {
    "--engine": "--conformance-engine",
    "--device": "--conformance-device",
    "--baseline": "--conformance-baseline",
    "--isolate": "--conformance-isolate",
}
taken_key = pytest.StashKey[list[str]]()  # short names another plugin or conftest owns


def dest(short: str) -> str:
    """The attribute of ``config.option`` that both names of an option set."""
    return LONG[short].lstrip("-").replace("-", "_")


def registered_names(parser: pytest.Parser) -> set[str]:
    return {
        name
        for group in [*parser._groups, parser._anonymous]
        for option in group.options
        for name in option.names()
    }


def add_short_names(config: pytest.Config, parser: pytest.Parser) -> None:
    """Register each short name that nothing else owns as an alias of its namespaced option."""
    owned = registered_names(parser)
    group = parser.getgroup("conformance")
    taken = []
    for short, long in LONG.items():
        if short in owned:
            taken.append(short)
            continue
        original = namespaced(parser, short)._action
        attrs = {"metavar": original.metavar} if original.metavar else {}
        group.addoption(
            short,
            dest=dest(short),
            action="store_true" if original.nargs == 0 else "store",
            default=original.default,  # so that the alias does not reset it
            help=f"short for {long}; left to the project where its own conftest or another "
            f"plugin defines {short}.",
            **attrs,
        )
    config.stash[taken_key] = taken


def namespaced(parser: pytest.Parser, short: str) -> Any:
    """The namespaced option registered by the plugin for ``short``."""
    (found,) = (
        option
        for group in parser._groups
        for option in group.options
        if LONG[short] in option.names()
    )
    return found


def name(config: pytest.Config, short: str) -> str:
    """The name of an option that works in this session: the short one unless it is taken."""
    return LONG[short] if short in config.stash.get(taken_key, []) else short


def taken_lines(config: pytest.Config) -> list[str]:
    return [
        f"conformance: {short} is this project's own option; the suite's is {LONG[short]}"
        for short in config.stash.get(taken_key, [])
    ]
