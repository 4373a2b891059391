"""Lowerings of the convolution and window primitives to ``jax.lax``: convolutions and
pooling map to ``lax.conv_general_dilated`` and ``lax.reduce_window``; the patch pair used by
the pooling derivatives maps to strided slices (and their transposes, pads)."""
from __future__ import annotations

import itertools

import numpy as np
from jax import lax

from funcad.ops import convolution as cv
from funcad.ops import windows as wn
from funcad_xla.rules import options, register_lowerings


def _conv(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation, dimension_numbers,
          feature_group_count, batch_group_count):
    dn = lax.ConvDimensionNumbers(*dimension_numbers)
    return lax.conv_general_dilated(
        lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
        rhs_dilation=rhs_dilation, dimension_numbers=dn,
        feature_group_count=feature_group_count, batch_group_count=batch_group_count,
        precision=options.precision)


def _pool(op: str, computation):
    def lower(x, *, window_dimensions, window_strides, padding, base_dilation,
              window_dilation):
        init = np.asarray(wn._identity(op, np.dtype(x.dtype)))
        return lax.reduce_window(x, init, computation, window_dimensions, window_strides,
                                 padding, base_dilation, window_dilation)

    return lower


def _offsets(window_dimensions):
    return itertools.product(*(range(k) for k in window_dimensions))


def _positions(shape, window_dimensions, window_strides, window_dilation):
    return [0 if (k - 1) * d + 1 > n else (n - (k - 1) * d - 1) // s + 1
            for n, k, s, d in zip(shape, window_dimensions, window_strides, window_dilation)]


def _patches(x, *, window_dimensions, window_strides, window_dilation):
    out = _positions(x.shape, window_dimensions, window_strides, window_dilation)
    parts = []
    for offset in _offsets(window_dimensions):
        start = [k * d for k, d in zip(offset, window_dilation)]
        limit = [b + (n - 1) * s + 1 if n else b for b, n, s in zip(start, out, window_strides)]
        part = lax.slice(x, start, limit, window_strides)
        parts.append(lax.expand_dims(part, (0,)))
    return lax.concatenate(parts, 0)


def _patches_transpose(ct, *, operand_shape, window_dimensions, window_strides,
                       window_dilation):
    out = ct.shape[1:]
    zero = np.zeros((), ct.dtype)
    total = None
    for k, offset in enumerate(_offsets(window_dimensions)):
        config = []
        for o, n, size, s, d in zip(offset, out, operand_shape, window_strides,
                                    window_dilation):
            lo = o * d
            covered = (n - 1) * s + 1 if n else 0
            config.append((lo, size - lo - covered, s - 1))
        part = lax.pad(lax.index_in_dim(ct, k, 0, keepdims=False), zero, config)
        total = part if total is None else total + part
    return total


register_lowerings({
    cv.conv_general_dilated_p: _conv,
    wn.reduce_window_sum_p: _pool("sum", lax.add),
    wn.reduce_window_max_p: _pool("max", lax.max),
    wn.reduce_window_min_p: _pool("min", lax.min),
    wn.window_patches_p: _patches,
    wn.window_patches_transpose_p: _patches_transpose,
})
