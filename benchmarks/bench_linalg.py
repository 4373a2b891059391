"""Linear algebra under value_and_grad: funcad vs autograd vs jax.jit.

    python benchmarks/bench_linalg.py [--gp-n 500] [--eigh-n 200] [--quick]

Two programs, each differentiated with value_and_grad:

* a Gaussian-process negative log marginal likelihood (n points, squared-exponential
  kernel, gradient w.r.t. the three log kernel parameters) with ``cho_factor``,
  ``cho_solve`` and ``slogdet`` (autograd has no derivative of ``cho_solve``: it gets the
  same two triangular solves by hand);
* an ``eigh``-based spectral loss of an n x n matrix, ``(w, V) = eigh((A + A^T) / 2)``,
  ``sum(w^2) + sum((V tanh(W) V^T) * B)``.

Contenders, timed in alternation: funcad eager, autograd, ``funcad.jit(backend="numpy")``,
``funcad.jit(backend="xla")``, ``jax.jit``. Every contender's value and gradient is first
checked against JAX's. Prints seconds per call and the ratios funcad/autograd,
funcad.jit(numpy)/autograd, funcad.jit(xla)/jax.jit, and the ratio of XLA's own cost
analysis (flops, bytes accessed) of the two compiled programs, which no load disturbs,
and the median ratio of alternating single calls of the two (best-of times on a loaded
machine favour whichever program caught a quiet moment).
"""
from __future__ import annotations

import argparse
import functools
import importlib.util
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best_times_interleaved, fmt


def gp_problem(n: int):
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, (n, 2))
    y = np.sin(x[:, 0]) * np.cos(x[:, 1]) + 0.1 * rng.standard_normal(n)
    sqdist = np.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1)
    return sqdist, y, np.array([0.1, 0.2, -1.5])


def gp_nll(ns, cho_factor, cho_solve, sqdist, y):
    n = y.shape[0]

    def f(params):
        log_ell, log_sigma, log_noise = params[0], params[1], params[2]
        k = (ns.exp(2 * log_sigma) * ns.exp(-0.5 * sqdist / ns.exp(2 * log_ell))
             + ns.exp(2 * log_noise) * ns.eye(n))
        alpha = cho_solve(cho_factor(k, lower=True), y)
        return 0.5 * ns.dot(y, alpha) + 0.5 * ns.linalg.slogdet(k)[1] + 0.5 * n * np.log(2 * np.pi)

    return f


def eigh_problem(n: int):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, n)) / np.sqrt(n)
    return (a + a.T) / 2, rng.standard_normal((n, n))


def spectral_loss(ns, b):
    def f(a):
        w, v = ns.linalg.eigh(0.5 * (a + a.T))  # explicit: autograd reads one triangle
        return ns.sum(w ** 2) + ns.sum(((v * ns.tanh(w)) @ v.T) * b)

    return f


def _autograd_cholesky_solve(anp, asl):
    """autograd's (factor, solve) pair: cholesky and two triangular solves."""
    return (lambda k, lower: anp.linalg.cholesky(k),
            lambda factor, y: asl.solve_triangular(
                factor, asl.solve_triangular(factor, y, lower=True), trans="T", lower=True))


def _contenders(name, make, arg):
    """(label, callable) pairs for the program ``make(namespace, ...)``, all checked against
    ``jax.jit`` first."""
    import jax
    import jax.numpy as jnp
    import jax.scipy.linalg as jsl

    import funcad
    import funcad.numpy as fnp
    import funcad.scipy.linalg as fsl

    ours = funcad.value_and_grad(make(fnp, fsl))
    jax_fn = jax.jit(jax.value_and_grad(make(jnp, jsl)))
    fns = [("funcad", ours)]
    if importlib.util.find_spec("autograd") is not None:
        import autograd
        import autograd.numpy as anp
        import autograd.scipy.linalg as asl

        fns.append(("autograd", autograd.value_and_grad(make(anp, asl))))
    ours_xla = funcad.jit(ours, backend="xla")  # device-resident: wait for it, as for jax
    fns += [("funcad.jit(numpy)", funcad.jit(ours, backend="numpy")),
            ("funcad.jit(xla)", lambda a: jax.block_until_ready(ours_xla(a))),
            ("jax.jit", lambda a: jax.block_until_ready(jax_fn(a)))]
    v_ref, g_ref = (np.asarray(r) for r in jax_fn(arg))
    for label, fn in fns:
        v, g = fn(arg)
        np.testing.assert_allclose(v, v_ref, rtol=1e-8, err_msg=f"{name}: {label}")
        np.testing.assert_allclose(g, g_ref, rtol=1e-6, atol=1e-9, err_msg=f"{name}: {label}")
    return fns


