"""The tensor's method table: which op each ``Tensor`` method and operator is, in one place.

Importing this module attaches them to ``Tensor`` (``reference_impl`` imports it first). In-place
forms (PyTorch's trailing underscore, and ``+=`` and the like) are ``inplace.inplace`` of the op.
"""

from __future__ import annotations

from . import conversions, ops, views
from .core import Tensor
from .inplace import inplace


def _square(a):
    return ops.power(a, 2)


METHODS = {
    # operators
    "__add__": ops.add,
    "__radd__": ops.add,
    "__sub__": ops.sub,
    "__rsub__": ops.rsub,
    "__mul__": ops.mul,
    "__rmul__": ops.mul,
    "__truediv__": ops.div,
    "__rtruediv__": ops.rdiv,
    "__neg__": ops.neg,
    "__pow__": ops.power,
    "__rpow__": ops.rpow,
    "__matmul__": ops.matmul,
    "__abs__": ops.absolute,
    "__eq__": ops.eq,
    "__ne__": ops.ne,
    "__lt__": ops.lt,
    "__le__": ops.le,
    "__gt__": ops.gt,
    "__ge__": ops.ge,
    "__getitem__": views.getitem,
    "__setitem__": views.setitem,
    # arithmetic and element-wise functions
    "add": ops.add,
    "sub": ops.sub,
    "mul": ops.mul,
    "div": ops.div,
    "neg": ops.neg,
    "pow": ops.power,
    "mm": ops.matmul,
    "matmul": ops.matmul,
    "exp": ops.exp,
    "log": ops.log,
    "sqrt": ops.sqrt,
    "reciprocal": ops.reciprocal,
    "abs": ops.absolute,
    "sin": ops.sin,
    "cos": ops.cos,
    "tanh": ops.tanh,
    "sigmoid": ops.sigmoid,
    "relu": ops.relu,
    "clamp": ops.clamp,
    "clamp_min": ops.clamp_min,
    "clamp_max": ops.clamp_max,
    "square": _square,
    # reductions
    "sum": ops.sum,
    "mean": ops.mean,
    "max": ops.max,
    "min": ops.min,
    "argmax": ops.argmax,
    "argmin": ops.argmin,
    "logsumexp": ops.logsumexp,
    "softmax": ops.softmax,
    "log_softmax": ops.log_softmax,
    # comparisons
    "eq": ops.eq,
    "ne": ops.ne,
    "lt": ops.lt,
    "le": ops.le,
    "gt": ops.gt,
    "ge": ops.ge,
    # shapes and views
    "reshape": views.reshape,
    "view": views.view,
    "flatten": views.flatten,
    "t": views.t,
    "transpose": views.transpose,
    "swapaxes": views.transpose,
    "permute": views.permute,
    "unsqueeze": views.unsqueeze,
    "squeeze": views.squeeze,
    "expand": views.expand,
    "clone": views.clone,
    "contiguous": views.contiguous,
    # conversions
    "to": conversions.to,
    "float": conversions.converter("float32"),
    "double": conversions.converter("float64"),
    "long": conversions.converter("int64"),
    "bool": conversions.converter("bool"),
    "cpu": conversions.converter("cpu"),
    "cuda": conversions.converter("cuda"),
    # reading values back
    "dim": conversions.dim,
    "size": conversions.size,
    "numel": conversions.numel,
    "__len__": conversions.length,
    "__iter__": conversions.iterate,
    "item": conversions.item,
    "__float__": conversions.as_float,
    "__int__": conversions.as_int,
    "__bool__": conversions.as_bool,
    "numpy": conversions.numpy,
    "__array__": conversions.as_array,
    "tolist": conversions.tolist,
    "__repr__": conversions.representation,
}
_INPLACE = ("add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "reciprocal", "abs")
_INPLACE += ("sin", "cos", "tanh", "sigmoid", "relu", "clamp", "clamp_min", "clamp_max", "square")
METHODS.update({name + "_": inplace(METHODS[name]) for name in _INPLACE})
METHODS.update(
    {
        "zero_": inplace(ops.zero),
        "fill_": inplace(ops.fill),
        "copy_": inplace(ops.copy_from),
        "__iadd__": METHODS["add_"],
        "__isub__": METHODS["sub_"],
        "__imul__": METHODS["mul_"],
        "__itruediv__": METHODS["div_"],
    }
)
for _name, _op in METHODS.items():
    setattr(Tensor, _name, _op)
Tensor.T = property(views.reversed_dims)
