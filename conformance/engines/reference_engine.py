"""The adapter for ``reference_impl``, the suite's own NumPy engine (the default engine).

The engine follows PyTorch's names, so this adapter is as thin as the torch one.
"""

from __future__ import annotations

from conformance import reference_impl as ref
from conformance.capabilities import pytorch_like
from conformance.engine import Engine
from conformance.reference_impl import backend, functional, nn, optim
from conformance.reference_impl import data as ref_data


class ReferenceEngine(Engine):
    name = "reference"
    capabilities = pytorch_like()

    @property
    def version(self) -> str:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("autograd-conformance")
        except PackageNotFoundError:
            return "source"

    @property
    def devices(self) -> tuple[str, ...]:
        return ("cpu",) if backend.cuda_problem() else ("cpu", "cuda")

    def device_unavailable_reason(self, device: str) -> str:
        if device.startswith("cuda"):
            return backend.cuda_problem() or "CUDA is available"
        return super().device_unavailable_reason(device)

    # tensors
    def tensor(self, data, *, dtype="float32", requires_grad=False):
        return ref.tensor(data, dtype=dtype, requires_grad=requires_grad, device=self.device)

    def to_numpy(self, tensor):
        return backend.to_host(tensor.data).copy()

    def zeros(self, *shape, dtype="float32", requires_grad=False):
        return ref.zeros(*shape, dtype=dtype, requires_grad=requires_grad, device=self.device)

    def ones(self, *shape, dtype="float32", requires_grad=False):
        return ref.ones(*shape, dtype=dtype, requires_grad=requires_grad, device=self.device)

    def from_numpy(self, array):
        return ref.from_numpy(array, device=self.device)

    # randomness
    def manual_seed(self, seed):
        ref.manual_seed(seed)

    def randn(self, *shape, requires_grad=False):
        return ref.randn(*shape, requires_grad=requires_grad, device=self.device)

    def randint(self, low, high, n):
        return ref.randint(low, high, (n,), device=self.device)

    # autograd
    def no_grad(self):
        return ref.no_grad()

    def grad_fn_name(self, node):
        return node.name()

    def jacobian(self, func, inputs):
        return ref.autograd.jacobian(func, inputs)

    # functions and layers
    relu = staticmethod(functional.relu)
    tanh = staticmethod(functional.tanh)
    sigmoid = staticmethod(functional.sigmoid)

    def softmax(self, x, dim=-1):
        return functional.softmax(x, dim)

    def linear(self, in_features, out_features, *, bias=True):
        return nn.Linear(in_features, out_features, bias=bias, device=self.device)

    def relu_layer(self):
        return nn.ReLU()

    def sequential(self, *layers):
        return nn.Sequential(*layers)

    def dropout(self, p):
        return nn.Dropout(p)

    # losses
    mse_loss = staticmethod(functional.mse_loss)
    cross_entropy = staticmethod(functional.cross_entropy)
    bce_loss = staticmethod(functional.binary_cross_entropy)
    bce_with_logits = staticmethod(functional.binary_cross_entropy_with_logits)

    # optimisers
    def sgd(self, params, *, lr, momentum=0.0, weight_decay=0.0):
        return optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)

    def adam(self, params, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        return optim.Adam(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    # data
    def tensor_dataset(self, *tensors):
        return ref_data.TensorDataset(*tensors)

    def random_split(self, dataset, lengths, *, seed):
        return ref_data.random_split(dataset, lengths, seed=seed)

    def subset_indices(self, subset):
        return list(subset.indices)

    def data_loader(self, dataset, *, batch_size, shuffle=False, drop_last=False):
        return ref_data.DataLoader(
            dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last
        )

    def subset(self, dataset, indices):
        return ref_data.Subset(dataset, indices)
