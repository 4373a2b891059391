"""Statistics and numerical helpers composed from primitives: the NaN-ignoring reductions
(``nanmax nanmin nanargmax nanargmin nanprod nancumsum nancumprod nanvar nanstd``),
``count_nonzero cov corrcoef trapezoid gradient histogram histogram_bin_edges bincount
interp polyval polyfit`` and ``cumulative_sum``.

Derivatives follow from the compositions; where the value is piecewise they match JAX's
(``interp`` takes the interval to the right of a knot, as ``searchsorted(side="right")``).
"""
from __future__ import annotations

import warnings

import numpy as np

from funcad.core import dtypes
from funcad.errors import (
    ConcretizationError,
    FuncadNotImplementedError,
    FuncadTypeError,
    FuncadValueError,
    with_user_line,
)
from funcad.numpy import _creation as cr
from funcad.numpy import _products as pr
from funcad.numpy import _reductions as rd
from funcad.numpy import _shape as sh
from funcad.numpy import _ufuncs as uf
from funcad.numpy import linalg
from funcad.numpy._at import at_update
from funcad.numpy._complex import conjugate
from funcad.numpy._core import aval, cast, normalize_axis, operand, result_type
from funcad.numpy._gradient import gradient
from funcad.numpy._index_plan import concrete_index
from funcad.numpy._indexing import getitem
from funcad.numpy._sorting import argsort


def _array(a, name):
    x = operand(a, name)
    return np.asarray(x) if dtypes.is_python_scalar(x) else x


def _at_least_f64(x):
    """``x`` in NumPy's working dtype of cov/interp/polyfit: float64 or complex128."""
    return cast(x, np.result_type(aval(x).dtype, np.float64))


def _float(x):
    return x if dtypes.is_inexact(aval(x).dtype) else uf.true_divide(x, 1)


# --- NaN-ignoring reductions --------------------------------------------------------------

def _nan_replaced(a, value, name):
    a = _array(a, name)
    if not dtypes.is_inexact(aval(a).dtype):
        return a, None
    nan = uf.isnan(a)
    return uf.where(nan, value, a), nan


def nanmax(a, axis=None, out=None, keepdims: bool = False, initial=None, where=None):
    """The maximum ignoring NaNs (NaN where a slice is all NaN and no ``initial``)."""
    _no_out_where("nanmax", out, where)
    x, nan = _nan_replaced(a, -np.inf, "nanmax")
    out = rd.max(x, axis=axis, keepdims=keepdims, initial=initial)
    if nan is None or initial is not None:
        return out
    return uf.where(rd.all(nan, axis=axis, keepdims=keepdims), np.nan, out)


def nanmin(a, axis=None, out=None, keepdims: bool = False, initial=None, where=None):
    """The minimum ignoring NaNs (NaN where a slice is all NaN and no ``initial``)."""
    _no_out_where("nanmin", out, where)
    x, nan = _nan_replaced(a, np.inf, "nanmin")
    out = rd.min(x, axis=axis, keepdims=keepdims, initial=initial)
    if nan is None or initial is not None:
        return out
    return uf.where(rd.all(nan, axis=axis, keepdims=keepdims), np.nan, out)


def nanargmax(a, axis=None, keepdims: bool = False):
    """The index of the maximum ignoring NaNs (-1 for an all-NaN slice, as JAX)."""
    x, nan = _nan_replaced(a, -np.inf, "nanargmax")
    out = rd.argmax(x, axis=axis, keepdims=keepdims)
    if nan is None:
        return out
    return uf.where(rd.all(nan, axis=axis, keepdims=keepdims), -1, out)


def nanargmin(a, axis=None, keepdims: bool = False):
    """The index of the minimum ignoring NaNs (-1 for an all-NaN slice, as JAX)."""
    x, nan = _nan_replaced(a, np.inf, "nanargmin")
    out = rd.argmin(x, axis=axis, keepdims=keepdims)
    if nan is None:
        return out
    return uf.where(rd.all(nan, axis=axis, keepdims=keepdims), -1, out)


