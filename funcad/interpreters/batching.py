"""vmap: the batching interpreter.

A ``BatchTracer`` holds a value with one extra axis, at ``bdim`` (or ``not_mapped``: the
value is the same for every example). Rules move batch axes only when they must.
"""
from __future__ import annotations

from funcad.core.avals import ShapedArray
from funcad.core.rules import batch_rules
from funcad.core.symbolic import not_mapped
from funcad.core.trace import Trace, Tracer, full_lower, get_aval


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
            return [BatchTracer(self, o, d) for o, d in zip(out, out_dim, strict=True)]
        return BatchTracer(self, out, out_dim)


__all__ = ["BatchTrace", "BatchTracer"]
