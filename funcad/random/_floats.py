"""Continuous samplers: uniform floats from random bits, and the distributions built on them
by inverse transforms, with ``jax.random``'s formulas (so the same key gives the same
numbers). Parameters enter through funcad operations, so samples differentiate w.r.t. them
(reparametrization), as JAX's do."""
from __future__ import annotations

import numpy as np

import funcad.numpy as fnp
from funcad import lax
from funcad.core.trace import Tracer, get_aval, to_concrete
from funcad.errors import FuncadNotImplementedError, FuncadTypeError, FuncadValueError
from funcad.ops.bits import bitcast_convert_type, shift_right_logical
from funcad.ops.special import erf_inv
from funcad.random._keys import UINT_DTYPES, canonical_shape, check_key, random_bits, split


def float_dtype(name: str, dtype) -> np.dtype:
    dtype = np.dtype(np.float64 if dtype is None else dtype)
    if dtype.kind != "f":
        raise FuncadTypeError(
            f"funcad.random.{name}: dtype must be a floating dtype, got {dtype.name}")
    return dtype


def as_param(x, dtype):
    """A sampler parameter converted to ``dtype`` (tracers stay traced)."""
    if isinstance(x, Tracer):
        return lax.convert_element_type(x, dtype) if x.aval.dtype != dtype else x
    return np.asarray(x, dtype)


def check_shape(name: str, shape, *param_shapes) -> None:
    """``shape`` must be the broadcast of itself with the parameters' shapes."""
    try:
        joint = np.broadcast_shapes(shape, *param_shapes)
    except ValueError:
        joint = None
    if joint != tuple(shape):
        raise FuncadValueError(
            f"funcad.random.{name}: shape {tuple(shape)} is not compatible with the "
            f"parameter shapes {[tuple(s) for s in param_shapes]}")


def uniform_unit(k, shape, dtype):
    """Floats in [0, 1): random mantissa bits under the exponent of 1.0, minus 1."""
    info = np.finfo(dtype)
    nbits, nmant = info.bits, info.nmant
    rng_bits = 8 if nmant < 8 else nbits
    u = UINT_DTYPES[nbits]
    raw = random_bits(k, rng_bits, shape)
    if rng_bits != nbits:
        raw = lax.convert_element_type(raw, u)
    one_bits = np.array(1.0, dtype).view(u)
    mant = lax.bitwise_or(shift_right_logical(raw, lax.full(shape, rng_bits - nmant, u)),
                          lax.full(shape, one_bits, u))
    return lax.sub(bitcast_convert_type(mant, dtype), lax.full(shape, 1.0, dtype))


def _two_product(a, b):
    """``a * b == p + e`` exactly (Veltkamp's splitting; Dekker's product)."""
    split = np.array(2.0 ** 27 + 1, a.dtype)
    ca, cb = split * a, split * b
    ah, bh = ca - (ca - a), cb - (cb - b)
    al, bl = a - ah, b - bh
    p = a * b
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _fused_multiply_add(a, b, c):
    """``a * b + c`` rounded once, as XLA computes it on CPUs (it contracts the multiply and
    the add into an FMA): float32 through float64 (the product is exact there), float64
    from the exact product and sum (Dekker, Knuth), then rounded."""
    dtype = get_aval(a).dtype
    if dtype == np.float32:
        wide = np.dtype(np.float64)
        exact = (lax.convert_element_type(a, wide) * lax.convert_element_type(b, wide)
                 + lax.convert_element_type(c, wide))
        return lax.convert_element_type(exact, dtype)
    shape = get_aval(a).shape
    b, c = fnp.broadcast_to(b, shape), fnp.broadcast_to(c, shape)
    p, e = _two_product(a, b)
    s = p + c
    bv = s - p
    t = (p - (s - bv)) + (c - bv)
    return s + (t + e)


def _power_of_two_at_least_one(x) -> bool:
    """Whether ``x`` is concrete and every element a finite power of two >= 1 (multiplying a
    float of [0, 1) by it is exact: it only shifts the exponent)."""
    if x is None:
        return False
    x = np.asarray(x)
    return bool(np.all(np.isfinite(x)) and np.all(x >= 1) and np.all(np.frexp(x)[0] == 0.5))


