"""Shape changes and indexing: mostly ops whose result is a *view* of the input.

A view shares memory and the version counter with the tensor it looks into, so an in-place
change through either is seen by both and by the version checks; after an in-place change
through a view, the base's history becomes ``CopySlices`` (see ``inplace``). Node names follow
PyTorch, including how it splits ``x[0, 1:]`` into SelectBackward0 then SliceBackward0.
"""

from __future__ import annotations

from . import backend
from .core import Tensor, gradient_of_part
from .function import operand, record
from .inplace import as_view_of, inplace


def _view(name, a, view_fn, backward):
    """``view_fn(a.data)`` as a view of ``a``, recorded as ``name``."""
    return as_view_of(record(name, view_fn(a.data), (a,), backward), a, view_fn)


def _part(a, view_fn):
    """The gradient of a view that keeps part of ``a``: g inside that part, zero elsewhere."""
    return gradient_of_part(view_fn, a.data.shape, backend.namespace(a.data))


def _shape(shape):
    """``reshape(2, 3)`` and ``reshape((2, 3))`` alike."""
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape


# -- shape changes ---------------------------------------------------------------------------
def view(a, *shape):
    """The same memory in another shape (ViewBackward0); refused for non-contiguous memory."""
    shape, old = _shape(shape), a.data.shape
    if not a.data.flags.c_contiguous:
        raise RuntimeError("view(): the tensor is not contiguous; use reshape() instead")
    return _view(
        "ViewBackward0", a, lambda array: array.reshape(shape), lambda g: (g.reshape(old),)
    )


def reshape(a, *shape):
    """A view when the memory is contiguous; otherwise PyTorch copies first (CloneBackward0,
    then UnsafeViewBackward0)."""
    shape, old = _shape(shape), a.data.shape
    if a.data.flags.c_contiguous:
        return view(a, *shape)
    copied = clone(a)
    return record(
        "UnsafeViewBackward0", copied.data.reshape(shape), (copied,), lambda g: (g.reshape(old),)
    )


def flatten(a, start_dim=0, end_dim=-1):
    if a.ndim == 1:
        return a
    if a.ndim == 0:
        return reshape(a, 1)
    start, end = start_dim % a.ndim, end_dim % a.ndim
    return reshape(a, *a.shape[:start], -1, *a.shape[end + 1 :])


def t(a):
    """The transpose of a matrix (TBackward0); vectors and scalars are returned as they are."""
    if a.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with at most 2 dimensions, got {a.ndim}")
    return _view("TBackward0", a, lambda array: array.T, lambda g: (g.T,))


def transpose(a, dim0, dim1):
    def swap(array):
        return backend.namespace(array).swapaxes(array, dim0, dim1)

    return _view("TransposeBackward0", a, swap, lambda g: (swap(g),))


def permute(a, *dims):
    dims = _shape(dims)
    inverse = tuple(sorted(range(len(dims)), key=lambda i: dims[i]))
    return _view(
        "PermuteBackward0",
        a,
        lambda array: array.transpose(dims),
        lambda g: (g.transpose(inverse),),
    )


def reversed_dims(a):
    """``x.T``: all dimensions reversed, PermuteBackward0 as in PyTorch."""
    return permute(a, *reversed(range(a.ndim)))


def unsqueeze(a, dim):
    dim = dim % (a.ndim + 1)

    def insert(array):
        return backend.namespace(array).expand_dims(array, dim)

    return _view("UnsqueezeBackward0", a, insert, lambda g: (g.squeeze(dim),))


def squeeze(a, dim=None, name=None):
    """Drop size-1 dimensions (all, or ``dim`` if it has size 1): SqueezeBackward0 without
    ``dim``, SqueezeBackward1 with it."""
    old = a.data.shape
    if dim is None:
        keep = tuple(n for n in old if n != 1)
    else:
        dim = dim % max(a.ndim, 1)
        keep = old[:dim] + old[dim + 1 :] if a.ndim and old[dim] == 1 else old
    name = name or ("SqueezeBackward0" if dim is None else "SqueezeBackward1")
    return _view(name, a, lambda array: array.reshape(keep), lambda g: (g.reshape(old),))


