"""Differentiable operations: each op's forward and its gradient side by side.

Every op is built with ``function.record``; its gradient takes the incoming gradient ``g`` and
then, as arguments, exactly the values the op saved: ``x`` for the input's values, ``y`` for
the output's (``keep_output=True``). Node names are PyTorch's, so graph-structure specs
read the same on both engines; so are the ops' names (``sum``, ``max``, ``min`` as
``torch.sum``, ``torch.max``, ``torch.min``). Shape and indexing ops are in ``views``; adding an
op means one function here and one line in ``methods.METHODS``.
"""

from __future__ import annotations

import collections
import math

from . import backend, views
from .core import Tensor
from .function import masked, operand, promote, record, xp_of, zeros


def needed(t, value):
    """``value`` when a gradient flows to ``t``, else None: a product saves each factor only
    for the other's gradient, as PyTorch does (a number counts as saved)."""
    return value if isinstance(t, Tensor) and t.requires_grad else None


def times(g, factor):
    """``g * factor``, or None where the factor was not saved (no gradient flows there)."""
    return None if factor is None else g * factor


# -- arithmetic ------------------------------------------------------------------------------
def add(a, b, alpha=1):
    """a + alpha * b."""
    b = operand(b, a)
    x, y = promote(a, b)
    if alpha != 1:
        return record("AddBackward0", x + alpha * y, (a, b), lambda g: (g, alpha * g))
    return record("AddBackward0", x + y, (a, b), lambda g: (g, g))


def sub(a, b, alpha=1):
    """a - alpha * b."""
    b = operand(b, a)
    x, y = promote(a, b)
    if alpha != 1:
        return record("SubBackward0", x - alpha * y, (a, b), lambda g: (g, -alpha * g))
    return record("SubBackward0", x - y, (a, b), lambda g: (g, -g))


def rsub(a, b):
    """b - a for a number b: PyTorch's RsubBackward1, whose only input is a."""
    b = operand(b, a)
    if isinstance(b, Tensor):
        return sub(b, a)
    x, y = promote(a, b)
    return record("RsubBackward1", y - x, (a,), lambda g: (-g,))


def mul(a, b):
    """a * b: the gradient of each factor is g times the other."""
    b = operand(b, a)
    x, y = promote(a, b)
    saved = (needed(a, b), needed(b, a))
    return record("MulBackward0", x * y, (a, b), lambda g, y, x: (times(g, y), times(g, x)), saved)


def div(a, b):
    """a / b, true division: integers give float32."""
    b = operand(b, a)
    x, y = promote(a, b, floating=True)
    with backend.quiet():
        out = x / y
    return record("DivBackward0", out, (a, b), _div_grad, (b, needed(b, a)))


def _div_grad(g, y, x):
    return g / y, None if x is None else -g * x / (y * y)


def rdiv(a, b):
    """b / a for a number b, built as PyTorch builds it: reciprocal(a) * b."""
    b = operand(b, a)
    return div(b, a) if isinstance(b, Tensor) else mul(reciprocal(a), b)


def neg(a):
    return record("NegBackward0", -a.data, (a,), lambda g: (-g,))


def power(a, exponent):
    """a ** n for a number n (PowBackward0) or a tensor n (PowBackward1)."""
    exponent = operand(exponent, a)
    x, n = promote(a, exponent)
    if isinstance(n, int) and n >= 0:  # x**2 and the like: no invalid values possible
        out = x**n
    else:
        with backend.quiet():
            out = x**n
    if not isinstance(exponent, Tensor):
        if n == 0:  # d(x**0)/dx = 0 everywhere, also at x = 0 where n * x**(n-1) is nan
            return record("PowBackward0", out, (a,), lambda g, x: (zeros(g),), (a,))
        return record("PowBackward0", out, (a,), lambda g, x: (g * n * x ** (n - 1),), (a,))
    return record("PowBackward1", out, (a, exponent), _pow_grad, (a, exponent), keep_output=True)


def _pow_grad(g, x, n, out):
    # the exponent's gradient out * log(x) is taken as 0 where x = 0 and n >= 0, as PyTorch
    xp = backend.namespace(x)
    log_x = xp.log(xp.where((x == 0) & (n >= 0), 1, x))
    return g * n * x ** (n - 1), g * out * log_x