def nanprod(a, axis=None, dtype=None, out=None, keepdims: bool = False, initial=None,
            where=None):
    """The product treating NaNs as one."""
    _no_out_where("nanprod", out, where)
    return rd.prod(_nan_replaced(a, 1, "nanprod")[0], axis=axis, dtype=dtype,
                   keepdims=keepdims, initial=initial)


def _no_out_where(fname: str, out, where) -> None:
    """funcad arrays are immutable (no ``out``); ``where`` masks are not implemented."""
    if out is not None:
        raise FuncadValueError(with_user_line(
            f"{fname}: out= is not supported (funcad arrays are immutable)"))
    if where is not None:
        raise FuncadNotImplementedError(f"funcad.numpy.{fname} with where=")


def nancumsum(a, axis=None, dtype=None):
    """The cumulative sum treating NaNs as zero."""
    return rd.cumsum(_nan_replaced(a, 0, "nancumsum")[0], axis=axis, dtype=dtype)


def nancumprod(a, axis=None, dtype=None):
    """The cumulative product treating NaNs as one."""
    return rd.cumprod(_nan_replaced(a, 1, "nancumprod")[0], axis=axis, dtype=dtype)


def nanvar(a, axis=None, dtype=None, ddof=0, keepdims: bool = False):
    """The variance of the non-NaN elements."""
    a = _float(_array(a, "nanvar"))
    keep = uf.logical_not(uf.isnan(a))
    a = uf.where(keep, a, 0)  # no NaN reaches a derivative (0 * NaN in reverse mode)
    mean = rd.sum(a, axis=axis, keepdims=True) / cast(rd.sum(
        keep, axis=axis, keepdims=True), aval(a).dtype)
    dev = uf.where(keep, uf.square(uf.absolute(a - mean)), 0)
    count = cast(rd.sum(keep, axis=axis, keepdims=keepdims), aval(a).dtype)
    out = rd.sum(dev, axis=axis, keepdims=keepdims) / (count - ddof)
    return out if dtype is None else cast(out, dtype)


def nanstd(a, axis=None, dtype=None, ddof=0, keepdims: bool = False):
    """The standard deviation of the non-NaN elements."""
    return uf.sqrt(nanvar(a, axis, dtype, ddof, keepdims))


def _axes(axis, nd) -> tuple[int, ...]:
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(normalize_axis(a, nd, "nan reduction") for a in axes)


def count_nonzero(a, axis=None, keepdims: bool = False):
    """The number of non-zero elements (an integer array)."""
    a = _array(a, "count_nonzero")
    return rd.sum(uf.not_equal(a, 0), axis=axis, keepdims=keepdims, dtype=np.intp)


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial: bool = False):
    """The array API's cumulative sum (optionally starting with a zero)."""
    x = _array(x, "cumulative_sum")
    if axis is None:
        if aval(x).ndim > 1:
            raise FuncadValueError(with_user_line(
                "cumulative_sum: axis must be given for arrays of more than one dimension"))
        axis = 0
    out = rd.cumsum(x, axis=axis, dtype=dtype)
    if include_initial:
        axis = normalize_axis(axis, aval(out).ndim, "cumulative_sum")
        shape = list(aval(out).shape)
        shape[axis] = 1
        out = sh.concatenate([cr.zeros(tuple(shape), aval(out).dtype), out], axis)
    return out


# --- covariance ---------------------------------------------------------------------------

