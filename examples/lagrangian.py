"""Lagrangian mechanics: equations of motion from ``grad`` and ``hessian`` of a Lagrangian.

For L(q, q̇) = T - V the Euler-Lagrange equations d/dt ∂L/∂q̇ = ∂L/∂q give
    q̈ = (∂²L/∂q̇²)⁻¹ (∂L/∂q - (∂²L/∂q̇∂q) q̇),
so the dynamics of any system follow from its Lagrangian alone: funcad supplies ∂L/∂q
(``grad``), the mass matrix ∂²L/∂q̇² (``hessian``) and the mixed term (``jacfwd`` of
``grad``). The double pendulum is integrated with RK4; its energy is conserved, and the
single pendulum reproduces q̈ = -(g/l)·sin q.

    python examples/lagrangian.py [--steps 2000] [--small]
"""
from __future__ import annotations

import argparse

import numpy as np

import funcad
import funcad.numpy as fnp

G = 9.81


def double_pendulum(m1=1.0, m2=1.0, l1=1.0, l2=1.0):
    def lagrangian(q, qd):
        t1, t2 = q[0], q[1]
        w1, w2 = qd[0], qd[1]
        kinetic = (0.5 * (m1 + m2) * l1**2 * w1**2 + 0.5 * m2 * l2**2 * w2**2
                   + m2 * l1 * l2 * w1 * w2 * fnp.cos(t1 - t2))
        potential = -(m1 + m2) * G * l1 * fnp.cos(t1) - m2 * G * l2 * fnp.cos(t2)
        return kinetic - potential

    return lagrangian


def single_pendulum(m=1.0, length=1.0):
    def lagrangian(q, qd):
        return 0.5 * m * length**2 * fnp.sum(qd**2) + m * G * length * fnp.sum(fnp.cos(q))

    return lagrangian


def equations_of_motion(lagrangian):
    """q̈ as a function of (q, q̇), derived from the Lagrangian by funcad."""
    dl_dq = funcad.grad(lagrangian, argnums=0)
    mass = funcad.hessian(lagrangian, argnums=1)  # ∂²L/∂q̇²
    mixed = funcad.jacfwd(funcad.grad(lagrangian, argnums=1), argnums=0)  # ∂²L/∂q̇∂q

    def qdd(q, qd):
        return fnp.linalg.solve(mass(q, qd), dl_dq(q, qd) - mixed(q, qd) @ qd)

    return _compiled(qdd)


def _compiled(fun):
    """``funcad.jit(fun)`` on funcad's NumPy executor where jit works, else ``fun``: the
    derivatives are traced once, not at every step."""
    try:
        jitted = funcad.jit(fun, backend="numpy")
        jitted(np.zeros(2), np.zeros(2))
        return jitted
    except Exception as e:  # jit not available or not finished: run eagerly
        print(f"(running eagerly: {type(e).__name__})")
        return fun


def energy(lagrangian, q, qd):
    """E = q̇·∂L/∂q̇ - L (the Hamiltonian, from the Lagrangian by funcad.grad)."""
    return float(qd @ funcad.grad(lagrangian, argnums=1)(q, qd) - lagrangian(q, qd))


def rk4(qdd, q, qd, dt, steps):
    path = [q]
    for _ in range(steps):
        def f(state):
            return state[1], np.asarray(qdd(*state))

        k1 = f((q, qd))
        k2 = f((q + 0.5 * dt * k1[0], qd + 0.5 * dt * k1[1]))
        k3 = f((q + 0.5 * dt * k2[0], qd + 0.5 * dt * k2[1]))
        k4 = f((q + dt * k3[0], qd + dt * k3[1]))
        q = q + dt / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        qd = qd + dt / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        path.append(q)
    return q, qd, np.array(path)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--dt", type=float, default=0.005)
    ap.add_argument("--small", action="store_true", help="a few steps (a smoke run)")
    args = ap.parse_args(argv)
    steps = 40 if args.small else args.steps

    # The single pendulum: the derived law equals the textbook one.
    qdd = equations_of_motion(single_pendulum())
    for angle in (0.3, 1.0, 2.5):
        derived = float(qdd(np.array([angle]), np.array([0.7]))[0])
        assert np.isclose(derived, -G * np.sin(angle), rtol=1e-12), (derived, angle)
    print("single pendulum: q̈ = -(g/l)·sin(q), derived from L = T - V")

    lag = double_pendulum()
    qdd = equations_of_motion(lag)
    q0, qd0 = np.array([2.0, 1.0]), np.array([0.0, 0.0])
    e0 = energy(lag, q0, qd0)
    q, qd, path = rk4(qdd, q0, qd0, args.dt, steps)
    e1 = energy(lag, q, qd)
    drift = abs(e1 - e0) / abs(e0)
    print(f"double pendulum, {steps} RK4 steps of {args.dt}: angles {np.round(q, 4)}, "
          f"energy {e0:.6f} -> {e1:.6f} (relative drift {drift:.1e})")
    assert drift < 1e-4, drift
    print(f"largest |angle| reached: {np.abs(path).max(axis=0).round(3)}")


if __name__ == "__main__":
    main()
