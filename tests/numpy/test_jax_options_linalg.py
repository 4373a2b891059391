"""Options JAX programs pass to linalg, scipy.special and lax that funcad accepts with JAX's
semantics: ``logsumexp(where=)``, ``linalg.cholesky(symmetrize_input=)``,
``linalg.svd(subset_by_index=)``, ``linalg.slogdet(method=)``, ``log_ndtr(series_order=)``,
``lax.top_k(axis=)``, ``lax.clamp``'s keyword names and ``lax.reshape(dimensions=)``.

Each row is compared with JAX (float64) eagerly and under ``funcad.jit`` on the numpy and
xla backends, and its gradient with ``jax.grad`` where JAX differentiates it."""
from __future__ import annotations

import numpy as np
import pytest
from jax_reference import jax
from scipy.special import erfcx

import funcad
import funcad.lax as flax
import funcad.numpy as fnp
import funcad.scipy.special as fss
from funcad.errors import FuncadError

jnp = jax.numpy
jss = jax.scipy.special
rng = np.random.default_rng(0)


def _leaves(tree):
    return funcad.tree_util.tree_leaves(tree)


def _check(ours, theirs, args, *, rtol=1e-12, atol=1e-12, argnums=(0,), loss=None):
    """``ours(*args)`` equals ``theirs(*args)`` eagerly and under jit on both backends, and
    so do the gradients of ``loss(out)`` (a weighted sum of the outputs by default)."""
    expected = jax.tree_util.tree_leaves(theirs(*args))
    runs = [ours] + [funcad.jit(ours, backend=b) for b in ("numpy", "xla")]
    for run in runs:
        got = _leaves(run(*args))
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=rtol, atol=atol)
    if not argnums:
        return
    if loss is None:
        def loss(m, out):
            x = out[0] if isinstance(out, (tuple, list)) else out
            return m.sum(x * m.cos(m.arange(x.size).reshape(x.shape)))
    want = jax.grad(lambda *a: loss(jnp, theirs(*a)), argnums)(*args)
    ours_grad = funcad.grad(lambda *a: loss(fnp, ours(*a)), argnums)
    for run in [ours_grad] + [funcad.jit(ours_grad, backend=b) for b in ("numpy", "xla")]:
        got = run(*args)
        for g, e in zip(got, want):
            np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=rtol, atol=atol)


def test_logsumexp_where():
    a = rng.normal(size=(3, 4))
    a[0, 1] = np.inf  # masked out: must not reach the result
    b = rng.normal(size=(3, 4))
    b[2, 3] = np.nan  # masked out too
    mask = np.array([[True, False, True, True], [False] * 4, [True, True, False, False]])
    rows = [  # (kwargs, with b)
        (dict(axis=1), False), (dict(axis=1, keepdims=True), False), (dict(), False),
        (dict(axis=0), False), (dict(axis=1, return_sign=True), True),
        (dict(axis=1, return_sign=True, keepdims=True), True), (dict(axis=1), True),
        (dict(axis=(0, 1), return_sign=True), True),
    ]
    for kw, with_b in rows:
        for where in (mask, mask[2]):  # a full mask and one that broadcasts
            if with_b:
                _check(lambda a, b, kw=kw, w=where: fss.logsumexp(a, b=b, where=w, **kw),
                       lambda a, b, kw=kw, w=where: jss.logsumexp(a, b=b, where=w, **kw),
                       (a, np.abs(b) if not kw.get("return_sign") else b), argnums=(0, 1))
            else:
                _check(lambda a, kw=kw, w=where: fss.logsumexp(a, where=w, **kw),
                       lambda a, kw=kw, w=where: jss.logsumexp(a, where=w, **kw), (a,))
    # A fully masked slice: -inf (sign 0), zero and finite gradients.
    out, sign = fss.logsumexp(a, axis=1, b=b, where=mask, return_sign=True)
    assert out[1] == -np.inf and sign[1] == 0
    g = funcad.grad(lambda a: fnp.sum(fss.logsumexp(a, axis=1, where=mask)[::2]))(a)
    assert np.all(np.isfinite(g)) and np.all(g[~mask] == 0)


