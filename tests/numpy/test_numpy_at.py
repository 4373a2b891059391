"""The ``.at`` matrix against JAX (float64): every method x every mode x index kinds
(duplicates, out-of-bounds and negative integers, slices, integer scalars, traced indices)
x eager / grad / vmap / jit (numpy and xla backends). The same program runs on both: ``.at``
has one spelling."""
from __future__ import annotations

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad.numpy as fnp
from funcad.numpy._at import EagerArray
from funcad.testing import check_grads

jnp = jax.numpy

MODES = (None, "clip", "drop", "fill", "promise_in_bounds")
UPDATES = ("set", "add", "subtract", "multiply", "divide", "power", "min", "max")
SHAPE = (5, 3)

# (name, index, shape of the updates): each has repeats or out-of-bounds entries but one.
INDICES = [
    ("dup-oob-rows", np.array([0, 7, -1, -7, 2, 2]), (6, 3)),
    ("pairs", (np.array([1, 5, 1, 4]), np.array([0, 2, 0, -4])), (4,)),
    ("int-oob", 7, (3,)),
    ("int-neg", -2, (3,)),
    ("slice-int", (slice(1, 4), -1), (3,)),
    ("slice-array", (slice(None), np.array([2, 2, 0, 3])), (5, 4)),
    ("ellipsis-none", (Ellipsis, None, np.array([[1], [-1]])), (5, 1, 2, 1)),
]
OUT_OF_BOUNDS = ("dup-oob-rows", "pairs", "int-oob", "slice-array")


def _args(rng, ushape):
    # Small integers as floats: min/max meet ties, divide and power stay finite.
    x = rng.integers(1, 4, SHAPE).astype(np.float64)
    u = rng.integers(1, 4, ushape).astype(np.float64)
    return x, u


def _program(method, idx, mode):
    def f(x, u):
        x = x if hasattr(x, "at") else fnp.asarray(x)
        return getattr(x.at[idx], method)(u, mode=mode)
    return f


def _clamped(idx, shape):
    """``idx`` with JAX's ``"clip"`` applied in NumPy: negatives from the end, then clamped."""
    items = list(idx) if isinstance(idx, tuple) else [idx]
    out, axis = [], 0
    for item in items:
        if item is None:
            out.append(item)
            continue
        if item is Ellipsis:
            axis += len(shape) - sum(i is not None and i is not Ellipsis for i in items)
            out.append(item)
            continue
        if not isinstance(item, slice):
            n = shape[axis]
            item = np.asarray(item)
            item = np.clip(np.where(item < 0, item + n, item), 0, n - 1)
        out.append(item)
        axis += 1
    return tuple(out)


def _reference_grad(method, idx, mode, x, u, w):
    """JAX's gradient; for ``"clip"`` that of the same update at the indices clamped in
    NumPy (JAX's own min/max JVP gathers out-of-bounds indices without clamping)."""
    if mode == "clip":
        idx, mode = _clamped(idx, SHAPE), None
    f = _program(method, idx, mode)
    return jax.grad(lambda x, u: jnp.sum(f(x, u) * w), argnums=(0, 1))(_asj(x), _asj(u))


def _asj(a):
    return jnp.asarray(np.asarray(a))


def _check(ours, theirs, what):
    ours = np.asarray(ours)
    theirs = np.asarray(theirs)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, what
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12, equal_nan=True,
                               err_msg=what)


def _weights(shape):
    return np.linspace(0.5, 1.5, int(np.prod(shape))).reshape(shape)


