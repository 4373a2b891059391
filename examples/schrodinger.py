"""Local energy of a neural-network wavefunction with the forward Laplacian.

N particles in a 3-D harmonic trap, V(r) = 1/2 sum |r_i|^2 (atomic units, m = w = 1). The
trial wavefunction is the Gaussian ground state times a small tanh network,

    psi(r) = exp(-1/2 sum |r_i|^2 + NN(r)),

and variational Monte Carlo needs its local energy at many points,

    E_L(r) = -1/2 laplacian(psi)(r) / psi(r) + V(r).

`funcad.laplacian` computes the Laplacian over all 3N coordinates in one forward pass
(vmapped over the points and jitted); the script checks it against trace(hessian) and,
with the network switched off, against the exact ground-state energy 3N/2.

    python examples/schrodinger.py [--particles 4] [--points 256] [--small]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import funcad
import funcad.numpy as fnp


def make_wavefunction(n_coords: int, hidden: int, scale: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    w1 = rng.standard_normal((n_coords, hidden)) / np.sqrt(n_coords)
    b1 = rng.standard_normal(hidden) * 0.1
    w2 = rng.standard_normal(hidden) * scale / np.sqrt(hidden)

    def psi(r):
        nn = fnp.tanh(fnp.tanh(r @ w1 + b1) @ w2)
        return fnp.exp(-0.5 * fnp.sum(r * r) + nn)

    return psi


def potential(r):
    return 0.5 * fnp.sum(r * r)


def local_energy_fn(psi, laplacian):
    def local_energy(r):
        return -0.5 * laplacian(psi)(r) / psi(r) + potential(r)

    return funcad.jit(funcad.vmap(local_energy))


def trace_hessian(psi):
    return lambda r: fnp.trace(funcad.hessian(psi)(r))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--particles", type=int, default=4)
    parser.add_argument("--points", type=int, default=2048)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--small", action="store_true", help="a quick run (CI smoke test)")
    args = parser.parse_args()
    if args.small:
        args.points, args.hidden = 64, 8
    n = 3 * args.particles
    # Points drawn from |psi_0|^2 (a standard normal with variance 1/2 per coordinate).
    points = np.random.default_rng(1).normal(scale=np.sqrt(0.5), size=(args.points, n))

    exact = make_wavefunction(n, args.hidden, scale=0.0)
    e_exact = local_energy_fn(exact, funcad.laplacian)(points)
    print(f"{args.particles} particles, {n} coordinates, {args.points} points")
    print(f"network off (exact ground state): E_L = {e_exact.mean():.12f} "
          f"(3N/2 = {1.5 * args.particles}), spread {e_exact.std():.1e}")
    np.testing.assert_allclose(e_exact, 1.5 * args.particles, rtol=1e-12)

    psi = make_wavefunction(n, args.hidden, scale=0.3)
    fast = local_energy_fn(psi, funcad.laplacian)
    slow = local_energy_fn(psi, trace_hessian)
    e_fast, e_slow = fast(points), slow(points)
    np.testing.assert_allclose(e_fast, e_slow, rtol=1e-10, atol=1e-10)
    # Reweighting the points (drawn from |psi_0|^2) by |psi / psi_0|^2 estimates the energy
    # <psi|H|psi> / <psi|psi>, which the variational principle bounds below by 3N/2.
    weights = (funcad.vmap(psi)(points) / funcad.vmap(exact)(points)) ** 2
    energy = np.sum(weights * e_fast) / np.sum(weights)
    print(f"network on: E_L spread {e_fast.std():.3f}, reweighted energy {energy:.4f} "
          f"(variational bound {1.5 * args.particles}; Monte Carlo noise "
          f"~{e_fast.std() / np.sqrt(len(e_fast)):.4f})")
    print("laplacian agrees with trace(hessian) to 1e-10 at every point")
    for name, fn in (("laplacian", fast), ("trace(hessian)", slow)):
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            fn(points)
            best = min(best, time.perf_counter() - t0)
        print(f"  {name:15s} {1e3 * best:8.2f} ms for {args.points} points (best of 5)")


if __name__ == "__main__":
    main()
