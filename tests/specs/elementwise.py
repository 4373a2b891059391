"""Op-spec rows of elementwise functions: math, arithmetic, comparisons, logic, selection."""
from __future__ import annotations

import numpy as np

import funcad.numpy as fnp

from specs.spec import (
    BINARY_SHAPES,
    BOOL,
    F32,
    F64,
    FLOATS,
    I32,
    I64,
    UNARY_SHAPES,
    OpSpec,
    uniform_args,
)

NUMERIC = (F64, F32, I32, I64)


def _unary(name, domain=(-2.0, 2.0), dtypes=FLOATS, differentiable=True, **kw):
    return OpSpec(name, getattr(fnp, name), getattr(np, name), UNARY_SHAPES, dtypes, domain,
                  differentiable=differentiable, **kw)


def _binary(name, domain=(-2.0, 2.0), dtypes=FLOATS, differentiable=True, **kw):
    return OpSpec(name, getattr(fnp, name), getattr(np, name), BINARY_SHAPES, dtypes, domain,
                  differentiable=differentiable, **kw)


def _nonzero_ints(rng, shapes, dtype):
    """Integers in [-5, 5] without zero: divisors for floor_divide / remainder."""
    out = []
    for a in uniform_args(rng, shapes, dtype, (-5, 5)):
        out.append(np.where(a == 0, np.asarray(3, dtype), a))
    return out


def _away_from_zero(rng, shapes, dtype):
    """Floats with |x| >= 0.25, so quotients and remainders are well conditioned."""
    out = []
    for a in uniform_args(rng, shapes, dtype, (0.25, 2.0)):
        out.append(a * np.where(rng.random(a.shape) < 0.5, -1, 1).astype(dtype))
    return out


def _mixed(*dtypes_):
    def make(rng, shapes, dtype):
        return [uniform_args(rng, [s], d)[0] for s, d in zip(shapes, dtypes_)]

    return make


def _with_ties(rng, shapes, dtype):
    """Values on a coarse grid, so that ties (max/min, comparisons, rounding) occur."""
    return [np.asarray(np.round(a * 2) / 2, dtype) for a in uniform_args(rng, shapes, dtype)]


