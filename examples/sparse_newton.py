"""Newton's method for the 2-D Bratu problem with sparse Jacobians.

Solve -Δu = λ exp(u) on the unit square with u = 0 on the boundary, discretized by the
five-point stencil on an N x N interior grid (N = 100: 10^4 unknowns). The residual F is
written with ``funcad.numpy``; ``funcad.sparse_jacobian`` reads the pattern of its
Jacobian from the IR (5 nonzeros per row), colors its columns (5 colors instead of 10^4
JVPs) and returns a ``scipy.sparse.csr_array``; each Newton step solves J p = -F with
``scipy.sparse.linalg.spsolve``. The solution is plotted to ``--out``.

    python examples/sparse_newton.py [--n 100] [--lam 6.0] [--out bratu.png] [--small]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse.linalg as spla

import funcad
import funcad.numpy as fnp
from funcad import lax


def bratu_residual(u_flat, lam: float, n: int):
    """F(u) = (4u - neighbours) / h^2 - λ exp(u) on the interior grid (u = 0 outside)."""
    h = 1.0 / (n + 1)
    u = fnp.reshape(u_flat, (n, n))
    p = lax.pad(u, 0.0, [(1, 1, 0), (1, 1, 0)])
    lap = (4.0 * u - p[:-2, 1:-1] - p[2:, 1:-1] - p[1:-1, :-2] - p[1:-1, 2:]) / h ** 2
    return fnp.ravel(lap - lam * fnp.exp(u))


def newton(residual, u, iters: int = 20, tol: float = 1e-10):
    jac = funcad.jit(funcad.sparse_jacobian(residual))
    for k in range(iters):
        r = np.asarray(residual(u))
        norm = float(np.linalg.norm(r, np.inf))
        print(f"  iter {k}: |F|_inf = {norm:.3e}")
        if norm < tol:
            return u, k
        J = jac(u)
        u = u + spla.spsolve(J.tocsc(), -r)
    raise RuntimeError("Newton did not converge")


def plot(u, n: int, path: str) -> None:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot")
        return
    fig, ax = plt.subplots(figsize=(5, 4))
    im = ax.imshow(u.reshape(n, n), origin="lower", extent=(0, 1, 0, 1), cmap="viridis")
    fig.colorbar(im, ax=ax, label="u")
    ax.set_title("Bratu problem, -Δu = λ exp(u)")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    print(f"plot saved to {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="interior grid points per side")
    parser.add_argument("--lam", type=float, default=6.0, help="λ (a solution exists below 6.808)")
    parser.add_argument("--out", default="bratu.png", help="where to save the plot")
    parser.add_argument("--small", action="store_true", help="a 20 x 20 grid (smoke test)")
    args = parser.parse_args()
    n = 20 if args.small else args.n

    def residual(u):
        return bratu_residual(u, args.lam, n)

    u0 = np.zeros(n * n)
    sj = funcad.sparse_jacobian(residual)
    pattern = funcad.jacobian_sparsity(residual)(u0)
    J0 = sj(u0)
    print(f"{n * n} unknowns: Jacobian {pattern.shape}, {pattern.nnz} nonzeros, "
          f"{sj.num_colors} colors (JVPs) instead of {n * n}")
    if n * n <= 2500:
        dense = np.asarray(funcad.jacfwd(residual)(u0))
        assert np.allclose(J0.toarray(), dense, rtol=1e-12, atol=1e-9)
        print("sparse Jacobian equals dense jacfwd")
    t0 = time.perf_counter()
    u, steps = newton(residual, u0)
    print(f"Newton converged in {steps} steps ({time.perf_counter() - t0:.2f} s); "
          f"max u = {u.max():.4f}")
    plot(u, n, args.out)


if __name__ == "__main__":
    main()
