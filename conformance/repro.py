"""Copy-pasteable reproductions: a failing spec as a standalone script for its engine."""

from __future__ import annotations

import ast
import inspect
import textwrap


def _module_setup(module) -> list[str]:
    """The module's imports and top-level constants, which a spec body may use."""
    try:
        text = inspect.getsource(module)
        tree = ast.parse(text)
    except (OSError, TypeError, SyntaxError):
        return []
    source = text.splitlines()
    lines = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, ast.Import | ast.ImportFrom | ast.Assign | ast.AnnAssign):
            lines.extend(source[node.lineno - 1 : node.end_lineno])
    return lines


def _body(function) -> str:
    """The function's source without its decorators."""
    source = textwrap.dedent(inspect.getsource(function))
    tree = ast.parse(source)
    definition = tree.body[0]
    lines = source.splitlines()
    return "\n".join(lines[definition.lineno - 1 :])


def reproduction(function, engine_option: str, device: str) -> str:
    """A script that loads the engine and runs the spec's body once, outside pytest."""
    try:
        body = _body(function)
    except (OSError, TypeError, SyntaxError):
        return ""
    module = inspect.getmodule(function)
    return "\n".join(
        [
            *_module_setup(module),
            "from conformance.discovery import load_engine",
            "",
            body,
            "",
            "",
            f"{function.__name__}(load_engine({engine_option!r}).on_device({device!r}))",
        ]
    )
