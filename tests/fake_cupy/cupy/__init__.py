"""A stand-in for CuPy, for tests only: "device" arrays that are really held in host memory.

What it imitates is the discipline CuPy imposes, which engine code can break without a GPU:

* ``cupy.ndarray`` is a type of its own, not a NumPy array;
* host data becomes a device array only through ``array``/``asarray``/``ascontiguousarray``
  (a copy, as a transfer is), and goes back only through ``.get()``;
* an operation (ufunc, operator, function or method) given a device array and a plain
  ``numpy.ndarray`` together raises TypeError, even for a 0-d NumPy array, as CuPy's kernels
  accept only device arrays, Python scalars and NumPy scalars;
* ``numpy.asarray(device_array)`` raises TypeError;
* assigning a NumPy array with dimensions into a device array raises (CuPy's ``fill`` refuses
  it), while NumPy arrays and lists used as indices are accepted, as CuPy copies them over;
* reductions give 0-d device arrays, never NumPy scalars, and a single element picked by
  indexing is a 0-d view; ``float()``, ``int()``, ``bool()``, ``.item()`` and ``.tolist()``
  work, as in CuPy (each is a synchronising copy to the host there).

What it cannot show: everything runs on the CPU through NumPy, so nothing here says whether
CUDA kernels run, how fast, with which rounding, or whether streams and memory behave; dtype
promotion and every value are NumPy's. Also ``cupy.cuda.runtime.getDeviceCount()`` reports one
device, so the engine takes its CUDA path.
"""

from __future__ import annotations

import types

import numpy
from numpy.lib.mixins import NDArrayOperatorsMixin

cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 1))

_FROM_HOST = ("array", "asarray", "ascontiguousarray")  # the only ways in from host memory


class ndarray(NDArrayOperatorsMixin):  # noqa: N801  (CuPy's name)
    """A device array: ``_values`` stands for device memory and is never handed out."""

    __slots__ = ("_values",)

    def __init__(self, values: numpy.ndarray):
        self._values = values

    def get(self) -> numpy.ndarray:
        """A copy in host memory: the one way out."""
        return self._values.copy()

    def __array__(self, dtype=None, copy=None):
        raise TypeError("a device array cannot become a NumPy array implicitly: call .get()")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _refuse_host(f"numpy.{ufunc.__name__}", inputs, kwargs.get("out", ()))
        with numpy.errstate(all="ignore"):  # CuPy gives inf and nan without warnings
            result = getattr(ufunc, method)(*_unwrap(inputs), **_unwrap(kwargs))
        out = kwargs.get("out")
        return (out[0] if len(out) == 1 else out) if out else _wrap(result)

    def __array_function__(self, function, kinds, args, kwargs):
        return _on_device(function, f"numpy.{function.__name__}")(*args, **kwargs)

    def __getattr__(self, name):
        if name.startswith("__") or name == "_values":  # no __array_interface__ for NumPy
            raise AttributeError(name)
        value = getattr(self._values, name)
        return _on_device(value, f"ndarray.{name}") if callable(value) else _wrap(value)

    def __getitem__(self, key):
        key = _unwrap(key if isinstance(key, tuple) else (key,))
        if not any(part is Ellipsis for part in key):
            key += (Ellipsis,)  # a single element as a 0-d view, not NumPy's scalar copy
        return _wrap(self._values[key])

    def __setitem__(self, key, value):
        if isinstance(value, numpy.ndarray) and value.ndim > 0:
            raise TypeError("a NumPy array cannot be assigned into a device array: move it first")
        self._values[_unwrap(key)] = _unwrap(value)

    def __len__(self):
        return len(self._values)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __float__(self):
        return float(self._values.item())

    def __int__(self):
        return int(self._values.item())

    def __bool__(self):
        return bool(self._values)

    def __repr__(self):
        return repr(self._values)


def _refuse_host(where, *groups):
    """TypeError when a plain NumPy array is among the arguments (lists and tuples searched)."""
    for group in groups:
        for value in group:
            if isinstance(value, list | tuple):
                _refuse_host(where, value)
            elif isinstance(value, numpy.ndarray):
                raise TypeError(
                    f"{where}: a NumPy array of shape {value.shape} mixed with device arrays "
                    "(CuPy accepts only device arrays and scalars: copy it over with asarray)"
                )


def _unwrap(value):
    """Device arrays as their host memory, inside lists, tuples and dicts too."""
    if isinstance(value, ndarray):
        return value._values
    if isinstance(value, list | tuple):
        return type(value)(_unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _wrap(value):
    """NumPy results as device arrays (NumPy scalars become 0-d arrays, as CuPy returns)."""
    if isinstance(value, numpy.ndarray | numpy.generic):
        return ndarray(numpy.asarray(value))
    if isinstance(value, list | tuple):
        return type(value)(_wrap(v) for v in value)
    return value


def _on_device(function, where):
    """``function`` applied to device arrays, refusing host ones, with device results."""

    def on_device(*args, **kwargs):
        _refuse_host(where, args, kwargs.values())
        with numpy.errstate(all="ignore"):
            return _wrap(function(*_unwrap(args), **_unwrap(kwargs)))

    return on_device


def _from_host(function):
    """A creation function that takes host data: it is copied, as a transfer to a GPU is."""

    def to_device(data, *args, **kwargs):
        if isinstance(data, numpy.ndarray):
            data = data.copy()
        return _wrap(function(_unwrap(data), *args, **kwargs))

    return to_device


def __getattr__(name):
    """Any other NumPy name: dtypes and constants as they are, functions on device arrays."""
    value = getattr(numpy, name)
    if isinstance(value, types.ModuleType):  # numpy.random and the like make host arrays
        raise AttributeError(f"the CuPy stand-in has no {name!r}")
    if isinstance(value, type) or not callable(value):
        return value
    return _from_host(value) if name in _FROM_HOST else _on_device(value, f"cupy.{name}")
