"""Linear-algebra primitives: ``dot_general``, ``cholesky``, ``triangular_solve``, ``lu``.

Signatures follow ``jax.lax`` / ``jax.lax.linalg``. Each primitive is one block: wrapper ->
primitive (impl + shape/dtype rule) -> transform rules. Implementations use NumPy only.
Matrix primitives act on the last two axes; leading axes are batch axes (equal on every
operand: ``funcad.numpy`` broadcasts first).
"""
from __future__ import annotations

import functools
import math

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.ops._definers import ANY, INEXACT, check_kind, new_primitive, type_error


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


# --- shared checks of the matrix primitives --------------------------------------------------

def _check_square(prim, x: ShapedArray, avals) -> int:
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise type_error(prim, avals, "expects square matrices in the last two axes")
    return x.shape[-1]


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
        try:  # LAPACK's LU is exact on a triangle up to rounding, and much faster in Python
            x = np.linalg.solve(t, b)
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
    *batch, m, n = x.shape
    k, nb = min(m, n), _prod(batch)
    a = np.array(x.reshape(nb, m, n), copy=True)
    perm = np.tile(np.arange(m, dtype=np.int32), (nb, 1))
    pivots = np.zeros((nb, k), np.int32)
    rows = np.arange(nb)
    for j in range(k):
        p = j + np.argmax(np.abs(a[:, j:, j]), axis=1)
        pivots[:, j] = p
        _swap_rows(a, rows, j, p)
        _swap_rows(perm, rows, j, p)
        pivot = a[:, j, j]
        # A zero pivot means a zero column below it: leave it, as LAPACK's getrf does.
        a[:, j + 1 :, j] /= np.where(pivot == 0, 1, pivot)[:, None]
        a[:, j + 1 :, j + 1 :] -= a[:, j + 1 :, j, None] * a[:, j, None, j + 1 :]
    return (a.reshape(x.shape), pivots.reshape(*batch, k), perm.reshape(*batch, m))


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
