"""The wider funcad.numpy surface beyond the op-spec rows: derivatives against JAX where
the value is piecewise (knots, ties), the size= forms under jit and vmap against JAX, pad
in every mode against NumPy, dtype utilities, r_/c_, plain NumPy dispatch on traced values
and the error for numpy.asarray of a traced value."""
from __future__ import annotations

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad.numpy as fnp
from funcad.errors import TracerArrayConversionError

jnp = jax.numpy


def _close(a, b, what=""):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, what
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=what)


def test_derivatives_at_kinks_match_jax():
    xp = np.array([0.0, 1.0, 1.5, 3.0])
    fp = np.array([1.0, -1.0, 2.0, 0.0])
    xq = np.array([-1.0, 0.0, 1.0, 1.25, 1.5, 3.0, 4.0])  # knots, inside, outside
    for argnums in (0, 1, 2):
        ours = funcad.jacfwd(fnp.interp, argnums)(xq, xp, fp)
        theirs = jax.jacfwd(jnp.interp, argnums)(xq, xp, fp)
        _close(ours, theirs, f"interp d/arg{argnums}")
    ties = np.array([1.0, 2.0, -1.0, 0.0])
    for name in ("fmax", "fmin", "maximum", "minimum", "hypot", "copysign"):
        f, fj = getattr(fnp, name), getattr(jnp, name)
        for argnums in (0, 1):
            _close(funcad.grad(lambda a, b, f=f: fnp.sum(f(a, b)), argnums)(ties, ties[::-1]),
                   jax.grad(lambda a, b, fj=fj: jnp.sum(fj(a, b)), argnums)(ties, ties[::-1]),
                   f"{name} d/arg{argnums}")
    x = np.array([[3.0, 1.0, 3.0], [2.0, 2.0, 0.5]])
    for name in ("nanmax", "nanmin"):
        _close(funcad.grad(lambda x, n=name: fnp.sum(getattr(fnp, n)(x, axis=1)))(x),
               jax.grad(lambda x, n=name: jnp.sum(getattr(jnp, n)(x, axis=1)))(x), name)


def test_size_forms_under_transforms_match_jax():
    xs = np.array([[3.0, 1.0, 3.0, 2.0, 1.0], [0.0, 0.0, 5.0, -1.0, 5.0]])

    def uniq(ns):
        return lambda x: ns.unique(x, size=4, return_index=True, return_inverse=True,
                                   return_counts=True)

    for row in xs:
        ours = funcad.jit(uniq(fnp))(row)
        for a, b in zip(ours, uniq(jnp)(row)):
            _close(a, b, "unique jit")
    for a, b in zip(funcad.vmap(uniq(fnp))(xs), jax.vmap(uniq(jnp))(xs)):
        _close(a, b, "unique vmap")
    _close(funcad.grad(lambda x: fnp.sum(fnp.unique(x, size=3) ** 2))(xs[0]),
           jax.grad(lambda x: jnp.sum(jnp.unique(x, size=3) ** 2))(xs[0]), "unique grad")
    m = xs > 1.5
    for fn in ("nonzero", "argwhere", "flatnonzero"):
        ours = funcad.vmap(lambda v, fn=fn: getattr(fnp, fn)(v, size=3, fill_value=-1))(m)
        theirs = jax.vmap(lambda v, fn=fn: getattr(jnp, fn)(v, size=3, fill_value=-1))(m)
        for a, b in zip(jax.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(theirs)):
            _close(a, b, fn)
    _close(funcad.jit(lambda v: fnp.where(v, size=2)[0])(m[0]),
           jnp.where(m[0], size=2)[0], "where(cond, size)")
    w = np.array([0.5, 1.0, 2.0, 4.0])
    idx = np.array([0, 3, 1, 3])
    _close(funcad.jit(lambda i, w: fnp.bincount(i, w, length=5))(idx, w),
           jnp.bincount(idx, w, length=5), "bincount")
    _close(funcad.grad(lambda w: fnp.sum(fnp.bincount(idx, w, length=5) ** 2))(w),
           jax.grad(lambda w: jnp.sum(jnp.bincount(idx, w, length=5) ** 2))(w), "bincount grad")
    with pytest.raises(funcad.errors.ConcretizationError, match="size="):
        funcad.jit(fnp.unique)(xs[0])


