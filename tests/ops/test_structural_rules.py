"""Transform rules of the structural and indexing primitives (``funcad/ops/structural.py``,
the general gather/scatters through the leading-axes constructors of
``funcad/ops/indexing.py``), called through their lax-level wrappers:

- every linear primitive: ``linear_transpose`` satisfies <ct, L t> == <L^T ct, t> to
  rounding (padding with negative and interior parts, strided slices, clamped windows,
  repeated gather/scatter indices; unbatched and under vmap);
- the primitives linear in some operands only (windows and scatters): JVP and VJP against
  central differences to second order, and the exact conventions (the last write of
  ``scatter`` wins, ``scatter_mul`` with zeros and repeats);
- ``vmap`` of every primitive against a Python loop, for every combination of batch
  positions (0, 1, -1, not mapped) of its operands.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import funcad
from funcad.ops import _base as base
from funcad.ops import arithmetic as ar
from funcad.ops import dynamic_slicing as dsl
from funcad.ops import elementwise as ew
from funcad.ops import gather_scatter as gs
from funcad.ops import indexing as ix
from funcad.ops import slicing as sl
from funcad.ops import structural as st
from funcad.testing import check_grads
from funcad.tree_util import tree_leaves

B = 3  # batch size of the vmap tests


def _inner(xs, ys) -> float:
    return float(sum(np.vdot(np.asarray(x, np.float64), np.asarray(y, np.float64))
                     for x, y in zip(tree_leaves(xs), tree_leaves(ys), strict=True)))


def _check_transpose(f, shapes, rng):
    """<ct, f(t)> == <f^T(ct), t> for random t and ct; cotangents have the inputs' shapes."""
    primals = [np.zeros(s) for s in shapes]
    tangents = [rng.standard_normal(s) for s in shapes]
    out = np.asarray(f(*tangents))
    ct = rng.standard_normal(out.shape)
    cts = funcad.linear_transpose(f, *primals)(ct)
    assert [np.shape(c) for c in cts] == [tuple(s) for s in shapes]
    lhs, rhs = _inner(ct, out), _inner(cts, tangents)
    assert abs(lhs - rhs) <= 1e-12 * max(1.0, abs(lhs), abs(rhs)), (lhs, rhs)


# --- transposes of the linear primitives ---------------------------------------------------

IDX_DUP = np.array([[0], [4], [0], [7], [-2], [4]])  # repeats; 7 and -2 are clamped
IDX_2D = np.array([[[0, 1], [2, 3]], [[0, 1], [1, 0]]])  # (2, 2, k=2), one repeat
IDX_K0 = np.zeros((3, 0), np.int64)  # every row picks the whole operand
U_MUL = np.array([[2.0, 0.0, -1.0], [0.5, 3.0, 0.0], [1.5, 2.0, 2.0], [0.0, 1.0, -3.0],
                  [2.0, 2.0, 0.5], [-1.0, 0.0, 1.0]])

