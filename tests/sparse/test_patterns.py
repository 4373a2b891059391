"""Detected patterns against dense derivatives at random points, and compressed values
against ``jacfwd``/``hessian``, over the corpus of structured programs."""
from __future__ import annotations

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad.errors import FuncadTypeError, FuncadValueError

from .programs import HESSIAN_PROGRAMS, JACOBIAN_PROGRAMS


def _points(n, count=3, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.5, 1.5, n) for _ in range(count)]


def _check_pattern(pattern, dense_list, exact, what):
    pattern = pattern.toarray()
    union = np.zeros_like(pattern)
    for dense in dense_list:
        nz = dense != 0
        assert not (nz & ~pattern).any(), f"{what}: pattern misses {np.argwhere(nz & ~pattern)}"
        union |= nz
    if exact:
        np.testing.assert_array_equal(pattern, union, err_msg=f"{what}: pattern not exact")


@pytest.mark.parametrize("name,fun,n,exact", JACOBIAN_PROGRAMS, ids=[p[0] for p in
                                                                    JACOBIAN_PROGRAMS])
def test_jacobian_pattern_and_values(name, fun, n, exact):
    points = _points(n)
    dense = [np.asarray(funcad.jacfwd(fun)(x)) for x in points]
    _check_pattern(funcad.jacobian_sparsity(fun)(points[0]), dense, exact, name)
    # reverse mode does not go through a while loop of unknown trip count
    for mode in ("fwd",) if name == "while_loop" else ("fwd", "rev", "auto"):
        sj = funcad.sparse_jacobian(fun, mode=mode)
        for x, d in zip(points, dense):
            np.testing.assert_allclose(sj(x).toarray(), d, rtol=1e-12, atol=1e-12)
        assert sj.num_colors <= n


@pytest.mark.parametrize("name,fun,n,exact", HESSIAN_PROGRAMS, ids=[p[0] for p in
                                                                   HESSIAN_PROGRAMS])
def test_hessian_pattern_and_values(name, fun, n, exact):
    points = _points(n)
    dense = [np.asarray(funcad.hessian(fun)(x)) for x in points]
    _check_pattern(funcad.hessian_sparsity(fun)(points[0]), dense, exact, name)
    sh = funcad.sparse_hessian(fun)
    for x, d in zip(points, dense):
        np.testing.assert_allclose(sh(x).toarray(), d, rtol=1e-12, atol=1e-12)
    assert sh.num_colors <= n


def test_second_order_interactions_are_exact():
    _, fun, n, _ = HESSIAN_PROGRAMS[1]
    h = funcad.hessian_sparsity(fun)(np.ones(n)).toarray()
    expected = np.zeros((n, n), bool)
    for i, j in [(0, 0), (0, 1), (1, 1), (2, 3), (3, 3), (4, 4), (7, 8)]:
        expected[i, j] = expected[j, i] = True
    np.testing.assert_array_equal(h, expected)


@pytest.mark.parametrize("backend", ["numpy", "xla"])
def test_under_jit(backend):
    if backend == "xla":
        pytest.importorskip("jax")
    _, fun, n, _ = JACOBIAN_PROGRAMS[3]
    _, hfun, hn, _ = HESSIAN_PROGRAMS[0]
    sj, sh = funcad.sparse_jacobian(fun), funcad.sparse_hessian(hfun)
    jj, jh = funcad.jit(sj, backend=backend), funcad.jit(sh, backend=backend)
    for x in _points(n, 2):
        got = jj(x)
        assert type(got).__name__ == "csr_array"
        np.testing.assert_allclose(got.toarray(), funcad.jacfwd(fun)(x), rtol=1e-12, atol=1e-12)
    for x in _points(hn, 2):
        np.testing.assert_allclose(jh(x).toarray(), funcad.hessian(hfun)(x), rtol=1e-12,
                                   atol=1e-12)
    staged = str(funcad.make_jaxpr(sj)(np.ones(n)))
    assert staged.count("gather") >= 1 and "scatter" not in staged


def test_pytrees_and_argnums():
    def f(params, scale):
        return {"a": fnp.sin(params["w"]) * params["b"][0] * scale, "b": params["b"] ** 2}

    params = {"w": np.linspace(0.1, 1, 4), "b": np.array([2.0, 3.0])}
    J = funcad.sparse_jacobian(f)(params, 1.5).toarray()
    dense = funcad.jacfwd(f)(params, 1.5)
    expected = np.block([[np.asarray(dense[o][i]).reshape(np.size(f(params, 1.5)[o]), -1)
                          for i in ("b", "w")] for o in ("a", "b")])
    np.testing.assert_allclose(J, expected, rtol=1e-12)
    J2 = funcad.sparse_jacobian(f, argnums=(0, 1))(params, 1.5)
    assert J2.shape == (6, 7)


