"""The catalogue's own consistency: valid metadata, generated pages up to date, helpers, and
teeth: PyTorch with one planted bug fails the specs of the behaviour it breaks."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from conformance import catalogue, contract_doc, tolerance
from conformance.capabilities import ALTERNATIVES, CAPABILITIES
from conformance.expect import SpecFailure, _diagnosis, expect_close, expect_raises
from conformance.sources import anchor_problems
from conformance.spec import MATHEMATICS, Source
from specs.sources import BIBLIOGRAPHY, PYTORCH_DOCS, SEED_DOCUMENTS

if importlib.util.find_spec("torch") is not None:
    # Imported with this module, before pytester snapshots sys.modules, so that the in-process
    # runs below reuse it instead of importing torch's extension modules a second time.
    import torch

    from conformance.engines.torch_engine import TorchEngine
else:  # the planted engines below are then never instantiated (their tests skip)
    torch = None
    TorchEngine = object

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"
SPECS = catalogue.collect()


def test_catalogue_has_specs_in_every_chapter():
    chapters = {catalogue.chapter(s) for s in SPECS}
    assert chapters >= {
        "autograd",
        "graph",
        "loss",
        "optim",
        "data",
        "regularisation",
        "tensors",
        "examples",
        "layers",
        "basics",
    }


@pytest.mark.parametrize("info", SPECS, ids=[s.id for s in SPECS])
def test_spec_metadata_is_valid(info):
    assert info.problems() == []


def test_specs_cite_exactly_the_bibliography():
    cited = {source.document for s in SPECS for source in s.sources}
    assert cited - {MATHEMATICS} == set(BIBLIOGRAPHY)


def test_every_document_of_the_bibliography_can_be_looked_up():
    for document in BIBLIOGRAPHY:
        assert document.title and document.author and document.where, document.id


NO_SEEDS = f"the source documents are not beside the repository (looked in {SEEDS})"


@pytest.mark.skipif(not SEEDS.is_dir(), reason=NO_SEEDS)
def test_known_documents_match_the_seed_folder():
    assert {p.name for p in SEEDS.glob("*.txt")} == {d.id for d in SEED_DOCUMENTS}


def seed_texts() -> dict[str, str]:
    return {d.id: (SEEDS / d.id).read_text(encoding="utf-8") for d in SEED_DOCUMENTS}


@pytest.mark.skipif(not SEEDS.is_dir(), reason=NO_SEEDS)
@pytest.mark.parametrize("info", SPECS, ids=[s.id for s in SPECS])
def test_every_anchor_occurs_in_its_document(info):
    assert anchor_problems(info.sources, seed_texts()) == []


@pytest.mark.skipif(not SEEDS.is_dir(), reason=NO_SEEDS)
def test_an_anchor_edited_to_other_text_is_caught():
    """The check has teeth: each spec's metadata, copied with one document anchor edited to text
    that is not in the document, fails it."""
    texts = seed_texts()
    edited = 0
    for info in SPECS:
        for i, source in enumerate(info.sources):
            if source.document in SEED_DOCUMENTS:
                changed = Source(source.document, source.section + " (edited)")
                copy = [*info.sources[:i], changed, *info.sources[i + 1 :]]
                assert anchor_problems(copy, texts) == [
                    f"{changed}: the anchor does not occur in {source.document}"
                ], info.id
                edited += 1
    assert edited >= len(SPECS)


@pytest.mark.skipif(not SEEDS.is_dir(), reason=NO_SEEDS)
def test_passages_judged_not_executable_are_anchored_too():
    notes = catalogue.reading_notes()
    assert notes, "the reading notes of specs/reading.py are missing"
    cited = [Source(document, anchor) for document, anchor, _ in notes]
    assert anchor_problems(cited, seed_texts()) == []
    assert all(why.strip() for _, _, why in notes)


def test_a_missing_document_text_is_reported():
    source = Source(SEED_DOCUMENTS[0], "anything")
    assert anchor_problems([source], {}) == [f"{source}: the document's text was not given"]


def is_convention(capability: str) -> bool:
    return CAPABILITIES[capability].startswith("PyTorch convention")


@pytest.mark.parametrize("info", SPECS, ids=[s.id for s in SPECS])
def test_pytorch_documentation_is_cited_only_for_conventions(info):
    """A spec whose behaviour no document states (it cites PyTorch's API documentation and no
    source document) relies on a PyTorch convention, so it sits under a capability that says so:
    an engine following only the documents can decline it."""
    kinds = {source.document for source in info.sources}
    if PYTORCH_DOCS in kinds and not kinds & set(SEED_DOCUMENTS):
        assert any(is_convention(c) for c in info.capabilities), info.id


def test_every_convention_capability_has_a_spec_about_it():
    about = {getattr(s, "about", "") for s in SPECS}
    assert {c for c in CAPABILITIES if is_convention(c)} <= about


@pytest.mark.parametrize(
    ("page", "render"),
    [
        ("catalogue.md", lambda: catalogue.as_markdown(SPECS)),
        ("contract.md", contract_doc.as_markdown),
    ],
)
def test_generated_page_is_up_to_date(page, render):
    committed = (REPO / "docs" / page).read_text(encoding="utf-8")
    assert committed == render(), f"docs/{page} is stale: run python -m conformance docs"


def test_statistical_specs_are_bounded_tightly():
    """The suite's promise: a statistical spec fails a correct engine at most once in 10**9."""
    loose = {
        s.id: s.false_failure_probability
        for s in SPECS
        if s.false_failure_probability is not None and s.false_failure_probability > 1e-9
    }
    assert not loose