PAD_CASES = [
    ("constant", {"constant_values": (1.5, -2)}), ("edge", {}), ("wrap", {}),
    ("reflect", {}), ("reflect", {"reflect_type": "odd"}), ("symmetric", {}),
    ("symmetric", {"reflect_type": "odd"}), ("linear_ramp", {"end_values": (5, -3)}),
    ("maximum", {"stat_length": 2}), ("minimum", {}), ("mean", {"stat_length": (1, 3)}),
    ("median", {}), ("median", {"stat_length": (1, 3)}),
]


@pytest.mark.parametrize("mode,kw", PAD_CASES, ids=[f"{m}-{i}" for i, (m, _) in
                                                   enumerate(PAD_CASES)])
def test_pad_every_mode_matches_numpy(mode, kw):
    rng = np.random.default_rng(0)
    for x in (rng.normal(size=(3, 4)), rng.integers(-5, 5, size=(4, 2)), rng.normal(size=5)):
        for width in (1, (2, 3), 7):
            _close(fnp.pad(x, width, mode, **kw), np.pad(x, width, mode, **kw),
                   f"{mode} {kw} {width} {x.dtype}")
            assert fnp.pad(x, width, mode, **kw).dtype == np.pad(x, width, mode, **kw).dtype
    x = rng.normal(size=(3, 4))
    _close(funcad.jit(lambda x: fnp.pad(x, 2, mode, **kw))(x), np.pad(x, 2, mode, **kw))
    if mode in ("constant", "edge", "wrap", "reflect", "symmetric", "linear_ramp"):
        _close(funcad.jacrev(lambda x: fnp.pad(x, 2, mode, **kw))(x),
               jax.jacrev(lambda x: jnp.pad(x, 2, mode, **kw))(x), f"{mode} jacobian")


def test_dtype_utilities_and_aliases():
    assert fnp.result_type(np.float32(1), 1.0) == np.float32
    assert fnp.issubdtype(fnp.float32, fnp.floating)
    assert fnp.finfo(np.float32).eps == np.finfo(np.float32).eps
    assert fnp.iinfo(np.int8).max == 127
    assert fnp.can_cast(np.float32, np.float64) and not fnp.can_cast(np.ones(2), np.float32)
    seen = []
    funcad.grad(lambda x: (seen.append(fnp.result_type(x, 2.0)), x)[1])(np.float32(1.0))
    assert seen == [np.float32]
    x = np.array([0.25, 0.5])
    for alias, name in (("acos", "arccos"), ("asin", "arcsin"), ("atan", "arctan"),
                        ("acosh", "arccosh"), ("asinh", "arcsinh"), ("atanh", "arctanh")):
        _close(getattr(fnp, alias)(x + (1 if alias == "acosh" else 0)),
               getattr(np, name)(x + (1 if alias == "acosh" else 0)), alias)
    _close(fnp.pow(x, 3), x**3)
    _close(fnp.atan2(x, x[::-1]), np.arctan2(x, x[::-1]))
    parts = fnp.unstack(np.arange(6.0).reshape(2, 3), axis=1)
    assert len(parts) == 3 and np.array_equal(parts[1], [1.0, 4.0])
    _close(fnp.cumulative_sum(x, include_initial=True), [0.0, 0.25, 0.75])
    m = np.arange(6.0).reshape(1, 2, 3)
    _close(fnp.concat([m, m], axis=None), np.concatenate([m.ravel(), m.ravel()]))
    _close(fnp.concat([m, m], axis=1), np.concatenate([m, m], axis=1))
    assert fnp.astype(m, np.float32).dtype == np.float32
    _close(fnp.matrix_transpose(m), np.swapaxes(m, -1, -2))
    z = np.array([1 + 2j, 3 - 1j])
    _close(fnp.vecdot(z, z[::-1]), np.vecdot(z, z[::-1]))
    _close(fnp.vecdot(m, m[0, 0]), np.vecdot(m, m[0, 0]))
    _close(funcad.grad(lambda a: fnp.vecdot(a, 2 * a))(x), jax.grad(
        lambda a: jnp.vecdot(a, 2 * a))(x))


