"""Differentiating a spectral method: derivatives of periodic signals by rfft · ik · irfft.

1. The energy of a periodic signal's derivative, E = mean(u'(x)^2), with u' computed
   spectrally, as a function of the signal's Fourier amplitudes. For
   u = sum_m a_m sin(m x) + b_m cos(m x) it is (1/2) sum_m m^2 (a_m^2 + b_m^2), so
   dE/da_m = m^2 a_m exactly: funcad's gradient (through rfft, a complex product, irfft)
   is compared with that, eagerly and compiled.
2. Spectral smoothing: minimize J(u) = mean(u'^2) + lam * mean((u - f)^2) over the samples
   u. J is quadratic, so one Newton step with funcad's gradient and Hessian (forward over
   reverse through the FFTs) lands on the minimizer, which in Fourier space is
   û_k = lam f̂_k / (k^2 + lam).

    python examples/spectral.py [--n 255] [--small]
"""
from __future__ import annotations

import argparse

import numpy as np

import funcad
import funcad.numpy as fnp


def spectral_derivative(u):
    """u' of a periodic signal sampled at n = len(u) points of [0, 2 pi) (n odd: no Nyquist
    mode, whose derivative would be ambiguous)."""
    n = u.shape[-1]
    k = np.arange(n // 2 + 1)
    return fnp.fft.irfft(fnp.fft.rfft(u) * (1j * k), n=n)


def derivative_energy(u):
    return fnp.mean(spectral_derivative(u) ** 2)


def signal(amplitudes, x):
    """u(x) = sum_m a_m sin(m x) + b_m cos(m x), m = 1..M; amplitudes = (a, b)."""
    a, b = amplitudes
    m = np.arange(1, a.shape[0] + 1)
    return fnp.sum(a[:, None] * fnp.sin(m[:, None] * x) + b[:, None] * fnp.cos(m[:, None] * x),
                   axis=0)


def part1(n: int, modes: int, rng) -> float:
    print(f"1. energy of u' for {modes} modes on {n} points")
    x = 2 * np.pi * np.arange(n) / n
    amplitudes = (rng.standard_normal(modes), rng.standard_normal(modes))
    m2 = np.arange(1, modes + 1) ** 2

    def energy(amps):
        return derivative_energy(signal(amps, x))

    value, (ga, gb) = funcad.value_and_grad(energy)(amplitudes)
    exact = 0.5 * np.sum(m2 * (amplitudes[0] ** 2 + amplitudes[1] ** 2))
    err = max(abs(value - exact) / exact, np.max(np.abs(ga - m2 * amplitudes[0])),
              np.max(np.abs(gb - m2 * amplitudes[1])))
    print(f"  E = {value:.10f}, analytic {exact:.10f}")
    print(f"  dE/da = m^2 a and dE/db = m^2 b to {err:.1e}")
    jitted = funcad.jit(funcad.value_and_grad(energy))
    jv, (jga, _) = jitted(amplitudes)
    print(f"  jit: E differs by {abs(jv - value):.1e}, gradient by {np.max(np.abs(jga - ga)):.1e}")
    return err


def part2(n: int, lam: float, rng) -> float:
    print(f"2. spectral smoothing with lam = {lam} on {n} points (one Newton step)")
    x = 2 * np.pi * np.arange(n) / n
    f = np.sign(np.sin(x)) + 0.3 * rng.standard_normal(n)  # a noisy square wave

    def objective(u):
        return derivative_energy(u) + lam * fnp.mean((u - f) ** 2)

    u0 = np.zeros(n)
    g, h = funcad.grad(objective)(u0), funcad.hessian(objective)(u0)
    u_newton = u0 - np.linalg.solve(h, g)
    k = np.arange(n // 2 + 1)
    u_exact = np.fft.irfft(lam / (k**2 + lam) * np.fft.rfft(f), n=n)
    err = float(np.max(np.abs(u_newton - u_exact)))
    print(f"  Newton step vs Fourier-space minimizer: max difference {err:.1e}")
    print(f"  gradient at the minimizer: {np.max(np.abs(funcad.grad(objective)(u_newton))):.1e}")
    return err


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=255, help="number of samples (odd)")
    parser.add_argument("--small", action="store_true", help="a quick run (smoke test)")
    args = parser.parse_args()
    n = 63 if args.small else args.n | 1
    rng = np.random.default_rng(0)
    err1 = part1(n, 8 if args.small else 20, rng)
    err2 = part2(n, 2.0, rng)
    ok = err1 < 1e-8 and err2 < 1e-8
    print("spectral derivatives match the analytic values" if ok else "MISMATCH")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
