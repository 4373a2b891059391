"""Linear-algebra primitives: ``dot_general``, ``cholesky``, ``triangular_solve``, ``lu``.

Signatures follow ``jax.lax`` / ``jax.lax.linalg``. Each primitive is one block: wrapper ->
primitive (impl + shape/dtype rule) -> transform rules. Implementations use NumPy only.
Matrix primitives act on the last two axes; leading axes are batch axes (equal on every
operand: ``funcad.numpy`` broadcasts first).
"""
from __future__ import annotations

import functools
import math
import warnings

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.core.rules import Contraction, batch_rules, explain_notation, jvp_rules, transpose_rules
from funcad.core.symbolic import Zero, is_undefined, not_mapped
from funcad.core.trace import get_aval
from funcad.ops import _base as base
from funcad.ops import _matrix_helpers as mh
from funcad.ops import arithmetic as ar
from funcad.ops import logical as lg
from funcad.ops import slicing as sl
from funcad.ops import structural as st
from funcad.ops._base import bdim_at, defbilinear, defjvp2, moveaxis, shift_axes
from funcad.ops._kernels import defkernel
from funcad.ops._operands import const_like
from funcad.ops._shapes import ANY, INEXACT, check_kind, new_primitive, type_error


def _ints(xs) -> tuple[int, ...]:
    return tuple(int(x) for x in xs)


def _prod(xs) -> int:
    return math.prod(xs)


# --- dot_general -----------------------------------------------------------------------------

def dot_general(lhs, rhs, dimension_numbers, preferred_element_type=None):
    """Contract ``lhs`` and ``rhs``; ``dimension_numbers`` is
    ``((lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch))``.

    The result has the batch axes, then ``lhs``'s free axes, then ``rhs``'s free axes.
    """
    (lc, rc), (lb, rb) = dimension_numbers
    dims = ((_ints(lc), _ints(rc)), (_ints(lb), _ints(rb)))
    pref = None if preferred_element_type is None else np.dtype(preferred_element_type)
    return dot_general_p.bind(lhs, rhs, dimension_numbers=dims, preferred_element_type=pref)


def _free_axes(ndim: int, *used) -> list[int]:
    taken = set().union(*used)
    return [i for i in range(ndim) if i not in taken]


@functools.lru_cache(maxsize=1024)
def _dot_plan(xshape, yshape, dimension_numbers):
    """How to run one ``dot_general`` as a single (batched) matmul: the permutations (None
    when already in order) and matrix shapes of both operands, and the result's shape."""
    (lc, rc), (lb, rb) = dimension_numbers
    if len(lc + lb) != len(rc + rb) or any(
        xshape[i] != yshape[j] for i, j in zip(lc + lb, rc + rb)
    ):
        raise ValueError("dot_general")  # reshapes could silently succeed; the rule explains
    lf, rf = _free_axes(len(xshape), lc, lb), _free_axes(len(yshape), rc, rb)
    batch = [xshape[i] for i in lb]
    lfree, rfree = [xshape[i] for i in lf], [yshape[i] for i in rf]
    csize = _prod(xshape[i] for i in lc)
    lead = (_prod(batch),) if lb else ()
    perm_x, perm_y = [*lb, *lf, *lc], [*rb, *rc, *rf]
    shape_x, shape_y = (*lead, _prod(lfree), csize), (*lead, csize, _prod(rfree))
    out_shape = (*batch, *lfree, *rfree)
    in_order_x, in_order_y = perm_x == sorted(perm_x), perm_y == sorted(perm_y)
    # None marks a step that is not needed (already in order / in shape).
    return (
        None if in_order_x else tuple(perm_x),
        None if in_order_x and shape_x == xshape else shape_x,
        None if in_order_y else tuple(perm_y),
        None if in_order_y and shape_y == yshape else shape_y,
        None if out_shape == (*lead, shape_x[-2], shape_y[-1]) else out_shape,
    )


def _dot_general_impl(x, y, *, dimension_numbers, preferred_element_type):
    if x.dtype != y.dtype:
        raise TypeError("dot_general")  # apply_impl re-raises it as the shape rule's error
    if preferred_element_type is not None and preferred_element_type != x.dtype:
        x, y = x.astype(preferred_element_type), y.astype(preferred_element_type)
    perm_x, shape_x, perm_y, shape_y, out_shape = _dot_plan(x.shape, y.shape, dimension_numbers)
    # Transpose + reshape to one (batched) BLAS matmul; np.matmul handles transposed views
    # without copying (np.dot does not).
    if perm_x is not None:
        x = x.transpose(perm_x)
    if perm_y is not None:
        y = y.transpose(perm_y)
    out = np.matmul(x if shape_x is None else x.reshape(shape_x),
                    y if shape_y is None else y.reshape(shape_y))
    return out if out_shape is None else out.reshape(out_shape)


