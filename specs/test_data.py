"""Data: splitting a dataset into train, validation and test parts."""

import numpy as np
import pytest

from conformance import expect_close, expect_dtype, expect_equal, expect_shape, expect_true, spec
from conformance.specs.seeding import seed_if_declared
from conformance.specs.sources import LINREG, PY_COURSE, R_COURSE, cite, maths, pytorch_docs

RANDOM_SPLIT = cite(PY_COURSE, "random_split(dataset, [n_train")
SPLIT_SIZES = [cite(PY_COURSE, "(700, 150, 150)"), cite(R_COURSE, "700 150 150")]
TENSOR_DATASET = [
    cite(PY_COURSE, "TensorDataset(X, y)"),
    cite(R_COURSE, "tensor_dataset(X_data, y_data)"),
]
LOADER = pytorch_docs("torch.utils.data.DataLoader", "batch_size, shuffle, drop_last")
SEEDING = pytorch_docs("torch.manual_seed", "sets the seed for generating random numbers")


@spec(
    id="data.random_split_sizes",
    behaviour="random_split of 1000 items into [700, 150, 150] gives disjoint parts covering all",
    sources=[RANDOM_SPLIT, *SPLIT_SIZES],
    about="data.random_split",
    requires={"data.dataset", "tensor.arrays"},
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
    sources=[RANDOM_SPLIT, pytorch_docs("torch.utils.data.random_split", "the generator argument")],
    about="data.random_split",
    requires={"data.dataset", "tensor.arrays"},
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
    sources=[RANDOM_SPLIT, maths("hypergeometric mean 350; Hoeffding bound for t = 90")],
    about="data.random_split",
    requires={"data.dataset", "tensor.arrays"},
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
    sources=TENSOR_DATASET,
    about="data.dataset",
    requires={"tensor.arrays"},
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
    sources=[LOADER, maths("ceil(n / batch) batches")],
    about="data.loader",
    requires={"data.dataset", "tensor.arrays"},
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
    sources=[LOADER, cite(PY_COURSE, "is one epoch")],
    about="data.loader",
    requires={"data.dataset", "tensor.arrays"},
)
def test_loader_shuffle_covers(engine):
    dataset = engine.tensor_dataset(engine.tensor(np.arange(100, dtype=np.float32).tolist()))
    seen = np.concatenate(
        [engine.to_numpy(b[0]) for b in engine.data_loader(dataset, batch_size=10, shuffle=True)]
    )
    expect_equal(sorted(seen.tolist()), list(range(100)), what="items seen in one epoch (sorted)")


@spec(
    id="data.subset_by_indices",
    behaviour="subsets taken at positions 1-700, 701-850 and 851-1000 of a shuffled index vector "
    "hold 700, 150 and 150 items, item k being the dataset's item at the k-th index",
    sources=[cite(R_COURSE, "dataset_subset(dataset, idx[1:700])"), *SPLIT_SIZES],
    about="data.subset",
    requires={"data.dataset", "tensor.arrays"},
    note="The R course uses dataset_subset and 1-based index ranges; the spec uses 0-based "
    "indices and draws the shuffled index vector with NumPy's seeded generator.",
)
def test_subset_by_indices(engine):
    features = np.arange(2000, dtype=np.float32).reshape(1000, 2)
    dataset = engine.tensor_dataset(engine.tensor(features.tolist()))
    order = np.random.default_rng(0).permutation(1000)
    parts = [
        engine.subset(dataset, order[a:b].tolist()) for a, b in ((0, 700), (700, 850), (850, 1000))
    ]
    expect_equal([len(part) for part in parts], [700, 150, 150], what="subset lengths")
    for part, start in zip(parts, (0, 700, 850), strict=True):
        expect_close(
            part[5][0], features[order[start + 5]], what=f"item 5 of the subset from {start}"
        )


def loader_orders(engine, seed, epochs=2, n=100, seeded=False):
    """The item order of each pass over a shuffling loader, after ``manual_seed(seed)`` (when
    ``seeded``, else when the engine declares seeding: see specs/seeding.py)."""
    if seeded:
        engine.manual_seed(seed)
    else:
        seed_if_declared(engine, seed)
    loader = engine.data_loader(
        engine.tensor_dataset(engine.tensor(np.arange(n, dtype=np.float32).tolist())),
        batch_size=10,
        shuffle=True,
    )
    return [
        np.concatenate([engine.to_numpy(batch[0]) for batch in loader]).astype(int).tolist()
        for _ in range(epochs)
    ]


@spec(
    id="data.loader_shuffle_seeded",
    behaviour="after the same manual_seed a shuffling DataLoader visits the items in the same "
    "order",
    sources=[LOADER, SEEDING, maths("a seeded generator is deterministic")],
    about="random.manual_seed",
    requires={"data.loader", "data.dataset", "tensor.arrays"},
)
def test_loader_shuffle_seeded(engine):
    expect_equal(
        loader_orders(engine, 21, seeded=True),
        loader_orders(engine, 21, seeded=True),
        what="orders for seed 21",
    )