def cov(m, y=None, rowvar: bool = True, bias: bool = False, ddof=None, fweights=None,
        aweights=None, *, dtype=None):
    """The covariance matrix of the variables (rows, or columns when not ``rowvar``),
    with NumPy's frequency and analytic weights."""
    x = _at_least_f64(sh.atleast_2d(_array(m, "cov")))
    if not rowvar and aval(x).shape[0] != 1:
        x = sh.transpose(x)
    if y is not None:
        yy = _at_least_f64(sh.atleast_2d(_array(y, "cov")))
        if not rowvar and aval(yy).shape[0] != 1:
            yy = sh.transpose(yy)
        x = sh.concatenate([x, cast(yy, np.result_type(aval(x).dtype, aval(yy).dtype))], 0)
    if dtype is not None:
        x = cast(x, dtype)
    if ddof is None:
        ddof = 0 if bias else 1
    n = aval(x).shape[1]
    w = None
    if fweights is not None:
        w = cast(_array(fweights, "cov"), aval(x).dtype)
    if aweights is not None:
        aw = cast(_array(aweights, "cov"), aval(x).dtype)
        w = aw if w is None else w * aw
    if w is None:
        avg = rd.mean(x, axis=1, keepdims=True)
        fact = n - ddof
        xc = x - avg
        out = pr.matmul(xc, sh.transpose(conjugate(xc))) / fact
    else:
        w_sum = rd.sum(w)
        avg = rd.sum(x * w, axis=1, keepdims=True) / w_sum
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = w_sum - ddof
        else:
            fact = w_sum - ddof * rd.sum(w * aw) / w_sum
        xc = x - avg
        out = pr.matmul(xc * w, sh.transpose(conjugate(xc))) / fact
    return sh.squeeze(out) if aval(out).shape == (1, 1) else out


def corrcoef(x, y=None, rowvar: bool = True, *, dtype=None):
    """Pearson correlation coefficients, clipped to [-1, 1] as NumPy's."""
    c = cov(x, y, rowvar, dtype=dtype)
    if aval(c).ndim == 0:
        return c / c
    d = uf.sqrt(linalg_diag(c))
    c = c / d[:, None] / d[None, :]
    return uf.clip(c, -1, 1)


def linalg_diag(c):
    n = aval(c).shape[0]
    return getitem(c, (np.arange(n), np.arange(n)))


# --- integration and differences ----------------------------------------------------------

def _along(x, axis, start, stop):
    idx = [slice(None)] * aval(x).ndim
    idx[axis] = slice(start, stop)
    return getitem(x, tuple(idx))


def trapezoid(y, x=None, dx=1.0, axis: int = -1):
    """The trapezoidal rule along ``axis`` (sample points ``x`` or spacing ``dx``)."""
    y = _array(y, "trapezoid")
    axis = normalize_axis(axis, aval(y).ndim, "trapezoid")
    mid = (_along(y, axis, 1, None) + _along(y, axis, None, -1)) / 2.0
    if x is None:
        return uf.multiply(rd.sum(mid, axis=axis), dx)
    x = _array(x, "trapezoid")
    if aval(x).ndim == 1:
        d = _along(x, 0, 1, None) - _along(x, 0, None, -1)
        shape = [1] * aval(y).ndim
        shape[axis] = aval(d).shape[0]
        d = sh.reshape(d, tuple(shape))
    else:
        d = _along(x, axis, 1, None) - _along(x, axis, None, -1)
    return rd.sum(d * mid, axis=axis)


# --- counting -----------------------------------------------------------------------------

def bincount(x, weights=None, minlength: int = 0, *, length=None):
    """Counts (or summed ``weights``) of each non-negative integer in ``x``; under a
    transform the output ``length`` must be given (values beyond it are dropped, negative
    values clipped to zero, as JAX)."""
    x = _array(x, "bincount")
    if not dtypes.is_integer(aval(x).dtype) and aval(x).dtype != np.bool_:
        raise FuncadValueError(with_user_line(
            f"bincount: x must be integers, got {aval(x).dtype}"))
    if aval(x).ndim != 1:
        raise FuncadValueError(with_user_line("bincount: x must be one-dimensional"))
    if length is None:
        value = concrete_index(x)
        if value is None:
            raise ConcretizationError(
                "bincount without length", x,
                "The output's length depends on the values: pass length=.")
        length = max(int(np.max(value, initial=-1)) + 1, int(minlength))
    w = cr.ones(aval(x).shape, np.intp) if weights is None else _array(weights, "bincount")
    if weights is not None:
        w = cast(w, np.float64)  # NumPy sums the weights in double precision
    idx = uf.maximum(x, 0)
    return at_update(cr.zeros((int(length),), aval(w).dtype), idx, w, "add", "drop")


