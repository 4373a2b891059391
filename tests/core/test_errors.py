"""Misuse raises funcad error types naming the operation, the types involved and the user's
source line, never an internal AttributeError/KeyError/AssertionError."""
from __future__ import annotations

import functools

import numpy as np
import pytest
from source_markers import marker_line

import funcad
import funcad.numpy as fnp
from funcad.errors import (
    ConcretizationError,
    FuncadError,
    PrimitiveTypeError,
    TracerArrayConversionError,
    UnexpectedTracerError,
)
from funcad.ops import arithmetic as ar
from funcad.ops import elementwise as ew

where = functools.partial(marker_line, __file__)


# --- concretization -------------------------------------------------------------------------

def uses_bool(x):
    return bool(x > 0)  # <bool>


def uses_int(x):
    return fnp.ones(3) * int(x)  # <int>


def uses_float(x):
    return float(x)  # <float>


def uses_if(x):
    if x < 1.0:  # <if>
        return x
    return -x


def uses_while(x):
    while x > 0:  # <while>
        x = x - 1
    return x


def uses_and(x, y):
    return (x > 0) and y  # <and>


@pytest.mark.parametrize(
    ("fun", "operation", "marker"),
    [
        (uses_bool, "bool()", "# <bool>"),
        (uses_int, "int()", "# <int>"),
        (uses_float, "float()", "# <float>"),
        (uses_if, "bool()", "# <if>"),
        (uses_while, "bool()", "# <while>"),
        (uses_and, "bool()", "# <and>"),
    ],
)
def test_concretization_error(fun, operation, marker):
    args = (np.float64(2.0),) * fun.__code__.co_argcount
    with pytest.raises(ConcretizationError) as info:
        funcad.make_jaxpr(fun)(*args)
    err = info.value
    msg = str(err)
    assert isinstance(err, TypeError) and isinstance(err, FuncadError)
    assert msg.startswith(operation)
    assert "static_argnums" in msg and "funcad.lax.cond" in msg
    assert f"make_jaxpr({fun.__name__})" in msg  # the transform that traced the value
    assert "of f64[] is abstract" in msg or "of bool[] is abstract" in msg  # the value's type
    assert where(marker) in msg, msg
    assert marker in msg  # the source text of the user's line


def test_concretization_error_names_the_argument_it_came_from():
    def f(x, params):
        return x if params["scale"] > 1 else -x

    with pytest.raises(ConcretizationError, match=r"from its argument args\[1\]\['scale'\]"):
        funcad.make_jaxpr(f)(np.ones(2), {"scale": np.float64(2.0)})


def test_static_argnums_is_the_way_out():
    closed = funcad.make_jaxpr(uses_if, static_argnums=0)(0.5)
    assert not closed.jaxpr.invars


def test_literal_values_are_concrete():
    # A Python scalar written in the function is known while staging, so Python may branch on it.
    closed = funcad.make_jaxpr(lambda x: x * 2.0 if fnp.asarray(3.0) > 1 else x)(np.ones(2))
    assert "mul" in str(closed)


# --- leaked tracers -------------------------------------------------------------------------

def test_leaked_tracer_used_after_make_jaxpr():
    leaked = []

    def leaky(x):
        leaked.append(x)
        return x

    funcad.make_jaxpr(leaky)(np.ones(3))
    (tracer,) = leaked
    with pytest.raises(UnexpectedTracerError) as info:
        fnp.sin(tracer)  # <leak-sin>
    msg = str(info.value)
    assert "make_jaxpr(leaky)" in msg and "f64[3]" in msg
    assert where("# <leak-sin>") in msg
    with pytest.raises(UnexpectedTracerError) as info:
        tracer + 1.0  # <leak-add>
    assert where("# <leak-add>") in str(info.value)
    with pytest.raises(UnexpectedTracerError, match=r"make_jaxpr\(leaky\)"):
        -tracer  # noqa: B018 - the use is the point


def test_leaked_tracer_used_inside_a_later_make_jaxpr():
    leaked = []
    funcad.make_jaxpr(lambda x: leaked.append(x) or x)(1.0)
    with pytest.raises(UnexpectedTracerError, match="escaped its transform"):
        funcad.make_jaxpr(lambda y: y * leaked[0])(1.0)


# --- primitive type errors ------------------------------------------------------------------

def _check_primitive_error(err: PrimitiveTypeError, marker: str):
    msg = str(err)
    assert isinstance(err, TypeError)
    assert msg.startswith("add:")
    assert "f64[3]" in msg and "f64[4]" in msg
    assert where(marker) in msg, msg


def test_primitive_on_incompatible_shapes_eagerly():
    with pytest.raises(PrimitiveTypeError) as info:
        ar.add(np.ones(3), np.ones(4))  # <eager-add>
    _check_primitive_error(info.value, "# <eager-add>")


