"""The autograd core: tensors, graph nodes and the backward pass.

Documented behaviours implemented here:

* a tensor created with ``requires_grad=True`` is a *leaf*; results of operations on it require
  grad too and remember how they were made in ``grad_fn``, a node whose ``next_functions`` lead
  to the nodes of the inputs (``AccumulateGrad`` for a leaf, None for a constant);
* ``backward()`` starts from a scalar (or takes an explicit output gradient), walks the graph in
  reverse and applies the chain rule; gradients land in ``.grad`` of leaves only, unless a
  non-leaf asked for it with ``retain_grad()``;
* gradients accumulate (``+=``) across backward calls until zeroed;
* the graph's saved values are freed after backward unless ``retain_graph=True``; a second pass
  through a node that needed them raises;
* nothing is recorded under ``no_grad()``;
* in-place methods (trailing underscore) bump a version counter shared with every view of the
  same memory, refuse to modify a leaf that requires grad (or a view of one), and a backward
  that needs a value modified since it was saved raises.

Read next: ``function`` (the kit every op is built with), ``inplace`` (views and in-place
writes), then the ops themselves.
"""

from __future__ import annotations

import functools
import types
import warnings

from . import backend

_grad_enabled = True


class no_grad:
    """Operations inside ``with no_grad():`` (or in a function decorated with it) are not
    recorded: their results do not require grad."""

    enabled = False

    def __enter__(self):
        global _grad_enabled
        self.previous, _grad_enabled = _grad_enabled, self.enabled

    def __exit__(self, *exc_info):
        global _grad_enabled
        _grad_enabled = self.previous

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with type(self)():
                return function(*args, **kwargs)

        return wrapper


class enable_grad(no_grad):
    """Turn recording back on inside a ``no_grad`` block."""

    enabled = True


def is_grad_enabled() -> bool:
    return _grad_enabled


class Node:
    """A ``grad_fn``: the recipe that turns the gradient of an op's output into gradients of its
    inputs. ``next_functions`` holds one ``(node, 0)`` pair per input, as in PyTorch: the
    input's own ``grad_fn``, its ``AccumulateGrad`` if it is a leaf, or None for a constant.

    What the gradient reads is declared once, in ``saved``, and passed to it as arguments:
    ``backward(g, *saved)`` receives a saved tensor's array (after checking its version), and
    any other saved value (a number, a private array, None) as it is. A gradient that reads an
    array or a tensor from its closure instead is refused when the node is made, since its
    reads would escape both the version check and the freeing of the graph."""

    __slots__ = (
        "_name",
        "backward",
        "next_functions",
        "input_metadata",
        "saved",
        "versions",
        "retained",
    )

    def __init__(self, name, backward, inputs, saved=()):
        self._name = name
        self.backward = backward  # gradient of the output -> tuple of gradients of the inputs
        edges, metadata = [], []  # per input: its node, and the shape and dtype of its gradient
        for t in inputs:
            if isinstance(t, Tensor):
                edges.append((t._node(), 0))
                metadata.append((t.data.shape, t.data.dtype))
            else:  # a Python number: no gradient flows to it
                edges.append((None, 0))
                metadata.append(None)
        self.next_functions, self.input_metadata = tuple(edges), tuple(metadata)
        if backward.__closure__ is not None:
            refuse_undeclared_reads(name, backward)
        self.saved = saved  # what the gradient reads, passed to it after the incoming gradient
        self.versions = versions_of(saved)
        self.retained = None  # the non-leaf tensor that asked for retain_grad()

    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"<{self._name}>"

    def apply(self, grad):
        """The gradients of the inputs, after checking that the saved values are still there
        (not freed by an earlier backward) and unchanged (not modified in place)."""
        if self.backward is None:
            raise RuntimeError(
                f"{self._name}: trying to backward through the graph a second time; its saved "
                "values were freed by the first backward. Pass retain_graph=True to the first "
                "backward() call if you need to run backward twice."
            )
        if not self.saved:
            return self.backward(grad)
        values = []
        for value, version in zip(self.saved, self.versions, strict=True):
            if version is None:  # a number, a private array or None: it cannot change
                values.append(value)
            elif value._counter[0] == version:
                values.append(value.data)
            else:
                raise RuntimeError(
                    f"{self._name}: one of the tensors needed for its gradient, of shape "
                    f"{value.shape}, was modified by an in-place operation: it is at version "
                    f"{value._counter[0]}, it was saved at version {version}"
                )
        return self.backward(grad, *values)

    def free(self):
        """Drop the saved values. Nodes that saved nothing can run again, as in PyTorch."""
        if self.saved:
            self.backward = None
            self.saved = ()


