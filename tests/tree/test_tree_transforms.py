"""Registered classes and ``Partial`` as arguments and results of every transform (``jit``
on both backends, ``grad``, ``vmap``, ``jacfwd``/``jacrev``, ``scan`` carries): each program
is written once against a library namespace and run with funcad and with JAX (float64)."""
from __future__ import annotations

import importlib.util
import types

import numpy as np
import pytest
from jax_reference import assert_close_to_jax, jax
from tree_twins import define

import funcad
import funcad.numpy as fnp
import funcad.tree as ftree
from funcad import tree_util as ftu

jnp = jax.numpy
OURS, THEIRS = define(ftu, ftree), define(jax.tree_util, jax.tree)
FUNCAD = types.SimpleNamespace(np=fnp, tu=ftu, cls=OURS, jit=funcad.jit, grad=funcad.grad,
                               vmap=funcad.vmap, jacfwd=funcad.jacfwd, jacrev=funcad.jacrev,
                               scan=funcad.lax.scan)
JAX = types.SimpleNamespace(np=jnp, tu=jax.tree_util, cls=THEIRS, jit=jax.jit, grad=jax.grad,
                            vmap=jax.vmap, jacfwd=jax.jacfwd, jacrev=jax.jacrev,
                            scan=jax.lax.scan)
BACKENDS = ["numpy"] + (["xla"] if importlib.util.find_spec("funcad_xla") else [])
W = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
B = np.array([0.5, -0.25])
X = np.linspace(0.2, 1.4, 3)


def _model(lib, params, cfg, x):
    """A layer whose activation is chosen by static data (Params.act, a Config)."""
    act = lib.np.tanh if params.act == "tanh" else lib.np.sin
    y = act(params.w @ x + params.b)
    return y * cfg.depth


def _loss(lib, params, cfg, x):
    return lib.np.sum(_model(lib, params, cfg, x) ** 2)


def _params(lib, act="tanh"):
    return lib.cls.Params(w=W, b=B, act=act)


def _jit(lib, backend):
    return lib.jit if lib is JAX else (lambda f: funcad.jit(f, backend=backend))


def _run_both(program):
    ours, theirs = program(FUNCAD), program(JAX)
    assert repr(ftu.tree_structure(ours)) == repr(jax.tree_util.tree_structure(theirs))
    assert_close_to_jax(ours, theirs, rtol=1e-12, atol=1e-12)
    return ours


@pytest.mark.parametrize("backend", BACKENDS)
def test_jit_takes_and_returns_registered_classes(backend):
    def program(lib):
        @_jit(lib, backend)
        def step(params, cfg, pair, x):
            out = _model(lib, params, cfg, x)
            new = lib.cls.Params(w=params.w * 0.5, b=out, act=params.act)
            return new, lib.cls.Pair(pair.b, pair.a, tag=pair.tag), lib.cls.Explicit(
                x=out[0], n=cfg.depth, y=[out[1], x])

        cfg = lib.cls.Config("c", 2)
        first = step(_params(lib), cfg, lib.cls.Pair(X, 1.0, tag="t"), X)
        second = step(_params(lib, "sin"), lib.cls.Config("d", 3), lib.cls.Pair(X, 2.0), X)
        return first, second

    first, second = _run_both(program)
    assert first[0].act == "tanh" and second[0].act == "sin" and first[1].tag == "t"


def test_grad_with_respect_to_a_dataclass_and_a_node_class():
    def program(lib):
        cfg = lib.cls.Config("c", 2)
        g_params = lib.grad(lambda p: _loss(lib, p, cfg, X))(_params(lib))
        g_pair = lib.grad(lambda pr: lib.np.sum(pr.a * pr.b ** 2))(lib.cls.Pair(X, 2.0 * X))
        g_keyed = lib.grad(lambda k: lib.np.sum(k.left * lib.np.sin(k.right[0])))(
            lib.cls.Keyed(X, [X + 1.0]))
        return g_params, g_pair, g_keyed

    g_params, g_pair, _ = _run_both(program)
    assert isinstance(g_params, OURS.Params) and g_params.act == "tanh"
    assert isinstance(g_pair, OURS.Pair)


def test_vmap_over_registered_classes_in_and_out():
    def program(lib):
        ws = np.stack([W, 2 * W, -W, 0.5 * W])
        bs = np.stack([B, B + 1, B - 1, 0 * B])
        batched = lib.cls.Params(w=ws, b=bs)
        cfg = lib.cls.Config("c", 2)
        out = lib.vmap(lambda p: lib.cls.Pair(_model(lib, p, cfg, X), p.b, tag="v"))(batched)
        other = lib.vmap(lambda p, x: _loss(lib, p, cfg, x), in_axes=(None, 0))(
            _params(lib), np.stack([X, 2 * X]))
        return out, other

    out, _ = _run_both(program)
    assert out.tag == "v" and out.a.shape == (4, 2)


def test_jacobians_between_registered_classes():
    def program(lib):
        def f(pair):
            return lib.cls.Params(w=lib.np.sin(pair.a) * pair.b[0], b=pair.a ** 2, act="sin")

        pair = lib.cls.Pair(X, (1.5, 2.0))
        return lib.jacfwd(f)(pair), lib.jacrev(f)(pair)

    fwd, rev = _run_both(program)
    assert isinstance(fwd, OURS.Params) and isinstance(fwd.w, OURS.Pair)
    assert ftu.tree_structure(fwd) == ftu.tree_structure(rev)
    ftu.tree_map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12), fwd, rev)


@pytest.mark.parametrize("backend", BACKENDS)
def test_scan_carries_a_dataclass(backend):
    def program(lib):
        cfg = lib.cls.Config("c", 1)

        def body(carry, x):
            y = _model(lib, carry, cfg, x)
            return lib.cls.Params(w=carry.w * 0.9, b=carry.b + y, act=carry.act), lib.np.sum(y)

        run = _jit(lib, backend)(lambda p, xs: lib.scan(body, p, xs))
        return run(_params(lib), np.stack([X, X * 0.5, -X]))

    carry, _ = _run_both(program)
    assert isinstance(carry, OURS.Params)


def _affine(a, x, b):
    return a * x + b


@pytest.mark.parametrize("backend", BACKENDS)
def test_partial_passes_through_jit_grad_vmap(backend):
    def program(lib):
        p = lib.tu.Partial(_affine, 2.0 * X, b=0.5)
        applied = _jit(lib, backend)(lambda f, x: f(x))(p, X)
        returned = _jit(lib, backend)(lambda a: lib.tu.Partial(_affine, a * 2.0, b=a))(X)
        g = lib.grad(lambda f: lib.np.sum(f(X) ** 2))(p)
        batched = lib.vmap(lambda f: f(X))(lib.tu.Partial(_affine, np.stack([X, -X]),
                                                          b=np.array([1.0, 2.0])))
        return applied, returned.args, returned.keywords, g, batched

    out = _run_both(program)
    assert isinstance(out[3], ftu.Partial) and out[3].func is _affine


def test_static_values_retrace_and_drive_python_control_flow():
    traces = []

    @funcad.jit
    def f(cfg, x):
        traces.append(cfg)
        return x * cfg.depth if cfg.name == "mul" else x + cfg.depth

    assert f(OURS.Config("mul", 3), 2.0) == 6.0
    assert f(OURS.Config("add", 3), 2.0) == 5.0
    assert f(OURS.Config("mul", 3), 4.0) == 12.0
    assert len(traces) == 2
