"""Layers: Module, Parameter, Linear, activations, Sequential, Dropout."""

from __future__ import annotations

import math

from reference_impl import backend, functional, random
from reference_impl.core import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and that Modules list in ``parameters()``."""

    __slots__ = ()

    def __init__(self, data):
        super().__init__(data, requires_grad=True)


class Module:
    """A callable layer. Parameters and sub-modules are found among its attributes."""

    training = True

    def __call__(self, *inputs):
        return self.forward(*inputs)

    def children(self):
        return [value for value in vars(self).values() if isinstance(value, Module)]

    def parameters(self):
        own = [value for value in vars(self).values() if isinstance(value, Parameter)]
        return own + [p for child in self.children() for p in child.parameters()]

    def train(self, mode: bool = True):
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self):
        for parameter in self.parameters():
            parameter.grad = None


class Linear(Module):
    """y = x W^T + b with PyTorch's default initialisation: W and b uniform in
    [-1/sqrt(in_features), 1/sqrt(in_features)]."""

    def __init__(self, in_features, out_features, bias=True, device="cpu"):
        xp = backend.for_device(device)
        bound = 1 / math.sqrt(in_features)
        rng = random.generator()

        def uniform(*shape):
            return Parameter(xp.asarray(rng.uniform(-bound, bound, shape), dtype="float32"))

        self.weight = uniform(out_features, in_features)
        self.bias = uniform(out_features) if bias else None

    def forward(self, x):
        out = x @ self.weight.t()
        return out + self.bias if self.bias is not None else out


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
    def __init__(self, p=0.5):
        self.p = p

    def forward(self, x):
        return functional.dropout(x, self.p, self.training)


class Sequential(Module):
    def __init__(self, *layers):
        self.layers = list(layers)

    def children(self):
        return list(self.layers)

    def __getitem__(self, index):
        return self.layers[index]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
