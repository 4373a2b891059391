"""``funcad.numpy`` indexing lowers to XLA as ``jax.numpy``'s does: the same ``gather`` and
``scatter`` operations with the same dimension numbers and slice sizes in the StableHLO of
``funcad_xla.lower`` and of ``jax.jit(...).lower`` for the same program."""
from __future__ import annotations

import re

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad_xla

X = np.arange(60.0).reshape(5, 3, 4)
I = np.array([0, 2, -1, 4])  # noqa: E741
J = np.array([1, 0, 2, 2])

PROGRAMS = {
    "x[i]": (lambda x, i, j: x[i], (X, I, J)),
    "x[:, j]": (lambda x, i, j: x[:, j], (X, I, J)),
    "x[i, j]": (lambda x, i, j: x[i, j], (X, I, J)),
    "x[i, :, j]": (lambda x, i, j: x[i, :, j], (X, I, J)),
    "x[..., i[:3], None]": (lambda x, i, j: x[..., i[:3], None], (X, I, J)),
    "x.at[i].get(mode=fill)": (lambda x, i, j: x.at[i].get(mode="fill", fill_value=-1.0),
                               (X, I, J)),
    "x.at[i].add(u)": (lambda x, i, u: x.at[i].add(u), (X, I, np.ones((4, 3, 4)))),
    "x.at[i, j].set(u)": (lambda x, i, j: x.at[i, j].set(2.0), (X, I, J)),
    "x.at[:, j].max(u)": (lambda x, i, j: x.at[:, j].max(1.0, mode="clip"), (X, I, J)),
}


def _ops(text: str) -> list[str]:
    """Each gather/scatter of a StableHLO module with its attributes (operand names cut)."""
    found = re.findall(r'"stablehlo\.(gather|scatter)"\([^)]*\)\s*<\{(.*?)\}>', text, re.S)
    return [name + " " + re.sub(r"\s+", " ", attrs) for name, attrs in found]


@pytest.mark.parametrize("name", PROGRAMS)
def test_indexing_lowers_to_jax_numpy_gather_and_scatter(name):
    fn, args = PROGRAMS[name]
    ours = _ops(funcad_xla.lower(funcad.jit(fn), *args).stablehlo_text)
    theirs = _ops(jax.jit(fn).lower(*args).as_text())
    assert len(ours) == 1, ours
    assert ours == theirs
    np.testing.assert_allclose(funcad.jit(fn, backend="xla")(*args), jax.jit(fn)(*args),
                               rtol=1e-15, atol=0)


# vmap of dynamic_slice / dynamic_update_slice with per-example starts (some negative or
# past the end) and their gradients: one window per example, in XLA's batching-dims form.
S = np.array([0, 3, -2, 11, 7])
W = np.arange(60.0).reshape(5, 12)
VMAPPED = {
    "vmap dynamic_slice": (
        lambda L, v: v(lambda r, i: L.dynamic_slice(r, (i,), (4,))), (W, S)),
    "vmap dynamic_slice, shared operand": (
        lambda L, v: v(lambda r, i: L.dynamic_slice(r, (i,), (4,)), in_axes=(None, 0)),
        (W[0], S)),
    "vmap dynamic_slice, shared start": (
        lambda L, v: v(lambda r, i: L.dynamic_slice(r, (i, 1), (4, 2))),
        (W.reshape(5, 3, 4).transpose(0, 2, 1), S)),
    "vmap dynamic_update_slice": (
        lambda L, v: v(lambda r, i: L.dynamic_update_slice(r, r[:3] * 2, (i,))), (W, S)),
    "vmap dynamic_update_slice, shared update": (
        lambda L, v: v(lambda r, i: L.dynamic_update_slice(r, np.ones(3), (i,))), (W, S)),
}


@pytest.mark.parametrize("name", VMAPPED)
def test_vmapped_dynamic_slices_lower_as_jax_vmap_does(name):
    from funcad import lax

    make, args = VMAPPED[name]
    ours_f, theirs_f = make(lax, funcad.vmap), make(jax.lax, jax.vmap)
    ours_g = funcad.grad(lambda a, *rest: (ours_f(a, *rest) ** 2).sum())
    theirs_g = jax.grad(lambda a, *rest: (theirs_f(a, *rest) ** 2).sum())
    for ours, theirs in ((ours_f, theirs_f), (ours_g, theirs_g)):
        assert (_ops(funcad_xla.lower(funcad.jit(ours), *args).stablehlo_text)
                == _ops(jax.jit(theirs).lower(*args).as_text()))
        expected = theirs(*args)
        np.testing.assert_array_equal(ours(*args), expected)
        for backend in ("numpy", "xla"):
            np.testing.assert_array_equal(funcad.jit(ours, backend=backend)(*args), expected)
