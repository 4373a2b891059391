"""funcad.random against jax.random (x64) for many keys, every sampler, shapes and dtypes:
eagerly (key by key), under vmap over the keys, and under jit on both backends.

Bit-for-bit where the numbers come from integer operations and IEEE arithmetic alone
(bits, split, fold_in, uniform, randint, bernoulli, permutation, choice, categorical,
poisson's Knuth regime); to rounding where NumPy's log/erf_inv differ from XLA's by an ulp
(the XLA backend, running XLA's own kernels, matches JAX bit for bit there too).
"""
from __future__ import annotations

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad.random as fr
from funcad import lax

jr = jax.random
NKEYS = 20
SEEDS = [0, 1, 2, 7, 42, 99, 123, 2 ** 31 - 1, 2 ** 32 + 5, 2 ** 40 + 3, -1, -17,
         1234567, 987654321, 31337, 65535, 65536, 2 ** 62, 555, 8][:NKEYS]
KEYS = np.stack([np.asarray(jr.PRNGKey(s)) for s in SEEDS])
SHAPES = [(), (2, 5)]
FLOATS = [np.float32, np.float64]
P = np.array([0.1, 0.2, 0.3, 0.4])
LOGITS = np.log(np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]))
X = np.arange(24.0).reshape(4, 6)


def _needs(*names):
    missing = [n for n in names if not hasattr(lax, n)]
    return pytest.mark.skipif(bool(missing), reason=f"funcad.lax lacks {missing}")


# name -> (funcad sampler, jax sampler, exact on NumPy paths, lax functions it needs)
# Each sampler takes (module, key, shape, dtype).
SAMPLERS = {
    "bits": (lambda m, k, s, d: m.bits(k, s, {np.float32: np.uint32, np.float64: np.uint64}[d]),
             True, ()),
    "bits8": (lambda m, k, s, d: m.bits(k, s, np.uint8), True, ()),
    "uniform": (lambda m, k, s, d: m.uniform(k, s, d), True, ()),
    "uniform_range": (lambda m, k, s, d: m.uniform(k, s, d, -2.5, 3.25), True, ()),
    "randint": (lambda m, k, s, d: m.randint(k, s, -3, 11, {np.float32: np.int32,
                                                           np.float64: np.int64}[d]), True, ()),
    "randint_u8": (lambda m, k, s, d: m.randint(k, s, 0, 256, np.uint8), True, ()),
    "randint_wide": (lambda m, k, s, d: m.randint(k, s, -2 ** 62, 2 ** 62), True, ()),
    "bernoulli": (lambda m, k, s, d: m.bernoulli(k, d(0.3), s), True, ()),
    "bernoulli_high": (lambda m, k, s, d: m.bernoulli(k, d(0.3), s, mode="high"), True, ()),
    "split": (lambda m, k, s, d: m.split(k, 3), True, ()),
    "split_shape": (lambda m, k, s, d: m.split(k, (2, 2)), True, ()),
    "fold_in": (lambda m, k, s, d: m.fold_in(k, 12345), True, ()),
    "permutation": (lambda m, k, s, d: m.permutation(k, 10), True, ()),
    "permutation_axis": (lambda m, k, s, d: m.permutation(k, X.astype(d), 1), True, ()),
    "permutation_indep": (lambda m, k, s, d: m.permutation(k, X.astype(d), 1, True), True, ()),
    "choice": (lambda m, k, s, d: m.choice(k, 10, s), True, ()),
    "choice_axis": (lambda m, k, s, d: m.choice(k, X.astype(d), (3,), axis=1), True, ()),
    "choice_noreplace": (lambda m, k, s, d: m.choice(k, 10, (4,), replace=False), True, ()),
    "choice_p": (lambda m, k, s, d: m.choice(k, 4, s, p=P.astype(d)), True, ()),
    "choice_p_noreplace": (lambda m, k, s, d: m.choice(k, 4, (3,), replace=False,
                                                        p=P.astype(d)), False, ()),
    "categorical": (lambda m, k, s, d: m.categorical(k, LOGITS.astype(d)), True, ()),
    "categorical_axis0": (lambda m, k, s, d: m.categorical(k, LOGITS.astype(d), axis=0),
                          True, ()),
    "categorical_shape": (lambda m, k, s, d: m.categorical(k, LOGITS.astype(d), shape=(4, 2)),
                          True, ()),
    "categorical_noreplace": (lambda m, k, s, d: m.categorical(
        k, LOGITS.astype(d), shape=(2, 2), replace=False), False, ()),
    "exponential": (lambda m, k, s, d: m.exponential(k, s, d), False, ()),
    "gumbel": (lambda m, k, s, d: m.gumbel(k, s, d), False, ()),
    "gumbel_high": (lambda m, k, s, d: m.gumbel(k, s, d, mode="high"), False, ()),
    "laplace": (lambda m, k, s, d: m.laplace(k, s, d), False, ()),
    "logistic": (lambda m, k, s, d: m.logistic(k, s, d), False, ()),
    "cauchy": (lambda m, k, s, d: m.cauchy(k, s, d), False, ()),
    "poisson_small": (lambda m, k, s, d: m.poisson(k, 3.5, s), True, ()),
    "poisson": (lambda m, k, s, d: m.poisson(k, np.array([0.0, 2.0, 15.0, 80.0]), (3, 4)),
                False, ("lgamma",)),
    "normal": (lambda m, k, s, d: m.normal(k, s, d), False, ("erf_inv",)),
    "normal_complex": (lambda m, k, s, d: m.normal(k, s, {np.float32: np.complex64,
                                                         np.float64: np.complex128}[d]),
                       False, ("erf_inv",)),
    "truncated_normal": (lambda m, k, s, d: m.truncated_normal(k, -1.0, 2.0, s, d),
                         False, ("erf_inv",)),
    "multivariate_normal": (lambda m, k, s, d: m.multivariate_normal(
        k, np.ones(3, d), (np.eye(3) * 2 + 0.5).astype(d), s), False, ("erf_inv",)),
    "gamma": (lambda m, k, s, d: m.gamma(k, np.array([0.3, 1.0, 2.5, 7.0], d), (2, 4), d),
              False, ("erf_inv",)),
    "loggamma": (lambda m, k, s, d: m.loggamma(k, np.array([0.3, 1.0, 7.0], d), None, d),
                 False, ("erf_inv",)),
    "beta": (lambda m, k, s, d: m.beta(k, d(2.0), np.array([0.5, 3.0], d), None, d),
             False, ("erf_inv",)),
    "dirichlet": (lambda m, k, s, d: m.dirichlet(k, np.array([0.5, 1.0, 3.0], d), s, d),
                  False, ("erf_inv",)),
}


