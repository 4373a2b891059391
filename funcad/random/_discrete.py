"""Discrete samplers (integers, booleans, categories, shuffles, Poisson counts) with
``jax.random``'s algorithms, so the same key gives the same draws.

Shuffles sort by random 32-bit keys with a stable ``lax.sort`` (the keys carry the values
along), and draws without replacement take ``lax.top_k`` of Gumbel-perturbed log
probabilities, as JAX's do: any size, bit for bit.
"""
from __future__ import annotations

import math
import operator

import numpy as np

import funcad.numpy as fnp
from funcad import lax
from funcad.core.trace import Tracer, get_aval, to_concrete
from funcad.errors import FuncadTypeError, FuncadValueError
from funcad.ops.special import lgamma
from funcad.random._floats import _uniform, as_param, check_shape, gumbel, uniform
from funcad.random._keys import UINT_DTYPES, canonical_shape, check_key, random_bits, split


def _int_dtype(name: str, dtype) -> np.dtype:
    dtype = np.dtype(np.int64 if dtype is None else dtype)
    if dtype.kind not in "iu":
        raise FuncadTypeError(
            f"funcad.random.{name}: dtype must be an integer dtype, got {dtype.name}")
    return dtype


def _clip_to(val, dtype):
    """Integer ``val`` converted to ``dtype``, clipped to its range instead of wrapping."""
    src = get_aval(val).dtype
    lo = max(np.iinfo(dtype).min, np.iinfo(src).min)
    hi = min(np.iinfo(dtype).max, np.iinfo(src).max)
    clipped = fnp.clip(val, np.asarray(lo, src), np.asarray(hi, src))
    return lax.convert_element_type(clipped, dtype)


def _urem(x, span):
    """``x % span`` on unsigned integers, ``x`` where ``span`` is 0 (XLA's remainder)."""
    zero = span == 0
    return fnp.where(zero, x, x % fnp.where(zero, np.ones((), span.dtype), span))


def _int_param(x):
    x = fnp.asarray(x)
    return x if x.dtype.kind in "iu" else lax.convert_element_type(x, np.int64)


def randint(key, shape, minval, maxval, dtype=None):
    """Integers uniform in ``[minval, maxval)`` (JAX's modulus of 2 x nbits random bits)."""
    k = check_key("randint", key)
    shape = canonical_shape("randint", shape)
    dtype = _int_dtype("randint", dtype)
    info = np.iinfo(dtype)
    if info.bits < 32:  # sampled in 32 bits, as JAX, to keep the bias small
        minval = fnp.clip(lax.convert_element_type(_int_param(minval), np.int32),
                          np.int32(info.min), np.int32(info.max))
        maxval = fnp.clip(lax.convert_element_type(_int_param(maxval), np.int32),
                          np.int32(info.min), np.int32(min(info.max + 1, 2 ** 31 - 1)))
        out = _randint(k, shape, minval, maxval, np.dtype(np.int32))
        return lax.convert_element_type(out, dtype)
    return _randint(k, shape, _int_param(minval), _int_param(maxval), dtype)


