"""Differentiable operations: each op's forward and its gradient side by side.

``record`` builds the result and, when any input requires grad and recording is on, the
``grad_fn`` node whose ``backward(g)`` returns one gradient per input. Gradients are returned at
the broadcast shape; ``core.unbroadcast`` sums them back to each input's shape in one place.
Node names are PyTorch's, so graph-structure specs read the same on both engines.
"""

from __future__ import annotations

from reference_impl import backend
from reference_impl.core import Node, Tensor, as_tensor, is_grad_enabled


def record(name, data, inputs, backward, saved=(), keep_output=False):
    """The result of an op; with a ``name`` node attached when a gradient can flow."""
    out = Tensor(data)
    if is_grad_enabled() and any(t.requires_grad for t in inputs):
        out.requires_grad = True
        out.grad_fn = Node(name, backward, inputs, saved + ((out,) if keep_output else ()))
    return out


def xp_of(t):
    return backend.namespace(t.data)


# -- arithmetic ------------------------------------------------------------------------------
def add(a, b):
    b = as_tensor(b, a)
    return record("AddBackward0", a.data + b.data, (a, b), lambda g: (g, g))


def sub(a, b):
    b = as_tensor(b, a)
    return record("SubBackward0", a.data - b.data, (a, b), lambda g: (g, -g))


def rsub(a, b):  # b - a with a Python number b
    b = as_tensor(b, a)
    return record("RsubBackward1", b.data - a.data, (a, b), lambda g: (-g, g))


def _needed(a, b):
    """The operands a product's gradient needs: b for a's gradient, a for b's."""
    return (b,) * a.requires_grad + (a,) * b.requires_grad


def mul(a, b):
    b = as_tensor(b, a)
    return record(
        "MulBackward0",
        a.data * b.data,
        (a, b),
        lambda g: (g * b.data, g * a.data),
        saved=_needed(a, b),
    )


def div(a, b):
    b = as_tensor(b, a)
    return record(
        "DivBackward0",
        a.data / b.data,
        (a, b),
        lambda g: (g / b.data, -g * a.data / (b.data * b.data)),
        saved=(a, b) if b.requires_grad else (b,),
    )


def rdiv(a, b):  # b / a with a Python number b
    return div(as_tensor(b, a), a)


def neg(a):
    return record("NegBackward0", -a.data, (a,), lambda g: (-g,))


def power(a, exponent):
    """a ** n for a number n (PowBackward0) or a tensor n (PowBackward1)."""
    if isinstance(exponent, Tensor):
        out = a.data**exponent.data
        log_a = xp_of(a).log(a.data)
        return record(
            "PowBackward1",
            out,
            (a, exponent),
            lambda g: (g * exponent.data * a.data ** (exponent.data - 1), g * out * log_a),
            saved=(a, exponent),
        )
    return record(
        "PowBackward0",
        a.data**exponent,
        (a,),
        lambda g: (g * exponent * a.data ** (exponent - 1),),
        saved=(a,),
    )


def matmul(a, b):
    """Matrix product of 2-d tensors: d(a@b) = g @ b.T for a and a.T @ g for b."""
    return record(
        "MmBackward0", a.data @ b.data, (a, b), lambda g: (g @ b.data.T, a.data.T @ g), saved=(a, b)
    )


# -- element-wise functions ------------------------------------------------------------------
def exp(a):
    out = xp_of(a).exp(a.data)
    return record("ExpBackward0", out, (a,), lambda g: (g * out,), keep_output=True)


def log(a):
    return record("LogBackward0", xp_of(a).log(a.data), (a,), lambda g: (g / a.data,), saved=(a,))


def sqrt(a):
    out = xp_of(a).sqrt(a.data)
    return record("SqrtBackward0", out, (a,), lambda g: (g / (2 * out),), keep_output=True)


def absolute(a):
    return record(
        "AbsBackward0", abs(a.data), (a,), lambda g: (g * xp_of(a).sign(a.data),), saved=(a,)
    )


