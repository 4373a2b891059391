"""Collectives over a named ``vmap`` axis: ``psum``, ``pmean``, ``pmax``, ``pmin``,
``all_gather``, ``axis_index``.

Inside ``vmap(f, axis_name="i")`` these reduce (or gather) over the examples of axis ``"i"``.
They are primitives whose work is done by the batching rule of the batch trace carrying
that name (``axis_batch_rules``): a collective always binds at least at that trace's level,
even on constants (a ``psum`` of a value that does not vary is that value times the axis
size). A trace of another name, or an unnamed one, passes the collective through to the
examples of its own axis. After batching no collective is left, so one reaching an
implementation or the XLA lowering means a value escaped its axis: a clear error.

Conventions follow JAX (checked against jax 0.10.2): the JVP of ``psum`` is ``psum`` of the
tangent and its transpose is ``psum`` (so ``grad`` of ``psum(x ** 2)`` inside the vmap is
``n * 2x``); ``all_gather`` transposes to a sum of the cotangents scattered back by
``axis_index``. ``pmax``/``pmin`` (which JAX does not differentiate) differentiate as
``reduce_max``: the tangent averaged over the examples that attain the extremum.
"""
from __future__ import annotations

import numpy as np

from funcad.control.axis_scope import CollectivePrimitive, axis_names_arg, named_mains
from funcad.core.avals import ShapedArray
from funcad.core.rules import batch_rules, jvp_rules
from funcad.core.symbolic import Zero, not_mapped
from funcad.core.trace import get_aval
from funcad.errors import (
    FuncadNotImplementedError,
    FuncadTypeError,
    FuncadValueError,
    with_user_line,
)
from funcad.interpreters.batching import axis_batch_rules
from funcad.ops._base import (
    broadcast_in_dim,
    convert_element_type,
    deflinear,
    instantiate_zeros,
    moveaxis,
    reduce_sum,
    reshape,
)
from funcad.ops.arithmetic import div, mul
from funcad.ops.dynamic_slicing import dynamic_slice
from funcad.ops.logical import eq
from funcad.ops.reductions import reduce_max, reduce_min
from funcad.tree_util import tree_map

# --- axis sizes ---------------------------------------------------------------------------------

def axis_size(axis_name, fn: str = "axis_size") -> int:
    """The number of examples of the named axes in scope (their product for several)."""
    size = 1
    for main in named_mains(axis_names_arg(axis_name, fn), fn):
        size *= main.global_data
    return size


def _unbatched_impl(name: str):
    def impl(*args, axis_name, **params):
        raise FuncadNotImplementedError(
            f"funcad.lax.{name} over axis {axis_name!r} was evaluated outside the vmap that "
            "names it (an IR staged inside vmap(axis_name=...), e.g. by make_jaxpr or "
            "linearize, and run after that vmap returned): there is no axis to reduce over; "
            "run it inside the vmap")
    return impl


def _same_aval(x: ShapedArray, **params) -> ShapedArray:
    return ShapedArray(x.shape, x.dtype, x.weak_type)


def _new(name: str, abstract_eval) -> CollectivePrimitive:
    prim = CollectivePrimitive(name)
    prim.def_impl(_unbatched_impl(name))
    prim.def_abstract_eval(abstract_eval)
    return prim


def _full_like(x, value):
    aval = get_aval(x)
    return broadcast_in_dim(np.asarray(value, aval.dtype), aval.shape, ())


def _other_axes(prim, x, this, names, **params):
    """``x`` reduced by ``this`` axis's rule; then the remaining named axes, if any."""
    rest = tuple(n for n in names if n != this)
    return prim.bind(x, axis_name=rest, **params) if rest else x


def _pass_through(prim):
    """Batching by a trace of another axis: the collective acts example by example."""
    def rule(vals, dims, **params):
        (x,), (d,) = vals, dims
        return prim.bind(x, **params), d
    return rule


# --- psum --------------------------------------------------------------------------------------

def psum(x, axis_name):
    """The sum of ``x`` (a pytree of arrays) over the examples of the named vmap axes."""
    names = axis_names_arg(axis_name, "psum")
    return tree_map(lambda leaf: psum_p.bind(leaf, axis_name=names), x)


psum_p = _new("psum", _same_aval)
deflinear(psum_p, lambda ct, x, *, axis_name: [psum_p.bind(instantiate_zeros(ct),
                                                            axis_name=axis_name)])


def _psum_axis_rule(this, size, vals, dims, *, axis_name):
    (x,), (d,) = vals, dims
    if d is not_mapped:
        y = mul(x, _full_like(x, size))
    else:
        y = reduce_sum(x, (d,))
    return _other_axes(psum_p, y, this, axis_name), not_mapped


batch_rules[psum_p] = _pass_through(psum_p)
axis_batch_rules[psum_p] = _psum_axis_rule


def pmean(x, axis_name):
    """The mean of ``x`` (a pytree) over the examples of the named vmap axes."""
    n = axis_size(axis_name, "pmean")
    return tree_map(lambda s: div(s, _full_like(s, n)), psum(x, axis_name))


# --- pmax, pmin --------------------------------------------------------------------------------

def pmax(x, axis_name):
    """The maximum of ``x`` (a pytree) over the examples of the named vmap axes."""
    names = axis_names_arg(axis_name, "pmax")
    return tree_map(lambda leaf: pmax_p.bind(leaf, axis_name=names), x)


def pmin(x, axis_name):
    """The minimum of ``x`` (a pytree) over the examples of the named vmap axes."""
    names = axis_names_arg(axis_name, "pmin")
    return tree_map(lambda leaf: pmin_p.bind(leaf, axis_name=names), x)


