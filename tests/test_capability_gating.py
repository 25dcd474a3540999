"""An engine that declines one capability keeps every spec that does not use it: the legal
variants of the capabilities section (tests/legal_variants.py) run, not skip, the specs beside
what they decline, and pass them."""

from __future__ import annotations

import pytest

from tests.catalogue_run import run_catalogue
from tests.legal_variants import VARIANTS

BY_NAME = {variant.name: variant for variant in VARIANTS}

# variant -> specs it must run and pass although it declines a capability
MUST_RUN = {
    "loader_without_random_split": [
        "data.tensor_dataset_items",
        "data.loader_batches",
        "data.loader_shuffle_covers",
        "data.loader_shuffle_random",
        "data.loader_shuffle_seeded",
        "data.subset_by_indices",
        "data.index_split_minibatches",
        "properties.loader_partitions_every_epoch",
    ],
    "no_seeding": [
        "regularisation.dropout_values",
        "regularisation.dropout_scaling",
        "regularisation.dropout_rate",
        "regularisation.dropout_eval_identity",
        "regularisation.dropout_grad",
        "regularisation.dropout_independent",
        "regularisation.dropout_switched_by_container",
        "layers.gradient_shapes",
        "layers.gradient_values",
        "layers.output_shape",
        "layers.parameters",
        "layers.linear_init",
        "autograd.jacobian_network",
        "data.randint_labels",
        "data.loader_shuffle_random",
        "data.random_split_seeded",
    ],
}

# variant -> specs it must not run (they use what it declines)
MUST_SKIP = {
    "loader_without_random_split": [
        "data.random_split_sizes",
        "properties.random_split_partitions",
    ],
    "no_seeding": ["regularisation.dropout_seeded", "tensors.randn_seeded"],
}


@pytest.mark.parametrize("name", sorted(MUST_RUN))
def test_declining_a_capability_keeps_the_specs_beside_it(pytester, name):
    with BY_NAME[name].applied():
        results = run_catalogue(pytester, "reference")
    outcomes: dict[str, set[str]] = {}
    for result in results:
        outcomes.setdefault(result["spec"], set()).add(result["outcome"])
    not_passed = {
        spec: outcomes.get(spec) for spec in MUST_RUN[name] if outcomes.get(spec) != {"passed"}
    }
    assert not not_passed, f"variant {name} must run and pass these specs: {not_passed}"
    ran = {
        spec: outcomes.get(spec) for spec in MUST_SKIP[name] if outcomes.get(spec) != {"skipped"}
    }
    assert not ran, f"variant {name} declines what these specs use: {ran}"
