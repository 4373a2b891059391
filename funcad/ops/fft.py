"""The ``fft`` primitive: discrete Fourier transforms over the trailing axes, as
``jax.lax.fft`` (``fft_type`` one of FFT, IFFT, RFFT, IRFFT; ``fft_lengths`` the sizes of
the transformed axes, which are the operand's last ``len(fft_lengths)`` ones). IFFT and
IRFFT include the 1/N of NumPy's default ("backward") normalization.

The primitive is linear: its JVP transforms the tangent, and its transpose is the plain
(unconjugated) transpose of the map on pairs of reals, JAX's convention. FFT and IFFT are
symmetric matrices, so each is its own transpose. RFFT keeps the first n//2+1 outputs of a
complex FFT of a real input: its transpose zero-pads the cotangent back to n, transforms it
and keeps the real part. IRFFT reads a half spectrum as the Hermitian full one (each inner
frequency counted twice, the imaginary parts of the zero and Nyquist frequencies ignored):
its transpose is the conjugate of the RFFT of the cotangent, weighted 1, 2, ..., 2, (1) and
divided by N. The implementation is ``scipy.fft`` (the same pocketfft as ``numpy.fft``,
with the same conventions, but faster; imported on first use).
"""
from __future__ import annotations

import enum
import math

import numpy as np

from funcad.core import dtypes
from funcad.core.avals import ShapedArray
from funcad.core.rules import Call, batch_rules, explain_notation
from funcad.core.trace import get_aval
from funcad.errors import FuncadValueError
from funcad.ops._base import broadcast_in_dim, deflinear, moveaxis, real
from funcad.ops._shapes import new_primitive, shape_tuple, type_error
from funcad.ops.arithmetic import mul
from funcad.ops.complex_parts import complex_dtype, conj
from funcad.ops.slicing import pad


class FftType(enum.IntEnum):
    """The kinds of transform, numbered as ``jax.lax.FftType``."""

    FFT = 0
    IFFT = 1
    RFFT = 2
    IRFFT = 3

    # Printed by name in the IR and in explain's notation.
    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return self.name

    def __format__(self, spec: str) -> str:
        return format(self.name, spec)


def _fft_type(fft_type) -> FftType:
    """``fft_type`` as an ``FftType``: one, its name (any case), or an enum member of the
    same name (``jax.lax.FftType.RFFT``)."""
    if isinstance(fft_type, FftType):
        return fft_type
    name = getattr(fft_type, "name", fft_type)
    if isinstance(name, str) and name.upper() in FftType.__members__:
        return FftType[name.upper()]
    raise FuncadValueError(
        f"fft: fft_type must be one of 'FFT', 'IFFT', 'RFFT', 'IRFFT', got {fft_type!r}"
    )


def real_dtype(dtype) -> np.dtype:
    """The float dtype of ``dtype``'s precision (complex64 -> float32)."""
    return np.finfo(dtype).dtype


# --- fft ----------------------------------------------------------------------------------

def fft(x, fft_type, fft_lengths):
    """The ``fft_type`` transform of the last ``len(fft_lengths)`` axes of ``x``."""
    lengths = shape_tuple(fft_lengths)
    return fft_p.bind(x, fft_type=_fft_type(fft_type), fft_lengths=lengths)


def _fft_impl(x, *, fft_type, fft_lengths):
    from scipy import fft as sp_fft  # lazily: `import funcad` does not load SciPy

    axes = tuple(range(x.ndim - len(fft_lengths), x.ndim))
    if fft_type is FftType.FFT:
        out = sp_fft.fftn(x, axes=axes)
    elif fft_type is FftType.IFFT:
        out = sp_fft.ifftn(x, axes=axes)
    elif fft_type is FftType.RFFT:
        out = sp_fft.rfftn(x, axes=axes)
    else:
        out = sp_fft.irfftn(x, s=fft_lengths, axes=axes)
    return np.asarray(out, dtype=_fft_out_dtype(x.dtype, fft_type))