def test_user_sparsity_skips_detection_and_is_checked():
    _, fun, n, _ = JACOBIAN_PROGRAMS[0]
    x = _points(n, 1)[0]
    pattern = funcad.jacobian_sparsity(fun)(x)
    sj = funcad.sparse_jacobian(fun, sparsity=pattern.toarray())
    np.testing.assert_allclose(sj(x).toarray(), funcad.jacfwd(fun)(x), rtol=1e-12)
    with pytest.raises(FuncadValueError, match=r"sparse_jacobian: sparsity has shape \(3, 3\)"):
        funcad.sparse_jacobian(fun, sparsity=np.eye(3))(x)
    with pytest.raises(FuncadValueError, match="mode"):
        funcad.sparse_jacobian(fun, mode="sideways")
    with pytest.raises(FuncadTypeError, match="hessian_sparsity needs a function with one"):
        funcad.hessian_sparsity(fun)(x)
    with pytest.raises(FuncadTypeError, match="floating-point"):
        funcad.sparse_jacobian(fun)(np.arange(3))


def test_num_colors_and_cache_per_signature():
    _, fun, n, _ = JACOBIAN_PROGRAMS[0]
    sj = funcad.sparse_jacobian(fun, mode="fwd")
    sj(np.ones(n))
    assert sj.num_colors == 3  # tridiagonal
    plan = sj.plan(np.ones(n))
    sj(np.zeros(n))
    assert sj.plan(np.ones(n)) is plan  # built once per signature
    sj(np.ones(40))
    assert sj.num_colors == 3 and sj.plan(np.ones(40)) is not plan


def test_auto_mode_falls_back_to_forward_through_a_while_loop():
    def head_and_squares(v):
        return fnp.concatenate([fnp.sum(v)[None], v ** 2])  # a dense row: rev needs 2 colors

    def looped(x):
        y = funcad.lax.while_loop(lambda s: s[1][1] < 0, lambda s: (s[0] + 1, s[1] * 0.5),
                                  (0, x))[1]
        return head_and_squares(y)

    x = np.linspace(0.1, 1.0, 6)
    plain = funcad.sparse_jacobian(head_and_squares)
    plain(x)
    assert plain.plan(x).mode == "rev" and plain.num_colors == 2
    sj = funcad.sparse_jacobian(looped)
    np.testing.assert_allclose(sj(x).toarray(), funcad.jacfwd(looped)(x), rtol=1e-12)
    assert sj.plan(x).mode == "fwd"
    with pytest.raises(funcad.errors.FuncadError, match="while_loop"):
        funcad.sparse_jacobian(looped, mode="rev")(x)


def test_abs_is_piecewise_linear_only_for_real_operands():
    x = np.array([0.3, -0.5, 0.7, 0.2])
    real = funcad.hessian_sparsity(lambda v: fnp.sum(fnp.abs(v) * 2.0))(x)
    assert real.nnz == 0
    def complex_abs(v):
        return fnp.sum(fnp.abs(v[:2] + 1j * v[2:]))

    dense = np.asarray(funcad.hessian(complex_abs)(x)) != 0
    np.testing.assert_array_equal(funcad.hessian_sparsity(complex_abs)(x).toarray(), dense)


@pytest.mark.parametrize("backend", ["numpy", "xla"])
def test_jit_builds_the_structure_once_per_signature(backend):
    if backend == "xla":
        pytest.importorskip("jax")
    _, fun, n, _ = JACOBIAN_PROGRAMS[0]
    compiled = funcad.jit(funcad.sparse_jacobian(fun), backend=backend)
    first, second = compiled(np.ones(n)), compiled(np.linspace(0, 1, n))
    assert compiled.trace_count == 1
    assert first.indices is second.indices and first.indptr is second.indptr
    assert first.data is not second.data
    np.testing.assert_allclose(second.toarray(), funcad.jacfwd(fun)(np.linspace(0, 1, n)),
                               rtol=1e-12)


def test_decompositions_are_dense_blocks():
    def f(x):
        a = fnp.reshape(x[:9], (3, 3)) + 4.0 * np.eye(3)
        spd = a @ a.T
        return fnp.concatenate([fnp.linalg.solve(a, x[9:]), fnp.ravel(fnp.linalg.cholesky(spd)),
                                x[9:] * 2.0])

    x = np.random.default_rng(3).uniform(-0.5, 0.5, 12)
    dense = np.asarray(funcad.jacfwd(f)(x)) != 0
    pattern = funcad.jacobian_sparsity(f)(x).toarray()
    assert not (dense & ~pattern).any()
    np.testing.assert_array_equal(pattern[-3:], np.eye(12, dtype=bool)[9:])  # x[9:] * 2 exact
    np.testing.assert_allclose(funcad.sparse_jacobian(f)(x).toarray(), funcad.jacfwd(f)(x),
                               rtol=1e-10, atol=1e-12)
    h = funcad.hessian_sparsity(lambda v: fnp.sum(f(v)))(x).toarray()
    dense_h = np.asarray(funcad.hessian(lambda v: fnp.sum(f(v)))(x)) != 0
    assert not (dense_h & ~h).any()
