"""Copy-pasteable reproductions: a failing spec as a standalone script for its engine."""

from __future__ import annotations

import ast
import importlib.util
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
        if isinstance(node, ast.ImportFrom) and node.level:
            lines.append(_absolute(node, module))
        elif isinstance(node, SETUP):
            lines.extend(source[node.lineno - 1 : node.end_lineno])
        elif isinstance(node, DEFINITIONS) and not _is_test(node):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            lines.extend(["", *source[first - 1 : node.end_lineno], ""])
    return lines


def _absolute(node: ast.ImportFrom, module) -> str:
    """A relative import of the spec's module written absolutely: the script is not part of the
    package, so ``from .helpers import x`` becomes ``from <package>.helpers import x``."""
    target = importlib.util.resolve_name("." * node.level + (node.module or ""), module.__package__)
    names = ", ".join(f"{a.name} as {a.asname}" if a.asname else a.name for a in node.names)
    return f"from {target} import {names}"


def _source(value) -> str:
    """Python source that rebuilds a spec parameter: its repr, except for NumPy arrays and
    scalars (whose repr, ``array([1.])``, names nothing the script has)."""
    if type(value).__module__ == "numpy" and hasattr(value, "dtype"):
        if type(value).__name__ == "ndarray":
            return f"numpy.array({value.tolist()!r}, dtype=numpy.{value.dtype})"
        return f"numpy.{value.dtype}({value.item()!r})"
    if isinstance(value, (tuple, list)):
        items = [_source(item) for item in value]
        if isinstance(value, list):
            return f"[{', '.join(items)}]"
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_source(k)}: {_source(v)}" for k, v in value.items()) + "}"
    return repr(value)


def reproduction(function, engine_option: str, device: str, params: dict | None = None) -> str:
    """A script that runs the spec once against the engine, outside pytest."""
    try:
        body = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return ""
    arguments = "".join(f", {name}={_source(value)}" for name, value in (params or {}).items())
    module = inspect.getmodule(function)
    return "\n".join(
        [
            *_module_setup(module),
            "import numpy",  # for parameters that are arrays (a spec module imports it anyway)
            "from conformance.repro import run",
            "",
            body,
            f"run({function.__name__}, engine={engine_option!r}, device={device!r}{arguments})",
        ]
    )


def reproduction_of(item, engine_option: str) -> str:
    """The script of one collected case of a spec: its function, its engine target's device and
    its parameters as pytest drew them (everything in ``callspec`` but the target)."""
    params = {k: v for k, v in item.callspec.params.items() if k != "engine"}
    device = item.callspec.params["engine"].device
    return reproduction(item.obj, engine_option, device, params)


def run(function, *, engine: str, device: str = "cpu", **params) -> None:
    """Run one spec function against an engine, as the plugin would (skips aside)."""
    from conformance.discovery import load_engine
    from conformance.running import running_spec
    from conformance.spec import info_of

    instance = load_engine(engine).on_device(device)
    with running_spec(info_of(function), instance), instance.spec_scope():
        function(instance, **params)
