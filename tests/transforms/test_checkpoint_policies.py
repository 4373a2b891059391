"""``checkpoint(policy=)`` with ``funcad.checkpoint_policies`` and ``checkpoint_name``, as
``jax.checkpoint``: every policy gives the derivatives of the un-checkpointed function (and
JAX's), eagerly, under ``jit`` on both backends, nested, under ``vmap``, ``scan`` and
``hessian``; and each policy is really applied: the values the forward pass stores (read
from the IR) are the ones JAX's ``print_saved_residuals`` lists, and the backward pass
recomputes exactly the matrix products the policy did not store."""
from __future__ import annotations

import contextlib
import functools
import io
import re

import numpy as np
import pytest
from jax_reference import assert_close_to_jax, jax

import funcad
import funcad.numpy as fnp
from funcad import checkpoint, checkpoint_policies, grad, jit, make_jaxpr
from funcad.ad_checkpoint import checkpoint_name
from funcad.control.call import remat_p
from funcad.errors import FuncadError, FuncadTypeError
from funcad.ir import typecheck_jaxpr
from funcad.ir.core import Literal

jnp = jax.numpy
jad = pytest.importorskip("jax.ad_checkpoint")
close = functools.partial(assert_close_to_jax, rtol=1e-12, atol=1e-13)
RNG = np.random.default_rng(0)
W1, W2, X = RNG.normal(size=(5, 4)), RNG.normal(size=(3, 5)), RNG.normal(size=(4, 2))
ARGS = (W1, W2, X)


def mlp(N, name):
    def f(w1, w2, x):
        h1 = name(w1 @ x, "h1")
        h2 = name(w2 @ N.tanh(h1), "h2")
        return N.sin(N.tanh(h2)).sum()
    return f


OURS = mlp(fnp, checkpoint_name)
THEIRS = mlp(jnp, jad.checkpoint_name)

# (name, funcad policy, jax policy, matrix products recomputed in the backward pass)
POLICIES = [
    ("None", None, None, 2),
    ("nothing_saveable", checkpoint_policies.nothing_saveable,
     jax.checkpoint_policies.nothing_saveable, 2),
    ("everything_saveable", checkpoint_policies.everything_saveable,
     jax.checkpoint_policies.everything_saveable, 0),
    ("dots_saveable", checkpoint_policies.dots_saveable, jax.checkpoint_policies.dots_saveable, 0),
    ("checkpoint_dots", checkpoint_policies.checkpoint_dots,
     jax.checkpoint_policies.checkpoint_dots, 0),
    ("dots_with_no_batch_dims_saveable", checkpoint_policies.dots_with_no_batch_dims_saveable,
     jax.checkpoint_policies.dots_with_no_batch_dims_saveable, 0),
    ("save_only_these_names(h1)", checkpoint_policies.save_only_these_names("h1"),
     jax.checkpoint_policies.save_only_these_names("h1"), 1),
    ("save_only_these_names(h1,h2)", checkpoint_policies.save_only_these_names("h1", "h2"),
     jax.checkpoint_policies.save_only_these_names("h1", "h2"), 0),
    ("save_any_names_but_these(h1)", checkpoint_policies.save_any_names_but_these("h1"),
     jax.checkpoint_policies.save_any_names_but_these("h1"), 1),
    ("save_anything_except_these_names(h1)",
     checkpoint_policies.save_anything_except_these_names("h1"),
     jax.checkpoint_policies.save_anything_except_these_names("h1"), 0),
    ("save_from_both_policies", checkpoint_policies.save_from_both_policies(
        checkpoint_policies.save_only_these_names("h2"),
        checkpoint_policies.save_only_these_names("h1")),
     jax.checkpoint_policies.save_from_both_policies(
         jax.checkpoint_policies.save_only_these_names("h2"),
         jax.checkpoint_policies.save_only_these_names("h1")), 0),
]
IDS = [p[0] for p in POLICIES]