def expand(a, *sizes):
    """Broadcast to ``sizes`` (-1 keeps a size) without copying: ExpandBackward0, whose
    gradient sums over the broadcast dimensions."""
    sizes = _shape(sizes)
    lead = len(sizes) - a.ndim
    shape = tuple(a.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
    xp = backend.namespace(a.data)
    return record("ExpandBackward0", xp.broadcast_to(a.data, shape), (a,), lambda g: (g,))


def clone(a):
    return record("CloneBackward0", a.data.copy(), (a,), lambda g: (g,))


def contiguous(a):
    return a if a.data.flags.c_contiguous else clone(a)


def alias(a):
    return _view("AliasBackward0", a, lambda array: array[...], lambda g: (g,))


# -- indexing --------------------------------------------------------------------------------
def select(a, dim, index):
    """``a[..., index, ...]`` along ``dim``, removing that dimension: SelectBackward0."""
    if not -a.shape[dim] <= index < a.shape[dim]:
        raise IndexError(f"index {index} is out of bounds for dimension {dim} of size {a.shape}")
    key = (slice(None),) * dim + (index, Ellipsis)  # the Ellipsis keeps 0-d results arrays
    return _view("SelectBackward0", a, lambda array: array[key], _part(a, lambda f: f[key]))


def slice_along(a, dim, part):
    """``a[..., start:stop:step, ...]`` along ``dim`` (ATen's ``slice``): SliceBackward0."""
    key = (slice(None),) * dim + (part,)
    return _view("SliceBackward0", a, lambda array: array[key], _part(a, lambda f: f[key]))


def index(a, indices):
    """Advanced indexing (integer or boolean arrays; ATen's ``index``): a copy, IndexBackward0.
    Repeated indices each receive their share of the gradient."""
    xp, shape = backend.namespace(a.data), a.data.shape

    def backward(g, indices):
        full = xp.zeros(shape, dtype=g.dtype)
        backend.scatter_add(full, indices, g)
        return (full,)

    return record("IndexBackward0", a.data[indices], (a,), backward, (indices,))


def _as_index(part):
    """One element of an index: an int for integer scalars, an array for advanced parts."""
    if isinstance(part, Tensor):
        part = part.data
    if hasattr(part, "ndim") and part.ndim == 0 and part.dtype.kind in "iu":
        return int(part)
    if isinstance(part, list):
        return backend.numpy.asarray(part)
    return part


def _is_advanced(part):
    return hasattr(part, "ndim")


def _arrays(index):
    """Boolean masks as the integer arrays of their True positions (what scatter_add needs)."""
    bool_dtype, out = backend.dtype("bool"), ()
    for part in index:
        out += tuple(part.nonzero()) if getattr(part, "dtype", None) is bool_dtype else (part,)
    return out


def getitem(a, key):
    """``a[key]`` as PyTorch does it: ints, slices, None and ... one dimension at a time
    (a full slice inside a tuple is skipped), then any advanced part in one IndexBackward0."""
    if not isinstance(key, tuple):
        key = _as_index(key)
        if _is_advanced(key):  # one array of indices, as a minibatch is taken
            return index(a, _arrays((key,)))
        if isinstance(key, int):
            return select(a, 0, key)
        if isinstance(key, slice):
            return slice_along(a, 0, key)
        key = (key,)
    parts = [_as_index(p) for p in key]
    if Ellipsis in [p for p in parts if not _is_advanced(p)]:
        at = next(i for i, p in enumerate(parts) if p is Ellipsis)
        used = sum(p is not None and p is not Ellipsis for p in parts)
        parts[at : at + 1] = [slice(None)] * (a.ndim - used)
    out, dim, advanced = a, 0, []
    for part in parts:
        if part is None:
            out, dim = unsqueeze(out, dim), dim + 1
            advanced.append(slice(None))
        elif isinstance(part, int):
            out = select(out, dim, part)
        elif isinstance(part, slice):
            if part.indices(out.shape[dim]) != (0, out.shape[dim], 1):
                out = slice_along(out, dim, part)
            dim += 1
            advanced.append(slice(None))
        else:
            dim += 1
            advanced.append(part)
    if any(_is_advanced(p) for p in advanced):
        return index(out, _arrays(advanced))
    return alias(out) if out is a else out


def index_put(a, indices, value):
    """``a`` with ``a[indices] = value`` for an advanced index: IndexPutBackward0."""
    value = operand(value, a)
    out = a.data.copy()
    out[indices] = value.data if isinstance(value, Tensor) else value

    def backward(g, indices):
        kept = g.copy()
        kept[indices] = 0
        return kept, g[indices]

    return record("IndexPutBackward0", out, (a, value), backward, (indices,))


def setitem(a, key, value):
    """``a[key] = value``: an in-place copy into the view ``a[key]`` (CopySlices), or an
    in-place index_put for advanced indices."""
    parts = key if isinstance(key, tuple) else (key,)
    parts = tuple(_as_index(p) for p in parts)
    if any(_is_advanced(p) for p in parts):
        inplace(index_put)(a, _arrays(parts), value)
    else:
        getitem(a, key).copy_(value)