LINEAR = {
    "broadcast_new_axes": (lambda x: base.broadcast_in_dim(x, (2, 3), (1,)), [(3,)]),
    "broadcast_stretch": (lambda x: base.broadcast_in_dim(x, (4, 3, 2), (1, 2)), [(1, 2)]),
    "broadcast_scalar": (lambda x: base.broadcast_in_dim(x, (2, 2), ()), [()]),
    "broadcast_to_empty": (lambda x: base.broadcast_in_dim(x, (3, 0), (1,)), [(1,)]),
    "reshape": (lambda x: base.reshape(x, (6, 4)), [(2, 3, 4)]),
    "reshape_scalar": (lambda x: base.reshape(x, (1, 1)), [()]),
    "transpose": (lambda x: base.transpose(x, (2, 0, 1)), [(2, 3, 4)]),
    "squeeze": (lambda x: st.squeeze(x, (0, 2)), [(1, 3, 1)]),
    "expand_dims": (lambda x: st.expand_dims(x, (0, 3)), [(2, 3)]),
    "rev": (lambda x: st.rev(x, (0, 2)), [(2, 3, 4)]),
    "pad_lo_hi": (lambda x: sl.pad(x, np.float64(0), ((1, 2, 0),)), [(4,)]),
    "pad_interior_negative": (
        lambda x: sl.pad(x, np.float64(0), ((-1, 2, 1), (0, -3, 2))), [(3, 4)]),
    "pad_crop_past_interior": (lambda x: sl.pad(x, np.float64(0), ((-2, -1, 2),)), [(4,)]),
    "pad_empty_operand": (lambda x: sl.pad(x, np.float64(0), ((1, 1, 3),)), [(0,)]),
    "pad_with_value": (lambda x, v: sl.pad(x, v, ((-1, 2, 1), (2, -1, 0))), [(3, 2), ()]),
    "pad_value_only": (lambda v: sl.pad(np.zeros((2, 3)), v, ((1, 0, 1), (0, 1, 0))), [()]),
    "concatenate": (lambda a, b: sl.concatenate([a, b], 0), [(2, 3), (1, 3)]),
    "concatenate_axis1": (
        lambda a, b, c: sl.concatenate([a, b, c], 1), [(2, 1), (2, 2), (2, 0)]),
    "concatenate_const": (
        lambda a: sl.concatenate([np.zeros((2, 2)), a, np.zeros((2, 1))], 1), [(2, 3)]),
    "slice": (lambda x: sl.slice(x, (1,), (6,)), [(7,)]),
    "slice_strided": (lambda x: sl.slice(x, (1, 0), (5, 6), (3, 4)), [(5, 6)]),
    "slice_strided_tail": (lambda x: sl.slice(x, (2,), (9,), (3,)), [(9,)]),
    "slice_empty": (lambda x: sl.slice(x, (2,), (2,)), [(4,)]),
    "dynamic_slice": (lambda x: dsl.dynamic_slice(x, [np.int64(2), np.int64(1)], (2, 3)),
                      [(5, 4)]),
    "dynamic_slice_clamped": (
        lambda x: dsl.dynamic_slice(x, [np.int32(4), np.int32(-3)], (2, 3)), [(5, 4)]),
    "dynamic_update_slice": (
        lambda x, u: dsl.dynamic_update_slice(x, u, [np.int64(1), np.int64(3)]),
        [(5, 4), (2, 3)]),
    "dynamic_update_slice_update_only": (
        lambda u: dsl.dynamic_update_slice(np.zeros((4,)), u, [np.int64(-1)]), [(2,)]),
    "dynamic_update_slice_operand_only": (
        lambda x: dsl.dynamic_update_slice(x, np.zeros((2,)), [np.int64(9)]), [(4,)]),
    "gather_repeats": (lambda x: ix.gather(x, IDX_DUP), [(5, 3)]),
    "gather_2d": (lambda x: ix.gather(x, IDX_2D), [(3, 4, 2)]),
    "gather_k0": (lambda x: ix.gather(x, IDX_K0), [(2, 3)]),
    "scatter_add": (lambda x, u: ix.scatter_add(x, IDX_DUP, u), [(5, 3), (6, 3)]),
    "scatter_add_2d": (lambda x, u: ix.scatter_add(x, IDX_2D, u), [(3, 4, 2), (2, 2, 2)]),
    "scatter_repeats": (lambda x, u: ix.scatter(x, IDX_DUP, u), [(5, 3), (6, 3)]),
    "scatter_updates_only": (lambda u: ix.scatter(np.zeros((3, 4, 2)), IDX_2D, u),
                             [(2, 2, 2)]),
    "scatter_k0": (lambda x, u: ix.scatter(x, IDX_K0, u), [(2, 3), (3, 2, 3)]),
    "scatter_mul_operand": (lambda x: ix.scatter_mul(x, IDX_DUP, U_MUL), [(5, 3)]),
}


@pytest.mark.parametrize("name", list(LINEAR))
def test_transpose_is_exact(name, rng):
    f, shapes = LINEAR[name]
    _check_transpose(f, shapes, rng)