def test_listing_names_every_spec_with_its_sources_and_capabilities():
    table = catalogue.as_table(SPECS)
    for info in SPECS:
        assert info.id in table
        assert catalogue.short_source(info.sources[0]) in table
    assert f"{len(SPECS)} specs" in table


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


COPIED_RUN = 9  # identical consecutive words that count as a copied sentence


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the source documents are not beside the repo")
def test_specs_and_pages_paraphrase_the_documents():
    runs = set()
    for document in SEEDS.glob("*.txt"):
        w = words(document.read_text(encoding="utf-8", errors="ignore"))
        runs.update(tuple(w[i : i + COPIED_RUN]) for i in range(len(w) - COPIED_RUN + 1))
    copied = {}
    for path in [*(REPO / "specs").glob("*.py"), *(REPO / "docs").glob("*.md")]:
        w = words(path.read_text(encoding="utf-8"))
        found = [w[i : i + COPIED_RUN] for i in range(len(w) - COPIED_RUN + 1)]
        found = [" ".join(run) for run in found if tuple(run) in runs]
        if found:
            copied[path.name] = found
    assert not copied, f"sentences copied from the source documents: {copied}"


# -- helpers -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("got", "expected", "hint"),
    [
        ([-1.0, -2.0], [1.0, 2.0], "wrong sign"),
        ([2.0, 4.0], [1.0, 2.0], "expected times 2"),
        ([np.nan], [1.0], "NaN"),
        ([np.inf], [1.0], "inf"),
        ([1.0, 5.0], [1.0, 2.0], ""),
    ],
)
def test_diagnosis_tells_kinds_of_error_apart(got, expected, hint):
    found = _diagnosis(np.array(got), np.array(expected))
    assert (hint in found) if hint else found == ""


def test_rounding_error_within_the_float32_table_passes():
    expect_close(np.float32(0.24131133), 0.241311296657157, what="cross-entropy")


def test_float32_tolerance_rejects_a_wrong_digit():
    with pytest.raises(SpecFailure, match=r"allowed .*float32 table"):
        expect_close(np.float32(0.2414), 0.241311296657157, what="cross-entropy")


def test_float64_is_held_to_the_float64_table():
    # A float64 spec says so (dtype="float64"); a float64 result of a float32 computation is
    # judged at float32 tolerance.
    with pytest.raises(SpecFailure):
        expect_close(
            np.float64(0.24131133), 0.241311296657157, what="cross-entropy", dtype="float64"
        )


def test_shape_is_checked_before_values():
    with pytest.raises(SpecFailure, match=r"shape mismatch.*\n.*shape \(2,\)"):
        expect_close(np.zeros((2, 1)), np.zeros(2), what="x")


def test_expect_raises_fails_when_nothing_is_raised():
    with pytest.raises(SpecFailure, match="no exception was raised"):
        with expect_raises(what="an error"):
            pass


def test_integer_dtypes_compare_exactly():
    assert tolerance.for_dtype("int64").rtol == 0 == tolerance.for_dtype("int64").atol


