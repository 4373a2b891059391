"""Every array funcad returns eagerly has ``.at`` (issue: ``fnp.zeros(3).at[0].set(x)`` is
the most common JAX idiom), not only funcad.numpy's: lax, random, numpy.fft, numpy.linalg,
scipy.special, scipy.linalg, scipy.stats and nn results are ``EagerArray``s too, while
transform outputs stay plain ndarrays."""
from __future__ import annotations

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
import funcad.random as fr
import funcad.scipy.linalg as fsl
import funcad.scipy.special as fss
import funcad.scipy.stats as fst
from funcad import lax, nn
from funcad.flatten_util import ravel_pytree
from funcad.numpy._at import EagerArray

X = np.array([0.25, 0.5, 1.0, 2.0])
M = np.array([[2.0, 0.5], [0.5, 1.0]])
KEY = fr.PRNGKey(0)

CALLS = {
    "lax.sin": lambda: lax.sin(X),
    "lax.add": lambda: lax.add(X, X),
    "lax.sort": lambda: lax.sort(X),
    "lax.cumsum": lambda: lax.cumsum(X),
    "lax.scan ys (in a dict)": lambda: lax.scan(lambda c, a: (c + a, {"y": a}), 0.0, X)[1]["y"],
    "lax.scan carry": lambda: lax.scan(lambda c, a: (c + a, a), np.zeros(2), np.ones((3, 2)))[0],
    "lax.cond": lambda: lax.cond(True, lambda a: a, lambda a: -a, X),
    "lax.fori_loop": lambda: lax.fori_loop(0, 3, lambda i, a: a * 2.0, X),
    "lax.linalg.eigh": lambda: lax.linalg.eigh(M)[1],
    "random.normal": lambda: fr.normal(KEY, (3,)),
    "random.split": lambda: fr.split(KEY),
    "random.PRNGKey": lambda: fr.PRNGKey(1),
    "numpy.fft.rfft": lambda: fnp.fft.rfft(X),
    "numpy.linalg.svd": lambda: fnp.linalg.svd(M)[0],
    "scipy.special.erf": lambda: fss.erf(X),
    "scipy.special.gammaln": lambda: fss.gammaln(X),
    "scipy.linalg.expm": lambda: fsl.expm(M),
    "scipy.linalg.cho_solve": lambda: fsl.cho_solve(fsl.cho_factor(M), X[:2]),
    "scipy.stats.norm.logpdf": lambda: fst.norm.logpdf(X),
    "nn.relu": lambda: nn.relu(X - 1.0),
    "numpy.zeros": lambda: fnp.zeros(3),
    "pure_callback": lambda: funcad.pure_callback(
        np.sin, funcad.ShapeDtypeStruct((4,), np.float64), X),
    "flatten_util.ravel_pytree": lambda: ravel_pytree({"a": X, "b": M})[0],
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_eager_result_supports_at(name):
    out = CALLS[name]()
    assert type(out) is EagerArray, f"{name} returned {type(out).__name__}"
    assert isinstance(out, np.ndarray)
    flat = out.reshape(-1)
    updated = flat.at[0].set(flat[-1])
    expected = np.array(flat, copy=True)
    expected[0] = flat[-1]
    np.testing.assert_array_equal(updated, expected)
    np.testing.assert_array_equal(flat, np.asarray(out).reshape(-1))  # not mutated


def test_transform_outputs_stay_plain_ndarrays():
    outs = [
        funcad.grad(lambda x: lax.sin(x).sum())(X),
        funcad.vmap(lax.sin)(X),
        funcad.jvp(lambda x: lax.sin(np.ones(3)) * x, (1.0,), (1.0,))[1],
        funcad.jit(lax.sin, backend="numpy")(X),
        funcad.jacfwd(lambda x: fss.erf(x))(X),
    ]
    for out in outs:
        assert type(out) is np.ndarray, type(out).__name__
