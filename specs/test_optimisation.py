"""Optimisation: gradient descent by hand and with the SGD optimiser."""

from conformance import expect_close, spec
from specs.sources import both_courses, maths

# Minimising (w - 1)**2 from w = 2 with lr = 0.1: w <- w - 0.2 (w - 1), so w_k - 1 = 0.8**k and
# the loss before step k is 0.64**(k - 1). Printed in the courses as 1.8000, 1.6400, 1.5120,
# 1.4096, 1.3277, 1.2621 and 1.0000, 0.6400, 0.4096, 0.2621, 0.1678, 0.1074.
SGD_W = [1 + 0.8**k for k in range(1, 7)]
SGD_LOSS = [0.64**k for k in range(6)]


@spec(
    id="optim.sgd_trace",
    behaviour="SGD with lr 0.1 on (w - 1)**2 from w = 2 gives w = 1.8, 1.64, 1.512, ... 1.2621",
    sources=[*both_courses("Optimizers"), maths("w_k = 1 + 0.8**k, loss_k = 0.64**k")],
    requires={"optim.sgd", "autograd.backward"},
)
def test_sgd_trace(engine):
    w = engine.tensor(2.0, requires_grad=True)
    optimizer = engine.sgd([w], lr=0.1)
    losses, weights = [], []
    for _ in range(6):
        optimizer.zero_grad()
        loss = (w - 1) ** 2
        loss.backward()
        optimizer.step()
        losses.append(engine.to_numpy(loss).copy())  # copies keep the engine's dtype
        weights.append(engine.to_numpy(w).copy())
    expect_close(weights, SGD_W, what="w after each of the six steps")
    expect_close(losses, SGD_LOSS, what="loss before each of the six steps")