def histogram_bin_edges(a, bins=10, range=None, weights=None):  # noqa: A002 - NumPy name
    """The edges of ``bins`` equal bins over ``range`` (default: the data's range, widened
    by 0.5 each way when it is a single value); given edges are returned as they are."""
    a = _array(a, "histogram")
    if isinstance(bins, str):  # NumPy's estimators treat integer data apart: keep it
        bins = _estimated_bin_count(a, bins, range, weights)
    if np.ndim(bins) == 1 or (hasattr(bins, "shape") and aval(operand(bins)).ndim == 1):
        return _array(bins, "histogram")
    nbins = int(bins)
    if range is not None:
        lo, hi = range
        out = dtypes.to_inexact(result_type(lo, hi, a))
    else:
        a = _float(a)
        lo, hi = rd.min(a), rd.max(a)
        same = lo == hi
        lo, hi = uf.where(same, lo - 0.5, lo), uf.where(same, hi + 0.5, hi)
        out = aval(a).dtype
    # NumPy's linspace works in the bounds' precision (float64 for a Python range), then
    # casts the edges to the dtype of bounds and data together
    calc = dtypes.to_inexact(result_type(lo, hi, 1.0))
    return cast(cr.linspace(lo, hi, nbins + 1, dtype=calc), out)


def _estimated_bin_count(a, bins: str, range, weights):  # noqa: A002 - NumPy name
    """The number of equal bins NumPy's estimator ``bins`` picks for the data: it depends
    on the values, so they must be concrete (JAX refuses string bins altogether)."""
    if weights is not None:
        raise FuncadTypeError(with_user_line(
            f"histogram: bins={bins!r}: automated estimation of the number of bins is not "
            "supported for weighted data (as in NumPy)"))
    value = concrete_index(a)
    if value is None:
        raise ConcretizationError(
            f"histogram with bins={bins!r}", a,
            "The number of bins a string estimator picks depends on the values: pass an "
            "integer bins= (or the edges) under a transform.")
    try:
        edges = np.histogram_bin_edges(np.asarray(value), bins, range)
    except ValueError as err:
        raise FuncadValueError(with_user_line(f"histogram: {err}")) from None
    return len(edges) - 1


def histogram(a, bins=10, range=None, density=None, weights=None):  # noqa: A002
    """Counts (or summed ``weights``) per bin; the last bin includes its right edge;
    values outside the edges are not counted."""
    a = sh.ravel(_array(a, "histogram"))
    edges = histogram_bin_edges(a, bins, range, weights)
    a = _float(a)
    nb = aval(edges).shape[0] - 1
    inner = getitem(edges, slice(1, -1))
    idx = rd.sum(uf.greater_equal(a[:, None], inner[None, :]), axis=1, dtype=np.intp)
    inside = uf.logical_and(a >= getitem(edges, 0), a <= getitem(edges, -1))
    w = cr.ones(aval(a).shape, np.intp) if weights is None else sh.ravel(
        _array(weights, "histogram"))
    zero = cr.zeros((), aval(w).dtype)
    counts = at_update(cr.zeros((nb,), aval(w).dtype), idx, uf.where(inside, w, zero), "add")
    if density:
        widths = getitem(edges, slice(1, None)) - getitem(edges, slice(None, -1))
        counts = counts / widths / rd.sum(counts)
    return counts, edges


# --- interpolation and polynomials --------------------------------------------------------

