"""Time the documented workloads on the reference engine and on PyTorch in one run.

Run with ``pytest benchmarks -p no:randomly``; the summary at the end gives, per workload, the
reference engine's time divided by PyTorch's (below 1: the reference engine is faster). These
workloads are tiny, so per-operation overhead decides, not arithmetic throughput.
"""

from __future__ import annotations

import importlib.util

import pytest
import threadpoolctl

from benchmarks.workloads import WORKLOADS

ENGINES = [
    "reference",
    pytest.param(
        "torch",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("torch") is None, reason="the torch extra is not installed"
        ),
    ),
]


@pytest.fixture(params=ENGINES)
def engine(request):
    # One thread for both engines' array libraries: arrays of 100 elements gain nothing from
    # threads, and on a busy machine a BLAS or intra-op thread pool stalls (OpenBLAS doubled the
    # reference's two-layer time on two shared cores; PyTorch's pool was 10x slower), so
    # threaded timings would measure the machine's load, not the engines' per-op overhead.
    with threadpoolctl.threadpool_limits(limits=1):
        if request.param == "reference":
            from conformance.engines.reference_engine import ReferenceEngine

            yield ReferenceEngine()
            return
        import torch

        from conformance.engines.torch_engine import TorchEngine

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        yield TorchEngine()
        torch.set_num_threads(threads)


@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_workload(benchmark, timings, engine, workload):
    run, make_data, check = WORKLOADS[workload]
    data = make_data()
    benchmark.group = workload
    benchmark.extra_info["engine"] = engine.name
    result = benchmark(run, engine, data)
    assert check(result), f"{workload} on {engine.name} ended at {result}"
    if benchmark.stats is not None:  # None under --benchmark-disable
        timings[workload, engine.name] = benchmark.stats.stats
