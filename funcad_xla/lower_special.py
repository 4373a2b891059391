"""Lowerings of funcad's special-function primitives (``funcad.ops.special``) to
``jax.lax`` and, for the two without a ``lax`` operation (``ndtri``, ``log_ndtr``), to
``jax.scipy.special``."""
from __future__ import annotations

import jax.scipy.special as jsp
from jax import lax

from funcad.ops import special as sp
from funcad_xla.rules import register_lowerings

register_lowerings({
    sp.lgamma_p: lax.lgamma,
    sp.digamma_p: lax.digamma,
    sp.polygamma_p: lax.polygamma,
    sp.erfc_p: lax.erfc,
    sp.erf_inv_p: lax.erf_inv,
    sp.igamma_p: lax.igamma,
    sp.igammac_p: lax.igammac,
    sp.igamma_grad_a_p: lax.igamma_grad_a,
    sp.betainc_p: lax.betainc,
    sp.ndtri_p: jsp.ndtri,
    sp.log_ndtr_p: jsp.log_ndtr,
    sp.bessel_i0e_p: lax.bessel_i0e,
    sp.bessel_i1e_p: lax.bessel_i1e,
})
