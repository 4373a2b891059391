"""Convolutions of ``jax.lax``: ``conv_general_dilated`` (the primitive) and the wrappers
``conv``, ``conv_with_general_padding`` and ``conv_transpose`` built on it."""
from __future__ import annotations

from funcad.core.trace import get_aval
from funcad.errors import FuncadValueError, with_user_line
from funcad.ops import structural as st
from funcad.ops._base import transpose
from funcad.ops._windowing import dilate_dim, padtype_to_pads
from funcad.ops.convolution import (
    ConvDimensionNumbers,
    conv_dimension_numbers,
    conv_general_dilated,
)


def conv(lhs, rhs, window_strides, padding, precision=None, preferred_element_type=None):
    """``conv_general_dilated`` without dilation, in the ``NC...``/``OI...`` layout."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_with_general_padding(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                              precision=None, preferred_element_type=None):
    """``conv_general_dilated`` in the ``NC...``/``OI...`` layout."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
                                rhs_dilation=rhs_dilation, precision=precision,
                                preferred_element_type=preferred_element_type)


_TRANSPOSE_LAYOUTS = {3: ("NHC", "HIO", "NHC"), 4: ("NHWC", "HWIO", "NHWC"),
                      5: ("NHWDC", "HWDIO", "NHWDC")}


def _transpose_padding(k: int, s: int, padding: str) -> tuple[int, int]:
    """Padding of the stride-dilated input that gives a transposed convolution ``SAME``
    (``n * s`` outputs) or ``VALID`` (``n * s + max(k - s, 0)``) output sizes."""
    if padding == "SAME":
        total = k + s - 2
        lo = k - 1 if s > k - 1 else -(-total // 2)
    else:
        total = k + s - 2 + max(k - s, 0)
        lo = k - 1
    return lo, total - lo


def conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None, dimension_numbers=None,
                   transpose_kernel=False, precision=None, preferred_element_type=None):
    """The transposed ("fractionally strided") convolution of ``jax.lax.conv_transpose``: the
    input dilated by ``strides`` and convolved with unit strides. ``transpose_kernel=True``
    flips the kernel spatially and swaps its feature axes (the gradient of a convolution)."""
    la, ra = get_aval(lhs), get_aval(rhs)
    if la.ndim != ra.ndim or la.ndim < 3:
        raise FuncadValueError(with_user_line(
            f"conv_transpose: lhs and rhs must have one rank >= 3, got {la.str_short()} and "
            f"{ra.str_short()}"))
    if dimension_numbers is None:
        if la.ndim not in _TRANSPOSE_LAYOUTS:
            raise FuncadValueError(with_user_line(
                f"conv_transpose: give dimension_numbers for rank {la.ndim} operands"))
        dimension_numbers = _TRANSPOSE_LAYOUTS[la.ndim]
    dn = conv_dimension_numbers(la.shape, ra.shape, dimension_numbers)
    n = la.ndim - 2
    rhs_dilation = (1,) * n if rhs_dilation is None else tuple(rhs_dilation)
    kernel = [ra.shape[a] for a in dn.rhs_spec[2:]]
    if isinstance(padding, str):
        if padding not in ("SAME", "VALID"):
            raise FuncadValueError(with_user_line(
                f"conv_transpose: padding must be 'SAME', 'VALID' or pairs, got {padding!r}"))
        padding = [_transpose_padding(dilate_dim(k, d), s, padding)
                   for k, d, s in zip(kernel, rhs_dilation, strides)]
    if transpose_kernel:
        rhs = st.rev(rhs, tuple(dn.rhs_spec[2:]))
        perm = list(range(ra.ndim))
        perm[dn.rhs_spec[0]], perm[dn.rhs_spec[1]] = dn.rhs_spec[1], dn.rhs_spec[0]
        rhs = transpose(rhs, perm)
    return conv_general_dilated(lhs, rhs, (1,) * n, padding, lhs_dilation=strides,
                                rhs_dilation=rhs_dilation, dimension_numbers=dn,
                                precision=precision,
                                preferred_element_type=preferred_element_type)


__all__ = ["ConvDimensionNumbers", "conv", "conv_dimension_numbers", "conv_general_dilated",
           "conv_transpose", "conv_with_general_padding", "padtype_to_pads"]
