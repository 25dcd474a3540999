"""Targets: capabilities an engine lacks and devices it does not have are skips with a reason,
never failures; a second device runs every spec again; the report header names what runs."""

from __future__ import annotations

import importlib.util

import pytest

from conformance.capabilities import CAPABILITIES, pytorch_like
from conformance.spec import MATHEMATICS, Source, SpecInfo
from conformance.targets import Target
from tests.catalogue_run import requires_torch
from tests.plugin_run import TINY, spec_source
from tests.tiny_engine import TensorsOnlyEngine, TinyEngine, TwoDeviceEngine

ALL = len(CAPABILITIES)
PYTORCH_LIKE = len(pytorch_like())  # reference and torch declare PyTorch's conventions


# -- capabilities ------------------------------------------------------------------------------
def test_missing_capability_is_a_skip_naming_it(run):
    run.write(spec_source(), spec_source("values", body="engine.tensor(1.0)", requires="set()"))
    result = run(f"--engine={TINY}:TensorsOnlyEngine", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]1[]] *engine 'tinytensors' does not declare capability "
            "'autograd.backward' required by spec demo.square_grad"
        ]
    )


def test_a_skipped_spec_never_runs(run):
    # The body would fail loudly; a capability skip must happen before it.
    run.write(spec_source(body="raise AssertionError('ran although skipped')"))
    result = run(f"--engine={TINY}:TensorsOnlyEngine")
    result.assert_outcomes(skipped=1)


# -- devices -----------------------------------------------------------------------------------
DEVICE_LOG = spec_source(
    "device_log",
    requires="set()",
    body="x = engine.tensor(1.0)\n"
    "with open('devices.log', 'a') as log:\n"
    "    log.write(f'{engine.device} {x.device}\\n')",
)


def test_second_device_runs_every_spec_there(run, pytester):
    run.write(DEVICE_LOG)
    result = run(f"--engine={TINY}:TwoDeviceEngine", "--device=cpu,cuda", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*[[]tinytwo-cpu[]] PASSED*", "*[[]tinytwo-cuda[]] PASSED*"])
    # The spec received an engine set to each device, and its tensors were made there.
    assert sorted((pytester.path / "devices.log").read_text().splitlines()) == [
        "cpu cpu",
        "cuda cuda",
    ]


def test_device_the_engine_lacks_is_a_skip_naming_engine_and_device(run):
    run.write(spec_source())
    result = run(f"--engine={TINY}:TinyEngine", "--device=cpu,cuda:1", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        ["SKIPPED * engine 'tiny' has no device 'cuda:1': engine 'tiny' offers devices ?'cpu'?"]
    )


def test_engines_and_devices_multiply(run):
    run.write(spec_source())
    result = run(
        f"--engine={TINY}:TinyEngine,{TINY}:TwoDeviceEngine", "--device=cpu,cuda", "-v", "-rs"
    )
    result.assert_outcomes(passed=3, skipped=1)
    result.stdout.fnmatch_lines(["*[[]tiny-cuda[]] SKIPPED*"])


def test_repeated_device_runs_once(run):
    run.write(spec_source())
    run(f"--engine={TINY}:TinyEngine", "--device=cpu, cpu").assert_outcomes(passed=1)


@pytest.mark.skipif(
    importlib.util.find_spec("cupy") is not None,
    reason="CuPy is installed: the reference engine may have a cuda device here",
)
def test_reference_by_name_runs_on_cpu_and_skips_cuda_naming_cupy(run):
    run.write(spec_source())
    result = run("--engine=reference", "--device=cpu,cuda", "-v", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            f"engine reference *: devices ?'cpu'?, {PYTORCH_LIKE}/{ALL} capabilities",
            "*[[]reference-cpu[]] PASSED*",
            "SKIPPED * engine 'reference' has no device 'cuda': CuPy is not installed*",
        ]
    )


@requires_torch
def test_torch_by_name_runs_on_cpu_and_skips_cuda_naming_it(run):
    # A subprocess: PyTorch must not be imported into this process by an in-process run.
    run.write(spec_source())
    result = run("--engine=torch", "--device=cpu,cuda", "-v", "-rs", subprocess=True)
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            f"engine torch 2.*: devices ?'cpu'?, {PYTORCH_LIKE}/{ALL} capabilities",
            "*[[]torch-cpu[]] PASSED*",
            "SKIPPED * engine 'torch' has no device 'cuda': torch.cuda.is_available() is False*",
        ]
    )


# -- the report header -------------------------------------------------------------------------
def test_header_names_engines_versions_and_devices(run):
    run.write(spec_source())
    result = run(f"--engine={TINY}:TinyEngine,{TINY}:TwoDeviceEngine", "--device=cpu,cuda")
    result.stdout.fnmatch_lines(
        [
            "conformance: devices ?'cpu', 'cuda'?",
            f"engine tiny 0.0.1: devices ?'cpu'?, 3/{ALL} capabilities",
            f"engine tinytwo 0.0.1: devices ?'cpu', 'cuda'?, 3/{ALL} capabilities",
        ]
    )


def test_verbose_header_lists_capabilities(run):
    run.write(spec_source())
    result = run(f"--engine={TINY}:TinyEngine", "-v")
    result.stdout.fnmatch_lines(["  capabilities: autograd.backward, tensor.core, tensor.ops"])


# -- Target.skip_reason, without pytest --------------------------------------------------------
def info(*requires: str) -> SpecInfo:
    return SpecInfo(
        id="demo.example",
        behaviour="an example behaviour sentence",
        sources=(Source(MATHEMATICS, "example"),),
        requires=frozenset(requires),
    )


@pytest.mark.parametrize(
    ("engine", "device", "requires", "reason"),
    [
        (TinyEngine(), "cpu", ["autograd.backward"], None),
        (TinyEngine(), "cpu", [], None),
        (
            TensorsOnlyEngine(),
            "cpu",
            ["optim.sgd", "autograd.backward"],
            "engine 'tinytensors' does not declare capabilities 'autograd.backward', 'optim.sgd' "
            "required by spec demo.example",
        ),
        (
            TinyEngine(),
            "cuda",
            [],
            "engine 'tiny' has no device 'cuda': engine 'tiny' offers devices ['cpu']",
        ),
        # The device is checked first: no capability talk for a device that is not there.
        (
            TensorsOnlyEngine(),
            "mps",
            ["optim.sgd"],
            "engine 'tinytensors' has no device 'mps': engine 'tinytensors' offers devices ['cpu']",
        ),
        (TwoDeviceEngine(), "cuda", ["tensor.ops"], None),
    ],
    ids=["declared", "implicit-only", "missing-two", "no-device", "device-first", "second-device"],
)
def test_skip_reason(engine, device, requires, reason):
    assert Target(engine, device).skip_reason(info(*requires)) == reason


def test_target_id_and_instance():
    target = Target(TwoDeviceEngine(), "cuda")
    assert target.id == "tinytwo-cuda"
    assert target.available
    assert target.instance().device == "cuda"
    assert target.engine.device == "cpu"  # the shared engine is not changed