def _uniform(k, shape, dtype, minval, maxval):
    minval, maxval = as_param(minval, dtype), as_param(maxval, dtype)
    check_shape("uniform", shape, get_aval(minval).shape, get_aval(maxval).shape)
    floats = uniform_unit(k, shape, dtype)
    span = maxval - minval
    lo, hi = to_concrete(minval), to_concrete(maxval)
    unit = lo is not None and hi is not None and np.all(lo == 0) and np.all(hi == 1)
    if unit or _power_of_two_at_least_one(to_concrete(span)):
        # The product is exact, so the sum rounds once, as the fused multiply-add: the same
        # numbers without the wider (or double-double) arithmetic. normal, laplace, gumbel
        # and logistic draw on such spans (2 or 1).
        out = floats * span + minval
        if lo is not None and np.all(np.isfinite(lo)) and not np.any(np.signbit(lo) & (lo == 0)):
            return out  # floats * span >= 0, so out >= minval already (rounding is monotonic)
        return fnp.maximum(minval, out)
    # The value rounds once, as XLA's fused multiply-add on CPUs.
    exact = _fused_multiply_add(floats, lax.stop_gradient(span), lax.stop_gradient(minval))
    if not (isinstance(minval, Tracer) or isinstance(maxval, Tracer)):
        return fnp.maximum(minval, exact)
    # Traced bounds: the plain expression carries the derivative.
    plain = floats * span + minval
    return fnp.maximum(minval, plain + lax.stop_gradient(exact - plain))


def uniform(key, shape=(), dtype=None, minval=0.0, maxval=1.0):
    """Floats uniform in ``[minval, maxval)``."""
    k = check_key("uniform", key)
    return _uniform(k, canonical_shape("uniform", shape), float_dtype("uniform", dtype),
                    minval, maxval)


def normal(key, shape=(), dtype=None):
    """Standard normal floats: ``sqrt(2) erf_inv(u)`` of ``u`` uniform in (-1, 1)."""
    k = check_key("normal", key)
    dtype = np.dtype(np.float64 if dtype is None else dtype)
    shape = canonical_shape("normal", shape)
    if dtype.kind == "c":
        real = np.dtype(f"f{dtype.itemsize // 2}")
        k_re, k_im = split(k)
        re = lax.convert_element_type(_normal_real(k_re, shape, real), dtype)
        im = lax.convert_element_type(_normal_real(k_im, shape, real), dtype)
        return (re + 1j * im) / np.array(np.sqrt(2), dtype)
    return _normal_real(k, shape, float_dtype("normal", dtype))


def _normal_real(k, shape, dtype):
    lo = np.nextafter(np.array(-1.0, dtype), np.array(0.0, dtype))
    u = _uniform(k, shape, dtype, lo, np.array(1.0, dtype))
    return np.array(np.sqrt(2), dtype) * erf_inv(u)


def nextafter_toward(x, direction: float):
    """The float next to ``x`` toward ``+inf`` (direction > 0) or ``-inf`` (infinities and
    NaN stay); the ``nextafter`` primitive, exact for subnormal ``x`` on every backend."""
    x = fnp.asarray(x)
    return lax.nextafter(x, lax.full_like(x, np.inf if direction > 0 else -np.inf))


def _erf(x):
    """``lax.erf`` through a 1-d view (its NumPy kernel mishandles 0-d operands)."""
    x = fnp.asarray(x)
    shape = get_aval(x).shape
    return fnp.reshape(lax.erf(fnp.reshape(x, (-1,))), shape)


def truncated_normal(key, lower, upper, shape=None, dtype=None):
    """Normal floats conditioned on ``lower < x < upper`` (by the inverse CDF)."""
    k = check_key("truncated_normal", key)
    dtype = float_dtype("truncated_normal", dtype)
    lower, upper = as_param(lower, dtype), as_param(upper, dtype)
    pshapes = (get_aval(lower).shape, get_aval(upper).shape)
    shape = np.broadcast_shapes(*pshapes) if shape is None else canonical_shape(
        "truncated_normal", shape)
    check_shape("truncated_normal", shape, *pshapes)
    sqrt2 = np.array(np.sqrt(2), dtype)
    a, b = (_erf(v) for v in (lower / sqrt2, upper / sqrt2))
    out = sqrt2 * erf_inv(_uniform(k, shape, dtype, a, b))
    lo = nextafter_toward(lax.stop_gradient(fnp.asarray(lower)), 1.0)
    hi = nextafter_toward(lax.stop_gradient(fnp.asarray(upper)), -1.0)
    return fnp.clip(out, lo, hi)