def _vmapped(f, in_axes, consts=()):
    """``f`` vmapped over its linear arguments (batched at ``in_axes``) with batched
    non-linear ``consts`` (indices, starts) at axis 0 appended to its arguments."""
    def g(*xs):
        return funcad.vmap(f, in_axes=tuple(in_axes) + (0,) * len(consts))(*xs, *consts)
    return g


BATCHED_LINEAR = {
    # name: (f(*linear, *consts), batched shapes of the linear args, in_axes, consts)
    "pad_batched_value": (lambda x, v: sl.pad(x, v, ((1, -1, 1),)), [(B, 3), (B,)], (0, 0), ()),
    "pad_unbatched_operand": (lambda x, v: sl.pad(x, v, ((0, 2, 2),)), [(3,), (B,)],
                              (None, 0), ()),
    "concatenate_mixed": (lambda a, b: sl.concatenate([a, b], 0), [(2, B), (3,)], (1, None), ()),
    "dynamic_slice_batched_starts": (
        lambda x, i, j: dsl.dynamic_slice(x, [i, j], (2, 2)), [(4, B, 5)], (1,),
        (np.array([0, 3, -1]), np.array([4, 1, 2]))),
    "dynamic_update_slice_batched_starts": (
        lambda x, u, i: dsl.dynamic_update_slice(x, u, [np.int64(1), i]),
        [(B, 4, 5), (2, 3, B)], (0, -1), (np.array([0, 3, -1]),)),
    "gather_batched_indices": (lambda x, i: ix.gather(x, i), [(B, 5, 2)], (0,),
                               (np.array([[[0], [0]], [[4], [1]], [[2], [2]]]),)),
    "scatter_batched_repeats": (lambda x, u, i: ix.scatter(x, i, u), [(5, B), (B, 2)], (1, 0),
                                (np.array([[[0], [0]], [[4], [1]], [[2], [2]]]),)),
    "scatter_add_batched_operand": (lambda x, u: ix.scatter_add(x, IDX_DUP, u),
                                    [(5, B, 3), (6, 3)], (1, None), ()),
}


@pytest.mark.parametrize("name", list(BATCHED_LINEAR))
def test_transpose_is_exact_under_vmap(name, rng):
    f, shapes, in_axes, consts = BATCHED_LINEAR[name]
    _check_transpose(_vmapped(f, in_axes, consts), shapes, rng)


# --- derivatives of the primitives linear in some operands only -----------------------------

def _starts(*s):
    return [np.int64(v) for v in s]


DIFFERENTIABLE = {
    "dynamic_slice": (lambda x: dsl.dynamic_slice(x, _starts(1, 3), (3, 2)), [(5, 4)]),
    "dynamic_update_slice": (lambda x, u: dsl.dynamic_update_slice(x, u, _starts(3, -1)),
                             [(5, 4), (3, 2)]),
    "gather": (lambda x: ix.gather(ew.sin(x), IDX_DUP), [(5, 3)]),
    "scatter_add": (lambda x, u: ix.scatter_add(x, IDX_DUP, ar.mul(u, u)), [(5, 3), (6, 3)]),
    "scatter": (lambda x, u: ix.scatter(ar.mul(x, x), IDX_DUP, ew.sin(u)), [(5, 3), (6, 3)]),
    "scatter_mul": (lambda x, u: ix.scatter_mul(x, IDX_DUP, u), [(5, 3), (6, 3)]),
    "scatter_mul_2d": (lambda x, u: ix.scatter_mul(x, IDX_2D, u), [(3, 4, 2), (2, 2, 2)]),
}


@pytest.mark.parametrize("name", list(DIFFERENTIABLE))
def test_derivatives_against_finite_differences(name, rng):
    f, shapes = DIFFERENTIABLE[name]
    args = [rng.uniform(-2, 2, s) for s in shapes]
    check_grads(f, args, order=2, modes=("fwd", "rev"), atol=1e-6, rtol=1e-6)


