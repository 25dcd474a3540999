"""Datasets: TensorDataset, random_split into disjoint Subsets, and a batching DataLoader."""

from __future__ import annotations

import math

from . import backend, random
from .core import Tensor


class Dataset:
    """What a DataLoader reads: ``len(dataset)`` and ``dataset[i]``."""

    def __len__(self):
        raise NotImplementedError

    def __getitem__(self, index):
        raise NotImplementedError


class TensorDataset(Dataset):
    """Item i is the tuple of ``tensor[i]`` for each tensor."""

    def __init__(self, *tensors):
        if len({len(t) for t in tensors}) != 1:
            raise ValueError("all tensors of a TensorDataset need the same first dimension")
        self.tensors = tensors

    def __len__(self):
        return len(self.tensors[0])

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)


class Subset(Dataset):
    """The items of ``dataset`` at ``indices``."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, list(indices)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]


def _sizes(lengths, n):
    """Lengths as counts; fractions summing to 1 are turned into counts as PyTorch does (floor,
    then one more item to the first parts, round-robin, until all n are used)."""
    if lengths and all(isinstance(x, float) for x in lengths) and math.isclose(sum(lengths), 1):
        sizes = [math.floor(n * fraction) for fraction in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        return sizes
    return list(lengths)


def random_split(dataset, lengths, seed=None, generator=None):
    """Disjoint subsets with the given lengths, covering a random permutation of the items drawn
    from ``generator``, a generator seeded with ``seed``, or the global one."""
    lengths = _sizes(lengths, len(dataset))
    if sum(lengths) != len(dataset):
        raise ValueError(f"lengths {list(lengths)} do not add up to the dataset's {len(dataset)}")
    order = (generator or random.generator(seed)).permutation(len(dataset)).tolist()
    parts, start = [], 0
    for length in lengths:
        parts.append(Subset(dataset, order[start : start + length]))
        start += length
    return parts


class DataLoader:
    """Batches of ``batch_size`` items (the last one smaller unless ``drop_last``), in order or
    reshuffled at every pass; items' tensors are stacked along a new first dimension."""

    def __init__(
        self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None, generator=None
    ):
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last, self.seed = shuffle, drop_last, seed
        self.generator = generator

    def __len__(self):
        full, rest = divmod(len(self.dataset), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            order = (self.generator or random.generator(self.seed)).permutation(n).tolist()
        else:
            order = range(n)
        for start in range(0, n, self.batch_size):
            chunk = order[start : start + self.batch_size]
            if len(chunk) < self.batch_size and self.drop_last:
                return
            yield collate([self.dataset[i] for i in chunk])


def collate(items):
    """A batch from a list of items: tensors (or numbers) stacked, tuples collated per field."""
    first = items[0]
    if isinstance(first, tuple | list):
        return tuple(collate([item[k] for item in items]) for k in range(len(first)))
    if isinstance(first, Tensor):
        return Tensor(backend.namespace(first.data).stack([t.data for t in items]))
    return Tensor(backend.numpy.asarray(items))
