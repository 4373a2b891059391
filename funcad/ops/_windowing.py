"""Shape arithmetic shared by the windowed primitives (convolutions and ``reduce_window``):
padding strings, dilated sizes, the paddings of their transposes, and the NumPy helpers that
dilate, pad and cut windows out of an array.

Sizes follow XLA: a dimension of size ``n`` dilated by ``d`` has ``(n - 1) * d + 1``
elements (0 stays 0); a window of (dilated) size ``k`` with stride ``s`` over ``n`` padded
elements has ``(n - k) // s + 1`` positions (none when ``k > n``).
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

PADDING_STRINGS = ("SAME", "SAME_LOWER", "VALID")


def dilate_dim(n: int, d: int) -> int:
    return 0 if n == 0 else 1 + d * (n - 1)


def dilate_shape(shape, dilation) -> tuple[int, ...]:
    return tuple(dilate_dim(n, d) for n, d in zip(shape, dilation))


def window_positions(n: int, k: int, s: int) -> int:
    """How many windows of size ``k`` and stride ``s`` fit in ``n`` elements."""
    return 0 if k > n else (n - k) // s + 1


def padtype_to_pads(in_shape, window_shape, strides, padding: str) -> tuple:
    """``(lo, hi)`` pairs of a padding string, as ``jax.lax.padtype_to_pads``: ``SAME``
    keeps ``ceil(n / s)`` positions with the extra element after (``SAME_LOWER``: before);
    ``VALID`` pads nothing."""
    mode = padding.upper() if isinstance(padding, str) else padding
    if mode == "VALID":
        return tuple((0, 0) for _ in in_shape)
    if mode not in ("SAME", "SAME_LOWER"):
        raise ValueError(f"unknown padding {padding!r}: expected one of {PADDING_STRINGS}")
    pads = []
    for n, k, s in zip(in_shape, window_shape, strides):
        out = -(-n // s)
        total = max((out - 1) * s + k - n, 0)
        lo = total // 2 if mode == "SAME" else total - total // 2
        pads.append((lo, total - lo))
    return tuple(pads)


def vjp_lhs_padding(in_shape, window_shape, strides, out_shape, padding, lhs_dilation,
                    rhs_dilation) -> tuple:
    """Padding of the cotangent in the convolution that transposes a windowed operation
    with respect to its input (the window runs reversed over the stride-dilated cotangent)."""
    lhs = dilate_shape(in_shape, lhs_dilation)
    rhs = dilate_shape(window_shape, rhs_dilation)
    out = dilate_shape(out_shape, strides)
    before = [k - lo - 1 for k, (lo, _) in zip(rhs, padding)]
    after = [n + k - 1 - o - b for n, k, o, b in zip(lhs, rhs, out, before)]
    return tuple(zip(before, after))


def vjp_rhs_padding(in_shape, window_shape, strides, out_shape, padding, lhs_dilation,
                    rhs_dilation) -> tuple:
    """Padding of the input in the convolution that transposes a convolution with respect
    to its kernel (the cotangent acts as the kernel, dilated by the strides)."""
    lhs = dilate_shape(in_shape, lhs_dilation)
    rhs = dilate_shape(window_shape, rhs_dilation)
    out = dilate_shape(out_shape, strides)
    return tuple((lo, (o - n) + (k - lo - 1))
                 for n, k, o, (lo, _) in zip(lhs, rhs, out, padding))


def dilate_and_pad(x: np.ndarray, axes, dilation, padding, value) -> np.ndarray:
    """``x`` with ``dilation - 1`` copies of ``value`` between neighbours along ``axes``
    and padded by ``padding`` (negative entries crop), as ``lax.pad`` with interior."""
    if any(d != 1 for d in dilation):
        shape = list(x.shape)
        index = [slice(None)] * x.ndim
        for a, d in zip(axes, dilation):
            shape[a] = dilate_dim(shape[a], d)
            index[a] = slice(None, None, d)
        out = np.full(shape, value, x.dtype)
        out[tuple(index)] = x
        x = out
    if all(lo == 0 and hi == 0 for lo, hi in padding):
        return x
    crop = [slice(None)] * x.ndim
    widths = [(0, 0)] * x.ndim
    for a, (lo, hi) in zip(axes, padding):
        crop[a] = slice(max(-lo, 0), x.shape[a] - max(-hi, 0))
        widths[a] = (max(lo, 0), max(hi, 0))
    x = x[tuple(crop)]
    return np.pad(x, widths, constant_values=value) if any(map(any, widths)) else x


def strided_windows(x: np.ndarray, axes, window, strides, dilation) -> np.ndarray:
    """A view of ``x`` with one window per output position: the ``axes`` become the output
    positions and new trailing axes (one per entry of ``axes``) run over each window."""
    full = tuple(dilate_dim(k, d) for k, d in zip(window, dilation))
    view = sliding_window_view(x, full, axis=tuple(axes))
    index = [slice(None)] * view.ndim
    for a, s in zip(axes, strides):
        index[a] = slice(None, None, s)
    for j, d in enumerate(dilation):
        index[x.ndim + j] = slice(None, None, d)
    return view[tuple(index)]
