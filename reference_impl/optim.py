"""Optimisers following PyTorch's documented update equations.

Weight decay follows PyTorch's convention: ``weight_decay * p`` is added to the gradient before
the update, i.e. the gradient of L + (weight_decay / 2) * sum(p**2). Updates happen in place,
outside the graph, and bump each parameter's version like any in-place change.
"""

from __future__ import annotations

from .core import enable_grad, no_grad


class Optimizer:
    def __init__(self, params):
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        self.state = [{} for _ in self.params]

    def zero_grad(self, set_to_none: bool = True):
        """Forget the gradients: set them to None (PyTorch's default) or to zeros."""
        for p in self.params:
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.data[...] = 0

    def step(self, closure=None):
        """One update of every parameter that has a gradient. ``closure`` re-evaluates the
        loss (returned), as in PyTorch."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for p, state in zip(self.params, self.state, strict=True):
                if p.grad is not None:
                    g = (
                        p.grad.data + self.weight_decay * p.data
                        if self.weight_decay
                        else p.grad.data
                    )
                    p.data -= self.update(g, state)
                    p._version += 1
        return loss


class SGD(Optimizer):
    """p <- p - lr * g; with momentum, the buffer b <- momentum * b + (1 - dampening) * g
    (b = g at the first step) replaces g, or with Nesterov g + momentum * b does."""

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0, dampening=0.0, nesterov=False):
        super().__init__(params)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.dampening, self.nesterov = dampening, nesterov

    def update(self, g, state):
        if self.momentum:
            if "buffer" in state:
                state["buffer"] = self.momentum * state["buffer"] + (1 - self.dampening) * g
            else:
                state["buffer"] = g.copy()
            g = g + self.momentum * state["buffer"] if self.nesterov else state["buffer"]
        return self.lr * g


class Adam(Optimizer):
    """Per-parameter steps from running means m of g and v of g**2, with bias correction:
    p <- p - lr * m_hat / (sqrt(v_hat) + eps), m_hat = m / (1 - beta1**t), v_hat = v / (1 -
    beta2**t). The arithmetic follows PyTorch's order, so float32 results agree closely."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay

    def update(self, g, state):
        beta1, beta2 = self.betas
        step = state["step"] = state.get("step", 0) + 1
        m, v = state.get("m", 0 * g), state.get("v", 0 * g)
        state["m"] = m = m + (g - m) * (1 - beta1)  # PyTorch's lerp towards g
        state["v"] = v = v * beta2 + (1 - beta2) * g * g
        denominator = v**0.5 / (1 - beta2**step) ** 0.5 + self.eps
        return self.lr / (1 - beta1**step) * m / denominator
