"""Every row of the op-spec table under vmap equals stacking the row over a Python loop, for
several batch positions, with each operand in turn left unbatched."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import funcad
from funcad.tree_util import tree_flatten

from op_specs import OP_SPECS
from specs.spec import spec_args

BATCH = 3


def _cases():
    for spec in OP_SPECS:
        for shapes in spec.cases[:3]:
            dtype = spec.dtypes[0]
            sid = f"{spec.name}-{'x'.join(str(list(s)) for s in shapes)}-{dtype}"
            yield pytest.param(spec, shapes, dtype, id=sid.replace(" ", ""))


def _axis_configs(nargs: int):
    """in_axes to try: all at 0, all at -1, and each operand alone unbatched."""
    yield (0,) * nargs
    yield (-1,) * nargs
    if nargs > 1:
        for i in range(nargs):
            yield tuple(None if j == i else 0 for j in range(nargs))


def _stack_examples(spec, shapes, dtype, rng, in_axes):
    examples = [spec_args(spec, rng, shapes, dtype) for _ in range(BATCH)]
    batched = []
    for i, axis in enumerate(in_axes):
        if axis is None:
            for ex in examples[1:]:
                ex[i] = examples[0][i]  # unbatched: every example sees the same value
            batched.append(examples[0][i])
        else:
            batched.append(np.stack([np.asarray(ex[i]) for ex in examples], axis=axis))
    return examples, batched


@pytest.mark.parametrize("spec,shapes,dtype", list(_cases()))
def test_vmap_equals_loop(spec, shapes, dtype):
    rng = np.random.default_rng(0)
    rtol, atol = spec.tolerances(dtype)
    for in_axes in _axis_configs(len(shapes)):
        examples, batched = _stack_examples(spec, shapes, dtype, rng, in_axes)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = [tree_flatten(spec.fn(*ex))[0] for ex in examples]
            out = funcad.vmap(spec.fn, in_axes=in_axes)(*batched)
        leaves = tree_flatten(out)[0]
        assert len(leaves) == len(expected[0])
        for k, leaf in enumerate(leaves):
            want = np.stack([np.asarray(e[k]) for e in expected])
            assert type(leaf) is np.ndarray
            assert leaf.shape == want.shape and leaf.dtype == want.dtype, (in_axes, k)
            np.testing.assert_allclose(leaf, want, rtol=max(rtol, 1e-13), atol=max(atol, 1e-13),
                                       equal_nan=True, err_msg=f"in_axes={in_axes} output {k}")
