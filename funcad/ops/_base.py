"""The primitives the machinery itself needs, and the rule definers built on them.

Interpreters add tangents (``add_any``), make zeros and move batch axes (``broadcast_in_dim``,
``transpose``). The rules of ``add_any``, ``broadcast_in_dim``, ``reshape``, ``transpose``,
``reduce_sum``, ``select_n``, ``convert_element_type`` and ``real`` need one another, so they
live together below every other family (the other complex parts: ``ops.complex_parts``).
"""
from __future__ import annotations

import math
import operator
from collections.abc import Callable

import numpy as np

from funcad.core import dtypes
from funcad.core.avals import ShapedArray
from funcad.core.primitive import Primitive
from funcad.core.rules import (
    Call,
    Infix,
    Moves,
    Prec,
    Reduces,
    Reduction,
    Selection,
    ZeroDerivative,
    algebra_rules,
    batch_rules,
    commutative,
    explain_notation,
    fills_with_operand,
    identity_tests,
    jvp_rules,
    sparsity_curvature,
    sparsity_rules,
    sum_rebuilders,
    taylor_rules,
    term_scalers,
    transpose_rules,
)
from funcad.core.symbolic import Zero, is_undefined, not_mapped
from funcad.core.trace import get_aval
from funcad.ir.core import Eqn, Literal, Var
from funcad.ir.simplify import drops_unit, forward, fuses_nested
from funcad.ops._kernels import (
    arithmetic_kernel,
    broadcast_kernel,
    convert_kernel,
    defkernel,
    reduce_kernel,
    reshape_kernel,
    select_kernel,
    transpose_kernel,
)
from funcad.ops._shapes import (
    NUMERIC,
    axis_size_of,
    canonical_axes,
    check_same_dtypes,
    check_same_shapes,
    complex_part_primitive,
    elementwise_primitive,
    inverse_perm,
    kept_axes,
    new_primitive,
    new_reducer,
    shape_tuple,
    shift_axes,
    type_error,
)

# --- tangents: zeros and sums ------------------------------------------------------------------

def zeros_of(aval: ShapedArray):
    """A materialized zero array of ``aval`` (staged like any other operation)."""
    return broadcast_in_dim(np.zeros((), aval.dtype), aval.shape, ())


def instantiate_zeros(t):
    return zeros_of(t.aval) if type(t) is Zero else t


def add_tangents(x, y):
    """Sum of two tangents (or cotangents), keeping symbolic zeros symbolic."""
    if x is None or type(x) is Zero:
        return y
    if y is None or type(y) is Zero:
        return x
    return add_any_p.bind(x, y)


# --- batch axes ----------------------------------------------------------------------------------

def moveaxis(x, src: int, dst: int):
    """Move axis ``src`` of ``x`` to position ``dst`` (a transpose, skipped if trivial)."""
    ndim = get_aval(x).ndim
    src, dst = src % ndim, dst % ndim
    if src == dst:
        return x
    perm = [i for i in range(ndim) if i != src]
    perm.insert(dst, src)
    return transpose(x, perm)


def bdim_at(x, bdim: int | None, dst: int, size: int):
    """``x`` with its batch axis at ``dst``; an unbatched ``x`` is broadcast along it."""
    if bdim is not_mapped:
        aval = get_aval(x)
        shape = list(aval.shape)
        dst = dst % (aval.ndim + 1)
        shape.insert(dst, size)
        dims = [i for i in range(aval.ndim + 1) if i != dst]
        return broadcast_in_dim(x, shape, dims)
    return moveaxis(x, bdim, dst)


# --- definers of JVP and transpose rules -------------------------------------------------------

def defjvp(prim: Primitive, *jvp_fns: Callable | None) -> None:
    """One function per operand: ``fn(t, *primals, **params)`` gives that operand's
    contribution to the output tangent; ``None`` marks an operand with no derivative."""

    def rule(primals, tangents, **params):
        ans = prim.bind(*primals, **params)
        out = None
        for fn, t in zip(jvp_fns, tangents):
            if fn is not None and type(t) is not Zero:
                term = fn(t, *primals, **params)
                out = term if out is None else add_tangents(out, term)
        return ans, Zero.like(ans) if out is None else out

    jvp_rules[prim] = rule


