"""Elementwise comparisons and bitwise/logical operations (selection and dtype conversion,
which the machinery needs, are in ``funcad.ops._base``).

Each primitive is one block: wrapper -> primitive (impl + shape/dtype rule) -> rules of the
transforms. Comparisons and logic have zero derivatives.
"""
from __future__ import annotations

import operator

import numpy as np

from funcad.core import dtypes
from funcad.core.rules import Infix, Prec, commutative, explain_notation
from funcad.ops._base import defjvp_zero
from funcad.ops._definers import standard_binop, standard_unop
from funcad.ops._kernels import defkernel, fixed_kernel
from funcad.ops._operands import lax_args
from funcad.ops._shapes import (
    ANY,
    BOOL_OR_INT,
)

# --- comparisons ------------------------------------------------------------------------

def eq(x, y):
    return eq_p.bind(*lax_args(x, y))


eq_p = standard_binop("eq", np.equal, ANY, result_dtype=dtypes.bool_)
commutative.add(eq_p)
defjvp_zero(eq_p)
defkernel(eq_p, fixed_kernel(operator.eq))
explain_notation[eq_p] = Infix("==", Prec.CMP)


def ne(x, y):
    return ne_p.bind(*lax_args(x, y))


ne_p = standard_binop("ne", np.not_equal, ANY, result_dtype=dtypes.bool_)
commutative.add(ne_p)
defjvp_zero(ne_p)
defkernel(ne_p, fixed_kernel(operator.ne))
explain_notation[ne_p] = Infix("!=", Prec.CMP)


def lt(x, y):
    return lt_p.bind(*lax_args(x, y))


lt_p = standard_binop("lt", np.less, "biuf", result_dtype=dtypes.bool_)
defjvp_zero(lt_p)
defkernel(lt_p, fixed_kernel(operator.lt))
explain_notation[lt_p] = Infix("<", Prec.CMP)


def le(x, y):
    return le_p.bind(*lax_args(x, y))


le_p = standard_binop("le", np.less_equal, "biuf", result_dtype=dtypes.bool_)
defjvp_zero(le_p)
defkernel(le_p, fixed_kernel(operator.le))
explain_notation[le_p] = Infix("<=", Prec.CMP)


def gt(x, y):
    return gt_p.bind(*lax_args(x, y))


gt_p = standard_binop("gt", np.greater, "biuf", result_dtype=dtypes.bool_)
defjvp_zero(gt_p)
defkernel(gt_p, fixed_kernel(operator.gt))
explain_notation[gt_p] = Infix(">", Prec.CMP)


def ge(x, y):
    return ge_p.bind(*lax_args(x, y))


ge_p = standard_binop("ge", np.greater_equal, "biuf", result_dtype=dtypes.bool_)
defjvp_zero(ge_p)
defkernel(ge_p, fixed_kernel(operator.ge))
explain_notation[ge_p] = Infix(">=", Prec.CMP)


# --- logic (bitwise on integers, logical on booleans) ------------------------------------

def bitwise_and(x, y):
    return and_p.bind(*lax_args(x, y))


and_p = standard_binop("and", np.bitwise_and, BOOL_OR_INT)
commutative.add(and_p)
defjvp_zero(and_p)


def bitwise_or(x, y):
    return or_p.bind(*lax_args(x, y))


or_p = standard_binop("or", np.bitwise_or, BOOL_OR_INT)
commutative.add(or_p)
defjvp_zero(or_p)


def bitwise_xor(x, y):
    return xor_p.bind(*lax_args(x, y))


xor_p = standard_binop("xor", np.bitwise_xor, BOOL_OR_INT)
commutative.add(xor_p)
defjvp_zero(xor_p)


def bitwise_not(x):
    return not_p.bind(x)


not_p = standard_unop("not", np.invert, BOOL_OR_INT)
defjvp_zero(not_p)
