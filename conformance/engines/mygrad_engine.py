"""The adapter for MyGrad 2.5.0 (``pip install -e '.[engines]'``), a NumPy autograd engine.

Loaded only when ``--engine=mygrad`` asks for it. It declares what MyGrad has; where MyGrad's
documented design differs from PyTorch's it declares nothing and lets a probing run
(``--probe-undeclared``) show the difference. Evidence for each: docs/engines/mygrad.md.

* ``constant=True`` is MyGrad's ``requires_grad=False``;
* ``.grad`` is a NumPy array (not a tensor), and non-leaf tensors keep theirs;
* ``backward()`` on a non-scalar sums it first; it has no ``retain_graph`` and clears the
  graph, so a second backward neither raises nor reaches the leaves;
* a tensor used in a new graph has its gradient reset: gradients do not accumulate;
* tensor math is module functions (``mygrad.exp(x)``), mapped to PyTorch's method names below.
"""

from __future__ import annotations

import mygrad as mg
import numpy as np
from mygrad.nnet import losses
from mygrad.nnet.activations import relu, sigmoid

from conformance.adapter import Proxy, readable, through, unwrap, wrap
from conformance.engine import Engine


def zero_in_place(tensor):
    tensor[...] = 0  # MyGrad's item assignment writes in place
    return tensor


class MyGradTensor(Proxy):
    wraps = mg.Tensor
    arguments = {"backward": {"gradient": "grad"}}
    translations = {
        # MyGrad stores the opposite flag; a leaf is a tensor no operation created.
        "requires_grad": readable(lambda t: not t.constant),
        "is_leaf": readable(lambda t: t.creator is None),
        # PyTorch's methods that MyGrad offers as functions of the same meaning.
        "add": mg.add,
        "pow": mg.power,
        "square": mg.square,
        "exp": mg.exp,
        "log": mg.log,
        "abs": mg.absolute,
        "sqrt": mg.sqrt,
        "mm": mg.matmul,
        "t": mg.transpose,
        "clamp": lambda t, min=None, max=None: mg.clip(t, min, max),
        # PyTorch's in-place methods as MyGrad's augmented assignments and ufuncs with out=,
        # which MyGrad records in the graph.
        "abs_": lambda t: mg.absolute(t, out=t),
        "add_": lambda t, b: t.__iadd__(b),
        "sub_": lambda t, b: t.__isub__(b),
        "mul_": lambda t, b: t.__imul__(b),
        "zero_": lambda t: zero_in_place(t),
    }


class MyGradEngine(Engine):
    name = "mygrad"
    capabilities = frozenset(
        {
            "tensor.core",
            "tensor.arrays",
            "tensor.float64",
            "tensor.numpy",
            "tensor.ops",
            "tensor.matmul",
            "tensor.inplace",
            "autograd.inplace_on_intermediate",
            "tensor.overflow_to_inf",
            "autograd.backward",
            "autograd.backward_gradient",
            "autograd.no_grad",
            "nn.activations",
            "loss.cross_entropy",
            "random.manual_seed",
            "random.randn",
            "properties.gradients",
            "properties.exactness",
            "properties.graphs",
        }
    )

    @property
    def version(self) -> str:
        return mg.__version__

    def tensor(self, data, *, dtype="float32", requires_grad=False):
        return wrap(mg.tensor(data, dtype=dtype, constant=not requires_grad))

    def to_numpy(self, tensor):
        return np.array(unwrap(tensor))

    def zeros(self, *shape, dtype="float32", requires_grad=False):
        return wrap(mg.zeros(shape, dtype=dtype, constant=not requires_grad))

    def ones(self, *shape, dtype="float32", requires_grad=False):
        return wrap(mg.ones(shape, dtype=dtype, constant=not requires_grad))

    def from_numpy(self, array):
        return wrap(mg.tensor(array, constant=True))

    def manual_seed(self, seed):
        mg.random.seed(seed)

    def randn(self, *shape, requires_grad=False):
        return wrap(mg.random.randn(*shape, constant=not requires_grad))

    def no_grad(self):
        return mg.no_autodiff

    relu = through(relu)
    tanh = through(mg.tanh)
    sigmoid = through(sigmoid)
    cross_entropy = through(losses.softmax_crossentropy)
