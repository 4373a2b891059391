"""Exactness of the sparsity rules of sorting, top_k, FFTs, decompositions, windows,
convolutions and general gathers/scatters, on structured cases: the detected pattern equals
the union of the dense Jacobian's (Hessian's) nonzeros at random points where the rule is
exact, and equals the block structure the primitive has by design where the dense values
have accidental zeros; ``sparse_jacobian`` equals ``jacfwd`` throughout."""
from __future__ import annotations

import numpy as np
import pytest

import funcad
import funcad.lax as lax
import funcad.numpy as fnp
from funcad.ops.sharding import sharding_constraint
from funcad.ops.windows import window_patches, window_patches_transpose


def _points(n, count=3, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.5, 1.5, n) for _ in range(count)]


def _union_nonzeros(mats):
    return np.logical_or.reduce([np.asarray(m) != 0 for m in mats])


def _check_jacobian(fun, n, exact=True, blocks=None):
    points = _points(n)
    dense = [np.asarray(funcad.jacfwd(fun)(x)).reshape(-1, n) for x in points]
    pattern = funcad.jacobian_sparsity(fun)(points[0]).toarray()
    union = _union_nonzeros(dense)
    assert not (union & ~pattern).any(), np.argwhere(union & ~pattern)[:5]
    if exact:
        np.testing.assert_array_equal(pattern, union)
    if blocks is not None:
        np.testing.assert_array_equal(pattern, blocks)
    sj = funcad.sparse_jacobian(fun)
    for x, d in zip(points, dense):
        np.testing.assert_allclose(sj(x).toarray(), d, rtol=1e-12, atol=1e-12)
    return pattern


def _check_hessian(fun, n, exact=True):
    points = _points(n, seed=1)
    dense = [np.asarray(funcad.hessian(fun)(x)) for x in points]
    pattern = funcad.hessian_sparsity(fun)(points[0]).toarray()
    union = _union_nonzeros(dense)
    assert not (union & ~pattern).any(), np.argwhere(union & ~pattern)[:5]
    if exact:
        np.testing.assert_array_equal(pattern, union)
    for x, d in zip(points, dense):
        np.testing.assert_allclose(funcad.sparse_hessian(fun)(x).toarray(), d, rtol=1e-10,
                                   atol=1e-10)
    return pattern


def _blocks(count, rows, cols):
    return np.kron(np.eye(count, dtype=bool), np.ones((rows, cols), bool))


# --- sorting --------------------------------------------------------------------------------

def test_sort_is_dense_within_each_row():
    _check_jacobian(lambda x: lax.sort(x.reshape(3, 4), dimension=1).ravel(), 12,
                    exact=False, blocks=_blocks(3, 4, 4))
    # along the first axis: element (i, j) mixes column j
    pattern = _check_jacobian(lambda x: lax.sort(x.reshape(3, 4), dimension=0).ravel(), 12,
                              exact=False)
    col = np.arange(12) % 4
    np.testing.assert_array_equal(pattern, col[:, None] == col[None, :])


def test_sort_key_val_values_follow_only_their_own_row():
    def f(x):
        keys, vals = x[:6].reshape(2, 3), x[6:].reshape(2, 3)
        return lax.sort_key_val(keys, vals, dimension=1)[1].ravel()

    expected = np.zeros((6, 12), bool)
    expected[:, 6:] = _blocks(2, 3, 3)  # the keys only permute (piecewise constant)
    _check_jacobian(f, 12, exact=False, blocks=expected)


def test_sort_has_no_second_order_interactions():
    w = np.linspace(-1.0, 2.0, 8)
    pattern = _check_hessian(lambda x: fnp.sum(w * lax.sort(x.reshape(2, 4)).ravel()), 8)
    assert not pattern.any()


def test_top_k_values_depend_on_their_row():
    _check_jacobian(lambda x: lax.top_k(x.reshape(3, 5), 2)[0].ravel(), 15, exact=False,
                    blocks=_blocks(3, 2, 5))


# --- fft and decompositions -----------------------------------------------------------------

def test_fft_is_dense_along_transformed_axes_only():
    def f(x):
        y = lax.fft(x.reshape(3, 5).astype(np.complex128), "FFT", (5,))
        return fnp.concatenate([fnp.real(y).ravel(), fnp.imag(y).ravel()])

    blocks = _blocks(3, 5, 5)
    _check_jacobian(f, 15, exact=False, blocks=np.concatenate([blocks, blocks]))
    # the real part of a 5-point DFT has no zero entries: exact
    _check_jacobian(lambda x: fnp.real(fnp.fft.fft(x.reshape(3, 5), axis=-1)).ravel(), 15,
                    blocks=blocks)


