"""Array manipulation beyond the core list, composed from primitives: diagonals and
triangles, grids, differences, ``take_along_axis``/``put_along_axis``, ``append insert
delete``, ``rot90 rollaxis kron cross block select piecewise``, the rest of the split family
and ``tri vander logspace geomspace einsum_path``.

Index bookkeeping that depends only on shapes (or on concrete indices) is done in NumPy;
the values move through gathers, scatters, slices and selects, so every function here is
differentiable (and batched, and staged) through those primitives' rules.
"""
from __future__ import annotations

import numpy as np

from funcad.core import dtypes
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.numpy import _creation as cr
from funcad.numpy import _shape as sh
from funcad.numpy import _ufuncs as uf
from funcad.numpy._at import at_get, at_update
from funcad.numpy._core import aval, cast, normalize_axis, operand
from funcad.numpy._index_plan import concrete_index
from funcad.numpy._indexing import getitem


def _array(a, name):
    x = operand(a, name)
    return np.asarray(x) if dtypes.is_python_scalar(x) else x


# --- diagonals and triangles --------------------------------------------------------------

def diagonal(a, offset: int = 0, axis1: int = 0, axis2: int = 1):
    """The ``offset`` diagonal of the planes ``(axis1, axis2)``, as the last axis."""
    a = _array(a, "diagonal")
    nd = aval(a).ndim
    if nd < 2:
        raise FuncadValueError(with_user_line("diagonal: the array must be at least 2-D"))
    axis1, axis2 = normalize_axis(axis1, nd, "diagonal"), normalize_axis(axis2, nd, "diagonal")
    if axis1 == axis2:
        raise FuncadValueError(with_user_line("diagonal: axis1 and axis2 cannot be the same"))
    x = sh.moveaxis(a, (axis1, axis2), (-2, -1))
    n, m = aval(x).shape[-2:]
    rows = np.arange(max(0, -offset), max(0, min(n, m - offset)))
    return getitem(x, (Ellipsis, rows, rows + offset))


def diag(v, k: int = 0):
    """A 1-D ``v`` on the ``k``-th diagonal of a square matrix, or the ``k``-th diagonal
    of a 2-D ``v``."""
    v = _array(v, "diag")
    if aval(v).ndim == 2:
        return diagonal(v, k)
    if aval(v).ndim != 1:
        raise FuncadValueError(with_user_line("diag: input must be 1-D or 2-D"))
    n = aval(v).shape[0] + abs(k)
    rows = np.arange(aval(v).shape[0]) + max(0, -k)
    return at_update(cr.zeros((n, n), aval(v).dtype), (rows, rows + k), v, "set")


def diag_indices(n: int, ndim: int = 2):
    """The indices of the main diagonal of an ``(n,) * ndim`` array."""
    return np.diag_indices(n, ndim)


def diag_indices_from(arr):
    return np.diag_indices(aval(operand(arr, "diag_indices_from")).shape[0],
                           aval(operand(arr, "diag_indices_from")).ndim)


def tri(N: int, M: int | None = None, k: int = 0, dtype=None):
    """Ones at and below the ``k``-th diagonal."""
    return np.tri(N, M, k, dtype=float if dtype is None else dtype)


def _triangle(m, k: int, lower: bool, name: str):
    m = _array(m, name)
    shape = aval(m).shape
    if len(shape) < 2:
        raise FuncadValueError(with_user_line(f"{name}: the array must be at least 2-D"))
    keep = np.tri(*shape[-2:], k=k if lower else k - 1, dtype=bool)
    keep = keep if lower else ~keep
    return uf.where(keep, m, np.zeros((), aval(m).dtype))


def tril(m, k: int = 0):
    """``m`` with the elements above the ``k``-th diagonal zeroed."""
    return _triangle(m, k, True, "tril")


def triu(m, k: int = 0):
    """``m`` with the elements below the ``k``-th diagonal zeroed."""
    return _triangle(m, k, False, "triu")