def tanh(a):
    """tanh, whose derivative 1 - tanh**2 is 0.4200 at x = 1."""
    out = xp_of(a).tanh(a.data)
    return record("TanhBackward0", out, (a,), lambda g: (g * (1 - out * out),), keep_output=True)


def sigmoid(a):
    xp = xp_of(a)
    e = xp.exp(-abs(a.data))  # never overflows, unlike exp(-x) for very negative x
    out = xp.where(a.data >= 0, 1 / (1 + e), e / (1 + e))
    return record("SigmoidBackward0", out, (a,), lambda g: (g * out * (1 - out),), keep_output=True)


def relu(a):
    """max(x, 0): the gradient is 1 where x > 0 and 0 where x < 0 (and 0 at 0, as PyTorch)."""
    active = a.data > 0
    return record("ReluBackward0", a.data * active, (a,), lambda g: (g * active,), keep_output=True)


def clamp(a, min=None, max=None):
    """Clip to [min, max]; the gradient passes where min <= x <= max."""
    xp = xp_of(a)
    inside = xp.ones(a.data.shape, dtype=bool)
    out = a.data
    if min is not None:
        inside &= a.data >= min
        out = xp.maximum(out, xp.asarray(min, dtype=a.data.dtype))
    if max is not None:
        inside &= a.data <= max
        out = xp.minimum(out, xp.asarray(max, dtype=a.data.dtype))
    return record("ClampBackward1", out, (a,), lambda g: (g * inside,), saved=(a,))


# -- reductions ------------------------------------------------------------------------------
def _expand(g, shape, dim, keepdim):
    """Broadcast a reduced gradient back over the reduced axes."""
    xp = backend.namespace(g)
    if dim is not None and not keepdim:
        g = xp.expand_dims(g, dim)
    return xp.broadcast_to(g, shape)


def total(a, dim=None, keepdim=False):
    name = "SumBackward0" if dim is None else "SumBackward1"
    return record(
        name,
        a.data.sum(axis=dim, keepdims=keepdim),
        (a,),
        lambda g: (_expand(g, a.data.shape, dim, keepdim),),
    )


def mean(a, dim=None, keepdim=False):
    name = "MeanBackward0" if dim is None else "MeanBackward1"
    count = a.data.size if dim is None else a.data.shape[dim]
    return record(
        name,
        a.data.mean(axis=dim, keepdims=keepdim),
        (a,),
        lambda g: (_expand(g, a.data.shape, dim, keepdim) / count,),
    )


def maximum(a):
    """The largest element; ties share the gradient evenly, as in PyTorch's full max."""
    out = a.data.max()
    winners = a.data == out
    return record("MaxBackward1", out, (a,), lambda g: (g * winners / winners.sum(),), saved=(a,))


def logsumexp(a, dim, keepdim=False):
    """log(sum(exp(a))) computed stably by factoring out the maximum."""
    xp = xp_of(a)
    top = a.data.max(axis=dim, keepdims=True)
    shifted = xp.exp(a.data - top)
    total = shifted.sum(axis=dim, keepdims=True)
    out = top + xp.log(total)
    softmax = shifted / total
    result = out if keepdim else out.squeeze(axis=dim)
    return record(
        "LogsumexpBackward0",
        result,
        (a,),
        lambda g: (_expand(g, a.data.shape, dim, keepdim) * softmax,),
        saved=(a,),
    )


def softmax(a, dim):
    xp = xp_of(a)
    shifted = xp.exp(a.data - a.data.max(axis=dim, keepdims=True))
    out = shifted / shifted.sum(axis=dim, keepdims=True)
    return record(
        "SoftmaxBackward0",
        out,
        (a,),
        lambda g: (out * (g - (g * out).sum(axis=dim, keepdims=True)),),
        keep_output=True,
    )


