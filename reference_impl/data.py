"""Datasets: TensorDataset, random_split into disjoint Subsets, and a batching DataLoader."""

from __future__ import annotations

from reference_impl import backend, random
from reference_impl.core import Tensor


class TensorDataset:
    """Item i is the tuple of ``tensor[i]`` for each tensor."""

    def __init__(self, *tensors):
        if len({len(t) for t in tensors}) != 1:
            raise ValueError("all tensors of a TensorDataset need the same first dimension")
        self.tensors = tensors

    def __len__(self):
        return len(self.tensors[0])

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)


class Subset:
    """The items of ``dataset`` at ``indices``."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, list(indices)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]


def random_split(dataset, lengths, seed=None):
    """Disjoint subsets with the given lengths, covering a random permutation of the items."""
    if sum(lengths) != len(dataset):
        raise ValueError(f"lengths {list(lengths)} do not add up to the dataset's {len(dataset)}")
    order = random.generator(seed).permutation(len(dataset)).tolist()
    parts, start = [], 0
    for length in lengths:
        parts.append(Subset(dataset, order[start : start + length]))
        start += length
    return parts


class DataLoader:
    """Batches of ``batch_size`` items (the last one smaller unless ``drop_last``), in order or
    reshuffled at every pass."""

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None):
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last, self.seed = shuffle, drop_last, seed

    def __len__(self):
        full, rest = divmod(len(self.dataset), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self):
        n = len(self.dataset)
        order = random.generator(self.seed).permutation(n) if self.shuffle else range(n)
        order = list(order)
        for start in range(0, n, self.batch_size):
            chunk = order[start : start + self.batch_size]
            if len(chunk) < self.batch_size and self.drop_last:
                return
            items = [self.dataset[i] for i in chunk]
            yield tuple(_stack([item[k] for item in items]) for k in range(len(items[0])))


def _stack(tensors):
    xp = backend.namespace(tensors[0].data)
    return Tensor(xp.stack([t.data for t in tensors]))
