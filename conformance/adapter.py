"""The adapter kit: proxies that give an engine's objects PyTorch's names, built from a table.

Specs call tensors, modules and optimisers by PyTorch's names (``x.retain_grad()``,
``y.backward(gradient=g)``). An engine with other names needs a thin wrapper; this module builds
it from what differs, so an adapter is mostly a table::

    from conformance.adapter import Proxy, through, unwrap, wrap

    class MyTensor(Proxy):
        wraps = my_engine.Tensor                    # results of this type come back wrapped
        renames = {"retain_grads": "retain_grad"}   # engine name -> PyTorch name
        arguments = {"backward": {"gradient": "grad_tensor"}}  # PyTorch keyword -> engine's

Everything else passes through under its own name: ``x.sum()`` calls the engine's ``sum``,
``x + 1`` its ``__add__``. Arguments are unwrapped on the way in, results wrapped on the way out
(also inside lists and tuples), and one engine object always has the same proxy, so
``x.requires_grad_() is x`` holds when the engine returns the tensor itself.

The kit renames; it never emulates. A member the engine lacks raises ``AttributeError`` naming
the PyTorch member (``MyTensor has no 'retain_grad' (engine member 'retain_grads' is missing)``),
which a probing run reports as "absent". A meaning that differs (a flag stored negated, a
gradient that is a NumPy array) stays visible: the adapter spells such a translation out in
``translations``, one named function per member, where a reader sees it.
"""

from __future__ import annotations

import functools
import inspect
import weakref
from collections.abc import Callable
from typing import Any, ClassVar

# Native type -> proxy class; filled as Proxy subclasses are defined (the newest wins).
_PROXY_FOR: dict[type, type[Proxy]] = {}
# id(native) -> its live proxy, so that one engine object has one proxy (identity is kept).
_LIVE: weakref.WeakValueDictionary[int, Proxy] = weakref.WeakValueDictionary()

# Operators forwarded to the engine's own dunder methods, or to the method ``operators`` maps
# them to. A missing one raises AttributeError naming it (so a probing run reports it absent),
# except where Python has a fallback to try: an in-place operator (``+=`` falls back to ``+``)
# and a binary one whose other operand is another kind of engine object (its reflected form).
_OPERATORS = (
    "add sub mul truediv floordiv mod pow matmul radd rsub rmul rtruediv rfloordiv rmod rpow "
    "rmatmul iadd isub imul itruediv ipow lt le gt ge eq ne neg pos abs invert"
).split()


def wrap(value: Any) -> Any:
    """``value`` with every engine object of a registered type replaced by its proxy
    (recursively in lists and tuples); anything else is returned as it is."""
    if isinstance(value, Proxy):
        return value
    proxy_class = _proxy_class(type(value))
    if proxy_class is not None:
        found = _LIVE.get(id(value))
        if found is not None and found.native is value and type(found) is proxy_class:
            return found
        proxy = proxy_class(value)
        _LIVE[id(value)] = proxy
        return proxy
    if type(value) in (list, tuple):
        return type(value)(wrap(item) for item in value)
    if inspect.isgenerator(value):  # module.parameters(): each parameter wrapped as it comes
        return (wrap(item) for item in value)
    return value


def unwrap(value: Any) -> Any:
    """``value`` with every proxy replaced by the engine object it wraps (recursively in lists,
    tuples and dicts; generators become lists)."""
    if isinstance(value, Proxy):
        return value.native
    if type(value) in (list, tuple):
        return type(value)(unwrap(item) for item in value)
    if isinstance(value, dict):
        return {key: unwrap(item) for key, item in value.items()}
    if hasattr(value, "__next__"):  # model.parameters() of a proxied module
        return [unwrap(item) for item in value]
    return value


def through(function: Callable) -> Callable:
    """``function`` taking and returning proxies: arguments are unwrapped before the call and
    results wrapped after it. As an Engine attribute it is a static method::

        relu = through(my_engine.relu)
    """

    @functools.wraps(function)
    def call(*args, **kwargs):
        return wrap(function(*unwrap(args), **unwrap(kwargs)))

    return staticmethod(call)


def _proxy_class(kind: type) -> type[Proxy] | None:
    for base in kind.__mro__:
        if base in _PROXY_FOR:
            return _PROXY_FOR[base]
    return None


