"""Products and linear algebra: dot_general against einsum, matmul broadcasting, einsum
strings against NumPy, lu / triangular_solve / cholesky primitives (every flag), and
funcad.numpy.linalg built on them — eagerly and staged; misuse raises funcad errors."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funcad
import funcad.numpy as fnp
from funcad.errors import FuncadValueError, PrimitiveTypeError
from funcad.ir import eval_closed_jaxpr, typecheck_jaxpr
from funcad.ir.core import sub_jaxprs
from funcad.ops import linalg as la


def staged(fn, *args):
    closed = funcad.make_jaxpr(fn)(*args)
    typecheck_jaxpr(closed)
    return eval_closed_jaxpr(closed, *args), closed


def assert_same(actual, expected, rtol=1e-10, atol=1e-10):
    expected = np.asarray(expected)
    assert isinstance(actual, np.ndarray)  # an ndarray (eager: funcad.numpy.EagerArray)
    assert (actual.shape, actual.dtype) == (expected.shape, expected.dtype)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)


def well_conditioned(rng, shape, dtype=np.float64):
    n = shape[-1]
    return (rng.uniform(-1, 1, shape) + 2 * n * np.eye(n)).astype(dtype)


# --- dot_general -----------------------------------------------------------------------------

_LETTERS = "abcdefgh"


@st.composite
def _dot_problem(draw):
    """Random operands and dimension numbers, with the equivalent einsum string."""
    n_batch, n_contract = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    n_lfree, n_rfree = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    labels = list(_LETTERS[: n_batch + n_contract + n_lfree + n_rfree])
    sizes = {lab: draw(st.integers(1, 3)) for lab in labels}
    batch, contract = labels[:n_batch], labels[n_batch : n_batch + n_contract]
    lfree = labels[n_batch + n_contract : n_batch + n_contract + n_lfree]
    rfree = labels[n_batch + n_contract + n_lfree :]
    lhs = draw(st.permutations(batch + contract + lfree))
    rhs = draw(st.permutations(batch + contract + rfree))
    dims = ((tuple(lhs.index(c) for c in contract), tuple(rhs.index(c) for c in contract)),
            (tuple(lhs.index(b) for b in batch), tuple(rhs.index(b) for b in batch)))
    out = batch + [lab for lab in lhs if lab in lfree] + [lab for lab in rhs if lab in rfree]
    spec = f"{''.join(lhs)},{''.join(rhs)}->{''.join(out)}"
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal([sizes[lab] for lab in lhs])
    y = rng.standard_normal([sizes[lab] for lab in rhs])
    return x, y, dims, spec


@given(_dot_problem())
def test_dot_general_matches_einsum(problem):
    x, y, dims, spec = problem
    expected = np.einsum(spec, x, y)
    assert_same(la.dot_general(x, y, dims), expected)
    (out,), _ = staged(lambda a, b: la.dot_general(a, b, dims), x, y)
    assert_same(out, expected)


def test_dot_general_dtypes():
    x = np.arange(6, dtype=np.int32).reshape(2, 3)
    dims = (((1,), (1,)), ((), ()))
    assert_same(la.dot_general(x, x, dims), (x @ x.T).astype(np.int32))
    out = la.dot_general(x, x, dims, preferred_element_type=np.int64)
    assert out.dtype == np.int64
    b = x > 2
    assert_same(la.dot_general(b, b, dims), b @ b.T)
    f = x.astype(np.float32)
    assert la.dot_general(f, f, dims).dtype == np.float32


def _dot_misuse():
    x, y = np.ones((2, 3)), np.ones((3, 4))
    yield "dtypes", lambda: la.dot_general(x, y.astype(np.float32), (((1,), (0,)), ((), ())))
    yield "sizes", lambda: la.dot_general(x, y, (((0,), (0,)), ((), ())))
    yield "same-size reshape", lambda: la.dot_general(
        np.ones((2, 6)), np.ones((3, 2, 5)), (((1,), (0,)), ((), ())))
    yield "counts", lambda: la.dot_general(x, y, (((1,), (0, 1)), ((), ())))
    yield "range", lambda: la.dot_general(x, y, (((2,), (0,)), ((), ())))
    yield "repeat", lambda: la.dot_general(x, x, (((1, 1), (1, 1)), ((), ())))
    yield "batch size", lambda: la.dot_general(x, y, (((1,), (0,)), ((0,), (1,))))


@pytest.mark.parametrize("case", list(_dot_misuse()), ids=lambda c: c[0])
def test_dot_general_misuse(case):
    with pytest.raises(PrimitiveTypeError, match="dot_general"):
        case[1]()
    with pytest.raises(PrimitiveTypeError, match="dot_general"):
        funcad.make_jaxpr(case[1])()


# --- matmul / dot / products -----------------------------------------------------------------

@st.composite
def _matmul_shapes(draw):
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    batch = draw(st.lists(st.integers(1, 3), max_size=3))
    a_batch = [d if draw(st.booleans()) else 1 for d in batch][draw(st.integers(0, len(batch))):]
    b_batch = [d if draw(st.booleans()) else 1 for d in batch][draw(st.integers(0, len(batch))):]
    a = [k] if draw(st.booleans()) and not a_batch else [*a_batch, n, k]
    b = [k] if draw(st.booleans()) and not b_batch else [*b_batch, k, m]
    return tuple(a), tuple(b)


@given(_matmul_shapes(), st.sampled_from([np.float64, np.float32, np.int32]))
def test_matmul_broadcasting(shapes, dtype):
    rng = np.random.default_rng(0)
    a, b = (rng.integers(-3, 4, s).astype(dtype) for s in shapes)
    expected = np.matmul(a, b)
    assert_same(fnp.matmul(a, b), expected, 1e-5, 1e-5)
    (out,), _ = staged(lambda x, y: x @ y, a, b)
    assert_same(out, expected, 1e-5, 1e-5)


def test_matmul_errors():
    with pytest.raises(FuncadValueError, match=r"matmul.*not aligned"):
        fnp.matmul(np.ones((2, 3)), np.ones((4, 2)))
    with pytest.raises(FuncadValueError, match=r"matmul.*scalars"):
        fnp.matmul(np.ones(3), 2.0)
    with pytest.raises(FuncadValueError, match=r"matmul.*do not broadcast"):
        fnp.matmul(np.ones((2, 2, 3)), np.ones((3, 3, 4)))
    with pytest.raises(FuncadValueError, match="dot"):
        fnp.dot(np.ones((2, 3)), np.ones((2, 3)))


def test_mlp_layer_is_one_dot_general():
    closed = funcad.make_jaxpr(lambda x, w: fnp.tanh(x @ w))(np.ones((8, 4)), np.ones((4, 3)))
    assert [e.primitive.name for e in closed.eqns] == ["dot_general", "tanh"]


@pytest.mark.parametrize("axes", [0, 1, 2, ([1, 0], [0, 1]), ([-1], [0]), (2, 0)])
def test_tensordot(axes, rng):
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 2, 4))
    if axes == 2:
        b = rng.standard_normal((3, 4, 5))
    if axes == 1:
        b = rng.standard_normal((4, 2))
    if axes == (2, 0):
        b = rng.standard_normal((4, 5))
    if axes == ([-1], [0]):
        b = rng.standard_normal((4, 3))
    assert_same(fnp.tensordot(a, b, axes), np.tensordot(a, b, axes))


def test_tensordot_errors():
    with pytest.raises(FuncadValueError, match="tensordot"):
        fnp.tensordot(np.ones((2, 3)), np.ones((2, 3)), axes=1)
    with pytest.raises(FuncadValueError, match="tensordot"):
        fnp.tensordot(np.ones((2, 3)), np.ones((2, 3)), axes=([0, 1], [0]))


@pytest.mark.parametrize("fname", ["dot", "inner", "outer", "vdot"])
def test_small_products(fname, rng):
    for sa, sb in [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (4, 3)), ((2, 3), (3, 2))]:
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        try:
            expected = getattr(np, fname)(a, b)
        except ValueError:
            with pytest.raises(ValueError):
                getattr(fnp, fname)(a, b)
            continue
        assert_same(getattr(fnp, fname)(a, b), expected)


@pytest.mark.parametrize("kw", [{}, {"offset": 1}, {"offset": -1}, {"offset": 7},
                                {"axis1": 2, "axis2": 0}, {"axis1": -1, "axis2": 1},
                                {"dtype": np.float32}])
def test_trace(kw, rng):
    x = rng.standard_normal((3, 4, 3))
    x[0, 1, 2] = np.nan  # off every diagonal used below: must not leak into the result
    expected = np.trace(x, **kw)
    if np.isnan(expected).any():
        return
    assert_same(fnp.trace(x, **kw), expected, 1e-6, 1e-6)


# --- einsum ----------------------------------------------------------------------------------

_EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]), ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]), ("i,i", [(1,), (3,)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 5)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("i,j->ij", [(2,), (3,)]), ("ijk,kj->i", [(2, 3, 4), (4, 3)]), ("iij->j", [(3, 3, 2)]),
    ("iji->j", [(3, 2, 3)]), ("iii->i", [(3, 3, 3)]), ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 5)]),
    ("ab,bc,cd", [(2, 3), (3, 4), (4, 5)]), ("i,i,i->", [(3,), (3,), (3,)]),
    (",i->i", [(), (3,)]), ("...", [(2, 3)]), ("Ab,bA", [(2, 3), (3, 2)]),
    ("ij...,jk...->ik...", [(2, 3, 4), (3, 5, 1)]), ("ij,ij->", [(2, 3), (2, 3)]),
    ("i->", [(0,)]), ("ij,jk->ik", [(2, 0), (0, 3)]), ("a...a", [(3, 2, 3)]),
    ("ij,jk->ik", [(2, 3), (1, 4)]), ("ba,ca,da->bcd", [(2, 3), (4, 3), (2, 3)]),
    ("i j , j k -> i k", [(2, 3), (3, 2)]), ("...a,...a->...", [(3,), (2, 3)]),
    ("abc,cd,bd->a", [(2, 3, 4), (4, 5), (3, 5)]),
]


@pytest.mark.parametrize("subscripts,shapes", _EINSUM_CASES, ids=[c[0] for c in _EINSUM_CASES])
def test_einsum_matches_numpy(subscripts, shapes, rng):
    args = [rng.standard_normal(s) for s in shapes]
    expected = np.einsum(subscripts, *args)
    assert_same(fnp.einsum(subscripts, *args, optimize=True), expected)
    (out,), _ = staged(lambda *xs: fnp.einsum(subscripts, *xs), *args)
    assert_same(out, expected)


def test_einsum_dtypes_and_interleaved_form():
    i = np.arange(9, dtype=np.int32).reshape(3, 3)
    assert_same(fnp.einsum("ii", i), np.einsum("ii", i))
    b = np.array([True, False, True])
    assert_same(fnp.einsum("i,i", b, b), np.einsum("i,i", b, b))
    x, y = np.ones((2, 3)), np.arange(3.0)
    assert_same(fnp.einsum(x, [0, 1], y, [1], [0]), np.einsum(x, [0, 1], y, [1], [0]))
    assert_same(fnp.einsum(x, [Ellipsis, 1], y, [1]), np.einsum(x, [Ellipsis, 1], y, [1]))
    assert_same(fnp.einsum("ij->", i, dtype=np.float64), np.einsum("ij->", i, dtype=np.float64))
    with pytest.raises(TypeError, match=r"einsum.*cast"):
        fnp.einsum("ij->", i, dtype=np.float32)


@pytest.mark.parametrize("subscripts,shapes,match", [
    ("ij,jk", [(2, 3), (4, 4)], "sizes 3 and 4"),
    ("ij", [(2,)], "rank 1"),
    ("i->j", [(2,)], "in no input"),
    ("i->ii", [(2,)], "repeated"),
    ("i..j", [(2,)], "ellipsis"),
    ("i$", [(2, 2)], "invalid subscript"),
    ("...i->i", [(2, 3)], "no '...'"),
    ("i,i", [(2,)], "1 operands"),
])
def test_einsum_errors(subscripts, shapes, match):
    with pytest.raises(FuncadValueError, match=match):
        fnp.einsum(subscripts, *[np.ones(s) for s in shapes])


# --- lu --------------------------------------------------------------------------------------

def _unpack_lu(lu):
    m, n = lu.shape[-2:]
    k = min(m, n)
    lower = np.tril(lu[..., :, :k], -1) + np.eye(m, k)
    upper = np.triu(lu[..., :k, :])
    return lower, upper


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 4, 4), (1, 1), (0, 0),
                                   (2, 0, 3)])
def test_lu_reconstructs(shape, rng):
    a = rng.standard_normal(shape)
    lu, pivots, perm = la.lu(a)
    assert pivots.dtype == np.int32 and perm.dtype == np.int32
    assert pivots.shape == shape[:-2] + (min(shape[-2:]),) and perm.shape == shape[:-1]
    lower, upper = _unpack_lu(lu)
    np.testing.assert_allclose(lower @ upper, np.take_along_axis(a, perm[..., None], -2),
                               atol=1e-12)
    # P @ A == L @ U with P the one-hot permutation matrix; |L| <= 1 (partial pivoting).
    p = (perm[..., :, None] == np.arange(shape[-2])).astype(float)
    np.testing.assert_allclose(p @ a, lower @ upper, atol=1e-12)
    assert np.all(np.abs(lower) <= 1 + 1e-12)
    # The permutation is the pivots' row swaps applied in order.
    nb = int(np.prod(shape[:-2]))
    flat_perm = perm.reshape(nb, shape[-2])
    for b, piv in enumerate(pivots.reshape(nb, pivots.shape[-1])):
        order = list(range(shape[-2]))
        for i, p_i in enumerate(piv):
            order[i], order[p_i] = order[p_i], order[i]
        np.testing.assert_array_equal(flat_perm[b], order)


def test_lu_singular_and_staged(rng):
    a = np.array([[0.0, 1.0], [0.0, 2.0]])
    lu, _, perm = la.lu(a)
    lower, upper = _unpack_lu(lu)
    np.testing.assert_allclose(lower @ upper, a[perm])
    x = rng.standard_normal((2, 3, 3)).astype(np.float32)
    outs, closed = staged(la.lu, x)
    assert [a.dtype for a in closed.out_avals] == [np.float32, np.int32, np.int32]
    for o, e in zip(outs, la.lu(x)):
        assert_same(o, e)


def test_lu_misuse():
    for bad in [np.ones(3), np.ones((2, 2), np.int32)]:
        with pytest.raises(PrimitiveTypeError, match="lu"):
            la.lu(bad)
        with pytest.raises(PrimitiveTypeError, match="lu"):
            funcad.make_jaxpr(la.lu)(bad)


# --- triangular_solve ------------------------------------------------------------------------

def _op(a, lower, transpose_a, conjugate_a, unit_diagonal):
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        eye = np.eye(a.shape[-1])
        t = t * (1 - eye) + eye
    if transpose_a:
        t = np.swapaxes(t, -1, -2)
    return np.conj(t) if conjugate_a else t


@pytest.mark.parametrize("flags", list(itertools.product([False, True], repeat=5)),
                         ids=lambda f: "".join("LlTCU"[i] if v else "-" for i, v in enumerate(f)))
def test_triangular_solve_every_flag(flags, rng):
    left_side, lower, transpose_a, conjugate_a, unit_diagonal = flags
    a = well_conditioned(rng, (2, 4, 4)) + 1j * rng.uniform(-0.5, 0.5, (2, 4, 4))
    b = rng.standard_normal((2, 4, 3) if left_side else (2, 3, 4)) + 0j
    kw = dict(left_side=left_side, lower=lower, transpose_a=transpose_a,
              conjugate_a=conjugate_a, unit_diagonal=unit_diagonal)
    t = _op(a, lower, transpose_a, conjugate_a, unit_diagonal)
    if left_side:
        expected = np.linalg.solve(t, b)
    else:
        expected = np.swapaxes(np.linalg.solve(np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2)),
                               -1, -2)
    assert_same(la.triangular_solve(a, b, **kw), expected)
    (out,), _ = staged(lambda x, y: la.triangular_solve(x, y, **kw), a, b)
    assert_same(out, expected)


def test_triangular_solve_real_float32_and_zero_pivot(rng):
    a = well_conditioned(rng, (3, 3), np.float32)
    b = rng.standard_normal((3, 2)).astype(np.float32)
    out = la.triangular_solve(a, b, left_side=True, lower=True)
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.tril(a) @ out, b, rtol=1e-5, atol=1e-5)
    # A zero on the diagonal gives inf/NaN (as XLA), not an exception.
    singular = np.tril(np.ones((3, 3)))
    singular[1, 1] = 0.0
    out = la.triangular_solve(singular, np.ones((3, 1)), left_side=True, lower=True)
    assert not np.isfinite(out[1:]).all() and out[0, 0] == 1.0


def _tri_misuse():
    a, b = np.eye(3), np.ones((3, 2))
    yield "dtype", lambda: la.triangular_solve(a, b.astype(np.float32), left_side=True)
    yield "side", lambda: la.triangular_solve(a, b, left_side=False)
    yield "square", lambda: la.triangular_solve(np.ones((3, 2)), b, left_side=True)
    yield "batch", lambda: la.triangular_solve(np.ones((2, 3, 3)), np.ones((4, 3, 2)),
                                               left_side=True)
    yield "rank", lambda: la.triangular_solve(np.ones((2, 3, 3)), b, left_side=True)
    yield "ints", lambda: la.triangular_solve(np.eye(3, dtype=int), np.ones((3, 2), int),
                                              left_side=True)


@pytest.mark.parametrize("case", list(_tri_misuse()), ids=lambda c: c[0])
def test_triangular_solve_misuse(case):
    with pytest.raises(PrimitiveTypeError, match="triangular_solve"):
        case[1]()
    with pytest.raises(PrimitiveTypeError, match="triangular_solve"):
        funcad.make_jaxpr(case[1])()


# --- cholesky --------------------------------------------------------------------------------

def test_cholesky_primitive(rng):
    m = rng.standard_normal((2, 4, 4))
    spd = m @ np.swapaxes(m, -1, -2) + 4 * np.eye(4)
    assert_same(la.cholesky(spd), np.linalg.cholesky(spd))
    not_pd = spd.copy()
    not_pd[1] = -np.eye(4)
    out = la.cholesky(not_pd)
    assert_same(out[0], np.linalg.cholesky(spd[0]))
    assert np.isnan(out[1]).all()
    for bad in [np.ones((2, 3)), np.ones((3, 3), np.int64), np.ones(3)]:
        with pytest.raises(PrimitiveTypeError, match="cholesky"):
            la.cholesky(bad)


# --- funcad.numpy.linalg -----------------------------------------------------------------------

@pytest.mark.parametrize("a_shape,b_shape", [
    ((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)), ((2, 3, 3), (2, 3, 1)),
    ((2, 3, 3), (4, 1, 3, 2)), ((3, 3), (5, 3, 2)), ((1, 1), (1,)),
])
def test_solve_matches_numpy(a_shape, b_shape, rng):
    a, b = well_conditioned(rng, a_shape), rng.standard_normal(b_shape)
    expected = np.linalg.solve(a, b)
    assert_same(fnp.linalg.solve(a, b), expected)
    (out,), closed = staged(fnp.linalg.solve, a, b)
    assert_same(out, expected)
    names = {e.primitive.name for e in closed.eqns}
    assert {"lu", "triangular_solve"} <= names


def test_solve_numpy2_vector_rule(rng):
    # b of shape (2, 3) against a of shape (2, 3, 3) is a stack of 3x... no: a (3,3)-matrix
    # batch needs b[..., 3, k]; a 2-D b is always a matrix (NumPy 2).
    a, b = well_conditioned(rng, (3, 3)), rng.standard_normal((3, 3))
    assert_same(fnp.linalg.solve(a, b), np.linalg.solve(a, b))
    with pytest.raises(FuncadValueError, match="solve"):
        fnp.linalg.solve(well_conditioned(rng, (2, 3, 3)), rng.standard_normal((2, 3)))
    with pytest.raises(FuncadValueError, match="square"):
        fnp.linalg.solve(np.ones((2, 3)), np.ones(2))


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1), (2, 0, 0)])
def test_inv_det_slogdet(shape, rng):
    a = rng.standard_normal(shape) + 0.5 * shape[-1] * np.eye(shape[-1])
    assert_same(fnp.linalg.inv(a), np.linalg.inv(a))
    assert_same(fnp.linalg.det(a), np.linalg.det(a))
    sign, logabs = fnp.linalg.slogdet(a)
    ref = np.linalg.slogdet(a)
    assert_same(sign, ref.sign)
    assert_same(logabs, ref.logabsdet)
    assert fnp.linalg.slogdet(a).logabsdet is not None  # a namedtuple


def test_det_of_permuted_and_singular_matrices():
    p = np.eye(4)[[1, 0, 3, 2]]  # two swaps: det = +1
    assert_same(fnp.linalg.det(p), np.linalg.det(p))
    p3 = np.eye(3)[[1, 2, 0]]
    assert_same(fnp.linalg.det(p3), np.linalg.det(p3))
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert_same(fnp.linalg.det(singular), np.linalg.det(singular))
    sign, logabs = fnp.linalg.slogdet(singular)
    assert sign == 0.0 and logabs == -np.inf
    ints = np.arange(4).reshape(2, 2)
    assert_same(fnp.linalg.det(ints), np.linalg.det(ints))


def test_linalg_is_built_from_primitives_not_numpy_linalg(rng):
    a = well_conditioned(rng, (3, 3))
    for fn in [fnp.linalg.inv, fnp.linalg.det, lambda x: fnp.linalg.slogdet(x)[1]]:
        _, closed = staged(fn, a)
        names, stack = set(), [closed.jaxpr]  # slogdet's lu sits inside its custom_jvp
        while stack:
            jaxpr = stack.pop()
            names.update(e.primitive.name for e in jaxpr.eqns)
            stack.extend(sub for e in jaxpr.eqns for sub in sub_jaxprs(e))
        assert "lu" in names


def test_cholesky_numpy(rng):
    m = rng.standard_normal((3, 3))
    spd = m @ m.T + 3 * np.eye(3)
    assert_same(fnp.linalg.cholesky(spd), np.linalg.cholesky(spd))
    assert_same(fnp.linalg.cholesky(spd, upper=True), np.linalg.cholesky(spd, upper=True))
    assert_same(fnp.linalg.cholesky(np.eye(2, dtype=np.int32)), np.linalg.cholesky(np.eye(2)))


@pytest.mark.parametrize("fname", ["inv", "det", "slogdet", "cholesky"])
def test_linalg_square_errors(fname):
    with pytest.raises(FuncadValueError, match=f"linalg.{fname}.*square"):
        getattr(fnp.linalg, fname)(np.ones((2, 3)))
    with pytest.raises(FuncadValueError, match="two-dimensional"):
        getattr(fnp.linalg, fname)(np.ones(3))


@pytest.mark.parametrize("ord", [None, 2, 1, -1, np.inf, -np.inf, 0, 3, 0.5, "fro", "nuc", -2])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1), (2, 0), (-1, -2)])
def test_norm_matches_numpy(ord, axis, rng):  # noqa: A002 - NumPy name
    for x in [rng.standard_normal((3, 4, 2)), rng.standard_normal((3, 4)), np.arange(-2, 3)]:
        for keepdims in (False, True):
            try:
                with np.errstate(divide="ignore"):
                    expected = np.linalg.norm(x, ord, axis, keepdims)
            except ValueError:
                with pytest.raises((ValueError, NotImplementedError)):
                    fnp.linalg.norm(x, ord, axis, keepdims)
                continue
            with np.errstate(divide="ignore"):
                assert_same(fnp.linalg.norm(x, ord, axis, keepdims), expected)


def test_numpy_functions_dispatch_on_tracers(rng):
    a = well_conditioned(rng, (3, 3))

    def f(x):
        return (np.dot(x, x), np.matmul(x, x[0]), np.vdot(x, x), np.inner(x, x), np.outer(x, x),
                np.tensordot(x, x), np.einsum("ij,jk->ik", x, x), np.trace(x), x.dot(x),
                x.trace(), np.linalg.norm(x), np.linalg.solve(x, x[0]), np.linalg.inv(x),
                np.linalg.det(x), np.linalg.slogdet(x)[1], np.linalg.cholesky(x @ x.T))

    closed = funcad.make_jaxpr(f)(a)
    for out, expected in zip(eval_closed_jaxpr(closed, a), f(a)):
        assert_same(out, expected)
