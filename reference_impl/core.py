"""The autograd core: tensors, graph nodes and the backward pass.

Documented behaviours implemented here:

* a tensor created with ``requires_grad=True`` is a *leaf*; results of operations on it require
  grad too and remember how they were made in ``grad_fn``;
* ``backward()`` starts from a scalar (or takes an explicit output gradient), walks the graph in
  reverse and applies the chain rule; gradients land in ``.grad`` of leaves only, unless a
  non-leaf asked for it with ``retain_grad()``;
* gradients accumulate (``+=``) across backward calls until zeroed;
* the graph's saved values are freed after backward unless ``retain_graph=True``; a second pass
  through a node that needed them raises;
* nothing is recorded under ``no_grad()``;
* in-place methods (trailing underscore) bump a version counter, refuse to modify a leaf that
  requires grad, and a backward that needs a value modified since it was saved raises.
"""

from __future__ import annotations

import contextlib

from reference_impl import backend

_grad_enabled = True


@contextlib.contextmanager
def no_grad():
    """Operations inside the block are not recorded in any graph."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    return _grad_enabled


class Node:
    """A ``grad_fn``: the recipe that turns the gradient of an op's output into gradients of its
    inputs. ``next_functions`` are the nodes of the inputs, as in PyTorch."""

    __slots__ = ("_name", "backward", "next_functions", "shapes", "saved", "versions", "retained")

    def __init__(self, name, backward, inputs, saved=()):
        self._name = name
        self.backward = backward
        self.next_functions = tuple((t._node(), 0) for t in inputs)
        self.shapes = tuple(t.data.shape for t in inputs)
        self.saved = saved
        self.versions = tuple(t._version for t in saved)
        self.retained = None  # the tensor that asked for retain_grad()

    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"<{self._name}>"

    def apply(self, grad):
        if self.backward is None:
            raise RuntimeError(
                f"{self._name}: trying to backward through the graph a second time; its saved "
                "values were freed by the first backward. Pass retain_graph=True to the first "
                "backward() call if you need to run backward twice."
            )
        for tensor, version in zip(self.saved, self.versions, strict=True):
            if tensor._version != version:
                raise RuntimeError(
                    f"{self._name}: a tensor needed for the gradient was modified by an in-place "
                    f"operation (version {tensor._version}, saved at version {version})"
                )
        return self.backward(grad)

    def free(self):
        if self.saved:  # nodes that saved nothing can run again, as in PyTorch
            self.backward = None
            self.saved = ()


class AccumulateGrad:
    """The node of a leaf that requires grad: adds incoming gradients to ``leaf.grad``."""

    __slots__ = ("variable",)
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


def unbroadcast(grad, shape):
    """Sum ``grad`` back to ``shape``: undo NumPy broadcasting for the gradient of an input."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad


