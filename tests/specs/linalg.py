"""Op-spec rows of products and linear algebra: dot matmul vdot inner outer tensordot einsum
trace, and linalg.norm solve inv det slogdet cholesky (on well-conditioned and SPD inputs)."""
from __future__ import annotations

import numpy as np

import funcad.numpy as fnp

from specs.spec import BOOL, F32, F64, I32, OpSpec, conj_t, normal, uniform_args

_PRODUCT_DTYPES = (F64, F32, I32)


def _row(name, fn, ref, cases, dtypes=_PRODUCT_DTYPES, **kw) -> OpSpec:
    return OpSpec(name, fn, ref, cases, dtypes, **kw)


# --- make_args -----------------------------------------------------------------------------

def _well_conditioned(rng, shapes, dtype):
    """Square matrices (the first shape) dominated by their diagonal, then plain draws."""
    a, *rest = uniform_args(rng, shapes, dtype, (-1.0, 1.0))
    n = shapes[0][-1]
    a = np.asarray(a + 2.0 * n * np.eye(n), dtype)
    return [a, *rest]


def _general_square(rng, shapes, dtype):
    """Square matrices with random signs and pivoting (det/slogdet of either sign)."""
    a = np.asarray(normal(rng, shapes[0], dtype), dtype)
    n = shapes[0][-1]
    return [np.asarray(a + 0.5 * n * np.eye(n)[rng.permutation(n)], dtype)]


def _spd(rng, shapes, dtype):
    """Symmetric (Hermitian) positive-definite matrices ``m @ m^H + n I``."""
    m = normal(rng, shapes[0], dtype)
    n = shapes[0][-1]
    return [np.asarray(m @ conj_t(m) + n * np.eye(n), dtype)]


def _away_from_zero(rng, shapes, dtype):
    """Entries with |x| >= 0.25, so that norms with abs are differentiable."""
    out = []
    for a in uniform_args(rng, shapes, dtype, (0.25, 2.0)):
        out.append(np.asarray(a * np.where(rng.random(a.shape) < 0.5, -1, 1), dtype))
    return out


# --- products --------------------------------------------------------------------------------

_MATMUL_CASES = (
    ((3,), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (4, 3, 2)),
    ((3,), (2, 3, 4)),
    ((1, 2, 3), (4, 3, 2)),
    ((2, 1, 2, 3), (3, 3, 2)),
)

_EINSUM = {
    "ij,jk->ik": ((2, 3), (3, 4)),
    "ij,jk": ((2, 3), (3, 4)),
    "bij,bjk->bik": ((2, 2, 3), (2, 3, 4)),
    "ii": ((3, 3),),
    "ii->i": ((3, 3),),
    "iij->j": ((3, 3, 2),),
    "ij->ji": ((2, 3),),
    "i,j->ij": ((2,), (3,)),
    "ijk,kj->i": ((2, 3, 4), (4, 3)),
    "...ij,...jk->...ik": ((2, 1, 2, 3), (4, 3, 2)),
    "...i->...": ((2, 3),),
    "ab,bc,cd->ad": ((2, 3), (3, 4), (4, 2)),
    "i,i,i": ((3,), (3,), (3,)),
    "ij,ij->": ((2, 3), (2, 3)),
    "i,i": ((1,), (3,)),
    "Ab,bA": ((2, 3), (3, 2)),
}


def _einsum_row(subscripts: str, shapes) -> OpSpec:
    return _row(
        f"einsum[{subscripts}]",
        lambda *xs: fnp.einsum(subscripts, *xs),
        lambda *xs: np.einsum(subscripts, *xs),
        (shapes,),
        (F64, I32),
    )


def _tensordot_row(axes, cases) -> OpSpec:
    return _row(f"tensordot[axes={axes}]", lambda a, b: fnp.tensordot(a, b, axes),
                lambda a, b: np.tensordot(a, b, axes), cases, (F64, I32))


def _trace_row(cases, **kw) -> OpSpec:
    name = "trace" + (f"[{','.join(f'{k}={v}' for k, v in kw.items())}]" if kw else "")
    return _row(name, lambda x: fnp.trace(x, **kw), lambda x: np.trace(x, **kw), cases,
                (F64, I32, BOOL))


