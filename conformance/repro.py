"""Copy-pasteable reproductions: a failing spec as a standalone script for its engine."""

from __future__ import annotations

import ast
import inspect
import textwrap

SETUP = (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign)
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _is_test(node: ast.stmt) -> bool:
    return isinstance(node, DEFINITIONS) and node.name.lower().startswith("test")


def _module_setup(module) -> list[str]:
    """The module's imports, top-level constants and helper functions and classes, which a spec
    body may use; the other specs are left out."""
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
        if isinstance(node, SETUP):
            lines.extend(source[node.lineno - 1 : node.end_lineno])
        elif isinstance(node, DEFINITIONS) and not _is_test(node):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            lines.extend(["", *source[first - 1 : node.end_lineno], ""])
    return lines


def reproduction(function, engine_option: str, device: str, params: dict | None = None) -> str:
    """A script that runs the spec once against the engine, outside pytest."""
    try:
        body = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return ""
    arguments = "".join(f", {name}={value!r}" for name, value in (params or {}).items())
    module = inspect.getmodule(function)
    return "\n".join(
        [
            *_module_setup(module),
            "from conformance.repro import run",
            "",
            body,
            f"run({function.__name__}, engine={engine_option!r}, device={device!r}{arguments})",
        ]
    )


def run(function, *, engine: str, device: str = "cpu", **params) -> None:
    """Run one spec function against an engine, as the plugin would (skips aside)."""
    from conformance.discovery import load_engine
    from conformance.running import running_spec
    from conformance.spec import info_of

    instance = load_engine(engine).on_device(device)
    with running_spec(info_of(function), instance):
        function(instance, **params)
