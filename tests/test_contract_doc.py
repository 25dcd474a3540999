"""The contract page an author reads once (conformance/contract_doc.py): every Engine method
with its signature, conventions named under their own capabilities only, and the ways an engine
that works otherwise declares itself (a recording scope, global modes)."""

from __future__ import annotations

import inspect

from conformance.contract_doc import as_markdown, signature
from conformance.engine import Engine, contract_methods
from tests.plugin_run import TINY, spec_source


def test_each_method_is_given_with_its_signature():
    page = as_markdown()
    assert signature("zeros") == "zeros(*shape, dtype='float32', requires_grad=False)"
    assert signature("softmax") == "softmax(x, dim=-1)"
    assert signature("random_split") == "random_split(dataset, lengths, *, seed)"
    for _, name, _ in contract_methods():
        assert f"- `Engine.{signature(name)}`:" in page


def test_linear_leaves_the_initialisation_to_its_own_capability():
    doc = inspect.getdoc(Engine.linear)
    assert "nn.linear_init" in doc
    assert "PyTorch's default" not in doc


def test_conventions_are_named_under_their_own_capabilities():
    """The SGD and Adam methods (optim.sgd, optim.adam) name momentum, weight decay and Adam's
    equations as the capabilities they are, not as part of what they ask."""
    for name, conventions in (
        ("sgd", ("optim.momentum", "optim.weight_decay")),
        ("adam", ("optim.adam_equations", "optim.weight_decay")),
        ("data_loader", ("random.manual_seed",)),
    ):
        doc = " ".join(inspect.getdoc(getattr(Engine, name)).split())
        assert not doc.startswith("PyTorch's"), name
        for convention in conventions:
            assert convention in doc, (name, convention)


def test_the_page_says_how_engines_that_work_otherwise_declare_themselves():
    page = " ".join(as_markdown().split())
    assert "Engine.spec_scope()" in page
    assert "modes switched globally" in page
    assert "declaring both is a usage error" in page


def test_a_spec_runs_inside_the_engines_recording_scope(run):
    run.write(spec_source())
    run(f"--engine={TINY}:ScopedRecordingEngine").assert_outcomes(passed=1)