def defjvp2(prim: Primitive, *jvp_fns: Callable | None) -> None:
    """Like ``defjvp`` but each function also gets the output: ``fn(t, ans, *primals)``."""

    def rule(primals, tangents, **params):
        ans = prim.bind(*primals, **params)
        out = None
        for fn, t in zip(jvp_fns, tangents):
            if fn is not None and type(t) is not Zero:
                term = fn(t, ans, *primals, **params)
                out = term if out is None else add_tangents(out, term)
        return ans, Zero.like(ans) if out is None else out

    jvp_rules[prim] = rule


def defjvp_zero(prim: Primitive) -> None:
    """A primitive whose output does not vary smoothly (comparisons, rounding, indices)."""

    def rule(primals, tangents, **params):
        ans = prim.bind(*primals, **params)
        if prim.multiple_results:
            return ans, [Zero.like(a) for a in ans]
        return ans, Zero.like(ans)

    jvp_rules[prim] = rule
    sparsity_rules[prim] = ZeroDerivative()
    taylor_rules[prim] = "zero"


def deflinear(prim: Primitive, transpose_rule: Callable) -> None:
    """A primitive jointly linear in its operands: its JVP applies it to the tangents, and
    ``transpose_rule(ct, *operands, **params)`` gives the operands' cotangents."""

    def rule(primals, tangents, **params):
        ans = prim.bind(*primals, **params)
        return ans, prim.bind(*map(instantiate_zeros, tangents), **params)

    jvp_rules[prim] = rule
    transpose_rules[prim] = transpose_rule
    sparsity_curvature[prim] = "linear"
    taylor_rules[prim] = "linear"


def defbilinear(prim: Primitive, transpose_rule: Callable) -> None:
    """``prim(x, y)`` linear in each operand: ``d prim = prim(dx, y) + prim(x, dy)``;
    ``transpose_rule(ct, x, y, **params)`` transposes the one undefined operand."""
    defjvp(prim, lambda tx, x, y, **params: prim.bind(tx, y, **params),
           lambda ty, x, y, **params: prim.bind(x, ty, **params))
    transpose_rules[prim] = transpose_rule
    sparsity_curvature[prim] = "bilinear"
    taylor_rules[prim] = "bilinear"


# --- definers of batching rules -----------------------------------------------------------------

def defvectorized(prim: Primitive) -> None:
    """A primitive acting elementwise on one operand: the batch axis just stays."""

    def rule(vals, dims, **params):
        (x,), (d,) = vals, dims
        return prim.bind(x, **params), d

    batch_rules[prim] = rule


def defbroadcasting(prim: Primitive) -> None:
    """An elementwise primitive of operands of equal shape: batched operands get their batch
    axis in one common place; unbatched ones are broadcast along it."""

    def rule(vals, dims, **params):
        batched = [d for d in dims if d is not not_mapped]
        dst = batched[0] if all(d == batched[0] for d in batched) else 0
        size = axis_size_of(vals, dims)
        args = [bdim_at(v, d, dst, size) if d != dst else v for v, d in zip(vals, dims)]
        return prim.bind(*args, **params), dst

    batch_rules[prim] = rule


def defreducer(prim: Primitive, axes_param: str = "axes") -> None:
    """Batching of a primitive reducing the axes in ``params[axes_param]`` of one operand."""

    def rule(vals, dims, **params):
        (x,), (d,) = vals, dims
        axes = params[axes_param]
        new_params = dict(params, **{axes_param: shift_axes(axes, d)})
        out_d = d - sum(1 for a in axes if a < d)
        return prim.bind(x, **new_params), out_d

    batch_rules[prim] = rule
    sparsity_rules[prim] = Reduces(axes_param)


# --- add_any: the sum of tangents / cotangents (linear) ----------------------------------------

