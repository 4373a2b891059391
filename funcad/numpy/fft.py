"""``funcad.numpy.fft``: NumPy's discrete Fourier transforms on arrays and traced values.

Every transform is the ``fft`` primitive (``funcad.ops.fft``) over the requested axes, moved
last: the input is first cropped or zero-padded to the lengths ``n``/``s`` (as NumPy), then
transformed, then scaled by ``norm`` ("backward": the inverse divides by N; "ortho": both
by sqrt(N); "forward": the forward one by N). Result dtypes are NumPy 2's: single precision
stays single (complex64 / float32), integers and bool compute in double precision.
``hfft``/``ihfft`` are ``irfft``/``rfft`` of the conjugate with the norm's direction
swapped, as NumPy defines them.
"""
from __future__ import annotations

import math

import numpy as np

from funcad.core import dtypes
from funcad.core.trace import Tracer
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.numpy._complex import conj
from funcad.numpy._core import array_operand, aval, cast, normalize_axis
from funcad.numpy._shape import moveaxis, roll
from funcad.numpy._ufuncs import multiply, true_divide
from funcad.ops import fft as fft_ops
from funcad.ops.slicing import pad

_NORMS = (None, "backward", "ortho", "forward")
_SWAPPED = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def _error(fname: str, message: str) -> FuncadValueError:
    return FuncadValueError(with_user_line(f"funcad.numpy.fft.{fname}: {message}"))


def _single(dtype) -> bool:
    return dtype in (np.float16, np.float32, np.complex64)


def _as_complex(x, fname):
    dt = aval(x).dtype
    if not (dtypes.is_inexact(dt) or dtypes.is_integer(dt) or dt == np.bool_):
        raise FuncadTypeError(with_user_line(f"funcad.numpy.fft.{fname}: not defined for {dt}"))
    return cast(x, np.complex64 if _single(dt) else np.complex128)


def _as_real(x, fname):
    dt = aval(x).dtype
    if dtypes.is_complex(dt):
        raise FuncadTypeError(with_user_line(
            f"funcad.numpy.fft.{fname}: expects real input, got {dt} (as NumPy); take .real "
            "or use fft"))
    if not (dtypes.is_float(dt) or dtypes.is_integer(dt) or dt == np.bool_):
        raise FuncadTypeError(with_user_line(f"funcad.numpy.fft.{fname}: not defined for {dt}"))
    return cast(x, np.float32 if _single(dt) else np.float64)


def _axes_and_lengths(x, s, axes, fname: str, *, default_last=None):
    """NumPy's (s, axes): all axes if both are None, the last len(s) if only s is given;
    lengths default to the axes' sizes (``default_last`` for the last one, irfft's 2(m-1))."""
    ndim = aval(x).ndim
    if axes is None:
        axes = range(ndim) if s is None else range(ndim - len(s), ndim)
    axes = [normalize_axis(a, ndim, f"fft.{fname}") for a in axes]
    if len(set(axes)) != len(axes):
        raise _error(fname, f"repeated axes {axes} are not supported")
    if not axes:
        raise _error(fname, "needs at least one axis")
    shape = aval(x).shape
    if s is None:
        s = [shape[a] for a in axes]
        if default_last is not None:
            s[-1] = default_last(shape[axes[-1]])
    s = [int(n) for n in s]
    if len(s) != len(axes):
        raise _error(fname, f"shape {tuple(s)} and axes {tuple(axes)} differ in length")
    if any(n < 1 for n in s):
        raise _error(fname, f"invalid number of FFT data points {tuple(s)}")
    return axes, s


def _resized_last(x, sizes):
    """Crop or zero-pad the trailing axes of ``x`` to ``sizes`` (at their ends, as NumPy)."""
    shape = aval(x).shape
    k = len(sizes)
    config = [(0, 0, 0)] * (len(shape) - k) + [
        (0, n - m, 0) for n, m in zip(sizes, shape[-k:])]
    return pad(x, np.zeros((), aval(x).dtype), config)


def _check_norm(norm, fname: str):
    if norm not in _NORMS:
        raise _error(fname, f'norm must be "backward", "ortho" or "forward", got {norm!r}')


def _scale(y, norm, n: int, inverse: bool):
    if norm in (None, "backward"):
        return y
    factor = math.sqrt(n) if norm == "ortho" else float(n)
    return multiply(y, factor) if inverse else true_divide(y, factor)


