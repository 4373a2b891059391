"""THE op-spec table: one row per primitive-backed ``funcad.numpy`` function.

The rows live in ``tests/specs/<family>.py``; this module joins them into ``OP_SPECS``,
which drives the generic tests in ``tests/ops/`` (and, in later issues, the derivative,
batching, jit and XLA tests). Adding an operation = one block in ``funcad/ops`` + one row.
"""
from __future__ import annotations

import numpy as np

from funcad.tree_util import tree_leaves

from specs import bits as bit_ops
from specs import (
    callbacks,
    checkpointing,
    complex_numbers,
    decompositions,
    elementwise,
    fft,
    float_bits,
    indexing,
    lax_breadth,
    linalg,
    numpy_breadth,
    numpy_partial,
    reductions,
    shape,
    sorting,
)
from specs import special as special_specs
from specs.spec import OpSpec

OP_SPECS: list[OpSpec] = [
    *elementwise.SPECS,
    *shape.SPECS,
    *indexing.SPECS,
    *reductions.SPECS,
    *linalg.SPECS,
    *complex_numbers.SPECS,
    *fft.SPECS,
    *decompositions.SPECS,
    *special_specs.SPECS,
    *lax_breadth.SPECS,
    *sorting.SPECS,
    *numpy_breadth.SPECS,
    *numpy_partial.SPECS,
    *bit_ops.SPECS,
    *float_bits.SPECS,
    *callbacks.SPECS,
    *checkpointing.SPECS,
]

_names = [s.name for s in OP_SPECS]
assert len(_names) == len(set(_names)), "op-spec names must be unique"


def spec_params(select=None):
    """One ``pytest.param`` per row (optionally filtered by ``select(spec)``).

    Tests loop over a row's shape/dtype cases inside one hypothesis example: hypothesis
    keeps state per parametrized call, so ~2000 case-level parameters would pile up.
    """
    import pytest

    return [pytest.param(s, id=s.name) for s in OP_SPECS if select is None or select(s)]


def spec_cases():
    """``(spec, shapes, dtype)`` triples with readable ids, for ``pytest.mark.parametrize``."""
    import pytest

    for spec in OP_SPECS:
        for shapes in spec.cases:
            for dtype in spec.dtypes:
                sid = f"{spec.name}-{'x'.join(str(list(s)) for s in shapes)}-{dtype}"
                yield pytest.param(spec, shapes, dtype, id=sid.replace(" ", ""))


def f64_cases(spec: OpSpec) -> list:
    """The row's shape cases if it runs at float64 (the dtype derivative checks use)."""
    return list(spec.cases) if np.float64 in [np.dtype(d) for d in spec.dtypes] else []


def with_float_args(fn, args):
    """``(g, floats)``: ``g(*floats)`` calls ``fn`` on ``args`` with its float arguments
    replaced (the others closed over) and returns the output's leaves; ``floats`` are the
    float arguments of ``args``."""
    pos = [i for i, a in enumerate(args) if np.asarray(a).dtype.kind == "f"]

    def g(*floats):
        full = list(args)
        for i, a in zip(pos, floats, strict=True):
            full[i] = a
        return tree_leaves(fn(*full))

    return g, [args[i] for i in pos]
