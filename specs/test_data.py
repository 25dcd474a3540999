"""Data: splitting a dataset into train, validation and test parts."""

import numpy as np
import pytest

from conformance import expect_close, expect_equal, expect_true, spec
from specs.sources import LINREG, PY_COURSE, R_COURSE, Source, both_courses, maths


@spec(
    id="data.random_split_sizes",
    behaviour="random_split of 1000 items into [700, 150, 150] gives disjoint parts covering all",
    sources=[
        Source(PY_COURSE, "Train, validation and test splits"),
        Source(R_COURSE, "Train, validation and test splits"),
    ],
    requires={"data.random_split"},
    note="The R course builds the same split with dataset_subset over a shuffled index vector.",
)
def test_random_split_sizes(engine):
    features = engine.zeros(1000, 10)
    labels = engine.zeros(1000, dtype="int64")
    parts = engine.random_split(engine.tensor_dataset(features, labels), [700, 150, 150], seed=0)
    expect_equal([len(part) for part in parts], [700, 150, 150], what="part lengths")
    indices = [engine.subset_indices(part) for part in parts]
    every = sorted(i for part in indices for i in part)
    expect_equal(every, list(range(1000)), what="the union of the parts' indices (sorted)")


def split_indices(engine, seed, n=1000, lengths=(700, 150, 150)):
    dataset = engine.tensor_dataset(engine.zeros(n, 2), engine.zeros(n, dtype="int64"))
    return [
        engine.subset_indices(p) for p in engine.random_split(dataset, list(lengths), seed=seed)
    ]


@spec(
    id="data.random_split_seeded",
    behaviour="random_split with the same seed gives the same parts; another seed, other parts",
    sources=[Source(PY_COURSE, "Train, validation and test splits")],
    requires={"data.random_split"},
    note="Two independent shuffles of 1000 items agree with probability 1/1000! (about 2e-2568).",
)
def test_random_split_seeded(engine):
    first = split_indices(engine, seed=7)
    expect_equal(split_indices(engine, seed=7), first, what="parts for the same seed")
    expect_true(split_indices(engine, seed=8) != first, what="different parts for another seed")


# Items 0..499 that land in the 700-item part follow a hypergeometric law: mean 350, sd 7.25.
# Hoeffding's bound holds for sampling without replacement: P(|X - 350| >= t) <=
# 2 exp(-2 t**2 / 700); t = 90 gives 2 exp(-23.1) = 1.9e-10. A split that does not shuffle puts
# all 500 there (deviation 150).
HALF_BAND = 90


@spec(
    id="data.random_split_shuffles",
    behaviour="random_split assigns items at random: the 700-item part holds about 70% of any half",
    sources=[
        Source(PY_COURSE, "Train, validation and test splits"),
        maths("hypergeometric mean 350; Hoeffding bound for t = 90"),
    ],
    requires={"data.random_split"},
    false_failure_probability=1.9e-10,
)
def test_random_split_shuffles(engine):
    train, _, _ = split_indices(engine, seed=12345)
    from_first_half = sum(1 for i in train if i < 500)
    expect_true(
        abs(from_first_half - 350) < HALF_BAND,
        what=f"between {350 - HALF_BAND} and {350 + HALF_BAND} of items 0..499 in the "
        "700-item part",
        got=from_first_half,
    )


@spec(
    id="data.tensor_dataset_items",
    behaviour="item i of a dataset of (X, y) is the pair (X[i], y[i])",
    sources=[*both_courses("Train, validation and test splits")],
    requires={"data.random_split"},
)
def test_tensor_dataset_items(engine):
    features = np.arange(12, dtype=np.float32).reshape(6, 2)
    dataset = engine.tensor_dataset(
        engine.tensor(features.tolist()), engine.tensor([0, 1, 0, 1, 1, 0], dtype="int64")
    )
    expect_equal(len(dataset), 6, what="len(dataset)")
    x, y = dataset[4]
    expect_close(x, features[4], what="dataset[4][0]")
    expect_equal(int(engine.to_numpy(y)), 1, what="dataset[4][1]")


@pytest.mark.parametrize(
    ("n", "drop_last", "sizes"),
    [(100, False, [10] * 10), (105, False, [10] * 10 + [5]), (105, True, [10] * 10)],
    ids=["exact", "last-partial", "drop-last"],
)
@spec(
    id="data.loader_batches",
    behaviour="a DataLoader yields batches of batch_size, the last one partial unless drop_last",
    sources=[Source(LINREG, "Stochastic gradient descent"), maths("ceil(n / batch) batches")],
    requires={"data.loader", "data.random_split"},
)
def test_loader_batches(engine, n, drop_last, sizes):
    dataset = engine.tensor_dataset(engine.tensor(np.arange(n, dtype=np.float32).tolist()))
    batches = [
        batch[0] for batch in engine.data_loader(dataset, batch_size=10, drop_last=drop_last)
    ]
    expect_equal([int(engine.to_numpy(b).shape[0]) for b in batches], sizes, what="batch sizes")
    expect_close(
        np.concatenate([engine.to_numpy(b) for b in batches]),
        np.arange(sum(sizes), dtype=np.float64),
        what="items in order without shuffle",
    )


@spec(
    id="data.loader_shuffle_covers",
    behaviour="a shuffling DataLoader visits every item exactly once per epoch",
    sources=[Source(LINREG, "Stochastic gradient descent"), *both_courses("Gradient descent")],
    requires={"data.loader", "data.random_split"},
)
def test_loader_shuffle_covers(engine):
    dataset = engine.tensor_dataset(engine.tensor(np.arange(100, dtype=np.float32).tolist()))
    seen = np.concatenate(
        [engine.to_numpy(b[0]) for b in engine.data_loader(dataset, batch_size=10, shuffle=True)]
    )
    expect_equal(sorted(seen.tolist()), list(range(100)), what="items seen in one epoch (sorted)")
