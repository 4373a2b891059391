"""jit benchmarks, measured side by side in one process; prints each ratio with its target.

    python benchmarks/bench_jit.py [--quick] [--blas-threads N]

- MLP loss (batch 256, 784-256-256-10, tanh, softmax cross-entropy), float64:
  ``jit(value_and_grad, backend="numpy")`` vs ``autograd.value_and_grad`` and vs
  ``jit(loss, backend="numpy")`` (the cheap-gradient principle).
- The same MLP in float32: ``jit(value_and_grad, backend="xla")`` vs
  ``jax.jit(jax.value_and_grad)``, steady state and first call (trace + compile).
- The 36-operation scalar function's gradient: numpy backend vs autograd's eager grad, xla
  backend vs ``jax.jit(jax.grad)``.
- Hessian of f(x) = sum(tanh(A x)^2) + 0.1 sum(x^4), n = 200: ``jit(hessian)`` on numpy vs
  ``autograd.hessian`` (and xla vs ``jax.jit(jax.hessian)``).
"""
from __future__ import annotations

import itertools
import os
import statistics
import sys
import time

if __name__ == "__main__":  # before NumPy loads its BLAS
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _timing import parse_args

    ARGS = parse_args(__doc__, "small sizes (a smoke run)")

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import RatioTable, best_times_interleaved
from bench_grad_eager import mlp_loss, scalar36


def hessian_fn(ns, a):
    def f(x):
        return ns.sum(ns.tanh(a @ x) ** 2) + 0.1 * ns.sum(x**4)

    return f


def paired(ours, theirs, *, min_time: float) -> tuple[float, float]:
    """Best time per call of each, measured in alternation so that both see the same load
    (this machine may be shared)."""
    t_ours, t_theirs = best_times_interleaved([ours, theirs], min_time=min_time)
    return t_ours, t_theirs


def first_call(make, args, repeat: int) -> float:
    """Median time of the first call of a freshly made function (trace + compile + run)."""
    times = []
    for _ in range(repeat):
        fn = make()
        t0 = time.perf_counter()
        out = fn(*args)
        _block(out)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _block(out):
    import jax

    return jax.block_until_ready(out)


