"""A small CNN's value_and_grad under jit, measured side by side in one process; prints each
ratio with its target.

    python benchmarks/bench_cnn.py [--quick] [--blas-threads N]

Network (float32): batch 64 of 28x28x1 images -> conv 3x3x16 (SAME) -> relu -> max-pool 2x2
-> conv 3x3x32 (SAME) -> relu -> max-pool 2x2 -> dense 10, softmax cross-entropy.

- ``jit(value_and_grad, backend="xla")`` vs ``jax.jit(jax.value_and_grad)``: steady state
  (target <= 1.05) and first call, trace + compile + run (target <= 1.2).
- ``jit(value_and_grad, backend="numpy")`` (convolutions as im2col + BLAS) vs the XLA
  backend (target <= 2.5).
"""
from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # before NumPy loads its BLAS
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _timing import parse_args

    ARGS = parse_args(__doc__, "fewer repetitions (a smoke run)")

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import RatioTable, best_times_interleaved
from bench_jit import _block, first_call

DN = ("NHWC", "HWIO", "NHWC")


def cnn_loss(lx, npx):
    """The network's loss for either library (``lx``: its lax, ``npx``: its numpy)."""

    def pool(h):
        return lx.reduce_window(h, -np.inf, lx.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")

    def loss(params, images, labels):
        w1, b1, w2, b2, w3, b3 = params
        h = lx.conv_general_dilated(images, w1, (1, 1), "SAME", dimension_numbers=DN)
        h = pool(npx.maximum(h + b1, 0.0))
        h = lx.conv_general_dilated(h, w2, (1, 1), "SAME", dimension_numbers=DN)
        h = pool(npx.maximum(h + b2, 0.0))
        logits = npx.dot(npx.reshape(h, (h.shape[0], -1)), w3) + b3
        top = npx.max(logits, axis=1, keepdims=True)
        log_norm = npx.log(npx.sum(npx.exp(logits - top), axis=1, keepdims=True)) + top
        return -npx.mean(npx.sum(labels * (logits - log_norm), axis=1))

    return loss


def cnn_data(rng, batch=64, dtype=np.float32):
    params = [rng.standard_normal((3, 3, 1, 16)) / 3, np.zeros(16),
              rng.standard_normal((3, 3, 16, 32)) / 12, np.zeros(32),
              rng.standard_normal((7 * 7 * 32, 10)) / 40, np.zeros(10)]
    params = [p.astype(dtype) for p in params]
    images = rng.standard_normal((batch, 28, 28, 1)).astype(dtype)
    labels = np.eye(10, dtype=dtype)[rng.integers(0, 10, batch)]
    return params, images, labels


def main(quick: bool):
    import jax
    import jax.numpy as jnp
    from jax import lax as jlax

    import funcad
    import funcad.numpy as fnp
    from funcad import lax

    rng = np.random.default_rng(0)
    min_time = 0.2 if quick else 1.0
    params, images, labels = cnn_data(rng)
    args = (params, images, labels)
    loss = cnn_loss(lax, fnp)
    f_xla = funcad.jit(funcad.value_and_grad(loss), backend="xla")
    f_np = funcad.jit(funcad.value_and_grad(loss), backend="numpy")
    j_jit = jax.jit(jax.value_and_grad(cnn_loss(jlax, jnp)))
    ref_v, ref_g = j_jit(*args)
    for v, g in (f_xla(*args), f_np(*args)):
        assert np.allclose(v, ref_v, rtol=1e-4), (v, ref_v)
        for a, b in zip(g, ref_g):
            assert np.allclose(a, b, rtol=1e-3, atol=1e-5)

    table = RatioTable()
    row = table.row

    t_x, t_j = best_times_interleaved(
        [lambda: _block(f_xla(*args)), lambda: _block(j_jit(*args))], min_time=min_time)
    row("CNN vg: xla vs jax.jit (steady)", t_x, t_j, 1.05)
    reps = 3 if quick else 5
    t_f1 = first_call(lambda: funcad.jit(funcad.value_and_grad(cnn_loss(lax, fnp)),
                                         backend="xla"), args, reps)
    t_j1 = first_call(lambda: jax.jit(jax.value_and_grad(cnn_loss(jlax, jnp))), args, reps)
    row("CNN vg: xla vs jax.jit (1st call)", t_f1, t_j1, 1.2)
    t_n, t_x2 = best_times_interleaved(
        [lambda: f_np(*args), lambda: _block(f_xla(*args))], min_time=min_time)
    row("CNN vg: numpy vs xla backend", t_n, t_x2, 2.5)

    table.print(36)


if __name__ == "__main__":
    main(ARGS.quick)
