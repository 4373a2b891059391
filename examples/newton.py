"""Newton's method with ``funcad.hessian`` and, matrix-free, with ``funcad.hvp``.

1. Minimize the Rosenbrock function with full Newton steps: the gradient from ``grad`` and
   the Hessian from ``hessian`` (forward-over-reverse, ``jacfwd(jacrev(f))``).
2. Fit a logistic regression with Newton-CG: each Newton step solves H·p = -g by
   conjugate gradients, where every product H·v is one ``hvp`` call (forward-over-reverse,
   never forming H). Quadratic convergence shows in the gradient norms.

    python examples/newton.py [--dim 200] [--small]
"""
from __future__ import annotations

import argparse

import numpy as np

import funcad
import funcad.numpy as fnp


def rosenbrock(x):
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def newton(f, x, iters: int = 50, tol: float = 1e-10):
    grad_f, hess_f = funcad.grad(f), funcad.hessian(f)
    for k in range(iters):
        g = grad_f(x)
        gnorm = float(np.linalg.norm(g))
        print(f"  iter {k:2d}: f = {float(f(x)):.3e}  |grad| = {gnorm:.3e}")
        if gnorm < tol:
            break
        hess = hess_f(x)
        damping = 0.0  # Levenberg: add damping·I until the step decreases f
        while True:
            step = np.linalg.solve(hess + damping * np.eye(len(x)), -g)
            if float(f(x + step)) < float(f(x)) or damping > 1e8:
                break
            damping = max(2 * damping, 1e-3 * float(np.abs(hess).max()))
        x = x + step
    return x


def conjugate_gradient(matvec, b, iters: int, tol: float = 1e-12):
    x = np.zeros_like(b)
    r = b.copy()
    p = r.copy()
    rr = r @ r
    for _ in range(iters):
        ap = matvec(p)
        alpha = rr / (p @ ap)
        x += alpha * p
        r -= alpha * ap
        rr_new = r @ r
        if np.sqrt(rr_new) < tol:
            break
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x


def newton_cg(f, w, iters: int = 20, tol: float = 1e-9):
    grad_f = funcad.grad(f)
    for k in range(iters):
        g = grad_f(w)
        gnorm = float(np.linalg.norm(g))
        print(f"  iter {k:2d}: loss = {float(f(w)):.6f}  |grad| = {gnorm:.3e}")
        if gnorm < tol:
            break
        w = w + conjugate_gradient(lambda v, w=w: funcad.hvp(f, w, v), -g, iters=len(w))
    return w


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dim", type=int, default=200, help="features of the logistic regression")
    ap.add_argument("--small", action="store_true", help="small sizes (a smoke run)")
    args = ap.parse_args(argv)
    n_rosen = 2  # from the classic start (-1.2, 1)
    dim, samples = (10, 100) if args.small else (args.dim, 2000)

    print(f"Newton with hessian on the {n_rosen}-d Rosenbrock function:")
    x = newton(rosenbrock, np.tile([-1.2, 1.0], n_rosen // 2))
    assert np.allclose(x, 1.0, atol=1e-6), x
    print("  minimum at", np.round(x, 6))

    rng = np.random.default_rng(0)
    features = rng.standard_normal((samples, dim))
    w_true = rng.standard_normal(dim) / np.sqrt(dim)
    labels = (rng.random(samples) < 1 / (1 + np.exp(-features @ w_true))).astype(float)

    def loss(w):  # logistic regression with a small ridge term (strictly convex)
        z = features @ w
        return fnp.mean(fnp.logaddexp(0.0, z) - labels * z) + 1e-3 * fnp.sum(w * w)

    print(f"Newton-CG with hvp on a logistic regression, {dim} features, {samples} samples:")
    w = newton_cg(loss, np.zeros(dim))
    assert np.linalg.norm(funcad.grad(loss)(w)) < 1e-6
    # hvp agrees with the full Hessian
    v = rng.standard_normal(dim)
    np.testing.assert_allclose(funcad.hvp(loss, w, v), funcad.hessian(loss)(w) @ v, rtol=1e-8,
                               atol=1e-12)
    print("  hvp(loss, w, v) equals hessian(loss)(w) @ v")


if __name__ == "__main__":
    main()
