"""Case ids are short and readable, as a baseline line names them (``tensors.inplace_methods
[add_]``): a parametrized spec whose values pytest cannot print gives its own ids, instead of
pytest's ``argument0-expected0``."""

from __future__ import annotations

import importlib
import pkgutil

from conformance import specs
from conformance.spec import info_of

PRINTABLE = (str, int, float, bool)  # pytest prints these as they are


def parametrize_marks():
    for module in pkgutil.iter_modules(specs.__path__):
        if not module.name.startswith("test_"):
            continue
        for value in vars(importlib.import_module(f"conformance.specs.{module.name}")).values():
            info = info_of(value)
            for mark in getattr(value, "pytestmark", []) if info else []:
                if mark.name == "parametrize":
                    yield info.id, mark


def test_cases_of_values_pytest_cannot_print_have_ids():
    unreadable = []
    for spec_id, mark in parametrize_marks():
        if mark.kwargs.get("ids") is not None:
            continue
        names = mark.args[0]
        several = not isinstance(names, str) or "," in names
        for case in mark.args[1]:
            values = case.values if hasattr(case, "values") else (case if several else (case,))
            if any(v is not None and not isinstance(v, PRINTABLE) for v in values):
                unreadable.append(f"{spec_id}: {case!r}")
    assert not unreadable, "give these parametrize marks ids=[...]:\n" + "\n".join(unreadable)
