"""``laplacian`` and ``hessian_diag`` against the trace and the diagonal of the Hessian
(``jacfwd(jacrev)``): random programs (hypothesis), MLPs, vector and pytree outputs,
several arguments, every family of rule (elementwise with a diagonal Jacobian, linear,
bilinear, zero, and the generic rule through control flow, indexing and linalg), under
``vmap`` over points and ``jit`` on both backends."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given

import funcad
import funcad.numpy as fnp
from funcad import lax
from funcad.errors import FuncadTypeError, FuncadValueError
from funcad.testing.strategies import programs_and_args

RNG = np.random.default_rng(0)
X = RNG.normal(size=4)
A = RNG.normal(size=(3, 4))


def _hessian(f, x):
    """Hessian of every output element: shape (*out, *x, *x)."""
    return np.asarray(funcad.jacfwd(funcad.jacrev(f))(x))


def _check(f, x=X, rtol=1e-10, atol=1e-10):
    h = _hessian(f, x)
    k = np.ndim(x)
    h = h.reshape(*h.shape[:h.ndim - 2 * k], np.size(x), np.size(x))
    diag = np.diagonal(h, axis1=-2, axis2=-1)
    np.testing.assert_allclose(funcad.laplacian(f)(x), diag.sum(-1), rtol=rtol, atol=atol)
    got = funcad.hessian_diag(f)(x)
    np.testing.assert_allclose(np.reshape(got, diag.shape), diag, rtol=rtol, atol=atol)
    assert np.shape(got) == np.shape(funcad.laplacian(f)(x)) + np.shape(x)


@given(programs_and_args(shape=(3,)))
def test_random_programs(program_and_args):
    program, args = program_and_args
    n = len(args)
    joint = np.concatenate(args)

    def of_joint(z):
        return program(*[z[3 * i:3 * i + 3] for i in range(n)])

    h = _hessian(of_joint, joint).reshape(-1, 3 * n, 3 * n)
    lap = funcad.laplacian(program, tuple(range(n)))(*args)
    np.testing.assert_allclose(np.reshape(lap, -1), np.einsum("oii->o", h), rtol=1e-9,
                               atol=1e-9)
    diags = funcad.hessian_diag(program, tuple(range(n)))(*args)
    got = np.concatenate([np.reshape(d, (-1, 3)) for d in diags], axis=-1)
    np.testing.assert_allclose(got, np.einsum("oii->oi", h), rtol=1e-9, atol=1e-9)


def _mlp(sizes, act, seed=0):
    rng = np.random.default_rng(seed)
    params = [(rng.normal(size=(a, b)) / np.sqrt(a), rng.normal(size=b))
              for a, b in itertools.pairwise(sizes)]

    def f(x):
        for i, (w, b) in enumerate(params):
            x = x @ w + b
            if i < len(params) - 1:
                x = act(x)
        return x[..., 0] if sizes[-1] == 1 else x

    return f


@pytest.mark.parametrize("act", [fnp.tanh, funcad.nn.softplus, funcad.nn.sigmoid, fnp.sin])
def test_mlps(act):
    _check(_mlp([4, 8, 8, 1], act))
    _check(_mlp([4, 6, 3], act))  # vector output: one Laplacian per output


FAMILIES = {
    "elementwise_diag": lambda x: fnp.exp(fnp.sin(x)) * fnp.sqrt(2.0 + x) / (1.0 + x ** 2),
    "elementwise_binary": lambda x: fnp.arctan2(x, x ** 2 + 1.0) + (1.5 + fnp.sin(x)) ** fnp.cos(x),
    "matvec_diag_jacobian": lambda x: fnp.tanh(A @ x) @ fnp.sin(x[::-1] @ A.T) + x @ A.T,
    "linear": lambda x: fnp.sum(fnp.tanh(x).reshape(2, 2).T, axis=0) * 3.0,
    "bilinear": lambda x: fnp.outer(fnp.sin(x), x) @ fnp.cos(x) + fnp.dot(x, x) * x,
    "zero": lambda x: fnp.floor(x) * x ** 2 + (x > 0) * fnp.exp(x),
    "reductions": lambda x: fnp.max(x ** 2) + fnp.prod(fnp.cos(x)) + fnp.cumprod(x)[-1],
    "indexing": lambda x: x[np.array([0, 0, 3])] ** 3 + fnp.sin(x).at[1].add(x[2] ** 2)[:3],
    "cond": lambda x: lax.cond(x[0] > 0, lambda y: fnp.sin(y) * y, fnp.exp, x),
    "scan": lambda x: lax.scan(lambda c, xi: (c * fnp.sin(xi) + c ** 2, c), x[0], x)[0],
    "while": lambda x: lax.fori_loop(0, 3, lambda i, c: fnp.tanh(c) * x, x),
    "jit": funcad.jit(lambda x: fnp.log1p(x ** 2) * fnp.sum(x)),
    "linalg": lambda x: fnp.linalg.solve(fnp.outer(x, x) + 4.0 * fnp.eye(4), fnp.sin(x)),
    "cholesky": lambda x: fnp.linalg.cholesky(fnp.outer(x, x) + 4.0 * fnp.eye(4))[3],
    "scalar_of_matrix": lambda x: fnp.sum(fnp.tanh(x.reshape(2, 2) @ x.reshape(2, 2))),
}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_family_of_rule(name):
    _check(FAMILIES[name])


def test_matrix_input_and_pytree_output():
    x = RNG.normal(size=(2, 3))

    def f(m):
        return {"a": fnp.sum(fnp.sin(m) * m[::-1]), "b": fnp.tanh(m @ m.T)}

    lap = funcad.laplacian(f)(x)
    diag = funcad.hessian_diag(f)(x)
    for key in ("a", "b"):
        h = _hessian(lambda m, key=key: f(m)[key], x)
        h = h.reshape(*h.shape[:h.ndim - 4], 6, 6)
        np.testing.assert_allclose(lap[key], np.einsum("...ii->...", h), rtol=1e-10, atol=1e-10)
        d = np.diagonal(h, axis1=-2, axis2=-1).reshape(*h.shape[:-2], 2, 3)
        np.testing.assert_allclose(diag[key], d, rtol=1e-10, atol=1e-10)


def test_argnums_and_constants():
    def f(x, y, scale):
        return fnp.sum(fnp.sin(x * y)) * scale

    y = RNG.normal(size=4)
    lap_x = funcad.laplacian(f)(X, y, 2.0)
    np.testing.assert_allclose(lap_x, -2.0 * np.sum(y ** 2 * np.sin(X * y)), rtol=1e-12)
    lap_xy = funcad.laplacian(f, (0, 1))(X, y, 2.0)
    np.testing.assert_allclose(lap_xy, -2.0 * np.sum((X ** 2 + y ** 2) * np.sin(X * y)),
                               rtol=1e-12)
    dx, dy = funcad.hessian_diag(f, (0, 1))(X, y, 2.0)
    np.testing.assert_allclose(dx, -2.0 * y ** 2 * np.sin(X * y), rtol=1e-12)
    np.testing.assert_allclose(dy, -2.0 * X ** 2 * np.sin(X * y), rtol=1e-12)
    # an output that does not depend on x
    np.testing.assert_allclose(funcad.laplacian(lambda x, y: fnp.sin(y), 0)(X, y), 0.0)


@pytest.mark.parametrize("backend", [None, "numpy", "xla"])
def test_vmap_over_points_and_jit(backend):
    f = _mlp([4, 8, 1], fnp.tanh)
    pts = RNG.normal(size=(5, 4))
    lap = funcad.vmap(funcad.laplacian(f))
    if backend is not None:
        if backend == "xla":
            pytest.importorskip("funcad_xla")
        lap = funcad.jit(lap, backend=backend)
    want = [np.trace(funcad.hessian(f)(p)) for p in pts]
    np.testing.assert_allclose(lap(pts), want, rtol=1e-10, atol=1e-10)
    diag = funcad.vmap(funcad.hessian_diag(f))
    if backend is not None:
        diag = funcad.jit(diag, backend=backend)
    np.testing.assert_allclose(diag(pts), [np.diag(funcad.hessian(f)(p)) for p in pts],
                               rtol=1e-10, atol=1e-10)


def test_grad_of_laplacian():
    f = _mlp([3, 5, 1], fnp.tanh)
    x = RNG.normal(size=3)
    g = funcad.grad(funcad.laplacian(f))(x)
    ref = funcad.grad(lambda z: fnp.trace(funcad.hessian(f)(z)))(x)
    np.testing.assert_allclose(g, ref, rtol=1e-10, atol=1e-10)


def test_errors():
    with pytest.raises(FuncadTypeError, match="floating"):
        funcad.laplacian(lambda n: n * 2.0)(np.arange(3))
    with pytest.raises(FuncadValueError, match="out of range"):
        funcad.hessian_diag(fnp.sin, 2)(X)
    with pytest.raises(FuncadTypeError, match="argnums"):
        funcad.laplacian(fnp.sin, "x")
