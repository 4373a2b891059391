"""The convolution primitive ``conv_general_dilated``, as ``jax.lax``'s: window strides,
padding (pairs or ``"SAME"``/``"SAME_LOWER"``/``"VALID"``), input (lhs) and kernel (rhs)
dilation, feature and batch groups, and dimension numbers naming where the batch, feature
and spatial axes of each operand lie.

The NumPy implementation is im2col: the windows of the dilated, padded input are copied
into one matrix per group and multiplied with the kernel by BLAS. The primitive is bilinear;
its transposes are convolutions again (the input's: the cotangent, dilated by the strides,
convolved with the spatially reversed kernel; the kernel's: the input convolved with the
cotangent as kernel), so reverse mode stays in convolutions to every order.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.core.rules import batch_rules
from funcad.core.symbolic import is_undefined, not_mapped
from funcad.core.trace import get_aval
from funcad.errors import (
    FuncadNotImplementedError,
    FuncadTypeError,
    FuncadValueError,
    with_user_line,
)
from funcad.ops import _base as base
from funcad.ops import slicing as sl
from funcad.ops import structural as st
from funcad.ops._base import defbilinear, moveaxis, zeros_of
from funcad.ops._kernels import defkernel
from funcad.ops._shapes import NUMERIC, check_kind, inverse_perm, new_primitive, type_error
from funcad.ops._windowing import (
    dilate_and_pad,
    dilate_shape,
    padtype_to_pads,
    strided_windows,
    vjp_lhs_padding,
    vjp_rhs_padding,
    window_positions,
)


class ConvDimensionNumbers(NamedTuple):
    """Axis positions: ``lhs_spec = (batch, feature, *spatial)``, ``rhs_spec = (out
    feature, in feature, *spatial)``, ``out_spec = (batch, feature, *spatial)``."""

    lhs_spec: tuple
    rhs_spec: tuple
    out_spec: tuple


def _spec_from_string(spec: str, first: str, second: str, spatial: str) -> tuple:
    """Axis positions of a layout string: ``first``, ``second``, then the spatial letters
    in the order of ``spatial`` (the kernel's)."""
    return (spec.index(first), spec.index(second), *(spec.index(c) for c in spatial))


def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers) -> ConvDimensionNumbers:
    """Dimension numbers from ``None`` (``NC...``, ``OI...``, ``NC...``), three layout
    strings (``("NHWC", "HWIO", "NHWC")``) or a ``ConvDimensionNumbers``."""
    ndim = len(lhs_shape)
    if len(rhs_shape) != ndim or ndim < 2:
        raise FuncadTypeError(with_user_line(
            f"conv_general_dilated: lhs and rhs must have one equal rank >= 2, got shapes "
            f"{tuple(lhs_shape)} and {tuple(rhs_shape)}"))
    if dimension_numbers is None:
        default = tuple(range(ndim))
        return ConvDimensionNumbers(default, default, default)
    if isinstance(dimension_numbers, ConvDimensionNumbers) or (
            len(dimension_numbers) == 3 and not isinstance(dimension_numbers[0], str)):
        specs = tuple(tuple(int(a) for a in s) for s in dimension_numbers)
        return ConvDimensionNumbers(*specs)
    lhs, rhs, out = dimension_numbers
    if not (len(lhs) == len(rhs) == len(out) == ndim) or sorted(lhs) != sorted(out) or (
            {"N", "C"} - set(lhs)) or ({"O", "I"} - set(rhs)):
        raise FuncadValueError(with_user_line(
            f"conv_general_dilated: dimension_numbers {dimension_numbers!r} must be three "
            f"layout strings of length {ndim} (lhs with N and C, rhs with O and I, out with "
            "the lhs letters)"))
    spatial = "".join(c for c in rhs if c not in "OI")
    return ConvDimensionNumbers(_spec_from_string(lhs, "N", "C", spatial),
                                _spec_from_string(rhs, "O", "I", spatial),
                                _spec_from_string(out, "N", "C", spatial))