def _mlp_data(rng, batch, dtype):
    sizes = [784, 256, 256, 10]
    params = [((rng.standard_normal((m, n)) / np.sqrt(m)).astype(dtype), np.zeros(n, dtype))
              for m, n in itertools.pairwise(sizes)]
    x = rng.standard_normal((batch, sizes[0])).astype(dtype)
    labels = np.eye(10, dtype=dtype)[rng.integers(0, 10, batch)]
    return params, x, labels


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

    jax.config.update("jax_enable_x64", True)  # the reference side computes float64 as such
    rng = np.random.default_rng(0)
    batch = 64 if quick else 256
    min_time = 0.05 if quick else 1.0
    table = RatioTable()
    row = table.row

    # --- MLP float64, numpy backend ------------------------------------------------------------
    params, x, labels = _mlp_data(rng, batch, np.float64)
    loss = mlp_loss(fnp, f_lse)
    vg = funcad.jit(funcad.value_and_grad(loss), backend="numpy")
    jl = funcad.jit(loss, backend="numpy")
    ag = autograd.value_and_grad(mlp_loss(anp, a_lse))
    v1, v2 = vg(params, x, labels)[0], ag(params, x, labels)[0]
    assert np.allclose(v1, v2, rtol=1e-10), (v1, v2)
    t_vg, t_ag = paired(lambda: vg(params, x, labels), lambda: ag(params, x, labels),
                        min_time=min_time)
    t_vg2, t_l = paired(lambda: vg(params, x, labels), lambda: jl(params, x, labels),
                        min_time=min_time)
    t_vg = min(t_vg, t_vg2)
    row("MLP f64 vg: numpy vs autograd", t_vg, t_ag, 0.65)
    row("MLP f64 vg: numpy vs jit(loss)", t_vg, t_l, 3.0)

    # --- MLP float32, xla backend vs jax.jit -------------------------------------------------
    params32, x32, labels32 = _mlp_data(rng, batch, np.float32)
    jparams = [(jax.device_put(w), jax.device_put(b)) for w, b in params32]
    jloss = mlp_loss(jnp, j_lse)
    fx = funcad.jit(funcad.value_and_grad(loss), backend="xla")
    jx = jax.jit(jax.value_and_grad(jloss))
    a, b = fx(params32, x32, labels32)[0], jx(jparams, x32, labels32)[0]
    assert a.dtype == np.float32 and np.allclose(a, b, rtol=1e-4), (a, b)
    t_fx, t_jx = paired(lambda: _block(fx(params32, x32, labels32)),
                        lambda: _block(jx(params32, x32, labels32)), min_time=min_time)
    t_fx2, t_jd = paired(lambda: _block(fx(params32, x32, labels32)),
                         lambda: _block(jx(jparams, x32, labels32)), min_time=min_time)
    t_fx = min(t_fx, t_fx2)
    row("MLP f32 vg: xla vs jax.jit (steady)", t_fx, t_jx, 1.05)
    row("  the same, jax given device params", t_fx, t_jd, None)
    reps = 3 if quick else 5
    t_f1 = first_call(lambda: funcad.jit(funcad.value_and_grad(mlp_loss(fnp, f_lse)),
                                         backend="xla"), (params32, x32, labels32), reps)
    t_j1 = first_call(lambda: jax.jit(jax.value_and_grad(mlp_loss(jnp, j_lse))),
                      (jparams, x32, labels32), reps)
    row("MLP f32 vg: xla vs jax.jit (1st call)", t_f1, t_j1, 1.2)

    # --- 36-op scalar function ---------------------------------------------------------------
    g_np = funcad.jit(funcad.grad(scalar36(fnp), (0, 1)), backend="numpy")
    g_xla = funcad.jit(funcad.grad(scalar36(fnp), (0, 1)), backend="xla")
    g_ag = autograd.grad(scalar36(anp), (0, 1))
    g_jx = jax.jit(jax.grad(scalar36(jnp), (0, 1)))
    for ours in (g_np(0.3, 0.7), g_xla(0.3, 0.7)):
        assert np.allclose(ours, g_ag(0.3, 0.7), rtol=1e-12), ours
    t_np, t_ag36 = paired(lambda: g_np(0.3, 0.7), lambda: g_ag(0.3, 0.7), min_time=min_time)
    t_x, t_j = paired(lambda: _block(g_xla(0.3, 0.7)), lambda: _block(g_jx(0.3, 0.7)),
                      min_time=min_time)
    row("36-op grad: numpy vs autograd", t_np, t_ag36, 0.15)
    row("36-op grad: xla vs jax.jit", t_x, t_j, 1.5)

    # --- Hessian, n = 200 --------------------------------------------------------------------
    n = 50 if quick else 200
    a_mat = rng.standard_normal((n, n)) / np.sqrt(n)
    x0 = rng.standard_normal(n)
    h_np = funcad.jit(funcad.hessian(hessian_fn(fnp, a_mat)), backend="numpy")
    h_xla = funcad.jit(funcad.hessian(hessian_fn(fnp, a_mat)), backend="xla")
    h_ag = autograd.hessian(hessian_fn(anp, a_mat))
    h_jx = jax.jit(jax.hessian(hessian_fn(jnp, jnp.asarray(a_mat))))
    assert np.allclose(h_np(x0), h_ag(x0), rtol=1e-10, atol=1e-12)
    assert np.allclose(h_xla(x0), h_ag(x0), rtol=1e-10, atol=1e-12)
    t_hn, t_ha = paired(lambda: h_np(x0), lambda: h_ag(x0), min_time=min_time)
    t_hx, t_hj = paired(lambda: _block(h_xla(x0)), lambda: _block(h_jx(x0)), min_time=min_time)
    row(f"Hessian n={n}: numpy speed-up vs autograd", t_hn, t_ha, 20, better="higher")
    row(f"Hessian n={n}: xla vs jax.jit", t_hx, t_hj, None)

    table.print(40)


if __name__ == "__main__":
    main(ARGS.quick)