def test_scatter_mul_with_zeros_and_repeats_is_exact(rng):
    """d/du_b of x * prod(u) is x * (product of the OTHER updates), zeros included."""
    x = np.array([2.0, -1.0])
    idx = np.array([[0], [0], [0], [1], [1]])
    f = lambda u: ix.scatter_mul(x, idx, u)  # noqa: E731
    for u in ([0.0, 3.0, 5.0], [0.0, 3.0, 0.0], [4.0, 3.0, 5.0], [1.0, 2.0, 3.0, 0.0, 0.0]):
        u = np.array(u + [1.5, -2.0][: 5 - len(u)])
        jac = funcad.jacfwd(f)(u)
        want = np.zeros((2, 5))
        for b in range(5):
            p = idx[b, 0]
            others = [u[c] for c in range(5) if c != b and idx[c, 0] == p]
            want[p, b] = x[p] * np.prod(others)
        np.testing.assert_allclose(jac, want, rtol=1e-14, atol=0)
        np.testing.assert_allclose(funcad.jacrev(f)(u), want, rtol=1e-14, atol=0)
        # second order: the Hessian of out[0] is x0 * prod of the third update when b != c
        hess = funcad.hessian(lambda u: f(u)[0])(u)
        np.testing.assert_allclose(hess[0, 1], x[0] * u[2], rtol=1e-14, atol=0)
        np.testing.assert_allclose(hess[0, 0], 0.0, atol=0)


def test_scatter_mul_updates_derivative_needs_concrete_indices():
    x, u = np.ones(4), np.array([2.0, 3.0])
    idx = np.array([[1], [1]])

    def jvp_in_updates(u, i):
        return funcad.jvp(lambda u: ix.scatter_mul(x, i, u), (u,), (u,))[1]

    with pytest.raises(NotImplementedError, match=r"scatter_mul.*concrete indices"):
        funcad.make_jaxpr(jvp_in_updates)(u, idx)
    # In the operand it is linear: fine with traced indices.
    jvp_in_x = funcad.make_jaxpr(
        lambda x, i: funcad.jvp(lambda x: ix.scatter_mul(x, i, u), (x,), (x,))[1])
    assert jvp_in_x(x, idx) is not None


def test_scatter_last_write_wins_in_every_rule(rng):
    """Repeated indices: the value, the tangent and the cotangent all follow the last write,
    with concrete indices and with traced ones (jit, and vmap over the indices)."""
    x = rng.standard_normal(4)
    u = rng.standard_normal(5)
    idx = np.array([[2], [0], [2], [3], [2]])  # position 2: update 4 wins

    def f(x, u, i):
        return ix.scatter(x, i, u)

    out = f(x, u, idx)
    np.testing.assert_array_equal(out, [u[1], x[1], u[4], u[3]])
    ct = rng.standard_normal(4)
    want_x = ct * np.array([0.0, 1.0, 0.0, 0.0])
    want_u = np.array([0.0, ct[0], 0.0, ct[3], ct[2]])

    def pullback(x, u, i, ct):
        return funcad.vjp(lambda x, u: f(x, u, i), x, u)[1](ct)

    for pb in (pullback, funcad.jit(pullback)):
        gx, gu = pb(x, u, idx, ct)
        np.testing.assert_allclose(gx, want_x, rtol=0, atol=0)
        np.testing.assert_allclose(gu, want_u, rtol=0, atol=0)
    # vmap over the indices: the backward pass sees traced indices
    idxs = np.stack([idx, idx[::-1], np.array([[1], [1], [1], [0], [3]])])
    gx, gu = funcad.vmap(pullback, in_axes=(None, None, 0, None))(x, u, idxs, ct)
    for b in range(3):
        ex, eu = pullback(x, u, idxs[b], ct)
        np.testing.assert_allclose(gx[b], ex, rtol=0, atol=0)
        np.testing.assert_allclose(gu[b], eu, rtol=0, atol=0)
    _, t = funcad.jvp(lambda x, u: f(x, u, idx), (x, u), (np.ones(4), np.arange(5.0)))
    np.testing.assert_allclose(t, [1.0, 1.0, 4.0, 3.0], rtol=0, atol=0)