def add_any(x, y):
    return add_any_p.bind(x, y)


add_any_p = elementwise_primitive("add_any", np.add, NUMERIC, nargs=2)
commutative.add(add_any_p)
defbroadcasting(add_any_p)
deflinear(add_any_p, lambda ct, x, y: [ct, ct])


def _add_any_rebuild(terms, out: Var) -> list[Eqn]:
    """``out`` as a chain of ``add_any`` over ``(term, k)`` pairs, a term counted ``k > 1``
    times scaled by ``k``; no term: a splat of zero; one term: a cast to the same type
    (forwarded by a later pass)."""
    aval, eqns, summands = out.aval, [], []
    scalar = ShapedArray((), aval.dtype, aval.weak_type)
    if not terms:
        return [_splat_eqn(Literal(0, scalar), out)]
    for t, k in terms:
        if k > 1:  # k * t, k splat to t's shape
            factor = Literal(k, scalar)
            if aval.shape:
                eqns.append(_splat_eqn(factor, splat := Var(aval)))
                factor = splat
            eqns.append(Eqn.new(term_scalers[add_any_p], [t, factor], [t := Var(aval)], {}))
        summands.append(t)
    acc = summands[0]
    for i, t in enumerate(summands[1:], start=2):
        dst = out if i == len(summands) else Var(aval)
        eqns.append(Eqn.new(add_any_p, [acc, t], [dst], {}))
        acc = dst
    if acc is not out:
        params = {"new_dtype": aval.dtype, "weak_type": aval.weak_type}
        eqns.append(Eqn.new(convert_element_type_p, [acc], [out], params))
    return eqns


def _splat_eqn(scalar: Literal, out: Var) -> Eqn:
    return Eqn.new(broadcast_in_dim_p, [scalar], [out],
                   {"shape": out.aval.shape, "broadcast_dimensions": ()})


algebra_rules[add_any_p] = drops_unit(0)
sum_rebuilders[add_any_p] = _add_any_rebuild
defkernel(add_any_p, arithmetic_kernel(operator.add, np.add), inplace=np.add)
explain_notation[add_any_p] = Infix("+", Prec.ADD, assoc=True, unit=0)


# --- broadcast_in_dim ------------------------------------------------------------------------

def broadcast_in_dim(operand, shape, broadcast_dimensions):
    """Place ``operand``'s axes at ``broadcast_dimensions`` of ``shape``; size-1 axes and
    the new ones are broadcast."""
    shape = shape_tuple(shape)
    dims = shape_tuple(broadcast_dimensions)
    if get_aval(operand).shape == shape and dims == tuple(range(len(shape))):
        return operand
    return broadcast_in_dim_p.bind(operand, shape=shape, broadcast_dimensions=dims)


def _broadcast_in_dim_impl(x, *, shape, broadcast_dimensions):
    expanded = [1] * len(shape)
    for src, dst in enumerate(broadcast_dimensions):
        expanded[dst] = x.shape[src]
    return np.broadcast_to(x.reshape(expanded), shape)


def _broadcast_in_dim_abstract_eval(x, *, shape, broadcast_dimensions):
    dims = broadcast_dimensions
    if len(dims) != x.ndim:
        raise type_error(
            broadcast_in_dim_p, [x],
            f"broadcast_dimensions {dims} must name one axis per operand axis",
        )
    if any(not 0 <= d < len(shape) for d in dims) or list(dims) != sorted(set(dims)):
        raise type_error(
            broadcast_in_dim_p, [x],
            f"broadcast_dimensions {dims} must be increasing axes of {shape}",
        )
    for src, dst in enumerate(dims):
        if x.shape[src] not in (1, shape[dst]):
            raise type_error(
                broadcast_in_dim_p, [x],
                f"axis {src} of size {x.shape[src]} cannot broadcast to {shape}",
            )
    return ShapedArray(shape, x.dtype, x.weak_type)


