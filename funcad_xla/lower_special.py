"""Lowerings of funcad's special-function primitives (``funcad.ops.special``) to
``jax.lax``; ``erfcx``, ``ndtri`` and ``log_ndtr`` (no ``lax`` operation) to
``jax.scipy.special``; ``gammaincinv``, ``betaincinv``, ``poisson_ppf``, the derivatives
of ``betainc`` in ``a`` and ``b`` and those of ``igamma`` in ``a`` beyond the first, which
jax lacks, to a host callback of the NumPy kernel (``jax.pure_callback``)."""
from __future__ import annotations

import jax
import jax.scipy.special as jsp
import numpy as np
from jax import lax

from funcad.ops import special as sp
from funcad.ops._betainc_kernels import betainc_dab
from funcad.ops._igamma_kernels import igamma_da
from funcad_xla.rules import register_lowerings

register_lowerings({
    sp.lgamma_p: lax.lgamma,
    sp.digamma_p: lax.digamma,
    sp.polygamma_p: lax.polygamma,
    sp.erfc_p: lax.erfc,
    sp.erf_inv_p: lax.erf_inv,
    sp.erfcx_p: jsp.erfcx,
    sp.igamma_p: lax.igamma,
    sp.igammac_p: lax.igammac,
    sp.betainc_p: lax.betainc,
    sp.ndtri_p: jsp.ndtri,
    sp.log_ndtr_p: jsp.log_ndtr,
    sp.bessel_i0e_p: lax.bessel_i0e,
    sp.bessel_i1e_p: lax.bessel_i1e,
})


def _scipy_callback(name: str, module: str = "special"):
    """A lowering that calls ``scipy.<module>.<name>`` on the host (``jax`` has no such
    operation): the same kernel as the NumPy backend, inside the compiled program."""

    def lowering(*args):
        def host(*xs):
            import importlib

            fn = importlib.import_module(f"scipy.{module}")
            for part in name.split("."):
                fn = getattr(fn, part)
            return np.asarray(fn(*xs), xs[0].dtype)

        result = jax.ShapeDtypeStruct(args[0].shape, args[0].dtype)
        return jax.pure_callback(host, result, *args, vmap_method="broadcast_all")

    return lowering


def _kernel_callback(kernel, *args, derivs):
    """funcad's own kernel of a shape derivative (``kernel(*operands, derivs)``), on the
    host."""

    def host(*xs):
        xs = [np.asarray(v) for v in xs]
        return np.asarray(kernel(*xs, derivs), xs[0].dtype)

    result = jax.ShapeDtypeStruct(args[0].shape, args[0].dtype)
    return jax.pure_callback(host, result, *args, vmap_method="broadcast_all")


def _igamma_da(a, x, *, derivs):
    if derivs == 1:
        return lax.igamma_grad_a(a, x)
    return _kernel_callback(igamma_da, a, x, derivs=derivs)


register_lowerings({
    sp.igamma_da_p: _igamma_da,
    sp.betainc_dab_p: lambda a, b, x, *, derivs: _kernel_callback(betainc_dab, a, b, x,
                                                                  derivs=derivs),
    sp.gammaincinv_p: _scipy_callback("gammaincinv"),
    sp.betaincinv_p: _scipy_callback("betaincinv"),
    sp.poisson_ppf_p: _scipy_callback("poisson.ppf", "stats"),
})