@pytest.mark.parametrize("method", UPDATES)
def test_update_methods_match_jax(method):
    rng = np.random.default_rng(0)
    for name, idx, ushape in INDICES:
        for mode in MODES:
            what = f"{method} {name} mode={mode}"
            x, u = _args(rng, ushape)
            f = _program(method, idx, mode)
            expected = f(_asj(x), _asj(u))
            got = f(fnp.asarray(x), u)
            assert isinstance(got, EagerArray), what
            _check(got, expected, what + " eager")
            _check(funcad.jit(f, backend="numpy")(x, u), expected, what + " jit(numpy)")
            w = _weights(expected.shape)
            if mode == "promise_in_bounds" and name in OUT_OF_BOUNDS:
                continue  # JAX: "gradients will not be correct if indices are out-of-bounds"

            def loss(x, u, f=f, w=w, ns=fnp):
                return ns.sum(f(x, u) * w)

            g = funcad.grad(loss, argnums=(0, 1))(x, u)
            try:
                gj = _reference_grad(method, idx, mode, x, u, w)
            except NotImplementedError:  # JAX: scatter_mul's gradient needs unique indices
                check_grads(lambda x, u, f=f: f(fnp.asarray(x), u), (x, u), order=2)
                gj = g
            for i in range(2):
                assert type(g[i]) is np.ndarray, what
                _check(g[i], gj[i], f"{what} grad arg {i}")
            xs = np.stack([x, x + 1.0, 2.0 * x])
            us = np.stack([u, u + 2.0, u])
            _check(funcad.vmap(f)(xs, us), jax.vmap(f)(_asj(xs), _asj(us)), what + " vmap")


@pytest.mark.parametrize("mode", MODES)
def test_update_methods_under_xla_match_jax(mode):
    """Value and gradient in one XLA program per case (one compilation), against JAX."""
    rng = np.random.default_rng(1)
    for method in UPDATES:
        for name, idx, ushape in INDICES[:3]:
            what = f"{method} {name} mode={mode}"
            x, u = _args(rng, ushape)
            f = _program(method, idx, mode)
            expected = f(_asj(x), _asj(u))
            w = 2 * np.asarray(expected)

            def both(x, u, f=f, w=w):
                return f(x, u), funcad.grad(lambda x, u: fnp.sum(f(x, u) * w), (0, 1))(x, u)

            out, grads = funcad.jit(both, backend="xla")(x, u)
            _check(out, expected, what + " jit(xla)")
            if mode == "promise_in_bounds" and name in OUT_OF_BOUNDS:
                continue
            try:
                gj = _reference_grad(method, idx, mode, x, u, w)
            except NotImplementedError:  # JAX: scatter_mul's gradient needs unique indices
                gj = funcad.grad(lambda x, u, f=f, w=w: fnp.sum(f(x, u) * w), (0, 1))(x, u)
            for a, b in zip(grads, gj):
                _check(a, b, what + " jit(xla) grad")


@pytest.mark.parametrize("mode", MODES)
def test_get_matches_jax(mode):
    rng = np.random.default_rng(2)
    for name, idx, _ in INDICES:
        for fill in (None, -3.5):
            what = f"get {name} mode={mode} fill={fill}"
            x, _ = _args(rng, (1,))

            def f(x, idx=idx, fill=fill):
                x = x if hasattr(x, "at") else fnp.asarray(x)
                return x.at[idx].get(mode=mode, fill_value=fill)

            expected = f(_asj(x))
            _check(f(fnp.asarray(x)), expected, what + " eager")
            _check(funcad.jit(f, backend="numpy")(x), expected, what + " jit(numpy)")
            _check(funcad.jit(f, backend="xla")(x), expected, what + " jit(xla)")
            w = _weights(expected.shape)
            if mode in (None, "promise_in_bounds") and name in OUT_OF_BOUNDS:
                # JAX's default read promises in-bounds indices (its transpose drops the
                # clamped reads): ours is checked against finite differences instead.
                check_grads(lambda x, f=f: f(fnp.asarray(x)), (x,), order=2)
                continue
            g = funcad.grad(lambda x, f=f, w=w: fnp.sum(fnp.where(fnp.isnan(f(x)), 0, f(x)) * w))
            gj = jax.grad(lambda x, f=f, w=w: jnp.sum(jnp.where(jnp.isnan(f(x)), 0, f(x)) * w))
            _check(g(x), gj(_asj(x)), what + " grad")
            xs = np.stack([x, -x])
            _check(funcad.vmap(f)(xs), jax.vmap(f)(_asj(xs)), what + " vmap")