broadcast_in_dim_p = new_primitive(
    "broadcast_in_dim", _broadcast_in_dim_impl, _broadcast_in_dim_abstract_eval
)
sparsity_rules[broadcast_in_dim_p] = Moves()


def _broadcast_in_dim_transpose(ct, x, *, shape, broadcast_dimensions):
    # Sum over the new axes and the stretched size-1 axes, then restore the size-1 axes.
    in_shape = x.aval.shape
    kept = {d for src, d in enumerate(broadcast_dimensions) if in_shape[src] == shape[d]}
    summed = reduce_sum(ct, tuple(a for a in range(len(shape)) if a not in kept))
    return [reshape(summed, in_shape)]


def _broadcast_in_dim_batch(vals, dims, *, shape, broadcast_dimensions):
    (x,), (d,) = vals, dims
    bd = broadcast_dimensions
    # The batch axis goes just before the output axis operand axis d maps to.
    out_d = bd[d] if d < len(bd) else len(shape)
    new_dims = bd[:d] + (out_d,) + tuple(a + 1 for a in bd[d:])
    new_shape = shape[:out_d] + (get_aval(x).shape[d],) + shape[out_d:]
    return broadcast_in_dim(x, new_shape, new_dims), out_d


deflinear(broadcast_in_dim_p, _broadcast_in_dim_transpose)
batch_rules[broadcast_in_dim_p] = _broadcast_in_dim_batch


def _broadcast_in_dim_fused(inner, outer):
    # Axis k of the source lands on axis d1[k] of the inner result, which lands on axis
    # d2[d1[k]] of this one; a size-1 or matching axis stays valid.
    d1, d2 = inner["broadcast_dimensions"], outer["broadcast_dimensions"]
    return {"shape": outer["shape"], "broadcast_dimensions": tuple(d2[d] for d in d1)}


identity_tests[broadcast_in_dim_p] = lambda eqn: tuple(
    eqn.params["broadcast_dimensions"]) == tuple(range(len(eqn.params["shape"])))
# A broadcast of a broadcast is one broadcast (so a splat stays recognizable as one).
algebra_rules[broadcast_in_dim_p] = fuses_nested(_broadcast_in_dim_fused, forwards=False)
fills_with_operand.add(broadcast_in_dim_p)
defkernel(broadcast_in_dim_p, broadcast_kernel)
explain_notation[broadcast_in_dim_p] = Call("broadcast", ("{shape}",), elide_scalar=True)


# --- reshape ------------------------------------------------------------------------------

def reshape(operand, new_sizes, dimensions=None):
    """Row-major reshape to ``new_sizes`` (no -1), after transposing by ``dimensions``."""
    operand = operand if dimensions is None else transpose(operand, tuple(map(int, dimensions)))
    if get_aval(operand).shape == (new_sizes := shape_tuple(new_sizes)):
        return operand
    return reshape_p.bind(operand, new_sizes=new_sizes)


def _reshape_impl(x, *, new_sizes):
    return np.reshape(x, new_sizes)


def _reshape_abstract_eval(x, *, new_sizes):
    if any(d < 0 for d in new_sizes) or int(np.prod(new_sizes, dtype=np.int64)) != x.size:
        raise type_error(reshape_p, [x], f"cannot reshape to {new_sizes}")
    return ShapedArray(new_sizes, x.dtype, x.weak_type)


reshape_p = new_primitive("reshape", _reshape_impl, _reshape_abstract_eval)
sparsity_rules[reshape_p] = Moves()


def _reshape_batch(vals, dims, *, new_sizes):
    (x,), (d,) = vals, dims
    shape = get_aval(x).shape
    size = shape[d]
    # Row-major order keeps the batch axis in place if new_sizes splits where it sits.
    before = math.prod(shape[:d])
    for k in range(len(new_sizes) + 1):
        if math.prod(new_sizes[:k]) == before:
            return reshape(x, new_sizes[:k] + (size,) + new_sizes[k:]), k
    return reshape(moveaxis(x, d, 0), (size,) + new_sizes), 0