def test_index_cotangents_are_refused():
    with pytest.raises(NotImplementedError, match="start indices"):
        dsl._dynamic_slice_transpose(
            np.ones(2), np.ones(4), _undef(np.int64(0)), slice_sizes=(2,))
    with pytest.raises(NotImplementedError, match="indices"):
        gs._gather_transpose(np.ones((2,)), np.ones(4), _undef(np.zeros((2, 1), np.int64)),
                             dimension_numbers=gs.GatherDimensionNumbers((), (0,), (0,)),
                             mode="clip", unique_indices=False, indices_are_sorted=False)


def _undef(x):
    from funcad.core.symbolic import UndefPrimal
    from funcad.core.trace import get_aval

    return UndefPrimal(get_aval(x))


# --- vmap of every primitive against a Python loop -----------------------------------------

def _floats(*shape):
    return lambda rng: rng.standard_normal(shape)


def _ints(lo, hi, *shape, dtype=np.int64):
    return lambda rng: rng.integers(lo, hi, size=shape).astype(dtype)


def _scalar_int(lo, hi, dtype=np.int64):
    return lambda rng: dtype(rng.integers(lo, hi))


VMAP = {
    # name: (f, makers of each operand's per-example value)
    "broadcast_in_dim": (lambda x: base.broadcast_in_dim(x, (2, 3, 4), (1, 2)), [_floats(3, 1)]),
    "broadcast_in_dim_scalar": (lambda x: base.broadcast_in_dim(x, (2, 3), ()), [_floats()]),
    "broadcast_in_dim_tail": (lambda x: base.broadcast_in_dim(x, (2, 3, 4), (0, 1)),
                              [_floats(2, 1)]),
    "reshape_merge": (lambda x: base.reshape(x, (6, 4)), [_floats(2, 3, 4)]),
    "reshape_split": (lambda x: base.reshape(x, (2, 3, 2)), [_floats(3, 4)]),
    "reshape_all": (lambda x: base.reshape(x, (4, 6)), [_floats(2, 3, 4)]),
    "transpose": (lambda x: base.transpose(x, (2, 0, 1)), [_floats(2, 3, 4)]),
    "squeeze": (lambda x: st.squeeze(x, (0, 2)), [_floats(1, 3, 1)]),
    "expand_dims": (lambda x: st.expand_dims(x, (0, 2, 4)), [_floats(2, 3)]),
    "iota_plus": (lambda x: ar.add(x, st.broadcasted_iota(np.float64, (2, 3), 1)),
                  [_floats(2, 3)]),
    "rev": (lambda x: st.rev(x, (0, 2)), [_floats(2, 3, 4)]),
    "pad": (lambda x, v: sl.pad(x, v, ((1, -1, 1), (-2, 2, 0))), [_floats(3, 4), _floats()]),
    "concatenate": (lambda a, b, c: sl.concatenate([a, b, c], 0),
                    [_floats(2, 3), _floats(1, 3), _floats(2, 3)]),
    "concatenate_axis1": (lambda a, b: sl.concatenate([a, b], 1), [_floats(2, 1), _floats(2, 3)]),
    "slice": (lambda x: sl.slice(x, (1, 0), (5, 6), (2, 3)), [_floats(5, 6)]),
    "dynamic_slice": (lambda x, i, j: dsl.dynamic_slice(x, [i, j], (2, 3)),
                      [_floats(5, 4), _scalar_int(-2, 7), _scalar_int(-2, 7)]),
    "dynamic_slice_rows": (lambda x, i: dsl.dynamic_slice(x, [i, np.int32(0)], (1, 4)),
                           [_floats(5, 4), _scalar_int(-1, 6, np.int32)]),
    "dynamic_update_slice": (lambda x, u, i, j: dsl.dynamic_update_slice(x, u, [i, j]),
                             [_floats(5, 4), _floats(2, 3), _scalar_int(-2, 7),
                              _scalar_int(-2, 7)]),
    "gather": (lambda x, i: ix.gather(x, i), [_floats(5, 3), _ints(-1, 7, 4, 1)]),
    "gather_2d": (lambda x, i: ix.gather(x, i), [_floats(3, 4, 2), _ints(0, 3, 2, 2, 2)]),
    "gather_k0": (lambda x, i: ix.gather(x, i), [_floats(2, 3), _ints(0, 1, 2, 0)]),
    "scatter_add": (lambda x, i, u: ix.scatter_add(x, i, u),
                    [_floats(5, 3), _ints(-1, 7, 4, 1, dtype=np.int32), _floats(4, 3)]),
    "scatter": (lambda x, i, u: ix.scatter(x, i, u),
                [_floats(5, 3), _ints(0, 3, 4, 1), _floats(4, 3)]),
    "scatter_mul": (lambda x, i, u: ix.scatter_mul(x, i, u),
                    [_floats(3, 2), _ints(0, 2, 3, 2), _floats(3)]),
}


