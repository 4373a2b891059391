"""Keys of the counter-based generator and the raw streams drawn from them.

A key is a raw ``uint32[2]`` array, as ``jax.random.PRNGKey`` makes. Everything is built on
the threefry2x32 primitive (``funcad.ops.bits``) with the conventions of ``jax.random``'s
default ("partitionable") threefry mode, so the same key gives the same bits: element ``i``
of a draw of any shape is ``threefry2x32(key, (hi(i), lo(i)))`` of its 64-bit flat index,
with the two output words xor-ed (32-bit draws) or joined (64-bit draws); ``split`` keeps
both words of each index as a new key; ``fold_in(key, d)`` is the key ``threefry2x32(key,
(0, d))``.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from funcad import lax
from funcad.core.trace import Tracer, get_aval
from funcad.errors import FuncadNotImplementedError, FuncadTypeError, FuncadValueError
from funcad.ops.bits import shift_left, shift_right_logical, threefry2x32

UINT32 = np.dtype(np.uint32)
UINT_DTYPES = {8: np.dtype(np.uint8), 16: np.dtype(np.uint16), 32: UINT32,
               64: np.dtype(np.uint64)}


def _is_concrete(x) -> bool:
    return isinstance(x, (int, np.integer, np.ndarray)) and not isinstance(x, bool)


def PRNGKey(seed) -> np.ndarray:
    """A raw key ``uint32[2]`` from an integer seed: its 64 bits as (high word, low word),
    as ``jax.random.PRNGKey`` with 64-bit seeds (32-bit seeds are sign-extended)."""
    aval = get_aval(seed)
    if aval.shape != ():
        raise FuncadTypeError(
            f"funcad.random.PRNGKey: the seed must be a scalar integer, got shape "
            f"{aval.shape} (use funcad.vmap for batches of seeds)")
    if isinstance(seed, bool) or aval.dtype.kind not in "iu":
        raise FuncadTypeError(
            f"funcad.random.PRNGKey: the seed must be an integer, got dtype {aval.dtype.name}")
    if _is_concrete(seed):
        # A 64-bit seed gives both words; a narrower one only the low word (sign-extended).
        value = operator.index(np.asarray(seed).item())
        if not -(2 ** 63) <= value < 2 ** 64:
            raise FuncadValueError(f"funcad.random.PRNGKey: seed {value} is out of 64-bit range")
        value %= 2 ** 64 if isinstance(seed, int) or aval.dtype.itemsize == 8 else 2 ** 32
        return np.array([value >> 32, value & 0xFFFFFFFF], dtype=UINT32)
    lo = lax.convert_element_type(seed, UINT32)
    if aval.dtype.itemsize == 8:
        hi = lax.convert_element_type(shift_right_logical(seed, 32), UINT32)
    else:
        hi = lax.full((), 0, UINT32)
    return lax.concatenate([lax.expand_dims(hi, (0,)), lax.expand_dims(lo, (0,))], 0)


def key(seed) -> np.ndarray:
    """Same as ``PRNGKey``: funcad's keys are raw ``uint32[2]`` arrays."""
    return PRNGKey(seed)


def check_key(name: str, k):
    """``k`` as a key ``uint32[2]``, or a funcad error naming the call and what it got."""
    try:
        if not isinstance(k, Tracer):
            k = np.asarray(k)  # also reads jax.Arrays
        aval = get_aval(k)
    except (TypeError, ValueError):
        raise FuncadTypeError(
            f"funcad.random.{name}: expected a key (uint32[2] from funcad.random.PRNGKey), "
            f"got {type(k).__name__}") from None
    if aval.dtype != UINT32 or aval.shape != (2,):
        hint = (" (use funcad.vmap to map over a batch of keys)"
                if aval.dtype == UINT32 and aval.shape[-1:] == (2,) else "")
        raise FuncadTypeError(
            f"funcad.random.{name}: expected a key of type uint32[2] (from "
            f"funcad.random.PRNGKey), got {aval.dtype.name}{list(aval.shape)}{hint}")
    return k