def test_cholesky_symmetrize_input():
    m = rng.normal(size=(2, 4, 4))
    spd = m @ np.swapaxes(m, -1, -2) + 4 * np.eye(4)
    a = spd + 0.3 * rng.normal(size=(2, 4, 4))  # not symmetric: the two settings differ
    for upper in (False, True):
        for sym in (True, False):
            _check(lambda a, u=upper, s=sym: fnp.linalg.cholesky(a, upper=u, symmetrize_input=s),
                   lambda a, u=upper, s=sym: jnp.linalg.cholesky(a, upper=u, symmetrize_input=s),
                   (a,), rtol=1e-10, atol=1e-12)
    w = rng.normal(size=(4, 4))
    for sym in (True, False):  # second derivatives, and jax.lax.linalg's function
        h = funcad.hessian(lambda a, s=sym: fnp.sum(
            fnp.linalg.cholesky(a, symmetrize_input=s) * w))(a[0])
        np.testing.assert_allclose(h, jax.hessian(lambda a, s=sym: jnp.sum(
            jnp.linalg.cholesky(a, symmetrize_input=s) * w))(a[0]), rtol=1e-9, atol=1e-12)
        _check(lambda a, s=sym: flax.linalg.cholesky(a, symmetrize_input=s),
               lambda a, s=sym: jax.lax.linalg.cholesky(a, symmetrize_input=s), (a,),
               rtol=1e-10, atol=1e-12)
    c = a[0] + 0.2j * rng.normal(size=(4, 4))  # complex, not Hermitian
    t = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    for sym in (True, False):
        ours = funcad.jvp(lambda c, s=sym: fnp.linalg.cholesky(c, symmetrize_input=s), (c,), (t,))
        theirs = jax.jvp(lambda c, s=sym: jnp.linalg.cholesky(c, symmetrize_input=s), (c,), (t,))
        for o, e in zip(ours, theirs):
            np.testing.assert_allclose(o, e, rtol=1e-10, atol=1e-12)
    # The default symmetrizes, as JAX's; symmetrize_input=False reads the lower triangle.
    np.testing.assert_allclose(fnp.linalg.cholesky(a), np.linalg.cholesky((a + a.mT) / 2))
    np.testing.assert_allclose(fnp.linalg.cholesky(a, symmetrize_input=False),
                               np.linalg.cholesky(np.tril(a) + np.tril(a, -1).mT))


def _outer_products(m, usv):
    """The rank-one terms ``s_i u_i vh_i`` (independent of the singular vectors' signs)."""
    u, s, vh = usv
    return m.einsum("...ik,...k,...kj->...kij", u, s, vh)


def test_svd_subset_by_index():
    a = rng.normal(size=(2, 5, 3))
    for start, end in [(0, 3), (0, 2), (1, 3), (2, 3), (1, 1)]:
        sub = (start, end)
        # JAX's CPU backend does not compute subsets: the reference is its full reduced SVD
        # sliced to the same triplets (descending order).
        _check(lambda a, sub=sub: fnp.linalg.svd(a, full_matrices=False, compute_uv=False,
                                                 subset_by_index=sub),
               lambda a, s=start, e=end: jnp.linalg.svd(a, full_matrices=False,
                                                        compute_uv=False)[..., s:e],
               (a,), rtol=1e-10)
        _check(lambda a, sub=sub: _outer_products(
                   fnp, fnp.linalg.svd(a, full_matrices=False, subset_by_index=sub)),
               lambda a, s=start, e=end: _outer_products(jnp, [
                   x[..., s:e] if i < 2 else x[..., s:e, :]
                   for i, x in enumerate(jnp.linalg.svd(a, full_matrices=False))]),
               (a,), rtol=1e-9, atol=1e-11)
        u, s, vh = fnp.linalg.svd(a, full_matrices=False, subset_by_index=sub)
        assert u.shape == (2, 5, end - start) and s.shape == (2, end - start)
        assert vh.shape == (2, end - start, 3)
    # The whole range is allowed with full_matrices (JAX's rule); other subsets are not.
    full = fnp.linalg.svd(a, subset_by_index=(0, 3))
    assert full.U.shape == (2, 5, 5)
    for bad in [dict(subset_by_index=(0, 2)), dict(subset_by_index=(2, 1), full_matrices=False),
                dict(subset_by_index=(0, 4), full_matrices=False),
                dict(subset_by_index=(-1, 2), full_matrices=False)]:
        with pytest.raises(FuncadError, match="subset_by_index"):
            fnp.linalg.svd(a, **bad)
    with pytest.raises(ValueError):
        jnp.linalg.svd(a, subset_by_index=(0, 2))