def _check_dims(x: ShapedArray, axes, what: str, avals) -> None:
    if any(not 0 <= a < x.ndim for a in axes):
        raise type_error(dot_general_p, avals, f"{what} axes {axes} out of range for rank {x.ndim}")


def _dot_general_abstract_eval(x, y, *, dimension_numbers, preferred_element_type):
    avals = [x, y]
    check_kind(dot_general_p, avals, ANY)
    if x.dtype != y.dtype:
        raise type_error(dot_general_p, avals, "operands must have equal dtypes")
    (lc, rc), (lb, rb) = dimension_numbers
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise type_error(
            dot_general_p, avals,
            f"unequal numbers of contracting {(lc, rc)} or batch {(lb, rb)} axes",
        )
    for axes, op, what in ((lc, x, "lhs contracting"), (lb, x, "lhs batch"),
                           (rc, y, "rhs contracting"), (rb, y, "rhs batch")):
        _check_dims(op, axes, what, avals)
    if len(set(lc + lb)) != len(lc + lb) or len(set(rc + rb)) != len(rc + rb):
        raise type_error(dot_general_p, avals, f"repeated axes in {dimension_numbers}")
    for i, j in zip(lc + lb, rc + rb):
        if x.shape[i] != y.shape[j]:
            raise type_error(
                dot_general_p, avals, f"lhs axis {i} (size {x.shape[i]}) and rhs axis {j} "
                f"(size {y.shape[j]}) are paired in {dimension_numbers} but differ in size"
            )
    shape = ([x.shape[i] for i in lb] + [x.shape[i] for i in _free_axes(x.ndim, lc, lb)]
             + [y.shape[i] for i in _free_axes(y.ndim, rc, rb)])
    if preferred_element_type is None:
        return ShapedArray(shape, x.dtype, x.weak_type and y.weak_type)
    return ShapedArray(shape, preferred_element_type)


dot_general_p = new_primitive("dot_general", _dot_general_impl, _dot_general_abstract_eval)


def _dot_transpose_operand(ct, own, other, own_dims, other_dims, own_ct_free, other_ct_free):
    """The cotangent of one operand (``own``, linear) of a ``dot_general`` whose other
    operand is ``other``: one ``dot_general`` of ``ct`` with ``other`` that contracts the
    other operand's free axes and batches the batch axes, then at most one transpose.

    ``*_dims`` are ``(contracting, batch)`` axes of each operand; ``*_ct_free`` are the axes
    of ``ct`` holding each operand's free axes. Of ``dot(ct, other)`` and ``dot(other, ct)``
    the one whose result is already in ``own``'s axis order is taken when there is one.
    """
    (own_c, own_b), (oth_c, oth_b) = own_dims, other_dims
    own_ndim, oth_ndim = own.aval.ndim, get_aval(other).ndim
    own_free = _free_axes(own_ndim, own_c, own_b)
    oth_free = _free_axes(oth_ndim, oth_c, oth_b)
    ct_batch = tuple(range(len(own_b)))
    # own_c in the order the other operand's contracting axes come out of the product.
    own_c_out = [own_c[k] for k in sorted(range(len(oth_c)), key=lambda k: oth_c[k])]
    dtype = get_aval(other).dtype
    if get_aval(ct).dtype != dtype:  # a preferred_element_type: back to the operands' dtype
        ct = base.convert_element_type(ct, dtype)
    ct_first = [*own_b, *own_free, *own_c_out]
    other_first = [*own_b, *own_c_out, *own_free]
    if other_first == sorted(other_first) and ct_first != sorted(ct_first):
        out = dot_general(other, ct, ((tuple(oth_free), tuple(other_ct_free)),
                                      (tuple(oth_b), ct_batch)))
        order = other_first
    else:
        out = dot_general(ct, other, ((tuple(other_ct_free), tuple(oth_free)),
                                      (ct_batch, tuple(oth_b))))
        order = ct_first
    return base.transpose(out, np.argsort(order))


