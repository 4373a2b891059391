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


# --- general gather / scatter (traced indices, out of bounds included) --------------------

def _x_idx(idx_shape, lo, hi, unique_rows=False, extra=()):
    """An operand, indices in [lo, hi) (``unique_rows``: distinct, in range), then extra
    float arrays of the remaining shapes."""

    def make(rng, shapes, dtype):
        x = uniform_args(rng, shapes[:1], dtype)[0]
        if unique_rows:
            n = int(np.prod(idx_shape[:-1]))
            idx = rng.permutation(hi)[:n].reshape(idx_shape)
        else:
            idx = rng.integers(lo, hi, size=idx_shape)
        return [x, idx.astype(np.int32), *uniform_args(rng, shapes[2:], dtype)]

    return make


def _gather_row(name, x_shape, idx_shape, lo, hi, dn, slice_sizes, mode, dtypes=(F64, F32),
                **kw):
    def fn(x, idx):
        return lax.gather(x, idx, dn, slice_sizes, mode=mode, **kw)

    def ref(x, idx):
        jl = _jax_lax()
        return np.asarray(jl.gather(x, idx, jl.GatherDimensionNumbers(*dn), slice_sizes,
                                    mode=mode, **kw))

    return OpSpec(name, fn, ref, ((x_shape, idx_shape),), dtypes,
                  make_args=_x_idx(idx_shape, lo, hi))


def _scatter_row(name, op, x_shape, idx_shape, u_shape, lo, hi, dn, mode, unique=False,
                 dtypes=(F64, F32)):
    def fn(x, idx, u):
        return getattr(lax, op)(x, idx, u, dn, mode=mode, unique_indices=unique)

    def ref(x, idx, u):
        jl = _jax_lax()
        return np.asarray(getattr(jl, op)(x, idx, u, jl.ScatterDimensionNumbers(*dn),
                                          mode=mode, unique_indices=unique))

    return OpSpec(name, fn, ref, ((x_shape, idx_shape, u_shape),), dtypes,
                  make_args=_x_idx(idx_shape, lo, hi, unique_rows=unique))


_G_ROWS = lax.GatherDimensionNumbers((1,), (0,), (0,))
_G_BOX = lax.GatherDimensionNumbers((1, 2), (), (0, 1))
_G_BATCHED = lax.GatherDimensionNumbers((2,), (1,), (1,), (0,), (0,))
_S_ROWS = lax.ScatterDimensionNumbers((1,), (0,), (0,))
_S_BOX = lax.ScatterDimensionNumbers((1, 2), (), (0, 1))
_S_BATCHED = lax.ScatterDimensionNumbers((), (1,), (1,), (0,), (0,))

GATHER_ROWS = [
    _gather_row("gather[rows,clip]", (5, 4), (6, 1), -2, 8, _G_ROWS, (1, 4), "clip"),
    _gather_row("gather[box,fill 1.5]", (5, 6), (4, 2), -1, 6, _G_BOX, (2, 3), "fill",
                fill_value=1.5),
    _gather_row("gather[batching dims,promise]", (3, 5, 4), (3, 2, 1), 0, 5, _G_BATCHED,
                (1, 1, 4), "promise_in_bounds"),
    OpSpec("gather[fill NaN]", lambda x, i: lax.gather(x, i, _G_BOX, (2, 2), mode="fill"),
           lambda x, i: np.asarray(_jax_lax().gather(
               x, i, _jax_lax().GatherDimensionNumbers(*_G_BOX), (2, 2), mode="fill")),
           (((4, 4), (5, 2)),), (F64, np.dtype(np.int32)), make_args=_x_idx((5, 2), -2, 5),
           differentiable=False),
    _scatter_row("scatter_add[rows,clip]", "scatter_add", (5, 4), (6, 1), (6, 4), -2, 8,
                 _S_ROWS, "clip"),
    _scatter_row("scatter_add[box,drop]", "scatter_add", (5, 6), (3, 2), (3, 2, 2), -1, 6,
                 _S_BOX, "fill"),
    _scatter_row("scatter_add[batching dims]", "scatter_add", (3, 5), (3, 2, 1), (3, 2), 0, 5,
                 _S_BATCHED, "clip"),
    _scatter_row("scatter[unique]", "scatter", (6, 3), (4, 1), (4, 3), 0, 6, _S_ROWS, "clip",
                 unique=True),
    _scatter_row("scatter_mul[unique]", "scatter_mul", (6, 3), (3, 1), (3, 3), 0, 6, _S_ROWS,
                 "fill", unique=True),
    _scatter_row("scatter_min[rows]", "scatter_min", (5, 4), (6, 1), (6, 4), 0, 5, _S_ROWS,
                 "clip"),
    _scatter_row("scatter_max[box,drop]", "scatter_max", (5, 6), (3, 2), (3, 2, 2), -1, 6,
                 _S_BOX, "fill"),
]


def _scan_row(name, fn, ref, cases, dtypes=(F64, F32), **kw):
    return OpSpec(name, fn, ref, cases, dtypes, **kw)


def _affine(p, q):
    return p[0] * q[0], q[0] * p[1] + q[1]


SCAN_ROWS = [
    _scan_row("associative_scan[affine,axis=1]",
              lambda a, b: lax.associative_scan(_affine, (a, b), axis=1),
              lambda a, b: tuple(np.asarray(o) for o in _jax_lax().associative_scan(
                  _affine, (a, b), axis=1)), (((2, 7), (2, 7)),)),
    _scan_row("associative_scan[max,reverse]",
              lambda a: lax.associative_scan(lax.max, a, reverse=True),
              lambda a: np.flip(np.maximum.accumulate(np.flip(a, 0), 0), 0), (((6, 2),),)),
    _scan_row("cumlogsumexp", lambda x: lax.cumlogsumexp(x, 1),
              lambda x: np.logaddexp.accumulate(x, 1), (((3, 5),),)),
    _scan_row("cumlogsumexp[reverse]", lambda x: lax.cumlogsumexp(x, 0, reverse=True),
              lambda x: np.flip(np.logaddexp.accumulate(np.flip(x, 0), 0), 0), (((4, 2),),)),
    _scan_row("cumsum[reverse]", lambda x: lax.cumsum(x, 0, reverse=True),
              lambda x: np.flip(np.cumsum(np.flip(x, 0), 0), 0), (((4, 3),),)),
    _scan_row("cummax[reverse]", lambda x: lax.cummax(x, 1, reverse=True),
              lambda x: np.flip(np.maximum.accumulate(np.flip(x, 1), 1), 1), (((2, 5),),)),
    _scan_row("cumprod[reverse]", lambda x: lax.cumprod(x, 1, reverse=True),
              lambda x: np.flip(np.cumprod(np.flip(x, 1), 1), 1), (((2, 4),),)),
    _scan_row("lax_reciprocal", lax.reciprocal, np.reciprocal, (((3,),),), domain=(0.5, 2.0)),
    *[_scan_row(f"reduce_{op}", lambda x, op=op: getattr(lax, f"reduce_{op}")(x, (1,)),
                lambda x, op=op: getattr(np, f"bitwise_{op}").reduce(x, axis=1),
                (((3, 4),),), (np.dtype(np.int32), np.dtype(np.bool_)), differentiable=False,
                make_args=lambda rng, s, d: uniform_args(rng, s, d, (0, 50)))
      for op in ("and", "or", "xor")],
]

SPECS += [*GATHER_ROWS, *SCAN_ROWS]
