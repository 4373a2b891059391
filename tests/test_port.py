"""The port test: three small JAX-style programs, written once against a namespace ``ns``
(``ns.numpy ns.random ns.tree ns.lax ns.jit ns.grad ns.value_and_grad ns.vmap ns.debug``),
run with ``funcad`` (``jit`` on the NumPy and on the XLA backend) and with ``jax`` (float64),
must agree: results to rounding, printed lines exactly. The program text holds no branch on
which library runs it; porting is changing the import."""
from __future__ import annotations

import functools
import importlib.util
import types

import numpy as np
import pytest
from jax_reference import assert_close_to_jax, jax

import funcad


def _funcad_with_backend(backend: str):
    ns = types.SimpleNamespace(**{k: v for k, v in vars(funcad).items() if k[0] != "_"})
    ns.jit = functools.partial(funcad.jit, backend=backend)
    return ns


FUNCADS = [pytest.param(_funcad_with_backend("numpy"), id="funcad-numpy")]
if importlib.util.find_spec("funcad_xla"):
    FUNCADS.append(pytest.param(_funcad_with_backend("xla"), id="funcad-xla"))


# --- (a) a training loop: random initialisation, jit(value_and_grad), tree.map updates ---

def train(ns, steps=30):
    jnp = ns.numpy
    k_w, k_x, k_noise, k_scale = ns.random.split(ns.random.PRNGKey(42), 4)
    x = ns.random.normal(k_x, (32, 3))
    w_true = jnp.array([[1.0, -2.0], [0.5, 0.0], [-1.0, 3.0]])
    y = jnp.tanh(x @ w_true) + 0.05 * ns.random.normal(k_noise, (32, 2))
    params = {
        "w": 0.1 * ns.random.normal(k_w, (3, 2)),
        "b": jnp.zeros(2),
        "scale": ns.random.uniform(k_scale, (), minval=0.5, maxval=1.5),
    }
    velocity = ns.tree.map(jnp.zeros_like, params)

    def loss(p, x, y):
        pred = p["scale"] * jnp.tanh(x @ p["w"] + p["b"])
        return jnp.mean((pred - y) ** 2)

    step = ns.jit(ns.value_and_grad(loss))
    losses = []
    for _ in range(steps):
        value, grads = step(params, x, y)
        velocity = ns.tree.map(lambda v, g: 0.9 * v + g, velocity, grads)
        params = ns.tree.map(lambda p, v: p - 0.1 * v, params, velocity)
        losses.append(value)
    return params, jnp.stack(losses)


# --- (b) per-example normalization: vmap(axis_name=) with lax.psum, and its gradient ---

def normalize(ns):
    jnp, lax = ns.numpy, ns.lax
    batch = 3.0 * ns.random.normal(ns.random.PRNGKey(7), (8, 4)) + 1.0
    weights = ns.random.uniform(ns.random.PRNGKey(8), (8, 4))

    def per_example(x):
        n = lax.psum(1, "batch")
        mean = lax.psum(x, "batch") / n
        var = lax.psum((x - mean) ** 2, "batch") / n
        return (x - mean) / jnp.sqrt(var + 1e-5)

    normed = ns.vmap(per_example, axis_name="batch")(batch)

    def objective(b):
        return jnp.sum(ns.vmap(per_example, axis_name="batch")(b) * weights)

    grads = ns.jit(ns.grad(objective))(batch)
    return normed, grads, ns.tree.map(jnp.mean, {"normed": normed, "grads": grads})


# --- (c) a fixed-step RK4 integrator: lax.scan, debug.print at every step ---

def integrate(ns, steps=12, dt=0.05):
    jnp = ns.numpy

    def field(y):
        return jnp.stack([y[1], -y[0] - 0.1 * y[1]])  # a damped oscillator

    def rk4(y, t):
        k1 = field(y)
        k2 = field(y + dt / 2 * k1)
        k3 = field(y + dt / 2 * k2)
        k4 = field(y + dt * k3)
        y_next = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        energy = 0.5 * jnp.sum(y_next ** 2)
        ns.debug.print("t={t:.2f} energy={e:.10f} y={y}", t=t, e=energy, y=y_next,
                       ordered=True)
        return y_next, energy

    ts = jnp.arange(steps) * dt
    return ns.jit(lambda y0: ns.lax.scan(rk4, y0, ts))(jnp.array([1.0, 0.0]))


@pytest.mark.parametrize("ns", FUNCADS)
def test_training_loop_ports(ns):
    ours, theirs = train(ns), train(jax)
    assert_close_to_jax(ours, theirs, rtol=1e-10, atol=1e-12)
    assert ours[1][-1] < 0.5 * ours[1][0]  # it trains


@pytest.mark.parametrize("ns", FUNCADS)
def test_per_example_normalization_ports(ns):
    ours, theirs = normalize(ns), normalize(jax)
    assert_close_to_jax(ours, theirs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.mean(ours[0], axis=0), 0.0, atol=1e-12)


@pytest.mark.parametrize("ns", FUNCADS)
def test_integrator_ports_with_its_printed_output(ns, capsys):
    ours = integrate(ns)
    our_lines = capsys.readouterr().out.splitlines()
    theirs = integrate(jax)
    jax.effects_barrier()
    their_lines = capsys.readouterr().out.splitlines()
    assert_close_to_jax(ours, theirs, rtol=1e-12, atol=1e-14)
    assert len(our_lines) == 12 and our_lines[0].startswith("t=0.00 energy=")
    assert our_lines == their_lines