def test_slogdet_method():
    a = rng.normal(size=(3, 4, 4))
    for method in (None, "lu", "qr"):
        _check(lambda a, m=method: fnp.linalg.slogdet(a, method=m),
               lambda a, m=method: jnp.linalg.slogdet(a, method=m), (a,), rtol=1e-10,
               loss=lambda m, out: m.sum(out[1] * m.arange(3.0)))
    with pytest.raises(FuncadError, match="method"):
        fnp.linalg.slogdet(a, method="cholesky")


def test_log_ndtr_series_order():
    x = np.array([-1e3, -100.0, -39.0, -25.0, -5.0, -0.5, 0.0, 3.0, 10.0])
    exact = jss.log_ndtr(x, series_order=30)  # JAX's float64 values converge with the order
    for order in (0, 1, 3, 10, 30, True):
        got = fss.log_ndtr(x, series_order=order)
        # The asymptotic tail, where the order matters to JAX: funcad is as close as JAX's
        # highest order; elsewhere JAX's float64 values are a few ulps off (funcad's are
        # SciPy's).
        np.testing.assert_allclose(got[:4], exact[:4], rtol=4e-16, atol=0)
        np.testing.assert_allclose(got, exact, rtol=1e-14, atol=0)
        _check(lambda x, o=order: fss.log_ndtr(x, series_order=o),
               lambda x, o=order: jss.log_ndtr(x, series_order=o), (x[4:],), rtol=1e-13)
        g = funcad.grad(lambda x, o=order: fnp.sum(fss.log_ndtr(x, o)))(x)
        np.testing.assert_allclose(g[2:], jax.grad(lambda x: jnp.sum(jss.log_ndtr(x, 30)))(
            x[2:]), rtol=1e-13)
        # Far in the tail JAX's derivative is 1e-11 off; the Mills ratio is exact there.
        np.testing.assert_allclose(g[:2], np.sqrt(2 / np.pi) / erfcx(-x[:2] / np.sqrt(2)),
                                   rtol=1e-15)
    for bad in (-1, 31, 2.0, np.int64(3)):
        with pytest.raises(FuncadError, match="series_order"):
            fss.log_ndtr(x, series_order=bad)


def test_lax_top_k_clamp_reshape():
    x = rng.normal(size=(4, 5, 3))
    for axis in (0, 1, 2, -1, -2, -3):
        for k in (1, 3):
            if k > x.shape[axis]:
                continue
            _check(lambda x, k=k, ax=axis: flax.top_k(x, k, axis=ax),
                   lambda x, k=k, ax=axis: jax.lax.top_k(x, k, axis=ax), (x,), rtol=0, atol=0)
    with pytest.raises(FuncadError, match="axis"):
        flax.top_k(x, 1, axis=3)
    lo, hi = np.full(x.shape, -0.5), np.full(x.shape, 0.7)
    _check(lambda x, lo, hi: flax.clamp(min=lo, x=x, max=hi),
           lambda x, lo, hi: jax.lax.clamp(min=lo, x=x, max=hi), (x, lo, hi), argnums=(0, 1, 2))
    _check(lambda x: flax.clamp(-0.5, x, max=0.7), lambda x: jax.lax.clamp(-0.5, x, max=0.7),
           (x,))
    for new_sizes, dims in [((3, 20), (2, 0, 1)), ((60,), (1, 2, 0)), ((4, 15), None),
                            ((5, 4, 3), (1, 0, 2))]:
        _check(lambda x, n=new_sizes, d=dims: flax.reshape(x, n, d),
               lambda x, n=new_sizes, d=dims: jax.lax.reshape(x, n, d), (x,))
        _check(lambda x, n=new_sizes, d=dims: flax.reshape(x, n, dimensions=d),
               lambda x, n=new_sizes, d=dims: jax.lax.reshape(x, n, dimensions=d), (x,),
               argnums=())