def test_matrix_functions_are_dense_per_batch_matrix():
    expm = lambda x: funcad.scipy.linalg.expm(x.reshape(2, 3, 3)).ravel()  # noqa: E731
    _check_jacobian(expm, 18, blocks=_blocks(2, 9, 9))

    def eigvalsh(x):
        a = x.reshape(2, 3, 3)
        return fnp.linalg.eigvalsh(a + fnp.swapaxes(a, -1, -2)).ravel()

    _check_jacobian(eigvalsh, 18, exact=False, blocks=_blocks(2, 3, 9))
    _check_jacobian(lambda x: fnp.linalg.svd(x.reshape(2, 3, 2), compute_uv=False).ravel(),
                    12, blocks=_blocks(2, 2, 6))
    _check_jacobian(lambda x: fnp.linalg.qr(x.reshape(2, 3, 3))[1].ravel(), 18, exact=False,
                    blocks=_blocks(2, 9, 9))


def test_eig_is_dense_per_batch_matrix():
    def f(x):  # symmetric functions of the eigenvalues of each matrix of the batch
        w = fnp.linalg.eigvals(x.reshape(2, 3, 3))
        return fnp.real(fnp.stack([fnp.sum(w * w, axis=-1), fnp.prod(w, axis=-1)])).ravel()

    _check_jacobian(f, 18, blocks=np.tile(_blocks(2, 1, 9), (2, 1)))


def test_expm_frechet_is_linear_in_its_direction():
    def f(x):
        a, e = x[:4].reshape(2, 2), x[4:].reshape(2, 2)
        return fnp.sum(funcad.scipy.linalg.expm_frechet(a, e, compute_expm=False) * a)

    pattern = _check_hessian(f, 8, exact=False)
    assert not pattern[4:, 4:].any()  # no second derivative in the direction E
    assert pattern[:4, :].all()


# --- windows and convolutions ---------------------------------------------------------------

POOLS = [
    ("sum", dict(window_dimensions=(3,), window_strides=(1,), padding=((1, 1),))),
    ("sum", dict(window_dimensions=(2,), window_strides=(2,), padding=((0, 1),),
                 base_dilation=(2,))),
    ("max", dict(window_dimensions=(3,), window_strides=(2,), padding=((1, 0),),
                 window_dilation=(2,))),
    ("min", dict(window_dimensions=(2,), window_strides=(1,), padding=((0, 0),))),
]


@pytest.mark.parametrize("op,params", POOLS, ids=[f"{p[0]}{i}" for i, p in enumerate(POOLS)])
def test_pooling_reads_exactly_its_windows(op, params):
    init = {"sum": 0.0, "max": -np.inf, "min": np.inf}[op]
    comp = {"sum": lax.add, "max": lax.max, "min": lax.min}[op]

    def pool(x):
        return lax.reduce_window(x, init, comp, **params)

    summed = dict(params)
    windows = funcad.jacfwd(lambda x: lax.reduce_window(x, 0.0, lax.add, **summed))(
        np.ones(7)) != 0  # window membership, read off the linear sum pooling
    pattern = _check_jacobian(pool, 7, exact=op == "sum", blocks=windows)
    assert pattern.any()
    weights = np.linspace(1.0, 2.0, np.size(pool(np.ones(7))))
    hess = funcad.hessian_sparsity(lambda x: fnp.sum(pool(x) * weights))(np.ones(7)).toarray()
    assert not hess.any()  # (piecewise) linear


def test_window_patches_and_transpose_move_exactly():
    params = dict(window_dimensions=(2, 2), window_strides=(1, 2), window_dilation=(2, 1))
    _check_jacobian(lambda x: window_patches(x.reshape(4, 5), **params).ravel(), 20)
    patches_shape = window_patches(np.zeros((4, 5)), **params).shape
    n = int(np.prod(patches_shape))
    _check_jacobian(lambda c: window_patches_transpose(c.reshape(patches_shape), (4, 5),
                                                       **params).ravel(), n)


def test_conv_with_known_three_tap_kernel_is_banded():
    kernel = np.array([1.0, -2.0, 1.0]).reshape(1, 1, 3)

    def laplace(x):
        return lax.conv_general_dilated(x.reshape(1, 1, 9), kernel, (1,), "SAME").ravel()

    band = np.abs(np.subtract.outer(np.arange(9), np.arange(9))) <= 1
    _check_jacobian(laplace, 9, blocks=band)
    # a known zero tap is no dependence
    sparse_kernel = np.array([1.0, 0.0, 1.0]).reshape(1, 1, 3)
    pattern = funcad.jacobian_sparsity(lambda x: lax.conv_general_dilated(
        x.reshape(1, 1, 9), sparse_kernel, (1,), "SAME").ravel())(np.ones(9)).toarray()
    np.testing.assert_array_equal(pattern, band & ~np.eye(9, dtype=bool))


CONVS = [  # lhs shape, rhs shape, keyword arguments
    ((1, 2, 6), (3, 2, 3), dict(window_strides=(1,), padding=((1, 1),))),
    ((2, 2, 5, 4), (2, 2, 2, 3), dict(window_strides=(2, 1), padding=((1, 0), (0, 1)),
                                      rhs_dilation=(1, 2))),
    ((1, 4, 5), (4, 2, 2), dict(window_strides=(1,), padding=((0, 0),), lhs_dilation=(2,),
                                feature_group_count=2)),
    ((4, 1, 5), (2, 1, 2), dict(window_strides=(1,), padding=((0, 0),), batch_group_count=2)),
    ((1, 5, 5, 2), (3, 3, 2, 2), dict(window_strides=(1, 1), padding="SAME",
                                      dimension_numbers=("NHWC", "HWIO", "NHWC"))),
]


