"""vmap: the batching interpreter and the definers of batching rules.

A ``BatchTracer`` holds a value with one extra axis, at ``bdim`` (or ``not_mapped``: the
value is the same for every example). Rules move batch axes only when they must.
"""
from __future__ import annotations

from collections.abc import Callable

from funcad.core.avals import ShapedArray
from funcad.core.primitive import Primitive
from funcad.core.trace import Trace, Tracer, full_lower, get_aval

not_mapped = None

# primitive -> rule(vals, dims, **params) -> (out, out_dim) (lists for multiple results)
batch_rules: dict[Primitive, Callable] = {}


class BatchTracer(Tracer):
    __slots__ = ("val", "bdim")

    def __init__(self, trace: BatchTrace, val, bdim: int | None):
        self._trace = trace
        self.val = val
        self.bdim = bdim

    @property
    def aval(self) -> ShapedArray:
        aval = get_aval(self.val)
        if self.bdim is not_mapped:
            return aval
        shape = aval.shape[: self.bdim] + aval.shape[self.bdim + 1:]
        return ShapedArray(shape, aval.dtype, aval.weak_type)

    def full_lower(self):
        return full_lower(self.val) if self.bdim is not_mapped else self


class BatchTrace(Trace):
    """``main.global_data`` is the size of the batch axis."""

    __slots__ = ()

    @property
    def axis_size(self) -> int:
        return self.main.global_data

    def pure(self, val):
        return BatchTracer(self, val, not_mapped)

    lift = pure

    def process_primitive(self, primitive, tracers, params):
        vals = [t.val for t in tracers]
        dims = [t.bdim for t in tracers]
        if all(d is not_mapped for d in dims):
            out = primitive.bind(*vals, **params)
            if primitive.multiple_results:
                return [BatchTracer(self, o, not_mapped) for o in out]
            return BatchTracer(self, out, not_mapped)
        rule = batch_rules.get(primitive)
        if rule is None:
            raise NotImplementedError(f"vmap (batching rule) of primitive `{primitive}`")
        out, out_dim = rule(vals, dims, **params)
        if primitive.multiple_results:
            return [BatchTracer(self, o, d) for o, d in zip(out, out_dim)]
        return BatchTracer(self, out, out_dim)


# --- moving batch axes ------------------------------------------------------------------------

def moveaxis(x, src: int, dst: int):
    """Move axis ``src`` of ``x`` to position ``dst`` (a transpose, skipped if trivial)."""
    from funcad.ops.structural import transpose

    ndim = get_aval(x).ndim
    src, dst = src % ndim, dst % ndim
    if src == dst:
        return x
    perm = [i for i in range(ndim) if i != src]
    perm.insert(dst, src)
    return transpose(x, perm)


def bdim_at(x, bdim: int | None, dst: int, size: int):
    """``x`` with its batch axis at ``dst``; an unbatched ``x`` is broadcast along it."""
    from funcad.ops.structural import broadcast_in_dim

    if bdim is not_mapped:
        aval = get_aval(x)
        shape = list(aval.shape)
        dst = dst % (aval.ndim + 1)
        shape.insert(dst, size)
        dims = [i for i in range(aval.ndim + 1) if i != dst]
        return broadcast_in_dim(x, shape, dims)
    return moveaxis(x, bdim, dst)


def axis_size_of(vals, dims) -> int:
    for v, d in zip(vals, dims):
        if d is not not_mapped:
            return get_aval(v).shape[d]
    raise AssertionError("no batched operand")


# --- definers ---------------------------------------------------------------------------------

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


def shift_axes(axes, bdim: int) -> tuple[int, ...]:
    """Axes of the unbatched value, renumbered for a value with a batch axis at ``bdim``."""
    return tuple(a + (a >= bdim) for a in axes)


def defreducer(prim: Primitive, axes_param: str = "axes") -> None:
    """A primitive reducing the axes in ``params[axes_param]`` of one operand."""

    def rule(vals, dims, **params):
        (x,), (d,) = vals, dims
        axes = params[axes_param]
        new_params = dict(params, **{axes_param: shift_axes(axes, d)})
        out_dim = d - sum(1 for a in axes if a < d)
        return prim.bind(x, **new_params), out_dim

    batch_rules[prim] = rule


__all__ = [
    "BatchTrace",
    "BatchTracer",
    "axis_size_of",
    "batch_rules",
    "bdim_at",
    "defbroadcasting",
    "defreducer",
    "defvectorized",
    "moveaxis",
    "not_mapped",
    "shift_axes",
]
