"""Each point spec's example must tell its behaviour from the plausible wrong implementations by
a wide margin, not by luck of rounding: for every mutant that plants a wrong formula (sum for
mean, mean over rows for mean over all elements, eps outside the bias correction, momentum as a
running mean, a missing factor or transpose), the spec that catches it must miss by at least
ten times its tolerance.

The margin is read from the failure message of the spec's value comparison
(``|got - expected| = E ..., allowed A``): E / A at the entry that missed most. A spec that
fails some other way (a shape mismatch, a non-finite value) has no margin to read, and the
test says so, so the table below holds value comparisons only.
"""

from __future__ import annotations

import re

import pytest

from tests.catalogue_run import SPECS, failing, run_catalogue
from tests.mutants import MUTANTS

MARGIN = 10.0

# mutant -> the specs whose value comparison it must miss by MARGIN
DISCRIMINATED_BY = {
    "mean_grad_not_divided": ("examples.mean_of_ones", "loss.mse_grad"),
    "pow_grad_off_by_one": ("autograd.square_grad",),
    "tanh_grad_without_square": ("autograd.tanh_grad",),
    "sigmoid_grad_is_output": ("autograd.sigmoid_grad",),
    "bce_summed": ("loss.bce_value",),
    "sgd_uphill": ("optim.sgd_trace",),
    "momentum_ignored": ("optim.sgd_momentum",),
    "weight_decay_ignored": ("optim.sgd_weight_decay", "optim.adam_weight_decay"),
    "weight_decay_doubled": ("optim.sgd_weight_decay",),
    "adam_without_bias_correction": ("optim.adam_trace",),
    "adam_one_scale_for_all": ("optim.adam_trace",),
    "mse_mean_over_rows": ("loss.mse_mean_over_all_elements", "loss.mse_grad_batch"),
    "adam_eps_uncorrected": ("optim.adam_trace",),
    "bce_mean_over_rows": ("loss.bce_mean_over_all_terms",),
    "cross_entropy_summed": ("loss.cross_entropy_is_neg_log_softmax", "loss.cross_entropy_grad"),
    "bce_with_logits_summed": ("loss.bce_with_logits_matches_bce", "loss.bce_with_logits_grad"),
    "momentum_dampened": ("optim.sgd_momentum",),
    "bce_with_logits_mean_over_rows": ("loss.bce_with_logits_mean_over_all_terms",),
    "cross_entropy_mean_over_entries": (
        "loss.cross_entropy_is_neg_log_softmax",
        "loss.cross_entropy_grad",
    ),
    "softmax_over_first_dim": ("loss.softmax_values",),
}
BY_NAME = {m.name: m for m in MUTANTS}
MISS = re.compile(r"\|got - expected\| = (\S+) at index .*?, allowed (\S+) ")


def margin_of(message: str) -> float | None:
    """E / A of the first value comparison that failed in ``message``, or None."""
    found = MISS.search(message)
    if found is None:
        return None
    error, allowed = float(found.group(1)), float(found.group(2))
    return error / allowed if allowed > 0 else float("inf")


def test_margin_of_reads_a_failure_message():
    line = "  error:     |got - expected| = 0.25 at index (1,), allowed 0.001 (rtol=1e-05, ...)"
    assert margin_of(line) == pytest.approx(250.0)
    assert margin_of("shape mismatch in x") is None


def test_every_discriminating_mutant_exists():
    assert set(DISCRIMINATED_BY) <= set(BY_NAME)


@pytest.mark.parametrize("name", sorted(DISCRIMINATED_BY))
def test_wrong_formula_misses_by_a_wide_margin(pytester, record_property, name):
    mutant = BY_NAME[name]
    with mutant.applied():
        results = run_catalogue(
            pytester, "reference", f"--ignore-glob={SPECS / 'test_properties_*.py'}"
        )
    failed = {r["spec"]: r for r in failing(results)}
    margins = {}
    for spec_id in DISCRIMINATED_BY[name]:
        assert spec_id in failed, f"{spec_id} does not fail on mutant {name} ({mutant.bug})"
        margins[spec_id] = margin_of(failed[spec_id]["message"])
        assert margins[spec_id] is not None, (
            f"{spec_id} fails on {name} without a value comparison to read a margin from:\n"
            f"{failed[spec_id]['message']}"
        )
    record_property("margins", margins)
    narrow = {s: m for s, m in margins.items() if m < MARGIN}
    assert not narrow, f"mutant {name} ({mutant.bug}) is caught by less than {MARGIN}x: {narrow}"