def log_softmax(a, dim):
    xp = xp_of(a)
    shifted = a.data - a.data.max(axis=dim, keepdims=True)
    out = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
    return record(
        "LogSoftmaxBackward0",
        out,
        (a,),
        lambda g: (g - xp.exp(out) * g.sum(axis=dim, keepdims=True),),
        keep_output=True,
    )


def bce_with_logits(z, y):
    """Mean of max(z, 0) - z*y + log(1 + exp(-|z|)): finite for any z. Its gradient
    (sigmoid(z) - y) / n is written out, because composing it from relu and abs would give
    the wrong one-sided value at z = 0."""
    xp = xp_of(z)
    n = z.data.size
    e = xp.exp(-abs(z.data))
    terms = xp.maximum(z.data, 0) - z.data * y.data + xp.log1p(e)
    # sigmoid without overflow: 1/(1+e) for z >= 0, e/(1+e) for z < 0
    probability = xp.where(z.data >= 0, 1 / (1 + e), e / (1 + e))
    return record(
        "BinaryCrossEntropyWithLogitsBackward0",
        terms.mean(),
        (z, y),
        lambda g: (g * (probability - y.data) / n, -g * z.data / n),
        saved=(z, y),
    )


# -- shape and indexing ----------------------------------------------------------------------
def reshape(a, *shape):
    shape = shape[0] if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape
    return record(
        "ViewBackward0", a.data.reshape(shape), (a,), lambda g: (g.reshape(a.data.shape),)
    )


def t(a):
    return record("TBackward0", a.data.T, (a,), lambda g: (g.T,))


def _index_name(index):
    parts = index if isinstance(index, tuple) else (index,)
    if any(isinstance(p, Tensor | list) or hasattr(p, "shape") for p in parts):
        return "IndexBackward0"
    if any(p is None for p in parts):
        return "UnsqueezeBackward0"
    return "SliceBackward0" if any(isinstance(p, slice) for p in parts) else "SelectBackward0"


def getitem(a, index):
    name = _index_name(index)
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(p.data if isinstance(p, Tensor) else p for p in index)

    def backward(g):
        xp = backend.namespace(g)
        full = xp.zeros(a.data.shape, dtype=g.dtype)
        xp.add.at(full, index, g)  # add.at: repeated indices each receive their share
        return (full,)

    return record(name, a.data[index], (a,), backward)


# -- the Tensor methods and operators these ops provide ---------------------------------------
def _square(a):
    return power(a, 2)


METHODS = {
    "__add__": add,
    "__radd__": add,
    "__sub__": sub,
    "__rsub__": rsub,
    "__mul__": mul,
    "__rmul__": mul,
    "__truediv__": div,
    "__rtruediv__": rdiv,
    "__neg__": neg,
    "__pow__": power,
    "__matmul__": matmul,
    "__getitem__": getitem,
    "add": add,
    "sub": sub,
    "mul": mul,
    "div": div,
    "neg": neg,
    "pow": power,
    "mm": matmul,
    "matmul": matmul,
    "exp": exp,
    "log": log,
    "sqrt": sqrt,
    "abs": absolute,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "relu": relu,
    "clamp": clamp,
    "square": _square,
    "sum": total,
    "mean": mean,
    "max": maximum,
    "logsumexp": logsumexp,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "reshape": reshape,
    "view": reshape,
    "t": t,
}


def _inplace(op):
    def method(self, *args, **kwargs):
        return self._adopt(op(self, *args, **kwargs))

    method.__name__ = op.__name__ + "_"
    return method


def _fill(a, value):
    return Tensor(backend.namespace(a.data).full_like(a.data, value))


METHODS.update(
    {name + "_": _inplace(METHODS[name]) for name in ("add", "sub", "mul", "div", "abs", "clamp")}
)
METHODS.update(
    {
        "zero_": _inplace(lambda a: _fill(a, 0)),
        "fill_": _inplace(_fill),
        "copy_": _inplace(lambda a, source: as_tensor(source, a)),
    }
)
for _name, _op in METHODS.items():
    setattr(Tensor, _name, _op)
Tensor.T = property(t)