# What gradients commonly close over: numbers, names, flags, functions, modules, nodes.
_CANNOT_HOLD_ARRAYS = frozenset(
    {int, float, bool, str, type(None), types.FunctionType, types.ModuleType, Node}
)


def versions_of(saved):
    """The version of each saved tensor (None for any other saved value)."""
    return tuple([t._counter[0] if isinstance(t, Tensor) else None for t in saved])


def refuse_undeclared_reads(name, backward):
    """Raise if the gradient ``backward`` holds a tensor or an array in its closure: everything
    it reads must be declared in ``saved`` (numbers, shapes and functions may be closed over)."""
    for cell in backward.__closure__:
        value = cell.cell_contents
        parts = value if value.__class__ in (tuple, list) else (value,)
        for part in parts:
            if part.__class__ in _CANNOT_HOLD_ARRAYS:  # the common case, checked cheaply
                continue
            if isinstance(part, Tensor) or backend.is_array(part):
                kind = "a tensor" if isinstance(part, Tensor) else "an array"
                raise TypeError(
                    f"{name}: its gradient reads {kind} of shape {tuple(part.shape)} from its "
                    "closure; declare it in saved= and take it as an argument of the gradient, "
                    "so that it is version-checked and freed after backward"
                )


class AccumulateGrad:
    """The node of a leaf that requires grad: adds incoming gradients to ``leaf.grad``."""

    __slots__ = ("variable",)
    next_functions = ()
    retained = None

    def __init__(self, variable):
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


