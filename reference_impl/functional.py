"""Activations and losses, composed from the differentiable ops (so they need no gradient code).

The cross-entropy and logits forms are written in their numerically stable shapes: log-softmax
via log-sum-exp, and BCE-with-logits as max(z, 0) - z*y + log(1 + exp(-|z|)).
"""

from __future__ import annotations

from reference_impl import backend, ops, random
from reference_impl.core import Tensor, as_tensor


def relu(x):
    return ops.relu(x)


def tanh(x):
    return ops.tanh(x)


def sigmoid(x):
    return ops.sigmoid(x)


def mse_loss(prediction, target):
    """Mean of (prediction - target)**2."""
    return ops.mean((prediction - target) ** 2)


def cross_entropy(logits, target):
    """Mean over the batch of -z_c + log(sum_j exp(z_j)) = -log softmax(z)_c."""
    if logits.ndim == 1:
        logits, target = logits.reshape(1, -1), target.reshape(1)
    rows = backend.namespace(logits.data).arange(logits.shape[0])
    picked = ops.getitem(ops.log_softmax(logits, 1), (rows, target.data))
    return -ops.mean(picked)


def binary_cross_entropy(probabilities, target):
    """Mean of -[y log p + (1 - y) log(1 - p)]; logs are clipped at -100 as in PyTorch."""
    target = as_tensor(target, probabilities)
    log_p = ops.clamp(ops.log(probabilities), min=-100.0)
    log_not_p = ops.clamp(ops.log(1 - probabilities), min=-100.0)
    return -ops.mean(target * log_p + (1 - target) * log_not_p)


def binary_cross_entropy_with_logits(logits, target):
    """BCE of sigmoid(z), in the form that stays finite for large |z|."""
    return ops.bce_with_logits(logits, as_tensor(target, logits))


def dropout(x: Tensor, p: float, training: bool = True, generator=None):
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
