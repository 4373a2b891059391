"""funcad.nn.initializers against jax.nn.initializers (x64) for several keys, shapes and
dtypes: bit for bit where the draws are uniform, to rounding where they pass through
erf_inv (normal, truncated normal) or a QR factorization (orthogonal); plus the defining
properties (orthonormal columns, fans), jit, and errors."""
from __future__ import annotations

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad.nn.initializers as fi

ji = jax.nn.initializers
SEEDS = [0, 42, 2 ** 31 - 1, 987654321]
SHAPES = [(7, 2), (2, 3, 5), (3, 3, 4, 6)]
FLOATS = [np.float32, np.float64]

# name -> (factory arguments, exact): each name is a factory in both namespaces.
FACTORIES = {
    "uniform": ((), True),
    "uniform_scale": ((0.5,), True),
    "normal": ((), False),
    "normal_stddev": ((2.0,), False),
    "truncated_normal": ((), False),
    "truncated_normal_bounds": ((1.5, None, -1.0, 3.0), False),
    "glorot_uniform": ((), True),
    "glorot_normal": ((), False),
    "he_uniform": ((), True),
    "he_normal": ((), False),
    "lecun_uniform": ((), True),
    "lecun_normal": ((), False),
    "xavier_uniform": ((), True),
    "kaiming_normal": ((), False),
    "orthogonal": ((), False),
    "orthogonal_axis0": ((1.5, 0), False),
}
for _mode in ("fan_in", "fan_out", "fan_avg", "fan_geo_avg"):
    for _dist in ("truncated_normal", "normal", "uniform"):
        FACTORIES[f"variance_scaling/{_mode}/{_dist}"] = ((0.7, _mode, _dist), _dist == "uniform")
FACTORIES["variance_scaling/axes"] = ((2.0, "fan_avg", "uniform", (0, 1), 3, 2), True)


def _factory(module, name):
    return getattr(module, name.split("/")[0].removesuffix("_scale").removesuffix("_stddev")
                   .removesuffix("_bounds").removesuffix("_axis0"))


def _check(ours, theirs, dtype, exact):
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype == dtype
    if exact:
        np.testing.assert_array_equal(ours, theirs)
    else:
        tol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_initializer_matches_jax(name):
    args, exact = FACTORIES[name]
    ours_init, theirs_init = _factory(fi, name)(*args), _factory(ji, name)(*args)
    shapes = [s for s in SHAPES if len(s) == 4] if name.endswith("axes") else SHAPES
    for seed in SEEDS:
        key = jax.random.PRNGKey(seed)
        for shape in shapes:
            for dtype in FLOATS:
                want = np.asarray(theirs_init(key, shape, dtype))
                got = ours_init(funcad.random.PRNGKey(seed), shape, dtype)
                _check(np.asarray(got), want, dtype, exact)
    # The default dtype is float64 (JAX's default float under x64).
    assert np.asarray(ours_init(funcad.random.PRNGKey(0), shapes[0])).dtype == np.float64


@pytest.mark.parametrize("name", ["glorot_normal", "he_uniform", "orthogonal", "normal"])
def test_initializer_under_jit_and_vmap_over_keys(name):
    init = getattr(fi, name)()
    keys = funcad.random.split(funcad.random.PRNGKey(7), 3)
    eager = np.stack([np.asarray(init(k, (4, 3), np.float32)) for k in keys])
    jitted = np.asarray(funcad.jit(lambda k: init(k, (4, 3), np.float32))(keys[1]))
    np.testing.assert_allclose(jitted, eager[1], rtol=1e-6, atol=1e-7)
    batched = np.asarray(funcad.vmap(lambda k: init(k, (4, 3), np.float32))(keys))
    np.testing.assert_allclose(batched, eager, rtol=1e-6, atol=1e-7)


def test_constant_zeros_ones_match_jax():
    key = jax.random.PRNGKey(0)
    for dtype in FLOATS:
        for ours, theirs in [(fi.zeros, ji.zeros), (fi.ones, ji.ones),
                             (fi.constant(-2.5), ji.constant(-2.5)),
                             (fi.constant(np.arange(3.0)), ji.constant(np.arange(3.0)))]:
            _check(np.asarray(ours(funcad.random.PRNGKey(0), (2, 3), dtype)),
                   np.asarray(theirs(key, (2, 3), dtype)), dtype, True)


def test_orthogonal_has_orthonormal_columns_or_rows():
    for shape in [(6, 3), (3, 6), (2, 3, 4)]:
        w = np.asarray(fi.orthogonal(scale=2.0)(funcad.random.PRNGKey(3), shape))
        m = w.reshape(-1, shape[-1])
        gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
        np.testing.assert_allclose(gram, 4.0 * np.eye(min(m.shape)), atol=1e-12)
    assert np.all(fi.orthogonal()(funcad.random.PRNGKey(3), (0, 3)) == 0)


def test_variance_scaling_sample_variance():
    w = np.asarray(fi.he_normal()(funcad.random.PRNGKey(5), (400, 500)))
    assert abs(w.var() * 400 / 2.0 - 1.0) < 0.02  # 2e5 draws: 5 sigma is about 0.016


def test_misuse_raises_funcad_errors():
    key = funcad.random.PRNGKey(0)
    with pytest.raises(funcad.errors.FuncadValueError, match="in_axis"):
        fi.glorot_normal()(key, (5,))
    with pytest.raises(funcad.errors.FuncadValueError, match="mode"):
        fi.variance_scaling(1.0, "fan_middle", "normal")
    with pytest.raises(funcad.errors.FuncadValueError, match="distribution"):
        fi.variance_scaling(1.0, "fan_in", "cauchy")
    with pytest.raises(funcad.errors.FuncadValueError, match="dtype"):
        fi.normal()(key, (2, 2), np.int32)
    with pytest.raises(funcad.errors.FuncadNotImplementedError, match="complex"):
        fi.normal()(key, (2, 2), np.complex128)
    with pytest.raises(funcad.errors.FuncadValueError, match="at least 2"):
        fi.orthogonal()(key, (4,))
