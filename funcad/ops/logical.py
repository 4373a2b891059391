"""Elementwise comparisons, bitwise/logical operations, selection (``select_n``) and dtype
conversion (``convert_element_type``).

Each primitive is one block: wrapper -> primitive (impl + shape/dtype rule) -> rules of the
transforms. Comparisons and logic have zero derivatives; ``select_n`` is linear in its cases
(not in its predicate) and ``convert_element_type`` in its operand (to a float or complex
type).
"""
from __future__ import annotations

import numpy as np

from funcad.core import dtypes
from funcad.core.avals import ShapedArray
from funcad.interpreters.ad_util import Zero, instantiate_zeros
from funcad.interpreters.batching import defbroadcasting, defvectorized
from funcad.interpreters.jvp import defjvp_zero, jvp_rules
from funcad.interpreters.transpose import (
    is_undefined,
    transpose_rules,
)
from funcad.ops._definers import (
    ANY,
    BOOL_OR_INT,
    check_same_dtypes,
    check_same_shapes,
    new_primitive,
    standard_binop,
    standard_unop,
    type_error,
)
from funcad.ops._operands import const_like, lax_args

# --- comparisons ------------------------------------------------------------------------

def eq(x, y):
    return eq_p.bind(*lax_args(x, y))


eq_p = standard_binop("eq", np.equal, ANY, result_dtype=dtypes.bool_)
defbroadcasting(eq_p)
defjvp_zero(eq_p)


def ne(x, y):
    return ne_p.bind(*lax_args(x, y))


ne_p = standard_binop("ne", np.not_equal, ANY, result_dtype=dtypes.bool_)
defbroadcasting(ne_p)
defjvp_zero(ne_p)


def lt(x, y):
    return lt_p.bind(*lax_args(x, y))


lt_p = standard_binop("lt", np.less, "biuf", result_dtype=dtypes.bool_)
defbroadcasting(lt_p)
defjvp_zero(lt_p)


def le(x, y):
    return le_p.bind(*lax_args(x, y))


le_p = standard_binop("le", np.less_equal, "biuf", result_dtype=dtypes.bool_)
defbroadcasting(le_p)
defjvp_zero(le_p)


def gt(x, y):
    return gt_p.bind(*lax_args(x, y))


gt_p = standard_binop("gt", np.greater, "biuf", result_dtype=dtypes.bool_)
defbroadcasting(gt_p)
defjvp_zero(gt_p)


def ge(x, y):
    return ge_p.bind(*lax_args(x, y))


ge_p = standard_binop("ge", np.greater_equal, "biuf", result_dtype=dtypes.bool_)
defbroadcasting(ge_p)
defjvp_zero(ge_p)


# --- logic (bitwise on integers, logical on booleans) ------------------------------------

def bitwise_and(x, y):
    return and_p.bind(*lax_args(x, y))


and_p = standard_binop("and", np.bitwise_and, BOOL_OR_INT)
defbroadcasting(and_p)
defjvp_zero(and_p)


def bitwise_or(x, y):
    return or_p.bind(*lax_args(x, y))


or_p = standard_binop("or", np.bitwise_or, BOOL_OR_INT)
defbroadcasting(or_p)
defjvp_zero(or_p)


def bitwise_xor(x, y):
    return xor_p.bind(*lax_args(x, y))


xor_p = standard_binop("xor", np.bitwise_xor, BOOL_OR_INT)
defbroadcasting(xor_p)
defjvp_zero(xor_p)


def bitwise_not(x):
    return not_p.bind(x)


not_p = standard_unop("not", np.invert, BOOL_OR_INT)
defvectorized(not_p)
defjvp_zero(not_p)


# --- select and casts -------------------------------------------------------------------

def select_n(which, *cases):
    """``cases[which]`` elementwise; ``which`` is boolean (two cases) or int32."""
    return select_n_p.bind(which, *cases)


def _select_n_impl(which, *cases):
    if which.dtype == np.bool_:
        return np.where(which, cases[1], cases[0])
    return np.choose(which, cases)


def _select_n_abstract_eval(which, *cases):
    avals = [which, *cases]
    if not cases:
        raise type_error(select_n_p, avals, "needs at least one case")
    check_same_shapes(select_n_p, cases)
    check_same_dtypes(select_n_p, cases)
    if which.shape != cases[0].shape:
        raise type_error(select_n_p, avals, "the selector must have the shape of the cases")
    if which.dtype == np.bool_:
        if len(cases) > 2:
            raise type_error(select_n_p, avals, "a boolean selector picks between two cases")
    elif which.dtype != np.int32:
        raise type_error(select_n_p, avals, "the selector must be bool or int32")
    return ShapedArray(cases[0].shape, cases[0].dtype, all(c.weak_type for c in cases))


select_n_p = new_primitive("select_n", _select_n_impl, _select_n_abstract_eval)
defbroadcasting(select_n_p)


def _select_n_jvp(primals, tangents):
    which, *cases = primals
    ans = select_n(which, *cases)
    case_tangents = tangents[1:]
    if all(type(t) is Zero for t in case_tangents):
        return ans, Zero.like(ans)
    return ans, select_n(which, *map(instantiate_zeros, case_tangents))


def _select_n_transpose(ct, which, *cases):
    if is_undefined(which):
        raise NotImplementedError("transpose of select_n in its selector (not linear)")
    zeros = const_like(ct, 0)
    return [None] + [
        select_n(which, *[ct if j == i else zeros for j in range(len(cases))])
        if is_undefined(c) else None
        for i, c in enumerate(cases)
    ]


jvp_rules[select_n_p] = _select_n_jvp
transpose_rules[select_n_p] = _select_n_transpose


def convert_element_type(operand, new_dtype, *, weak_type: bool = False):
    return convert_element_type_p.bind(
        operand, new_dtype=np.dtype(new_dtype), weak_type=bool(weak_type)
    )


def _convert_impl(x, *, new_dtype, weak_type):
    return x.astype(new_dtype)


def _convert_abstract_eval(x, *, new_dtype, weak_type):
    if x.dtype.kind == "c" and new_dtype.kind != "c":
        raise type_error(
            convert_element_type_p, [x], f"cannot convert complex to {new_dtype.name}; take .real"
        )
    return ShapedArray(x.shape, new_dtype, weak_type)


convert_element_type_p = new_primitive(
    "convert_element_type", _convert_impl, _convert_abstract_eval
)
defvectorized(convert_element_type_p)


def _convert_jvp(primals, tangents, *, new_dtype, weak_type):
    (x,), (t,) = primals, tangents
    ans = convert_element_type(x, new_dtype, weak_type=weak_type)
    if type(t) is Zero or new_dtype.kind not in "fc":
        return ans, Zero.like(ans)
    return ans, convert_element_type(t, new_dtype)


def _convert_transpose(ct, x, *, new_dtype, weak_type):
    return [convert_element_type(ct, x.aval.dtype)]


jvp_rules[convert_element_type_p] = _convert_jvp
transpose_rules[convert_element_type_p] = _convert_transpose
