"""Activations, layers' functional forms and losses, under ``torch.nn.functional``'s names.

Losses are computed as PyTorch computes them: cross-entropy is log-softmax then the negative
log-likelihood of the target class (NllLossBackward0), so no probability is ever formed; BCE
clips its logs at -100; BCE-with-logits uses max(z, 0) - z*y + log(1 + exp(-|z|)), finite for
any z. Each fused loss has its gradient written beside it.
"""

from __future__ import annotations

from . import backend, ops, random, views
from .core import Tensor
from .function import as_tensor, record


def relu(x):
    return ops.relu(x)


def tanh(x):
    return ops.tanh(x)


def sigmoid(x):
    return ops.sigmoid(x)


def softmax(x, dim):
    return ops.softmax(x, dim)


def log_softmax(x, dim):
    return ops.log_softmax(x, dim)


def linear(x, weight, bias=None):
    """x @ weight.T + bias, built as PyTorch builds it: without bias a matmul; with bias one
    AddmmBackward0 node, after flattening an input that is not a matrix (reshaped back)."""
    if bias is None:
        return ops.matmul(x, views.t(weight))
    if x.ndim != 2:
        flat = linear(views.reshape(x, -1, x.shape[-1]), weight, bias)
        return views.reshape(flat, *x.shape[:-1], weight.shape[0])
    return ops.addmm(bias, x, views.t(weight))


def dropout(x: Tensor, p: float = 0.5, training: bool = True, generator=None):
    """Zero each element with probability p (keep mask ~ Bernoulli(1 - p)) and scale the
    survivors by 1 / (1 - p), so the expected value is unchanged; the identity when not
    training."""
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    rng = generator or random.generator()
    keep = rng.random(x.shape) >= p
    mask = backend.namespace(x.data).asarray(keep / (1 - p), dtype=x.data.dtype)
    return x * Tensor(mask)


# -- losses ----------------------------------------------------------------------------------
def _reduce(terms, reduction):
    """The loss from its per-element terms, and the gradient factor of each term."""
    if reduction == "mean":
        return terms.mean(), 1 / max(terms.size, 1)
    if reduction == "sum":
        return terms.sum(), 1
    if reduction == "none":
        return terms, 1
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', not {reduction!r}")


def mse_loss(prediction, target, reduction="mean"):
    """Mean of (prediction - target)**2 (or its sum, or the terms)."""
    terms = (prediction - target) ** 2
    if reduction == "none":
        return terms
    return ops.mean(terms) if reduction == "mean" else ops.sum(terms)


def nll_loss(log_probabilities, target, reduction="mean"):
    """The mean over the batch of -log_probabilities[i, target[i]]: NllLossBackward0, whose
    gradient is -1/n at each target entry and 0 elsewhere."""
    xp, shape = backend.namespace(log_probabilities.data), log_probabilities.shape

    def picked(classes):  # the entry of the target class, in each row
        return (classes,) if len(shape) == 1 else (xp.arange(shape[0]), classes)

    loss, scale = _reduce(-log_probabilities.data[picked(target.data)], reduction)

    def backward(g, classes):
        full = xp.zeros(shape, dtype=g.dtype)
        full[picked(classes)] = -g * scale
        return (full,)

    return record("NllLossBackward0", loss, (log_probabilities,), backward, (target,))


def cross_entropy(logits, target, reduction="mean"):
    """Mean over the batch of -z_c + log(sum_j exp(z_j)) = -log softmax(z)_c, for logits
    (N, K) with class indices (N,), or logits (K,) with one class index."""
    return nll_loss(ops.log_softmax(logits, 1 if logits.ndim > 1 else 0), target, reduction)


def binary_cross_entropy(probabilities, target, reduction="mean"):
    """Mean of -[y log p + (1 - y) log(1 - p)], logs clipped at -100 as in PyTorch so that
    p = 0 or 1 gives a finite loss; BinaryCrossEntropyBackward0."""
    target = as_tensor(target, probabilities)
    xp = backend.namespace(probabilities.data)

    def logs(p):  # log p and log(1 - p), clipped at -100
        with backend.quiet():
            return xp.maximum(xp.log(p), -100), xp.maximum(xp.log1p(-p), -100)

    log_p, log_not_p = logs(probabilities.data)
    y = target.data
    loss, scale = _reduce(-(y * log_p + (1 - y) * log_not_p), reduction)

    def backward(g, p, y):
        g, (log_p, log_not_p) = g * scale, logs(p)
        # d/dp, with PyTorch's floor of 1e-12 on p (1 - p) against division by zero
        return g * (p - y) / xp.maximum((1 - p) * p, 1e-12), g * (log_not_p - log_p)

    return record(
        "BinaryCrossEntropyBackward0",
        loss,
        (probabilities, target),
        backward,
        (probabilities, target),
    )


def binary_cross_entropy_with_logits(logits, target, reduction="mean"):
    """BCE of sigmoid(z) as max(z, 0) - z*y + log(1 + exp(-|z|)), finite for any z. Its
    gradient sigmoid(z) - y is written out: composing it from relu and abs would give a
    one-sided value at z = 0."""
    target = as_tensor(target, logits)
    xp = backend.namespace(logits.data)
    z, y = logits.data, target.data
    terms = xp.maximum(z, 0) - z * y + xp.log1p(xp.exp(-abs(z)))
    loss, scale = _reduce(terms, reduction)

    def backward(g, z, y):
        g = g * scale
        return g * (ops.stable_sigmoid(xp, z) - y), -g * z

    return record(
        "BinaryCrossEntropyWithLogitsBackward0", loss, (logits, target), backward, (logits, target)
    )
