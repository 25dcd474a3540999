"""A failure is charged where it happens: to the capability of the contract member that raised
or was missing (conformance/charging.py), not to every capability whose specs call it."""

from __future__ import annotations

from conformance.engine_errors import EngineError
from conformance.spec import MATHEMATICS, Source, SpecInfo
from tests.catalogue_run import run_catalogue
from tests.misbehaving_engines import reference_tensors_without


def test_a_missing_mean_fails_only_the_capability_that_documents_mean(pytester):
    with reference_tensors_without("mean"):
        results = run_catalogue(pytester, "reference", "--hypothesis-profile=ci")
    failed = [r for r in results if r["outcome"] == "failed"]
    assert failed, "specs call mean(): some must fail without it"
    # Specs about autograd.backward, nn.linear, loss.mse ... fail through mean(); each failure
    # counts against tensor.ops, and its message names the member and its capability.
    assert len({r["spec"] for r in failed}) > 1
    assert {r["about"] for r in failed} == {"tensor.ops"}
    others = [r for r in failed if "about=" not in r["message"]]
    for record in others:
        assert "tensor.mean" in record["message"], record["message"]


def info(about: str, *requires: str) -> SpecInfo:
    return SpecInfo(
        id="demo.spec",
        behaviour="an example behaviour sentence",
        sources=(Source(MATHEMATICS, "example"),),
        requires=frozenset(requires),
        about=about,
    )


def test_a_refused_argument_is_not_called_unimplemented():
    from conformance.engine_errors import failure_text

    error = NotImplementedError("only dim=-1")
    found = EngineError(error, None, None, "engine.softmax", "engine.softmax", refused=True)
    text = failure_text(info("nn.softmax"), "e (cpu)", found, "nn.softmax")
    assert "does not implement" not in text
    assert "engine.softmax (nn.softmax) is implemented but refused this call" in text
    assert "only dim=-1" in text


def test_an_unimplemented_method_names_its_own_capability():
    from conformance.engine_errors import failure_text

    error = NotImplementedError()
    found = EngineError(error, None, None, "engine.softmax", "engine.softmax")
    text = failure_text(info("loss.cross_entropy", "nn.softmax"), "e (cpu)", found, "x")
    assert "the adapter declares nn.softmax but does not implement engine.softmax" in text
    assert "counted:   against nn.softmax, the capability of engine.softmax" in text


def test_a_refused_keyword_stays_with_the_spec_it_is_about():
    """backward(retain_graph=True) on an engine whose backward takes no retain_graph is the
    retain_graph spec failing, not autograd.backward: the member exists, and the keyword is the
    form the spec is about (mygrad, tinygrad and micrograd refuse it so)."""
    from conformance import charging
    from conformance.engine_errors import refuses_keyword

    error = TypeError("Tensor.backward() got an unexpected keyword argument 'retain_graph'")
    spec = info("autograd.retain_graph", "autograd.backward")
    assert charging.charged("*.backward", spec) == "autograd.backward"  # without the refusal
    assert refuses_keyword(error)
    assert charging.charged("*.backward", spec, refused=refuses_keyword(error)) == ""
    assert not refuses_keyword(TypeError("unsupported operand type(s) for @"))


def test_an_absent_member_of_an_undeclared_capability_is_not_called_declared():
    """Under --probe-undeclared a spec runs a capability the adapter does not declare: its
    message must not say the adapter declares it."""
    from conformance.engine_errors import failure_text

    found = EngineError(NotImplementedError(), None, None, "engine.softmax", "engine.softmax")
    spec = info("nn.softmax")
    probed = failure_text(spec, "e (cpu)", found, "nn.softmax", frozenset({"tensor.core"}))
    assert "the adapter does not declare nn.softmax, and does not implement engine.softmax" in (
        probed
    )
    assert "declares nn.softmax but" not in probed
    declared = failure_text(spec, "e (cpu)", found, "nn.softmax", frozenset({"nn.softmax"}))
    assert "the adapter declares nn.softmax but does not implement engine.softmax" in declared