def test_integer_arrays_and_fill_values_match_jax():
    x = np.arange(15, dtype=np.int32).reshape(5, 3) % 4
    u = np.array([[1, 2, 3]] * 6, np.int32)
    idx = np.array([0, 7, -1, -7, 2, 2])
    for method in ("set", "add", "multiply", "min", "max", "subtract", "power"):
        for mode in MODES:
            f = _program(method, idx, mode)
            expected = f(_asj(x), _asj(u))
            _check(f(fnp.asarray(x), u), expected, f"int {method} {mode}")
            _check(funcad.jit(f, backend="xla")(x, u), expected, f"int {method} {mode} xla")
    for dt in (np.int32, np.uint8, np.bool_, np.float32):
        xd = np.ones((4,), dt)
        got = fnp.asarray(xd).at[np.array([1, 9])].get(mode="fill")
        _check(got, _asj(xd).at[np.array([1, 9])].get(mode="fill"), f"fill of {dt}")
    # NumPy's true division of int32 gives float64 (JAX's float32): values compared.
    _check(fnp.asarray(x).at[idx].divide(2),
           np.asarray(_asj(x).at[idx].divide(2), np.float64), "int divide")


@pytest.mark.parametrize("mode", MODES)
def test_traced_indices_match_jax(mode):
    """Indices that are arguments of the transform (jit, grad, vmap over the indices)."""
    rng = np.random.default_rng(3)
    i = np.array([0, 7, -1, -7, 2, 2])
    for method in UPDATES:
        x, u = _args(rng, (6, 3))

        def f(x, u, i, method=method):
            x = x if hasattr(x, "at") else fnp.asarray(x)
            return getattr(x.at[i], method)(u, mode=mode)

        expected = f(_asj(x), _asj(u), _asj(i))
        what = f"{method} traced mode={mode}"
        _check(funcad.jit(f, backend="numpy")(x, u, i), expected, what + " jit(numpy)")
        _check(funcad.jit(f, backend="xla")(x, u, i), expected, what + " jit(xla)")
        # multiply/divide/power: with traced indices neither JAX nor funcad differentiates
        # in the updates (repeats are unknown); both do in the operand.
        argnums = (0,) if method in ("multiply", "divide", "power") else (0, 1)
        if mode != "promise_in_bounds":  # JAX: no correct gradients out of bounds
            g = funcad.jit(funcad.grad(lambda x, u, i: fnp.sum(f(x, u, i) ** 2), argnums))(
                x, u, i)
            ref_i = _clamped(i, SHAPE)[0] if mode == "clip" else i  # see _reference_grad
            ref_mode = None if mode == "clip" else mode
            gj = jax.grad(_program_ti(method, ref_mode), argnums)(_asj(x), _asj(u), _asj(ref_i))
            for a, b in zip(g, gj):
                _check(a, b, what + " jit(grad)")
        if len(argnums) == 1:
            with pytest.raises(funcad.errors.FuncadNotImplementedError, match="scatter_mul"):
                funcad.jit(funcad.grad(lambda u, i, x=x: fnp.sum(f(x, u, i))))(u, i)
        iss = np.stack([i, i[::-1], i % 5])
        _check(funcad.vmap(f, in_axes=(None, None, 0))(x, u, iss),
               jax.vmap(f, in_axes=(None, None, 0))(_asj(x), _asj(u), _asj(iss)),
               what + " vmap over indices")
        got = funcad.vmap(lambda i, x=x: fnp.asarray(x).at[i].get(mode=mode))(iss)
        _check(got, jax.vmap(lambda i, x=x: _asj(x).at[i].get(mode=mode))(_asj(iss)),
               f"get traced mode={mode} vmap")


def _program_ti(method, mode):
    def loss(x, u, i):
        return jnp.sum(getattr(x.at[i], method)(u, mode=mode) ** 2)
    return loss


def _np_apply(x, idx, func, mode):
    """NumPy reference of ``apply``: JAX's index normalization, then ``func`` once per
    occurrence of each position."""
    out = np.array(x)
    n = x.shape[0]
    for i in np.atleast_1d(idx):
        i = i + n if i < 0 else i
        if mode == "clip":
            i = min(max(i, 0), n - 1)
        elif not 0 <= i < n:
            continue
        out[i] = func(out[i])
    return out


