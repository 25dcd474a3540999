"""Optimisers following PyTorch's documented update equations.

Weight decay follows PyTorch's convention: ``weight_decay * p`` is added to the gradient before
the update, i.e. the gradient of L + (weight_decay / 2) * sum(p**2).
"""

from __future__ import annotations

from reference_impl.core import no_grad


class Optimizer:
    def __init__(self, params):
        self.params = list(params)
        self.state = [{} for _ in self.params]

    def zero_grad(self):
        """Forget the gradients (set them to None, PyTorch's default)."""
        for p in self.params:
            p.grad = None

    def step(self):
        with no_grad():
            for p, state in zip(self.params, self.state, strict=True):
                if p.grad is not None:
                    g = p.grad.data + self.weight_decay * p.data
                    p.data -= self.update(g, state)
                    p._version += 1


class SGD(Optimizer):
    """p <- p - lr * g, with momentum buffer b <- momentum * b + g (b = g at the first step)."""

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(params)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay

    def update(self, g, state):
        if self.momentum:
            state["buffer"] = g if "buffer" not in state else self.momentum * state["buffer"] + g
            g = state["buffer"]
        return self.lr * g


class Adam(Optimizer):
    """Per-parameter steps from running means of g and g**2, with bias correction:
    p <- p - lr * m_hat / (sqrt(v_hat) + eps)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay

    def update(self, g, state):
        beta1, beta2 = self.betas
        step = state["step"] = state.get("step", 0) + 1
        state["m"] = beta1 * state.get("m", 0) + (1 - beta1) * g
        state["v"] = beta2 * state.get("v", 0) + (1 - beta2) * g * g
        m_hat = state["m"] / (1 - beta1**step)
        v_hat = state["v"] / (1 - beta2**step)
        return self.lr * m_hat / (v_hat**0.5 + self.eps)