@pytest.mark.parametrize("lhs_shape,rhs_shape,kw", CONVS, ids=[str(i) for i in range(len(CONVS))])
def test_conv_patterns_are_exact_receptive_fields(lhs_shape, rhs_shape, kw):
    nl, nr = int(np.prod(lhs_shape)), int(np.prod(rhs_shape))

    def conv(v):
        return lax.conv_general_dilated(v[:nl].reshape(lhs_shape), v[nl:].reshape(rhs_shape),
                                        **kw).ravel()

    _check_jacobian(conv, nl + nr)
    weights = np.random.default_rng(3).normal(size=np.asarray(conv(np.ones(nl + nr))).size)
    hess = _check_hessian(lambda v: fnp.sum(weights * conv(v)), nl + nr)
    assert not hess[:nl, :nl].any() and not hess[nl:, nl:].any()  # bilinear


# --- general gather and scatter -------------------------------------------------------------

DN = lax.GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,),
                                start_index_map=(0,))
SDN = lax.ScatterDimensionNumbers(update_window_dims=(1,), inserted_window_dims=(0,),
                                  scatter_dims_to_operand_dims=(0,))
ROWS = np.array([[2], [0], [2], [5]])  # a repeat and an out-of-bounds row
ROWS_UNIQUE = np.array([[2], [0], [3], [1]])


@pytest.mark.parametrize("mode", ["clip", "fill"])
def test_gather_with_constant_indices_is_exact(mode):
    _check_jacobian(lambda x: lax.gather(x.reshape(4, 3), ROWS, DN, (1, 3), mode=mode,
                                         fill_value=0.0).ravel(), 12)


@pytest.mark.parametrize("name", ["scatter", "scatter_add", "scatter_mul", "scatter_max",
                                  "scatter_min"])
@pytest.mark.parametrize("mode", ["clip", "fill"])
def test_scatters_with_constant_indices_are_exact(name, mode):
    op = getattr(lax, name)

    rows = ROWS_UNIQUE if name == "scatter_mul" else ROWS  # its derivative needs them

    def f(v, op=op):
        return op(v[:12].reshape(4, 3), rows, v[12:].reshape(4, 3), SDN, mode=mode,
                  unique_indices=name == "scatter_mul").ravel()

    weights = np.arange(1.0, 13.0)
    if name in ("scatter_max", "scatter_min"):
        # which update wins varies with the point: the global pattern is scatter_add's
        blocks = funcad.jacobian_sparsity(lambda v: f(v, lax.scatter_add))(np.ones(24))
        _check_jacobian(f, 24, exact=False, blocks=blocks.toarray())
    else:
        _check_jacobian(f, 24)
    if name == "scatter_mul":
        _check_hessian(lambda v: fnp.sum(f(v) * weights), 24)
    else:
        assert not funcad.hessian_sparsity(lambda v: fnp.sum(f(v) * weights))(
            np.ones(24)).toarray().any()


def test_gather_and_scatter_with_runtime_indices_are_conservative():
    def f(v):
        x = v[:12].reshape(4, 3)
        idx = fnp.argmax(v[:4]).reshape(1, 1).astype(np.int32)
        g = lax.gather(x, idx, DN, (1, 3), mode="clip").ravel()
        s = lax.scatter_add(x, idx, v[12:15].reshape(1, 3), SDN, mode="clip").ravel()
        return fnp.concatenate([g, s])

    pattern = _check_jacobian(f, 15, exact=False)
    column = np.arange(12) % 3
    # the gathered row may be any row, but column j stays column j
    np.testing.assert_array_equal(pattern[:3, :12], np.arange(3)[:, None] == column)
    # each scattered element is its own element or the update of its column
    np.testing.assert_array_equal(pattern[3:, 12:], column[:, None] == np.arange(3))
    np.testing.assert_array_equal(pattern[3:, :12], np.eye(12, dtype=bool))


# --- identities and custom rules ------------------------------------------------------------

def test_sharding_constraint_is_the_identity():
    _check_jacobian(lambda x: sharding_constraint(x * 2.0, None), 5, blocks=np.eye(5, dtype=bool))
    assert not funcad.hessian_sparsity(lambda x: fnp.sum(sharding_constraint(x, None)))(
        np.ones(5)).toarray().any()


def test_custom_lin_reads_its_linear_map():
    @funcad.custom_vjp
    def scale(x):
        return 3.0 * x

    scale.defvjp(lambda x: (scale(x), None), lambda _, ct: (3.0 * ct,))

    def f(x):  # forward mode through a custom_vjp function stages custom_lin
        return funcad.jvp(scale, (x,), (x[::-1] * x,))[1]

    pattern = _check_jacobian(f, 6, exact=False)
    np.testing.assert_array_equal(pattern, np.eye(6, dtype=bool) | np.eye(6, dtype=bool)[::-1])