@pytest.mark.parametrize("mode", MODES)
def test_apply(mode):
    """JAX's ``apply`` (``scatter_apply``) has no derivative: values against JAX and a
    NumPy loop, derivatives against finite differences."""
    rng = np.random.default_rng(4)
    x = rng.uniform(0.5, 1.5, SHAPE)
    idx = np.array([0, 7, -1, -7, 2, 2, 2])

    def f(x):
        x = x if hasattr(x, "at") else fnp.asarray(x)
        return x.at[idx].apply(lambda t: t * t + 0.5, mode=mode)

    expected = f(_asj(x))
    _check(f(fnp.asarray(x)), expected, "apply eager")
    _check(f(fnp.asarray(x)), _np_apply(x, idx, lambda t: t * t + 0.5, mode), "apply vs loop")
    _check(funcad.jit(f, backend="numpy")(x), expected, "apply jit(numpy)")
    _check(funcad.jit(f, backend="xla")(x), expected, "apply jit(xla)")
    check_grads(f, (x,), order=2)
    _check(funcad.vmap(f)(np.stack([x, 2 * x])), jax.vmap(f)(_asj(np.stack([x, 2 * x]))),
           "apply vmap")

    def g(x, i):  # traced indices
        x = x if hasattr(x, "at") else fnp.asarray(x)
        return x.at[i].apply(lambda t: t * t + 0.5, mode=mode)

    _check(funcad.jit(g)(x, idx), g(_asj(x), _asj(idx)), "apply traced jit")
    check_grads(lambda x: funcad.jit(g)(x, idx), (x,), order=1)


def test_constant_array_updated_with_traced_values():
    """A constant (eager) array updated with a traced value, under every transform."""
    base = fnp.zeros(4)

    def f(s):
        return fnp.sum(base.at[1].set(s).at[np.array([2, 2, 9])].add(s * s) ** 2)

    def fj(s):
        z = jnp.zeros(4)
        return jnp.sum(z.at[1].set(s).at[np.array([2, 2, 9])].add(s * s) ** 2)

    s = 1.3
    _check(f(s), fj(s), "value")
    _check(funcad.grad(f)(s), jax.grad(fj)(s), "grad")
    _check(funcad.jit(funcad.grad(f))(s), jax.grad(fj)(s), "jit grad")
    _check(funcad.hessian(f)(s), jax.hessian(fj)(s), "hessian")
    ss = np.array([0.5, 1.0, -2.0])
    _check(funcad.vmap(f)(ss), jax.vmap(fj)(ss), "vmap")
    _check(funcad.jit(f, backend="xla")(s), fj(s), "jit xla")


def test_eager_results_are_ndarrays_and_transform_outputs_plain():
    x = fnp.arange(6.0)
    for out in (x, fnp.sin(x), fnp.zeros(3), fnp.split(x, 2)[0], x.at[0].set(1.0),
                fnp.linalg.inv(np.eye(2)), fnp.sum(x)):
        assert isinstance(out, np.ndarray) and type(out) is EagerArray
    assert repr(fnp.zeros(2)) == "array([0., 0.])"
    y = x.at[0].set(5.0)
    assert x[0] == 0.0 and y[0] == 5.0  # functional: the operand is untouched
    c = fnp.ones(3)
    outs = [
        funcad.grad(lambda v: fnp.sum(v * c))(x[:3]),
        funcad.jit(lambda v: v + c, backend="numpy")(x[:3]),
        funcad.jit(lambda v: c, backend="numpy")(x[:3]),
        funcad.vmap(lambda v: v * c)(np.ones((2, 3))),
        funcad.jvp(lambda v: v * c, (x[:3],), (x[:3],))[1],
        funcad.jacfwd(lambda v: v * c)(x[:3]),
    ]
    for out in outs:
        assert type(out) is np.ndarray, type(out)


def test_misuse_raises_funcad_errors():
    x = fnp.zeros(3)
    with pytest.raises(funcad.errors.FuncadValueError, match="mode='wrap'"):
        x.at[0].set(1.0, mode="wrap")
    with pytest.raises(funcad.errors.FuncadTypeError, match="bogus"):
        x.at[0].add(1.0, bogus=1)
    with pytest.raises(funcad.errors.FuncadValueError, match="broadcast"):
        x.at[np.array([0, 1])].set(np.ones(3))
