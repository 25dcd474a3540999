"""Views and in-place writes: the bookkeeping that keeps gradients right when memory changes.

A view (``as_view_of``) shares its base's memory and version counter. An in-place method
(``inplace(op)``, PyTorch's trailing underscore) computes ``op`` from a snapshot of the old
value, writes the result into the tensor's memory, bumps the shared version and takes over the
op's node as the tensor's history (``adopt``). Written through a view, the base's history
becomes ``CopySlices`` and the view's is remade from it (``Tensor._remake_view_history`` in
``core``, which also remakes it lazily for other views of the same memory).
"""

from __future__ import annotations

from .core import Node, Tensor, is_grad_enabled, unbroadcast, versions_of


def as_view_of(view, source, view_fn):
    """Make ``view`` a view of ``source``: ``view_fn(source.data)`` is its data. Views share
    memory and the version counter; ``_base`` is the tensor owning the memory."""
    if source._base is None:
        view._base, view._view_fn = source, view_fn
    else:
        outer = source._view_fn
        view._base, view._view_fn = source._base, lambda array: view_fn(outer(array))
    view._counter, view._view_version = source._counter, source._counter[0]
    return view


def inplace(op):
    """The in-place form of ``op``. While recording, ``op`` reads a snapshot of the old value,
    so its gradient never sees the overwritten memory; ``adopt`` writes the result and takes
    over its history."""

    def method(self, *args, **kwargs):
        source = self
        if is_grad_enabled() and (
            self.requires_grad or any(isinstance(v, Tensor) and v.requires_grad for v in args)
        ):
            source = snapshot(self)
        return adopt(self, op(source, *args, **kwargs))

    method.__name__ = getattr(op, "__name__", "op") + "_"
    return method


def snapshot(tensor):
    """A copy of the current value with the same history: what an in-place op computes from,
    so that its gradient sees the value from before the change."""
    copy = Tensor(tensor.data.copy(), tensor.requires_grad, tensor.grad_fn)
    copy._accumulator = tensor._accumulator
    return copy


def adopt(tensor, result):
    """Make ``result`` (an op applied to the tensor's value) the tensor's new value and history,
    refusing, as PyTorch does, to change a leaf that requires grad or a view of one."""
    if is_grad_enabled():
        if tensor.requires_grad and tensor.grad_fn is None:
            raise RuntimeError(
                "a leaf tensor that requires grad is being used in an in-place operation; "
                "wrap the update in no_grad()"
            )
        base = tensor._base
        if base is not None and base.requires_grad and base.grad_fn is None:
            raise RuntimeError(
                "a view of a leaf tensor that requires grad is being used in an in-place "
                "operation; wrap the update in no_grad()"
            )
    tensor.data[...] = result.data
    tensor._counter[0] += 1
    node = result.grad_fn
    if node is not None:
        # the op's output is this tensor now: a later in-place change must be caught
        node.saved = tuple(tensor if t is result else t for t in node.saved)
        node.versions = versions_of(node.saved)
        if tensor._base is None:
            if tensor.grad_fn is not None and tensor.grad_fn.retained is tensor:
                node.retained = tensor
            tensor.grad_fn, tensor.requires_grad = node, True
        else:
            base = tensor._base
            base.grad_fn, base.requires_grad = copy_slices(base, tensor._view_fn, node), True
            tensor._remake_view_history()
    return tensor


def copy_slices(base, view_fn, node):
    """The node of ``base`` after the in-place op ``node`` changed the part ``view_fn(base)``:
    the gradient of the untouched part goes to the base's previous history, that of the
    changed part through ``node`` (whose first input was the view's old value)."""

    def backward(g, *saved):  # saved: the values ``node`` saved, checked as its own would be
        grad_base = g.copy()
        part = view_fn(grad_base)
        grads = node.backward(part.copy(), *saved)
        part[...] = 0 if grads[0] is None else unbroadcast(grads[0], part.shape)
        return (grad_base, *grads[1:])

    copy = Node("CopySlices", backward, ())
    copy.next_functions = ((base._node(), 0), *node.next_functions[1:])
    copy.input_metadata = ((base.data.shape, base.data.dtype), *node.input_metadata[1:])
    copy.saved, copy.versions = node.saved, node.versions
    return copy
