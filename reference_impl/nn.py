"""Layers: Module, Parameter, Linear, activations, Sequential, Dropout and loss modules."""

from __future__ import annotations

import math

from . import backend, functional, random
from .core import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and that Modules list in ``parameters()``."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad)


class Module:
    """A callable layer. Parameters and sub-modules are found among its attributes, in the
    order they were assigned."""

    training = True

    def __call__(self, *inputs):
        return self.forward(*inputs)

    def named_children(self):
        return [(name, v) for name, v in vars(self).items() if isinstance(v, Module)]

    def children(self):
        return [module for _, module in self.named_children()]

    def named_parameters(self, prefix=""):
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child.named_parameters(f"{prefix}{name}.")

    def parameters(self):
        for _, parameter in self.named_parameters():
            yield parameter

    def train(self, mode: bool = True):
        """Training mode (the default) or, with ``mode=False``, evaluation mode; recursive."""
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True):
        for parameter in self.parameters():
            if set_to_none or parameter.grad is None:
                parameter.grad = None
            else:
                parameter.grad.data[...] = 0

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        inner = "".join(
            f"\n  ({name}): " + repr(child).replace("\n", "\n  ")
            for name, child in self.named_children()
        )
        return f"{type(self).__name__}({self.extra_repr()}{inner}{chr(10) if inner else ''})"


class Linear(Module):
    """y = x W^T + b with PyTorch's default initialisation: W and b uniform in
    [-1/sqrt(in_features), 1/sqrt(in_features)] (kaiming-uniform with a = sqrt(5))."""

    def __init__(self, in_features, out_features, bias=True, device="cpu", dtype="float32"):
        xp = backend.for_device(device)
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features) if in_features else 0.0
        rng = random.generator()

        def uniform(*shape):
            return Parameter(xp.asarray(rng.uniform(-bound, bound, shape), dtype=dtype))

        self.weight = uniform(out_features, in_features)
        self.bias = uniform(out_features) if bias else None

    def forward(self, x):
        return functional.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={bias}"


class ReLU(Module):
    def forward(self, x):
        return functional.relu(x)


class Tanh(Module):
    def forward(self, x):
        return functional.tanh(x)


class Sigmoid(Module):
    def forward(self, x):
        return functional.sigmoid(x)


class Dropout(Module):
    """Drops each element with probability ``p`` in training mode; the identity in eval."""

    def __init__(self, p=0.5):
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, x):
        return functional.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Sequential(Module):
    """Applies its layers in order; layer i is named "i" in ``named_parameters()``."""

    def __init__(self, *layers):
        self.layers = list(layers)

    def named_children(self):
        return [(str(i), layer) for i, layer in enumerate(self.layers)]

    def __getitem__(self, index):
        return self.layers[index]

    def __len__(self):
        return len(self.layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class _Loss(Module):
    loss = None  # the functional form

    def __init__(self, reduction="mean"):
        self.reduction = reduction

    def forward(self, prediction, target):
        return type(self).loss(prediction, target, reduction=self.reduction)


class MSELoss(_Loss):
    loss = functional.mse_loss


class CrossEntropyLoss(_Loss):
    loss = functional.cross_entropy


class BCELoss(_Loss):
    loss = functional.binary_cross_entropy


class BCEWithLogitsLoss(_Loss):
    loss = functional.binary_cross_entropy_with_logits
