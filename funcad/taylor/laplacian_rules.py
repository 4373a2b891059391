"""Forward-Laplacian rules, written once per family, and the generic rule every other
primitive gets from its Taylor rule.

An operand is ``(value, jac, second, diag)`` (see ``laplacian_trace``); a rule returns the
same for its result (a list of them for several results). ``mode`` is ``"laplacian"``
(second: ``sum_i d2/dx_i2``, the value's shape) or ``"diag"`` (second: ``(n, *shape)``).

- elementwise (one or two operands): the first and second partial derivatives, from a jet
  of order 2 of the primitive, combine the operands' parts; a diagonal Jacobian stays
  diagonal (the sparsity the elementwise structure keeps).
- linear: the primitive applied to the Jacobian rows and to the second-order parts.
- bilinear ``B``: ``d2 B(a, b) = B(d2 a, b) + B(a, d2 b) + 2 B(da, db)``.
- any other primitive: a jet of order 2 along each input direction (vmapped over the ``n``
  directions), plus its first derivative applied to the Laplacian.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from funcad.core.rules import taylor_rules
from funcad.core.symbolic import is_differentiable_dtype
from funcad.core.trace import get_aval
from funcad.interpreters.subjaxpr import vmap_flat
from funcad.ops._base import add_any, broadcast_in_dim, moveaxis, reduce_sum, reshape, zeros_of
from funcad.ops._operands import const_like
from funcad.ops.arithmetic import mul
from funcad.ops.linalg import dot_general_p
from funcad.taylor.elementwise import ELEMENTWISE
from funcad.taylor.jet_trace import jet_flat
from funcad.taylor.series import scale

LAPLACIAN = "laplacian"


def _add(x, y):
    if x is None:
        return y
    if y is None:
        return x
    return add_any(x, y)


def _rows(x, like_rows):
    """``x`` (a value's shape) broadcast against rows ``(n, *shape)``."""
    shape = get_aval(like_rows).shape
    return broadcast_in_dim(x, shape, tuple(range(1, len(shape))))


def _zeros(x):
    return zeros_of(get_aval(x).strip_weak_type())


def dense_jac(d, n: int):
    """The ``(n, *shape)`` Jacobian whose diagonal (over the flattened value) is ``d``."""
    aval = get_aval(d)
    eye = np.eye(n, dtype=aval.dtype)
    flat = broadcast_in_dim(reshape(d, (n,)), (n, n), (1,))
    return reshape(mul(eye, flat), (n, *aval.shape))


def densify(op, mode: str, n: int):
    """An operand with a dense Jacobian (and second-order part of the mode)."""
    value, jac, second, diag = op
    if not diag:
        return op
    if second is not None and mode != LAPLACIAN:
        second = dense_jac(second, n)
    return value, dense_jac(jac, n), second, False


# --- elementwise ------------------------------------------------------------------------------

def _partials(primitive, values, direction, params):
    """First and second derivatives of an elementwise primitive along ``direction`` (one
    bool per operand)."""
    series = [[const_like(v, 1.0), None] if d else None for v, d in zip(values, direction)]
    (y,), (s,) = jet_flat(lambda *xs: [primitive.bind(*xs, **params)], values, series, 2)
    s = [None, None] if s is None else s
    return _or_zeros(s[0], y), _or_zeros(scale(s[1], 2.0), y)


def _or_zeros(x, like):
    return _zeros(like) if x is None else x


def elementwise_rule(primitive) -> Callable:
    def rule(ops, mode, n, params):  # params: the equation's own (they may hold a "mode")
        values = [op[0] for op in ops]
        y = primitive.bind(*values, **params)
        if not is_differentiable_dtype(get_aval(y).dtype):
            return y, None, None, False
        moving = [op[1] is not None for op in ops]
        diag = all(op[3] for op, m in zip(ops, moving) if m)
        if not diag:
            ops = [densify(op, mode, n) if m else op for op, m in zip(ops, moving)]
        idx = [i for i, m in enumerate(moving) if m]
        first, hess = {}, {}
        for i in idx:
            first[i], hess[i, i] = _partials(primitive, values, [j == i for j in range(len(ops))],
                                             params)
        if len(idx) == 2:  # the mixed partial from the jet along (1, 1)
            _, both = _partials(primitive, values, [True, True], params)
            i, j = idx
            hess[i, j] = scale(add_any(both, scale(add_any(hess[i, i], hess[j, j]), -1.0)), 0.5)
        lift = (lambda x: x) if diag else (lambda x: _rows(x, ops[idx[0]][1]))
        jac, second = None, None
        for i in idx:
            jac = _add(jac, mul(lift(first[i]), ops[i][1]))
            if ops[i][2] is not None:
                s_lift = lift if mode != LAPLACIAN else (lambda x: x)
                second = _add(second, mul(s_lift(first[i]), ops[i][2]))
        for (i, j), h in hess.items():
            c = 1.0 if i == j else 2.0
            prod = mul(ops[i][1], ops[j][1])
            if not diag and mode == LAPLACIAN:
                term = mul(h, reduce_sum(prod, (0,)))
            else:
                term = mul(lift(h), prod)
            second = _add(second, scale(term, c))
        return y, jac, second, diag

    return rule


# --- linear and bilinear ------------------------------------------------------------------------

def _batched(fun, n, args):
    """``fun`` mapped over the leading axis of the arguments that are not ``(x, None)``."""
    dims = [None if batched is None else 0 for _, batched in args]
    vals = [x if b is None else b for x, b in args]
    return vmap_flat(lambda *xs: [fun(*xs)], n, dims, vals)[0]


def linear_rule(primitive) -> Callable:
    def rule(ops, mode, n, params):  # params: the equation's own (they may hold a "mode")
        ops = [densify(op, mode, n) for op in ops]
        y = primitive.bind(*[op[0] for op in ops], **params)

        def bind(*xs):
            return primitive.bind(*xs, **params)

        if not is_differentiable_dtype(get_aval(y).dtype):
            return y, None, None, False
        # operands that do not move: zeros if floating, else (indices, masks) themselves
        fixed = [_zeros(op[0]) if is_differentiable_dtype(get_aval(op[0]).dtype) else op[0]
                 for op in ops]
        jac = _batched(bind, n, [(f, op[1]) for f, op in zip(fixed, ops)])
        second = None
        if any(op[2] is not None for op in ops):
            if mode == LAPLACIAN:
                second = bind(*[f if op[2] is None else op[2] for f, op in zip(fixed, ops)])
            else:
                second = _batched(bind, n, [(f, op[2]) for f, op in zip(fixed, ops)])
        return y, jac, second, False

    return rule


def _diag_vector_contraction(primitive, ops, params):
    """``dot_general`` of a vector with a diagonal Jacobian, contracted on its only axis,
    with an operand that does not move (``x @ W``, ``A @ x``): row ``i`` of the result's
    Jacobian is ``d_i`` times slice ``i`` of the other operand along the contracted axis,
    so no ``n x n`` identity is multiplied. Returns the side of the vector, or None."""
    if primitive is not dot_general_p:
        return None
    (lc, _), (lb, rb) = params["dimension_numbers"]
    if lb or rb or len(lc) != 1:
        return None
    for side in (0, 1):
        vec, other = ops[side], ops[1 - side]
        if vec[3] and other[1] is None and get_aval(vec[0]).ndim == 1:
            return side
    return None


def _rows_times(d, other, axis: int):
    """``d[i] * moveaxis(other, axis, 0)[i]`` for every ``i``."""
    rows = moveaxis(other, axis, 0)
    shape = get_aval(rows).shape
    return mul(broadcast_in_dim(d, shape, (0,)), rows)


def bilinear_rule(primitive) -> Callable:
    def rule(ops, mode, n, params):  # params: the equation's own (they may hold a "mode")
        side = _diag_vector_contraction(primitive, ops, params)
        if side is not None:
            (lc, rc), _ = params["dimension_numbers"]
            other, axis = ops[1 - side][0], (rc if side == 0 else lc)[0]
            y = primitive.bind(ops[0][0], ops[1][0], **params)
            jac = _rows_times(ops[side][1], other, axis)
            s = ops[side][2]
            if s is None:
                return y, jac, None, False
            if mode == LAPLACIAN:
                args = [s, other] if side == 0 else [other, s]
                return y, jac, primitive.bind(*args, **params), False
            return y, jac, _rows_times(s, other, axis), False
        (a, ja, sa, _), (b, jb, sb, _) = [densify(op, mode, n) for op in ops]
        y = primitive.bind(a, b, **params)

        def bind(x, z):
            return primitive.bind(x, z, **params)

        jac, second = None, None
        if ja is not None:
            jac = _batched(bind, n, [(a, ja), (b, None)])
        if jb is not None:
            jac = _add(jac, _batched(bind, n, [(a, None), (b, jb)]))
        for s, args in ((sa, [(a, sa), (b, None)]), (sb, [(a, None), (b, sb)])):
            if s is not None:
                term = bind(*[x if t is None else t for x, t in args]) if mode == LAPLACIAN \
                    else _batched(bind, n, args)
                second = _add(second, term)
        if ja is not None and jb is not None:
            cross = _batched(bind, n, [(a, ja), (b, jb)])
            cross = reduce_sum(cross, (0,)) if mode == LAPLACIAN else cross
            second = _add(second, scale(cross, 2.0))
        return y, jac, second, False

    return rule


def zero_rule(primitive) -> Callable:
    def rule(ops, mode, n, params):  # params: the equation's own (they may hold a "mode")
        y = primitive.bind(*[op[0] for op in ops], **params)
        if primitive.multiple_results:
            return [(o, None, None, False) for o in y]
        return y, None, None, False

    return rule


# --- any other primitive ------------------------------------------------------------------------

def generic_rule(primitive) -> Callable:
    """Along each direction ``i``: the jet ``x + J_i t + (D_i / 2) t^2`` gives
    ``J_y,i = y_1`` and ``D_y,i = 2 y_2``. In Laplacian mode the directions carry no second
    part; ``f'(x) L`` (a jet of order 1 along the Laplacians) is added once."""
    multiple = primitive.multiple_results

    def rule(ops, mode, n, params):  # params: the equation's own (they may hold a "mode")
        ops = [densify(op, mode, n) for op in ops]
        values = [op[0] for op in ops]
        moving = [op[1] is not None for op in ops]

        def along(*dirs):
            it = iter(dirs)
            series = []
            for op, m in zip(ops, moving):
                if not m:
                    series.append(None)
                    continue
                j = next(it)
                s = next(it) if mode != LAPLACIAN and op[2] is not None else None
                series.append([j, scale(s, 0.5)])
            outs, out_series = jet_flat(lambda *xs: _as_list(primitive.bind(*xs, **params)),
                                        values, series, 2)
            res = []
            for o, s in zip(outs, out_series):
                s = [None, None] if s is None else s
                res += [_or_zeros(s[0], o), _or_zeros(scale(s[1], 2.0), o)]
            return res

        dirs = []
        for op, m in zip(ops, moving):
            if m:
                dirs.append(op[1])
                if mode != LAPLACIAN and op[2] is not None:
                    dirs.append(op[2])
        batched = vmap_flat(along, n, [0] * len(dirs), dirs)
        ys = _as_list(primitive.bind(*values, **params))
        if mode == LAPLACIAN and any(op[2] is not None for op in ops):
            lap_series = [None if op[2] is None else [op[2]] for op in ops]
            _, lap_terms = jet_flat(lambda *xs: _as_list(primitive.bind(*xs, **params)),
                                    values, lap_series, 1)
        else:
            lap_terms = [None] * len(ys)
        outs = []
        for k, y in enumerate(ys):
            if not is_differentiable_dtype(get_aval(y).dtype):
                outs.append((y, None, None, False))
                continue
            jac, second = batched[2 * k], batched[2 * k + 1]
            if mode == LAPLACIAN:
                second = reduce_sum(second, (0,))
                if lap_terms[k] is not None and lap_terms[k][0] is not None:
                    second = add_any(second, lap_terms[k][0])
            outs.append((y, jac, second, False))
        return outs if multiple else outs[0]

    return rule


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


_FAMILIES = {"linear": linear_rule, "bilinear": bilinear_rule, "zero": zero_rule,
             "elementwise": elementwise_rule}


def laplacian_rule_for(primitive) -> Callable:
    """The forward-Laplacian rule of ``primitive``: its family's, or the generic one."""
    if primitive in ELEMENTWISE:
        return elementwise_rule(primitive)
    family = _FAMILIES.get(taylor_rules.get(primitive))
    return family(primitive) if family is not None else generic_rule(primitive)


def uses_generic_laplacian(primitive) -> bool:
    return primitive not in ELEMENTWISE and taylor_rules.get(primitive) not in _FAMILIES


__all__ = ["laplacian_rule_for", "uses_generic_laplacian"]
