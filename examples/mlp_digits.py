"""Train a small MLP on scikit-learn's bundled digits (8×8 images, no download) with funcad.

The training step is ``value_and_grad`` of a softmax cross-entropy loss plus an SGD update
with momentum, compiled by ``funcad.jit`` for each available backend: funcad's NumPy
executor, and XLA (``funcad_xla``) when jax is installed. Without jit it runs eagerly. Shows a
progress bar (tqdm if installed), prints test accuracy and time per step, and saves the loss
curves to --out (needs matplotlib).

    python examples/mlp_digits.py [--epochs 30] [--out loss.png] [--small]
"""
from __future__ import annotations

import argparse
import itertools
import sys
import time

import numpy as np

import funcad
import funcad.numpy as fnp
from funcad.nn import log_softmax


def init_params(rng, sizes):
    return [(rng.standard_normal((m, n)) * np.sqrt(1.0 / m), np.zeros(n))
            for m, n in itertools.pairwise(sizes)]


def predict(params, x):
    h = x
    for w, b in params[:-1]:
        h = fnp.tanh(h @ w + b)
    w, b = params[-1]
    return h @ w + b


def loss(params, x, y_onehot):
    return -fnp.mean(fnp.sum(log_softmax(predict(params, x)) * y_onehot, axis=1))


def sgd_step(params, velocity, x, y_onehot, lr, momentum=0.9):
    value, grads = funcad.value_and_grad(loss)(params, x, y_onehot)
    velocity = [(momentum * vw - lr * gw, momentum * vb - lr * gb)
                for (vw, vb), (gw, gb) in zip(velocity, grads)]
    params = [(w + vw, b + vb) for (w, b), (vw, vb) in zip(params, velocity)]
    return params, velocity, value


def load_data(rng, small: bool):
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        sys.exit("this example needs scikit-learn: pip install scikit-learn")
    digits = load_digits()
    x = digits.data / 16.0
    y = digits.target
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    n_test = 360
    if small:
        x, y = x[:600], y[:600]
        n_test = 100
    eye = np.eye(10)
    return (x[n_test:], eye[y[n_test:]]), (x[:n_test], y[:n_test])


def progress(iterable, total: int, desc: str):
    try:
        from tqdm import tqdm

        return tqdm(iterable, total=total, desc=desc, ncols=80, leave=True)
    except ImportError:  # a plain fallback bar
        def bar():
            for i, item in enumerate(iterable, 1):
                yield item
                if i % max(total // 20, 1) == 0 or i == total:
                    print(f"\r{desc}: {i}/{total} [{'#' * (20 * i // total):20s}]", end="",
                          flush=True)
            print()

        return bar()


def available_backends() -> list[str | None]:
    """``["numpy", "xla"]`` where jit and each backend work, else ``[None]`` (eager)."""
    if not hasattr(funcad, "jit"):
        return [None]
    found: list[str | None] = []
    for backend in ("numpy", "xla"):
        try:
            out = funcad.jit(lambda v: fnp.sin(v) * 2.0, backend=backend)(np.ones(2))
            if np.allclose(out, 2 * np.sin(1.0)):
                found.append(backend)
        except Exception as e:  # a backend that is not installed or not finished
            print(f"(backend {backend!r} unavailable: {type(e).__name__}: {e})".splitlines()[0])
    return found or [None]


def train(backend, data, args, rng_seed: int):
    (x_train, y_train), (x_test, y_test) = data
    rng = np.random.default_rng(rng_seed)
    params = init_params(rng, [64, args.hidden, args.hidden, 10])
    velocity = [(np.zeros_like(w), np.zeros_like(b)) for w, b in params]
    step = sgd_step if backend is None else funcad.jit(sgd_step, backend=backend)
    n = len(x_train)
    steps_per_epoch = n // args.batch
    total = args.epochs * steps_per_epoch
    losses = []
    t_first = t_start = None
    label = backend or "eager"
    for k in progress(range(total), total, f"{label:>6}"):
        if k % steps_per_epoch == 0:
            order = rng.permutation(n)
        idx = order[(k % steps_per_epoch) * args.batch:(k % steps_per_epoch + 1) * args.batch]
        t0 = time.perf_counter()
        params, velocity, value = step(params, velocity, x_train[idx], y_train[idx], args.lr)
        if k == 0:
            t_first = time.perf_counter() - t0  # tracing + compiling
            t_start = time.perf_counter()
        losses.append(float(value))
    per_step = (time.perf_counter() - t_start) / max(total - 1, 1)
    accuracy = float(np.mean(np.argmax(predict(params, x_test), axis=1) == y_test))
    return losses, accuracy, t_first, per_step


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--out", default="mlp_digits_loss.png", help="loss-curve PNG to write")
    ap.add_argument("--small", action="store_true", help="a few steps on a subset (smoke run)")
    args = ap.parse_args(argv)
    if args.small:
        args.epochs, args.hidden = 2, 16

    rng = np.random.default_rng(0)
    data = load_data(rng, args.small)
    results = {}
    for backend in available_backends():
        losses, acc, t_first, per_step = train(backend, data, args, rng_seed=1)
        label = backend or "eager"
        results[label] = losses
        print(f"{label:>6}: final loss {np.mean(losses[-10:]):.4f}, test accuracy {acc:.1%}, "
              f"first step {t_first * 1e3:.0f} ms, then {per_step * 1e3:.2f} ms/step")
        assert np.isfinite(losses).all() and np.mean(losses[-5:]) < losses[0], "no progress"
    if len(results) > 1:
        curves = list(results.values())
        gap = max(abs(a - b) for a, b in zip(curves[0], curves[1]))
        print(f"largest loss difference between backends: {gap:.2e}")

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install matplotlib)")
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    for (label, losses), style in zip(results.items(), ["-", "--", ":"]):
        ax.plot(losses, style, label=f"backend: {label}", alpha=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy loss")
    ax.set_yscale("log")
    ax.set_title("MLP on the digits data, trained with funcad")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print("saved", args.out)


if __name__ == "__main__":
    main()