class Tensor:
    """An n-dimensional array that can record the operations applied to it."""

    __slots__ = ("data", "requires_grad", "grad", "grad_fn", "_accumulator", "_version")
    __array_priority__ = 1000  # NumPy scalars on the left defer to our operators

    def __init__(self, data, requires_grad=False, grad_fn=None):
        # NumPy turns 0-d results into scalars; a tensor always holds an array (writable).
        self.data = data if isinstance(data, backend.ARRAY_TYPES) else backend.numpy.asarray(data)
        self.requires_grad = requires_grad
        self.grad = None
        self.grad_fn = grad_fn
        self._accumulator = None
        self._version = 0

    # -- graph bookkeeping --------------------------------------------------------------------
    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def _node(self):
        """The node a consumer of this tensor links to (None for constants)."""
        if self.grad_fn is not None:
            return self.grad_fn
        if not self.requires_grad:
            return None
        if self._accumulator is None:
            self._accumulator = AccumulateGrad(self)
        return self._accumulator

    def requires_grad_(self, requires_grad=True):
        if not self.is_leaf:
            raise RuntimeError("requires_grad_() can only change leaf tensors")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in ``.grad`` during backward."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on a tensor that does not require grad")
        if self.grad_fn is not None:
            self.grad_fn.retained = self

    def detach(self):
        return Tensor(self.data)

    # -- backward -----------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=False):
        """Reverse-mode differentiation of this tensor with respect to every leaf it uses."""
        if not self.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and has no grad_fn")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; this tensor has "
                    f"shape {tuple(self.data.shape)}: pass backward(gradient=...) explicitly"
                )
            seed = backend.namespace(self.data).ones_like(self.data)
        else:
            seed = gradient.data if isinstance(gradient, Tensor) else gradient
            seed = backend.namespace(self.data).asarray(seed, dtype=self.data.dtype)
            if seed.shape != self.data.shape:
                raise RuntimeError(f"gradient shape {seed.shape} != output shape {self.shape}")
        run_backward(self._node(), seed, retain_graph)

    # -- conversions and information ---------------------------------------------------------
    @property
    def shape(self):
        return tuple(self.data.shape)

    @property
    def dtype(self) -> str:
        return str(self.data.dtype)

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def device(self) -> str:
        return backend.device_of(self.data)

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        return int(self.data.size)

    def __len__(self) -> int:
        return len(self.data)

    def item(self):
        return self.data.item()

    def numpy(self):
        if self.requires_grad:
            raise RuntimeError("can't call numpy() on a tensor that requires grad: use detach()")
        return backend.to_host(self.data)

    def tolist(self):
        return backend.to_host(self.data).tolist()

    def __repr__(self) -> str:
        extra = f", grad_fn=<{self.grad_fn.name()}>" if self.grad_fn else ""
        extra += ", requires_grad=True" if self.requires_grad and self.is_leaf else ""
        return f"tensor({backend.to_host(self.data)!r}{extra})"

    # -- in-place updates ---------------------------------------------------------------------
    def _adopt(self, result):
        """Make ``result`` (an op applied to this tensor) this tensor's new value and history:
        the shared step of every in-place method, whose names end in ``_``."""
        if self.requires_grad and self.is_leaf and _grad_enabled:
            raise RuntimeError(
                "a leaf tensor that requires grad is being used in an in-place operation; "
                "wrap the update in no_grad()"
            )
        self.data[...] = result.data
        self._version += 1
        if result.grad_fn is not None:
            self.grad_fn, self.requires_grad = result.grad_fn, True
        return self


def run_backward(root, seed, retain_graph=False):
    """Propagate ``seed`` from node ``root`` to the leaves, in reverse topological order."""
    if root is None:
        return
    order, seen, stack = [], {id(root)}, [(root, False)]
    while stack:  # iterative depth-first search: deep graphs don't hit the recursion limit
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        stack.append((node, True))
        for child, _ in node.next_functions:
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                stack.append((child, False))
    grads = {id(root): seed}
    for node in reversed(order):
        grad = grads.pop(id(node), None)
        if grad is None:
            continue
        if isinstance(node, AccumulateGrad):
            accumulate(node.variable, grad)
            continue
        if node.retained is not None:
            accumulate(node.retained, grad)
        input_grads = node.apply(grad)
        for (child, _), shape, child_grad in zip(
            node.next_functions, node.shapes, input_grads, strict=True
        ):
            if child is None or child_grad is None:
                continue
            child_grad = unbroadcast(child_grad, shape)
            key = id(child)
            grads[key] = child_grad if key not in grads else grads[key] + child_grad
        if not retain_graph:
            node.free()


def accumulate(tensor, grad):
    """Gradients add up across backward calls (in place, as PyTorch does) until zeroed."""
    if tensor.grad is None:
        tensor.grad = Tensor(grad.copy())
    else:
        tensor.grad.data += grad


def as_tensor(value, like):
    """A Python number or tensor as a tensor; numbers take the other operand's dtype."""
    if isinstance(value, Tensor):
        return value
    return Tensor(backend.namespace(like.data).asarray(value, dtype=like.data.dtype))


def tensor(data, dtype=None, requires_grad=False, device="cpu"):
    """A new leaf tensor; floats default to float32 and integers to int64."""
    xp = backend.for_device(device)
    array = backend.to_host(data.data if isinstance(data, Tensor) else data)
    if dtype is None:
        dtype = "int64" if array.dtype.kind in "iub" else "float32"
    return Tensor(xp.asarray(array, dtype=backend.DTYPES[dtype]), requires_grad=requires_grad)