@pytest.mark.parametrize(("name", "policy", "jax_policy", "recomputed"), POLICIES, ids=IDS)
def test_every_policy_gives_the_plain_gradient_and_jax(name, policy, jax_policy, recomputed):
    g = grad(OURS, (0, 1, 2))(*ARGS)
    theirs = jax.grad(jax.checkpoint(THEIRS, policy=jax_policy), (0, 1, 2))(*ARGS)
    close(g, theirs)
    f = checkpoint(OURS, policy=policy)
    close(grad(f, (0, 1, 2))(*ARGS), g)
    for backend in ("numpy", "xla"):
        close(jit(grad(f, (0, 1, 2)), backend=backend)(*ARGS), g)
        close(grad(jit(f, backend=backend), (0, 1, 2))(*ARGS), g)
    # nested (a policy inside another), second order, vmap, scan
    outer = checkpoint(lambda w1, w2, x: f(w1, w2, x) * fnp.cos(w2).sum(),
                       policy=checkpoint_policies.dots_saveable)
    close(grad(outer, 1)(*ARGS),
          grad(lambda w1, w2, x: OURS(w1, w2, x) * fnp.cos(w2).sum(), 1)(*ARGS))
    close(funcad.hessian(f, 2)(*ARGS), funcad.hessian(OURS, 2)(*ARGS))
    xs = np.stack([X, 2 * X])
    close(funcad.vmap(grad(f), (None, None, 0))(*ARGS[:2], xs),
          funcad.vmap(grad(OURS), (None, None, 0))(*ARGS[:2], xs))

    def scanned(fn):
        def run(w1, w2, x):
            def body(c, _):
                return c + fn(w1, w2, x * c), None
            return funcad.lax.scan(body, 0.5, None, length=3)[0]
        return run
    close(grad(scanned(f), (0, 2))(*ARGS), grad(scanned(OURS), (0, 2))(*ARGS))


def _backward_remat(f):
    """The forward and the backward ``remat`` equations of ``grad(f)``'s IR."""
    jaxpr = make_jaxpr(grad(f, (0, 1, 2)))(*ARGS)
    typecheck_jaxpr(jaxpr)
    fwd, bwd = [e for e in jaxpr.jaxpr.eqns if e.primitive is remat_p]
    return fwd, bwd


def _recomputed(jaxpr, n_linear: int) -> list[str]:
    """The primitives of the equations that do not depend on the last ``n_linear`` inputs
    (the cotangents): the recomputation."""
    linear = set(jaxpr.invars[len(jaxpr.invars) - n_linear:])
    found = []
    for eqn in jaxpr.eqns:
        if any(type(x) is not Literal and x in linear for x in eqn.invars):
            linear.update(eqn.outvars)
        else:
            found.append(eqn.primitive.name)
    return found


def _stored(fwd) -> list[str]:
    """What the forward ``remat`` stores beyond the function's output, by producer."""
    inner = fwd.params["jaxpr"].jaxpr
    producer = {v: e for e in inner.eqns for v in e.outvars}
    return sorted(f"named {producer[v].params['name']}" if producer[v].primitive.name == "name"
                  else producer[v].primitive.name for v in inner.outvars[1:])


