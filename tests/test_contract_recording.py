"""The contract is complete and exact: the catalogue, run on the reference engine through
recording proxies (tests/contract_recorder.py), uses only members that conformance/engine.py
documents under a capability the spec requires, and every documented member is used."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.engine import PROTOCOL, contract_methods
from tests import contract_recorder

SPECS = Path(__file__).resolve().parent.parent / "specs"


_RUN: list[set] = []  # one catalogue run serves both tests


@pytest.fixture
def touched(pytester) -> set[tuple[str, frozenset[str], str]]:
    if not _RUN:
        contract_recorder.TOUCHED.clear()
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
    return _RUN[0]


def documented() -> dict[str, set[str]]:
    """ "kind.member" -> the capabilities it is documented under (engine methods included)."""
    where: dict[str, set[str]] = {}
    for capability, members in PROTOCOL.items():
        for member in members:
            where.setdefault(member, set()).add(capability)
    for capability, name, _ in contract_methods():
        where.setdefault(f"engine.{name}", set()).add(capability)
    return where


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
        if not where.get(member, set()) & capabilities
    )
    assert not problems, "\n".join(problems)


def test_every_documented_member_is_used_by_a_spec(touched):
    used = {member for _, _, member in touched}
    unused = sorted(set(documented()) - used)
    assert not unused, f"documented but used by no spec (drop them): {unused}"