# -- teeth: PyTorch with one planted bug ---------------------------------------------------------
requires_torch = pytest.mark.skipif(torch is None, reason="the torch extra is not installed")


class UnchangedEngine(TorchEngine):
    """The control: the PyTorch adapter as it is, run the same way as the planted engines."""

    name = "unchanged"


class TanhWithWrongGrad(torch.autograd.Function if torch else object):
    """tanh whose backward forgets the square: 1 - tanh(x) instead of 1 - tanh(x)**2."""

    @staticmethod
    def forward(ctx, x):
        y = torch.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y)


class WrongTanhGradEngine(TorchEngine):
    name = "wrong-tanh-grad"

    def tanh(self, x):
        return TanhWithWrongGrad.apply(x)


class UphillSGDEngine(TorchEngine):
    name = "uphill-sgd"

    def sgd(self, params, *, lr, momentum=0.0, weight_decay=0.0):
        return torch.optim.SGD(
            params, lr=lr, momentum=momentum, weight_decay=weight_decay, maximize=True
        )


class UnscaledDropoutEngine(TorchEngine):
    name = "unscaled-dropout"

    def dropout(self, p):
        class Unscaled(torch.nn.Dropout):
            def forward(self, x):
                return super().forward(x) * (1 - self.p) if self.training else x

        return Unscaled(p)


class ReusedMaskDropoutEngine(TorchEngine):
    name = "reused-mask-dropout"

    def dropout(self, p):
        class ReusedMask(torch.nn.Dropout):
            mask = None

            def forward(self, x):
                if not self.training:
                    return x
                if self.mask is None or self.mask.shape != x.shape:
                    self.mask = (torch.rand_like(x) >= self.p).to(x.dtype) / (1 - self.p)
                return x * self.mask

        return ReusedMask(p)


class NaiveCrossEntropyEngine(TorchEngine):
    name = "naive-cross-entropy"

    def cross_entropy(self, logits, target):
        probabilities = logits.exp() / logits.exp().sum(dim=-1, keepdim=True)
        return -probabilities.gather(-1, target.unsqueeze(-1)).log().mean()


class ProbabilityBCEEngine(TorchEngine):
    name = "probability-bce-with-logits"

    def bce_with_logits(self, logits, target):
        return torch.nn.functional.binary_cross_entropy(torch.sigmoid(logits), target)


class SummedMSEEngine(TorchEngine):
    name = "summed-mse"

    def mse_loss(self, prediction, target):
        return torch.nn.functional.mse_loss(prediction, target, reduction="sum")


class AdamWithoutBiasCorrection(torch.optim.Optimizer if torch else object):
    """Adam's running moments used as they are, without dividing by 1 - beta**t."""

    def __init__(self, params, lr, betas, eps, weight_decay):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "wd": weight_decay})

    def step(self):
        with torch.no_grad():
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                for p in group["params"]:
                    g = p.grad + group["wd"] * p
                    state = self.state[p]
                    m = state.setdefault("m", torch.zeros_like(p))
                    v = state.setdefault("v", torch.zeros_like(p))
                    m.mul_(beta1).add_((1 - beta1) * g)
                    v.mul_(beta2).add_((1 - beta2) * g * g)
                    p.sub_(group["lr"] * m / (v.sqrt() + group["eps"]))