def _ints(xs, n: int, what: str, default: int = 1) -> tuple[int, ...]:
    if xs is None:
        return (default,) * n
    xs = tuple(int(x) for x in xs)
    if len(xs) != n:
        raise FuncadValueError(with_user_line(
            f"conv_general_dilated: {what} must have {n} entries (one per spatial axis), "
            f"got {xs}"))
    return xs


# --- conv_general_dilated -----------------------------------------------------------------

def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None,
                         rhs_dilation=None, dimension_numbers=None, feature_group_count=1,
                         batch_group_count=1, precision=None, preferred_element_type=None):
    """A general N-d convolution (cross-correlation, as in XLA and JAX). ``precision`` is
    accepted for JAX compatibility (NumPy and XLA on CPU compute at full precision)."""
    del precision
    if preferred_element_type is not None:
        raise FuncadNotImplementedError("conv_general_dilated with preferred_element_type")
    la, ra = get_aval(lhs), get_aval(rhs)
    dn = conv_dimension_numbers(la.shape, ra.shape, dimension_numbers)
    n = la.ndim - 2
    strides = _ints(window_strides, n, "window_strides")
    lhs_dilation = _ints(lhs_dilation, n, "lhs_dilation")
    rhs_dilation = _ints(rhs_dilation, n, "rhs_dilation")
    if isinstance(padding, str):
        if any(d != 1 for d in lhs_dilation):
            raise FuncadValueError(with_user_line(
                "conv_general_dilated: string padding with lhs_dilation; use conv_transpose "
                "or explicit (lo, hi) pairs"))
        in_sp = [la.shape[a] for a in dn.lhs_spec[2:]]
        k_sp = dilate_shape([ra.shape[a] for a in dn.rhs_spec[2:]], rhs_dilation)
        padding = padtype_to_pads(in_sp, k_sp, strides, padding)
    padding = tuple((int(lo), int(hi)) for lo, hi in padding)
    if len(padding) != n:
        raise FuncadValueError(with_user_line(
            f"conv_general_dilated: padding must have {n} (lo, hi) pairs, got {padding}"))
    return conv_general_dilated_p.bind(
        lhs, rhs, window_strides=strides, padding=padding, lhs_dilation=lhs_dilation,
        rhs_dilation=rhs_dilation, dimension_numbers=dn,
        feature_group_count=int(feature_group_count), batch_group_count=int(batch_group_count))