XLA_EXACT = {"exponential", "gumbel", "gumbel_high", "laplace", "logistic", "cauchy", "normal",
             "normal_complex", "truncated_normal", "poisson"}
# Samplers whose draw does not depend on the shape argument run at one shape only.
FIXED_SHAPE = {"split", "split_shape", "fold_in", "permutation", "permutation_axis",
               "permutation_indep", "choice_axis", "choice_noreplace", "choice_p_noreplace",
               "categorical", "categorical_axis0", "categorical_shape", "categorical_noreplace",
               "poisson", "gamma", "loggamma", "beta"}


# Rejection-loop samplers compile slowly (seconds per program): float64 only, and only
# gamma itself through the XLA backend.
HEAVY = {"gamma", "loggamma", "beta", "dirichlet"}


def _dtypes(name):
    return FLOATS[1:] if name in HEAVY else FLOATS


def _shapes(name):
    return SHAPES[-1:] if name in FIXED_SHAPE else SHAPES


def _available(name) -> bool:
    return all(hasattr(lax, n) for n in SAMPLERS[name][2])


def _params():
    for name, (_, exact, needs) in SAMPLERS.items():
        yield pytest.param(name, exact, marks=_needs(*needs), id=name)


def _all_draws(module, keys, names, shapes):
    """``{(name, shape, dtype name): draws for every key}`` (one program for all)."""
    vmap = jax.vmap if module is jr else funcad.vmap
    return {(n, s, d.__name__): vmap(lambda k, n=n, s=s, d=d: SAMPLERS[n][0](module, k, s, d))(keys)
            for n in names for s in shapes if s in _shapes(n) for d in _dtypes(n)}


@pytest.fixture(scope="module")
def jax_draws():
    """JAX's draws for every sampler, shape and dtype, compiled as one program (compiling
    each one separately would cost seconds apiece)."""
    names = [n for n in SAMPLERS if _available(n)]
    out = jax.jit(lambda keys: _all_draws(jr, keys, names, SHAPES))(KEYS)
    return {k: np.asarray(v) for k, v in out.items()}


@pytest.fixture(scope="module")
def xla_draws():
    """funcad's draws under ``jit(backend="xla")``, one compiled program for all samplers."""
    names = [n for n in SAMPLERS if _available(n) and (n not in HEAVY or n == "gamma")]
    return funcad.jit(lambda keys: _all_draws(fr, keys, names, SHAPES[-1:]), backend="xla")(KEYS)


def _compare(ours, ref, exact, what):
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape and ours.dtype == ref.dtype, (what, ours.dtype, ref.dtype)
    if exact or ours.dtype.kind in "biu":
        np.testing.assert_array_equal(ours, ref, err_msg=what)
    else:
        tol = 2e-5 if ours.dtype in (np.float32, np.complex64) else 1e-12
        np.testing.assert_allclose(ours, ref, rtol=tol, atol=tol, err_msg=what)


