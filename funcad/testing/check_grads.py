"""``check_grads``: compare every derivative up to ``order`` with finite differences.

Forward mode is checked against central differences along random directions (for complex
inputs, separately along real and along imaginary directions); reverse mode against forward
mode by the dot-product identity ⟨vjp(u), v⟩ = ⟨u, jvp(v)⟩, where ⟨a, b⟩ = Re Σ a·b: JAX's
convention, under which the VJP of a complex-linear map is its plain (unconjugated)
transpose. Higher orders recurse on the derivative functions themselves.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from funcad.ad import jvp, vjp
from funcad.core.dtypes import is_inexact
from funcad.testing.finite_differences import default_eps, numerical_jvp
from funcad.tree_util import tree_leaves, tree_map


def _bits(dtype) -> int:
    """Precision class of an inexact dtype (a complex dtype counts as its parts)."""
    return np.finfo(dtype).bits


def _tolerance(dtype, given: float | None) -> float:
    if given is not None:
        return given
    return 1e-5 if _bits(dtype) >= 64 else 2e-2


def _random_like(rng: np.random.Generator, tree):
    def draw(x):
        x = np.asarray(x)
        if not is_inexact(x.dtype):
            return np.zeros(x.shape, x.dtype)
        if x.dtype.kind == "c":
            return np.asarray(rng.standard_normal(x.shape) + 1j * rng.standard_normal(x.shape),
                              dtype=x.dtype)
        return np.asarray(rng.standard_normal(x.shape), dtype=x.dtype)

    return tree_map(draw, tree)


def _wide(x) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype.kind == "V":  # float0: the (co)tangent of an integer value, zero
        return np.zeros(x.shape)
    return x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)


def _inner(xs, ys) -> float:
    """Re Σ x·y over the leaves: no conjugation (see the module docstring)."""
    return float(sum(np.real(np.sum(_wide(x) * _wide(y)))
                     for x, y in zip(tree_leaves(xs), tree_leaves(ys))))


def _directions(tangents) -> list:
    """The tangents themselves; or, if some leaf is complex, their real parts and then their
    imaginary parts (times i), so that both kinds of direction are checked on their own."""
    leaves = tree_leaves(tangents)
    if not any(np.asarray(t).dtype.kind == "c" for t in leaves):
        return [tangents]

    def part(which):
        def pick(t):
            t = np.asarray(t)
            if t.dtype.kind != "c":
                return t if which == "real" else np.zeros_like(t)
            return (t.real + 0j if which == "real" else 1j * t.imag).astype(t.dtype)

        return tree_map(pick, tangents)

    return [part("real"), part("imag")]


def _assert_close(actual, expected, atol, rtol, what: str):
    a_leaves, e_leaves = tree_leaves(actual), tree_leaves(expected)
    assert len(a_leaves) == len(e_leaves), f"{what}: {len(a_leaves)} vs {len(e_leaves)} outputs"
    for i, (a, e) in enumerate(zip(a_leaves, e_leaves)):
        a, e = _wide(a), _wide(e)
        assert a.shape == e.shape, f"{what}: output {i} shape {a.shape} vs {e.shape}"
        err = np.abs(a - e) - (atol + rtol * np.abs(e))
        if a.size and (np.any(err > 0) or np.any(np.isnan(a) != np.isnan(e))):
            k = np.unravel_index(int(np.nanargmax(np.where(np.isnan(err), np.inf, err))), a.shape)
            raise AssertionError(
                f"{what}: output {i} differs at index {tuple(int(j) for j in k)}: "
                f"{a[k]!r} vs {e[k]!r} (abs err {abs(a[k] - e[k]):.3g}, atol={atol:g}, "
                f"rtol={rtol:g}); worst of {a.size} elements"
            )


def check_jvp(fun: Callable, args, atol=None, rtol=None, eps=None, rng=None):
    rng = rng or np.random.default_rng(0)
    dtype = _dtype_of(args)
    eps = eps or default_eps(dtype)
    for tangents in _directions(_random_like(rng, tuple(args))):
        _, t_out = jvp(fun, tuple(args), tangents)
        t_num = numerical_jvp(fun, tuple(args), tangents, eps)
        tol = _tolerance(dtype, atol)
        _assert_close(t_out, t_num, tol, _tolerance(dtype, rtol), "JVP vs central differences")


def check_vjp(fun: Callable, args, atol=None, rtol=None, eps=None, rng=None):
    rng = rng or np.random.default_rng(1)
    dtype = _dtype_of(args)
    out, pullback = vjp(fun, *args)
    tangents = _random_like(rng, tuple(args))
    cotangent = _random_like(rng, out)
    ct_in = pullback(cotangent)
    _, t_out = jvp(fun, tuple(args), tangents)
    lhs, rhs = _inner(ct_in, tangents), _inner(cotangent, t_out)
    tol = _tolerance(dtype, atol) + _tolerance(dtype, rtol) * max(abs(lhs), abs(rhs))
    if not abs(lhs - rhs) <= tol:
        raise AssertionError(
            f"VJP vs JVP: <vjp(u), v> = {lhs!r} but <u, jvp(v)> = {rhs!r} "
            f"(difference {abs(lhs - rhs):.3g} > tolerance {tol:.3g})"
        )


def _dtype_of(args):
    floats = [np.asarray(x).dtype for x in tree_leaves(tuple(args))
              if is_inexact(np.asarray(x).dtype)]
    return min(floats, key=_bits) if floats else np.dtype(np.float64)


def check_grads(fun: Callable, args, order: int = 1, modes: Sequence[str] = ("fwd", "rev"),
                atol=None, rtol=None, eps=None) -> None:
    """Raise ``AssertionError`` (naming the worst element) if a derivative of ``fun`` at
    ``args`` up to ``order`` disagrees with finite differences."""
    args = tuple(args)
    modes = tuple(modes)
    for m in modes:
        if m not in ("fwd", "rev"):
            raise ValueError(f"check_grads: unknown mode {m!r}; use 'fwd' and/or 'rev'")
    rng = np.random.default_rng(0)
    if "fwd" in modes:
        check_jvp(fun, args, atol, rtol, eps, rng)
        if order > 1:
            tangents = _random_like(rng, args)

            def fwd_derivative(*primals):
                return jvp(fun, primals, tangents)[1]

            check_grads(fwd_derivative, args, order - 1, ("fwd",), atol, rtol, eps)
    if "rev" in modes:
        check_vjp(fun, args, atol, rtol, eps, rng)
        if order > 1:
            cotangent = _random_like(rng, fun(*args))

            def rev_derivative(*primals):
                return vjp(fun, *primals)[1](cotangent)

            check_grads(rev_derivative, args, order - 1, ("rev",), atol, rtol, eps)


__all__ = ["check_grads", "check_jvp", "check_vjp"]
