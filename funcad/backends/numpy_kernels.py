"""Kernels of the NumPy executor: for each equation, the fastest NumPy callable that
computes it, with its params bound once at compile time.

Shapes and dtypes were checked when the IR was staged, so kernels skip the checks of the
primitives' eager implementations (which stay the fallback). Floating-point arithmetic
uses Python's operators, which NumPy maps to the same ufuncs but reaches much faster on
0-d values; integer arithmetic keeps the ufuncs (their overflow wraps silently, as eagerly).
"""
from __future__ import annotations

import functools
import operator
from collections.abc import Callable

import numpy as np

from funcad.ir.core import Eqn
from funcad.ops import _base as base

# primitive -> factory(eqn) -> kernel, or None to use the primitive's implementation
kernel_factories: dict = {}


@functools.lru_cache(maxsize=1)
def _install() -> None:
    from funcad.ops import elementwise as ew
    from funcad.ops import logical as lg
    from funcad.ops import reductions as red
    from funcad.ops import structural as st

    float_ops = {ew.add_p: operator.add, base.add_any_p: operator.add, ew.sub_p: operator.sub,
                 ew.mul_p: operator.mul, ew.div_p: operator.truediv}
    ufuncs = {ew.add_p: np.add, base.add_any_p: np.add, ew.sub_p: np.subtract,
              ew.mul_p: np.multiply, ew.max_p: np.maximum, ew.min_p: np.minimum,
              ew.atan2_p: np.arctan2, ew.pow_p: np.power, lg.and_p: np.bitwise_and,
              lg.or_p: np.bitwise_or, lg.xor_p: np.bitwise_xor}
    compare = {lg.eq_p: operator.eq, lg.ne_p: operator.ne, lg.lt_p: operator.lt,
               lg.le_p: operator.le, lg.gt_p: operator.gt, lg.ge_p: operator.ge}

    def binary(prim):
        def factory(eqn: Eqn):
            if eqn.outvars[0].aval.dtype.kind in "fc" and prim in float_ops:
                return float_ops[prim]
            return ufuncs.get(prim)

        return factory

    for prim in {**float_ops, **ufuncs}:
        kernel_factories[prim] = binary(prim)
    for prim, fn in compare.items():
        kernel_factories[prim] = lambda eqn, fn=fn: fn
    kernel_factories[ew.neg_p] = lambda eqn: operator.neg
    kernel_factories[base.select_n_p] = _select_n
    kernel_factories[base.convert_element_type_p] = _convert
    kernel_factories[ew.integer_pow_p] = _integer_pow
    kernel_factories[ew.stop_gradient_p] = lambda eqn: _identity
    kernel_factories[base.broadcast_in_dim_p] = _broadcast_in_dim
    kernel_factories[base.reshape_p] = _reshape_to_out
    kernel_factories[st.squeeze_p] = _reshape_to_out
    kernel_factories[st.expand_dims_p] = _reshape_to_out
    kernel_factories[base.transpose_p] = _transpose
    kernel_factories[base.reduce_sum_p] = _reducer(np.add)
    kernel_factories[red.reduce_prod_p] = _reducer(np.multiply)
    kernel_factories[red.reduce_max_p] = _reducer(np.maximum)
    kernel_factories[red.reduce_min_p] = _reducer(np.minimum)


def _identity(x):
    return x


def _select_n(eqn: Eqn):
    if eqn.invars[0].aval.dtype == np.bool_ and len(eqn.invars) == 3:
        return lambda which, on_false, on_true: np.where(which, on_true, on_false)
    return None


def _convert(eqn: Eqn):
    dtype = eqn.params["new_dtype"]
    return lambda x: x.astype(dtype)


def _integer_pow(eqn: Eqn):
    if eqn.params["y"] == 2:
        return np.square
    return None