def _dot_general_transpose(ct, x, y, *, dimension_numbers, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    if is_undefined(x) and is_undefined(y):
        raise NotImplementedError("transpose of dot_general with both operands linear")
    nb = len(lb)
    x_ndim = x.aval.ndim if is_undefined(x) else get_aval(x).ndim
    nxf = x_ndim - len(lc) - nb
    ct_ndim = get_aval(ct).ndim
    x_ct_free, y_ct_free = range(nb, nb + nxf), range(nb + nxf, ct_ndim)
    if is_undefined(x):
        return [_dot_transpose_operand(ct, x, y, (lc, lb), (rc, rb), x_ct_free, y_ct_free), None]
    return [None, _dot_transpose_operand(ct, y, x, (rc, rb), (lc, lb), y_ct_free, x_ct_free)]


def _dot_general_batch(vals, dims, *, dimension_numbers, preferred_element_type):
    # Both batched: one more batch axis pair (the output's axis 0). One batched: its batch
    # axis is one more free axis, which comes out where the output has that operand's free
    # axes. No operand is moved.
    (x, y), (dx, dy) = vals, dims
    (lc, rc), (lb, rb) = dimension_numbers
    params = {"preferred_element_type": preferred_element_type}
    if dx is not not_mapped and dy is not not_mapped:
        dn = ((shift_axes(lc, dx), shift_axes(rc, dy)),
              ((dx, *shift_axes(lb, dx)), (dy, *shift_axes(rb, dy))))
        return dot_general_p.bind(x, y, dimension_numbers=dn, **params), 0
    if dx is not not_mapped:
        lc2, lb2 = shift_axes(lc, dx), shift_axes(lb, dx)
        dn = ((lc2, rc), (lb2, rb))
        out_d = len(lb) + _free_axes(get_aval(x).ndim, lc2, lb2).index(dx)
    else:
        rc2, rb2 = shift_axes(rc, dy), shift_axes(rb, dy)
        dn = ((lc, rc2), (lb, rb2))
        nxf = get_aval(x).ndim - len(lc) - len(lb)
        out_d = len(lb) + nxf + _free_axes(get_aval(y).ndim, rc2, rb2).index(dy)
    return dot_general_p.bind(x, y, dimension_numbers=dn, **params), out_d


defbilinear(dot_general_p, _dot_general_transpose)
batch_rules[dot_general_p] = _dot_general_batch
defkernel(dot_general_p, fresh=True)
explain_notation[dot_general_p] = Contraction("dot")


# --- shared checks of the matrix primitives --------------------------------------------------

def _check_square(prim, x: ShapedArray, avals) -> int:
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise type_error(prim, avals, "expects square matrices in the last two axes")
    return x.shape[-1]


# --- shared helpers of the matrix rules (funcad.ops._matrix_helpers) ---------------------------

_triangle_mask, _diagonal_mask, _band, _eye = mh.triangle_mask, mh.diagonal_mask, mh.band, mh.eye
_swap_last, _no_complex, _batch_leading = mh.swap_last, mh.no_complex, mh.batch_leading


def _matmul(a, b):
    """``a @ b`` over matching leading batch axes."""
    nd = get_aval(a).ndim
    batch = tuple(range(nd - 2))
    return dot_general(a, b, (((nd - 1,), (nd - 2,)), (batch, batch)))


# --- cholesky --------------------------------------------------------------------------------

def cholesky(x):
    """The lower Cholesky factor of each (Hermitian positive-definite) matrix in ``x``.

    Only the lower triangle is read. A matrix that is not positive definite gets a factor
    of NaNs (as XLA), so traced and eager programs agree.
    """
    return cholesky_p.bind(x)


def _cholesky_impl(x):
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError("cholesky")
    try:
        return np.linalg.cholesky(x)
    except np.linalg.LinAlgError:
        n = x.shape[-1]
        flat = x.reshape(_prod(x.shape[:-2]), n, n)
        out = np.empty_like(flat)
        for i, m in enumerate(flat):
            try:
                out[i] = np.linalg.cholesky(m)
            except np.linalg.LinAlgError:
                out[i] = np.nan
        return out.reshape(x.shape)


def _cholesky_abstract_eval(x):
    check_kind(cholesky_p, [x], INEXACT)
    _check_square(cholesky_p, x, [x])
    return x.strip_weak_type()


cholesky_p = new_primitive("cholesky", _cholesky_impl, _cholesky_abstract_eval)


def _cholesky_jvp(t, L, x):
    # Only the lower triangle (and the real part of the diagonal) is read, so the tangent
    # is the Hermitian matrix it stands for.
    del x
    return cholesky_tangent(L, mh.hermitian_from_triangle(t, lower=True))


def cholesky_tangent(L, dA):
    """``dL = L Phi(L^-1 dA L^-H)`` (``Phi``: the lower triangle with halved diagonal), the
    tangent of the factor ``L`` along the matrix ``dA``."""
    tmp = triangular_solve(L, dA, left_side=True, lower=True)
    inner = triangular_solve(L, tmp, left_side=False, lower=True, transpose_a=True,
                             conjugate_a=True)
    halves = base.select_n(_diagonal_mask(get_aval(dA).shape), const_like(dA, 1),
                           const_like(dA, 0.5))
    return _matmul(L, ar.mul(_band(inner, lower=True), halves))


defjvp2(cholesky_p, _cholesky_jvp)


def _cholesky_batch(vals, dims):
    x, d = _batch_leading(vals, dims)
    return cholesky(x), d


batch_rules[cholesky_p] = _cholesky_batch


# --- triangular_solve ------------------------------------------------------------------------

def triangular_solve(a, b, *, left_side=False, lower=False, transpose_a=False,
                     conjugate_a=False, unit_diagonal=False):
    """Solve ``op(a) @ x = b`` (``left_side``) or ``x @ op(a) = b`` for triangular ``a``.

    ``op`` transposes and/or conjugates ``a``; only the triangle named by ``lower`` is read
    and, with ``unit_diagonal``, not its diagonal. ``a`` is ``[..., m, m]``; ``b`` is
    ``[..., m, n]`` when ``left_side`` else ``[..., n, m]``, with the same batch axes.
    """
    return triangular_solve_p.bind(
        a, b, left_side=bool(left_side), lower=bool(lower), transpose_a=bool(transpose_a),
        conjugate_a=bool(conjugate_a), unit_diagonal=bool(unit_diagonal),
    )


def _substitute(t, b, lower: bool):
    """Forward (``lower``) or back substitution, one row at a time, vectorized over the
    batch and the right-hand sides; a zero pivot gives inf/NaN as in XLA."""
    m = t.shape[-1]
    x = np.zeros(b.shape, dtype=np.result_type(t, b))
    for i in range(m) if lower else range(m - 1, -1, -1):
        done = slice(0, i) if lower else slice(i + 1, m)
        r = b[..., i, :] - (t[..., i : i + 1, done] @ x[..., done, :])[..., 0, :]
        x[..., i, :] = r / t[..., i, i][..., None]
    return x


def _triangular_solve_impl(a, b, *, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    if (a.dtype != b.dtype or a.dtype.kind not in INEXACT or a.ndim != b.ndim
            or a.shape[:-2] != b.shape[:-2] or a.shape[-1] != a.shape[-2]):
        raise TypeError("triangular_solve")  # np.linalg.solve would broadcast or promote
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        idx = np.arange(t.shape[-1])
        t[..., idx, idx] = 1
    if transpose_a:
        t = np.swapaxes(t, -1, -2)
    if conjugate_a:
        t = np.conj(t)
    if not left_side:  # x @ t = b  <=>  t^T @ x^T = b^T
        t, b = np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2)
    if 0 in t.shape or 0 in b.shape:
        x = np.zeros(b.shape, a.dtype)
    else:
        import scipy.linalg

        try:  # LAPACK's trsm (batched by SciPy); a zero pivot raises
            x = scipy.linalg.solve_triangular(
                t, b, lower=lower ^ transpose_a ^ (not left_side), check_finite=False)
        except np.linalg.LinAlgError:  # a zero pivot: substitute, giving inf/NaN
            with np.errstate(divide="ignore", invalid="ignore"):
                x = _substitute(t, b, lower ^ transpose_a ^ (not left_side))
    return x if left_side else np.swapaxes(x, -1, -2)


def _triangular_solve_abstract_eval(a, b, *, left_side, lower, transpose_a, conjugate_a,
                                    unit_diagonal):
    avals = [a, b]
    check_kind(triangular_solve_p, avals, INEXACT)
    if a.dtype != b.dtype:
        raise type_error(triangular_solve_p, avals, "operands must have equal dtypes")
    m = _check_square(triangular_solve_p, a, avals)
    if b.ndim != a.ndim or b.shape[:-2] != a.shape[:-2]:
        raise type_error(triangular_solve_p, avals, "a and b must have the same batch axes")
    side = b.shape[-2] if left_side else b.shape[-1]
    if side != m:
        which = "rows" if left_side else "columns"
        raise type_error(
            triangular_solve_p, avals, f"b has {side} {which} but a is {m}x{m} "
            f"(left_side={left_side})"
        )
    return b.strip_weak_type()


triangular_solve_p = new_primitive(
    "triangular_solve", _triangular_solve_impl, _triangular_solve_abstract_eval
)


def _triangular_solve_jvp_a(t, x, a, b, *, left_side, lower, transpose_a, conjugate_a,
                            unit_diagonal):
    # d(op(A)^-1 B) = -op(A)^-1 op(dA) X (left side; X op(dA) op(A)^-1 on the right), where
    # dA is the tangent's triangle that is read.
    dt = _band(t, lower, strict=unit_diagonal)
    if conjugate_a:  # op conjugates dA as it does A
        dt = mh.conj_if_complex(dt)
    nd = get_aval(a).ndim
    batch = tuple(range(nd - 2))
    if left_side:  # op(dA) @ X, contracting dA's column axis (its row axis if transposed)
        ca = nd - 2 if transpose_a else nd - 1
        prod = dot_general(dt, x, (((ca,), (nd - 2,)), (batch, batch)))
    else:  # X @ op(dA), contracting dA's row axis (its column axis if transposed)
        ca = nd - 1 if transpose_a else nd - 2
        prod = dot_general(x, dt, (((nd - 1,), (ca,)), (batch, batch)))
    # The sign goes on the right-hand side: transposed, this solve then reads the same
    # cotangent as the solve of b's tangent, and CSE keeps one of the two.
    return triangular_solve(a, ar.neg(prod), left_side=left_side, lower=lower,
                            transpose_a=transpose_a, conjugate_a=conjugate_a,
                            unit_diagonal=unit_diagonal)


def _triangular_solve_transpose(ct, a, b, **params):
    # Linear in b: B -> op(A)^-1 B transposes to C -> op(A)^-T C (the plain transpose, as
    # JAX's convention for complex-linear maps: conjugate_a is kept as it is).
    if is_undefined(a):
        raise NotImplementedError("transpose of triangular_solve in its matrix (not linear)")
    return [None, triangular_solve(a, ct, **dict(params, transpose_a=not params["transpose_a"]))]


def _triangular_solve_batch(vals, dims, **params):
    (a, b), (da, db) = vals, dims
    if da is not_mapped:
        # Fold the batch axis into b's free axis (its columns on the left side, its rows on
        # the right) instead of broadcasting a: one solve with more right-hand sides.
        r = get_aval(b).ndim - 1
        pos = r - 1 if params["left_side"] else r - 2
        b = moveaxis(b, db, pos)
        shape = get_aval(b).shape
        x = triangular_solve(a, base.reshape(b, _fold_shape(shape, pos)), **params)
        return base.reshape(x, shape), pos
    size = get_aval(a).shape[da]
    # A batch axis already among a's leading (batch) axes stays there; else both go to 0.
    d = da if da <= get_aval(a).ndim - 3 and db in (da, not_mapped) else 0
    return triangular_solve(moveaxis(a, da, d), bdim_at(b, db, d, size), **params), d


def _fold_shape(shape, pos: int) -> tuple[int, ...]:
    """``shape`` with axes ``pos`` and ``pos + 1`` merged."""
    return (*shape[:pos], shape[pos] * shape[pos + 1], *shape[pos + 2:])


defjvp2(
    triangular_solve_p,
    _triangular_solve_jvp_a,
    lambda t, x, a, b, **params: triangular_solve(a, t, **params),
)
transpose_rules[triangular_solve_p] = _triangular_solve_transpose
batch_rules[triangular_solve_p] = _triangular_solve_batch


# --- lu --------------------------------------------------------------------------------------

def lu(x):
    """LU decomposition with partial pivoting of each ``[m, n]`` matrix in ``x``.

    Returns ``(lu, pivots, permutation)`` as ``jax.lax.linalg.lu``: ``lu`` holds the unit
    lower factor below the diagonal and the upper factor on and above it; ``pivots[i]`` is
    the row swapped with row ``i`` at step ``i``; ``x[..., permutation, :] == L @ U``.
    """
    return lu_p.bind(x)


def _swap_rows(a, rows, i: int, p):
    """Swap row ``i`` with row ``p[b]`` of each batch element ``b`` of ``a`` (in place)."""
    tmp = a[rows, i].copy()
    a[rows, i] = a[rows, p]
    a[rows, p] = tmp


def _lu_impl(x):
    # LAPACK's getrf through SciPy (batched); a zero pivot is kept, as in XLA.
    *batch, m, n = x.shape
    k, nb = min(m, n), _prod(batch)
    if x.dtype.kind not in INEXACT:
        raise TypeError("lu")
    perm = np.tile(np.arange(m, dtype=np.int32), (nb, 1))
    if k == 0 or nb == 0:
        return x.copy(), np.zeros((*batch, k), np.int32), perm.reshape(*batch, m)
    import scipy.linalg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        lu_, pivots = scipy.linalg.lu_factor(x, check_finite=False)
    flat, rows = pivots.reshape(nb, k), np.arange(nb)
    for j in range(k):
        _swap_rows(perm, rows, j, flat[:, j])
    return lu_, pivots.astype(np.int32), perm.reshape(*batch, m)


def _lu_abstract_eval(x):
    check_kind(lu_p, [x], INEXACT)
    if x.ndim < 2:
        raise type_error(lu_p, [x], "expects matrices in the last two axes")
    *batch, m, n = x.shape
    return [
        x.strip_weak_type(),
        ShapedArray((*batch, min(m, n)), np.int32),
        ShapedArray((*batch, m), np.int32),
    ]


lu_p = new_primitive("lu", _lu_impl, _lu_abstract_eval, multiple_results=True)


def _permutation_matrix(perm, like):
    """``P`` with ``P[..., i, j] = (perm[..., i] == j)``, so ``P @ x == x[..., perm, :]``."""
    shape = get_aval(perm).shape
    m = shape[-1]
    full = (*shape, m)
    rows = base.broadcast_in_dim(perm, full, tuple(range(len(shape))))
    cols = st.broadcasted_iota(get_aval(perm).dtype, full, len(shape))
    return base.convert_element_type(lg.eq(rows, cols), get_aval(like).dtype)


def _square_factors(lu_, m: int, n: int):
    """``lu``'s factors completed to square triangular matrices: the unit lower ``[m, m]``
    (its strict lower triangle; the diagonal is implicit) and the upper ``[n, n]``, whose
    rows beyond ``m`` are those of the identity."""
    nd = get_aval(lu_).ndim
    zero = np.zeros((), get_aval(lu_).dtype)
    grow = [(0, 0, 0)] * nd
    if m > n:
        grow[-1] = (0, m - n, 0)
        lower = sl.pad(lu_, zero, grow)
        upper = sl.slice(lu_, (0,) * nd, (*get_aval(lu_).shape[:-2], n, n))
    else:
        lower = sl.slice(lu_, (0,) * nd, (*get_aval(lu_).shape[:-2], m, m))
        upper = lu_
        if n > m:
            grow[-2] = (0, n - m, 0)
            padded = sl.pad(lu_, zero, grow)
            upper = ar.add(padded, _eye(padded, start=m))
    return lower, upper


def _lu_jvp(primals, tangents):
    # P A = L U, so with X = L^-1 P dA U^-1 (factors completed to square ones):
    # dL = L tril(X, -1) and dU = triu(X) U; the pivots do not vary. No transpose appears,
    # so the rule holds for complex matrices as it stands (it is complex-linear).
    (x,), (t,) = primals, tangents
    outs = lu_p.bind(x)
    lu_, _, perm = outs
    zeros = [Zero.like(o) for o in outs]
    if type(t) is Zero:
        return outs, zeros
    m, n = get_aval(x).shape[-2:]
    lower, upper = _square_factors(lu_, m, n)
    pt = _matmul(_permutation_matrix(perm, t), t)
    y = triangular_solve(lower, pt, left_side=True, lower=True, unit_diagonal=True)
    inner = triangular_solve(upper, y, left_side=False, lower=False)
    unit_lower = ar.add(_band(lower, True, strict=True), _eye(lower))
    lu_dot = ar.add(_matmul(unit_lower, _band(inner, True, strict=True)),
                    _matmul(_band(inner, False), _band(upper, False)))
    return outs, [lu_dot, *zeros[1:]]


def _lu_batch(vals, dims):
    x, d = _batch_leading(vals, dims)
    return lu_p.bind(x), [d, d, d]


jvp_rules[lu_p] = _lu_jvp
batch_rules[lu_p] = _lu_batch