def multivariate_normal(key, mean, cov, shape=None, dtype=None, method="cholesky"):
    """Normal vectors ``mean + factor @ z`` with ``factor factor^T = cov``."""
    k = check_key("multivariate_normal", key)
    if method not in ("cholesky", "svd", "eigh"):
        raise FuncadValueError(
            f"funcad.random.multivariate_normal: method must be 'cholesky', 'svd' or "
            f"'eigh', got {method!r}")
    mean, cov = fnp.asarray(mean), fnp.asarray(cov)
    if mean.dtype.kind != "f":
        mean = mean.astype(np.float64)
    cov = cov.astype(mean.dtype) if cov.dtype != mean.dtype else cov
    dtype = float_dtype("multivariate_normal", mean.dtype if dtype is None else dtype)
    if mean.ndim < 1 or cov.ndim < 2 or cov.shape[-2:] != (mean.shape[-1],) * 2:
        raise FuncadValueError(
            f"funcad.random.multivariate_normal: needs mean (..., n) and cov (..., n, n), "
            f"got {mean.shape} and {cov.shape}")
    batch = (mean.shape[:-1], cov.shape[:-2])
    shape = np.broadcast_shapes(*batch) if shape is None else canonical_shape(
        "multivariate_normal", shape)
    check_shape("multivariate_normal", shape, *batch)
    if method == "cholesky":
        factor = fnp.linalg.cholesky(cov)
    else:
        decompose = getattr(fnp.linalg, method, None)
        if decompose is None:
            raise FuncadNotImplementedError(
                f"funcad.numpy.linalg.{method} (which funcad.random.multivariate_normal"
                f"(method={method!r}) needs)")
        if method == "svd":
            left, scale, _ = decompose(cov)
        else:
            scale, left = decompose(cov)
        factor = left * fnp.sqrt(scale[..., None, :])
    z = normal(k, tuple(shape) + mean.shape[-1:], dtype)
    return mean + fnp.einsum("...ij,...j->...i", factor, z)


def exponential(key, shape=(), dtype=None):
    """Exponential floats of rate 1: ``-log1p(-u)``."""
    k = check_key("exponential", key)
    u = _uniform(k, canonical_shape("exponential", shape),
                 float_dtype("exponential", dtype), 0.0, 1.0)
    return -fnp.log1p(-u)


def gumbel(key, shape=(), dtype=None, mode=None):
    """Gumbel floats: ``-log(-log(u))`` (``mode='high'``: JAX's extended-range variant)."""
    k = check_key("gumbel", key)
    dtype = float_dtype("gumbel", dtype)
    shape = canonical_shape("gumbel", shape)
    mode = "low" if mode is None else mode
    if mode not in ("low", "high"):
        raise FuncadValueError(
            f"funcad.random.gumbel: mode must be 'low' or 'high', got {mode!r}"
            + (" ('highest' is not supported)" if mode == "highest" else ""))
    info = np.finfo(dtype)
    if mode == "high":
        both = _uniform(k, (2, *shape), dtype, 0.0, 1.0)
        high, low = both[0], both[1]
        x = fnp.where(high >= 0.5, high,
                      high + np.array(2.0 ** -info.nmant, dtype) * low + info.tiny)
        return -fnp.log(-fnp.log1p(-x))
    return -fnp.log(-fnp.log(_uniform(k, shape, dtype, info.tiny, 1.0)))


def laplace(key, shape=(), dtype=None):
    """Laplace floats of scale 1."""
    k = check_key("laplace", key)
    dtype = float_dtype("laplace", dtype)
    u = _uniform(k, canonical_shape("laplace", shape), dtype,
                 -1.0 + np.finfo(dtype).epsneg, 1.0)
    return fnp.sign(u) * fnp.log1p(-fnp.abs(u))


def logistic(key, shape=(), dtype=None):
    """Logistic floats: ``log(u) - log1p(-u)``."""
    k = check_key("logistic", key)
    dtype = float_dtype("logistic", dtype)
    x = _uniform(k, canonical_shape("logistic", shape), dtype, np.finfo(dtype).tiny, 1.0)
    return fnp.log(x) - fnp.log1p(-x)


def cauchy(key, shape=(), dtype=None):
    """Cauchy floats: ``tan(pi (u - 1/2))``."""
    k = check_key("cauchy", key)
    dtype = float_dtype("cauchy", dtype)
    u = _uniform(k, canonical_shape("cauchy", shape), dtype, np.finfo(dtype).eps, 1.0)
    return fnp.tan(np.array(np.pi, dtype) * (u - np.array(0.5, dtype)))


__all__ = ["as_param", "cauchy", "check_shape", "exponential", "float_dtype", "gumbel",
           "laplace", "logistic", "multivariate_normal", "nextafter_toward", "normal",
           "truncated_normal", "uniform", "uniform_unit"]