class Proxy:
    """An engine object under PyTorch's names. Subclass it per engine type and fill the table."""

    #: The engine type(s) this proxy wraps; results of these types are wrapped in it.
    wraps: ClassVar[type | tuple[type, ...]] = ()
    #: Engine member name -> PyTorch member name, for members whose names differ.
    renames: ClassVar[dict[str, str]] = {}
    #: PyTorch member name -> engine member name: ``renames`` inverted, per subclass.
    _engine_names: ClassVar[dict[str, str]]
    #: PyTorch member -> {PyTorch keyword: engine keyword}, for keyword arguments named otherwise.
    arguments: ClassVar[dict[str, dict[str, str]]] = {}
    #: PyTorch member -> function(native, ...): a member that is more than a rename (a value
    #: read differently, a flag stored negated). Called with the engine object first and
    #: unwrapped arguments; its result is wrapped. Keep these few and named after what they do.
    translations: ClassVar[dict[str, Callable]] = {}
    #: PyTorch members the engine has under the same name but that the proxy must not offer
    #: (e.g. a name the engine uses for something else); reading one raises AttributeError.
    hidden: ClassVar[frozenset[str]] = frozenset()
    #: PyTorch operator -> the engine method that computes it, for an engine whose objects
    #: lack the operator: ``{"__matmul__": "dot", "__neg__": "negative"}``.
    operators: ClassVar[dict[str, str]] = {}

    __slots__ = ("native", "__weakref__")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._engine_names = {pytorch: engine for engine, pytorch in cls.renames.items()}
        kinds = cls.wraps if isinstance(cls.wraps, tuple) else (cls.wraps,)
        for kind in kinds:
            _PROXY_FOR[kind] = cls

    def __init__(self, native: Any):
        object.__setattr__(self, "native", native)

    # -- members -------------------------------------------------------------------------------
    def _missing(self, name: str, engine_name: str) -> AttributeError:
        detail = f" (engine member {engine_name!r} is missing)" if engine_name != name else ""
        return AttributeError(f"{type(self).__name__} has no {name!r}{detail}", name=name, obj=self)

    def __getattr__(self, name: str) -> Any:
        # Only called for names the proxy class itself does not define.
        if name.startswith("__") or name in type(self).hidden:
            raise self._missing(name, name)
        translation = type(self).translations.get(name)
        if translation is not None:
            return self._translated(name, translation)
        engine_name = type(self)._engine_names.get(name, name)
        try:
            member = getattr(self.native, engine_name)
        except AttributeError:
            raise self._missing(name, engine_name) from None
        if callable(member) and not isinstance(member, type) and not _is_wrapped(member):
            return self._method(name, member)
        return wrap(member)

    def _translated(self, name: str, translation: Callable) -> Any:
        if getattr(translation, "is_property", False):
            return wrap(translation(self.native))

        @functools.wraps(translation)
        def method(*args, **kwargs):
            member_name = name  # noqa: F841  # the PyTorch member, read by engine_errors
            return wrap(translation(self.native, *unwrap(args), **unwrap(kwargs)))

        return method

    def _method(self, name: str, member: Callable) -> Callable:
        renamed = type(self).arguments.get(name, {})

        def method(*args, **kwargs):
            member_name = name  # noqa: F841  # the PyTorch member, read by engine_errors
            kwargs = {renamed.get(key, key): value for key, value in kwargs.items()}
            return wrap(member(*unwrap(args), **unwrap(kwargs)))

        method.__name__ = name
        return method

    def __setattr__(self, name: str, value: Any) -> None:
        engine_name = type(self)._engine_names.get(name, name)
        if name in type(self).hidden or not hasattr(self.native, engine_name):
            # Never create a member the engine does not have: that would hide its absence.
            raise self._missing(name, engine_name)
        setattr(self.native, engine_name, unwrap(value))

    def __dir__(self):
        return sorted(set(dir(self.native)) | set(type(self)._engine_names) - type(self).hidden)

    # -- protocol ------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.native!r})"

    __hash__ = object.__hash__  # by identity, like PyTorch's tensors

    def __bool__(self) -> bool:
        return bool(self.native)

    def __float__(self) -> float:
        return float(self.native)

    def __int__(self) -> int:
        return int(self.native)

    def __index__(self) -> int:
        return self.native.__index__()

    def __len__(self) -> int:
        return len(self.native)

    def __iter__(self):
        return (wrap(item) for item in iter(self.native))

    def __getitem__(self, key):
        return wrap(self.native[unwrap(key)])

    def __setitem__(self, key, value) -> None:
        self.native[unwrap(key)] = unwrap(value)

    def __call__(self, *args, **kwargs):
        return wrap(self.native(*unwrap(args), **unwrap(kwargs)))

    def __enter__(self):
        return wrap(self.native.__enter__())

    def __exit__(self, *exc_info):
        return self.native.__exit__(*exc_info)


def _is_wrapped(member: Any) -> bool:
    """Whether ``member`` is itself an engine object with a proxy (e.g. a callable module)."""
    return _proxy_class(type(member)) is not None


def _operator(name: str) -> Callable:
    dunder = f"__{name}__"
    unary = name in ("neg", "pos", "abs", "invert")

    def forward(self, *other):
        member_name = dunder  # noqa: F841  # the PyTorch member, read by engine_errors
        own = getattr(type(self.native), dunder, None)
        mapped = type(self).operators.get(dunder)
        if own is None and mapped is not None:
            method = getattr(self.native, mapped, None)
            if method is None:
                raise self._missing(dunder, mapped)
            own = lambda native, *args: method(*args)  # noqa: E731  # bound to self.native
        if own is None:
            in_place = name.startswith("i") and name != "invert"
            other_kind = (
                bool(other) and isinstance(other[0], Proxy) and type(other[0]) is not type(self)
            )
            if in_place or other_kind:
                return NotImplemented  # Python tries its fallback
            raise self._missing(dunder, dunder)
        result = own(self.native, *unwrap(other))
        if name.startswith("i") and name not in ("invert",) and result is self.native:
            return self  # in-place operator on the same object: keep the same proxy
        return wrap(result)

    forward.__name__ = dunder
    if unary:
        return lambda self: forward(self)
    return forward


for _name in _OPERATORS:
    setattr(Proxy, f"__{_name}__", _operator(_name))


def readable(function: Callable) -> Callable:
    """Mark a translation as a read-only property (``x.requires_grad``) rather than a method."""
    function.is_property = True  # type: ignore[attr-defined]  # a mark on the function
    return function
