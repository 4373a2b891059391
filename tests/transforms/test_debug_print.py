"""``funcad.debug.print`` prints run-time values as ``jax.debug.print`` does: eagerly, at
every call of a jitted function on both backends (never at tracing), once per example under
``vmap``, the primal values only under differentiation. Checked line for line against JAX
(float64) where JAX prints deterministically, and the passes keep the effect."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad.numpy as fnp
from funcad.ops.debugging import debug_print_p

jnp = jax.numpy
BACKENDS = ["numpy"] + (["xla"] if importlib.util.find_spec("funcad_xla") else [])


def _program(debug, xp):
    def f(x):
        debug.print("x={} s={s:.6f}", x, s=xp.sin(x).sum())
        debug.print("constant {}", 2.0)  # no traced operand: still printed at run time
        return (x ** 2).sum()
    return f


OURS = _program(funcad.debug, fnp)
THEIRS = _program(jax.debug, jnp)
X = np.arange(3.0) / 2


def _lines(capsys):
    return capsys.readouterr().out.splitlines()


def test_eager_grad_and_vmap_print_what_jax_prints(capsys):
    cases = [
        (lambda: OURS(X), lambda: THEIRS(X)),
        (lambda: funcad.grad(OURS)(X), lambda: jax.grad(THEIRS)(X)),
        (lambda: funcad.vmap(OURS)(np.stack([X, X + 1])),
         lambda: jax.vmap(THEIRS)(np.stack([X, X + 1]))),
    ]
    for ours, theirs in cases:
        ours()
        mine = _lines(capsys)
        with jax.disable_jit():
            theirs()
        jax.effects_barrier()
        assert sorted(mine) == sorted(_lines(capsys))
        assert mine  # something was printed


@pytest.mark.parametrize("backend", BACKENDS)
def test_jit_prints_at_every_call_not_at_tracing(backend, capsys):
    f = funcad.jit(OURS, backend=backend)
    funcad.make_jaxpr(OURS)(X)
    assert _lines(capsys) == []  # staging prints nothing
    for k in range(3):
        f(X + k)
        jax.effects_barrier()
        assert _lines(capsys) == [f"x={X + k} s={np.sin(X + k).sum():.6f}", "constant 2.0"]
    assert f.trace_count == 1
    # Under grad and vmap of the jitted function: primal values, once per example
    funcad.grad(f)(X)
    jax.effects_barrier()
    assert _lines(capsys) == [f"x={X} s={np.sin(X).sum():.6f}", "constant 2.0"]
    funcad.jit(funcad.vmap(f), backend=backend)(np.stack([X, X + 1]))
    jax.effects_barrier()
    # (the constant does not vary along the batch: printed once, as JAX does eagerly)
    assert _lines(capsys) == [f"x={X} s={np.sin(X).sum():.6f}",
                              f"x={X + 1} s={np.sin(X + 1).sum():.6f}", "constant 2.0"]


def test_the_passes_keep_each_print():
    """Nothing reads a print's results (it has none): DCE, CSE and folding keep it."""
    def f(x):
        funcad.debug.print("{}", x)
        funcad.debug.print("{}", x)  # the same print twice happens twice
        funcad.debug.print("{}", 1.0)
        return x
    staged = funcad.jit(f, backend="numpy").jaxpr(X)
    assert sum(e.primitive is debug_print_p for e in staged.jaxpr.eqns) == 3
    # Derivatives stay what they were.
    np.testing.assert_allclose(funcad.grad(lambda x: (f(x) ** 2).sum())(X), 2 * X)


@pytest.mark.parametrize("backend", BACKENDS)
def test_ordered_is_jax_keyword_not_a_format_field(capsys, backend):
    f = funcad.jit(lambda x: funcad.debug.print("first {}", x[0], ordered=True), backend=backend)
    f(X)
    funcad.debug.print("then {v}", v=1.5, ordered=True)
    assert _lines(capsys) == ["first 0.0", "then 1.5"]
