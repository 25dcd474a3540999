"""Which capability a failure belongs to: the capability of the contract member that raised or
was missing, when that member is another capability's than the one the spec is about.

A spec about ``nn.linear`` that needs ``x.mean()`` and meets an engine without ``mean`` has not
shown anything about Linear layers: the failure is ``tensor.ops``'s (which documents ``mean``),
and the verdict table says so. Members are named as the contract names them
(``conformance/engine.py``): ``engine.softmax`` for an Engine method, ``tensor.mean`` for a
member of the engine's tensors.
"""

from __future__ import annotations

from functools import cache

from conformance.capabilities import IMPLICIT
from conformance.engine import PROTOCOL, contract_methods
from conformance.spec import SpecInfo


@cache
def owners() -> dict[str, frozenset[str]]:
    """ "kind.member" -> the capabilities that document it (Engine methods as "engine.name")."""
    found: dict[str, set[str]] = {}
    for capability, members in PROTOCOL.items():
        for member in members:
            found.setdefault(member, set()).add(capability)
    for capability, name, _ in contract_methods():
        found.setdefault(f"engine.{name}", set()).add(capability)
    return {member: frozenset(capabilities) for member, capabilities in found.items()}


def members_named(name: str) -> list[str]:
    """The contract members of any kind called ``name`` ("mean" -> ["tensor.mean"])."""
    return sorted(member for member in owners() if member.split(".", 1)[1] == name)


def resolve(member: str, spec: SpecInfo) -> str:
    """``member`` as the contract names it: "*.step" (a member of some engine object) becomes
    the documented member of that name that ``spec``'s capabilities document
    ("optimizer.step"); an Engine method stays as it is; "" when the contract has none."""
    if not member.startswith("*."):
        return member if member in owners() else ""
    named = members_named(member[2:])
    mine = [m for m in named if owners()[m] & spec.capabilities]
    return (mine or named or [""])[0]


def capability_of(member: str, spec: SpecInfo) -> str:
    """The capability ``member`` belongs to for ``spec``: the spec's subject when that documents
    it, else the one of the spec's capabilities that does (the first by name), else the first
    that documents it at all; "" for a member the contract does not document."""
    if member.startswith("*."):
        documenting = frozenset().union(*(owners()[m] for m in members_named(member[2:])))
    else:
        documenting = owners().get(member, frozenset())
    if not documenting:
        return ""
    if spec.subject in documenting:
        return spec.subject
    mine = sorted(documenting & spec.capabilities)
    return mine[0] if mine else sorted(documenting)[0]


def charged(member: str, spec: SpecInfo, refused: bool = False) -> str:
    """The capability a failure at ``member`` counts against instead of the spec's subject, or
    "" when it counts against the subject: an unknown member, one the subject documents, one of
    ``tensor.core`` (creating and reading tensors takes the arrays, dtypes and flags that other
    capabilities are about: ``tensor(data, dtype="float64")`` failing is ``tensor.float64``'s
    failure; the basic specs judge tensor.core itself), or a method that ``refused`` one
    argument value, which is the form the spec is about."""
    capability = capability_of(member, spec) if member and not refused else ""
    return capability if capability in spec.capabilities - {spec.subject} - IMPLICIT else ""
