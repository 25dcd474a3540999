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


def _used_names(tree: ast.AST) -> set[str]:
    """Every name that ``tree`` reads (the spec's decorator and body, or a helper's source)."""
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _defined_names(node: ast.stmt) -> set[str]:
    """The module-level names a top-level statement binds."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".", 1)[0] for a in node.names}
    if isinstance(node, DEFINITIONS):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}


def _needed(tree: ast.Module, used: set[str]) -> list[ast.stmt]:
    """The top-level statements that ``used`` needs, directly or through what they use in turn
    (a helper function, the constant it reads, the import behind that), in module order. A
    star import is always kept: the names it brings cannot be told apart."""
    candidates = [
        node
        for node in tree.body
        if isinstance(node, (*SETUP, *DEFINITIONS))
        and not _is_test(node)
        and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
    ]
    kept: set[int] = set()
    changed = True
    while changed:
        changed = False
        for index, node in enumerate(candidates):
            star = isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
            if index not in kept and (star or _defined_names(node) & used):
                kept.add(index)
                used |= _used_names(node)
                changed = True
    return [node for index, node in enumerate(candidates) if index in kept]


def _module_setup(module, function) -> list[str]:
    """What the spec needs of its module: the imports, constants, helper functions and classes
    that its decorator and body use (and those they use), and nothing else of the preamble."""
    try:
        text = inspect.getsource(module)
        tree = ast.parse(text)
        used = _used_names(ast.parse(textwrap.dedent(inspect.getsource(function))))
    except (OSError, TypeError, SyntaxError):
        return []
    source = text.splitlines()
    lines = []
    for node in _needed(tree, used):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            lines.append(_import_of(node, module, used))
        elif isinstance(node, SETUP):
            lines.extend(source[node.lineno - 1 : node.end_lineno])
        elif isinstance(node, DEFINITIONS):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            lines.extend(["", *source[first - 1 : node.end_lineno], ""])
    return lines


def _import_of(node: ast.Import | ast.ImportFrom, module, used: set[str]) -> str:
    """An import statement for the names of ``node`` that are used; a relative import of the
    spec's module written absolutely: the script is not part of the package, so ``from .helpers
    import x`` becomes ``from <package>.helpers import x``."""
    aliases = [a for a in node.names if a.name == "*" or (a.asname or a.name).split(".")[0] in used]
    names = ", ".join(f"{a.name} as {a.asname}" if a.asname else a.name for a in aliases)
    if isinstance(node, ast.Import):
        return f"import {names}"
    target = node.module or ""
    if node.level:
        target = importlib.util.resolve_name("." * node.level + target, module.__package__)
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
            *_module_setup(module, function),
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