def rpow(a, base):
    """base ** a for a number base: PowBackward2, with gradient base**a * log(base)."""
    base = operand(base, a)
    if isinstance(base, Tensor):
        return power(base, a)
    with backend.quiet():
        out = base ** promote(a, base)[0]
    # d(base**x)/dx = base**x * log(base); taken as 0 for base 0, as PyTorch does
    log_base = math.log(base) if base > 0 else (0.0 if base == 0 else math.nan)
    return record("PowBackward2", out, (a,), lambda g, y: (g * y * log_base,), keep_output=True)


# -- element-wise functions ------------------------------------------------------------------
def exp(a):
    with backend.quiet():
        out = xp_of(a).exp(a.data)
    return record("ExpBackward0", out, (a,), lambda g, y: (g * y,), keep_output=True)


def log(a):
    with backend.quiet():
        out = xp_of(a).log(a.data)
    return record("LogBackward0", out, (a,), lambda g, x: (g / x,), (a,))


def sqrt(a):
    with backend.quiet():
        out = xp_of(a).sqrt(a.data)
    return record("SqrtBackward0", out, (a,), lambda g, y: (g / (2 * y),), keep_output=True)


def reciprocal(a):
    with backend.quiet():
        out = 1 / promote(a, 1, floating=True)[0]
    return record("ReciprocalBackward0", out, (a,), lambda g, y: (-g * y * y,), keep_output=True)


def absolute(a):
    """|x|, whose gradient sign(x) is 0 at x = 0."""
    xp = xp_of(a)
    return record("AbsBackward0", abs(a.data), (a,), lambda g, x: (g * xp.sign(x),), (a,))


def sin(a):
    xp = xp_of(a)
    return record("SinBackward0", xp.sin(a.data), (a,), lambda g, x: (g * xp.cos(x),), (a,))


def cos(a):
    xp = xp_of(a)
    return record("CosBackward0", xp.cos(a.data), (a,), lambda g, x: (-g * xp.sin(x),), (a,))


def tanh(a):
    """tanh, whose derivative 1 - tanh**2 is 0.4200 at x = 1."""
    out = xp_of(a).tanh(a.data)
    return record("TanhBackward0", out, (a,), lambda g, y: (g * (1 - y * y),), keep_output=True)


def stable_sigmoid(xp, z):
    """1 / (1 + exp(-z)) without overflow: exp(-|z|) never exceeds 1."""
    e = xp.exp(-abs(z))
    return xp.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid(a):
    out = stable_sigmoid(xp_of(a), a.data)
    return record("SigmoidBackward0", out, (a,), lambda g, y: (g * y * (1 - y),), keep_output=True)


def relu(a):
    """max(x, 0): the gradient is 1 where x > 0 and 0 where x <= 0, as PyTorch."""
    out = xp_of(a).maximum(a.data, 0)
    return record("ReluBackward0", out, (a,), lambda g, y: (masked(g, y > 0),), keep_output=True)


def _clip(name, a, low, high):
    """Clip to [low, high] (either may be None); the gradient passes where low <= x <= high."""
    if any(isinstance(v, Tensor) and v.requires_grad for v in (low, high)):
        raise NotImplementedError(f"{name}: the gradient with respect to tensor bounds")
    x, xp = a.data, xp_of(a)
    lo, hi = (v.data if isinstance(v, Tensor) else v for v in (low, high))
    out = x if lo is None else xp.maximum(x, lo)  # ufuncs: NaN stays NaN, as in PyTorch
    out = out if hi is None else xp.minimum(out, hi)
    return record(name, out, (a,), _clip_grad, (a, low, high))


def _clip_grad(g, x, low, high):
    if high is None:
        return (masked(g, x >= low),)
    if low is None:
        return (masked(g, x <= high),)
    return (masked(g, (x >= low) & (x <= high)),)


def clamp(a, min=None, max=None):  # noqa: A002  (PyTorch's argument names)
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of min and max must be given")
    return _clip("ClampBackward1", a, min, max)


def clamp_min(a, min):  # noqa: A002
    return _clip("ClampMinBackward0", a, min, None)


def clamp_max(a, max):  # noqa: A002
    return _clip("ClampMaxBackward0", a, None, max)


