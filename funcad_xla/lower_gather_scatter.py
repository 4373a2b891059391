"""Lowerings of the general gather and scatter primitives to ``jax.lax.gather`` and the
``jax.lax.scatter*`` family, with the same dimension numbers and modes."""
from __future__ import annotations

import numpy as np
from jax import lax

from funcad.ops import gather_scatter as gs
from funcad.ops import scatter_combine as sc
from funcad_xla.rules import register_lowerings

_MODES = {"clip": lax.GatherScatterMode.CLIP, "fill": lax.GatherScatterMode.FILL_OR_DROP,
          "promise": lax.GatherScatterMode.PROMISE_IN_BOUNDS}


def _gather(x, idx, *, dimension_numbers, slice_sizes, mode, fill_value, unique_indices,
            indices_are_sorted):
    dn = lax.GatherDimensionNumbers(*dimension_numbers)
    fill = gs.default_fill(np.dtype(x.dtype)) if fill_value is None else fill_value
    return lax.gather(x, idx, dn, slice_sizes, unique_indices=unique_indices,
                      indices_are_sorted=indices_are_sorted, mode=_MODES[mode],
                      fill_value=fill if mode == "fill" else None)


def _scatter(fn):
    def lower(x, idx, upd, *, dimension_numbers, mode, unique_indices, indices_are_sorted):
        dn = lax.ScatterDimensionNumbers(*dimension_numbers)
        return fn(x, idx, upd, dn, indices_are_sorted=indices_are_sorted,
                  unique_indices=unique_indices, mode=_MODES[mode])

    return lower


register_lowerings({
    gs.gather_p: _gather,
    gs.scatter_p: _scatter(lax.scatter),
    gs.scatter_add_p: _scatter(lax.scatter_add),
    sc.scatter_mul_p: _scatter(lax.scatter_mul),
    sc.scatter_min_p: _scatter(lax.scatter_min),
    sc.scatter_max_p: _scatter(lax.scatter_max),
})