# A uniformly random order of n items leaves at least k of them in place with probability at most
# C(n, k) (n - k)! / n! = 1/k! (union bound over the k-sets that stay). With k = 15: 1/15! =
# 7.6e-13 per comparison. Two comparisons (first epoch vs the original order, second epoch vs the
# first, which is uniform when the epochs are independent): 1.6e-12. A loader that ignores
# shuffle keeps all 100 in place; one that shuffles once and replays it matches in all 100.
IN_PLACE_LIMIT = 15


@spec(
    id="data.loader_shuffle_random",
    behaviour="a shuffling DataLoader draws a fresh random order every epoch: fewer than 15 of 100 "
    "items keep their position, from the original order or from the previous epoch",
    sources=[LOADER, maths("P(k fixed points or more) <= 1/k! for a uniform permutation")],
    about="data.loader",
    requires={"data.dataset", "tensor.arrays"},
    false_failure_probability=1.6e-12,
)
def test_loader_shuffle_random(engine):
    first, second = loader_orders(engine, 8)
    for what, before, after in (
        ("the original order", list(range(100)), first),
        ("the first epoch", first, second),
    ):
        kept = sum(a == b for a, b in zip(before, after, strict=True))
        expect_true(
            kept < IN_PLACE_LIMIT,
            what=f"fewer than {IN_PLACE_LIMIT} items in the same place as in {what}",
            got=kept,
        )


# The fraction of ones among 1000 labels drawn from {0, 1}: Hoeffding, P(|f - 0.5| >= 0.11) <=
# 2 exp(-2 * 1000 * 0.11**2) = 6.2e-11. Labels all 0 or all 1 have probability 2**-999.
@spec(
    id="data.randint_labels",
    behaviour="randint(0, 2, 1000) gives 1000 int64 class labels, each 0 or 1, about half of each",
    sources=[
        cite(PY_COURSE, "torch.randint(0, 2, (1000,))"),
        cite(R_COURSE, "torch_randint(0L, 2L, 1000L)"),
        maths("Hoeffding bound on the fraction of ones"),
    ],
    about="random.randint",
    requires={"tensor.arrays"},
    false_failure_probability=6.2e-11,
    note="R's torch_randint(0L, 2L, ...) also draws from 0 and 1: its upper bound is exclusive. "
    "The courses draw their labels without seeding; the spec seeds only where the engine "
    "declares the convention random.manual_seed, and its bound holds whatever the state.",
)
def test_randint_labels(engine):
    seed_if_declared(engine, 13)
    labels = engine.randint(0, 2, 1000)
    expect_shape(labels, (1000,), what="randint(0, 2, 1000)")
    expect_dtype(labels, "int64", what="randint(0, 2, 1000)")
    values = np.asarray(engine.to_numpy(labels))
    expect_true(np.isin(values, [0, 1]).all(), what="every label 0 or 1", got=np.unique(values))
    expect_true(
        abs(values.mean() - 0.5) < 0.11,
        what="a fraction of ones within 0.11 of 0.5",
        got=values.mean(),
    )


@spec(
    id="data.index_split_minibatches",
    behaviour="minibatches as the regression tutorial makes them: a shuffled index vector split "
    "into 10 batches of 10, reused every epoch, visits each item once per epoch in the same "
    "batches",
    sources=[
        cite(LINREG, "batches <- split(sample(1:100)"),
        cite(LINREG, "X[batches[[step]]]"),
        cite(R_COURSE, "dataset_subset(dataset, idx[1:700])"),
    ],
    about="data.subset",
    requires={"data.dataset", "tensor.arrays"},
    note="The tutorial indexes tensors with each batch; the spec takes each batch with subset(), "
    "the R course's dataset_subset. The shuffle comes from NumPy's seeded generator.",
)
def test_index_split_minibatches(engine):
    features = np.arange(100, dtype=np.float32) * 2
    dataset = engine.tensor_dataset(engine.tensor(features.tolist()))
    batches = np.random.default_rng(5).permutation(100).reshape(10, 10)
    epochs = []
    for _ in range(2):
        seen = []
        for batch in batches:
            part = engine.subset(dataset, batch.tolist())
            seen.append([float(engine.to_numpy(part[i][0])) for i in range(len(part))])
        epochs.append(seen)
    expect_equal(epochs[0], (features[batches]).tolist(), what="items of each batch, epoch 1")
    expect_equal(epochs[1], epochs[0], what="batches of epoch 2 vs epoch 1")
    every = sorted(v for batch in epochs[0] for v in batch)
    expect_equal(every, features.tolist(), what="items visited in one epoch (sorted)")