def unbroadcast(grad, shape):
    """Sum ``grad`` back to ``shape``: undo broadcasting for the gradient of an input. The one
    place where broadcasting is handled for every op."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad


_ndarray, _asarray = backend.numpy.ndarray, backend.numpy.asarray


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    ``_counter`` is the version counter, a one-element list shared by all tensors viewing the
    same memory; ``_base`` and ``_view_fn`` say which tensor a view looks into and how, and
    ``_view_version`` the version its history was made at: when the memory has changed since,
    the view's ``grad_fn`` is remade from the base's, so that it includes the change.
    """

    __slots__ = (
        "data",
        "requires_grad",
        "_grad",
        "_grad_fn",
        "_accumulator",
        "_counter",
        "_base",
        "_view_fn",
        "_view_version",
    )
    __array_ufunc__ = None  # NumPy operands defer to our reflected operators (2.0 * x)

    def __init__(self, data, requires_grad=False, grad_fn=None):
        # NumPy turns 0-d results into scalars; a tensor always holds an array
        self.data = data if data.__class__ is _ndarray or backend.is_array(data) else _asarray(data)
        self.requires_grad = requires_grad
        self._grad = None
        self._grad_fn = grad_fn
        self._accumulator = None
        self._counter = [0]
        self._base = None
        self._view_fn = None
        self._view_version = 0

    # -- graph bookkeeping --------------------------------------------------------------------
    @property
    def grad_fn(self):
        """The node that made this tensor (None for leaves and constants)."""
        if self._base is not None and self._view_version != self._counter[0]:
            self._remake_view_history()
        return self._grad_fn

    @grad_fn.setter
    def grad_fn(self, node):
        self._grad_fn = node

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def _node(self):
        """The node a consumer of this tensor links to (None for constants)."""
        if self._base is not None and self._view_version != self._counter[0]:
            self._remake_view_history()
        if self._grad_fn is not None:
            return self._grad_fn
        if not self.requires_grad:
            return None
        if self._accumulator is None:
            self._accumulator = AccumulateGrad(self)
        return self._accumulator

    def requires_grad_(self, requires_grad=True):
        """Turn tracking on (or off) for a leaf created without it; returns the tensor."""
        if self.grad_fn is not None:
            if requires_grad:
                return self
            raise RuntimeError(
                "requires_grad can only be switched off on leaf tensors; use detach() to get a "
                "tensor outside the graph"
            )
        if requires_grad and self.data.dtype.kind not in "fc":
            raise RuntimeError("only floating-point tensors can require gradients")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in ``.grad`` during backward (leaves always
        keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on a tensor that does not require grad")
        if self.grad_fn is not None:
            self.grad_fn.retained = self

    @property
    def grad(self):
        """The accumulated gradient: filled on leaves (and on non-leaves that called
        ``retain_grad()``) by backward; reading it on any other non-leaf warns, as PyTorch does,
        since it stays None."""
        if self.grad_fn is not None and self.grad_fn.retained is not self:
            warnings.warn(
                "the .grad of a non-leaf tensor is being read; backward does not fill it. Call "
                ".retain_grad() on the tensor before backward to keep its gradient, or read the "
                ".grad of the leaf tensor instead.",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value):
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and self.grad_fn.retained is self

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has seen."""
        return self._counter[0]

    @_version.setter
    def _version(self, value):
        self._counter[0] = value

    def detach(self):
        """A tensor outside the graph sharing this one's memory and version counter, so in-place
        changes through either are seen by both (and by the version checks)."""
        out = Tensor(self.data)
        out._counter = self._counter
        return out

    # -- backward -----------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=False):
        """Reverse-mode differentiation of this tensor with respect to every leaf it uses.
        Without ``gradient`` the tensor must hold a single element."""
        if not self.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and has no grad_fn")
        xp = backend.namespace(self.data)
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    "grad can be implicitly created only for scalar outputs; this tensor has "
                    f"shape {self.shape}: pass backward(gradient=...) with that shape"
                )
            seed = xp.ones_like(self.data)
        else:
            seed = gradient.data if isinstance(gradient, Tensor) else xp.asarray(gradient)
            if seed.shape != self.data.shape:
                raise RuntimeError(
                    f"mismatch in shape: the gradient has shape {tuple(seed.shape)} and the "
                    f"output has shape {self.shape}"
                )
            seed = seed.astype(self.data.dtype, copy=False)
        with backend.quiet():  # inf and nan gradients arrive as in PyTorch, unannounced
            run_backward(self._node(), seed, retain_graph)

    # -- what it holds (reading values back, and conversions: ``conversions``) -------------
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

    # -- views --------------------------------------------------------------------------------
    def _remake_view_history(self):
        """This view's history taken from its base's current one (AsStridedBackward0, as
        PyTorch names it): the gradient of the view lands in its part of the base. Views are
        made, and their memory changed in place, in ``inplace``."""
        base, view_fn = self._base, self._view_fn
        self._view_version = self._counter[0]
        if not base.requires_grad:
            return
        backward = gradient_of_part(view_fn, base.data.shape, backend.namespace(base.data))
        self._grad_fn, self.requires_grad = Node("AsStridedBackward0", backward, (base,)), True


def gradient_of_part(view_fn, shape, xp):
    """The gradient of the part ``view_fn(x)`` of an array ``x`` of ``shape``: the incoming
    gradient inside that part, zero elsewhere (select, slicing, and a view's remade history)."""

    def backward(g):
        full = xp.zeros(shape, dtype=g.dtype)
        view_fn(full)[...] = g
        return (full,)

    return backward


def run_backward(root, seed, retain_graph=False):
    """Propagate ``seed`` from node ``root`` to the leaves. A node runs once all the nodes that
    feed it a gradient have run (Kahn's algorithm: iterative, so deep graphs never reach
    Python's recursion limit)."""
    if root is None:
        return
    waiting, stack = {root: 0}, [root]  # node -> number of consumers that have not run yet
    while stack:
        for child, _ in stack.pop().next_functions:
            if child is None:
                continue
            if child in waiting:
                waiting[child] += 1
            else:
                waiting[child] = 1
                stack.append(child)
    grads, ready = {root: seed}, [root]
    while ready:
        node = ready.pop()
        grad = grads.pop(node, None)
        if node.__class__ is AccumulateGrad:
            if grad is not None:
                accumulate(node.variable, grad)
            continue
        if grad is None:  # nothing reached this node, so nothing flows on from it
            input_grads = (None,) * len(node.next_functions)
        else:
            if node.retained is not None:
                accumulate(node.retained, grad)
            input_grads = node.apply(grad)
            if not retain_graph:
                node.free()
        for (child, _), child_grad, metadata in zip(
            node.next_functions, input_grads, node.input_metadata, strict=True
        ):
            if child is None:
                continue
            if child_grad is not None:
                shape, dtype = metadata
                if child_grad.shape != shape:
                    child_grad = unbroadcast(child_grad, shape)
                if child_grad.dtype != dtype:
                    child_grad = child_grad.astype(dtype)
                grads[child] = grads[child] + child_grad if child in grads else child_grad
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)


def accumulate(tensor, grad):
    """Gradients add up across backward calls (in place, as PyTorch does) until zeroed."""
    if tensor._grad is None:
        tensor._grad = Tensor(grad.copy())  # a copy: the same array may reach several tensors
    else:
        tensor._grad.data += grad