def tril_indices(n: int, k: int = 0, m: int | None = None):
    return np.tril_indices(n, k, m)


def triu_indices(n: int, k: int = 0, m: int | None = None):
    return np.triu_indices(n, k, m)


def tril_indices_from(arr, k: int = 0):
    shape = aval(operand(arr, "tril_indices_from")).shape
    return np.tril_indices(shape[-2], k, shape[-1])


def triu_indices_from(arr, k: int = 0):
    shape = aval(operand(arr, "triu_indices_from")).shape
    return np.triu_indices(shape[-2], k, shape[-1])


# --- grids --------------------------------------------------------------------------------

def meshgrid(*xi, copy: bool = True, sparse: bool = False, indexing: str = "xy"):
    """Coordinate arrays from 1-D coordinate vectors (``indexing`` "xy" or "ij")."""
    if indexing not in ("xy", "ij"):
        raise FuncadValueError(with_user_line("meshgrid: indexing must be 'xy' or 'ij'"))
    xs = [sh.ravel(_array(x, "meshgrid")) for x in xi]
    nd = len(xs)
    shapes = [[1] * nd for _ in xs]
    for i in range(nd):
        shapes[i][i] = -1
    if indexing == "xy" and nd > 1:
        shapes[0][:2], shapes[1][:2] = [1, -1], [-1, 1]
    out = [sh.reshape(x, tuple(s)) for x, s in zip(xs, shapes)]
    if sparse:
        return out
    full = np.broadcast_shapes(*[aval(o).shape for o in out])
    return [sh.broadcast_to(o, full) for o in out]


def indices(dimensions, dtype=int, sparse: bool = False):
    """``numpy.indices`` (a constant: it depends only on the shape)."""
    return np.indices(tuple(dimensions), dtype=dtype, sparse=sparse)


def vander(x, N: int | None = None, increasing: bool = False):
    """Columns ``x**(N-1) ... x**0`` (reversed when ``increasing``)."""
    x = _array(x, "vander")
    if aval(x).ndim != 1:
        raise FuncadValueError(with_user_line("vander: x must be a one-dimensional array"))
    n = aval(x).shape[0] if N is None else int(N)
    x = cast(x, np.promote_types(aval(x).dtype, np.int64))  # NumPy's result dtype
    powers = np.arange(n) if increasing else np.arange(n)[::-1]
    cols = [uf.power(x, int(p)) if p else uf.multiply(x, 0) + 1 for p in powers]
    return sh.stack(cols, axis=1) if cols else cr.zeros((aval(x).shape[0], 0), aval(x).dtype)


def logspace(start, stop, num: int = 50, endpoint: bool = True, base=10.0, dtype=None,
             axis: int = 0):
    """``base ** linspace(start, stop)``."""
    y = cr.linspace(start, stop, num, endpoint=endpoint, axis=axis)
    out = uf.power(base, y)
    return out if dtype is None else cast(out, dtype)


def geomspace(start, stop, num: int = 50, endpoint: bool = True, dtype=None, axis: int = 0):
    """Numbers spaced evenly on a log scale between ``start`` and ``stop`` (same sign),
    with the end points exact as in NumPy."""
    if axis != 0:
        return sh.moveaxis(geomspace(start, stop, num, endpoint, dtype), 0, axis)
    start, stop = _array(start, "geomspace"), _array(stop, "geomspace")
    work = np.result_type(aval(start).dtype, aval(stop).dtype, np.float64)  # as NumPy
    if dtypes.is_complex(work):
        raise FuncadTypeError(with_user_line("geomspace: complex bounds are not supported"))
    start, stop = cast(start, work), cast(stop, work)
    sign = uf.sign(start)
    lo, hi = uf.log10(uf.absolute(start)), uf.log10(uf.absolute(stop))
    out = sign * uf.power(10.0, cr.linspace(lo, hi, num, endpoint=endpoint))
    if num > 0:
        out = at_update(out, 0, start, "set")
        if endpoint and num > 1:
            out = at_update(out, -1, stop, "set")
    return out if dtype is None else cast(out, dtype)


