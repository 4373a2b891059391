"""The corpus of structured programs the sparse tests run: (name, function, input size,
exact) rows for Jacobians and for Hessians. ``exact``: the detected pattern must equal the
dense nonzeros at random points (no control flow to take conservatively)."""
from __future__ import annotations

import numpy as np

import funcad.numpy as fnp
from funcad import lax

_rng = np.random.default_rng(7)
_BLOCKS = _rng.uniform(0.5, 1.5, size=(4, 3, 3))
_BANDED = np.diag(_rng.uniform(1, 2, 12)) + np.diag(_rng.uniform(1, 2, 11), 1)
_PERM = _rng.permutation(12)
_IDX = np.array([0, 3, 3, 7, 11])


def banded(x):
    padded = fnp.concatenate([fnp.zeros(1), x, fnp.zeros(1)])
    return padded[:-2] - 2.0 * x + padded[2:] + x ** 3


def arrowhead(x):
    head = fnp.sum(fnp.sin(x))[None]
    return fnp.concatenate([head, x[1:] * x[0] + x[1:] ** 2])


def block_diagonal(x):
    blocks = fnp.reshape(x, (4, 3))
    return fnp.ravel(fnp.tanh(fnp.einsum("bij,bj->bi", _BLOCKS, blocks)))


def stencil(x):
    u = fnp.reshape(x, (4, 4))
    p = lax.pad(u, 0.0, [(1, 1, 0), (1, 1, 0)])
    lap = p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - 4.0 * u
    return fnp.ravel(lap + fnp.exp(u))


def partially_separable(x):
    return fnp.sin(x[:-2] * x[1:-1]) + fnp.cos(x[2:]) * x[:-2]


def constant_sparse_matrix(x):
    return _BANDED @ fnp.sin(x)


def gathered(x):
    return fnp.exp(x[_PERM]) * x + fnp.cumsum(x[:4])[_IDX % 4].sum()


def scattered(x):
    return (0.0 * x).at[_IDX].add(x[:5] ** 2) + x.at[2].set(x[5] * x[6])


def reductions(x):
    m = fnp.reshape(x, (3, 4))
    return fnp.concatenate([fnp.max(m, axis=1), fnp.prod(m, axis=0), fnp.mean(m, axis=0)])


def with_cond(x):
    return lax.cond(x[0] > 0, lambda v: v * v[::-1], lambda v: fnp.sin(v) + v[0], x)


def with_fori(x):
    return lax.fori_loop(0, 3, lambda i, v: v + 0.1 * fnp.roll(v, 1) * v, x)


def with_scan(x):
    def step(c, xi):
        c = fnp.sin(c) * xi
        return c, c + xi

    _, ys = lax.scan(step, x[0], x)
    return ys


def with_while(x):
    def body(s):
        return s[0] + 1, s[1] * 0.5 + fnp.roll(s[1], 1) ** 2

    return lax.while_loop(lambda s: s[1][0] < 0, body, (0, x))[1]


JACOBIAN_PROGRAMS = [
    ("banded", banded, 12, True),
    ("arrowhead", arrowhead, 12, True),
    ("block_diagonal", block_diagonal, 12, True),
    ("stencil", stencil, 16, True),
    ("partially_separable", partially_separable, 12, True),
    ("constant_sparse_matrix", constant_sparse_matrix, 12, True),
    ("gathered", gathered, 12, True),
    ("scattered", scattered, 12, True),
    ("reductions", reductions, 12, False),  # max picks one element per point
    ("cond", with_cond, 12, False),
    ("fori_loop", with_fori, 12, True),
    ("scan", with_scan, 12, True),
    ("while_loop", with_while, 12, False),
]


def rosenbrock(x):
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def separable_products(x):
    # f(x0) g(x1) couples x0 and x1; x2 / x3 couples x2-x3 and x3-x3 only; sums couple nothing
    return (fnp.sin(x[0]) * fnp.cos(x[1]) + x[2] / x[3] + fnp.exp(x[4]) + x[5] + 2.0 * x[6]
            + x[7] * x[8])


def arrow_hessian(x):
    return x[0] * fnp.sum(x[1:] ** 2) + fnp.sum(fnp.log1p(x ** 2))


def quadratic_form(x):
    return fnp.sin(x) @ _BANDED @ x


def block_hessian(x):
    return fnp.sum(fnp.tanh(block_diagonal(x)) ** 2)


def cond_hessian(x):
    return lax.cond(x[1] > 0, lambda v: fnp.sum(v[:6] * v[6:]), lambda v: fnp.sum(v ** 3), x)


def scan_hessian(x):
    return fnp.sum(with_scan(x) ** 2)


HESSIAN_PROGRAMS = [
    ("rosenbrock", rosenbrock, 12, True),
    ("separable_products", separable_products, 12, True),
    ("arrowhead", arrow_hessian, 12, True),
    ("quadratic_form", quadratic_form, 12, True),
    ("block_diagonal", block_hessian, 12, True),
    ("stencil", lambda x: fnp.sum(stencil(x) ** 2), 16, True),
    ("cond", cond_hessian, 12, False),
    ("scan", scan_hessian, 12, True),
]
