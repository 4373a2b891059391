"""Where primitives that use named ``vmap`` axes bind.

A collective (``psum`` over ``"i"``) is reduced by the batch trace named ``"i"``, so it must
bind at least at that trace's level even when no operand varies along the axis. The same
holds for a higher-order primitive (a ``jit`` call, ``scan``, ``cond``, ``while``,
``checkpoint``, a custom-derivative call) whose sub-IRs hold such collectives: binding it
below the named trace would run the collective outside its axis. ``AxisScopedPrimitive``
binds like that, and the named trace then batches it even with no mapped operand
(``axis_name_users``), with the axis size of the trace (``batch_axis_size``).
"""
from __future__ import annotations

from funcad.core.primitive import Primitive
from funcad.core.symbolic import not_mapped
from funcad.core.trace import Tracer, find_top_trace, trace_stack
from funcad.errors import FuncadValueError, with_user_line
from funcad.interpreters.batching import (
    BatchTrace,
    axis_env_key,
    axis_name_users,
    rule_axis_size,
)
from funcad.interpreters.subjaxpr import DerivedCache
from funcad.ir.core import ClosedJaxpr, Jaxpr, sub_jaxprs
from funcad.ops._base import axis_size_of


def axis_names_arg(axis_name, fn: str) -> tuple:
    """A collective's ``axis_name`` argument as a non-empty tuple of names."""
    names = tuple(axis_name) if isinstance(axis_name, (tuple, list)) else (axis_name,)
    if not names:
        raise FuncadValueError(with_user_line(f"funcad.lax.{fn}: axis_name is empty"))
    return names


def named_mains(names: tuple, fn: str) -> list:
    """The innermost active batch trace of each name (a clear error for a missing one)."""
    found = {}
    in_scope = []
    for main in reversed(trace_stack()):
        trace = main.trace
        if isinstance(trace, BatchTrace) and trace.axis_name is not None:
            in_scope.append(trace.axis_name)
            found.setdefault(trace.axis_name, main)
    missing = [n for n in names if n not in found]
    if missing:
        scope = sorted({repr(n) for n in in_scope})
        raise FuncadValueError(with_user_line(
            f"funcad.lax.{fn}: unbound axis name {missing[0]!r}: no enclosing "
            f"vmap(..., axis_name={missing[0]!r}); axis names in scope: "
            f"{', '.join(scope) if scope else 'none'}"))
    return [found[n] for n in names]


def _bind_at_least(prim: Primitive, mains: list, args, params):
    """Bind ``prim`` at the highest of the operands' traces and the traces ``mains``."""
    floor = max(mains, key=lambda m: m.level)
    top = find_top_trace(args)
    trace = floor.trace if top.main.level < floor.level else top
    tracers = [trace.full_raise(a) for a in args]
    out = trace.process_primitive(prim, tracers, params)
    if prim.multiple_results:
        return [o.full_lower() if isinstance(o, Tracer) else o for o in out]
    return out.full_lower() if isinstance(out, Tracer) else out


class CollectivePrimitive(Primitive):
    """A primitive that binds at least at the level of the batch traces it names."""

    __slots__ = ()

    def bind(self, *args, **params):
        return _bind_at_least(self, named_mains(params["axis_name"], self.name), args, params)


# --- the axis names a sub-IR's collectives use ------------------------------------------------

def _scan_axis_names(jaxpr: Jaxpr) -> frozenset:
    names: set = set()
    pending = [jaxpr]
    while pending:  # nested IRs, without recursion
        for eqn in pending.pop().eqns:
            if isinstance(eqn.primitive, CollectivePrimitive):
                names.update(eqn.params["axis_name"])
            pending.extend(sub_jaxprs(eqn))
    return frozenset(names)


# Free axis names per IR (its own cache: tiny entries that must not push derived IRs out).
_names_cache = DerivedCache(size=512)


def free_axis_names(closed: ClosedJaxpr | Jaxpr, cached: bool = True) -> frozenset:
    """The axis names the collectives in ``closed`` (and the IRs nested in it) reduce over.
    Batching eliminates the collectives of the axes it names, so every one left is free.
    (``cached=False`` for a caller that keeps the answer: the cache keeps its IRs alive.)"""
    jaxpr = closed.jaxpr if isinstance(closed, ClosedJaxpr) else closed
    if not cached:
        return _scan_axis_names(jaxpr)
    return _names_cache.get((jaxpr,), "axis names", lambda: _scan_axis_names(jaxpr))


def _params_axis_names(params: dict) -> frozenset:
    names: frozenset = frozenset()
    for value in params.values():
        for v in value if isinstance(value, tuple) else (value,):
            if isinstance(v, (ClosedJaxpr, Jaxpr)):
                names = names | free_axis_names(v)
    return names


class AxisScopedPrimitive(Primitive):
    """A higher-order primitive: it binds at least at the level of the batch traces whose
    names the collectives in its sub-IRs use."""

    __slots__ = ()

    def bind(self, *args, **params):
        env = axis_env_key()
        if env:
            names = _params_axis_names(params)
            if names:
                used = tuple(n for n, _ in env if n in names)
                if used:
                    return _bind_at_least(self, named_mains(used, self.name), args, params)
        return Primitive.bind(self, *args, **params)


def batch_axis_size(vals, dims) -> int:
    """The batch size of a rule's call: a mapped operand's, or (with none, when a named trace
    batches a call whose collectives use its axis) the size of that trace's axis."""
    if all(d is not_mapped for d in dims):
        return rule_axis_size()
    return axis_size_of(vals, dims)


def _uses_axis(params: dict, name) -> bool:
    return name in _params_axis_names(params)


def axis_scoped(name: str, **kwargs) -> AxisScopedPrimitive:
    """A new higher-order primitive, batched by a named trace whose axis its sub-IRs use."""
    prim = AxisScopedPrimitive(name, **kwargs)
    axis_name_users[prim] = _uses_axis
    return prim


__all__ = [
    "AxisScopedPrimitive",
    "CollectivePrimitive",
    "axis_names_arg",
    "axis_scoped",
    "batch_axis_size",
    "free_axis_names",
    "named_mains",
]
