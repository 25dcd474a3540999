"""Hand-made JSON reports (format version 1, PLAN interface 6) for the matrix and diff tests.

``report(engine, results)`` builds a whole report from a few result tuples, computing the
verdicts the way the plugin does: per (target, capability) from the results about it.
"""

from __future__ import annotations

import json
from pathlib import Path

CATALOGUE = "0" * 56 + "c0ffee42"


def result(
    spec: str,
    about: str,
    outcome: str,
    *,
    target: str = "toy-cpu",
    case: str = "",
    claimed: bool = True,
    message: str = "",
    duration: float = 0.01,
) -> dict:
    return {
        "spec": spec,
        "case": case,
        "target": target,
        "about": about,
        "capabilities": sorted({about, "tensor.core"}),
        "claimed": claimed,
        "outcome": outcome,
        "message": message or ("" if outcome == "passed" else f"{spec}: {outcome} on {target}"),
        "duration": duration,
        "behaviour": f"the behaviour {spec} checks, in one sentence",
        "sources": ["003_6019b0b13895e324.txt, section Autograd"],
        "reproduction": "" if outcome != "failed" else f"# reproduce {spec}\nprint('run me')\n",
    }


def state_of(claimed: bool, counts: dict[str, int]) -> str:
    if claimed:
        if counts["failed"]:
            return "fails"
        if counts["blocked"]:
            return "blocked"
        if counts["xfailed"]:
            return "known-failures"
        return "conforms" if counts["passed"] else "skipped"
    if counts["failed"]:
        return "deviates"
    if counts["absent"]:
        return "absent"
    return "would-pass" if counts["passed"] else "not-claimed"


def report(
    engine: str,
    results: list[dict],
    *,
    version: str = "1.0",
    device: str = "cpu",
    declared: list[str] | None = None,
    catalogue: str = CATALOGUE,
) -> dict:
    target = f"{engine}-{device}"
    for r in results:
        r["target"] = target
    declared = sorted(
        {r["about"] for r in results if r["claimed"]} if declared is None else declared
    )
    verdicts: dict[str, dict] = {}
    for r in results:
        counts = verdicts.setdefault(
            r["about"],
            dict.fromkeys(("passed", "failed", "blocked", "skipped", "xfailed", "absent"), 0),
        )
        counts[r["outcome"]] += 1
    for name, counts in verdicts.items():
        claimed = name in declared
        verdicts[name] = {"state": state_of(claimed, counts), "claimed": claimed, **counts}
    return {
        "format": "autograd-conformance-report",
        "version": 1,
        "suite": {"version": "0.1.0", "catalogue": catalogue},
        "environment": {"python": "3.11.7", "platform": "Linux-test", "pytest": "8.3.0"},
        "options": {"probe_undeclared": True, "baseline": None},
        "engines": [
            {"name": engine, "version": version, "devices": [device], "capabilities": declared}
        ],
        "targets": [{"id": target, "engine": engine, "device": device}],
        "results": results,
        "verdicts": {target: verdicts},
    }


def toy() -> dict:
    """An engine showing every state of the matrix."""
    return report(
        "toy",
        [
            result("autograd.square_grad", "autograd.backward", "passed"),
            result("autograd.chain_grad", "autograd.backward", "failed", message="got 12 <|>"),
            result("autograd.accumulate_twice", "autograd.accumulate", "xfailed"),
            result("autograd.no_grad_unrecorded", "autograd.no_grad", "blocked"),
            result("tensors.matmul_grad", "tensor.matmul", "skipped"),
            result("tensors.float64_sum", "tensor.float64", "passed", case="float64"),
            result("tensors.float64_sum", "tensor.float64", "passed", case="float32"),
            result("nn.relu_grad", "nn.activations", "passed", claimed=False),
            result("optim.sgd_step", "optim.sgd", "failed", claimed=False),
            result("loss.mse_value", "loss.mse", "absent", claimed=False),
            result("data.split_lengths", "data.random_split", "skipped", claimed=False),
        ],
        declared=[
            "autograd.backward",
            "autograd.accumulate",
            "autograd.no_grad",
            "tensor.matmul",
            "tensor.float64",
        ],
    )


def conforming(engine: str = "reference", version: str = "0.1.0") -> dict:
    return report(
        engine,
        [
            result("autograd.square_grad", "autograd.backward", "passed"),
            result("autograd.chain_grad", "autograd.backward", "passed"),
            result("autograd.accumulate_twice", "autograd.accumulate", "passed"),
            result("nn.relu_grad", "nn.activations", "passed"),
        ],
        version=version,
    )


def write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path
