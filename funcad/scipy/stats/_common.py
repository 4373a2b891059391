"""Helpers shared by the distributions: SciPy's argument handling (promotion to one inexact
dtype and one broadcast shape), the ``loc``/``scale`` standardization, and NaN where a
parameter is out of its domain (as SciPy returns)."""
from __future__ import annotations

import funcad.numpy as fnp
from funcad.numpy._core import promote_args_inexact


def promote(fname: str, *args) -> list:
    """The arguments as arrays of one inexact dtype, broadcast to one shape."""
    return promote_args_inexact(f"funcad.scipy.stats.{fname}", *args)


def nan_unless(ok, value):
    """``value`` where ``ok``, NaN elsewhere (SciPy's answer for invalid parameters)."""
    return fnp.where(ok, value, fnp.full_like(value, fnp.nan))


def standardize(fname: str, x, loc, scale, *params):
    """``(z, scale, *params)`` with ``z = (x - loc) / scale`` after promotion."""
    x, loc, scale, *params = promote(fname, x, loc, scale, *params)
    return ((x - loc) / scale, scale, *params)


def log_scaled(logpdf_std, scale):
    """The log-density of ``loc + scale * Z`` from that of ``Z`` at the standardized point;
    NaN for ``scale <= 0``."""
    return nan_unless(scale > 0, logpdf_std - fnp.log(scale))


def positive_scale(value, scale):
    return nan_unless(scale > 0, value)


def from_quantile(q, loc, scale, z):
    """``loc + scale * z``, NaN outside ``0 <= q <= 1`` or for ``scale <= 0``."""
    return nan_unless((scale > 0) & (q >= 0) & (q <= 1), loc + scale * z)


def log_probability(p, complement):
    """``log(p)`` given ``p`` and ``1 - p`` (both computed directly): ``log1p(-(1 - p))``
    where ``p > 1/2``, so a probability next to 1 keeps its small logarithm's digits."""
    big = p > 0.5
    return fnp.where(big, fnp.log1p(-fnp.where(big, complement, 0.0)),
                     fnp.log(fnp.where(big, 0.5, p)))


def clip_to_support(z, lo=0.0, hi=None):
    """``z`` clipped to ``[lo, hi]``, with derivative 1 on the closed interval (at a bound,
    the derivative from inside the support; ``clip`` would split it at the tie)."""
    inside = z >= lo if hi is None else (z >= lo) & (z <= hi)
    low = fnp.full_like(z, lo)
    outside = low if hi is None else fnp.where(z < lo, low, fnp.full_like(z, hi))
    return fnp.where(inside, z, outside)
