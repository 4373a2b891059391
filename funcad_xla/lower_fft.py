"""Lowering of funcad's ``fft`` primitive to ``jax.lax.fft`` (the same transform types,
lengths and normalization); one row in ``funcad_xla.rules``."""
from __future__ import annotations

from jax import lax

from funcad.ops import fft as fft_ops
from funcad_xla.rules import register_lowerings


def _fft(x, *, fft_type, fft_lengths):
    return lax.fft(x, lax.FftType[fft_type.name], fft_lengths)


register_lowerings({fft_ops.fft_p: _fft})