def _broadcast_in_dim(eqn: Eqn):
    shape, dims = eqn.params["shape"], eqn.params["broadcast_dimensions"]
    in_shape = eqn.invars[0].aval.shape
    expanded = [1] * len(shape)
    for src, dst in enumerate(dims):
        expanded[dst] = in_shape[src]
    expanded = tuple(expanded)
    return lambda x: np.broadcast_to(np.reshape(x, expanded), shape)


def _reshape_to_out(eqn: Eqn):
    shape = eqn.outvars[0].aval.shape
    return lambda x: np.reshape(x, shape)


def _transpose(eqn: Eqn):
    perm = eqn.params["permutation"]
    return lambda x: np.transpose(x, perm)


def _reducer(ufunc: np.ufunc):
    def factory(eqn: Eqn):
        axes = eqn.params["axes"]
        aval = eqn.invars[0].aval
        if any(aval.shape[a] == 0 for a in axes) and ufunc in (np.maximum, np.minimum):
            return None  # the identity of an empty max/min comes from the implementation
        dtype = aval.dtype if ufunc in (np.add, np.multiply) else None
        return lambda x: ufunc.reduce(x, axis=axes, dtype=dtype)

    return factory


@functools.lru_cache(maxsize=1)
def _inplace_table() -> tuple[dict, frozenset]:
    """Ufuncs that can write their result into an operand's buffer (``out=``), and the
    primitives whose kernels return a new array of their own (when not 0-d)."""
    from funcad.ops import elementwise as ew
    from funcad.ops import linalg as la
    from funcad.ops import reductions as red

    ufuncs = {ew.add_p: np.add, base.add_any_p: np.add, ew.sub_p: np.subtract,
              ew.mul_p: np.multiply, ew.max_p: np.maximum, ew.min_p: np.minimum,
              ew.atan2_p: np.arctan2, ew.neg_p: np.negative, ew.square_p: np.square}
    float_only = {ew.div_p: np.true_divide, ew.pow_p: np.power}
    fresh = {*ufuncs, *float_only, base.select_n_p, base.convert_element_type_p,
             ew.integer_pow_p, la.dot_general_p, base.reduce_sum_p, red.reduce_prod_p,
             red.reduce_max_p, red.reduce_min_p}
    fresh.update(p for p in vars(ew).values() if isinstance(getattr(p, "impl", None), np.ufunc))
    return {"any": ufuncs, "float": float_only}, frozenset(fresh)


def inplace_ufunc(eqn: Eqn) -> np.ufunc | None:
    """A ufunc computing ``eqn`` that may write into an operand of the result's type."""
    if len(eqn.outvars) != 1 or not eqn.outvars[0].aval.shape:
        return None
    tables, _ = _inplace_table()
    prim, dtype = eqn.primitive, eqn.outvars[0].aval.dtype
    if any(x.aval.dtype != dtype for x in eqn.invars):
        return None
    fn = tables["any"].get(prim)
    if fn is None and dtype.kind in "fc":
        fn = tables["float"].get(prim)
    if fn is None and prim.name == "integer_pow" and eqn.params["y"] == 2:
        fn = np.square
    if fn is None and not eqn.params and isinstance(prim.impl, np.ufunc):
        fn = prim.impl
    return fn


def returns_fresh(eqn: Eqn) -> bool:
    """Whether the kernel of ``eqn`` returns a new array that nothing else refers to (views
    such as reshapes, transposes and broadcasts do not)."""
    _, fresh = _inplace_table()
    return eqn.primitive in fresh and all(v.aval.shape for v in eqn.outvars)


def kernel(eqn: Eqn) -> Callable:
    """A callable computing ``eqn`` from its operand values."""
    _install()
    factory = kernel_factories.get(eqn.primitive)
    fn = factory(eqn) if factory is not None else None
    if fn is not None:
        return fn
    impl = eqn.primitive.impl
    return functools.partial(impl, **eqn.params) if eqn.params else impl


__all__ = ["inplace_ufunc", "kernel", "kernel_factories", "returns_fresh"]
