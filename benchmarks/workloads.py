"""The documented small workloads, written once against the engine contract.

Each function runs one whole workload on an engine adapter (``conformance.engine.Engine``), so
the same code times the reference engine and PyTorch. Sizes and step counts are the documents':
the blog's two-layer network trained by hand, the minibatch linear regression, and the courses'
six SGD steps on (w - 1)**2.
"""

from __future__ import annotations

import numpy as np


def two_layer_data(seed=2024):
    """100 samples with 3 inputs and 1 target; a hidden layer of 32 units."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((100, 3))
    y = x @ np.array([[0.2], [-1.3], [-0.5]]) + rng.standard_normal((100, 1))
    return x, y, rng.standard_normal((3, 32)), rng.standard_normal((32, 1))


def two_layer_training(engine, data, steps=200, lr=1e-4):
    """The blog's manual loop: mm/add/clamp forward, squared-error sum, backward, then updates
    under no_grad and zeroed gradients, 200 times."""
    x_values, y_values, w1_values, w2_values = data
    x, y = engine.tensor(x_values.tolist()), engine.tensor(y_values.tolist())
    w1 = engine.tensor(w1_values.tolist(), requires_grad=True)
    w2 = engine.tensor(w2_values.tolist(), requires_grad=True)
    b1 = engine.zeros(1, 32, requires_grad=True)
    b2 = engine.zeros(1, 1, requires_grad=True)
    losses = []
    for _ in range(steps):
        hidden = x.mm(w1).add(b1).clamp(min=0)  # ReLU written as a clamp
        prediction = hidden.mm(w2).add(b2)
        loss = (prediction - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with engine.no_grad():
            for parameter in (w1, w2, b1, b2):
                parameter.sub_(lr * parameter.grad)
                parameter.grad.zero_()
    return losses[0], losses[-1]


def regression_data(seed=7):
    """100 points on y = 2x - 1 with noise, a random start and 10 batches of 10 indices."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(100)
    y = 2.0 * x - 1.0 + 0.1 * rng.standard_normal(100)
    return x, y, rng.standard_normal(), rng.standard_normal(), rng.permutation(100).reshape(10, 10)


def minibatch_regression(engine, data, epochs=10, lr=0.02):
    """y_hat = a x + b fitted by minibatch gradient descent: each step indexes its batch out of
    the data tensors, takes the mean squared error, steps under no_grad and zeroes the grads."""
    x_all, y_all, a0, b0, batches = data
    x_all, y_all = engine.tensor(x_all.tolist()), engine.tensor(y_all.tolist())
    batches = [engine.tensor(batch.tolist(), dtype="int64") for batch in batches]
    a = engine.tensor(a0, requires_grad=True)
    b = engine.tensor(b0, requires_grad=True)
    for _ in range(epochs):
        for batch in batches:
            loss = ((x_all[batch] * a + b - y_all[batch]) ** 2).mean()
            loss.backward()
            with engine.no_grad():
                for parameter in (a, b):
                    parameter.sub_(lr * parameter.grad)
            for parameter in (a, b):
                parameter.grad.zero_()
    return a.item(), b.item()


def sgd_trace(engine, data=None, steps=6, lr=0.1):
    """The courses' optimiser loop on (w - 1)**2 from w = 2: w = 1.8, 1.64, ..., 1.2621."""
    w = engine.tensor(2.0, requires_grad=True)
    optimizer = engine.sgd([w], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = (w - 1) ** 2
        loss.backward()
        optimizer.step()
    return w.item()


# name -> (workload, its data, a check that the run did what the documents say it does)
WORKLOADS = {
    "two_layer_training": (
        two_layer_training,
        two_layer_data,
        lambda losses: losses[1] < losses[0] / 20,
    ),
    "minibatch_regression": (
        minibatch_regression,
        regression_data,
        lambda ab: abs(ab[0] - 2) < 0.15 and abs(ab[1] + 1) < 0.15,
    ),
    "sgd_trace": (sgd_trace, lambda: None, lambda w: abs(w - (1 + 0.8**6)) < 1e-5),
}
