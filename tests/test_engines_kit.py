"""The adapter kit (conformance.adapter): renames, argument renames, wrapping, missing members."""

import pytest

from conformance.adapter import Proxy, readable, through, unwrap, wrap


class Native:
    """An engine tensor with its own names: retain_grads, backward(grad_tensor=...)."""

    def __init__(self, value):
        self.value = value
        self.grad = None
        self.kept = False

    def __add__(self, other):
        return Native(self.value + (other.value if isinstance(other, Native) else other))

    def __radd__(self, other):
        return self + other

    def retain_grads(self):
        self.kept = True

    def backward(self, grad_tensor=None):
        self.grad = grad_tensor

    def keep(self):
        return self


class NativeTensor(Proxy):
    wraps = Native
    renames = {"retain_grads": "retain_grad"}
    arguments = {"backward": {"gradient": "grad_tensor"}}
    translations = {"item": lambda n: n.value, "double": readable(lambda n: 2 * n.value)}


def test_results_are_wrapped_and_arguments_unwrapped():
    x = wrap(Native(1.0))
    y = x + wrap(Native(2.0))
    assert isinstance(y, NativeTensor) and y.item() == 3.0
    assert (1 + x).item() == 2.0
    assert unwrap([x, (y,)]) == [x.native, (y.native,)]


def test_renamed_member_and_keyword():
    x = wrap(Native(1.0))
    x.retain_grad()
    assert x.native.kept
    x.backward(gradient=5.0)
    assert x.grad == 5.0


def test_translations_are_methods_or_properties():
    x = wrap(Native(4.0))
    assert x.item() == 4.0 and x.double == 8.0


def test_one_engine_object_has_one_proxy():
    x = wrap(Native(1.0))
    assert x.keep() is x and wrap(x.native) is x


def test_missing_member_names_the_pytorch_member():
    class Bare(Proxy):
        wraps = type("BareNative", (), {})
        renames = {"retain_grads": "retain_grad"}

    bare = Bare(Bare.wraps())
    with pytest.raises(AttributeError, match="'retain_grad' \\(engine member 'retain_grads'"):
        bare.retain_grad()
    with pytest.raises(AttributeError, match="has no 'exp'"):
        bare.exp()
    with pytest.raises(AttributeError, match="has no 'grad'"):
        bare.grad = 1  # never creates a member the engine does not have
    # a missing operator is absent, named like a member, not Python's TypeError
    with pytest.raises(AttributeError, match="has no '__matmul__'"):
        bare @ bare
    with pytest.raises(AttributeError, match="has no '__rmul__'"):
        3 * bare


class DotNative:
    """An engine tensor whose matrix product is a method, ``dot``, and that has no ``+=``."""

    def __init__(self, value):
        self.value = value

    def dot(self, other):
        return DotNative(self.value * other.value)

    def __add__(self, other):
        return DotNative(self.value + other.value)


class DotTensor(Proxy):
    wraps = DotNative
    operators = {"__matmul__": "dot", "__neg__": "negative"}


def test_operators_map_onto_engine_methods():
    a, b = wrap(DotNative(2.0)), wrap(DotNative(3.0))
    product = a @ b
    assert isinstance(product, DotTensor) and product.native.value == 6.0
    with pytest.raises(AttributeError, match="has no '__neg__' \\(engine member 'negative'"):
        _ = -a  # mapped onto a method the engine lacks: absent, naming both
    a += b  # no __iadd__: Python falls back to +, as for the engine itself
    assert a.native.value == 5.0


def test_a_missing_operator_reads_as_absent_in_a_spec(run):
    from tests.plugin_run import TINY, spec_source

    run.write(spec_source(body="x = engine.tensor(2.0, requires_grad=True)\nx @ x"))
    result = run(f"--engine={TINY}:KitEngine", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*absent:*its objects have no member '__matmul__'*"])


def test_through_wraps_engine_functions():
    double = through(lambda n: Native(2 * n.value)).__func__
    assert double(wrap(Native(3.0))).item() == 6.0
