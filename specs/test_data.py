"""Data: splitting a dataset into train, validation and test parts."""

from conformance import expect_equal, spec
from specs.sources import PY_COURSE, R_COURSE, Source


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
