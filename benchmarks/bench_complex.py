"""Complex benchmark, measured side by side in one process; prints each ratio with its target.

    python benchmarks/bench_complex.py [--quick] [--blas-threads N]

The loss: a complex signal of 2^16 points is filtered spectrally (``fft``, a product with a
fixed complex filter, ``ifft``), laid out as a 64 x 1024 matrix and multiplied by a complex
64 x 64 matrix; the loss is the squared modulus of the product, summed. ``value_and_grad``
with respect to the signal and the matrix (complex gradients, JAX's convention, which
autograd shares):

- eager funcad vs ``autograd.value_and_grad`` (reported);
- ``jit(backend="numpy")`` vs autograd (target <= 0.65);
- ``jit(backend="xla")`` vs ``jax.jit(jax.value_and_grad)`` (target <= 1.05).

Anchors that are not installed are skipped.
"""
from __future__ import annotations

import importlib.util
import os
import sys

if __name__ == "__main__":  # before NumPy loads its BLAS
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _timing import parse_args

    ARGS = parse_args(__doc__, "a 2^12 signal (a smoke run)")

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import RatioTable, best_times_interleaved

ROWS = 64


def complex_loss(ns, filt):
    """``loss(z, m)`` over the namespace ``ns`` (funcad.numpy, autograd.numpy, jax.numpy)."""

    def loss(z, m):
        smooth = ns.fft.ifft(ns.fft.fft(z) * filt)
        prod = m @ ns.reshape(smooth, (ROWS, -1))
        return ns.sum(ns.real(prod * ns.conj(prod)))

    return loss


def _have(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def main(quick: bool):
    import funcad
    import funcad.numpy as fnp

    n = 1 << (12 if quick else 16)
    min_time = 0.05 if quick else 0.5
    rng = np.random.default_rng(0)
    z = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    m = (rng.standard_normal((ROWS, ROWS)) + 1j * rng.standard_normal((ROWS, ROWS))) / ROWS
    filt = np.exp(-np.fft.fftfreq(n) ** 2 * 50) * np.exp(2j * np.pi * np.fft.fftfreq(n))
    table = RatioTable()
    row = table.row

    eager = funcad.value_and_grad(complex_loss(fnp, filt), (0, 1))
    jit_np = funcad.jit(funcad.value_and_grad(complex_loss(fnp, filt), (0, 1)), backend="numpy")
    ref_value, ref_grads = eager(z, m)
    for got in (jit_np(z, m),):
        assert np.allclose(got[0], ref_value, rtol=1e-10)
        assert all(np.allclose(a, b, rtol=1e-9, atol=1e-9) for a, b in zip(got[1], ref_grads))

    if _have("autograd"):
        import autograd
        import autograd.numpy as anp

        ag = autograd.value_and_grad(complex_loss(anp, filt), (0, 1))
        a_value, a_grads = ag(z, m)
        assert np.allclose(a_value, ref_value, rtol=1e-10)
        assert all(np.allclose(a, b, rtol=1e-9, atol=1e-9) for a, b in zip(a_grads, ref_grads))
        t_e, t_j, t_a = best_times_interleaved(
            [lambda: eager(z, m), lambda: jit_np(z, m), lambda: ag(z, m)], min_time=min_time)
        row("complex vg: eager vs autograd", t_e, t_a, None)
        row("complex vg: jit(numpy) vs autograd", t_j, t_a, 0.65)
    else:
        print("autograd is not installed: its rows are skipped")

    if _have("jax") and _have("funcad_xla"):
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        jit_x = funcad.jit(funcad.value_and_grad(complex_loss(fnp, filt), (0, 1)),
                           backend="xla")
        jx = jax.jit(jax.value_and_grad(complex_loss(jnp, jnp.asarray(filt)), (0, 1)))
        x_value, x_grads = jit_x(z, m)
        j_value, j_grads = jx(z, m)
        assert np.allclose(x_value, ref_value, rtol=1e-10)
        assert np.allclose(x_value, np.asarray(j_value), rtol=1e-10)
        assert all(np.allclose(a, b, rtol=1e-9, atol=1e-9) for a, b in zip(x_grads, ref_grads))
        assert all(np.allclose(a, np.asarray(b), rtol=1e-9, atol=1e-9)
                   for a, b in zip(x_grads, j_grads))
        t_x, t_jx = best_times_interleaved(
            [lambda: jax.block_until_ready(jit_x(z, m)), lambda: jax.block_until_ready(jx(z, m))],
            min_time=min_time)
        row("complex vg: jit(xla) vs jax.jit", t_x, t_jx, 1.05)
    else:
        print("jax is not installed: the XLA row is skipped")

    print(f"signal of {n} points, complex {ROWS}x{ROWS} @ {ROWS}x{n // ROWS}, complex128")
    table.print(40)


if __name__ == "__main__":
    main(ARGS.quick)