deflinear(reshape_p, lambda ct, x, *, new_sizes: [reshape(ct, x.aval.shape)])
batch_rules[reshape_p] = _reshape_batch
identity_tests[reshape_p] = lambda eqn: True
algebra_rules[reshape_p] = fuses_nested(lambda inner, outer: outer)
defkernel(reshape_p, reshape_kernel)
explain_notation[reshape_p] = Call("reshape", ("{new_sizes}",))


# --- transpose ----------------------------------------------------------------------------

def transpose(operand, permutation):
    permutation = shape_tuple(permutation)
    if permutation == tuple(range(len(permutation))):
        return operand
    return transpose_p.bind(operand, permutation=permutation)


def _transpose_impl(x, *, permutation):
    return np.transpose(x, permutation)


def _transpose_abstract_eval(x, *, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        raise type_error(transpose_p, [x], f"{permutation} is not a permutation of {x.ndim} axes")
    return ShapedArray([x.shape[p] for p in permutation], x.dtype, x.weak_type)


transpose_p = new_primitive("transpose", _transpose_impl, _transpose_abstract_eval)
sparsity_rules[transpose_p] = Moves()


def _transpose_batch(vals, dims, *, permutation):
    (x,), (d,) = vals, dims
    perm = tuple(p + (p >= d) for p in permutation)
    return transpose(x, perm[:d] + (d,) + perm[d:]), d


deflinear(
    transpose_p, lambda ct, x, *, permutation: [transpose(ct, inverse_perm(permutation))]
)
batch_rules[transpose_p] = _transpose_batch
identity_tests[transpose_p] = lambda eqn: tuple(eqn.params["permutation"]) == tuple(
    range(len(eqn.params["permutation"])))
algebra_rules[transpose_p] = fuses_nested(lambda inner, outer: {
    "permutation": tuple(inner["permutation"][i] for i in outer["permutation"])})
defkernel(transpose_p, transpose_kernel)
explain_notation[transpose_p] = Call("transpose")


# --- reduce_sum ------------------------------------------------------------------------------

def bind_reducer(prim, operand, axes):
    """Bind a reducer over ``axes`` (any ints), or return the operand when there are none."""
    aval = get_aval(operand)
    axes = tuple(sorted(canonical_axes(axes, aval.ndim, prim, [aval])))
    if not axes:
        return operand
    return prim.bind(operand, axes=axes)


def reduce_sum(operand, axes):
    """Sum over ``axes``; the dtype is kept (integer sums wrap, as in XLA)."""
    return bind_reducer(reduce_sum_p, operand, axes)


reduce_sum_p = new_reducer(
    "reduce_sum", lambda x, axes: np.sum(x, axis=axes, dtype=x.dtype), NUMERIC
)


def _reduce_sum_transpose(ct, x, *, axes):
    # Every summed element receives the cotangent of its sum.
    shape = x.aval.shape
    return [broadcast_in_dim(ct, shape, kept_axes(len(shape), axes))]


deflinear(reduce_sum_p, _reduce_sum_transpose)
defreducer(reduce_sum_p)
identity_tests[reduce_sum_p] = lambda eqn: not eqn.params["axes"]
defkernel(reduce_sum_p, reduce_kernel(np.add), fresh=True)
explain_notation[reduce_sum_p] = Reduction("sum")


# --- select_n ----------------------------------------------------------------------------

def select_n(which, *cases):
    """``cases[which]`` elementwise; ``which`` is boolean (two cases) or int32."""
    return select_n_p.bind(which, *cases)


def _select_n_impl(which, *cases):
    if which.dtype == np.bool_:
        return np.where(which, cases[1], cases[0])
    return np.choose(which, cases)


def _select_n_abstract_eval(which, *cases):
    avals = [which, *cases]
    if not cases:
        raise type_error(select_n_p, avals, "needs at least one case")
    check_same_shapes(select_n_p, cases)
    check_same_dtypes(select_n_p, cases)
    if which.shape != cases[0].shape:
        raise type_error(select_n_p, avals, "the selector must have the shape of the cases")
    if which.dtype == np.bool_:
        if len(cases) > 2:
            raise type_error(select_n_p, avals, "a boolean selector picks between two cases")
    elif which.dtype != np.int32:
        raise type_error(select_n_p, avals, "the selector must be bool or int32")
    return ShapedArray(cases[0].shape, cases[0].dtype, all(c.weak_type for c in cases))


select_n_p = new_primitive("select_n", _select_n_impl, _select_n_abstract_eval)


def _select_n_jvp(primals, tangents):
    which, *cases = primals
    ans = select_n(which, *cases)
    case_tangents = tangents[1:]
    if all(type(t) is Zero for t in case_tangents):
        return ans, Zero.like(ans)
    return ans, select_n(which, *map(instantiate_zeros, case_tangents))


def _select_n_transpose(ct, which, *cases):
    if is_undefined(which):
        raise NotImplementedError("transpose of select_n in its selector (not linear)")
    zeros = zeros_of(get_aval(ct))
    return [None] + [
        select_n(which, *[ct if j == i else zeros for j in range(len(cases))])
        if is_undefined(c) else None
        for i, c in enumerate(cases)
    ]


jvp_rules[select_n_p] = _select_n_jvp
transpose_rules[select_n_p] = _select_n_transpose
defbroadcasting(select_n_p)
algebra_rules[select_n_p] = lambda eqn, known: (  # a select between equal cases is that case
    forward(eqn.invars[1], eqn) if all(c is eqn.invars[1] for c in eqn.invars[2:]) else eqn)
defkernel(select_n_p, select_kernel, fresh=True)
explain_notation[select_n_p] = Selection()


# --- convert_element_type ----------------------------------------------------------------

def convert_element_type(operand, new_dtype, *, weak_type: bool = False):
    """As jax.lax's: complex to a real dtype goes through the real part."""
    new_dtype = np.dtype(new_dtype)
    if dtypes.is_complex(get_aval(operand).dtype) and not dtypes.is_complex(new_dtype):
        operand = real(operand)
    return convert_element_type_p.bind(operand, new_dtype=new_dtype, weak_type=bool(weak_type))


def _convert_impl(x, *, new_dtype, weak_type):
    return x.astype(new_dtype)


def _convert_abstract_eval(x, *, new_dtype, weak_type):
    if dtypes.is_complex(x.dtype) and not dtypes.is_complex(new_dtype):
        raise type_error(
            convert_element_type_p, [x], f"cannot convert complex to {new_dtype.name}; take .real"
        )
    return ShapedArray(x.shape, new_dtype, weak_type)


convert_element_type_p = new_primitive(
    "convert_element_type", _convert_impl, _convert_abstract_eval
)


def _convert_jvp(primals, tangents, *, new_dtype, weak_type):
    (x,), (t,) = primals, tangents
    ans = convert_element_type(x, new_dtype, weak_type=weak_type)
    if type(t) is Zero or not dtypes.is_inexact(new_dtype):
        return ans, Zero.like(ans)
    return ans, convert_element_type(t, new_dtype)


def _convert_transpose(ct, x, *, new_dtype, weak_type):
    if dtypes.is_complex(new_dtype) and not dtypes.is_complex(x.aval.dtype):
        ct = real(ct)  # a real input's cotangent is the real part (JAX's convention)
    return [convert_element_type(ct, x.aval.dtype)]


jvp_rules[convert_element_type_p] = _convert_jvp
transpose_rules[convert_element_type_p] = _convert_transpose
defvectorized(convert_element_type_p)
identity_tests[convert_element_type_p] = lambda eqn: True
defkernel(convert_element_type_p, convert_kernel, fresh=True)
explain_notation[convert_element_type_p] = Call("{new_dtype}")


# --- real: the real part (real-linear) ---------------------------------------------------

def real(x):
    return real_p.bind(x)


real_p = complex_part_primitive("real", np.real)
deflinear(real_p, lambda ct, x: [convert_element_type(ct, x.aval.dtype)])  # complex(ct, 0)
defvectorized(real_p)