def test_index_tricks():
    a = np.arange(6.0).reshape(2, 3)
    for ours, theirs in [
        (fnp.r_[1:4, 0, np.array([7, 8])], np.r_[1:4, 0, np.array([7, 8])]),
        (fnp.r_[0:1:5j], np.r_[0:1:5j]),
        (fnp.r_["0,2", [1, 2, 3], [4, 5, 6]], np.r_["0,2", [1, 2, 3], [4, 5, 6]]),
        (fnp.r_["1,3,1", a, a], np.r_["1,3,1", a, a]),
        (fnp.c_[np.array([1, 2, 3]), np.array([4, 5, 6])],
         np.c_[np.array([1, 2, 3]), np.array([4, 5, 6])]),
        (fnp.c_[a, a], np.c_[a, a]),
    ]:
        _close(ours, theirs)
        assert np.asarray(ours).dtype == theirs.dtype
    g = funcad.grad(lambda x: fnp.sum(fnp.r_[x, 2 * x] ** 2))(np.array([1.0, 2.0]))
    _close(g, 10 * np.array([1.0, 2.0]))
    _close(funcad.vmap(lambda x: fnp.c_[x, x])(a), np.stack([np.c_[r, r] for r in a]))


def test_plain_numpy_calls_dispatch_to_funcad():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    calls = [
        (lambda t: np.sum(np.diag(t)), lambda t: jnp.sum(jnp.diag(t))),
        (lambda t: np.sum(np.pad(t, 1, "reflect") ** 2),
         lambda t: jnp.sum(jnp.pad(t, 1, "reflect") ** 2)),
        (lambda t: np.sum(np.tril(t) * np.triu(t, 1)), lambda t: jnp.sum(jnp.tril(t) * jnp.triu(t, 1))),
        (lambda t: np.sum(np.kron(t, t)), lambda t: jnp.sum(jnp.kron(t, t))),
        (lambda t: np.sum(np.hypot(t, 1.0)), lambda t: jnp.sum(jnp.hypot(t, 1.0))),
        (lambda t: np.sum(np.cov(t)), lambda t: jnp.sum(jnp.cov(t))),
        (lambda t: np.interp(2.5, t[0], t[1]), lambda t: jnp.interp(2.5, t[0], t[1])),
        (lambda t: np.sum(np.take_along_axis(t, np.array([[1], [0]]), 1)),
         lambda t: jnp.sum(jnp.take_along_axis(t, jnp.array([[1], [0]]), 1))),
        (lambda t: np.sum(np.diff(t, axis=0) ** 2), lambda t: jnp.sum(jnp.diff(t, axis=0) ** 2)),
        (lambda t: np.trapezoid(t[0]), lambda t: jnp.trapezoid(t[0])),
    ]
    for ours, theirs in calls:
        _close(funcad.grad(ours)(x), jax.grad(theirs)(x))
    with pytest.raises(TracerArrayConversionError, match=r"funcad\.numpy\.r_"):
        funcad.grad(lambda t: np.sum(np.r_[t, t]))(np.ones(2))
    with pytest.raises(TracerArrayConversionError, match=r"funcad\.numpy\.asarray"):
        funcad.grad(lambda t: np.asarray(t).sum())(1.0)