_PRODUCTS: list[OpSpec] = [
    _row("dot", fnp.dot, np.dot,
         (((), (3,)), ((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((2, 2, 3), (4, 3, 2))),
         (F64, F32, I32, BOOL)),
    _row("matmul", fnp.matmul, np.matmul, _MATMUL_CASES),
    _row("vdot", fnp.vdot, np.vdot, (((3,), (3,)), ((2, 3), (3, 2)))),
    _row("inner", fnp.inner, np.inner, (((), (3,)), ((3,), (3,)), ((2, 3), (4, 3)))),
    _row("outer", fnp.outer, np.outer, (((3,), (2,)), ((2, 2), (3,)))),
    _tensordot_row(2, (((2, 3, 4), (3, 4, 2)),)),
    _tensordot_row(1, (((2, 3), (3, 4)),)),
    _tensordot_row(0, (((2,), (3,)),)),
    _tensordot_row(((1, 0), (0, 2)), (((3, 2, 4), (2, 5, 3)),)),
    _tensordot_row(([-1], [0]), (((2, 3), (3, 4)),)),
    *[_einsum_row(s, shapes) for s, shapes in _EINSUM.items()],
    _trace_row((((3, 3),), ((2, 4),), ((2, 3, 4),))),
    _trace_row((((3, 4),),), offset=1),
    _trace_row((((4, 3),),), offset=-2),
    _trace_row((((2, 3, 4),),), axis1=2, axis2=0),
    _row("operators.matmul", lambda a, b: a @ b, lambda a, b: a @ b,
         (((2, 3), (3, 4)), ((4, 2, 3), (3,))), (F64,), tags=("operators",)),
]


# --- linalg ----------------------------------------------------------------------------------

def _norm_row(ord, axis, cases, keepdims=False, **kw) -> OpSpec:  # noqa: A002 - NumPy name
    name = f"linalg.norm[ord={ord},axis={axis}" + (",keepdims]" if keepdims else "]")
    return _row(
        name,
        lambda x: fnp.linalg.norm(x, ord, axis, keepdims),
        lambda x: np.linalg.norm(x, ord, axis, keepdims),
        cases,
        (F64, F32, I32) if ord is None else (F64,),
        make_args=_away_from_zero,
        **kw,
    )


_LINALG_TOL = {"rtol": 1e-9, "atol": 1e-9}
_LINALG_TOL_F32 = {"rtol": 1e-4, "atol": 1e-4}

_LINALG: list[OpSpec] = [
    _norm_row(None, None, (((4,),), ((2, 3),), ((2, 3, 2),))),
    _norm_row(None, None, (((2, 3),),), keepdims=True),
    _norm_row(None, -1, (((2, 3),),)),
    _norm_row(1, 0, (((3, 2),),)),
    _norm_row(np.inf, 1, (((3, 2),),), keepdims=True),
    _norm_row(-np.inf, None, (((4,),),)),
    _norm_row(0, None, (((4,),),), differentiable=False),
    _norm_row(3, -1, (((2, 4),),)),
    _norm_row(0.5, None, (((4,),),)),
    _norm_row("fro", (0, 1), (((2, 3),),)),
    _norm_row(1, (0, 1), (((2, 3),),)),
    _norm_row(-1, None, (((3, 3),),)),
    _norm_row(np.inf, (2, 0), (((2, 3, 4),),), keepdims=True),
    _norm_row(-np.inf, (-1, -2), (((2, 3, 4),),)),
    _row("linalg.solve", fnp.linalg.solve, np.linalg.solve,
         (((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)), ((2, 3, 3), (4, 1, 3, 2))),
         (F64,), make_args=_well_conditioned, **_LINALG_TOL),
    _row("linalg.solve[f32]", fnp.linalg.solve, np.linalg.solve, (((3, 3), (3, 2)),),
         (F32,), make_args=_well_conditioned, **_LINALG_TOL_F32),
    _row("linalg.inv", fnp.linalg.inv, np.linalg.inv, (((3, 3),), ((2, 4, 4),), ((1, 1),)),
         (F64,), make_args=_well_conditioned, **_LINALG_TOL),
    _row("linalg.inv[f32]", fnp.linalg.inv, np.linalg.inv, (((3, 3),),),
         (F32,), make_args=_well_conditioned, **_LINALG_TOL_F32),
    _row("linalg.det", fnp.linalg.det, np.linalg.det, (((3, 3),), ((2, 4, 4),), ((1, 1),)),
         (F64,), make_args=_general_square, **_LINALG_TOL),
    _row("linalg.det[f32]", fnp.linalg.det, np.linalg.det, (((3, 3),),),
         (F32,), make_args=_general_square, **_LINALG_TOL_F32),
    _row("linalg.slogdet", lambda a: tuple(fnp.linalg.slogdet(a)),
         lambda a: tuple(np.linalg.slogdet(a)), (((3, 3),), ((2, 4, 4),)),
         (F64,), make_args=_general_square, **_LINALG_TOL),
    _row("linalg.cholesky", fnp.linalg.cholesky, np.linalg.cholesky,
         (((3, 3),), ((2, 4, 4),)), (F64,), make_args=_spd, **_LINALG_TOL),
    _row("linalg.cholesky[f32]", fnp.linalg.cholesky, np.linalg.cholesky, (((3, 3),),),
         (F32,), make_args=_spd, **_LINALG_TOL_F32),
    _row("linalg.cholesky[upper]", lambda a: fnp.linalg.cholesky(a, upper=True),
         lambda a: np.linalg.cholesky(a, upper=True), (((3, 3),),), (F64,), make_args=_spd,
         **_LINALG_TOL),
]

SPECS: list[OpSpec] = [*_PRODUCTS, *_LINALG]
