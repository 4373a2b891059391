"""Per-example gradients with ``vmap(grad(loss))``, as needed for differentially private
SGD (clip each example's gradient before averaging) or for gradient-variance diagnostics.

``grad`` of the loss of one example, mapped over the batch with ``vmap``, gives one gradient
per example in a single vectorized computation: no Python loop over examples. The result is
checked against a loop, and the clipped, noised average of DP-SGD is formed from it.

    python examples/per_example_gradients.py [--batch 512] [--small]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import funcad
import funcad.numpy as fnp


def predict(params, x):
    w1, b1, w2, b2 = params
    return fnp.tanh(x @ w1 + b1) @ w2 + b2


def example_loss(params, x, y):
    """Squared error of one example (x: [features], y: scalar)."""
    return (predict(params, x) - y) ** 2


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--features", type=int, default=20)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--clip", type=float, default=1.0, help="per-example gradient norm bound")
    ap.add_argument("--small", action="store_true", help="small sizes (a smoke run)")
    args = ap.parse_args(argv)
    if args.small:
        args.batch, args.features, args.hidden = 16, 4, 8

    rng = np.random.default_rng(0)
    d, h = args.features, args.hidden
    params = (rng.standard_normal((d, h)) / np.sqrt(d), np.zeros(h),
              rng.standard_normal(h) / np.sqrt(h), np.zeros(()))
    x = rng.standard_normal((args.batch, d))
    y = np.sin(x[:, 0]) + 0.1 * rng.standard_normal(args.batch)

    # One gradient per example: grad over params, vmap over the batch axis of x and y.
    per_example = funcad.vmap(funcad.grad(example_loss), in_axes=(None, 0, 0))
    t0 = time.perf_counter()
    grads = per_example(params, x, y)
    t_vmap = time.perf_counter() - t0
    print("per-example gradient shapes:", [g.shape for g in grads])

    t0 = time.perf_counter()
    loop = [funcad.grad(example_loss)(params, x[i], y[i]) for i in range(args.batch)]
    t_loop = time.perf_counter() - t0
    for k, g in enumerate(grads):
        np.testing.assert_allclose(g, np.stack([lg[k] for lg in loop]), rtol=1e-10, atol=1e-12)
    print(f"vmap(grad): {t_vmap * 1e3:.1f} ms; Python loop of grad: {t_loop * 1e3:.1f} ms "
          f"({t_loop / t_vmap:.0f}x slower); same numbers")

    # The mean of per-example gradients is the gradient of the mean loss.
    mean_grad = funcad.grad(lambda p: fnp.mean(funcad.vmap(
        lambda xi, yi: example_loss(p, xi, yi))(x, y)))(params)
    for g, m in zip(grads, mean_grad):
        np.testing.assert_allclose(g.mean(axis=0), m, rtol=1e-10, atol=1e-12)

    # DP-SGD: clip each example's gradient to norm <= clip, average, add Gaussian noise.
    norms = np.sqrt(sum(np.sum(g.reshape(args.batch, -1) ** 2, axis=1) for g in grads))
    scale = np.minimum(1.0, args.clip / np.maximum(norms, 1e-12))
    noise_std = 0.5 * args.clip / args.batch
    private = [np.mean(g * scale.reshape((-1,) + (1,) * (g.ndim - 1)), axis=0)
               + noise_std * rng.standard_normal(g.shape[1:]) for g in grads]
    print(f"per-example gradient norms: min {norms.min():.3f}, median {np.median(norms):.3f}, "
          f"max {norms.max():.3f}; {np.mean(norms > args.clip):.0%} clipped to {args.clip}")
    print("private gradient norm:", float(np.sqrt(sum(np.sum(p**2) for p in private))))


if __name__ == "__main__":
    main()
