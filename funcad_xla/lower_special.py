"""Lowerings of funcad's special-function primitives (``funcad.ops.special``) to
``jax.lax``; ``erfcx``, ``ndtri`` and ``log_ndtr`` (no ``lax`` operation) to
``jax.scipy.special``; ``gammaincinv``, ``betaincinv``, ``poisson_ppf`` and the derivatives
of ``betainc`` in ``a`` and ``b``, which jax lacks, to a host callback of the NumPy kernel
(``jax.pure_callback``)."""
from __future__ import annotations

import jax
import jax.scipy.special as jsp
import numpy as np
from jax import lax

from funcad.ops import special as sp
from funcad.ops._betainc_kernels import betainc_grads
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
    sp.igamma_grad_a_p: lax.igamma_grad_a,
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


def _betainc_grad_callback(which: int):
    """The derivatives of ``betainc`` in its shape parameters (funcad's own kernel; jax has
    none), on the host."""

    def lowering(a, b, x):
        def host(*xs):
            return np.asarray(betainc_grads(*xs)[which], xs[0].dtype)

        result = jax.ShapeDtypeStruct(a.shape, a.dtype)
        return jax.pure_callback(host, result, a, b, x, vmap_method="broadcast_all")

    return lowering


register_lowerings({
    sp.betainc_grad_a_p: _betainc_grad_callback(0),
    sp.betainc_grad_b_p: _betainc_grad_callback(1),
    sp.gammaincinv_p: _scipy_callback("gammaincinv"),
    sp.betaincinv_p: _scipy_callback("betaincinv"),
    sp.poisson_ppf_p: _scipy_callback("poisson.ppf", "stats"),
})
