"""Finding engines: by built-in name, entry point and ``module:factory``; bad input is a usage
error with a message that says how to fix it, never a traceback."""

from __future__ import annotations

import pytest

from conformance import discovery
from conformance.engine import Engine
from tests.plugin_run import TINY, spec_source
from tests.tiny_engine import TinyEngine, TwoDeviceEngine


def install_entry_point(pytester, name: str, target: str) -> None:
    """A distribution on sys.path that registers ``name`` in the ``conformance.engines`` group,
    the way an installed third-party adapter package does."""
    info = pytester.mkdir("tinyplug-1.0.dist-info")
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tinyplug\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{discovery.GROUP}]\n{name} = {target}\n")
    pytester.syspathinsert()


# -- the three ways to name an engine ----------------------------------------------------------
@pytest.mark.parametrize("factory", ["TinyEngine", "make_tiny"], ids=["class", "function"])
def test_engine_by_module_path(run, factory):
    run.write(spec_source())
    result = run(f"--engine={TINY}:{factory}", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*::test_square_grad[[]tiny-cpu[]] PASSED*"])


def test_engine_by_entry_point(run, pytester):
    install_entry_point(pytester, "tinyplugged", f"{TINY}:TwoDeviceEngine")
    run.write(spec_source())
    result = run("--engine=tinyplugged", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*::test_square_grad[[]tinytwo-cpu[]] PASSED*"])


def test_engine_by_builtin_name(monkeypatch):
    # The real built-ins (reference, torch) are run by name in test_plugin_targets and the
    # catalogue tests; here the lookup itself, without importing either.
    monkeypatch.setitem(discovery.BUILTIN, "tiny", f"{TINY}:TinyEngine")
    assert type(discovery.load_engine("tiny")) is TinyEngine


def test_builtin_names_win_over_entry_points(monkeypatch):
    from importlib.metadata import EntryPoint

    shadow = EntryPoint("torch", f"{TINY}:TinyEngine", discovery.GROUP)
    extra = EntryPoint("tinyplugged", f"{TINY}:TinyEngine", discovery.GROUP)
    monkeypatch.setattr(discovery, "entry_points", lambda group: [shadow, extra])
    found = discovery.registered()
    assert found["torch"] == discovery.BUILTIN["torch"]
    assert found["tinyplugged"] == f"{TINY}:TinyEngine"


def test_several_engines_parametrize_every_spec(run):
    run.write(spec_source(), spec_source("cube_grad", body="engine.tensor(1.0)"))
    engines = f"--engine={TINY}:TinyEngine,{TINY}:TwoDeviceEngine"
    collected = run(engines, "--collect-only", "-q")
    collected.stdout.fnmatch_lines(
        [
            "test_demo.py::test_square_grad[[]tiny-cpu[]]",
            "test_demo.py::test_square_grad[[]tinytwo-cpu[]]",
            "test_demo.py::test_cube_grad[[]tiny-cpu[]]",
            "test_demo.py::test_cube_grad[[]tinytwo-cpu[]]",
            "4 tests collected*",
        ]
    )
    run(engines).assert_outcomes(passed=4)


def test_same_engine_named_twice_runs_once(run):
    run.write(spec_source())
    run(f"--engine={TINY}:TinyEngine, {TINY}:TinyEngine").assert_outcomes(passed=1)


# -- usage errors ------------------------------------------------------------------------------
BAD_INPUT = {
    "unknown-name": (
        ["--engine=nope"],
        "unknown engine 'nope'. Available engines: *reference*torch*. An adapter that is not "
        "installed can be named as 'package.module:factory'.",
    ),
    "no-module": (["--engine=no_such_module_xyz:make"], "*cannot import 'no_such_module_xyz'*"),
    "no-attribute": ([f"--engine={TINY}:missing"], f"*module '{TINY}' has no 'missing'"),
    "no-factory-named": ([f"--engine={TINY}:"], "*expected 'package.module:factory'*"),
    "factory-raises": (
        [f"--engine={TINY}:raising_factory"],
        "*its factory raised ValueError: no licence key",
    ),
    "not-an-engine": (
        [f"--engine={TINY}:not_an_engine"],
        "*returned object, not an instance of conformance.Engine*",
    ),
    "unknown-capability": (
        [f"--engine={TINY}:UnknownCapabilityEngine"],
        "*declares unknown capabilities ?'autograd.telepathy'?*",
    ),
    "both-readings": (
        [f"--engine={TINY}:BothReadingsEngine"],
        "*declares both readings of a convention: 'optim.weight_decay' (PyTorch's) and "
        "'optim.weight_decay_penalty'*declare the one the engine follows",
    ),
    "nameless": ([f"--engine={TINY}:NamelessEngine"], "*'name' must be a non-empty string"),
    "empty-name": ([f"--engine={TINY}:TinyEngine,,{TINY}:TinyEngine"], "*has an empty name*"),
    "empty-option": (["--engine="], "*has an empty name*"),
    "two-engines-one-name": (
        [f"--engine={TINY}:TinyEngine,{TINY}:make_tiny"],
        f"*engines '{TINY}:TinyEngine' and '{TINY}:make_tiny' are both named 'tiny'*",
    ),
    "unknown-device": (
        [f"--engine={TINY}:TinyEngine", "--device=tpu"],
        "unknown device 'tpu'; use cpu, cuda, cuda:N, mps or xpu (comma-separated)",
    ),
    "empty-device": ([f"--engine={TINY}:TinyEngine", "--device=cpu,"], "unknown device ''*"),
}


@pytest.mark.parametrize(("options", "message"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_a_usage_error(run, options, message):
    run.write(spec_source())
    result = run(*options)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_module_that_fails_to_import_is_a_usage_error(run, pytester):
    pytester.makepyfile(halfinstalled="raise RuntimeError('compiled extension missing')")
    pytester.syspathinsert()
    run.write(spec_source())
    result = run("--engine=halfinstalled:Engine")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: engine 'halfinstalled:Engine': importing 'halfinstalled' raised RuntimeError: "
            "compiled extension missing"
        ]
    )


def test_unknown_engine_lists_installed_entry_points(run, pytester):
    install_entry_point(pytester, "tinyplugged", f"{TINY}:TinyEngine")
    run.write(spec_source())
    result = run("--engine=nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: unknown engine 'nope'. Available engines: *tinyplugged*"])


# -- the plain functions -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("option", "names"),
    [("torch", ["torch"]), ("torch, reference", ["torch", "reference"]), ("a:b,c", ["a:b", "c"])],
)
def test_split(option, names):
    assert discovery.split(option) == names


@pytest.mark.parametrize("option", ["", ",", "torch,", " ,torch"])
def test_split_rejects_empty_names(option):
    with pytest.raises(discovery.EngineError, match="has an empty name"):
        discovery.split(option)


@pytest.mark.parametrize("device", ["cpu", "cuda", "cuda:1", "mps", "xpu:0"])
def test_check_device_accepts(device):
    assert discovery.check_device(device) == device


@pytest.mark.parametrize("device", ["", "tpu", "CUDA", "cuda:", "cuda:x", "cpu:0:1"])
def test_check_device_rejects(device):
    with pytest.raises(discovery.EngineError, match=f"unknown device {device!r}"):
        discovery.check_device(device)


def test_load_engine_returns_the_engine_instance():
    engine = discovery.load_engine(f"{TINY}:TwoDeviceEngine")
    assert isinstance(engine, Engine) and type(engine) is TwoDeviceEngine