def test_primitive_on_incompatible_shapes_under_make_jaxpr():
    def f(x, y):
        return ar.add(x, y)  # <staged-add>

    with pytest.raises(PrimitiveTypeError) as info:
        funcad.make_jaxpr(f)(np.ones(3), np.ones(4))
    _check_primitive_error(info.value, "# <staged-add>")


def test_primitive_on_mismatched_dtypes_under_make_jaxpr():
    with pytest.raises(PrimitiveTypeError, match=r"mul:.*f64\[3\], f32\[3\]"):
        funcad.make_jaxpr(ar.mul)(np.ones(3), np.ones(3, np.float32))


def test_primitive_on_wrong_dtype_kind():
    with pytest.raises(PrimitiveTypeError, match=r"sin: .*int64"):
        funcad.make_jaxpr(ew.sin)(np.ones(3, np.int64))


def test_numpy_level_broadcast_error_is_a_value_error_as_in_numpy():
    def f(x, y):
        return fnp.add(x, y)  # <fnp-add>

    with pytest.raises(ValueError):  # NumPy's own error type for the same call
        np.add(np.ones(3), np.ones(4))
    x, y = np.ones(3), np.ones(4)
    for call in (lambda: f(x, y), lambda: funcad.make_jaxpr(f)(x, y)):
        with pytest.raises(ValueError) as info:
            call()
        msg = str(info.value)
        assert isinstance(info.value, FuncadError)
        assert "add" in msg and "(3,)" in msg and "(4,)" in msg
        assert where("# <fnp-add>") in msg


# --- conversion to NumPy --------------------------------------------------------------------

@pytest.mark.parametrize("convert", [np.asarray, np.array, lambda t: np.float64(t)])
def test_tracer_to_numpy_array_is_refused(convert):
    def f(x):
        return convert(x)  # <asarray>

    with pytest.raises((TracerArrayConversionError, ConcretizationError)) as info:
        funcad.make_jaxpr(f)(np.ones(3) if convert is not np.float64 else np.float64(1))
    assert isinstance(info.value, TypeError)


def test_numpy_asarray_of_tracer_raises_tracer_array_conversion_error():
    def f(x):
        return np.asarray(x)  # <asarray-plain>

    with pytest.raises(TracerArrayConversionError) as info:
        funcad.make_jaxpr(f)(np.ones(3))
    msg = str(info.value)
    assert "f64[3]" in msg and "numpy.asarray" in msg
    assert where("# <asarray-plain>") in msg


# --- unsupported NumPy functions ------------------------------------------------------------

@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda t: np.trim_zeros(t), "numpy.trim_zeros"),
        (lambda t: np.histogram2d(t, t), "numpy.histogram2d"),
        (lambda t: np.spacing(t), "numpy.spacing"),
        (lambda t: np.add.outer(t, t), "numpy.add.outer"),
    ],
    ids=["trim_zeros", "histogram2d", "spacing-ufunc", "ufunc-method"],
)
def test_unsupported_numpy_function_names_itself(call, name):
    with pytest.raises(TypeError) as info:
        funcad.make_jaxpr(call)(np.ones(4))
    assert isinstance(info.value, FuncadError)
    assert name in str(info.value)
    assert "test_errors.py:" in str(info.value)


def test_no_internal_error_types_escape():
    bad_calls = [
        lambda: funcad.make_jaxpr(uses_if)(1.0),
        lambda: funcad.make_jaxpr(lambda x: np.trim_zeros(x))(np.ones(2)),
        lambda: funcad.make_jaxpr(lambda x: ar.add(x, x[:1] if False else np.ones(5)))(np.ones(2)),
        lambda: funcad.make_jaxpr(lambda x: len(x))(1.0),
    ]
    for call in bad_calls:
        with pytest.raises(FuncadError) as info:
            call()
        assert not isinstance(info.value, (AttributeError, KeyError, AssertionError))


def test_numpy_name_missing_from_funcad_numpy_says_so():
    assert hasattr(funcad.numpy, "sin") and not hasattr(funcad.numpy, "histogramdd")
    with pytest.raises(NotImplementedError, match=r"funcad\.numpy\.histogramdd is not implemented"):
        funcad.numpy.histogramdd  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'not_a_numpy_name'"):
        funcad.numpy.not_a_numpy_name  # noqa: B018
    assert getattr(funcad.numpy, "histogramdd", None) is None


# --- item assignment on traced values --------------------------------------------------------

def assigns_item(x):
    x[0] = 1.0  # setitem
    return x.sum()


@pytest.mark.parametrize("transform", [funcad.grad, funcad.jit, funcad.vmap])
def test_item_assignment_on_a_tracer_names_the_at_spelling(transform):
    x = np.ones((2, 3)) if transform is funcad.vmap else np.ones(3)
    with pytest.raises(FuncadError, match=r"x\.at\[idx\]\.set\(y\)") as info:
        transform(assigns_item)(x)
    assert isinstance(info.value, TypeError)
    assert where("# setitem") in str(info.value)