def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of ``(xp, fp)`` at ``x`` (``xp`` increasing);
    differentiable in ``x``, ``xp`` and ``fp``. At a knot the interval to its right is
    used (JAX's ``searchsorted(side="right")``). With ``period`` the points are taken
    modulo it and sorted, ``left``/``right`` are ignored (NumPy's); ``left``/``right`` may
    also be JAX's ``"extrapolate"``."""
    x, xp, fp = (_array(v, "interp") for v in (x, xp, fp))
    if aval(xp).ndim != 1 or aval(fp).ndim != 1 or aval(xp).shape != aval(fp).shape:
        raise FuncadValueError(with_user_line(
            "interp: xp and fp must be one-dimensional arrays of the same length"))
    if dtypes.is_complex(aval(x).dtype) or dtypes.is_complex(aval(xp).dtype):
        raise FuncadTypeError(with_user_line("interp: x and xp must be real"))
    for name, end in (("left", left), ("right", right)):
        if isinstance(end, str) and end != "extrapolate":
            raise FuncadValueError(with_user_line(
                f"interp: the only string value of {name} is 'extrapolate', got {end!r}"))
    dt = np.result_type(aval(fp).dtype, np.float64)  # NumPy interpolates in double
    x, xp = cast(x, np.float64), cast(xp, np.float64)
    fp = cast(fp, dt)
    if period is not None:
        x, xp, fp = _periodic(x, xp, fp, period)
        left = right = "periodic"
    n = aval(xp).shape[0]
    i = rd.sum(uf.less_equal(xp, x[..., None]), axis=-1, dtype=np.intp)
    i = uf.clip(i, 1, n - 1)
    x0, x1 = getitem(xp, i - 1), getitem(xp, i)
    f0, f1 = getitem(fp, i - 1), getitem(fp, i)
    dx = x1 - x0
    safe = uf.where(dx == 0, 1, dx)
    f = f0 + (x - x0) * uf.where(dx == 0, 0, (f1 - f0) / safe)
    if not isinstance(left, str):
        f = uf.where(x < getitem(xp, 0), getitem(fp, 0) if left is None else left, f)
    if not isinstance(right, str):
        f = uf.where(x > getitem(xp, -1), getitem(fp, -1) if right is None else right, f)
    return f


def _periodic(x, xp, fp, period):
    """NumPy's normalization for ``period``: everything modulo ``|period|``, ``xp`` sorted,
    and one point wrapped around at each end."""
    p = _array(period, "interp")
    if aval(p).ndim != 0:
        raise FuncadValueError(with_user_line(
            f"interp: period must be a scalar, got shape {aval(p).shape}"))
    value = concrete_index(p)
    if value is not None and value == 0:
        raise FuncadValueError(with_user_line("interp: period must be a non-zero value"))
    p = uf.absolute(cast(p, np.float64))
    x, xp = uf.remainder(x, p), uf.remainder(xp, p)
    order = argsort(xp)
    xp, fp = getitem(xp, order), getitem(fp, order)
    xp = sh.concatenate([getitem(xp, slice(-1, None)) - p, xp, getitem(xp, slice(0, 1)) + p], 0)
    fp = sh.concatenate([getitem(fp, slice(-1, None)), fp, getitem(fp, slice(0, 1))], 0)
    return x, xp, fp


def polyval(p, x, *, unroll=16):
    """``p[0] * x**(n-1) + ... + p[n-1]`` by Horner's rule. ``unroll`` is JAX's
    loop-unrolling hint (a bool or an int >= 0); the loop here is always unrolled."""
    if not isinstance(unroll, (bool, np.bool_)) and not (
            isinstance(unroll, (int, np.integer)) and unroll >= 0):
        raise FuncadValueError(with_user_line(
            f"polyval: unroll must be a bool or a non-negative int, got {unroll!r}"))
    p = _array(p, "polyval")
    x = _array(x, "polyval")
    y = uf.multiply(x, 0)
    for k in range(aval(p).shape[0]):
        y = y * x + getitem(p, k)
    return y


def polyfit(x, y, deg: int, rcond=None, full: bool = False, w=None, cov=False):
    """Least-squares polynomial coefficients (highest power first) of ``y`` (one column
    per fit when 2-D), as NumPy computes them: ``lstsq`` of the column-scaled, weighted
    Vandermonde matrix. ``full=True`` adds ``(residuals, rank, singular_values, rcond)``;
    ``cov=True`` / ``"unscaled"`` adds the coefficients' covariance."""
    x, y = _plus_zero(_array(x, "polyfit")), _plus_zero(_array(y, "polyfit"))
    deg = int(deg)
    order = deg + 1
    _check_polyfit(x, y, w, deg)
    if rcond is None:  # NumPy's default uses the eps of x's own (inexact) dtype
        rcond = aval(x).shape[0] * np.finfo(aval(x).dtype).eps
    lhs = _vander(x, order)
    rhs = y
    if w is not None:  # NumPy's in-place products keep each operand's dtype
        w = _plus_zero(_array(w, "polyfit"))
        lhs = cast(lhs * w[:, None], aval(lhs).dtype)
        rhs = cast(rhs * (w if aval(rhs).ndim == 1 else w[:, None]), aval(rhs).dtype)
    scale = uf.sqrt(rd.sum(lhs * lhs, axis=0))
    lhs = lhs / scale
    c, resids, rank, s = linalg.lstsq(lhs, rhs, rcond)
    c = (c.T / scale).T if aval(c).ndim == 2 else c / scale
    resids = _numpy_resids(resids, rank, aval(lhs).shape, aval(rhs).ndim == 1)
    known_rank = concrete_index(rank)
    if known_rank is not None and int(known_rank) != order and not full:
        warnings.warn("Polyfit may be poorly conditioned", np.exceptions.RankWarning,
                      stacklevel=3)
    if full:
        return c, resids, rank, s, rcond
    if not cov:
        return c
    vbase = linalg.inv(pr.matmul(lhs.T, lhs)) / (scale[:, None] * scale[None, :])
    if cov == "unscaled":
        fac = 1.0
    else:
        if aval(x).shape[0] <= order:
            raise FuncadValueError(with_user_line(
                "polyfit: the number of data points must exceed order to scale the "
                "covariance matrix"))
        fac = resids / (aval(x).shape[0] - order)
    return c, (vbase * fac if aval(y).ndim == 1 else vbase[:, :, None] * fac)


def _plus_zero(a):
    """NumPy's ``a + 0.0``: integers and booleans as float64, inexact dtypes kept."""
    return a if dtypes.is_inexact(aval(a).dtype) else cast(a, np.float64)


def _vander(x, order: int):
    """NumPy's ``vander``: in x's dtype promoted with int, powers by running products."""
    x = _at_least_f64(x)
    cols = [cr.ones(aval(x).shape, aval(x).dtype)]
    for _ in range(1, order):
        cols.append(cols[-1] * x)
    return sh.stack(cols[::-1], axis=1)


def _check_polyfit(x, y, w, deg):
    bad = None
    if deg < 0:
        raise FuncadValueError(with_user_line("polyfit: expected deg >= 0"))
    if aval(x).ndim != 1 or aval(x).shape[0] == 0:
        bad = f"expected a non-empty 1-D vector for x, got shape {aval(x).shape}"
    elif aval(y).ndim not in (1, 2):
        bad = f"expected a 1-D or 2-D array for y, got shape {aval(y).shape}"
    elif aval(x).shape[0] != aval(y).shape[0]:
        bad = f"expected x and y to have the same length, got {aval(x).shape} and {aval(y).shape}"
    elif w is not None and aval(operand(w, "polyfit")).shape != aval(x).shape:
        bad = f"expected a 1-D w of y's length, got shape {aval(operand(w, 'polyfit')).shape}"
    if bad:
        raise FuncadTypeError(with_user_line(f"polyfit: {bad}"))


def _numpy_resids(resids, rank, shape, vector: bool):
    """``lstsq``'s squared residuals in NumPy's shape: ``(1,)`` or ``(K,)`` when the
    scaled matrix has full column rank and more rows than columns, else empty. Under a
    transform that cannot know the rank, the full-rank shape is kept (the residuals are
    still the true ones)."""
    m, n = shape
    known = concrete_index(rank)
    if m <= n or (known is not None and int(known) != n):
        return cr.zeros((0,), aval(resids).dtype)
    return sh.expand_dims(resids, 0) if vector else resids


__all__ = [
    "bincount", "corrcoef", "count_nonzero", "cov", "cumulative_sum", "gradient",
    "histogram", "histogram_bin_edges", "interp", "nanargmax", "nanargmin", "nancumprod",
    "nancumsum", "nanmax", "nanmin", "nanprod", "nanstd", "nanvar", "polyfit", "polyval",
    "trapezoid",
]