def _fft_out_dtype(dtype, fft_type) -> np.dtype:
    if fft_type is FftType.RFFT:
        return complex_dtype(dtype)
    if fft_type is FftType.IRFFT:
        return real_dtype(dtype)
    return np.dtype(dtype)


def _fft_abstract_eval(x, *, fft_type, fft_lengths):
    k = len(fft_lengths)
    if not 1 <= k <= 3 or k > x.ndim or any(n < 1 for n in fft_lengths):
        raise type_error(fft_p, [x], f"fft_lengths {fft_lengths} must be 1 to 3 positive "
                                     "sizes of the operand's trailing axes")
    wants_real = fft_type is FftType.RFFT
    if (dtypes.is_float(x.dtype) and x.dtype.itemsize >= 4) != wants_real or (
            not wants_real and not dtypes.is_complex(x.dtype)):
        kind = "float32 or float64" if wants_real else "complex"
        raise type_error(fft_p, [x], f"{fft_type.name} expects a {kind} operand")
    lead, tail = x.shape[:-k], tuple(x.shape[-k:])
    expected = fft_lengths
    if fft_type is FftType.IRFFT:
        expected = (*fft_lengths[:-1], fft_lengths[-1] // 2 + 1)
    if tail != expected:
        raise type_error(fft_p, [x], f"{fft_type.name} with fft_lengths {fft_lengths} expects "
                                     f"trailing axes {expected}, got {tail}")
    out_tail = fft_lengths
    if fft_type is FftType.RFFT:
        out_tail = (*fft_lengths[:-1], fft_lengths[-1] // 2 + 1)
    return ShapedArray((*lead, *out_tail), _fft_out_dtype(x.dtype, fft_type))


def _rfft_transpose(ct, fft_lengths):
    """Zero-pad the half spectrum back to n, transform, keep the real part."""
    aval = get_aval(ct)
    n, m = fft_lengths[-1], aval.shape[-1]
    config = [(0, 0, 0)] * (aval.ndim - 1) + [(0, n - m, 0)]
    full = pad(ct, np.zeros((), aval.dtype), config)
    return real(fft(full, FftType.FFT, fft_lengths))


def _irfft_transpose(ct, fft_lengths):
    """conj(w * rfft(ct)) / N with w = 1 at frequency 0 (and n/2 for even n), else 2."""
    spectrum = fft(ct, FftType.RFFT, fft_lengths)
    aval = get_aval(spectrum)
    n, m = fft_lengths[-1], aval.shape[-1]
    weights = np.full(m, 2.0)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    weights = (weights / math.prod(fft_lengths)).astype(aval.dtype)
    return conj(mul(spectrum, broadcast_in_dim(weights, aval.shape, (aval.ndim - 1,))))


def _fft_transpose(ct, x, *, fft_type, fft_lengths):
    if fft_type is FftType.RFFT:
        return [_rfft_transpose(ct, fft_lengths)]
    if fft_type is FftType.IRFFT:
        return [_irfft_transpose(ct, fft_lengths)]
    return [fft(ct, fft_type, fft_lengths)]  # the DFT matrices are symmetric


def _fft_batch(vals, dims, *, fft_type, fft_lengths):
    (x,), (d,) = vals, dims
    if d >= get_aval(x).ndim - len(fft_lengths):  # the batch axis among the transformed ones
        x, d = moveaxis(x, d, 0), 0
    return fft(x, fft_type, fft_lengths), d


fft_p = new_primitive("fft", _fft_impl, _fft_abstract_eval)
deflinear(fft_p, _fft_transpose)
batch_rules[fft_p] = _fft_batch
explain_notation[fft_p] = Call("fft", ("{fft_type}", "lengths={fft_lengths}"))


__all__ = ["FftType", "fft", "fft_p", "real_dtype"]