def _transform(a, s, axes, norm, kind: fft_ops.FftType, fname: str):
    """The core of every function: move ``axes`` last, resize, transform, scale, move back."""
    _check_norm(norm, fname)
    x = array_operand(a, f"fft.{fname}")
    irfft = kind is fft_ops.FftType.IRFFT
    axes, s = _axes_and_lengths(x, s, axes, fname,
                                default_last=(lambda m: 2 * (m - 1)) if irfft else None)
    x = _as_real(x, fname) if kind is fft_ops.FftType.RFFT else _as_complex(x, fname)
    k = len(axes)
    last = list(range(-k, 0))
    x = moveaxis(x, axes, last)
    in_sizes = [*s[:-1], s[-1] // 2 + 1] if irfft else s
    y = fft_ops.fft(_resized_last(x, in_sizes), kind, s)
    inverse = kind in (fft_ops.FftType.IFFT, fft_ops.FftType.IRFFT)
    return moveaxis(_scale(y, norm, math.prod(s), inverse), last, axes)


def _one_axis(n, axis):
    return (None if n is None else [n]), [axis]


# --- one-dimensional -----------------------------------------------------------------------

def fft(a, n=None, axis=-1, norm=None):
    """The discrete Fourier transform along ``axis``."""
    return _transform(a, *_one_axis(n, axis), norm, fft_ops.FftType.FFT, "fft")


def ifft(a, n=None, axis=-1, norm=None):
    """The inverse discrete Fourier transform along ``axis``."""
    return _transform(a, *_one_axis(n, axis), norm, fft_ops.FftType.IFFT, "ifft")


def rfft(a, n=None, axis=-1, norm=None):
    """The transform of a real input: the n//2+1 non-negative frequencies."""
    return _transform(a, *_one_axis(n, axis), norm, fft_ops.FftType.RFFT, "rfft")


def irfft(a, n=None, axis=-1, norm=None):
    """The inverse of ``rfft``: a real signal of length ``n`` (default 2(m-1))."""
    return _transform(a, *_one_axis(n, axis), norm, fft_ops.FftType.IRFFT, "irfft")


def hfft(a, n=None, axis=-1, norm=None):
    """The transform of a Hermitian-symmetric signal given by its first half: real output."""
    _check_norm(norm, "hfft")
    return irfft(conj(array_operand(a, "fft.hfft")), n, axis, _SWAPPED[norm])


def ihfft(a, n=None, axis=-1, norm=None):
    """The inverse of ``hfft``: the half spectrum of a real signal."""
    _check_norm(norm, "ihfft")
    return conj(rfft(a, n, axis, _SWAPPED[norm]))


# --- two- and n-dimensional ------------------------------------------------------------------

def fftn(a, s=None, axes=None, norm=None):
    """The n-dimensional transform over ``axes`` (all, or the last len(s))."""
    return _transform(a, s, axes, norm, fft_ops.FftType.FFT, "fftn")


def ifftn(a, s=None, axes=None, norm=None):
    """The inverse of ``fftn``."""
    return _transform(a, s, axes, norm, fft_ops.FftType.IFFT, "ifftn")


def rfftn(a, s=None, axes=None, norm=None):
    """The real-input transform: rfft over the last of ``axes``, fft over the others."""
    return _transform(a, s, axes, norm, fft_ops.FftType.RFFT, "rfftn")


def irfftn(a, s=None, axes=None, norm=None):
    """The inverse of ``rfftn``: a real array of shape ``s`` over ``axes``."""
    return _transform(a, s, axes, norm, fft_ops.FftType.IRFFT, "irfftn")


def fft2(a, s=None, axes=(-2, -1), norm=None):
    """``fftn`` over the last two axes."""
    return _transform(a, s, axes, norm, fft_ops.FftType.FFT, "fft2")


def ifft2(a, s=None, axes=(-2, -1), norm=None):
    """``ifftn`` over the last two axes."""
    return _transform(a, s, axes, norm, fft_ops.FftType.IFFT, "ifft2")


def rfft2(a, s=None, axes=(-2, -1), norm=None):
    """``rfftn`` over the last two axes."""
    return _transform(a, s, axes, norm, fft_ops.FftType.RFFT, "rfft2")


def irfft2(a, s=None, axes=(-2, -1), norm=None):
    """``irfftn`` over the last two axes."""
    return _transform(a, s, axes, norm, fft_ops.FftType.IRFFT, "irfft2")


# --- frequencies and shifts ------------------------------------------------------------------

def fftfreq(n, d=1.0):
    """The sample frequencies of an ``n``-point transform with sample spacing ``d``."""
    if isinstance(d, Tracer):
        return true_divide(np.fft.fftfreq(n), d)
    return np.fft.fftfreq(n, d)


def rfftfreq(n, d=1.0):
    """The non-negative sample frequencies of an ``n``-point ``rfft``."""
    if isinstance(d, Tracer):
        return true_divide(np.fft.rfftfreq(n), d)
    return np.fft.rfftfreq(n, d)


def _shift(x, axes, fname: str, sign: int):
    x = array_operand(x, f"fft.{fname}")
    shape = aval(x).shape
    if axes is None:
        axes = tuple(range(len(shape)))
    elif isinstance(axes, int):
        axes = (axes,)
    if not axes:
        return x
    shifts = [sign * (shape[normalize_axis(a, len(shape), f"fft.{fname}")] // 2) for a in axes]
    return roll(x, shifts, tuple(axes))


def fftshift(x, axes=None):
    """Move the zero frequency to the center."""
    return _shift(x, axes, "fftshift", 1)


def ifftshift(x, axes=None):
    """The inverse of ``fftshift``."""
    return _shift(x, axes, "ifftshift", -1)


__all__ = [
    "fft", "fft2", "fftfreq", "fftn", "fftshift", "hfft", "ifft", "ifft2", "ifftn",
    "ifftshift", "ihfft", "irfft", "irfft2", "irfftn", "rfft", "rfft2", "rfftfreq", "rfftn",
]
