"""Transforms of closed sub-IRs, for the primitives that carry them (``jit``, ``cond``,
``while``, ``scan``, ``custom_jvp``/``custom_vjp``, ``remat``).

A rule of such a primitive rewrites its IR and binds the primitive again: the JVP of a
closed IR, its partial evaluation into known and unknown parts, its transposition, its
batching. Each derived IR is made once per (IR, pattern) and cached, so a steady-state call
of, say, ``grad(jit(f))`` traces nothing. Also: tracing a flat function to an optimized
closed IR, applying one, and reshaping its signature.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from funcad.backends import executable
from funcad.core.avals import ShapedArray
from funcad.core.symbolic import (
    UndefPrimal,
    Zero,
    is_differentiable_dtype,
    not_mapped,
    tangent_aval,
)
from funcad.core.trace import Tracer, new_main
from funcad.interpreters.batching import BatchTrace, BatchTracer, current_rule_axis
from funcad.interpreters.jvp import jvp_flat
from funcad.interpreters.staging import JaxprBuilder, StagingTrace, StagingTracer, trace_to_jaxpr
from funcad.interpreters.transpose import backward_pass
from funcad.ir.core import ClosedJaxpr, Jaxpr, Var
from funcad.ir.eval import eval_jaxpr
from funcad.ir.passes import dce, optimize
from funcad.ops._base import bdim_at, instantiate_zeros


def trace_flat(fun: Callable, in_avals: Sequence[ShapedArray], name: str) -> ClosedJaxpr:
    """Stage ``fun`` (flat list of arrays -> flat list of arrays) and optimize the IR."""
    return optimize(trace_to_jaxpr(fun, list(in_avals), name=name))


def call_closed(closed: ClosedJaxpr, *args) -> list:
    """Apply a closed IR to ``args`` by binding its equations (under the active traces)."""
    return eval_jaxpr(closed.jaxpr, closed.consts, *args)


def run_closed(closed: ClosedJaxpr, *args) -> list:
    """Evaluate a closed IR on NumPy arrays with the compiled NumPy executor (cached per IR).

    Used by the implementations: a loop body is compiled once, then called per iteration.
    """

    return executable(closed, "numpy")(*args)


def closure_convert(closed: ClosedJaxpr) -> tuple[ClosedJaxpr, list]:
    """Make every constant of ``closed`` a leading input; returns the IR and the constants.

    Constants that are traced values of an enclosing transform must be operands of the
    primitive (so that transform sees them); concrete ones become operands too, so a staged
    program hoists them like any other constant.
    """
    jaxpr = closed.jaxpr
    if not jaxpr.constvars:
        return closed, []
    new = Jaxpr.new((), [*jaxpr.constvars, *jaxpr.invars], jaxpr.outvars, jaxpr.eqns)
    return ClosedJaxpr(new, ()), list(closed.consts)


def with_invars(closed: ClosedJaxpr, order: Sequence[int]) -> ClosedJaxpr:
    """``closed`` taking its inputs in the order ``[invars[i] for i in order]``."""
    jaxpr = closed.jaxpr
    invars = [jaxpr.invars[i] for i in order]
    return ClosedJaxpr(Jaxpr.new(jaxpr.constvars, invars, jaxpr.outvars, jaxpr.eqns),
                       closed.consts)


def with_outvars(closed: ClosedJaxpr, order: Sequence[int]) -> ClosedJaxpr:
    """``closed`` returning ``[outvars[i] for i in order]``."""
    jaxpr = closed.jaxpr
    outvars = [jaxpr.outvars[i] for i in order]
    return ClosedJaxpr(Jaxpr.new(jaxpr.constvars, jaxpr.invars, outvars, jaxpr.eqns),
                       closed.consts)


def with_unused_invars(closed: ClosedJaxpr, before: Sequence[ShapedArray] = (),
                       after: Sequence[ShapedArray] = ()) -> ClosedJaxpr:
    """``closed`` with extra, ignored inputs of the given types before and after its own."""
    jaxpr = closed.jaxpr
    invars = [*map(Var, before), *jaxpr.invars, *map(Var, after)]
    return ClosedJaxpr(Jaxpr.new(jaxpr.constvars, invars, jaxpr.outvars, jaxpr.eqns),
                       closed.consts)


def used_invars(closed: ClosedJaxpr, used_outputs: Sequence[bool] | None = None) -> list[bool]:
    """Which inputs the (live part of the) IR reads."""
    jaxpr = dce(closed.jaxpr, None if used_outputs is None else list(used_outputs))
    live = {x for e in jaxpr.eqns for x in e.invars if type(x) is Var}
    live.update(x for x in jaxpr.outvars if type(x) is Var)
    return [v in live for v in jaxpr.invars]


def prune_invars(closed: ClosedJaxpr, keep: Sequence[bool]) -> ClosedJaxpr:
    """``closed`` without the inputs where ``keep`` is False (they must be unused)."""
    jaxpr = closed.jaxpr
    invars = [v for v, k in zip(jaxpr.invars, keep, strict=True) if k]
    return ClosedJaxpr(Jaxpr.new(jaxpr.constvars, invars, jaxpr.outvars, jaxpr.eqns),
                       closed.consts)


class DerivedCache:
    """Derived IRs keyed by (identity of the source IRs, pattern); least recently used out.

    Each entry keeps its sources alive, so their ids cannot be reused while it lives.
    """

    def __init__(self, size: int = 256):
        self.size = size
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, sources: tuple, pattern, make: Callable):
        key = (tuple(id(s) for s in sources), pattern)
        with self.lock:
            hit = self.entries.get(key)
            if hit is not None and all(a is b for a, b in zip(hit[0], sources)):
                self.entries.move_to_end(key)
                return hit[1]
        value = make()  # outside the lock: making traces, which may come back here
        with self.lock:
            self.entries[key] = (sources, value)
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return value


derived = DerivedCache()


# --- JVP of a closed IR -----------------------------------------------------------------------

def jvp_jaxpr(closed: ClosedJaxpr, nonzeros: Sequence[bool],
              instantiate: Sequence[bool] | bool) -> tuple[ClosedJaxpr, list[bool]]:
    """``(primals, nonzero tangents) -> (primal outs, nonzero tangent outs)``.

    Output tangents where ``instantiate`` is set are always produced (zeros if need be, for
    differentiable dtypes); returns the IR and which output tangents it produces.
    """
    nonzeros = tuple(bool(n) for n in nonzeros)
    nout = len(closed.jaxpr.outvars)
    inst = (instantiate,) * nout if isinstance(instantiate, bool) else tuple(instantiate)
    return derived.get((closed,), ("jvp", nonzeros, inst),
                       lambda: _make_jvp_jaxpr(closed, nonzeros, inst))


def _make_jvp_jaxpr(closed, nonzeros, inst):
    in_avals = closed.in_avals
    n = len(in_avals)
    t_avals = [tangent_aval(a) for a, nz in zip(in_avals, nonzeros, strict=True) if nz]
    mask: list[bool] = []

    def fun(*args):
        rest = iter(args[n:])
        tangents = [next(rest) if nz else Zero(tangent_aval(a))
                    for a, nz in zip(in_avals, nonzeros, strict=True)]
        p_out, t_out = jvp_flat(lambda *xs: call_closed(closed, *xs), list(args[:n]), tangents)
        t_out = [instantiate_zeros(t) if i and is_differentiable_dtype(t.aval.dtype) else t
                 for t, i in zip(t_out, inst, strict=True)]
        mask[:] = [type(t) is not Zero for t in t_out]
        return [*p_out, *[t for t in t_out if type(t) is not Zero]]

    staged = trace_flat(fun, [*in_avals, *t_avals], "jvp")
    return staged, list(mask)


# --- partial evaluation of a closed IR --------------------------------------------------------

@dataclass(frozen=True)
class PartialEval:
    """A closed IR split by which inputs are known.

    ``known``: known inputs -> known outputs, then residuals. ``unknown``: residuals, then
    unknown inputs -> unknown outputs. ``res_forward[j]`` is the index (among the known
    inputs) of the input that residual ``j`` merely forwards, or ``None``.
    """

    known: ClosedJaxpr
    unknown: ClosedJaxpr
    out_unknowns: tuple[bool, ...]
    num_res: int
    res_forward: tuple[int | None, ...]

    @property
    def res_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.unknown.jaxpr.invars[:self.num_res]]


def partial_eval_jaxpr(closed: ClosedJaxpr, unknowns: Sequence[bool],
                       instantiate: Sequence[bool] | bool = False) -> PartialEval:
    """Split ``closed`` into what the known inputs determine and what needs unknown ones.

    The IR is evaluated with the known inputs as tracers of a staging trace (recording the
    known IR) and the unknown ones as tracers of a non-dynamic staging trace above it
    (recording the unknown IR). Higher-order primitives split themselves there through
    ``partial_eval_rules``, so the split reaches into nested sub-IRs. Outputs where
    ``instantiate`` is set are made unknown even when they are known.
    """
    unknowns = tuple(bool(u) for u in unknowns)
    nout = len(closed.jaxpr.outvars)
    inst = (instantiate,) * nout if isinstance(instantiate, bool) else tuple(instantiate)
    return derived.get((closed,), ("pe", unknowns, inst),
                       lambda: _make_partial_eval(closed, unknowns, inst))


def _make_partial_eval(closed, unknowns, inst) -> PartialEval:
    in_avals = closed.in_avals
    known_avals = [a for a, u in zip(in_avals, unknowns, strict=True) if not u]
    box: dict = {}

    def known_fun(*known_args):
        builder = JaxprBuilder("partial_eval")
        with new_main(StagingTrace, builder, name="partial_eval") as main:
            trace = main.trace
            it = iter(known_args)
            args = [builder.new_arg(trace, a, f"input {i}") if u else next(it)
                    for i, (a, u) in enumerate(zip(in_avals, unknowns, strict=True))]
            outs = call_closed(closed, *args)
            out_uk = [(isinstance(o, StagingTracer) and o._trace.main is main) or i
                      for o, i in zip(outs, inst, strict=True)]
            jaxpr, consts = builder.build([trace.full_raise(o) for o, u in zip(outs, out_uk) if u])
        res_pos = [i for i, c in enumerate(consts) if isinstance(c, Tracer)]
        box.update(jaxpr=jaxpr, consts=consts, res_pos=res_pos, out_uk=out_uk)
        box["forward"] = [next((k for k, a in enumerate(known_args) if a is consts[i]), None)
                          for i in res_pos]
        return [*[o for o, u in zip(outs, out_uk) if not u], *[consts[i] for i in res_pos]]

    known = trace_flat(known_fun, known_avals, "known")
    jaxpr, consts, res_pos = box["jaxpr"], box["consts"], box["res_pos"]
    res_set = set(res_pos)
    constvars = jaxpr.constvars
    unknown = ClosedJaxpr(
        Jaxpr.new([v for i, v in enumerate(constvars) if i not in res_set],
                  [*[constvars[i] for i in res_pos], *jaxpr.invars], jaxpr.outvars, jaxpr.eqns),
        [c for i, c in enumerate(consts) if i not in res_set])
    return PartialEval(known, optimize(unknown), tuple(box["out_uk"]), len(res_pos),
                       tuple(box["forward"]))


# --- transposition and batching of a closed IR ------------------------------------------------

def transpose_jaxpr(closed: ClosedJaxpr, linear: Sequence[bool], ct_nonzero: Sequence[bool],
                    *, instantiate: bool) -> tuple[ClosedJaxpr, tuple[bool, ...]]:
    """``(non-linear inputs, nonzero output cotangents) -> cotangents of the linear inputs``.

    With ``instantiate`` every linear input gets a cotangent (zeros materialized, as ``cond``
    needs: its branches must agree); without it, cotangents that are zero are left out and
    stay symbolic outside the call. Returns the IR and which linear inputs it gives a
    cotangent.
    """
    linear, ct_nonzero = tuple(linear), tuple(ct_nonzero)
    return derived.get((closed,), ("transpose", linear, ct_nonzero, instantiate),
                       lambda: _make_transpose_jaxpr(closed, linear, ct_nonzero, instantiate))


def _make_transpose_jaxpr(closed, linear, ct_nonzero, instantiate):
    in_avals, out_avals = closed.in_avals, closed.out_avals
    res_avals = [a for a, lin in zip(in_avals, linear, strict=True) if not lin]
    ct_avals = [tangent_aval(a) for a, nz in zip(out_avals, ct_nonzero, strict=True) if nz]
    mask: list[bool] = []

    def fun(*args):
        res, cts = iter(args[:len(res_avals)]), iter(args[len(res_avals):])
        operands = [UndefPrimal(a) if lin else next(res)
                    for a, lin in zip(in_avals, linear, strict=True)]
        cts_out = [next(cts) if nz else Zero(tangent_aval(a))
                   for a, nz in zip(out_avals, ct_nonzero, strict=True)]
        cts_in = backward_pass(closed.jaxpr, closed.consts, operands, cts_out)
        cts_in = [c for c, lin in zip(cts_in, linear, strict=True) if lin]
        if instantiate:
            cts_in = [instantiate_zeros(c) for c in cts_in]
        mask[:] = [type(c) is not Zero for c in cts_in]
        return [c for c in cts_in if type(c) is not Zero]

    return trace_flat(fun, [*res_avals, *ct_avals], "transpose"), tuple(mask)


def batched_aval(aval: ShapedArray, bdim: int | None, size: int) -> ShapedArray:
    if bdim is None:
        return aval
    shape = list(aval.shape)
    shape.insert(bdim, size)
    return ShapedArray(shape, aval.dtype, aval.weak_type)


def batch_jaxpr(closed: ClosedJaxpr, size: int, in_dims: Sequence[int | None],
                force_out: Sequence[bool] | bool) -> tuple[ClosedJaxpr, list[bool]]:
    """The IR mapped over axis ``in_dims[i]`` of input ``i`` (``None``: not mapped).

    Batched outputs come back with the batch axis first; outputs where ``force_out`` is set
    are batched even if they do not vary. Returns the IR and which outputs are batched.
    """
    in_dims = tuple(in_dims)
    nout = len(closed.jaxpr.outvars)
    force = (force_out,) * nout if isinstance(force_out, bool) else tuple(force_out)
    # A sub-IR batched for a named vmap reduces its collectives: the name is part of the key.
    return derived.get((closed,), ("vmap", size, in_dims, force, current_rule_axis()),
                       lambda: _make_batch_jaxpr(closed, size, in_dims, force))


def _make_batch_jaxpr(closed, size, in_dims, force):
    out_batched: list[bool] = []

    def fun(*args):
        with new_main(BatchTrace, size, name="vmap") as main:
            trace = main.trace
            tracers = [x if d is None else BatchTracer(trace, x, d)
                       for x, d in zip(args, in_dims, strict=True)]
            outs = [trace.full_raise(o) for o in call_closed(closed, *tracers)]
            out_batched[:] = [o.bdim is not not_mapped or f
                              for o, f in zip(outs, force, strict=True)]
            return [bdim_at(o.val, o.bdim, 0, size) if b else o.val
                    for o, b in zip(outs, out_batched)]

    avals = [batched_aval(a, d, size)
             for a, d in zip(closed.in_avals, in_dims, strict=True)]
    return trace_flat(fun, avals, "vmap"), list(out_batched)


def vmap_flat(fun: Callable, size: int, in_dims: Sequence[int | None], args: Sequence) -> list:
    """``fun`` (flat -> flat) mapped over ``in_dims`` of ``args``; every output is batched,
    along its first axis."""
    outs, dims = vmap_flat_dims(fun, size, in_dims, args)
    return [bdim_at(o, d, 0, size) for o, d in zip(outs, dims)]


def vmap_flat_dims(fun: Callable, size: int, in_dims: Sequence[int | None],
                   args: Sequence) -> tuple[list, list]:
    """``fun`` (flat -> flat) mapped over ``in_dims`` of ``args``: the outputs and their
    batch axes (``not_mapped`` for an output that does not vary along the axis)."""
    with new_main(BatchTrace, size, name="vmap") as main:
        trace = main.trace
        tracers = [x if d is None else BatchTracer(trace, x, d)
                   for x, d in zip(args, in_dims, strict=True)]
        outs = [trace.full_raise(o) for o in fun(*tracers)]
        return [o.val for o in outs], [o.bdim for o in outs]


__all__ = [
    "DerivedCache",
    "PartialEval",
    "batch_jaxpr",
    "batched_aval",
    "call_closed",
    "closure_convert",
    "derived",
    "jvp_jaxpr",
    "partial_eval_jaxpr",
    "prune_invars",
    "run_closed",
    "trace_flat",
    "transpose_jaxpr",
    "used_invars",
    "vmap_flat",
    "vmap_flat_dims",
    "with_invars",
    "with_outvars",
    "with_unused_invars",
]