def _jax_stored(jax_policy) -> list[str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        jad.print_saved_residuals(jax.checkpoint(THEIRS, policy=jax_policy), *ARGS)
    lines = [ln for ln in out.getvalue().splitlines() if "from the argument" not in ln]
    return sorted(re.sub(r"^\S+ (output of (\S+)|named '(\w+)').*$",
                         lambda m: m.group(2) or f"named {m.group(3)}", ln) for ln in lines)


@pytest.mark.parametrize(("name", "policy", "jax_policy", "recomputed"), POLICIES, ids=IDS)
def test_the_policy_decides_what_is_stored_and_what_is_recomputed(name, policy, jax_policy,
                                                                  recomputed):
    fwd, bwd = _backward_remat(checkpoint(OURS, policy=policy))
    redo = _recomputed(bwd.params["jaxpr"].jaxpr, 1)
    assert redo.count("dot_general") == recomputed, redo
    stored = _stored(fwd)
    # the backward pass reads the three inputs, the stored values and the cotangent
    assert len(bwd.invars) == 3 + len(stored) + 1
    if "everything" in name or "except" in name:
        assert redo == []  # nothing at all is recomputed
    else:
        # Which products and names are stored is what JAX stores (for every value, the
        # residuals of tanh's and sin's derivatives differ by their rules' choices).
        assert stored == _jax_stored(jax_policy)
    if "dots" in name or "only_these_names(h1,h2)" in name:
        assert "tanh" in redo  # the rest is recomputed from the stored products
    # linearize's linear IR: a remat fed with the stored values, recomputing the same
    _, f_lin = funcad.linearize(checkpoint(OURS, policy=policy), *ARGS)
    (eqn,) = [e for e in f_lin.linear_jaxpr.jaxpr.eqns if e.primitive is remat_p]
    assert _recomputed(eqn.params["jaxpr"].jaxpr, 3).count("dot_general") == recomputed


def test_batched_products_and_no_batch_dims():
    """``dots_with_no_batch_dims_saveable`` stores a plain product but not a batched one,
    ``dots_saveable`` both (JAX lists the same)."""
    a, b, c = RNG.normal(size=(2, 3, 3)), RNG.normal(size=(2, 3, 4)), RNG.normal(size=(4, 5))

    def make(N):
        def f(a, b, c):
            return N.sin(N.tanh(N.einsum("bij,bjk->bik", a, b)) @ c).sum()
        return f

    for ours, theirs, n_dots in [
        (checkpoint_policies.dots_saveable, jax.checkpoint_policies.dots_saveable, 2),
        (checkpoint_policies.dots_with_no_batch_dims_saveable,
         jax.checkpoint_policies.dots_with_no_batch_dims_saveable, 1),
    ]:
        f = checkpoint(make(fnp), policy=ours)
        jaxpr = make_jaxpr(grad(f, (0, 1, 2)))(a, b, c)
        fwd = next(e for e in jaxpr.jaxpr.eqns if e.primitive is remat_p)
        inner = fwd.params["jaxpr"].jaxpr
        producer = {v: e for e in inner.eqns for v in e.outvars}
        stored = [producer[v].primitive.name for v in inner.outvars[1:]]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            jad.print_saved_residuals(jax.checkpoint(make(jnp), policy=theirs),
                                                    a, b, c)
        assert stored.count("dot_general") == out.getvalue().count("dot_general") == n_dots
        close(grad(f, (0, 1, 2))(a, b, c),
              jax.grad(jax.checkpoint(make(jnp), policy=theirs), (0, 1, 2))(a, b, c))


def test_checkpoint_name_is_an_identity_that_transforms():
    x = np.array([0.5, -1.0])
    np.testing.assert_array_equal(checkpoint_name(x, "a"), x)
    tree = checkpoint_name({"p": x, "q": (x, 2 * x)}, "t")
    np.testing.assert_array_equal(tree["q"][1], 2 * x)
    close(grad(lambda v: (checkpoint_name(v, "a") ** 2).sum())(x), 2 * x)
    close(funcad.vmap(lambda v: checkpoint_name(v, "a") * 2)(np.stack([x, x])), 2 * np.stack([x, x]))
    close(funcad.linear_transpose(lambda v: checkpoint_name(v, "a"), x)(x), (x,))
    close(jit(lambda v: checkpoint_name(v, "a") + 1, backend="xla")(x), x + 1)


def test_policy_errors():
    with pytest.raises(FuncadTypeError, match="policy must be None or a hashable callable"):
        checkpoint(OURS, policy="dots")

    class Unhashable:
        __hash__ = None

        def __call__(self, *args, **params):
            return True
    with pytest.raises(FuncadTypeError, match="got Unhashable"):
        checkpoint(OURS, policy=Unhashable())
    off = checkpoint(OURS, policy=checkpoint_policies.offload_dot_with_no_batch_dims)
    with pytest.raises(FuncadError, match="offload_dot_with_no_batch_dims"):
        grad(off)(*ARGS)


@pytest.mark.parametrize(("name", "policy", "jax_policy", "recomputed"), POLICIES, ids=IDS)
def test_print_saved_residuals_lists_what_jax_lists(name, policy, jax_policy, recomputed,
                                                    capsys):
    """Line for line (JAX's source locations aside), where the policy decides; with
    ``everything`` the residuals of tanh's and sin's derivatives are each library's own."""
    funcad.ad_checkpoint.print_saved_residuals(checkpoint(OURS, policy=policy), *ARGS)
    ours = capsys.readouterr().out.splitlines()
    jad.print_saved_residuals(jax.checkpoint(THEIRS, policy=jax_policy), *ARGS)
    theirs = [re.sub(r" from /.*$", "", ln) for ln in capsys.readouterr().out.splitlines()]
    if "everything" in name or "except" in name:
        assert ours[:3] == theirs[:3] and len(ours) > 3
    else:
        assert sorted(ours) == sorted(theirs)
    stored = funcad.ad_checkpoint.saved_residuals(checkpoint(OURS, policy=policy), *ARGS)
    assert [f"{a.str_short()} {where}" for a, where in stored] == ours


def test_xla_gets_the_recomputation_behind_a_barrier():
    """The module handed to XLA keeps the backward pass's recomputation (the products a
    policy does not store) apart from the forward pass: an optimization barrier on the
    inputs of each ``remat``, as JAX lowers ``prevent_cse``."""
    funcad_xla = pytest.importorskip("funcad_xla")
    for policy, n_dots in [(None, 2 + 2 + 4), (checkpoint_policies.dots_saveable, 2 + 4)]:
        g = jit(funcad.value_and_grad(checkpoint(OURS, policy=policy), (0, 1, 2)),
                backend="xla")
        text = funcad_xla.lower(g, *ARGS).stablehlo_text
        assert text.count("optimization_barrier") >= 1
        assert text.count("dot_general") == n_dots
        close(g(*ARGS), funcad.value_and_grad(OURS, (0, 1, 2))(*ARGS))
