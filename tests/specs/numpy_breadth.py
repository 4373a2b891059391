"""Op-spec rows of the wider ``funcad.numpy`` surface (issue 14): the ``scatter_min`` /
``scatter_max`` primitives behind ``.at[].min/max``, and the NumPy functions built from
primitives (values vs NumPy, derivatives vs finite differences, vmap vs loop, jit vs eager
on both backends, through the generic harness)."""
from __future__ import annotations

import numpy as np

from funcad.ops import indexing as ix

from specs.indexing import SCATTER_SHAPES, _np_scatter, _x_idx_u
from specs.spec import OpSpec


def _ties(rng, shapes, dtype):
    """Operand and updates of small integers (as floats): ties between candidates."""
    x, idx, u = _x_idx_u(rng, shapes, dtype)
    return [np.round(x * 2) / 2, idx, np.round(u * 2) / 2]


AT_SPECS: list[OpSpec] = [
    OpSpec("scatter_min", ix.scatter_min, _np_scatter(np.minimum), SCATTER_SHAPES,
           make_args=_x_idx_u),
    OpSpec("scatter_max", ix.scatter_max, _np_scatter(np.maximum), SCATTER_SHAPES,
           make_args=_x_idx_u),
    OpSpec("scatter_max_ties", ix.scatter_max, _np_scatter(np.maximum), SCATTER_SHAPES,
           make_args=_ties, differentiable=False),
]

SPECS: list[OpSpec] = [*AT_SPECS]
