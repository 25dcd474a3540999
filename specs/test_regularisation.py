"""Regularisation: dropout and weight decay."""

import numpy as np

from conformance import expect_close, expect_true, spec
from specs.sources import both_courses


@spec(
    id="regularisation.dropout_values",
    behaviour="dropout with p = 0.5 in training turns ones(10) into 0s and 2s, in eval leaves it",
    sources=both_courses("Dropout"),
    requires={"nn.dropout", "random.manual_seed"},
    note="Which positions are zeroed depends on the generator; the documents print one draw.",
)
def test_dropout_values(engine):
    engine.manual_seed(0)
    layer = engine.dropout(0.5)
    layer.train()
    ones = engine.ones(10)
    got = np.asarray(engine.to_numpy(layer(ones)))
    expect_true(np.isin(got, [0.0, 2.0]).all(), what="only 0s and 2s in training", got=got)
    layer.eval()
    expect_close(layer(ones), np.ones(10), what="dropout in eval mode")
