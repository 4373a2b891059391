"""funcad.nn's activations against jax.nn (x64): values on a grid that includes extreme
arguments, first and second derivatives (kinks included: relu'(0) = 0 as JAX), derivatives
that stay finite where a naive formula overflows, and the masked / axis-wise functions
(softmax, log_softmax and logsumexp with ``where``, glu, standardize, one_hot)."""
from __future__ import annotations

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad.nn as fnn
import funcad.numpy as fnp

jnn, jnp = jax.nn, jax.numpy
GRID = np.array([-1e4, -1000.0, -50.0, -10.0, -6.0, -3.5, -3.0, -1.5, -1.0, -0.5, -1e-3,
                 0.0, 1e-3, 0.5, 1.0, 1.5, 3.0, 3.5, 6.0, 7.0, 10.0, 50.0, 1000.0, 1e4])
KINKS = [-3.0, -1.0, 0.0, 1.0, 3.0, 6.0]

# name -> (funcad function, jax function) of one array argument, elementwise.
ELEMENTWISE = {
    "relu": (fnn.relu, jnn.relu),
    "relu6": (fnn.relu6, jnn.relu6),
    "sigmoid": (fnn.sigmoid, jnn.sigmoid),
    "softplus": (fnn.softplus, jnn.softplus),
    "log_sigmoid": (fnn.log_sigmoid, jnn.log_sigmoid),
    "silu": (fnn.silu, jnn.silu),
    "swish": (fnn.swish, jnn.swish),
    "gelu_tanh": (lambda x: fnn.gelu(x), lambda x: jnn.gelu(x)),
    "gelu_exact": (lambda x: fnn.gelu(x, approximate=False),
                   lambda x: jnn.gelu(x, approximate=False)),
    "elu": (fnn.elu, jnn.elu),
    "elu_alpha": (lambda x: fnn.elu(x, 0.3), lambda x: jnn.elu(x, 0.3)),
    "celu": (fnn.celu, jnn.celu),
    "celu_alpha": (lambda x: fnn.celu(x, 2.5), lambda x: jnn.celu(x, 2.5)),
    "selu": (fnn.selu, jnn.selu),
    "leaky_relu": (fnn.leaky_relu, jnn.leaky_relu),
    "leaky_relu_slope": (lambda x: fnn.leaky_relu(x, 0.2), lambda x: jnn.leaky_relu(x, 0.2)),
    "hard_tanh": (fnn.hard_tanh, jnn.hard_tanh),
    "hard_sigmoid": (fnn.hard_sigmoid, jnn.hard_sigmoid),
    "hard_silu": (fnn.hard_silu, jnn.hard_silu),
    "hard_swish": (fnn.hard_swish, jnn.hard_swish),
}


