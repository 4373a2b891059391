"""``funcad.lax``: structured control flow and the low-level operations, as in ``jax.lax``.

Control flow (``cond``, ``switch``, ``while_loop``, ``fori_loop``, ``scan``) stages the
user's functions into sub-IRs once per call and binds a higher-order primitive
(``funcad.control.cond``, ``funcad.control.loops``), so it works under every transform:
forward mode through all of them, reverse mode through ``cond``, ``switch``, ``scan``,
``fori_loop`` with static bounds and ``while_loop(..., max_steps=N)``.

The low-level operations are the primitives' wrappers: operands of equal shapes and dtypes,
broadcasting made explicit with ``broadcast_in_dim``.
"""
# ruff: noqa: A004 - the names of jax.lax (abs, complex, max, min, pow, round, slice) are the API
from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence

import numpy as np

from funcad.api_util import check_pair, fun_label, leaf_avals
from funcad.control.cond import cond_p
from funcad.control.loops import scan_p, while_p
from funcad.core.avals import ShapedArray
from funcad.core.dtypes import is_bool, is_integer
from funcad.core.trace import Tracer, get_aval, to_concrete
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.interpreters.subjaxpr import call_closed, closure_convert, trace_flat
from funcad.ir.core import ClosedJaxpr, Jaxpr, Var
from funcad.lax.control_flow import cond, fori_loop, map, scan, switch, while_loop
from funcad.lax.convenience import (
    clamp,
    dot,
    dynamic_index_in_dim,
    dynamic_slice_in_dim,
    dynamic_update_index_in_dim,
    dynamic_update_slice_in_dim,
    full,
    full_like,
    index_in_dim,
    select,
    slice_in_dim,
)
from funcad.ops._base import (
    broadcast_in_dim,
    convert_element_type,
    reduce_sum,
    reshape,
    select_n,
    transpose,
)
from funcad.ops.arithmetic import (
    abs,
    add,
    ceil,
    div,
    floor,
    integer_pow,
    is_finite,
    max,
    min,
    mul,
    neg,
    rem,
    round,
    sign,
    square,
    stop_gradient,
    sub,
)
from funcad.ops.bits import (
    bitcast_convert_type,
    shift_left,
    shift_right_arithmetic,
    shift_right_logical,
)
from funcad.ops.complex_parts import complex, conj, imag, real
from funcad.ops.dynamic_slicing import dynamic_slice, dynamic_update_slice
from funcad.ops.elementwise import (
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cbrt,
    cos,
    cosh,
    erf,
    exp,
    exp2,
    expm1,
    log,
    log1p,
    logistic,
    pow,
    rsqrt,
    sin,
    sinh,
    sqrt,
    tan,
    tanh,
)
from funcad.ops.indexing import gather, scatter, scatter_add, scatter_mul
from funcad.ops.linalg import dot_general
from funcad.ops.logical import (
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    eq,
    ge,
    gt,
    le,
    lt,
    ne,
)
from funcad.ops.reductions import (
    argmax,
    argmin,
    cummax,
    cummin,
    cumprod,
    cumsum,
    reduce_max,
    reduce_min,
    reduce_prod,
)
from funcad.ops.slicing import concatenate, pad, slice
from funcad.ops.structural import broadcasted_iota, expand_dims, iota, rev, squeeze

__all__ = [
    "abs",
    "acos",
    "acosh",
    "add",
    "argmax",
    "argmin",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "bitcast_convert_type",
    "bitwise_and",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "broadcast_in_dim",
    "broadcasted_iota",
    "cbrt",
    "ceil",
    "clamp",
    "complex",
    "concatenate",
    "cond",
    "conj",
    "convert_element_type",
    "cos",
    "cosh",
    "cummax",
    "cummin",
    "cumprod",
    "cumsum",
    "div",
    "dot",
    "dot_general",
    "dynamic_index_in_dim",
    "dynamic_slice",
    "dynamic_slice_in_dim",
    "dynamic_update_index_in_dim",
    "dynamic_update_slice",
    "dynamic_update_slice_in_dim",
    "eq",
    "erf",
    "exp",
    "exp2",
    "expand_dims",
    "expm1",
    "floor",
    "fori_loop",
    "full",
    "full_like",
    "gather",
    "ge",
    "gt",
    "imag",
    "index_in_dim",
    "integer_pow",
    "iota",
    "is_finite",
    "le",
    "log",
    "log1p",
    "logistic",
    "lt",
    "map",
    "max",
    "min",
    "mul",
    "ne",
    "neg",
    "pad",
    "pow",
    "real",
    "reduce_max",
    "reduce_min",
    "reduce_prod",
    "reduce_sum",
    "rem",
    "reshape",
    "rev",
    "round",
    "rsqrt",
    "scan",
    "scatter",
    "scatter_add",
    "scatter_mul",
    "select",
    "select_n",
    "shift_left",
    "shift_right_arithmetic",
    "shift_right_logical",
    "sign",
    "sin",
    "sinh",
    "slice",
    "slice_in_dim",
    "sqrt",
    "square",
    "squeeze",
    "stop_gradient",
    "sub",
    "switch",
    "tan",
    "tanh",
    "transpose",
    "while_loop",
]
