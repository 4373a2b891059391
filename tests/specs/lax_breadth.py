"""Op-spec rows of ``funcad.lax``'s convolutions, windows (pooling) and scans.

The reference is ``jax.lax`` in float64 (imported when a row is first checked): the
generic tests then check funcad's values against JAX, derivatives against finite
differences and the dot-product identity, vmap against a loop and jit on both backends.
"""
from __future__ import annotations

import numpy as np

from funcad import lax

from specs.spec import F32, F64, OpSpec, uniform_args


def _jax_lax():
    from jax_reference import jax  # JAX is loaded only when a row runs

    return jax.lax


def _same_on_jax(name: str, **kw):
    """``jax.lax.<name>(*arrays, **kw)`` as a NumPy array (or tuple of them)."""

    def ref(*args):
        out = getattr(_jax_lax(), name)(*args, **kw)
        if isinstance(out, (tuple, list)):
            return tuple(np.asarray(o) for o in out)
        return np.asarray(out)

    return ref


def _conv(name, cases, **kw):
    def fn(lhs, rhs):
        return lax.conv_general_dilated(lhs, rhs, **kw)

    return OpSpec(name, fn, _same_on_jax("conv_general_dilated", **kw), cases, (F64, F32))


CONV_ROWS = [
    _conv("conv[NCHW,SAME]", (((2, 3, 6, 5), (4, 3, 3, 2)),), window_strides=(1, 1),
          padding="SAME"),
    _conv("conv[NHWC,strides,dilations,pairs]", (((2, 7, 6, 3), (3, 2, 3, 4)),),
          window_strides=(2, 1), padding=((1, 0), (2, -1)), lhs_dilation=(1, 2),
          rhs_dilation=(2, 1), dimension_numbers=("NHWC", "HWIO", "NHWC")),
    _conv("conv[feature_groups]", (((2, 4, 5, 5), (6, 2, 2, 2)),), window_strides=(1, 2),
          padding="VALID", feature_group_count=2),
    _conv("conv[batch_groups]", (((4, 3, 7), (6, 3, 3)),), window_strides=(2,),
          padding=((1, 1),), batch_group_count=2),
    _conv("conv[1d,NWC,out HCN]", (((3, 9, 2), (3, 2, 4)),), window_strides=(3,),
          padding="SAME", rhs_dilation=(2,), dimension_numbers=("NWC", "WIO", "WCN")),
    OpSpec("conv_transpose[SAME,strides]",
           lambda x, w: lax.conv_transpose(x, w, (2, 2), "SAME"),
           _same_on_jax("conv_transpose", strides=(2, 2), padding="SAME"),
           (((2, 4, 3, 2), (3, 3, 2, 3)),), (F64, F32)),
    OpSpec("conv_transpose[VALID,kernel transposed]",
           lambda x, w: lax.conv_transpose(x, w, (2,), "VALID", transpose_kernel=True),
           _same_on_jax("conv_transpose", strides=(2,), padding="VALID",
                        transpose_kernel=True),
           (((2, 5, 3), (3, 2, 3)),), (F64,)),
    OpSpec("conv_with_general_padding",
           lambda x, w: lax.conv_with_general_padding(x, w, (1, 2), ((0, 1), (1, 1)), (2, 1),
                                                      (1, 2)),
           lambda x, w: _same_on_jax("conv_with_general_padding")(
               x, w, (1, 2), ((0, 1), (1, 1)), (2, 1), (1, 2)),
           (((1, 2, 4, 5), (3, 2, 2, 2)),), (F64,)),
]


def _pool(name, op, init, window, strides, padding, cases, dtypes=(F64, F32), **kw):
    def fn(x):
        return lax.reduce_window(x, init, getattr(lax, op), window, strides, padding, **kw)

    def ref(x):
        jl = _jax_lax()
        base = kw.get("base_dilation")
        wdil = kw.get("window_dilation")
        return np.asarray(jl.reduce_window(x, init, getattr(jl, op), window, strides, padding,
                                           base, wdil))

    return OpSpec(name, fn, ref, cases, dtypes)


WINDOW_ROWS = [
    _pool("max_pool[2x2,VALID]", "max", -np.inf, (1, 2, 2, 1), (1, 2, 2, 1), "VALID",
          (((2, 4, 6, 3),), ((1, 5, 5, 2),))),
    _pool("max_pool[3x2,SAME,strides]", "max", -np.inf, (3, 2), (2, 1), "SAME",
          (((7, 5),),)),
    _pool("max_pool[dilations]", "max", -np.inf, (2, 3), (1, 2), ((1, 0), (0, 1)),
          (((5, 7),),), base_dilation=(1, 2), window_dilation=(2, 1)),
    _pool("min_pool[2,strides]", "min", np.inf, (2,), (2,), ((0, 1),), (((7,),),)),
    _pool("max_pool[init 0.5]", "max", 0.5, (2, 2), (1, 1), "VALID", (((4, 5),),),
          dtypes=(F64,)),
    _pool("sum_pool[SAME]", "add", 0.0, (2, 3), (1, 2), "SAME", (((5, 6),), ((2, 3),))),
    _pool("sum_pool[dilations,pairs]", "add", 0.0, (2, 2), (2, 1), ((1, 2), (-1, 1)),
          (((6, 5),),), base_dilation=(2, 1), window_dilation=(1, 2)),
    _pool("sum_pool[init 1.5]", "add", 1.5, (3,), (1,), "VALID", (((6,),),), dtypes=(F64,)),
    OpSpec("max_pool[int32]", lambda x: lax.reduce_window(
        x, np.iinfo(np.int32).min, lax.max, (2, 2), (1, 1), "VALID"),
        lambda x: np.asarray(_jax_lax().reduce_window(
            x, np.int32(np.iinfo(np.int32).min), _jax_lax().max, (2, 2), (1, 1), "VALID")),
        (((3, 4),),), (np.dtype(np.int32),), make_args=lambda rng, s, d: uniform_args(
            rng, s, d, (-9, 9))),
]

SPECS: list[OpSpec] = [*CONV_ROWS, *WINDOW_ROWS]
