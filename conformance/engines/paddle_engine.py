"""The adapter for PaddlePaddle 3.3.1 (``pip install -e '.[engines]'``, the CPU wheel).

Loaded only when ``--engine=paddle`` asks for it. Paddle's eager mode is close to PyTorch's
(``backward``, ``.grad``, ``is_leaf``, ``retain_grads``, ``no_grad``, optimisers over a parameter
list) and its 3.x releases also answer to several PyTorch names (``requires_grad``, ``clamp``,
``reshape(*shape)``), so the table below is short. What Paddle does differently is left as it is
(evidence in docs/engines/paddle.md):

* ``nn.Linear`` stores its weight as (in, out), where PyTorch stores (out, in);
* ``backward()`` on a non-scalar output seeds it with ones instead of refusing;
* ``zero_grad()`` sets gradients to zero tensors (allowed: "None or 0");
* ``random_split`` draws from Paddle's global generator (seeded here with ``paddle.seed``),
  since Paddle's ``generator`` argument is not a seeded PyTorch ``Generator``.
"""

from __future__ import annotations

import os

os.environ.setdefault("GLOG_minloglevel", "2")  # Paddle's C++ log lines would fill the report

import numpy as np  # noqa: E402
import paddle  # noqa: E402
import paddle.nn.functional as F  # noqa: E402

from conformance.adapter import Proxy, through, unwrap, wrap  # noqa: E402
from conformance.capabilities import pytorch_like  # noqa: E402
from conformance.engine import Engine  # noqa: E402


class PaddleTensor(Proxy):
    wraps = paddle.Tensor
    renames = {"retain_grads": "retain_grad"}
    arguments = {"backward": {"gradient": "grad_tensor"}}


class PaddleLayer(Proxy):
    wraps = paddle.nn.Layer


class PaddleOptimizer(Proxy):
    wraps = paddle.optimizer.Optimizer


class PaddleDataset(Proxy):
    wraps = (paddle.io.Dataset, paddle.io.DataLoader)


class PaddleEngine(Engine):
    name = "paddle"
    # Everything PyTorch declares but what Paddle does otherwise (docs/engines/paddle.md):
    capabilities = pytorch_like() - {
        "autograd.accumulate_retained",  # a retained non-leaf's .grad holds the last pass only
        "autograd.grad_fn_names",  # Paddle's node names are its own (ScaleGradNode, ...)
        "autograd.nonleaf_grad_warning",  # reading a non-leaf's .grad warns of nothing
        "autograd.scalar_backward",  # backward() of a non-scalar seeds it with ones
        "nn.linear_init",  # Xavier-uniform weights and zero biases, not PyTorch's init
    }

    def __init__(self):
        super().__init__()
        paddle.set_device("cpu")

    @property
    def version(self) -> str:
        return paddle.__version__

    # tensors
    def tensor(self, data, *, dtype="float32", requires_grad=False):
        return wrap(paddle.to_tensor(data, dtype=dtype, stop_gradient=not requires_grad))

    def to_numpy(self, tensor):
        return np.array(unwrap(tensor).numpy())

    def zeros(self, *shape, dtype="float32", requires_grad=False):
        return self.tensor(np.zeros(shape), dtype=dtype, requires_grad=requires_grad)

    def ones(self, *shape, dtype="float32", requires_grad=False):
        return self.tensor(np.ones(shape), dtype=dtype, requires_grad=requires_grad)

    def from_numpy(self, array):
        return wrap(paddle.to_tensor(array))

    # randomness
    def manual_seed(self, seed):
        paddle.seed(seed)

    def randn(self, *shape, requires_grad=False):
        return wrap(paddle.randn(list(shape)).requires_grad_(requires_grad))

    def randint(self, low, high, n):
        return wrap(paddle.randint(low, high, [n]))

    # autograd
    def no_grad(self):
        return paddle.no_grad()

    def jacobian(self, func, inputs):
        # Row i is the gradient of output i, from one backward pass each. Not
        # paddle.autograd.jacobian: it differentiates twice, and Paddle's softmax has no second
        # derivative, which is no part of what a Jacobian spec is about.
        values, rows, count = unwrap(inputs).numpy(), list[np.ndarray](), 1
        while len(rows) < count:
            x = paddle.to_tensor(values, stop_gradient=False)
            y = unwrap(func(wrap(x)))
            count = y.shape[0]
            y[len(rows)].backward()
            grad = x.grad  # None: output i does not depend on x, a row of zeros
            rows.append(np.zeros_like(values) if grad is None else grad.numpy().copy())
        return np.stack(rows)

    # functions and layers
    relu = through(F.relu)
    tanh = through(paddle.tanh)
    sigmoid = through(F.sigmoid)

    def softmax(self, x, dim=-1):
        return wrap(F.softmax(unwrap(x), axis=dim))

    def linear(self, in_features, out_features, *, bias=True):
        return wrap(paddle.nn.Linear(in_features, out_features, bias_attr=None if bias else False))

    def relu_layer(self):
        return wrap(paddle.nn.ReLU())

    def sequential(self, *layers):
        return wrap(paddle.nn.Sequential(*unwrap(layers)))

    def dropout(self, p):
        return wrap(paddle.nn.Dropout(p))

    # losses
    mse_loss = through(F.mse_loss)
    cross_entropy = through(F.cross_entropy)
    bce_loss = through(F.binary_cross_entropy)
    bce_with_logits = through(F.binary_cross_entropy_with_logits)

    # optimisers: Paddle's weight_decay as a float is L2Decay, coefficient * w in the gradient
    def sgd(self, params, *, lr, momentum=0.0, weight_decay=0.0):
        params, decay = unwrap(params), weight_decay or None
        if momentum:
            return wrap(
                paddle.optimizer.Momentum(
                    learning_rate=lr, momentum=momentum, parameters=params, weight_decay=decay
                )
            )
        return wrap(paddle.optimizer.SGD(learning_rate=lr, parameters=params, weight_decay=decay))

    def adam(self, params, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        return wrap(
            paddle.optimizer.Adam(
                learning_rate=lr,
                beta1=betas[0],
                beta2=betas[1],
                epsilon=eps,
                parameters=unwrap(params),
                weight_decay=weight_decay or None,
            )
        )

    # data
    def tensor_dataset(self, *tensors):
        return wrap(paddle.io.TensorDataset(list(unwrap(tensors))))

    def random_split(self, dataset, lengths, *, seed):
        paddle.seed(seed)
        return wrap(paddle.io.random_split(unwrap(dataset), list(lengths)))

    def subset_indices(self, subset):
        return [int(i) for i in unwrap(subset).indices]

    def data_loader(self, dataset, *, batch_size, shuffle=False, drop_last=False):
        return wrap(
            paddle.io.DataLoader(
                unwrap(dataset), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last
            )
        )

    def subset(self, dataset, indices):
        return wrap(paddle.io.Subset(unwrap(dataset), list(indices)))