def _elementwise_grad(module, fn):
    return module.vmap(module.grad(fn))


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_values_and_derivatives_match_jax(name):
    ours, theirs = ELEMENTWISE[name]
    with jax.disable_jit():
        want = np.asarray(theirs(jnp.asarray(GRID)))
        want_d = np.asarray(jax.vmap(jax.grad(theirs))(jnp.asarray(GRID)))
        # Second derivatives away from the kinks (undefined there; JAX's min/max tie
        # convention gives celu''(0) = 1/4, a one-sided rule gives 1).
        inner = GRID[(np.abs(GRID) <= 50) & ~np.isin(GRID, KINKS)]
        want_dd = np.asarray(jax.vmap(jax.grad(jax.grad(theirs)))(jnp.asarray(inner)))
    # gelu's tanh form computes 1 + tanh(z) ~ 1e-11 at x = -6 by cancellation: an ulp of
    # difference between NumPy's and XLA's tanh is 1e-16 absolute there.
    atol = 1e-15 if name == "gelu_tanh" else 1e-300
    np.testing.assert_allclose(ours(GRID), want, rtol=1e-13, atol=atol)
    got_d = np.asarray(_elementwise_grad(funcad, ours)(GRID))
    np.testing.assert_allclose(got_d, want_d, rtol=1e-12, atol=100 * atol)
    got_dd = np.asarray(funcad.vmap(funcad.grad(funcad.grad(ours)))(inner))
    np.testing.assert_allclose(got_dd, want_dd, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_finite_at_extreme_arguments_and_dtype_kept(name):
    ours, _ = ELEMENTWISE[name]
    big = np.array([-1e300, -1e30, 1e30, 1e300])
    assert np.all(np.isfinite(ours(big)))
    assert np.all(np.isfinite(np.asarray(_elementwise_grad(funcad, ours)(big))))
    x32 = np.linspace(-8, 8, 9, dtype=np.float32)
    assert ours(x32).dtype == np.float32


def test_log_sigmoid_far_left_and_kinks():
    np.testing.assert_allclose(fnn.log_sigmoid(-1000.0), -1000.0)
    assert funcad.grad(fnn.log_sigmoid)(-1000.0) == 1.0
    assert funcad.grad(fnn.relu)(0.0) == 0.0
    assert funcad.grad(fnn.relu6)(6.0) == 0.0
    assert np.isnan(fnn.relu(np.nan)) and np.isnan(fnn.relu6(np.nan))


X = np.array([[0.3, -1.2, 2.0, 5.0], [-40.0, 1.0, 1.0, 700.0], [0.0, 0.0, 0.0, 0.0]])
MASK = np.array([[True, False, True, True], [True, True, False, True], [False, True, True, True]])
W = np.linspace(-1.0, 1.0, X.size).reshape(X.shape)

# name -> (funcad function, jax function) of X (and a weighting to reduce for grads).
AXISWISE = {
    "softmax": (fnn.softmax, jnn.softmax),
    "softmax_axis0": (lambda x: fnn.softmax(x, axis=0), lambda x: jnn.softmax(x, axis=0)),
    "softmax_where": (lambda x: fnn.softmax(x, where=MASK), lambda x: jnn.softmax(x, where=MASK)),
    "log_softmax": (fnn.log_softmax, jnn.log_softmax),
    "log_softmax_all": (lambda x: fnn.log_softmax(x, axis=None),
                        lambda x: jnn.log_softmax(x, axis=None)),
    "log_softmax_where": (lambda x: fnn.log_softmax(x, where=MASK),
                          lambda x: jnn.log_softmax(x, where=MASK)),
    "logsumexp": (lambda x: fnn.logsumexp(x, axis=1), lambda x: jnn.logsumexp(x, axis=1)),
    "logsumexp_where": (lambda x: fnn.logsumexp(x, axis=1, where=MASK),
                        lambda x: jnn.logsumexp(x, axis=1, where=MASK)),
    "glu": (fnn.glu, jnn.glu),
    "glu_axis0": (lambda x: fnn.glu(x[:2], axis=0), lambda x: jnn.glu(x[:2], axis=0)),
    "standardize": (fnn.standardize, jnn.standardize),
    "standardize_stable": (lambda x: fnn.standardize(x, algorithm="stable"),
                           lambda x: jnn.standardize(x, algorithm="stable")),
    "standardize_where": (lambda x: fnn.standardize(x, axis=1, where=MASK),
                          lambda x: jnn.standardize(x, axis=1, where=MASK)),
    "standardize_given": (lambda x: fnn.standardize(x, 0, mean=1.0, variance=4.0, epsilon=0.1),
                          lambda x: jnn.standardize(x, 0, mean=1.0, variance=4.0, epsilon=0.1)),
}


def _finite_weighted_sum(module, fn):
    def loss(x):
        y = fn(x)
        w = W[tuple(slice(0, n) for n in y.shape)] if y.ndim == 2 else W[0, : y.shape[0]]
        return module.numpy.sum(module.numpy.where(module.numpy.isfinite(y), y * w, 0.0))
    return loss


@pytest.mark.parametrize("name", sorted(AXISWISE))
def test_axiswise_values_and_gradients_match_jax(name):
    ours, theirs = AXISWISE[name]
    with jax.disable_jit():
        want = np.asarray(theirs(jnp.asarray(X)))
        want_g = np.asarray(jax.grad(_finite_weighted_sum(jax, theirs))(jnp.asarray(X)))
    got = np.asarray(ours(X))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)
    got_g = np.asarray(funcad.grad(_finite_weighted_sum(funcad, ours))(X))
    np.testing.assert_allclose(got_g, want_g, rtol=1e-10, atol=1e-14)
    jitted = np.asarray(funcad.jit(ours)(X))
    np.testing.assert_allclose(jitted, want, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize("dtype", [None, np.float32, np.int32, bool])
def test_one_hot_matches_jax(axis, dtype):
    labels = np.array([[0, 2, 4], [1, -1, 3]])
    want = np.asarray(jnn.one_hot(labels, 4, dtype=dtype, axis=axis))
    got = fnn.one_hot(labels, 4, dtype=dtype, axis=axis)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    # Float labels compare by value: fractional, NaN and out-of-range ones give zero rows.
    flabels = np.array([0.0, 1.5, np.nan, 2.0, 9.0])
    np.testing.assert_array_equal(fnn.one_hot(flabels, 3), np.asarray(jnn.one_hot(flabels, 3)))


def test_one_hot_under_vmap_and_jit():
    labels = np.array([2, 0, 1])
    want = np.eye(3)[labels]
    np.testing.assert_array_equal(funcad.vmap(lambda i: fnn.one_hot(i, 3))(labels), want)
    np.testing.assert_array_equal(funcad.jit(lambda i: fnn.one_hot(i, 3))(labels), want)


def test_softmax_rows_sum_to_one_and_stable_at_large_logits():
    x = np.array([1e308, 1e308, -1e308])
    np.testing.assert_allclose(fnn.softmax(x), [0.5, 0.5, 0.0])
    g = funcad.grad(lambda v: fnn.log_softmax(v)[0])(np.array([1000.0, -1000.0, 0.0]))
    assert np.all(np.isfinite(g))


def test_misuse_raises_funcad_errors():
    with pytest.raises(funcad.errors.FuncadValueError, match="glu"):
        fnn.glu(np.ones((2, 3)))
    with pytest.raises(funcad.errors.FuncadTypeError, match="num_classes"):
        fnn.one_hot(np.array([1]), 2.5)
    with pytest.raises(funcad.errors.FuncadValueError, match="axis"):
        fnn.one_hot(np.array([1]), 2, axis=3)
    with pytest.raises(funcad.errors.FuncadNotImplementedError, match="axis_name"):
        fnn.one_hot(np.array([1]), 2, axis="batch")
    with pytest.raises(funcad.errors.FuncadValueError, match="algorithm"):
        fnn.standardize(np.ones(3), algorithm="slow")
    assert fnp.asarray(fnn.relu(np.arange(3))).dtype == np.arange(3).dtype
