"""The PyTorch adapter: PyTorch is the model the contract is named after, so this is thin."""

from __future__ import annotations

import torch

from conformance.capabilities import pytorch_like
from conformance.engine import Engine

# None: PyTorch's own default (float32 for Python floats, int64 for ints)
DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64, None: None}


class TorchEngine(Engine):
    name = "torch"
    capabilities = pytorch_like()

    @property
    def version(self) -> str:
        return torch.__version__

    @property
    def devices(self) -> tuple[str, ...]:
        return ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",)

    def device_unavailable_reason(self, device: str) -> str:
        if device.startswith("cuda"):
            return f"torch.cuda.is_available() is False (torch {torch.__version__})"
        return super().device_unavailable_reason(device)

    # tensors
    def tensor(self, data, *, dtype="float32", requires_grad=False):
        return torch.tensor(
            data, dtype=DTYPES[dtype], device=self.device, requires_grad=requires_grad
        )

    def to_numpy(self, tensor):
        return tensor.detach().cpu().numpy()

    def zeros(self, *shape, dtype="float32", requires_grad=False):
        return torch.zeros(
            *shape, dtype=DTYPES[dtype], device=self.device, requires_grad=requires_grad
        )

    def ones(self, *shape, dtype="float32", requires_grad=False):
        return torch.ones(
            *shape, dtype=DTYPES[dtype], device=self.device, requires_grad=requires_grad
        )

    def from_numpy(self, array):
        return torch.from_numpy(array).to(self.device)

    # randomness
    def manual_seed(self, seed):
        torch.manual_seed(seed)

    def randn(self, *shape, requires_grad=False):
        return torch.randn(*shape, device=self.device, requires_grad=requires_grad)

    def randint(self, low, high, n):
        return torch.randint(low, high, (n,), device=self.device)

    # autograd
    def no_grad(self):
        return torch.no_grad()

    def grad_fn_name(self, node):
        return node.name().rsplit("::", 1)[-1]  # "torch::autograd::AccumulateGrad"

    def jacobian(self, func, inputs):
        return torch.autograd.functional.jacobian(func, inputs)

    # functions and layers
    relu = staticmethod(torch.relu)
    tanh = staticmethod(torch.tanh)
    sigmoid = staticmethod(torch.sigmoid)

    def softmax(self, x, dim=-1):
        return torch.softmax(x, dim)

    def linear(self, in_features, out_features, *, bias=True):
        return torch.nn.Linear(in_features, out_features, bias=bias, device=self.device)

    def relu_layer(self):
        return torch.nn.ReLU()

    def sequential(self, *layers):
        return torch.nn.Sequential(*layers)

    def dropout(self, p):
        return torch.nn.Dropout(p)

    # losses
    mse_loss = staticmethod(torch.nn.functional.mse_loss)
    cross_entropy = staticmethod(torch.nn.functional.cross_entropy)
    bce_loss = staticmethod(torch.nn.functional.binary_cross_entropy)
    bce_with_logits = staticmethod(torch.nn.functional.binary_cross_entropy_with_logits)

    # optimisers
    def sgd(self, params, *, lr, momentum=0.0, weight_decay=0.0):
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)

    def adam(self, params, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    # data
    def tensor_dataset(self, *tensors):
        return torch.utils.data.TensorDataset(*tensors)

    def random_split(self, dataset, lengths, *, seed):
        generator = torch.Generator().manual_seed(seed)
        return torch.utils.data.random_split(dataset, lengths, generator=generator)

    def subset_indices(self, subset):
        return list(subset.indices)

    def data_loader(self, dataset, *, batch_size, shuffle=False, drop_last=False):
        return torch.utils.data.DataLoader(
            dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last
        )

    def subset(self, dataset, indices):
        return torch.utils.data.Subset(dataset, list(indices))