def canonical_shape(name: str, shape) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        shape = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise FuncadTypeError(
            f"funcad.random.{name}: shape must be a tuple of ints, got {shape!r}") from None
    if any(d < 0 for d in shape):
        raise FuncadValueError(f"funcad.random.{name}: negative dimension in shape {shape}")
    return shape


def _key_words(k):
    return (lax.index_in_dim(k, 0, keepdims=False), lax.index_in_dim(k, 1, keepdims=False))


def _hash_indices(k, shape: tuple[int, ...]):
    """The two threefry words of every flat index of ``shape`` under key ``k``."""
    size = math.prod(shape)
    if size >= 2 ** 32:
        raise FuncadNotImplementedError(
            f"funcad.random: draws of 2**32 or more elements (shape {shape})")
    k0, k1 = _key_words(k)
    lo = lax.reshape(lax.iota(UINT32, size), shape)
    hi = lax.full(shape, 0, UINT32)
    return threefry2x32(k0, k1, hi, lo)


def random_bits(k, bit_width: int, shape: tuple[int, ...]):
    """Unsigned integers of ``bit_width`` bits, uniform over their range."""
    b0, b1 = _hash_indices(k, shape)
    if bit_width == 64:
        u64 = UINT_DTYPES[64]
        hi = shift_left(lax.convert_element_type(b0, u64), lax.full(shape, 32, u64))
        return lax.bitwise_or(hi, lax.convert_element_type(b1, u64))
    bits = lax.bitwise_xor(b0, b1)
    return bits if bit_width == 32 else lax.convert_element_type(bits, UINT_DTYPES[bit_width])


def split(key, num: int | tuple[int, ...] = 2):
    """``num`` new keys (shape ``(num, 2)``, or ``(*num, 2)`` for a tuple)."""
    k = check_key("split", key)
    shape = canonical_shape("split", num)
    b0, b1 = _hash_indices(k, shape)
    return lax.concatenate([lax.expand_dims(b0, (len(shape),)),
                            lax.expand_dims(b1, (len(shape),))], len(shape))


def fold_in(key, data):
    """A new key that depends on ``key`` and the 32-bit integer ``data``."""
    k = check_key("fold_in", key)
    if np.ndim(data) != 0:
        raise FuncadTypeError(
            f"funcad.random.fold_in: data must be a scalar, got shape {np.shape(data)} "
            "(use funcad.vmap for batches)")
    if _is_concrete(data) or isinstance(data, (bool, float)):
        if get_aval(data).dtype.kind not in "iub":
            raise FuncadTypeError(
                f"funcad.random.fold_in: data must be an integer, got {data!r}")
        d = np.asarray(np.asarray(data).astype(np.int64) & 0xFFFFFFFF, UINT32)
    else:
        d = lax.convert_element_type(data, UINT32)
    k0, k1 = _key_words(k)
    y0, y1 = threefry2x32(k0, k1, np.zeros((), UINT32), d)
    return lax.concatenate([lax.expand_dims(y0, (0,)), lax.expand_dims(y1, (0,))], 0)


def bits(key, shape=(), dtype=None):
    """Uniform random bits as unsigned integers (default uint64, as jax.random with x64)."""
    k = check_key("bits", key)
    dtype = np.dtype(np.uint64 if dtype is None else dtype)
    if dtype.kind != "u":
        raise FuncadTypeError(
            f"funcad.random.bits: dtype must be an unsigned integer dtype, got {dtype.name}")
    return random_bits(k, dtype.itemsize * 8, canonical_shape("bits", shape))


def key_data(keys):
    """The raw ``uint32`` words of ``keys`` (funcad's keys already are raw)."""
    return keys


def wrap_key_data(key_bits_array, *, impl=None):
    """Keys from raw ``uint32`` words (the identity: funcad's keys are raw)."""
    if impl not in (None, "threefry2x32"):
        raise FuncadNotImplementedError(
            f"funcad.random.wrap_key_data: the generator {impl!r} (only threefry2x32)")
    return key_bits_array


__all__ = ["PRNGKey", "bits", "canonical_shape", "check_key", "fold_in", "key", "key_data",
           "random_bits", "split", "wrap_key_data"]
