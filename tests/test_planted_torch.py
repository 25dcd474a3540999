"""Teeth of the catalogue on a real engine: PyTorch with one planted bug fails the specs of the
behaviour it breaks, and the unchanged adapter passes them."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from conformance import catalogue
from conformance.capabilities import ALTERNATIVES, CAPABILITIES

if importlib.util.find_spec("torch") is not None:
    # Imported with this module, before pytester snapshots sys.modules, so that the in-process
    # runs below reuse it instead of importing torch's extension modules a second time.
    import torch

    from conformance.engines.torch_engine import TorchEngine
else:  # the planted engines below are then never instantiated (their tests skip)
    torch = None
    TorchEngine = object


REPO = Path(__file__).resolve().parent.parent
SPECS = catalogue.collect()

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
    # the SGD trace is a basic spec: the SGD specs built on it are blocked by it, not failed
    UphillSGDEngine: ["optim.sgd_trace"],
    UnscaledDropoutEngine: [
        "regularisation.dropout_values",
        "regularisation.dropout_scaling",
        "regularisation.dropout_rate",
    ],
    ReusedMaskDropoutEngine: ["regularisation.dropout_independent[two-passes]"],
    NaiveCrossEntropyEngine: ["loss.cross_entropy_large_logits"],
    ProbabilityBCEEngine: ["loss.bce_with_logits_stable", "loss.sigmoid_first_breaks"],
    SummedMSEEngine: ["loss.mse_value", "loss.mse_grad"],
    # Bias correction is PyTorch's equation, not the documents': the per-parameter spec passes.
    NoBiasCorrectionAdamEngine: ["optim.adam_trace"],
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
