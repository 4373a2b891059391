"""Gamma-family samplers: ``gamma`` and ``loggamma`` by Marsaglia and Tsang's rejection
method (one key per element, split from the caller's, and per-element rejection loops, as
``jax.random``), and ``beta`` / ``dirichlet`` from log-gamma draws.

The samples differentiate w.r.t. the shape parameter ``a`` implicitly, as JAX's do: with
``P(a, x)`` the regularized lower incomplete gamma function, a sample ``x`` at fixed
uniform level moves by ``dx/da = -(dP/da) / (dP/dx)``. That rule needs
``funcad.lax.igamma`` (differentiable in ``a``) and ``lgamma``; the sampling itself needs
``funcad.lax.erf_inv`` (for its normal draws).
"""
from __future__ import annotations

import math

import numpy as np

import funcad.numpy as fnp
from funcad import lax
from funcad.ad import jvp
from funcad.core.trace import get_aval
from funcad.custom_derivatives import custom_jvp
from funcad.errors import FuncadValueError
from funcad.nn.activations import softmax
from funcad.ops.special import igamma, lgamma
from funcad.random._floats import (
    _normal_real,
    _uniform,
    as_param,
    check_shape,
    float_dtype,
)
from funcad.random._keys import canonical_shape, check_key, split
from funcad.vmap import vmap


def _gamma_one(k, alpha, log_space: bool):
    """One draw of Gamma(alpha) (its log with ``log_space``) from the key ``k``."""
    dtype = get_aval(alpha).dtype

    def const(v):
        return np.array(v, dtype)

    zero, one = const(0), const(1)
    boost_mask = alpha >= one
    alpha_orig = alpha
    alpha = fnp.where(boost_mask, alpha, alpha + one)
    d = alpha - const(1.0 / 3.0)
    c = const(1.0 / 3.0) / fnp.sqrt(d)

    def accept_not_yet(kxvu):
        _, x, v, u = kxvu
        return ((u >= one - const(0.0331) * (x * x))
                & (fnp.log(u) >= x * const(0.5) + d * ((one - v) + fnp.log(v))))

    def next_normal(kxv):
        rng, sub = split(kxv[0])
        x = _normal_real(sub, (), dtype)
        return rng, x, one + x * c

    def propose(kxvu):
        keys = split(kxvu[0], 3)
        rng, x_key, u_key = keys[0], keys[1], keys[2]
        _, x, v = lax.while_loop(lambda kxv: kxv[2] <= zero, next_normal,
                                 (x_key, zero, const(-1)))
        return rng, x * x, (v * v) * v, _uniform(u_key, (), dtype, 0.0, 1.0)

    rng, sub = split(k)
    v = lax.while_loop(accept_not_yet, propose, (rng, zero, one, const(2)))[2]
    if log_space:
        exponential = -fnp.log1p(-_uniform(sub, (), dtype, 0.0, 1.0))
        log_samples = -exponential
        log_boost = fnp.where(boost_mask | (log_samples == zero), zero,
                              log_samples * (one / alpha_orig))
        return (fnp.log(d) + fnp.log(v)) + log_boost
    samples = 1 - _uniform(sub, (), dtype, 0.0, 1.0)
    boost = fnp.where(boost_mask, one, fnp.power(samples, one / alpha_orig))
    return (d * v) * boost


def _gamma_samples(k, a, log_space: bool):
    shape = get_aval(a).shape
    n = math.prod(shape)
    if n == 0:
        return fnp.zeros(shape, get_aval(a).dtype)
    keys = split(k, n)
    flat = vmap(lambda kk, aa: _gamma_one(kk, aa, log_space))(keys, fnp.reshape(a, (n,)))
    return fnp.reshape(flat, shape)


def _random_gamma_grad(a, x):
    """``dx/da`` of a Gamma(a) sample ``x`` at a fixed uniform level (implicitly)."""
    dp_da = jvp(lambda aa: igamma(aa, x), (a,), (fnp.ones_like(a),))[1]
    log_density = (a - 1) * fnp.log(x) - x - lgamma(a)
    return -dp_da / fnp.exp(log_density)


_gamma_diff = custom_jvp(_gamma_samples, nondiff_argnums=(2,))


@_gamma_diff.defjvp
def _gamma_jvp(log_space, primals, tangents):
    k, a = primals
    a_dot = tangents[1]
    ans = _gamma_diff(k, a, log_space)
    x = lax.stop_gradient(ans)
    if log_space:
        x = fnp.exp(x)
        x = fnp.where(x == 0, np.array(np.finfo(get_aval(x).dtype).tiny, get_aval(x).dtype), x)
        grad = _random_gamma_grad(a, x) / x
    else:
        grad = _random_gamma_grad(a, x)
    return ans, a_dot * grad


def _gamma(name, key, a, shape, dtype, log_space):
    k = check_key(name, key)
    dtype = float_dtype(name, dtype)
    a = as_param(a, dtype)
    shape = get_aval(a).shape if shape is None else canonical_shape(name, shape)
    check_shape(name, shape, get_aval(a).shape)
    if get_aval(a).shape != tuple(shape):
        a = fnp.broadcast_to(a, shape)
    return _gamma_diff(k, a, log_space)


def gamma(key, a, shape=None, dtype=None):
    """Gamma(a) floats of scale 1."""
    return _gamma("gamma", key, a, shape, dtype, False)


def loggamma(key, a, shape=None, dtype=None):
    """The logarithms of Gamma(a) floats, accurate for small ``a`` too."""
    return _gamma("loggamma", key, a, shape, dtype, True)


def beta(key, a, b, shape=None, dtype=None):
    """Beta(a, b) floats from two log-gamma draws."""
    k = check_key("beta", key)
    dtype = float_dtype("beta", dtype)
    a, b = as_param(a, dtype), as_param(b, dtype)
    pshapes = (get_aval(a).shape, get_aval(b).shape)
    shape = np.broadcast_shapes(*pshapes) if shape is None else canonical_shape("beta", shape)
    check_shape("beta", shape, *pshapes)
    keys = split(k)
    a, b = fnp.broadcast_to(a, shape), fnp.broadcast_to(b, shape)
    log_a = loggamma(keys[0], a, shape, dtype)
    log_b = loggamma(keys[1], b, shape, dtype)
    log_max = fnp.maximum(log_a, log_b)
    ga, gb = fnp.exp(log_a - log_max), fnp.exp(log_b - log_max)
    return ga / (ga + gb)


def dirichlet(key, alpha, shape=None, dtype=None):
    """Dirichlet(alpha) vectors (last axis) from log-gamma draws."""
    k = check_key("dirichlet", key)
    dtype = float_dtype("dirichlet", dtype)
    alpha = as_param(alpha, dtype)
    ashape = get_aval(alpha).shape
    if len(ashape) < 1:
        raise FuncadValueError("funcad.random.dirichlet: alpha must have at least one axis")
    shape = ashape[:-1] if shape is None else canonical_shape("dirichlet", shape)
    check_shape("dirichlet", shape, ashape[:-1])
    draws = loggamma(k, alpha, tuple(shape) + ashape[-1:], dtype)
    return softmax(draws, -1)


__all__ = ["beta", "dirichlet", "gamma", "loggamma"]
