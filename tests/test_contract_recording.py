"""The contract is complete and exact: the catalogue, run on the reference engine through
recording proxies (tests/contract_recorder.py), uses only members that conformance/engine.py
documents under a capability the spec requires, every documented member is used, and a spec
requires no capability whose members it does not use."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.capabilities import CAPABILITIES, IMPLICIT
from conformance.engine import PROTOCOL, contract_methods
from conformance.spec import info_of
from tests import contract_recorder

SPECS = Path(__file__).resolve().parent.parent / "specs"


_RUN: list[set] = []  # one catalogue run serves every test here
_CALLS: set[tuple[str, str, int, tuple[str, ...]]] = set()


@pytest.fixture
def touched(pytester) -> set[tuple[str, frozenset[str], str]]:
    if not _RUN:
        contract_recorder.TOUCHED.clear()
        contract_recorder.CALLS.clear()
        result = pytester.runpytest_inprocess(
            str(SPECS),
            "--engine=tests.contract_recorder:RecordingEngine",
            "--probe-undeclared",  # the specs of the other reading of a convention too
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "--hypothesis-profile=ci",
            "-q",
        )
        assert result.ret == 0, "the catalogue must pass on the recording reference engine"
        _RUN.append(set(contract_recorder.TOUCHED))
        _CALLS.update(contract_recorder.CALLS)
    return _RUN[0]


def documented() -> dict[str, set[str]]:
    """ "kind.member" -> the capabilities it is documented under (engine methods included)."""
    where: dict[str, set[str]] = {}
    for capability, members in PROTOCOL.items():
        for member in members:
            where.setdefault(member, set()).add(capability)
    for capability, name, _ in contract_methods():
        where.setdefault(f"engine.{name}", set()).add(capability)
    for state, capability in contract_recorder.STATES.items():
        where.setdefault(state, set()).add(capability)
    return where


# Members a spec may use without requiring their capability, because a helper calls them only
# when the engine declares it: specs/seeding.py seeds where no verdict depends on the seed, and
# the property strategies draw float64 where the engine declares it (specs/strategies.dtypes).
OPTIONAL = {"engine.manual_seed", "state.float64"}


def test_specs_use_only_members_documented_for_their_capabilities(touched):
    where = documented()
    problems = sorted(
        f"spec {spec} uses {member}, "
        + (
            f"documented under {' or '.join(sorted(where[member]))}, which it does not require"
            if member in where
            else "which the contract does not document"
        )
        for spec, capabilities, member in touched
        if not where.get(member, set()) & capabilities and member not in OPTIONAL
    )
    assert not problems, "\n".join(problems)


def catalogue() -> dict:
    """spec id -> its metadata, for every spec of the catalogue."""
    import importlib
    import pkgutil

    from conformance import specs

    found = {}
    for module in pkgutil.iter_modules(specs.__path__):
        if module.name.startswith("test_"):
            for value in vars(importlib.import_module(f"conformance.specs.{module.name}")).values():
                info = info_of(value)
                if info is not None:
                    found[info.id] = info
    return found


def test_specs_require_only_capabilities_whose_members_they_use(touched):
    """A prerequisite whose members a spec never touches hides the spec from an engine that
    lacks it, for nothing. Capabilities that document no member (tensor.arrays,
    tensor.float64, the behaviour families of autograd) are states of what the spec does,
    which the recording cannot see; they are left to review. So are the property specs: which
    ops a drawn graph uses depends on the draw, and the ci profile draws few examples."""
    where = documented()
    with_members = {capability for owners in where.values() for capability in owners}
    used: dict[str, set[str]] = {}
    for spec, _, member in touched:
        used.setdefault(spec, set()).update(where.get(member, ()))
    problems = sorted(
        f"spec {info.id} requires {capability} but uses none of its members"
        for info in catalogue().values()
        if info.id in used  # a spec that did not run on the reference engine is not judged
        and not info.about.startswith("properties.")
        for capability in info.requires - IMPLICIT - {info.about}
        if capability in with_members and capability not in used[info.id]
    )
    assert not problems, "\n".join(problems)
    assert with_members <= CAPABILITIES.keys()


def test_every_documented_member_is_used_by_a_spec(touched):
    used = {member for _, _, member in touched}
    unused = sorted(set(documented()) - used)
    assert not unused, f"documented but used by no spec (drop them): {unused}"


def test_specs_call_engine_methods_as_their_signatures_say(touched):
    """docs/contract.md gives each method's signature: positional arguments before a bare
    ``*``, keywords after it. Every call a spec makes must fit it, so that an adapter written
    from the signature alone accepts every call."""
    import inspect

    from conformance.engine import Engine

    assert _CALLS, "the recording engine saw no call"
    problems = []
    for spec, name, positional, keywords in sorted(_CALLS):
        parameters = list(inspect.signature(getattr(Engine, name)).parameters.values())[1:]
        try:
            inspect.Signature(parameters).bind(*range(positional), **dict.fromkeys(keywords))
        except TypeError as error:
            problems.append(
                f"spec {spec} calls {name} with {positional} positional arguments "
                f"and keywords {list(keywords)}: {error}"
            )
    assert not problems, "\n".join(problems)