def _batch_positions(ndim: int):
    """Batch positions to try for an operand of rank ``ndim`` (per example)."""
    return [0, 1, -1, None] if ndim >= 1 else [0, -1, None]


def _run_vmap_cases(f, makers, rng):
    examples = [[m(rng) for m in makers] for _ in range(B)]
    ndims = [np.ndim(a) for a in examples[0]]
    for in_axes in itertools.product(*map(_batch_positions, ndims)):
        if all(a is None for a in in_axes):
            continue
        exs = [list(ex) for ex in examples]
        args = []
        for k, axis in enumerate(in_axes):
            if axis is None:
                for ex in exs[1:]:
                    ex[k] = exs[0][k]
                args.append(exs[0][k])
            else:
                args.append(np.stack([ex[k] for ex in exs], axis=axis))
        want = np.stack([np.asarray(f(*ex)) for ex in exs])
        got = funcad.vmap(f, in_axes=in_axes)(*args)
        assert got.shape == want.shape and got.dtype == want.dtype, in_axes
        np.testing.assert_array_equal(got, want, err_msg=f"in_axes={in_axes}")


@pytest.mark.parametrize("name", list(VMAP))
def test_vmap_equals_loop(name, rng):
    f, makers = VMAP[name]
    _run_vmap_cases(f, makers, rng)


def test_vmap_index_column_widens_small_index_dtypes(rng):
    """200 examples do not fit int8 indices: the iota column is made in int64."""
    x = rng.standard_normal((200, 4))
    idx = rng.integers(0, 4, size=(200, 3, 1)).astype(np.int8)
    got = funcad.vmap(ix.gather)(x, idx)
    np.testing.assert_array_equal(got, np.stack([x[b][idx[b, :, 0]] for b in range(200)]))


def _prim_names(f, *args):
    return [e.primitive.name for e in funcad.make_jaxpr(f)(*args).jaxpr.eqns]


@pytest.mark.parametrize("prim,f,x,in_axes", [
    ("reshape", lambda x: base.reshape(x, (6, 4)), np.zeros((2, 3, 4, B)), -1),
    ("reshape", lambda x: base.reshape(x, (2, 3, 4)), np.zeros((6, B, 4)), 1),
    ("transpose", lambda x: base.transpose(x, (1, 0)), np.zeros((2, B, 3)), 1),
    ("broadcast_in_dim", lambda x: base.broadcast_in_dim(x, (2, 3), (1,)), np.zeros((3, B)), 1),
    ("expand_dims", lambda x: st.expand_dims(x, (0,)), np.zeros((2, B)), 1),
    ("squeeze", lambda x: st.squeeze(x, (1,)), np.zeros((2, 1, B)), -1),
    ("pad", lambda x: sl.pad(x, np.float64(0), ((1, 1, 1),)), np.zeros((3, B)), 1),
    ("slice", lambda x: sl.slice(x, (1,), (3,)), np.zeros((3, B)), 1),
    ("gather", lambda x: ix.gather(x, np.array([[1], [0]])), np.zeros((3, B)), 1),
    ("dynamic_slice", lambda x: dsl.dynamic_slice(x, [np.int64(1)], (2,)), np.zeros((3, B)), 1),
])
def test_vmap_moves_no_batch_axis(prim, f, x, in_axes):
    """Rules that can keep the batch axis where it is do not transpose the operand (only
    vmap's own out_axes=0 may move the result)."""
    names = _prim_names(funcad.vmap(f, in_axes=in_axes), x)
    assert names[0] == prim and names[1:] in ([], ["transpose"]), names