SPECS: list[OpSpec] = [
    # unary math
    _unary("negative", dtypes=NUMERIC),
    _unary("positive", dtypes=NUMERIC),
    _unary("exp"),
    _unary("exp2"),
    _unary("expm1"),
    _unary("log", (0.1, 3.0)),
    _unary("log2", (0.1, 3.0)),
    _unary("log10", (0.1, 3.0)),
    _unary("log1p", (-0.9, 3.0)),
    _unary("sqrt", (0.1, 3.0)),
    _unary("cbrt", (0.1, 3.0)),
    _unary("square", dtypes=NUMERIC),
    _unary("reciprocal", (0.25, 3.0)),
    _unary("sin"),
    _unary("cos"),
    _unary("tan", (-1.2, 1.2)),
    _unary("arcsin", (-0.9, 0.9)),
    _unary("arccos", (-0.9, 0.9)),
    _unary("arctan"),
    _unary("sinh"),
    _unary("cosh"),
    _unary("tanh"),
    _unary("arcsinh"),
    _unary("arccosh", (1.1, 3.0)),
    _unary("arctanh", (-0.9, 0.9)),
    _unary("abs", dtypes=NUMERIC),
    _unary("absolute", dtypes=NUMERIC),
    _unary("sign", dtypes=NUMERIC, differentiable=False),
    _unary("floor", dtypes=NUMERIC, differentiable=False),
    _unary("ceil", dtypes=NUMERIC, differentiable=False),
    _unary("trunc", dtypes=NUMERIC, differentiable=False),
    OpSpec("round", fnp.round, np.round, UNARY_SHAPES, FLOATS, make_args=_with_ties,
           differentiable=False),
    OpSpec("round_decimals", lambda x: fnp.round(x, 2), lambda x: np.round(x, 2), UNARY_SHAPES,
           (F64,), differentiable=False),
    _unary("isfinite", dtypes=(F64, F32, I32), differentiable=False),
    _unary("isnan", dtypes=(F64, I32), differentiable=False),
    _unary("logical_not", dtypes=(BOOL, F64, I32), differentiable=False),
    OpSpec("isnan_isinf_special", lambda x: (fnp.isnan(x), fnp.isinf(x), fnp.isfinite(x)),
           lambda x: (np.isnan(x), np.isinf(x), np.isfinite(x)), ((), ((4,),))[1:],
           (F64, F32), make_args=lambda rng, s, d: [np.array([np.nan, np.inf, -np.inf, 1.5], d)],
           differentiable=False),
    # binary arithmetic
    _binary("add", dtypes=NUMERIC + (BOOL,)),
    _binary("subtract", dtypes=NUMERIC),
    _binary("multiply", dtypes=NUMERIC + (BOOL,)),
    OpSpec("divide", fnp.divide, np.divide, BINARY_SHAPES, FLOATS, make_args=_away_from_zero),
    OpSpec("true_divide_int", fnp.true_divide, np.true_divide, BINARY_SHAPES, (I32, I64),
           make_args=_nonzero_ints, differentiable=False),
    OpSpec("floor_divide", fnp.floor_divide, np.floor_divide, BINARY_SHAPES, (I32, I64),
           make_args=_nonzero_ints, differentiable=False),
    OpSpec("floor_divide_float", fnp.floor_divide, np.floor_divide, BINARY_SHAPES, FLOATS,
           make_args=_away_from_zero, differentiable=False),
    OpSpec("remainder", fnp.remainder, np.remainder, BINARY_SHAPES, (I32, I64),
           make_args=_nonzero_ints, differentiable=False),
    OpSpec("remainder_float", fnp.remainder, np.remainder, BINARY_SHAPES, FLOATS,
           make_args=_away_from_zero, differentiable=False),
    OpSpec("power", fnp.power, np.power, BINARY_SHAPES, FLOATS, (0.2, 2.0)),
    OpSpec("power_int_exponent", lambda x: fnp.power(x, 3), lambda x: np.power(x, 3),
           UNARY_SHAPES, NUMERIC),
    OpSpec("power_int", fnp.power, np.power, BINARY_SHAPES, (I32, I64), (0, 3),
           differentiable=False),
    _binary("maximum", dtypes=NUMERIC),
    _binary("minimum", dtypes=NUMERIC),
    # Ties: values match NumPy; derivatives at ties follow JAX (tests/transforms/test_subgradients.py).
    OpSpec("maximum_ties", fnp.maximum, np.maximum, BINARY_SHAPES, NUMERIC, make_args=_with_ties,
           differentiable=False),
    OpSpec("minimum_ties", fnp.minimum, np.minimum, BINARY_SHAPES, NUMERIC, make_args=_with_ties,
           differentiable=False),
    _binary("arctan2", make_args=_away_from_zero),
    _binary("logaddexp", (-30.0, 30.0)),
    OpSpec("logaddexp_ties", fnp.logaddexp, np.logaddexp, BINARY_SHAPES[:3], FLOATS,
           make_args=lambda rng, s, d: [uniform_args(rng, s[:1], d)[0]] * 2),
    # mixed dtypes and weak Python scalars (NEP 50)
    OpSpec("add_f32_f64", fnp.add, np.add, BINARY_SHAPES[:3], (F64,), make_args=_mixed(F32, F64)),
    OpSpec("multiply_i32_f32", fnp.multiply, np.multiply, BINARY_SHAPES[:3], (F64,),
           make_args=_mixed(I32, F32)),
    OpSpec("add_bool_i32", fnp.add, np.add, BINARY_SHAPES[:3], (F64,), make_args=_mixed(BOOL, I32),
           differentiable=False),
    OpSpec("multiply_python_float", lambda x: fnp.multiply(x, 2.5), lambda x: np.multiply(x, 2.5),
           UNARY_SHAPES, NUMERIC),
    OpSpec("add_python_int", lambda x: fnp.add(x, 3), lambda x: np.add(x, 3), UNARY_SHAPES,
           NUMERIC + (np.dtype(np.uint8), np.dtype(np.int8))),
    OpSpec("rsub_python_float", lambda x: fnp.subtract(1.5, x), lambda x: np.subtract(1.5, x),
           UNARY_SHAPES, NUMERIC),
    # operators on traced values (eagerly these are NumPy's own, so the staged run is the test)
    OpSpec("operators_arith", lambda x, y: (x + y, x - y, x * y, -x, +x, abs(x), y * 2.0 - 1),
           lambda x, y: (x + y, x - y, x * y, -x, +x, abs(x), y * 2.0 - 1), BINARY_SHAPES, NUMERIC, tags=("operators",)),
    OpSpec("operators_div", lambda x, y: (x / y, x // y, x % y, 1 / y, 3.0 // y, 2 % y),
           lambda x, y: (x / y, x // y, x % y, 1 / y, 3.0 // y, 2 % y), BINARY_SHAPES, FLOATS,
           make_args=_away_from_zero, differentiable=False, tags=("operators",)),
    OpSpec("operators_pow", lambda x, y: (x**y, x**2, 2.0**y, x**-1), lambda x, y: (
        x**y, x**2, 2.0**y, x**-1), BINARY_SHAPES, FLOATS, (0.3, 2.0), tags=("operators",)),
    OpSpec("operators_compare", lambda x, y: (x < y, x <= y, x > y, x >= y, x == y, x != y, x < 0.5),
           lambda x, y: (x < y, x <= y, x > y, x >= y, x == y, x != y, x < 0.5), BINARY_SHAPES,
           NUMERIC, make_args=_with_ties, differentiable=False, tags=("operators",)),
    OpSpec("operators_bitwise", lambda x, y: (x & y, x | y, x ^ y, ~x), lambda x, y: (
        x & y, x | y, x ^ y, ~x), BINARY_SHAPES, (BOOL, I32), differentiable=False, tags=("operators",)),
    # comparisons and logic
    *[
        _binary(n, dtypes=NUMERIC, make_args=_with_ties, differentiable=False)
        for n in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal")
    ],
    *[
        _binary(n, dtypes=(BOOL, F64, I32), differentiable=False)
        for n in ("logical_and", "logical_or", "logical_xor")
    ],
    # selection
    OpSpec("where", lambda c, x, y: fnp.where(c > 0, x, y), lambda c, x, y: np.where(c > 0, x, y),
           (((), (), ()), ((4,), (4,), (4,)), ((2, 3), (3,), (2, 1)), ((3,), (), (2, 3))),
           NUMERIC),
    OpSpec("where_python_scalars", lambda c, x: fnp.where(c > 0, x, 0.0),
           lambda c, x: np.where(c > 0, x, 0.0), (((4,), (4,)), ((2, 3), (3,))), NUMERIC),
    OpSpec("clip", lambda x: fnp.clip(x, -0.5, 1.0), lambda x: np.clip(x, -0.5, 1.0),
           UNARY_SHAPES, NUMERIC),
    OpSpec("clip_arrays", fnp.clip, np.clip, (((4,), (4,), (4,)), ((2, 3), (3,), ())), FLOATS,
           make_args=lambda rng, s, d: [uniform_args(rng, s[:1], d)[0],
                                       uniform_args(rng, s[1:2], d, (-2, -0.5))[0],
                                       uniform_args(rng, s[2:], d, (0.5, 2))[0]]),
    OpSpec("clip_one_sided", lambda x: (fnp.clip(x, None, 0.5), fnp.clip(x, min=-0.5)),
           lambda x: (np.clip(x, None, 0.5), np.clip(x, min=-0.5)), UNARY_SHAPES, FLOATS),
]
