"""The forward-Laplacian interpreter: a ``LapTracer`` carries a value, its Jacobian with
respect to the ``n`` inputs, and its second-order part: the Laplacian ``sum_i d2/dx_i2``
(mode ``"laplacian"``) or the diagonal ``d2/dx_i2`` for each ``i`` (mode ``"diag"``).

The Jacobian is stored densely, shape ``(n, *value.shape)``, or, while every element of
the value depends on its own input coordinate only (the input itself, and what elementwise
primitives make of it), as its diagonal, shape ``value.shape`` (``diag=True``; then the
second-order part is that element's own second derivative, stored the same way in both
modes). ``None`` stands for zero: a value that does not depend on the inputs has no
Jacobian, an affine one no second-order part.
"""
from __future__ import annotations

from collections.abc import Callable

from funcad.core.trace import Trace, Tracer, full_lower, get_aval, new_main, to_concrete


class LapTracer(Tracer):
    __slots__ = ("value", "jac", "second", "diag")

    def __init__(self, trace: LapTrace, value, jac, second, diag: bool):
        self._trace = trace
        self.value = value
        self.jac = jac
        self.second = second
        self.diag = diag

    @property
    def aval(self):
        return get_aval(self.value)

    def full_lower(self):
        return full_lower(self.value) if self.jac is None else self

    def to_concrete(self):
        return to_concrete(self.value)


class LapTrace(Trace):
    """``main.global_data``: ``(mode, n, rule_for)``."""

    __slots__ = ()

    def pure(self, val):
        return LapTracer(self, val, None, None, False)

    lift = pure

    def process_primitive(self, primitive, tracers, params):
        values = [t.value for t in tracers]
        if all(t.jac is None for t in tracers):
            out = primitive.bind(*values, **params)
            if primitive.multiple_results:
                return [LapTracer(self, o, None, None, False) for o in out]
            return LapTracer(self, out, None, None, False)
        mode, n, rule_for = self.main.global_data
        ops = [(t.value, t.jac, t.second, t.diag) for t in tracers]
        outs = rule_for(primitive)(ops, mode, n, params)
        if primitive.multiple_results:
            return [LapTracer(self, *o) for o in outs]
        return LapTracer(self, *outs)


def laplacian_flat(flat_fun: Callable, values, jacs, seconds, diags, *, mode: str, n: int,
                   rule_for: Callable):
    """Push (value, Jacobian, second-order part) through ``flat_fun``; returns one
    ``(value, jac, second, diag)`` per output."""
    with new_main(LapTrace, (mode, n, rule_for), name=mode) as main:
        trace = main.trace
        ins = [LapTracer(trace, *a) for a in zip(values, jacs, seconds, diags, strict=True)]
        outs = [trace.full_raise(o) for o in flat_fun(*ins)]
        return [(o.value, o.jac, o.second, o.diag) for o in outs]


__all__ = ["LapTrace", "LapTracer", "laplacian_flat"]
