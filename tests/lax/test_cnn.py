"""A small convolutional network (two convolutions, max pooling, a dense head) trained for a
few steps of ``jit(value_and_grad)`` SGD ends with the same parameters and losses as the same
network written with ``jax.lax`` in float64: convolutions, pooling and their derivatives
(both transposes of the convolution, max pooling's tangent selection) agree with JAX's."""
from __future__ import annotations

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad.numpy as fnp
from funcad import lax

jnp = pytest.importorskip("jax.numpy")
jlax = pytest.importorskip("jax.lax")

DN = ("NHWC", "HWIO", "NHWC")


def _network(lx, npx):
    """The same network for either library (``lx``: its lax, ``npx``: its numpy)."""

    def forward(params, images):
        w1, b1, w2, b2, w3, b3 = params
        h = lx.conv_general_dilated(images, w1, (1, 1), "SAME", dimension_numbers=DN) + b1
        h = lx.reduce_window(npx.maximum(h, 0.0), -np.inf, lx.max, (1, 2, 2, 1), (1, 2, 2, 1),
                             "VALID")
        h = lx.conv_general_dilated(h, w2, (1, 1), ((1, 0), (0, 1)), rhs_dilation=(1, 1),
                                    dimension_numbers=DN) + b2
        h = lx.reduce_window(npx.tanh(h), -np.inf, lx.max, (1, 3, 3, 1), (1, 2, 2, 1), "SAME")
        h = npx.reshape(h, (h.shape[0], -1))
        return npx.dot(h, w3) + b3

    def loss(params, images, labels):
        logits = forward(params, images)
        top = npx.max(logits, axis=1, keepdims=True)
        log_norm = npx.log(npx.sum(npx.exp(logits - top), axis=1, keepdims=True)) + top
        return -npx.mean(npx.sum(labels * (logits - log_norm), axis=1))

    return loss


def _init(rng):
    return [rng.standard_normal((3, 3, 1, 4)) * 0.5, rng.standard_normal(4) * 0.1,
            rng.standard_normal((3, 3, 4, 6)) * 0.3, rng.standard_normal(6) * 0.1,
            rng.standard_normal((3 * 3 * 6, 10)) * 0.2, np.zeros(10)]


def _train(step, params, images, labels, steps=3, lr=0.5):
    losses = []
    for _ in range(steps):
        value, grads = step(params, images, labels)
        losses.append(float(value))
        params = [p - lr * np.asarray(g) for p, g in zip(params, grads)]
    return [np.asarray(p) for p in params], losses


@pytest.mark.parametrize("backend", ["numpy", "xla"])
def test_cnn_training_matches_jax(backend):
    rng = np.random.default_rng(0)
    images = rng.standard_normal((8, 12, 12, 1))
    labels = np.eye(10)[rng.integers(0, 10, 8)]
    params = _init(rng)
    ours = funcad.jit(funcad.value_and_grad(_network(lax, fnp)), backend=backend)
    theirs = jax.jit(jax.value_and_grad(_network(jlax, jnp)))
    p_ours, l_ours = _train(ours, params, images, labels)
    p_theirs, l_theirs = _train(theirs, params, images, labels)
    np.testing.assert_allclose(l_ours, l_theirs, rtol=1e-11)
    assert l_ours[-1] < l_ours[0]  # training does something
    for a, b in zip(p_ours, p_theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