def _extremum_rules(prim, reduce):
    def jvp(primals, tangents, *, axis_name):
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, axis_name=axis_name)
        if type(t) is Zero:
            return ans, t
        # Average the tangent over the examples attaining the extremum (reduce_max's rule).
        hit = convert_element_type(eq(x, ans), get_aval(x).dtype)
        num = psum_p.bind(mul(hit, t), axis_name=axis_name)
        return ans, div(num, psum_p.bind(hit, axis_name=axis_name))

    def axis_rule(this, size, vals, dims, *, axis_name):
        (x,), (d,) = vals, dims
        y = x if d is not_mapped else reduce(x, (d,))
        return _other_axes(prim, y, this, axis_name), not_mapped

    jvp_rules[prim] = jvp
    batch_rules[prim] = _pass_through(prim)
    axis_batch_rules[prim] = axis_rule


pmax_p = _new("pmax", _same_aval)
_extremum_rules(pmax_p, reduce_max)
pmin_p = _new("pmin", _same_aval)
_extremum_rules(pmin_p, reduce_min)


# --- all_gather --------------------------------------------------------------------------------

def all_gather(x, axis_name, *, axis: int = 0, tiled: bool = False):
    """Every example's ``x`` (a pytree), stacked along a new axis ``axis`` (``tiled``:
    concatenated along the existing axis ``axis``), the same in every example."""
    names = axis_names_arg(axis_name, "all_gather")
    if len(names) != 1:
        raise FuncadNotImplementedError(
            f"funcad.lax.all_gather over several axes {names!r}; gather one axis at a time")
    n = axis_size(names, "all_gather")

    def one(leaf):
        ndim = get_aval(leaf).ndim
        limit = ndim if tiled else ndim + 1
        if not -limit <= axis < limit or (tiled and ndim == 0):
            raise FuncadValueError(with_user_line(
                f"funcad.lax.all_gather: axis {axis} is out of range for an operand of shape "
                f"{get_aval(leaf).shape} (tiled={tiled})"))
        return all_gather_p.bind(leaf, axis_name=names, axis=axis % limit, tiled=bool(tiled),
                                 axis_size=n)
    return tree_map(one, x)


def _all_gather_abstract_eval(x, *, axis_name, axis, tiled, axis_size):
    shape = list(x.shape)
    if tiled:
        shape[axis] *= axis_size
    else:
        shape.insert(axis, axis_size)
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


all_gather_p = _new("all_gather", _all_gather_abstract_eval)


def _all_gather_transpose(ct, x, *, axis_name, axis, tiled, axis_size):
    # Each example's cotangent is the sum over examples of its slot of theirs.
    total = psum_p.bind(instantiate_zeros(ct), axis_name=axis_name)
    shape = get_aval(total).shape
    width = shape[axis] // axis_size if tiled else 1
    start = mul(axis_index_p.bind(axis_name=axis_name), np.int32(width))
    starts = [start if i == axis else np.int32(0) for i in range(len(shape))]
    sizes = [width if i == axis else s for i, s in enumerate(shape)]
    piece = dynamic_slice(total, starts, sizes)
    return [piece if tiled else reshape(piece, shape[:axis] + shape[axis + 1:])]


deflinear(all_gather_p, _all_gather_transpose)


def _all_gather_axis_rule(this, size, vals, dims, *, axis_name, axis, tiled, axis_size):
    (x,), (d,) = vals, dims
    if d is not_mapped:
        shape = list(get_aval(x).shape)
        shape.insert(axis, size)
        y = broadcast_in_dim(x, shape, [i for i in range(len(shape)) if i != axis])
    else:
        y = moveaxis(x, d, axis)
    if tiled:
        shape = list(get_aval(y).shape)
        y = reshape(y, shape[:axis] + [shape[axis] * shape[axis + 1]] + shape[axis + 2:])
    return y, not_mapped


def _all_gather_batch(vals, dims, *, axis_name, axis, tiled, axis_size):
    (x,), (d,) = vals, dims
    x = moveaxis(x, d, 0)  # batch axis first: the gathered axis moves one to the right
    return all_gather_p.bind(x, axis_name=axis_name, axis=axis + 1, tiled=tiled,
                             axis_size=axis_size), 0


batch_rules[all_gather_p] = _all_gather_batch
axis_batch_rules[all_gather_p] = _all_gather_axis_rule


# --- axis_index --------------------------------------------------------------------------------

def axis_index(axis_name):
    """The position (int32) of the current example along the named vmap axis."""
    names = axis_names_arg(axis_name, "axis_index")
    if len(names) != 1:
        raise FuncadNotImplementedError(
            f"funcad.lax.axis_index of several axes {names!r}; ask one axis at a time")
    return axis_index_p.bind(axis_name=names)


axis_index_p = _new("axis_index", lambda *, axis_name: ShapedArray((), np.dtype(np.int32)))


def _axis_index_jvp(primals, tangents, *, axis_name):
    raise FuncadTypeError("axis_index has no operands to differentiate")  # never bound so


def _axis_index_batch(vals, dims, *, axis_name):
    raise AssertionError("axis_index has no operands to batch")  # all-unmapped binds again


jvp_rules[axis_index_p] = _axis_index_jvp
batch_rules[axis_index_p] = _axis_index_batch
axis_batch_rules[axis_index_p] = (
    lambda this, size, vals, dims, *, axis_name: (np.arange(size, dtype=np.int32), 0))


COLLECTIVES = (psum_p, pmax_p, pmin_p, all_gather_p, axis_index_p)

__all__ = [
    "COLLECTIVES",
    "all_gather",
    "all_gather_p",
    "axis_index",
    "axis_index_p",
    "axis_size",
    "pmax",
    "pmax_p",
    "pmean",
    "pmin",
    "pmin_p",
    "psum",
    "psum_p",
]
