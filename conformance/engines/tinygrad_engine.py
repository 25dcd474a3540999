"""The adapter for tinygrad 0.14.0 on its CPU device (``pip install -e '.[engines]'``; the CPU
device compiles kernels with clang: ``apt-get install clang`` on Debian).

Loaded only when ``--engine=tinygrad`` asks for it. tinygrad's Tensor mostly follows PyTorch's
names, so the table is short. What tinygrad does differently is left as it is (evidence in
docs/engines/tinygrad.md):

* there is no ``requires_grad``, ``requires_grad_()`` or ``is_leaf``: ``backward()`` fills
  ``.grad`` of every floating-point tensor in the graph, non-leaves included;
* ``backward()`` has no ``retain_graph`` and never frees a graph;
* there is no ``no_grad`` context and no in-place methods with a trailing underscore: in-place
  changes go through ``assign`` (what tinygrad's own ``x += y`` does), mapped below;
* ``Tensor(3.0)`` of a Python number is a device-less constant that never receives a gradient,
  so numbers become tensors through ``Tensor.full((), x)``, tinygrad's filled tensor of a shape;
* optimisers step only inside ``Context(TRAINING=1)`` (tinygrad's own instruction), and its
  Adam has no ``weight_decay`` (AdamW decouples it, which is another algorithm).
"""

from __future__ import annotations

import tinygrad
from tinygrad import Context, Tensor, dtypes
from tinygrad.nn import optim

from conformance.adapter import Proxy, through, unwrap, wrap
from conformance.engine import Engine

DTYPES = {"float32": dtypes.float32, "float64": dtypes.float64, "int64": dtypes.int64, None: None}
DEVICES = {"cpu": "CPU"}


class TinygradTensor(Proxy):
    wraps = Tensor
    translations = {
        "mm": Tensor.matmul,  # PyTorch's mm is the 2-D matmul
        "t": Tensor.transpose,  # default dims swap the two axes of a matrix
        "clamp": lambda t, min=None, max=None: t.clamp(min_=min, max_=max),
        # PyTorch's in-place methods as tinygrad's assign (what its own x += y does), which
        # writes the new value into the same tensor object.
        "abs_": lambda t: t.assign(t.abs()),
        "add_": lambda t, b: t.assign(t + b),
        "sub_": lambda t, b: t.assign(t - b),
        "mul_": lambda t, b: t.assign(t * b),
        "zero_": lambda t: t.assign(t.zeros_like()),
    }


def _step(optimizer) -> None:
    # tinygrad refuses to step outside training mode and says to use this context.
    with Context(TRAINING=1):
        optimizer.step()


class TinygradOptimizer(Proxy):
    wraps = optim.Optimizer
    translations = {"step": _step}


class TinygradEngine(Engine):
    name = "tinygrad"
    capabilities = frozenset(
        {
            "tensor.core",
            "tensor.arrays",
            "tensor.default_float32",
            "tensor.float64",
            "tensor.numpy",
            "tensor.ops",
            "tensor.matmul",
            "tensor.inplace",
            "tensor.overflow_to_inf",
            "autograd.backward",
            "autograd.backward_gradient",
            "autograd.accumulate",
            "autograd.scalar_backward",
            "autograd.detach",
            "nn.activations",
            "loss.cross_entropy",
            "loss.bce",
            "loss.bce_with_logits",
            "optim.sgd",
            "optim.momentum",
            "optim.weight_decay",
            "optim.adam",
            "optim.adam_equations",
            "random.manual_seed",
            "random.randn",
        }
    )

    @property
    def version(self) -> str:
        return tinygrad.__version__ if hasattr(tinygrad, "__version__") else _dist_version()

    def _new(self, data, dtype):
        device = DEVICES[self.device]
        if isinstance(data, int | float):
            return Tensor.full((), data, dtype=DTYPES[dtype], device=device)
        return Tensor(data, dtype=DTYPES[dtype], device=device)

    def tensor(self, data, *, dtype="float32", requires_grad=False):
        # requires_grad has no counterpart: backward() reaches every float tensor.
        return wrap(self._new(data, dtype))

    def to_numpy(self, tensor):
        return unwrap(tensor).numpy()

    def zeros(self, *shape, dtype="float32", requires_grad=False):
        return wrap(Tensor.zeros(*shape, dtype=DTYPES[dtype], device=DEVICES[self.device]))

    def ones(self, *shape, dtype="float32", requires_grad=False):
        return wrap(Tensor.ones(*shape, dtype=DTYPES[dtype], device=DEVICES[self.device]))

    def from_numpy(self, array):
        return wrap(Tensor(array, device=DEVICES[self.device]))

    def manual_seed(self, seed):
        Tensor.manual_seed(seed)

    def randn(self, *shape, requires_grad=False):
        return wrap(Tensor.randn(*shape, device=DEVICES[self.device]))

    relu = through(Tensor.relu)
    tanh = through(Tensor.tanh)
    sigmoid = through(Tensor.sigmoid)
    cross_entropy = through(Tensor.cross_entropy)
    bce_loss = through(Tensor.binary_crossentropy)
    bce_with_logits = through(Tensor.binary_crossentropy_logits)

    def sgd(self, params, *, lr, momentum=0.0, weight_decay=0.0):
        return wrap(optim.SGD(unwrap(params), lr=lr, momentum=momentum, weight_decay=weight_decay))

    def adam(self, params, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if weight_decay:
            raise NotImplementedError("tinygrad's Adam has no weight_decay (AdamW decouples it)")
        return wrap(optim.Adam(unwrap(params), lr=lr, b1=betas[0], b2=betas[1], eps=eps))


def _dist_version() -> str:
    from importlib.metadata import version

    return version("tinygrad")
