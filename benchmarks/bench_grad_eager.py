"""Eager (no jit) value_and_grad per call: funcad vs autograd vs JAX, in one process.

    python benchmarks/bench_grad_eager.py [--quick]

Prints the time per call of each and the ratios funcad/autograd and funcad/JAX-eager for an
MLP loss (batch 256, 784-256-256-10, tanh, softmax cross-entropy, float64) and a
36-operation scalar function.
"""
from __future__ import annotations

import argparse
import itertools
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best_times_interleaved, fmt


def mlp_loss(ns, logsumexp):
    def loss(params, x, labels_onehot):
        h = x
        for w, b in params[:-1]:
            h = ns.tanh(h @ w + b)
        w, b = params[-1]
        logits = h @ w + b
        logp = logits - logsumexp(logits, axis=1, keepdims=True)
        return -ns.sum(logp * labels_onehot) / x.shape[0]

    return loss


def scalar36(ns):
    """36 primitive operations on scalars."""

    def f(x, y):
        a = ns.sin(x) * y + ns.cos(y) * x          # 5 operations
        b = ns.exp(-a * a) + ns.tanh(x - y)         # 6
        c = ns.log1p(b * b) / (1.0 + x * x)         # 5
        d = ns.sqrt(1.0 + c * c) * ns.arctan(a)     # 5
        e = (d - b) * (c + a) / (2.0 + ns.cos(d))   # 6
        g = ns.sinh(e * 0.1) + ns.cosh(c * 0.1)     # 5
        return g * x + e * y - c                    # 4: 36 in all

    return f


def main(quick: bool):
    import autograd
    import autograd.numpy as anp
    import jax
    import jax.numpy as jnp
    from autograd.scipy.special import logsumexp as a_lse
    from jax.scipy.special import logsumexp as j_lse

    import funcad
    import funcad.numpy as fnp
    from funcad.scipy.special import logsumexp as f_lse

    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(0)
    sizes = [784, 256, 256, 10]
    batch = 64 if quick else 256
    params = [(rng.standard_normal((m, n)) / np.sqrt(m), np.zeros(n))
              for m, n in itertools.pairwise(sizes)]
    x = rng.standard_normal((batch, sizes[0]))
    labels = np.eye(10)[rng.integers(0, 10, batch)]
    jparams = [(jnp.asarray(w), jnp.asarray(b)) for w, b in params]

    cases = {
        "MLP value_and_grad": (
            lambda: funcad.value_and_grad(mlp_loss(fnp, f_lse))(params, x, labels),
            lambda: autograd.value_and_grad(mlp_loss(anp, a_lse))(params, x, labels),
            lambda: jax.block_until_ready(
                jax.value_and_grad(mlp_loss(jnp, j_lse))(jparams, x, labels)),
        ),
        "36-op scalar value_and_grad": (
            lambda: funcad.value_and_grad(scalar36(fnp), (0, 1))(0.3, 0.7),
            lambda: autograd.value_and_grad(scalar36(anp), (0, 1))(0.3, 0.7),
            lambda: jax.block_until_ready(jax.value_and_grad(scalar36(jnp), (0, 1))(0.3, 0.7)),
        ),
    }
    # Same numbers first: a benchmark of wrong answers is worthless.
    for name, (ours, ag, _) in cases.items():
        v1, v2 = ours()[0], ag()[0]
        assert np.allclose(v1, v2, rtol=1e-10), (name, v1, v2)

    min_time = 0.05 if quick else 1.5
    print(f"{'case':32s} {'funcad':>11s} {'autograd':>11s} {'jax eager':>11s} "
          f"{'funcad/autograd':>16s} {'funcad/jax':>11s}")
    for name, (ours, ag, jx) in cases.items():
        t_f, t_a, t_j = best_times_interleaved([ours, ag, jx], min_time=min_time)
        print(f"{name:32s} {fmt(t_f)} {fmt(t_a)} {fmt(t_j)} {t_f / t_a:16.2f} {t_f / t_j:11.3f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    main(ap.parse_args().quick)