def _randint(k, shape, minval, maxval, dtype):
    check_shape("randint", shape, get_aval(minval).shape, get_aval(maxval).shape)
    nbits = np.iinfo(dtype).bits
    unsigned = UINT_DTYPES[nbits]
    dmax = _clip_to(np.asarray(np.iinfo(dtype).max, dtype), get_aval(maxval).dtype)
    out_of_range = fnp.broadcast_to(maxval > dmax, shape)
    minval = fnp.broadcast_to(_clip_to(minval, dtype), shape)
    maxval = fnp.broadcast_to(_clip_to(maxval, dtype), shape)
    k1, k2 = split(k)
    higher, lower = random_bits(k1, nbits, shape), random_bits(k2, nbits, shape)
    one = np.ones((), unsigned)
    span = lax.convert_element_type(maxval - minval, unsigned)
    span = fnp.where(maxval <= minval, one, span)
    span = fnp.where(out_of_range & (maxval > minval), span + one, span)
    multiplier = _urem(fnp.full(shape, 2 ** (nbits // 2), unsigned), span)
    multiplier = _urem(multiplier * multiplier, span)
    offset = _urem(_urem(higher, span) * multiplier + _urem(lower, span), span)
    return minval + lax.convert_element_type(offset, dtype)


def bernoulli(key, p=0.5, shape=None, mode="low"):
    """Booleans that are True with probability ``p``."""
    k = check_key("bernoulli", key)
    if mode not in ("low", "high"):
        raise FuncadValueError(
            f"funcad.random.bernoulli: mode must be 'low' or 'high', got {mode!r}")
    dtype = get_aval(p).dtype
    if dtype.kind != "f":
        raise FuncadTypeError(
            f"funcad.random.bernoulli: p must have a floating dtype, got {dtype.name}")
    p = as_param(p, dtype)
    shape = get_aval(p).shape if shape is None else canonical_shape("bernoulli", shape)
    check_shape("bernoulli", shape, get_aval(p).shape)
    if mode == "high":
        both = _uniform(k, (2, *shape), dtype, 0.0, 1.0)
        u2 = both[1] * np.array(2.0 ** -np.finfo(dtype).nmant, dtype)
        return u2 < p - both[0]
    return _uniform(k, shape, dtype, 0.0, 1.0) < p


def _sort_by(keys, x, axis: int):
    """``x`` reordered along ``axis`` by a stable sort of ``keys`` (same shape)."""
    return lax.sort((keys, x), dimension=axis, is_stable=True, num_keys=1)[1]


def _top_k_indices(x, k: int):
    """The indices of the ``k`` largest entries of each row (last axis), ties by index."""
    return lax.top_k(x, k)[1]


def _shuffle(k, x, axis: int):
    size = get_aval(x).size
    rounds = int(np.ceil(3 * np.log(max(1, size)) / np.log(np.iinfo(np.uint32).max)))
    for _ in range(rounds):
        k, sub = split(k)
        x = _sort_by(random_bits(sub, 32, get_aval(x).shape), x, axis)
    return x


def permutation(key, x, axis: int = 0, independent: bool = False):
    """A random permutation of ``range(x)`` or of ``x`` along ``axis``."""
    k = check_key("permutation", key)
    if get_aval(x).ndim == 0:
        if get_aval(x).dtype.kind not in "iu":
            raise FuncadTypeError("funcad.random.permutation: x must be an integer or an array")
        n = to_concrete(x)
        if n is None:
            raise FuncadTypeError(
                "funcad.random.permutation: the length x must be concrete, not traced")
        return _shuffle(k, fnp.arange(operator.index(np.asarray(n).item())), 0)
    x = fnp.asarray(x)
    axis = operator.index(axis) % x.ndim
    if independent or x.ndim == 1:
        return _shuffle(k, x, axis)
    order = _shuffle(k, fnp.arange(x.shape[axis]), 0)
    return fnp.take(x, order, axis=axis)


def choice(key, a, shape=(), replace: bool = True, p=None, axis: int = 0, mode=None):
    """Draws from ``a`` (an array, or ``range(a)``), with or without replacement."""
    k = check_key("choice", key)
    if not isinstance(shape, (tuple, list)):
        raise FuncadTypeError(f"funcad.random.choice: shape must be a sequence, got {shape!r}")
    shape = canonical_shape("choice", shape)
    arr = a if isinstance(a, Tracer) else np.asarray(a)
    ndim = get_aval(arr).ndim
    if ndim == 0:
        n_inputs = to_concrete(a)
        if n_inputs is None:
            raise FuncadTypeError("funcad.random.choice: a scalar `a` must be concrete")
        n_inputs = operator.index(np.asarray(n_inputs).item())
    else:
        axis = operator.index(axis) % ndim
        n_inputs = get_aval(arr).shape[axis]
    n_draws = math.prod(shape)
    if n_draws == 0:
        return fnp.zeros(shape, get_aval(arr).dtype)
    if n_inputs <= 0:
        raise FuncadValueError("funcad.random.choice: a must be greater than 0")
    if not replace and n_draws > n_inputs:
        raise FuncadValueError(
            f"funcad.random.choice: cannot take {n_draws} samples from {n_inputs} "
            "without replacement")
    if p is None:
        if replace:
            ind = randint(k, shape, 0, n_inputs)
            result = ind if ndim == 0 else fnp.take(arr, ind, axis=axis)
        else:
            perm = permutation(k, n_inputs if ndim == 0 else arr, axis)
            result = lax.slice_in_dim(perm, 0, n_draws, axis=0 if ndim == 0 else axis)
    else:
        p = fnp.asarray(p)
        if p.dtype.kind != "f":
            p = p.astype(np.float64)
        if p.shape != (n_inputs,):
            raise FuncadValueError(
                f"funcad.random.choice: p must have shape ({n_inputs},), got {p.shape}")
        if replace:
            p_cuml = fnp.cumsum(p)
            r = p_cuml[-1] * (1 - uniform(k, shape, dtype=p.dtype))
            ind = fnp.sum(p_cuml < r[..., None], axis=-1).astype(np.int64)
        else:
            g = gumbel(k, (n_inputs,), dtype=p.dtype, mode=mode) + fnp.log(p)
            ind = _top_k_indices(g, n_draws).astype(np.int64)
        result = ind if ndim == 0 else fnp.take(arr, ind, axis=axis)
    arr_shape = get_aval(arr).shape
    return fnp.reshape(result, shape if ndim == 0 else
                       arr_shape[:axis] + shape + arr_shape[axis + 1:])


def categorical(key, logits, axis: int = -1, shape=None, replace: bool = True, mode=None):
    """Category indices drawn with probabilities ``softmax(logits, axis)`` (Gumbel-max)."""
    k = check_key("categorical", key)
    logits = fnp.asarray(logits)
    nd = logits.ndim
    axis = operator.index(axis)
    batch_shape = tuple(np.delete(logits.shape, axis))
    shape = batch_shape if shape is None else canonical_shape("categorical", shape)
    check_shape("categorical", shape, batch_shape)
    prefix = shape[: len(shape) - len(batch_shape)]
    if replace:
        axis = axis - nd if axis >= 0 else axis
        logits_shape = list(shape[len(shape) - len(batch_shape):])
        logits_shape.insert(axis % nd, logits.shape[axis])
        g = gumbel(k, (*prefix, *logits_shape), logits.dtype, mode=mode)
        return fnp.argmax(g + lax.expand_dims(logits, tuple(range(len(prefix)))), axis=axis)
    logits = logits + gumbel(k, logits.shape, logits.dtype, mode=mode)
    n = math.prod(prefix)
    if n > logits.shape[axis]:
        raise FuncadValueError(
            f"funcad.random.categorical: {n} samples without replacement from "
            f"{logits.shape[axis]} categories")
    indices = _top_k_indices(fnp.moveaxis(logits, axis, -1), n).astype(np.int32)
    indices = fnp.moveaxis(indices, -1, 0)
    return fnp.reshape(indices, shape)


def poisson(key, lam, shape=None, dtype=None):
    """Poisson counts of rate ``lam`` (Knuth's method below 10, rejection above)."""
    k = check_key("poisson", key)
    dtype = _int_dtype("poisson", dtype)
    shape = get_aval(lam).shape if shape is None else canonical_shape("poisson", shape)
    lam = as_param(lam, np.float32)
    concrete = None if isinstance(lam, Tracer) else np.asarray(lam)
    lam = fnp.broadcast_to(lam, shape)
    use_knuth = fnp.isnan(lam) | (lam < 10)
    max_iters = np.iinfo(dtype).max
    knuth = _poisson_knuth(k, fnp.where(use_knuth, lam, np.float32(0)), shape, dtype, max_iters)
    if concrete is not None and np.all(np.isnan(concrete) | (concrete < 10)):
        result = knuth  # the rejection branch would be selected nowhere
    else:
        rejection = _poisson_rejection(
            k, fnp.where(use_knuth, np.float32(1e5), lam), shape, dtype, max_iters)
        result = fnp.where(use_knuth, knuth, rejection)
    return fnp.where(lam == 0, np.zeros((), dtype), result)


def _poisson_knuth(k, lam, shape, dtype, max_iters):
    def body(carry):
        i, count, rng, log_prod = carry
        rng, sub = split(rng)
        count = fnp.where(log_prod > -lam, count + np.ones((), dtype), count)
        u = _uniform(sub, shape, np.dtype(np.float32), 0.0, 1.0)
        return i + 1, count, rng, log_prod + fnp.log(u)

    def cond(carry):
        i, _, _, log_prod = carry
        return fnp.any(log_prod > -lam) & (i < max_iters)

    init = (np.int64(0), fnp.zeros(shape, dtype), k, fnp.zeros(shape, np.float32))
    count = lax.while_loop(cond, body, init)[1]
    return (count - np.ones((), dtype)).astype(dtype)


def _poisson_rejection(k, lam, shape, dtype, max_iters):
    log_lam = fnp.log(lam)
    b = 0.931 + 2.53 * fnp.sqrt(lam)
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)
    f32 = np.dtype(np.float32)

    def body(carry):
        i, k_out, accepted, rng = carry
        keys = split(rng, 3)
        rng, k0, k1 = keys[0], keys[1], keys[2]
        u = _uniform(k0, shape, f32, 0.0, 1.0) - 0.5
        v = _uniform(k1, shape, f32, 0.0, 1.0)
        u_shifted = 0.5 - fnp.abs(u)
        kk = fnp.floor((2 * a / u_shifted + b) * u + lam + 0.43)
        s = fnp.log(v * inv_alpha / (a / (u_shifted * u_shifted) + b))
        t = -lam + kk * log_lam - lgamma(kk + 1)
        accept1 = (u_shifted >= 0.07) & (v <= v_r)
        reject = (kk < 0) | ((u_shifted < 0.013) & (v > u_shifted))
        accept = accept1 | (~reject & (s <= t))
        return i + 1, fnp.where(accept, kk, k_out), accepted | accept, rng

    def cond(carry):
        i, _, accepted, _ = carry
        return fnp.any(~accepted) & (i < max_iters)

    init = (np.int64(0), fnp.full(shape, -1, np.float32), fnp.zeros(shape, bool), k)
    return lax.while_loop(cond, body, init)[1].astype(dtype)


__all__ = ["bernoulli", "categorical", "choice", "permutation", "poisson", "randint"]