def _xla_costs(make, arg) -> str:
    """XLA's own cost analysis of the two compiled programs (flops and bytes: work that
    does not depend on the machine's load)."""
    import jax
    import jax.numpy as jnp
    import jax.scipy.linalg as jsl

    import funcad
    import funcad.numpy as fnp
    import funcad.scipy.linalg as fsl
    import funcad_xla

    closed = funcad.make_jaxpr(funcad.value_and_grad(make(fnp, fsl)))(arg)
    ours = funcad_xla.lower(closed, arg).compiled.cost_analysis()
    theirs = jax.jit(jax.value_and_grad(make(jnp, jsl))).lower(arg).compile().cost_analysis()
    ours, theirs = (c[0] if isinstance(c, list) else c for c in (ours, theirs))
    return "  ".join(f"{k} {ours[k] / theirs[k]:.3f}x" for k in ("flops", "bytes accessed"))


def _paired_median_ratio(f, g, arg, calls: int = 40) -> float:
    """The median over alternating single calls of ``time(f) / time(g)``: on a loaded
    machine the best-of times favour whichever program caught a quiet moment."""
    ratios = []
    for _ in range(calls):
        t0 = time.perf_counter()
        f(arg)
        t1 = time.perf_counter()
        g(arg)
        ratios.append((t1 - t0) / (time.perf_counter() - t1))
    return float(np.median(ratios))


def _report(name, fns, arg, min_time):
    times = dict(zip([label for label, _ in fns], best_times_interleaved(
        [functools.partial(fn, arg) for _, fn in fns], min_time=min_time, rounds=15)))
    print(f"\n{name}")
    for label, t in times.items():
        print(f"  {label:18s} {fmt(t)}")
    if "autograd" in times:
        print(f"  funcad / autograd            {times['funcad'] / times['autograd']:6.2f}x"
              "   (target <= 1.0)")
        ratio = times["funcad.jit(numpy)"] / times["autograd"]
        print(f"  funcad.jit(numpy) / autograd {ratio:6.2f}x")
    print(f"  funcad.jit(xla) / jax.jit    {times['funcad.jit(xla)'] / times['jax.jit']:6.2f}x"
          "   (target <= 1.05)")
    by_label = dict(fns)
    paired = _paired_median_ratio(by_label["funcad.jit(xla)"], by_label["jax.jit"], arg)
    print(f"  funcad.jit(xla) / jax.jit, median of paired calls {paired:6.2f}x")


def main(gp_n: int, eigh_n: int, quick: bool):
    import jax

    jax.config.update("jax_enable_x64", True)
    min_time = 0.05 if quick else 2.0
    sqdist, y, params = gp_problem(gp_n)

    def make_gp(ns, sl):
        if ns.__name__ == "autograd.numpy":
            return gp_nll(ns, *_autograd_cholesky_solve(ns, sl), sqdist, y)
        return gp_nll(ns, sl.cho_factor, sl.cho_solve, sqdist, y)

    fns = _contenders("gp", make_gp, params)
    _report(f"GP marginal likelihood, n={gp_n}: value_and_grad w.r.t. 3 kernel parameters",
            fns, params, min_time)
    print(f"  XLA cost, funcad.jit(xla) / jax.jit: {_xla_costs(make_gp, params)}")
    a, b = eigh_problem(eigh_n)
    fns = _contenders("eigh", lambda ns, sl: spectral_loss(ns, b), a)
    _report(f"eigh spectral loss, n={eigh_n}: value_and_grad w.r.t. the matrix", fns, a,
            min_time)
    print(f"  XLA cost, funcad.jit(xla) / jax.jit: "
          f"{_xla_costs(lambda ns, sl: spectral_loss(ns, b), a)}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--gp-n", type=int, default=500)
    ap.add_argument("--eigh-n", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    args = ap.parse_args()
    main(50 if args.quick else args.gp_n, 20 if args.quick else args.eigh_n, args.quick)