# -- reductions ------------------------------------------------------------------------------
def _dims(dim, ndim):
    """``dim`` (None, an int or a sequence, negatives counted from the end) as a sorted tuple,
    or None for all dimensions."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(sorted(d % (ndim or 1) for d in dims))


def _expand(g, shape, dim, keepdim):
    """Broadcast a reduced gradient back over the reduced axes (a filled array: for the small
    arrays of the documented workloads, cheaper than NumPy's broadcast_to view)."""
    xp = backend.namespace(g)
    if dim is not None and not keepdim:
        g = xp.expand_dims(g, dim)
    full = xp.empty(shape, dtype=g.dtype)
    full[...] = g
    return full


def sum(a, dim=None, keepdim=False):  # noqa: A001  (torch.sum)
    dim, shape = _dims(dim, a.ndim), a.data.shape
    return record(
        "SumBackward0" if dim is None else "SumBackward1",
        a.data.sum(axis=dim, keepdims=keepdim),
        (a,),
        lambda g: (_expand(g, shape, dim, keepdim),),
    )


def mean(a, dim=None, keepdim=False):
    if a.data.dtype.kind not in "fc":
        raise RuntimeError(f"mean of a {a.dtype} tensor: convert it to a floating dtype first")
    dim, shape = _dims(dim, a.ndim), a.data.shape
    count = a.data.size
    if dim is not None:
        count = 1
        for d in dim:
            count *= shape[d]
    return record(
        "MeanBackward0" if dim is None else "MeanBackward1",
        a.data.sum(axis=dim, keepdims=keepdim) / count,
        (a,),
        lambda g: (_expand(g, shape, dim, keepdim) / count,),
    )


Extremum = collections.namedtuple("Extremum", "values indices")


def _extremum(a, dim, keepdim, largest):
    """max or min. Over all elements, tied extremes share the gradient evenly (MaxBackward1);
    along ``dim`` the result is (values, indices) and the gradient goes to the index returned,
    the first extreme (MaxBackward0), as in PyTorch."""
    xp, x, kind = xp_of(a), a.data, "Max" if largest else "Min"
    if dim is None:
        out = x.max() if largest else x.min()
        return record(f"{kind}Backward1", out, (a,), _extremes_grad, (a,), keep_output=True)
    dim, shape = dim % (x.ndim or 1), x.shape
    index = (x.argmax if largest else x.argmin)(axis=dim, keepdims=True)
    values = (x.max if largest else x.min)(axis=dim, keepdims=True)
    positions = xp.arange(shape[dim]).reshape([-1 if d == dim else 1 for d in range(x.ndim)])

    def backward(g, chosen):  # chosen: where the returned index is, along dim
        return (masked(_expand(g, shape, (dim,), keepdim), chosen),)

    indices = index if keepdim else index.squeeze(dim)
    values = values if keepdim else values.squeeze(dim)
    node_values = record(f"{kind}Backward0", values, (a,), backward, (positions == index,))
    return Extremum(node_values, Tensor(indices))


def _extremes_grad(g, x, out):
    winners = x == out
    return (masked(g / winners.sum(), winners),)


def max(a, dim=None, keepdim=False):  # noqa: A001  (torch.max: values and indices along dim)
    return _extremum(a, dim, keepdim, largest=True)


def min(a, dim=None, keepdim=False):  # noqa: A001  (torch.min)
    return _extremum(a, dim, keepdim, largest=False)


def argmax(a, dim=None, keepdim=False):
    return Tensor(a.data.argmax(axis=dim, keepdims=keepdim))


def argmin(a, dim=None, keepdim=False):
    return Tensor(a.data.argmin(axis=dim, keepdims=keepdim))


def logsumexp(a, dim, keepdim=False):
    """log(sum(exp(a))) computed stably by factoring out the maximum."""
    xp, dim = xp_of(a), _dims(dim, a.ndim)
    top = a.data.max(axis=dim, keepdims=True)
    top = xp.where(xp.isfinite(top), top, 0)  # rows of -inf stay -inf instead of nan
    shifted = xp.exp(a.data - top)
    summed = shifted.sum(axis=dim, keepdims=True)
    with backend.quiet():
        out = top + xp.log(summed)
    result = out if keepdim else out.squeeze(axis=dim)
    shape = a.data.shape

    def backward(g, x, y):  # the gradient is g * softmax(x) = g * exp(x - y)
        return (_expand(g, shape, dim, keepdim) * xp.exp(x - _expand(y, shape, dim, keepdim)),)

    return record("LogsumexpBackward0", result, (a,), backward, (a,), keep_output=True)


def softmax(a, dim):
    xp = xp_of(a)
    shifted = xp.exp(a.data - a.data.max(axis=dim, keepdims=True))
    out = shifted / shifted.sum(axis=dim, keepdims=True)
    return record(
        "SoftmaxBackward0",
        out,
        (a,),
        lambda g, y: (y * (g - (g * y).sum(axis=dim, keepdims=True)),),
        keep_output=True,
    )


def log_softmax(a, dim):
    xp = xp_of(a)
    shifted = a.data - a.data.max(axis=dim, keepdims=True)
    with backend.quiet():
        out = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
    return record(
        "LogSoftmaxBackward0",
        out,
        (a,),
        lambda g, y: (g - xp.exp(y) * g.sum(axis=dim, keepdims=True),),
        keep_output=True,
    )


# -- matrix products -------------------------------------------------------------------------
_PRODUCTS = {(2, 1): "MvBackward0", (1, 1): "DotBackward0"}


def matmul(a, b):
    """Matrix product with PyTorch's rules and node names: 2-d @ 2-d is MmBackward0 (d(a@b) is
    g @ b.T for a and a.T @ g for b), 2-d @ 1-d MvBackward0, 1-d @ 1-d DotBackward0; a 1-d
    left operand is a row (UnsqueezeBackward0, MmBackward0, SqueezeBackward4); stacks of
    matrices broadcast (BmmBackward0 here, several nodes in PyTorch)."""
    x, y = promote(a, b)
    if x.ndim == 2 and y.ndim == 2:  # the common case: a matrix product, MmBackward0
        return record("MmBackward0", x @ y, (a, b), lambda g, x, y: (g @ y.T, x.T @ g), (a, b))
    if x.ndim == 0 or y.ndim == 0:
        raise RuntimeError("matmul: both arguments need at least one dimension")
    if a.ndim == 1 and b.ndim > 1:
        return views.squeeze(matmul(views.unsqueeze(a, 0), b), -2, name="SqueezeBackward4")
    if b.ndim == 1 and a.ndim > 2:
        return views.squeeze(matmul(a, views.unsqueeze(b, -1)), -1, name="SqueezeBackward4")
    xp, ndims = xp_of(a), (a.ndim, b.ndim)

    def backward(g, x, y):
        if ndims[1] == 1:  # matrix times vector, or dot product
            return (g[:, None] * y, x.T @ g) if ndims[0] == 2 else (g * y, g * x)
        return g @ xp.swapaxes(y, -1, -2), xp.swapaxes(x, -1, -2) @ g

    name = _PRODUCTS.get(ndims, "BmmBackward0")
    return record(name, x @ y, (a, b), backward, (a, b))


def addmm(bias, a, b):
    """bias + a @ b for 2-d a and b, one node as in PyTorch's Linear: AddmmBackward0."""
    return record(
        "AddmmBackward0",
        bias.data + a.data @ b.data,
        (bias, a, b),
        lambda g, x, y: (g, g @ y.T, x.T @ g),
        (a, b),
    )


# -- fills and copies (their in-place forms are what PyTorch users call) --------------------
def zero(a):
    """All zeros (ATen's ``zero``, which ``zero_`` is the in-place form of; unlike
    ``torch.zeros_like`` it is recorded): ZeroBackward0, whose gradient to the old value is 0."""
    zeroed = xp_of(a).zeros_like(a.data)
    return record("ZeroBackward0", zeroed, (a,), lambda g: (zeros(g),))


def fill(a, value):
    """``value`` everywhere (ATen's ``fill``, the functional form of ``fill_``): FillBackward2."""
    full = xp_of(a).full_like(a.data, value)
    return record("FillBackward2", full, (a,), lambda g: (zeros(g),))


def copy_from(a, source):
    """The functional form of ``copy_``: ``source``'s values in ``a``'s shape, dtype and device
    (CopyBackwards); the gradient goes to the source, on the source's device, and none to the
    old value."""
    source = operand(source, a)
    out = xp_of(a).empty_like(a.data)
    if not isinstance(source, Tensor):  # a number: nothing to send a gradient to
        out[...] = source
        return record("CopyBackwards", out, (a, source), lambda g: (zeros(g), None))
    out[...] = backend.to_namespace(source.data, xp_of(a))  # copy_ may cross devices
    back = xp_of(source)
    return record(
        "CopyBackwards", out, (a, source), lambda g: (zeros(g), backend.to_namespace(g, back))
    )


# -- comparisons (not differentiable: their results never require grad) ----------------------
def _comparison(compare):
    def method(a, b):
        b = operand(b, a)
        return Tensor(compare(*promote(a, b)))

    return method


eq = _comparison(lambda x, y: x == y)
ne = _comparison(lambda x, y: x != y)
lt = _comparison(lambda x, y: x < y)
le = _comparison(lambda x, y: x <= y)
gt = _comparison(lambda x, y: x > y)
ge = _comparison(lambda x, y: x >= y)