# --- differences --------------------------------------------------------------------------

def _slice_axis(x, axis: int, start, stop):
    idx = [slice(None)] * aval(x).ndim
    idx[axis] = slice(start, stop)
    return getitem(x, tuple(idx))


def diff(a, n: int = 1, axis: int = -1, prepend=None, append=None):
    """The ``n``-th discrete difference along ``axis`` (booleans: not-equal)."""
    a = _array(a, "diff")
    axis = normalize_axis(axis, aval(a).ndim, "diff")
    parts = []
    for extra in (prepend, append):
        if extra is None:
            parts.append(None)
            continue
        e = _array(extra, "diff")
        if aval(e).ndim == 0:
            shape = list(aval(a).shape)
            shape[axis] = 1
            e = sh.broadcast_to(e, tuple(shape))
        parts.append(e)
    pieces = [p for p in (parts[0], a, parts[1]) if p is not None]
    if len(pieces) > 1:
        a = sh.concatenate(pieces, axis)
    for _ in range(n):
        hi, lo = _slice_axis(a, axis, 1, None), _slice_axis(a, axis, None, -1)
        a = uf.not_equal(hi, lo) if aval(a).dtype == np.bool_ else uf.subtract(hi, lo)
    return a


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of the flattened array, with optional values before and after."""
    d = diff(sh.ravel(_array(ary, "ediff1d")))
    dt = aval(d).dtype
    parts = [sh.ravel(cast(_array(v, "ediff1d"), dt)) for v in (to_begin,) if v is not None]
    parts.append(d)
    parts += [sh.ravel(cast(_array(v, "ediff1d"), dt)) for v in (to_end,) if v is not None]
    return sh.concatenate(parts, 0) if len(parts) > 1 else d


# --- along an axis ------------------------------------------------------------------------

def _along_axis_index(arr_shape, indices, axis: int):
    """The full index ``arr[index]`` of ``take_along_axis``: open grids elsewhere."""
    nd = len(arr_shape)
    idx_shape = aval(indices).shape
    if len(idx_shape) != nd:
        raise FuncadValueError(with_user_line(
            f"take_along_axis: indices ({len(idx_shape)}-D) must have as many dimensions as "
            f"the array ({nd}-D)"))
    out = []
    for d in range(nd):
        if d == axis:
            out.append(indices)
        else:
            shape = [1] * nd
            shape[d] = arr_shape[d] if idx_shape[d] != 1 else 1
            out.append(np.arange(shape[d]).reshape(shape))
    return tuple(out)


def take_along_axis(arr, indices, axis: int | None, mode=None, fill_value=None, *,
                    wrap_negative_indices=None):
    """``arr`` gathered along ``axis`` at ``indices`` (broadcast against the other axes);
    out-of-bounds indices follow JAX's ``mode``: ``"fill"`` (the default, NaN for
    floats) or ``"clip"``. Negative indices count from the end unless
    ``wrap_negative_indices=False`` (JAX's option), which makes them out of bounds."""
    arr = _array(arr, "take_along_axis")
    indices = _array(indices, "take_along_axis")
    if axis is None:
        arr, axis = sh.ravel(arr), 0
    axis = normalize_axis(axis, aval(arr).ndim, "take_along_axis")
    if wrap_negative_indices is False and not dtypes.is_unsigned(aval(indices).dtype):
        past = 0 if mode == "clip" else aval(arr).shape[axis]
        indices = uf.where(uf.less(indices, 0), np.asarray(past, aval(indices).dtype), indices)
    index = _along_axis_index(aval(arr).shape, indices, axis)
    return at_get(arr, index, "fill" if mode is None else mode, fill_value)


def put_along_axis(arr, indices, values, axis: int | None, inplace: bool = False,
                   mode=None):
    """A copy of ``arr`` with ``values`` written along ``axis`` at ``indices`` (JAX's
    functional form: ``inplace`` must be False)."""
    if inplace:
        raise FuncadValueError(with_user_line(
            "put_along_axis: funcad arrays are immutable; pass inplace=False and use the "
            "returned array"))
    arr = _array(arr, "put_along_axis")
    indices = _array(indices, "put_along_axis")
    shape = aval(arr).shape
    flat = axis is None
    if flat:
        arr, axis = sh.ravel(arr), 0
    axis = normalize_axis(axis, aval(arr).ndim, "put_along_axis")
    index = _along_axis_index(aval(arr).shape, indices, axis)
    full = np.broadcast_shapes(*[aval(i).shape for i in index])
    values = sh.broadcast_to(cast(_array(values, "put_along_axis"), aval(arr).dtype), full)
    out = at_update(arr, index, values, "set", mode)
    return sh.reshape(out, shape) if flat else out


# --- append / insert / delete -------------------------------------------------------------

def append(arr, values, axis: int | None = None):
    """``arr`` and ``values`` joined along ``axis`` (flattened when None)."""
    arr, values = _array(arr, "append"), _array(values, "append")
    if axis is None:
        return sh.concatenate([sh.ravel(arr), sh.ravel(values)], 0)
    return sh.concatenate([arr, values], axis)


def _static_positions(obj, name: str):
    value = obj if isinstance(obj, slice) else concrete_index(operand(obj, name))
    if value is None:
        raise FuncadTypeError(with_user_line(
            f"{name}: the positions must be concrete (they fix the result's shape)"))
    return value


def delete(arr, obj, axis: int | None = None, *, assume_unique_indices: bool = False):
    """``arr`` without the entries at ``obj`` (an int, slice, or index array) along
    ``axis``."""
    arr = _array(arr, "delete")
    if axis is None:
        arr, axis = sh.ravel(arr), 0
    axis = normalize_axis(axis, aval(arr).ndim, "delete")
    keep = np.delete(np.arange(aval(arr).shape[axis]), _static_positions(obj, "delete"))
    return getitem(arr, (slice(None),) * axis + (keep,))


def insert(arr, obj, values, axis: int | None = None):
    """``values`` inserted before the positions ``obj`` along ``axis``, as
    ``numpy.insert``: NumPy places the positions, funcad moves the values."""
    arr = _array(arr, "insert")
    values = _array(values, "insert")
    if axis is None:
        arr, axis = sh.ravel(arr), 0
    nd = aval(arr).ndim
    axis = normalize_axis(axis, nd, "insert")
    n = aval(arr).shape[axis]
    pos = _static_positions(obj, "insert")
    if isinstance(pos, slice):
        pos = np.arange(*pos.indices(n))
    pos = np.asarray(pos)
    values = cast(values, aval(arr).dtype)
    if pos.ndim == 0:
        vnd = aval(values).ndim
        values = sh.reshape(values, (1,) * max(0, nd - vnd) + aval(values).shape)
        values = sh.moveaxis(values, 0, axis)
        k = aval(values).shape[axis]
    else:
        k = pos.size
    block = list(aval(arr).shape)
    block[axis] = k
    values = sh.broadcast_to(values, tuple(block))
    source = np.insert(np.arange(n), pos, -1 - np.arange(k))
    joined = sh.concatenate([arr, values], axis)
    order = np.where(source >= 0, source, n + (-1 - source))
    return getitem(joined, (slice(None),) * axis + (order,))


# --- rotations, products, assembly --------------------------------------------------------

def rot90(m, k: int = 1, axes=(0, 1)):
    """``m`` rotated by 90 degrees ``k`` times in the plane ``axes``."""
    m = _array(m, "rot90")
    nd = aval(m).ndim
    a0, a1 = (normalize_axis(a, nd, "rot90") for a in axes)
    if a0 == a1:
        raise FuncadValueError(with_user_line("rot90: the axes must be different"))
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return sh.flip(sh.flip(m, a0), a1)
    perm = list(range(nd))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return sh.transpose(sh.flip(m, a1), perm)
    return sh.flip(sh.transpose(m, perm), a1)


def rollaxis(a, axis: int, start: int = 0):
    """``numpy.rollaxis``: ``axis`` moved to before position ``start``."""
    a = _array(a, "rollaxis")
    nd = aval(a).ndim
    axis = normalize_axis(axis, nd, "rollaxis")
    if start < 0:
        start += nd
    if not 0 <= start <= nd:
        raise FuncadValueError(with_user_line(f"rollaxis: start {start} is out of range"))
    if axis < start:
        start -= 1
    return sh.moveaxis(a, axis, start) if axis != start else a


def kron(a, b):
    """The Kronecker product: blocks ``a[i] * b``."""
    a, b = _array(a, "kron"), _array(b, "kron")
    nd = max(aval(a).ndim, aval(b).ndim)
    a = sh.reshape(a, (1,) * (nd - aval(a).ndim) + aval(a).shape)
    b = sh.reshape(b, (1,) * (nd - aval(b).ndim) + aval(b).shape)
    sa, sb = aval(a).shape, aval(b).shape
    a2 = sh.reshape(a, tuple(d for s in sa for d in (s, 1)))
    b2 = sh.reshape(b, tuple(d for s in sb for d in (1, s)))
    return sh.reshape(uf.multiply(a2, b2), tuple(x * y for x, y in zip(sa, sb)))


def cross(a, b, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None):
    """The cross product of 2- or 3-vectors along ``axisa``/``axisb`` (a 2-vector is
    taken with a zero third component; two 2-vectors give the scalar z component)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a = sh.moveaxis(_array(a, "cross"), axisa, -1)
    b = sh.moveaxis(_array(b, "cross"), axisb, -1)
    na, nb = aval(a).shape[-1], aval(b).shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise FuncadValueError(with_user_line(
            "cross: incompatible dimensions for cross product (dimension must be 2 or 3)"))
    ca = [getitem(a, (Ellipsis, i)) for i in range(na)]
    cb = [getitem(b, (Ellipsis, i)) for i in range(nb)]
    if na == 2 and nb == 2:
        return ca[0] * cb[1] - ca[1] * cb[0]
    zero_a = uf.multiply(ca[0], 0) if na == 2 else None
    zero_b = uf.multiply(cb[0], 0) if nb == 2 else None
    a0, a1, a2 = ca[0], ca[1], ca[2] if na == 3 else zero_a
    b0, b1, b2 = cb[0], cb[1], cb[2] if nb == 3 else zero_b
    comps = [a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0]
    comps = sh.broadcast_arrays(*comps)
    return sh.moveaxis(sh.stack(comps, axis=-1), -1, axisc)


def block(arrays):
    """Assemble an array from nested lists of blocks (innermost lists join along the last
    axis, the next along the one before, ...)."""
    depth, x = 0, arrays
    while isinstance(x, list):
        if not x:
            raise FuncadValueError(with_user_line("block: lists cannot be empty"))
        depth, x = depth + 1, x[0]
    if depth == 0:
        return sh.atleast_1d(_array(arrays, "block"))
    leaves = []
    stack = [arrays]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        else:
            leaves.append(_array(item, "block"))
    nd = max(depth, *[aval(v).ndim for v in leaves])

    def assemble(item, level):
        if not isinstance(item, list):
            v = _array(item, "block")
            return sh.reshape(v, (1,) * (nd - aval(v).ndim) + aval(v).shape)
        parts = [assemble(e, level + 1) for e in item]
        return sh.concatenate(parts, axis=nd - depth + level)

    return assemble(arrays, 0)


def select(condlist, choicelist, default=0):
    """The first ``choicelist[i]`` whose ``condlist[i]`` holds, else ``default``."""
    if len(condlist) != len(choicelist):
        raise FuncadValueError(with_user_line(
            "select: condlist and choicelist must have the same length"))
    if not condlist:
        raise FuncadValueError(with_user_line("select: condlist must not be empty"))
    out = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        c = _array(cond, "select")
        if aval(c).dtype != np.bool_:
            raise FuncadTypeError(with_user_line(
                f"select: condlist entries must be boolean, got {aval(c).dtype}"))
        out = uf.where(c, choice, out)
    return out


def piecewise(x, condlist, funclist, *args, **kw):
    """``funclist[i](x)`` where ``condlist[i]`` holds (a last extra function or constant
    is the default); each function is evaluated on all of ``x`` and selected."""
    x = _array(x, "piecewise")
    if not isinstance(condlist, (list, tuple)) or (condlist and np.ndim(condlist[0]) == 0
                                                   and aval(x).ndim > 0):
        condlist = [condlist]
    n = len(condlist)
    if len(funclist) not in (n, n + 1):
        raise FuncadValueError(with_user_line(
            f"piecewise: {n} conditions need {n} or {n + 1} functions, got {len(funclist)}"))
    dt = aval(x).dtype

    def value(f):
        out = f(x, *args, **kw) if callable(f) else f
        return sh.broadcast_to(cast(_array(out, "piecewise"), dt), aval(x).shape)

    out = value(funclist[n]) if len(funclist) == n + 1 else cr.zeros(aval(x).shape, dt)
    for cond, f in zip(condlist, funclist[:n]):
        out = uf.where(_array(cond, "piecewise"), value(f), out)
    return out


# --- splits -------------------------------------------------------------------------------

def _split_along(name: str, ary, indices_or_sections, min_ndim: int, axis: int | None):
    """``split`` for the named family member, which needs ``min_ndim`` dimensions
    (``axis=None``: hsplit's axis 1, or 0 for 1-D arrays)."""
    ary = _array(ary, name)
    ndim = aval(ary).ndim
    if ndim < min_ndim:
        raise FuncadValueError(with_user_line(
            f"{name} only works on arrays of {min_ndim} or more dimensions"))
    if axis is None:
        axis = 1 if ndim > 1 else 0
    return sh.split(ary, indices_or_sections, axis=axis)


def hsplit(ary, indices_or_sections):
    """Split along axis 1 (axis 0 for 1-D arrays)."""
    return _split_along("hsplit", ary, indices_or_sections, 1, None)


def vsplit(ary, indices_or_sections):
    """Split along axis 0 (arrays of 2 or more dimensions)."""
    return _split_along("vsplit", ary, indices_or_sections, 2, 0)


def dsplit(ary, indices_or_sections):
    """Split along axis 2 (arrays of 3 or more dimensions)."""
    return _split_along("dsplit", ary, indices_or_sections, 3, 2)


def unstack(x, /, *, axis: int = 0):
    """The slices of ``x`` along ``axis``, as a tuple."""
    x = _array(x, "unstack")
    axis = normalize_axis(axis, aval(x).ndim, "unstack")
    idx = (slice(None),) * axis
    return tuple(getitem(x, idx + (i,)) for i in range(aval(x).shape[axis]))


def einsum_path(subscripts, *operands, optimize="greedy", einsum_call: bool = False):
    """NumPy's contraction order for the operands' shapes (values are not read)."""
    shapes = [np.broadcast_to(np.zeros((), aval(operand(o, "einsum_path")).dtype),
                              aval(operand(o, "einsum_path")).shape) for o in operands]
    return np.einsum_path(subscripts, *shapes, optimize=optimize)


__all__ = [
    "append", "block", "cross", "delete", "diag", "diag_indices", "diag_indices_from",
    "diagonal", "diff", "dsplit", "ediff1d", "einsum_path", "geomspace", "hsplit",
    "indices", "insert", "kron", "logspace", "meshgrid", "piecewise", "put_along_axis",
    "rollaxis", "rot90", "select", "take_along_axis", "tri", "tril", "tril_indices",
    "tril_indices_from", "triu", "triu_indices", "triu_indices_from", "unstack", "vander",
    "vsplit",
]
