"""vmap: the batching interpreter.

A ``BatchTracer`` holds a value with one extra axis, at ``bdim`` (or ``not_mapped``: the
value is the same for every example). Rules move batch axes only when they must.

A batch trace may carry an axis name (``vmap(axis_name=)``): collectives over that name are
reduced by its ``axis_batch_rules``. A trace that batches a sub-IR for a rule of a named
trace (``jit``, ``scan``, ``cond`` inside the vmap) takes the same name, through the
thread-local ``rule_axis`` set while a named trace runs a rule.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

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


class _AxisState(threading.local):
    def __init__(self):
        self.rule_axis = None  # the axis name a new batch trace takes
        self.rule_size = None  # the size of that axis
        self.named: list[tuple] = []  # (name, size) of the named vmaps in scope, outermost first


_axes = _AxisState()

# Rules of collectives: ``rule(axis_name, axis_size, vals, dims, **params)``, used by the
# trace whose name is in the primitive's ``axis_name`` param (also when no operand is
# batched: a collective over a constant still reduces); other traces use ``batch_rules``.
axis_batch_rules: dict = {}

# Higher-order primitives whose sub-IRs may hold collectives: ``users(params, name)`` says
# whether a call uses the named axis, in which case the trace of that name batches it even
# when no operand is mapped (``funcad.control.axis_scope``).
axis_name_users: dict = {}


def current_rule_axis():
    """The axis name that a batch trace made now takes (part of derived-IR cache keys)."""
    return _axes.rule_axis


def rule_axis_size() -> int:
    """The size of the named axis whose trace is running a rule now."""
    if _axes.rule_size is None:
        raise AssertionError("no named batch trace is running a rule")
    return _axes.rule_size


def axis_env_key() -> tuple:
    """``(name, size)`` of each named vmap in scope: what collectives staged now depend on."""
    return tuple(_axes.named)


@contextmanager
def named_axis(name, size: int):
    """The dynamic extent of one ``vmap`` call: its axis (when named) is in scope, and batch
    traces created by code in the block are unnamed unless a named trace's rule makes them
    (so a ``vmap`` in a rule of another axis never takes this one's name)."""
    prev = _axes.rule_axis, _axes.rule_size
    _axes.rule_axis = _axes.rule_size = None
    if name is not None:
        _axes.named.append((name, size))
    try:
        yield
    finally:
        _axes.rule_axis, _axes.rule_size = prev
        if name is not None:
            _axes.named.pop()


@contextmanager
def rule_axis_scope(name, size: int):
    """Run later work of a rule of the trace named ``name`` (a batched ``custom_vjp``
    backward function, called by a backward pass that may come after the vmap returned) as
    the rule would have: batch traces made in the block take ``name``, and the axis is in
    scope."""
    prev = _axes.rule_axis, _axes.rule_size
    _axes.rule_axis, _axes.rule_size = name, size
    pushed = name is not None and (name, size) not in _axes.named
    if pushed:
        _axes.named.append((name, size))
    try:
        yield
    finally:
        _axes.rule_axis, _axes.rule_size = prev
        if pushed:
            _axes.named.pop()


class BatchTrace(Trace):
    """``main.global_data`` is the size of the batch axis; ``axis_name`` its name or None."""

    __slots__ = ("axis_name",)

    def __init__(self, main):
        super().__init__(main)
        self.axis_name = _axes.rule_axis

    @property
    def axis_size(self) -> int:
        return self.main.global_data

    def pure(self, val):
        return BatchTracer(self, val, not_mapped)

    lift = pure

    def process_primitive(self, primitive, tracers, params):
        vals = [t.val for t in tracers]
        dims = [t.bdim for t in tracers]
        if self.axis_name is not None or _axes.rule_axis is not None:
            return self._process_in_axis(primitive, vals, dims, params)
        if all(d is not_mapped for d in dims):
            out = primitive.bind(*vals, **params)
            if primitive.multiple_results:
                return [BatchTracer(self, o, not_mapped) for o in out]
            return BatchTracer(self, out, not_mapped)
        rule = batch_rules.get(primitive)
        if rule is None:
            raise NotImplementedError(f"vmap (batching rule) of primitive `{primitive}`")
        out, out_dim = rule(vals, dims, **params)
        return self._wrap(primitive, out, out_dim)

    def _wrap(self, primitive, out, out_dim):
        if primitive.multiple_results:
            return [BatchTracer(self, o, d) for o, d in zip(out, out_dim, strict=True)]
        return BatchTracer(self, out, out_dim)

    def _process_in_axis(self, primitive, vals, dims, params):
        """``process_primitive`` where axis names matter: this trace's name is the one rules
        see (sub-IRs they batch take it), and collectives over it are reduced here."""
        prev = _axes.rule_axis, _axes.rule_size
        _axes.rule_axis, _axes.rule_size = self.axis_name, self.axis_size
        try:
            name = self.axis_name
            axis_rule = axis_batch_rules.get(primitive) if name is not None else None
            if axis_rule is not None and name in params["axis_name"]:
                out, out_dim = axis_rule(name, self.axis_size, vals, dims, **params)
                return self._wrap(primitive, out, out_dim)
            users = axis_name_users.get(primitive) if name is not None else None
            if all(d is not_mapped for d in dims) and not (users and users(params, name)):
                out = primitive.bind(*vals, **params)
                return self._wrap(primitive, out,
                                  [not_mapped] * len(out) if primitive.multiple_results
                                  else not_mapped)
            rule = batch_rules.get(primitive)
            if rule is None:
                raise NotImplementedError(f"vmap (batching rule) of primitive `{primitive}`")
            out, out_dim = rule(vals, dims, **params)
            return self._wrap(primitive, out, out_dim)
        finally:
            _axes.rule_axis, _axes.rule_size = prev


__all__ = [
    "BatchTrace",
    "BatchTracer",
    "axis_batch_rules",
    "axis_env_key",
    "axis_name_users",
    "current_rule_axis",
    "named_axis",
    "rule_axis_scope",
    "rule_axis_size",
]
