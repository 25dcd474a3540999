"""The reference engine's CuPy path, run without a GPU against a stand-in CuPy (tests/fake_cupy).

The stand-in keeps device arrays apart from NumPy arrays as CuPy does (see its docstring), so a
place where the engine mixes host arrays into device math, or converts a device array to NumPy
implicitly, raises here as it would on a GPU. The engine runs in a subprocess with the stand-in
first on the path: ``backend._cupy`` caches the cupy module once found, and the main test
process must keep seeing no CuPy.
"""

from __future__ import annotations

import importlib.util
import json
import os

import numpy
import pytest

from tests.catalogue_run import SPECS
from tests.plugin_run import REPO

FAKE = REPO / "tests" / "fake_cupy"
QUIET = ("-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:benchmark")
PROFILE = "--hypothesis-profile=ci"  # the property specs' examples: fixed and few


@pytest.fixture(scope="module")
def cp():
    """The stand-in, loaded under a private name so that no ``import cupy`` can find it."""
    spec = importlib.util.spec_from_file_location("fake_cupy_unit", FAKE / "cupy" / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def on_fake_cuda(pytester, monkeypatch):
    """pytester set to run pytest in a subprocess that imports the stand-in as ``cupy``."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(FAKE), str(REPO)]))
    return pytester


# -- the stand-in refuses what CuPy refuses ---------------------------------------------------
HOST_MIXES = {
    "device + host": lambda cp, d, h: d + h,
    "host * device": lambda cp, d, h: h * d,
    "device + 0-d host": lambda cp, d, h: d + numpy.asarray(2.0),
    "ufunc with host operand": lambda cp, d, h: cp.maximum(d, h),
    "where with host branch": lambda cp, d, h: cp.where(d > 1, h, 0),
    "stack with a host array": lambda cp, d, h: cp.stack([d, h]),
    "method with host argument": lambda cp, d, h: d.dot(h),
    "numpy.asarray(device)": lambda cp, d, h: numpy.asarray(d),
    "host[...] = device": lambda cp, d, h: h.__setitem__(Ellipsis, d),
    "device[...] = host": lambda cp, d, h: d.__setitem__(Ellipsis, h),
}


@pytest.mark.parametrize("mix", HOST_MIXES.values(), ids=HOST_MIXES.keys())
def test_the_stand_in_refuses_host_arrays_in_device_math(cp, mix):
    device, host = cp.asarray([1.0, 2.0, 3.0]), numpy.array([4.0, 5.0, 6.0])
    with pytest.raises(TypeError):
        mix(cp, device, host)


def test_the_stand_in_allows_what_cupy_allows(cp):
    host = numpy.array([1.0, 2.0, 3.0])
    device = cp.asarray(host)
    host[0] = 10.0  # asarray copied: device memory is its own
    assert type(device) is cp.ndarray and not isinstance(device, numpy.ndarray)
    total = (device * 2.0 + numpy.float32(1.0)).sum()  # Python and NumPy scalars mix in
    assert isinstance(total, cp.ndarray) and total.ndim == 0  # reductions stay on the device
    assert float(total) == 15.0 and total.item() == 15.0
    assert device[numpy.array([2, 0])].tolist() == [3.0, 1.0]  # host indices are copied over
    assert device[1].ndim == 0 and int(device[1]) == 2
    back = device.get()
    assert type(back) is numpy.ndarray and back.tolist() == [1.0, 2.0, 3.0]
    back[0] = 0.0  # get() copied too
    assert device.tolist() == [1.0, 2.0, 3.0]


# -- the whole catalogue on the CuPy path -----------------------------------------------------
def test_every_spec_passes_on_the_reference_engines_cuda_path(on_fake_cuda):
    report = on_fake_cuda.path / "report.json"
    result = on_fake_cuda.runpytest_subprocess(
        str(SPECS),
        "--engine=reference",
        "--device=cuda",
        f"--conformance-report={report}",
        PROFILE,
        "-rs",
        *QUIET,
    )
    header = [line for line in result.outlines if line.startswith("engine reference ")]
    assert len(header) == 1 and "devices ['cpu', 'cuda']," in header[0], header
    outcomes = result.parseoutcomes()
    assert result.ret == 0, result.stdout.str()[-4000:]
    assert set(outcomes) <= {"passed", "skipped"}, outcomes  # no failures, errors or xfails
    # The only skips are specs of the reading of a convention the engine does not declare (as
    # on the CPU); none is skipped for the device.
    skips = [line for line in result.outlines if line.startswith("SKIPPED")]
    assert len(skips) == outcomes.get("skipped", 0), skips
    assert all("does not declare capability" in line for line in skips), skips
    specs = json.loads(report.read_text())["results"]
    ran = [s for s in specs if s["outcome"] != "skipped"]
    assert len(ran) == outcomes["passed"]
    assert {(s["target"], s["outcome"]) for s in ran} == {("reference-cuda", "passed")}


# -- engine paths the catalogue does not reach: crossings between host and device ------------
CROSSINGS = """
import numpy
from conformance import reference_impl as ref


def cuda(values, **kwargs):
    return ref.tensor(values, device="cuda", **kwargs)


def test_tensors_live_on_the_stand_in():
    x = cuda([1.0, 2.0])
    assert x.device == "cuda" and type(x.data).__module__ == "cupy"


def test_to_cuda_sends_the_gradient_back_to_the_cpu():
    x = ref.tensor([1.0, 2.0], requires_grad=True)
    (x.cuda() * 3.0).sum().backward()
    assert x.grad.device == "cpu" and x.grad.tolist() == [3.0, 3.0]


def test_copy_from_a_cpu_tensor_into_a_cuda_tensor():
    source = ref.tensor([3.0, 4.0], requires_grad=True)
    target = cuda([0.0, 0.0]) * 1.0
    target.copy_(source)
    (target * 2.0).sum().backward()
    assert target.device == "cuda" and target.tolist() == [3.0, 4.0]
    assert source.grad.device == "cpu" and source.grad.tolist() == [2.0, 2.0]


def test_lists_and_numpy_arrays_join_a_cuda_tensor_on_its_device():
    x = cuda([1.0, 2.0])
    assert (x + [1.0, 1.0]).tolist() == [2.0, 3.0]
    assert (x * numpy.array([2.0, 3.0], dtype="float32")).tolist() == [2.0, 6.0]
    x[0:2] = numpy.array([5.0, 6.0], dtype="float32")
    assert x.tolist() == [5.0, 6.0]
"""


def test_host_device_crossings_in_the_engine(on_fake_cuda):
    on_fake_cuda.makepyfile(test_crossings=CROSSINGS)
    result = on_fake_cuda.runpytest_subprocess(*QUIET)
    result.assert_outcomes(passed=CROSSINGS.count("\ndef test_"))