@pytest.mark.parametrize("name, exact", list(_params()))
def test_sampler_matches_jax(name, exact, jax_draws, xla_draws):
    fn = SAMPLERS[name][0]
    for dtype in _dtypes(name):
        for shape in _shapes(name):
            ref = jax_draws[name, shape, dtype.__name__]
            batched = funcad.vmap(lambda k, s=shape, d=dtype: fn(fr, k, s, d))(KEYS)
            _compare(batched, ref, exact, f"{name} vmap {shape} {dtype.__name__}")
        # Eagerly, key by key (a few keys: eager calls are slow), and jitted with NumPy.
        shape = SHAPES[-1]
        ref = jax_draws[name, shape, dtype.__name__]
        eager = np.stack([fn(fr, k, shape, dtype) for k in KEYS[:4]])
        _compare(eager, ref[:4], exact, f"{name} eager {shape} {dtype.__name__}")
        f = funcad.vmap(lambda k, s=shape, d=dtype: fn(fr, k, s, d))
        _compare(funcad.jit(f, backend="numpy")(KEYS), ref, exact, f"{name} jit numpy {dtype}")
        # XLA runs XLA's kernels: bit for bit with JAX for the elementwise samplers.
        if (name, shape, dtype.__name__) in xla_draws:
            _compare(xla_draws[name, shape, dtype.__name__], ref, exact or name in XLA_EXACT,
                     f"{name} jit xla {dtype}")


@pytest.mark.parametrize("seed", [0, 1, -1, -(2 ** 31), 2 ** 31, 2 ** 40 + 5, -(2 ** 62)])
def test_keys_match_jax(seed):
    np.testing.assert_array_equal(fr.PRNGKey(seed), jr.PRNGKey(seed))
    np.testing.assert_array_equal(fr.key(seed), jr.PRNGKey(seed))
    for dt in (np.int8, np.int16, np.int32, np.uint32, np.int64, np.uint64):
        s = np.asarray(seed).astype(np.int64).astype(dt)  # wraps to the narrower type
        np.testing.assert_array_equal(fr.PRNGKey(s), jr.PRNGKey(s), err_msg=str(dt))


def test_keys_from_traced_seeds():
    seeds = np.array([0, 1, -1, 2 ** 40 + 5, -(2 ** 62)], np.int64)
    ref = jax.vmap(jr.PRNGKey)(seeds)
    for fn in (funcad.vmap(fr.PRNGKey), funcad.jit(funcad.vmap(fr.PRNGKey), backend="numpy"),
               funcad.jit(funcad.vmap(fr.PRNGKey), backend="xla")):
        np.testing.assert_array_equal(fn(seeds), ref)
    seeds32 = seeds.astype(np.int32)
    np.testing.assert_array_equal(funcad.vmap(fr.PRNGKey)(seeds32), jax.vmap(jr.PRNGKey)(seeds32))


def test_fold_in_with_traced_data_and_chains():
    k = fr.PRNGKey(5)
    data = np.array([0, 1, 2 ** 31, 2 ** 32 - 1], np.uint32)
    ref = jax.vmap(lambda d: jr.fold_in(jr.PRNGKey(5), d))(data)
    np.testing.assert_array_equal(funcad.vmap(lambda d: fr.fold_in(k, d))(data), ref)
    np.testing.assert_array_equal(fr.fold_in(fr.split(k)[1], 2 ** 32 - 3),
                                  jr.fold_in(jr.split(jr.PRNGKey(5))[1], 2 ** 32 - 3))


def test_large_draws_match_jax():
    """Threefry's blocked kernel over many blocks, with keys that are not broadcast."""
    k = fr.PRNGKey(11)
    np.testing.assert_array_equal(fr.bits(k, (300_001,), np.uint32),
                                  jr.bits(jr.PRNGKey(11), (300_001,), np.uint32))
    np.testing.assert_array_equal(fr.uniform(k, (1000, 300), np.float32, -1.0, 4.0),
                                  jr.uniform(jr.PRNGKey(11), (1000, 300), np.float32, -1.0, 4.0))
    np.testing.assert_array_equal(fr.permutation(k, 2000), jr.permutation(jr.PRNGKey(11), 2000))


def test_jax_array_keys_are_accepted():
    jk = jr.split(jr.PRNGKey(9))[1]
    np.testing.assert_array_equal(fr.uniform(jk, (4,)), jr.uniform(jk, (4,)))
    np.testing.assert_array_equal(fr.split(jk, 3), jr.split(jk, 3))
