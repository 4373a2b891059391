"""Shuffles and draws without replacement of any size sort with ``lax.sort`` / ``lax.top_k``
and match ``jax.random`` bit for bit, beyond the 4096 elements the pairwise ordering they
replaced could handle, eagerly and under ``jit`` on both backends."""
from __future__ import annotations

import numpy as np
from jax_reference import jax

import funcad
import funcad.random as fr

jr = jax.random
N = 10_000  # more than 4096 (and sorted in two rounds: JAX's count is ceil(3 ln n / ln 2**32))


def _draws(m, key):
    x = np.arange(3 * N, dtype=np.float32).reshape(3, N)
    p = np.linspace(1.0, 2.0, N)
    return {
        "permutation": m.permutation(key, N),
        "permutation_axis1": m.permutation(key, x, 1),
        "permutation_indep": m.permutation(key, x, 1, True),
        "choice_noreplace": m.choice(key, N, (5000,), replace=False),
        "choice_p_noreplace": m.choice(key, N, (300,), replace=False, p=p / p.sum()),
        "categorical_noreplace": m.categorical(key, np.log(p), shape=(200,), replace=False),
    }


def test_large_shuffles_match_jax_bit_for_bit():
    for seed in (0, 3):
        ref = jax.jit(lambda k: _draws(jr, k))(jr.PRNGKey(seed))
        key = fr.PRNGKey(seed)
        runs = {"eager": _draws(fr, key),
                "jit numpy": funcad.jit(lambda k: _draws(fr, k), backend="numpy")(key),
                "jit xla": funcad.jit(lambda k: _draws(fr, k), backend="xla")(key)}
        for how, ours in runs.items():
            for name, expected in ref.items():
                got, expected = np.asarray(ours[name]), np.asarray(expected)
                assert got.dtype == expected.dtype, (how, name, got.dtype, expected.dtype)
                np.testing.assert_array_equal(got, expected, err_msg=f"{name} {how} {seed}")


def test_many_sorting_rounds_match_jax():
    # A permutation of more than 2**(64/3) elements sorts three times (JAX's round count).
    n = 2_700_000
    np.testing.assert_array_equal(fr.permutation(fr.PRNGKey(1), n),
                                  jr.permutation(jr.PRNGKey(1), n))