class NoBiasCorrectionAdamEngine(TorchEngine):
    name = "adam-without-bias-correction"

    def adam(self, params, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        return AdamWithoutBiasCorrection(params, lr, betas, eps, weight_decay)


class DecoupledAdamEngine(TorchEngine):
    name = "decoupled-adam"

    def adam(self, params, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        return torch.optim.AdamW(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


class HalvedWeightDecayEngine(TorchEngine):
    """Adds weight_decay / 2 * w to the gradient: the courses' lambda * sum(w**2) penalty mixed
    up with PyTorch's convention (weight_decay * w, the gradient of weight_decay / 2 * w**2)."""

    name = "halved-weight-decay"

    def sgd(self, params, *, lr, momentum=0.0, weight_decay=0.0):
        return super().sgd(params, lr=lr, momentum=momentum, weight_decay=weight_decay / 2)


class FixedOrderLoaderEngine(TorchEngine):
    name = "loader-ignoring-shuffle"

    def data_loader(self, dataset, *, batch_size, shuffle=False, drop_last=False):
        return super().data_loader(dataset, batch_size=batch_size, drop_last=drop_last)


class UnshuffledSplitEngine(TorchEngine):
    name = "unshuffled-split"

    def random_split(self, dataset, lengths, *, seed):
        ends = np.cumsum(lengths).tolist()
        return [
            self.subset(dataset, range(end - n, end)) for n, end in zip(lengths, ends, strict=True)
        ]


class SubsetFromStartEngine(TorchEngine):
    name = "subset-ignoring-indices"

    def subset(self, dataset, indices):
        return super().subset(dataset, range(len(indices)))


class NormalInitLinearEngine(TorchEngine):
    name = "normal-init-linear"

    def linear(self, in_features, out_features, *, bias=True):
        layer = super().linear(in_features, out_features, bias=bias)
        with torch.no_grad():
            layer.weight.normal_()
        return layer


class UniformRandnEngine(TorchEngine):
    name = "uniform-randn"

    def randn(self, *shape, requires_grad=False):
        return torch.rand(*shape, requires_grad=requires_grad)


class TransposedJacobianEngine(TorchEngine):
    name = "transposed-jacobian"

    def jacobian(self, func, inputs):
        return super().jacobian(func, inputs).T


class Float32NumpyEngine(TorchEngine):
    name = "float32-from-numpy"

    def from_numpy(self, array):
        return super().from_numpy(array).float()


class RecordingNoGradEngine(TorchEngine):
    name = "no-grad-records"

    def no_grad(self):
        return contextlib.nullcontext()


class DocumentReadingsEngine(TorchEngine):
    """Not a bug: PyTorch adapted to the documents' side of each alternative. weight_decay =
    lambda is the penalty lambda * sum(w**2); a node with a Python-number operand carries the
    book's name (MulBackward1, SubBackward1)."""

    name = "document-readings"
    capabilities = frozenset(CAPABILITIES) - set(ALTERNATIVES)

    def sgd(self, params, *, lr, momentum=0.0, weight_decay=0.0):
        return super().sgd(params, lr=lr, momentum=momentum, weight_decay=2 * weight_decay)

    def adam(self, params, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        return super().adam(params, lr=lr, betas=betas, eps=eps, weight_decay=2 * weight_decay)

    def grad_fn_name(self, node):
        name = super().grad_fn_name(node)
        with_number = any(child is None for child, _ in node.next_functions)
        return name[:-1] + "1" if with_number and name in BOOK_RENAMED else name


BOOK_RENAMED = {"MulBackward0", "SubBackward0", "AddBackward0"}


# planted engine -> the specs it must fail (an id may name one parametrization: "id[param]")
PLANTED = {
    WrongTanhGradEngine: ["autograd.tanh_grad", "autograd.tanh_grad_curve"],
    UphillSGDEngine: [
        "optim.sgd_trace",
        "optim.manual_matches_optimizer",
        "optim.learning_rate_size",
    ],
    UnscaledDropoutEngine: [
        "regularisation.dropout_values",
        "regularisation.dropout_scaling",
        "regularisation.dropout_rate",
    ],
    ReusedMaskDropoutEngine: ["regularisation.dropout_independent[two-passes]"],
    NaiveCrossEntropyEngine: ["loss.cross_entropy_large_logits", "loss.softmax_first_overflows"],
    ProbabilityBCEEngine: ["loss.bce_with_logits_stable", "loss.sigmoid_first_breaks"],
    SummedMSEEngine: ["loss.mse_value", "loss.mse_grad"],
    NoBiasCorrectionAdamEngine: ["optim.adam_trace", "optim.adam_per_parameter_steps"],
    DecoupledAdamEngine: ["optim.adam_weight_decay"],
    HalvedWeightDecayEngine: [
        "optim.sgd_weight_decay",
        "regularisation.weight_decay_is_l2_penalty",
        "regularisation.weight_decay_shrinks",
    ],
    FixedOrderLoaderEngine: ["data.loader_shuffle_random"],
    UnshuffledSplitEngine: ["data.random_split_shuffles", "data.random_split_seeded"],
    SubsetFromStartEngine: ["data.subset_by_indices"],
    NormalInitLinearEngine: ["layers.linear_init"],
    UniformRandnEngine: ["tensors.randn_standard_normal"],
    TransposedJacobianEngine: ["autograd.jacobian", "autograd.jacobian_network"],
    Float32NumpyEngine: ["tensors.numpy_roundtrip"],
    RecordingNoGradEngine: ["autograd.no_grad", "optim.manual_sgd_trace"],
}


def torch_modules() -> set[str]:
    return {name for name in sys.modules if name == "torch" or name.startswith("torch.")}


@pytest.fixture(scope="module")
def torch_warmed_up():
    """Loads the torch modules that PyTorch imports lazily on first use (an optimiser step pulls
    in torch._dynamo and some 300 more) before pytester snapshots sys.modules. Modules first
    imported inside an in-process run are dropped after it, and importing them again makes torch
    register its operator libraries twice (RuntimeError) in every later run."""
    engine = UnchangedEngine()
    w = engine.tensor([1.0, 2.0], requires_grad=True)
    for optimizer in (engine.sgd([w], lr=0.1), engine.adam([w])):
        (w * w).sum().backward()
        optimizer.step()
    engine.jacobian(lambda x: x * 2, engine.tensor([1.0, 2.0]))
    dataset = engine.tensor_dataset(engine.zeros(4, 2))
    list(engine.data_loader(dataset, batch_size=2, shuffle=True))
    engine.random_split(dataset, [2, 2], seed=0)


class TorchImportWatch:
    """Records the torch modules an in-process run imports for the first time."""

    def __init__(self):
        self.before, self.new = torch_modules(), set()

    def pytest_sessionfinish(self):
        self.new = torch_modules() - self.before


def run_specs(pytester, monkeypatch, engine: type, spec_ids: list[str]) -> list[dict]:
    """Outcomes of the named specs (and any others the -k expression matches) for ``engine``,
    run in-process."""
    monkeypatch.syspath_prepend(str(REPO))  # this module importable as the adapter's home
    selection = " or ".join(sorted({wanted.partition("[")[0] for wanted in spec_ids}))
    watch = TorchImportWatch()
    pytester.runpytest_inprocess(
        str(REPO / "specs"),
        f"--engine={__name__}:{engine.__name__}",
        "--conformance-report=report.json",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        "-q",
        "-k",
        selection,
        plugins=[watch],
    )
    assert not watch.new, f"extend torch_warmed_up to import {sorted(watch.new)[:5]}"
    return json.loads((pytester.path / "report.json").read_text())["results"]


def names(result: dict, wanted: str) -> bool:
    """Whether ``wanted`` ("spec.id" or "spec.id[case]") names this result."""
    spec, _, case = wanted.partition("[")
    return result["spec"] == spec and (not case or result["case"] == case.removesuffix("]"))


@requires_torch
@pytest.mark.parametrize("engine", list(PLANTED), ids=[e.name for e in PLANTED])
def test_planted_bug_is_caught(pytester, monkeypatch, torch_warmed_up, engine):
    results = run_specs(pytester, monkeypatch, engine, PLANTED[engine])
    failed = [r for r in results if r["outcome"] == "failed"]
    missed = [wanted for wanted in PLANTED[engine] if not any(names(r, wanted) for r in failed)]
    assert not missed, f"{engine.name}: the planted bug is not caught by {missed}"


@requires_torch
def test_an_engine_can_follow_the_documents_where_pytorch_differs(
    pytester, monkeypatch, torch_warmed_up
):
    """Each alternative is declarable: an engine following the documents' side passes the specs
    of that side and is not asked about PyTorch's."""
    readings = [s for s in SPECS if s.about in ALTERNATIVES or s.about in ALTERNATIVES.values()]
    results = run_specs(pytester, monkeypatch, DocumentReadingsEngine, [s.id for s in readings])
    outcomes = {r["spec"]: r["outcome"] for r in results if r["spec"] in {s.id for s in readings}}
    expected = {s.id: "passed" if s.about in ALTERNATIVES.values() else "skipped" for s in readings}
    assert outcomes == expected


@requires_torch
def test_unchanged_engine_passes_the_specs_that_catch_the_plants(
    pytester, monkeypatch, torch_warmed_up
):
    wanted = [spec for specs in PLANTED.values() for spec in specs]
    results = run_specs(pytester, monkeypatch, UnchangedEngine, wanted)
    assert {spec.partition("[")[0] for spec in wanted} <= {r["spec"] for r in results}
    named = {spec.partition("[")[0] for spec in wanted}
    assert not [
        (r["spec"], r["case"]) for r in results if r["spec"] in named and r["outcome"] != "passed"
    ]