def _conv_shape(lhs: ShapedArray, rhs: ShapedArray, *, window_strides, padding, lhs_dilation,
                rhs_dilation, dimension_numbers, feature_group_count, batch_group_count):
    avals = [lhs, rhs]
    check_kind(conv_general_dilated_p, avals, NUMERIC)
    if lhs.dtype != rhs.dtype:
        raise type_error(conv_general_dilated_p, avals, "lhs and rhs must have one dtype")
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    if not (lhs.ndim == rhs.ndim >= 2) or any(
            sorted(s) != list(range(lhs.ndim)) for s in dimension_numbers):
        raise type_error(conv_general_dilated_p, avals,
                         f"dimension_numbers {dimension_numbers} do not fit the ranks")
    n, c = (lhs.shape[a] for a in lhs_spec[:2])
    o, i = (rhs.shape[a] for a in rhs_spec[:2])
    g, bg = feature_group_count, batch_group_count
    reasons = []
    if g < 1 or bg < 1 or (g > 1 and bg > 1):
        reasons.append("feature_group_count and batch_group_count must be >= 1, one of them 1")
    elif c != i * g:
        reasons.append(f"lhs features ({c}) must be rhs input features ({i}) times "
                       f"feature_group_count ({g})")
    elif o % (g * bg) or n % bg:
        reasons.append(f"rhs output features ({o}) must divide by the group count and the "
                       f"batch ({n}) by batch_group_count ({bg})")
    if reasons:
        raise type_error(conv_general_dilated_p, avals, reasons[0])
    in_sp = dilate_shape([lhs.shape[a] for a in lhs_spec[2:]], lhs_dilation)
    k_sp = dilate_shape([rhs.shape[a] for a in rhs_spec[2:]], rhs_dilation)
    out_sp = [window_positions(m + lo + hi, k, s)
              for m, (lo, hi), k, s in zip(in_sp, padding, k_sp, window_strides)]
    canonical = (n // bg, o, *out_sp)
    shape = [0] * lhs.ndim
    for axis, size in zip(out_spec, canonical):
        shape[axis] = size
    return ShapedArray(tuple(shape), lhs.dtype, lhs.weak_type and rhs.weak_type)


def _conv_impl(lhs, rhs, **params):
    out_aval = _conv_shape(get_aval(lhs), get_aval(rhs), **params)
    lhs_spec, rhs_spec, out_spec = params["dimension_numbers"]
    # Channels last (N *S C): for NHWC data no transpose at all, and the im2col rows are
    # contiguous runs of channels.
    x = np.transpose(lhs, (lhs_spec[0], *lhs_spec[2:], lhs_spec[1]))
    w = np.transpose(rhs, rhs_spec)
    spatial = tuple(range(1, x.ndim - 1))
    x = dilate_and_pad(x, spatial, params["lhs_dilation"], params["padding"], 0)
    g, bg = params["feature_group_count"], params["batch_group_count"]
    out_perm = (out_spec[0], *out_spec[2:], out_spec[1])
    out_last = tuple(out_aval.shape[a] for a in out_perm)
    if 0 in out_last or 0 in x.shape or 0 in w.shape:
        out = np.zeros(out_last, lhs.dtype)
    else:
        out = _im2col_conv(x, w, g, bg, params["window_strides"], params["rhs_dilation"])
    return np.transpose(out, inverse_perm(out_perm))


def _im2col_conv(x, w, g: int, bg: int, strides, rhs_dilation):
    """Grouped convolution of ``x`` (``N *S C``) with ``w`` (``O I *K``), giving
    ``N *P O``: per group, the matrix of windows (a row per output position, columns
    ``(*K, I)``) times the kernel matrix, one BLAS call for all groups."""
    n, c = x.shape[0], x.shape[-1]
    o, i = w.shape[:2]
    k = w.shape[2:]
    nsp = len(k)
    groups = g * bg
    if bg > 1:  # the batch splits into groups (group-major), each with every feature
        xg = x.reshape((bg, n // bg) + x.shape[1:])
    else:  # the features split into groups (group-major)
        xg = np.moveaxis(x.reshape(x.shape[:-1] + (g, c // g)), -2, 0)
    windows = strided_windows(xg, range(2, 2 + nsp), k, strides, rhs_dilation)
    positions = windows.shape[2:2 + nsp]
    # (groups, n, *P, i, *K) -> (groups, n, *P, *K, i): a row per output position
    order = (0, 1, *range(2, 2 + nsp), *range(3 + nsp, 3 + 2 * nsp), 2 + nsp)
    cols = windows.transpose(order).reshape(groups, -1, i * math.prod(k))
    kernel = w.reshape((groups, o // groups, i) + k)
    kernel = kernel.transpose(0, *range(3, 3 + nsp), 2, 1).reshape(groups, -1, o // groups)
    out = np.matmul(cols, kernel)  # (groups, n * P, o / groups)
    out = out.reshape((groups, xg.shape[1], *positions, o // groups))
    if groups > 1:
        out = np.moveaxis(out, 0, -2)
    return out.reshape((xg.shape[1], *positions, o))


conv_general_dilated_p = new_primitive("conv_general_dilated", _conv_impl, _conv_shape)


def _spec_swap(spec) -> tuple:
    return (spec[1], spec[0], *spec[2:])


def _split_axis(x, axis: int, parts: int):
    """Axis ``axis`` of size ``parts * m`` becomes two axes ``(parts, m)``."""
    shape = get_aval(x).shape
    return base.reshape(x, shape[:axis] + (parts, shape[axis] // parts) + shape[axis + 1:])


def _merge_axis(x, src: int, dst: int):
    """Axis ``src`` merged into axis ``dst`` as its major part (``src`` removed)."""
    x = moveaxis(x, src, dst if dst < src else dst - 1)
    shape = get_aval(x).shape
    at = dst if dst < src else dst - 1
    return base.reshape(x, shape[:at] + (shape[at] * shape[at + 1],) + shape[at + 2:])


def _regroup(x, major: int, minor: int, parts: int):
    """Axis ``major`` of ``x`` splits into ``(parts, rest)``; ``parts`` moves into axis
    ``minor`` as its major part (for moving groups between the feature axes)."""
    x = _split_axis(x, major, parts)
    minor = minor + (minor > major)
    return _merge_axis(x, major, minor)


def _conv_transpose_lhs(ct, lhs_aval, rhs, *, window_strides, padding, lhs_dilation,
                        rhs_dilation, dimension_numbers, feature_group_count,
                        batch_group_count):
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    rhs_shape = get_aval(rhs).shape
    g = feature_group_count
    if g > 1:
        rhs = _regroup(rhs, rhs_spec[0], rhs_spec[1], g)
    elif batch_group_count > 1:
        rhs = _regroup(rhs, rhs_spec[0], rhs_spec[1], batch_group_count)
        g = batch_group_count
    pads = vjp_lhs_padding(
        [lhs_aval.shape[a] for a in lhs_spec[2:]], [rhs_shape[a] for a in rhs_spec[2:]],
        window_strides, [get_aval(ct).shape[a] for a in out_spec[2:]], padding, lhs_dilation,
        rhs_dilation)
    flipped = st.rev(rhs, tuple(rhs_spec[2:]))
    dn = ConvDimensionNumbers(out_spec, _spec_swap(rhs_spec), lhs_spec)
    out = conv_general_dilated_p.bind(
        ct, flipped, window_strides=lhs_dilation, padding=pads, lhs_dilation=window_strides,
        rhs_dilation=rhs_dilation, dimension_numbers=dn, feature_group_count=g,
        batch_group_count=1)
    if batch_group_count > 1:
        out = _regroup(out, lhs_spec[1], lhs_spec[0], batch_group_count)
    return out


def _conv_transpose_rhs(ct, lhs, rhs_aval, *, window_strides, padding, lhs_dilation,
                        rhs_dilation, dimension_numbers, feature_group_count,
                        batch_group_count):
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    lhs_shape = get_aval(lhs).shape
    g, bg = feature_group_count, batch_group_count
    if bg > 1:
        g, bg = bg, 1
    elif g > 1:
        g, bg = 1, g
    pads = vjp_rhs_padding(
        [lhs_shape[a] for a in lhs_spec[2:]], [rhs_aval.shape[a] for a in rhs_spec[2:]],
        window_strides, [get_aval(ct).shape[a] for a in out_spec[2:]], padding, lhs_dilation,
        rhs_dilation)
    dn = ConvDimensionNumbers(_spec_swap(lhs_spec), _spec_swap(out_spec), _spec_swap(rhs_spec))
    out = conv_general_dilated_p.bind(
        lhs, ct, window_strides=rhs_dilation, padding=pads, lhs_dilation=lhs_dilation,
        rhs_dilation=window_strides, dimension_numbers=dn, feature_group_count=g,
        batch_group_count=bg)
    return out


def _conv_transpose(ct, lhs, rhs, **params):
    if is_undefined(lhs) and is_undefined(rhs):
        raise NotImplementedError("transpose of conv_general_dilated in both operands")
    if is_undefined(lhs):
        if 0 in get_aval(ct).shape:
            return [zeros_of(lhs.aval), None]
        return [_conv_transpose_lhs(ct, lhs.aval, rhs, **params), None]
    if 0 in get_aval(ct).shape:
        return [None, zeros_of(rhs.aval)]
    return [None, _conv_transpose_rhs(ct, lhs, rhs.aval, **params)]


def _conv_batch(vals, dims, **params):
    """Batch axes go into the operands' own axes: into the input's batch axis (input
    batched), the kernel's output features (kernel batched, inside each feature group) or,
    both batched, as feature groups. Batch groups with a batched operand fall back to one
    convolution per example."""
    (lhs, rhs), (ld, rd) = vals, dims
    lhs_spec, rhs_spec, out_spec = params["dimension_numbers"]
    g, bg = params["feature_group_count"], params["batch_group_count"]
    size = get_aval(lhs if ld is not not_mapped else rhs).shape[ld if ld is not not_mapped
                                                                  else rd]
    if bg > 1:
        return _conv_batch_loop(lhs, rhs, ld, rd, size, params), 0
    if ld is not not_mapped and rd is not not_mapped:
        lhs = _merge_axis(lhs, ld, _after(lhs_spec[1], ld))
        rhs = _merge_axis(rhs, rd, _after(rhs_spec[0], rd))
        out = conv_general_dilated_p.bind(lhs, rhs, **dict(params, feature_group_count=g * size))
        return _split_axis(out, out_spec[1], size), out_spec[1]
    if ld is not not_mapped:
        lhs = _merge_axis(lhs, ld, _after(lhs_spec[0], ld))
        out = conv_general_dilated_p.bind(lhs, rhs, **params)
        return _split_axis(out, out_spec[0], size), out_spec[0]
    # Kernel batched: output features (g, o/g) become (g, size, o/g).
    p = rhs_spec[0] + 1
    rhs = _split_axis(moveaxis(rhs, rd, 0), p, g)  # (size, ..., g, o/g, ...)
    rhs = moveaxis(rhs, 0, p)  # (..., g, size, o/g, ...)
    shape = get_aval(rhs).shape
    rhs = base.reshape(rhs, shape[:p - 1] + (math.prod(shape[p - 1:p + 2]),) + shape[p + 2:])
    out = conv_general_dilated_p.bind(lhs, rhs, **params)
    f = out_spec[1]
    out = _split_axis(out, f, g)  # (g, size * o/g)
    out = _split_axis(out, f + 1, size)  # (g, size, o/g)
    out = moveaxis(out, f + 1, f)  # (size, g, o/g)
    shape = get_aval(out).shape
    return base.reshape(out, shape[:f + 1] + (shape[f + 1] * shape[f + 2],) + shape[f + 3:]), f


def _after(axis: int, bdim: int) -> int:
    """Position of unbatched axis ``axis`` in the batched operand (batch axis at ``bdim``)."""
    return axis + (axis >= bdim)


def _conv_batch_loop(lhs, rhs, ld, rd, size, params):
    outs = []
    for b in range(size):
        x = lhs if ld is not_mapped else st.squeeze(_index(lhs, ld, b), (ld,))
        w = rhs if rd is not_mapped else st.squeeze(_index(rhs, rd, b), (rd,))
        outs.append(st.expand_dims(conv_general_dilated_p.bind(x, w, **params), (0,)))
    return sl.concatenate(outs, 0)


def _index(x, axis: int, b: int):
    aval = get_aval(x)
    start = [0] * aval.ndim
    limit = list(aval.shape)
    start[axis], limit[axis] = b, b + 1
    return sl.slice(x, start, limit)


defbilinear(conv_general_dilated_p, _conv_transpose)
batch_rules[conv_general_dilated_p] = _conv_batch
defkernel(conv_general_dilated_p, fresh=True)

__all__ = ["ConvDimensionNumbers", "conv_dimension_numbers", "conv_general_dilated",
           "conv_general_dilated_p"]
