"""Local rewrites of the IR: constant folding, forwarding of trivial equations, and the
algebra of (linear) IR: zero terms, ``x*1``, ``x+0``, ``add_any`` chains, transposes of
transposes.

Each pass is one forward sweep over the equations with a rename map (old variable ->
replacement atom), so it is linear in the size of the IR and never recurses. Rewrites are
exact, except that a chain of ``add_any`` with a repeated term ``t`` becomes ``k * t``
(equal up to rounding). Primitives are looked up lazily: ``funcad.ir`` must not import
``funcad.ops`` at import time (the ops import the IR).
"""
from __future__ import annotations

import functools
import warnings

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.ir.core import Eqn, Jaxpr, Literal, Var
from funcad.ops import _base as base


@functools.lru_cache(maxsize=1)
def _prims():
    """The primitives the rewrites know, by name (imported on first use)."""
    from funcad.ops import elementwise as ew
    from funcad.ops import reductions as red
    from funcad.ops import slicing as sl
    from funcad.ops import structural as st

    names = {
        "add": ew.add_p, "add_any": base.add_any_p, "sub": ew.sub_p, "mul": ew.mul_p,
        "div": ew.div_p, "neg": ew.neg_p, "select_n": base.select_n_p,
        "convert": base.convert_element_type_p, "broadcast": base.broadcast_in_dim_p,
        "reshape": base.reshape_p, "transpose": base.transpose_p, "squeeze": st.squeeze_p,
        "expand_dims": st.expand_dims_p, "rev": st.rev_p, "slice": sl.slice_p, "pad": sl.pad_p,
        "concatenate": sl.concatenate_p, "dynamic_slice": sl.dynamic_slice_p,
        "integer_pow": ew.integer_pow_p,
    }
    names["reduce_sum"] = base.reduce_sum_p
    for name in ("reduce_prod", "reduce_max", "reduce_min"):
        names[name] = getattr(red, f"{name}_p")
    return names


@functools.lru_cache(maxsize=1)
def _identity_tests() -> dict:
    """primitive -> predicate(eqn): the equation returns its first operand unchanged."""
    p = _prims()
    no_axes = lambda e: not e.params["axes"]  # noqa: E731
    tests: dict = {
        p["convert"]: lambda e: True,
        p["reshape"]: lambda e: True,
        p["broadcast"]: lambda e: tuple(e.params["broadcast_dimensions"]) == tuple(
            range(len(e.params["shape"]))),
        p["transpose"]: lambda e: tuple(e.params["permutation"]) == tuple(
            range(len(e.params["permutation"]))),
        p["squeeze"]: lambda e: not e.params["dimensions"],
        p["expand_dims"]: lambda e: not e.params["dimensions"],
        p["rev"]: lambda e: not e.params["dimensions"],
        p["slice"]: lambda e: not any(e.params["start_indices"]) and e.params["strides"] in (
            None, (1,) * len(e.params["strides"] or ())),
        p["pad"]: lambda e: all(tuple(c) == (0, 0, 0) for c in e.params["padding_config"]),
        p["concatenate"]: lambda e: len(e.invars) == 1,
        p["dynamic_slice"]: lambda e: True,
        p["integer_pow"]: lambda e: e.params["y"] == 1,
    }
    for name in ("reduce_sum", "reduce_prod", "reduce_max", "reduce_min"):
        tests[p[name]] = no_axes
    return tests


def _is_identity(eqn: Eqn) -> bool:
    """The equation only copies its first operand (same type, weak type included)."""
    test = _identity_tests().get(eqn.primitive)
    if test is None or len(eqn.outvars) != 1:
        return False
    return eqn.invars[0].aval == eqn.outvars[0].aval and test(eqn)


def _sub_atom(rename: dict, x):
    return rename.get(x, x) if type(x) is Var else x


# --- constant folding and forwarding -------------------------------------------------------

def _fold(eqn: Eqn) -> list[Literal] | None:
    """Evaluate an equation whose operands are all literals and whose results are scalars."""
    if not eqn.invars or any(type(x) is not Literal for x in eqn.invars):
        return None
    if any(v.aval.shape != () for v in eqn.outvars) or eqn.primitive.impl is None:
        return None
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = eqn.primitive.impl(*[np.asarray(x.val) for x in eqn.invars], **eqn.params)
    except Exception:  # a failing fold is left for run time to report
        return None
    outs = out if eqn.primitive.multiple_results else [out]
    return [Literal(np.asarray(o), v.aval) for o, v in zip(outs, eqn.outvars)]


def fold_and_forward(jaxpr: Jaxpr) -> Jaxpr:
    """Fold literal-only scalar equations into literals and forward trivial equations
    (identity reshapes, casts to the same type, empty reductions, ...) to their operand."""
    rename: dict = {}
    eqns = []
    for eqn in jaxpr.eqns:
        invars = [_sub_atom(rename, x) for x in eqn.invars]
        if invars != list(eqn.invars):
            eqn = eqn.replace(invars=invars)
        if eqn.invars and _is_identity(eqn):
            rename[eqn.outvars[0]] = eqn.invars[0]
            continue
        folded = _fold(eqn)
        if folded is not None:
            rename.update(zip(eqn.outvars, folded))
            continue
        eqns.append(eqn)
    outvars = [_sub_atom(rename, x) for x in jaxpr.outvars]
    return Jaxpr.new(jaxpr.constvars, jaxpr.invars, outvars, eqns)


# --- the algebra of linear IR --------------------------------------------------------------

class _Splats:
    """Which variables hold one scalar everywhere: literals and broadcasts of literals."""

    def __init__(self, broadcast_p):
        self.broadcast_p = broadcast_p
        self.values: dict[Var, object] = {}

    def record(self, eqn: Eqn) -> None:
        if eqn.primitive is self.broadcast_p and type(eqn.invars[0]) is Literal:
            self.values[eqn.outvars[0]] = eqn.invars[0].val

    def value(self, x):
        if type(x) is Literal:
            return x.val
        return self.values.get(x)

    def is_const(self, x, c) -> bool:
        v = self.value(x)
        # `== c` is False for NaN; `-0.0 == 0` is True, and x + -0.0 == x exactly.
        return v is not None and not isinstance(v, np.bool_) and v == c


def _same_type(a, b) -> bool:
    return a.aval == b.aval


def simplify_algebra(jaxpr: Jaxpr) -> Jaxpr:
    """``x + 0``, ``0 + x``, ``x - 0``, ``x * 1``, ``1 * x``, ``x / 1``, ``-(-x)``,
    ``select(p, x, x)`` become ``x``; ``0 - x`` becomes ``-x``; a transpose of a transpose
    becomes one transpose (or none), a reshape of a reshape one reshape, a broadcast of a
    broadcast one broadcast (so a broadcast scalar stays recognizable as one)."""
    p = _prims()
    splats = _Splats(p["broadcast"])
    producer: dict[Var, Eqn] = {}
    rename: dict = {}
    eqns: list[Eqn] = []
    adds = (p["add"], p["add_any"])
    for eqn in jaxpr.eqns:
        invars = [_sub_atom(rename, x) for x in eqn.invars]
        if invars != list(eqn.invars):
            eqn = eqn.replace(invars=invars)
        new = _rewrite(eqn, p, adds, splats, producer)
        if isinstance(new, (Var, Literal)):
            rename[eqn.outvars[0]] = new
            continue
        eqn = new
        eqns.append(eqn)
        splats.record(eqn)
        for v in eqn.outvars:
            producer[v] = eqn
    outvars = [_sub_atom(rename, x) for x in jaxpr.outvars]
    return Jaxpr.new(jaxpr.constvars, jaxpr.invars, outvars, eqns)


def _rewrite(eqn: Eqn, p: dict, adds, splats: _Splats, producer: dict):
    """A replacement atom for ``eqn``'s single output, a rewritten equation, or ``eqn``."""
    prim, ins, out = eqn.primitive, eqn.invars, eqn.outvars
    if prim in adds:
        x, y = ins
        if splats.is_const(y, 0) and _same_type(x, out[0]):
            return x
        if splats.is_const(x, 0) and _same_type(y, out[0]):
            return y
    elif prim is p["sub"]:
        x, y = ins
        if splats.is_const(y, 0) and _same_type(x, out[0]):
            return x
        if splats.is_const(x, 0) and _same_type(y, out[0]):
            return Eqn.new(p["neg"], [y], out, {})
    elif prim is p["mul"]:
        x, y = ins
        if splats.is_const(y, 1) and _same_type(x, out[0]):
            return x
        if splats.is_const(x, 1) and _same_type(y, out[0]):
            return y
    elif prim is p["div"]:
        x, y = ins
        if splats.is_const(y, 1) and _same_type(x, out[0]) and x.aval.dtype.kind in "fc":
            return x
    elif prim is p["neg"]:
        inner = producer.get(ins[0])
        if inner is not None and inner.primitive is p["neg"] and _same_type(
                inner.invars[0], out[0]):
            return inner.invars[0]
    elif prim is p["select_n"]:
        if all(c is ins[1] for c in ins[2:]) and _same_type(ins[1], out[0]):
            return ins[1]
    elif prim is p["transpose"]:
        return _fuse_transposes(eqn, producer.get(ins[0]), p["transpose"])
    elif prim is p["broadcast"]:
        inner = producer.get(ins[0])
        if inner is not None and inner.primitive is p["broadcast"]:
            # Axis k of the source lands on axis d1[k] of the inner result, which lands on
            # axis d2[d1[k]] of this one; a size-1 or matching axis stays valid.
            d1, d2 = inner.params["broadcast_dimensions"], eqn.params["broadcast_dimensions"]
            return eqn.replace(invars=[inner.invars[0]], params={
                "shape": eqn.params["shape"], "broadcast_dimensions": tuple(d2[d] for d in d1)})
    elif prim is p["reshape"]:
        inner = producer.get(ins[0])
        if inner is not None and inner.primitive is p["reshape"]:
            src = inner.invars[0]
            if src.aval.shape == out[0].aval.shape and _same_type(src, out[0]):
                return src
            return eqn.replace(invars=[src])
    return eqn


def _fuse_transposes(eqn: Eqn, inner: Eqn | None, transpose_p):
    if inner is None or inner.primitive is not transpose_p:
        return eqn
    p1, p2 = inner.params["permutation"], eqn.params["permutation"]
    perm = tuple(p1[i] for i in p2)
    src = inner.invars[0]
    if perm == tuple(range(len(perm))) and _same_type(src, eqn.outvars[0]):
        return src
    return eqn.replace(invars=[src], params={"permutation": perm})


# --- add_any chains ------------------------------------------------------------------------

def _use_counts(jaxpr: Jaxpr) -> dict[Var, int]:
    counts: dict[Var, int] = {}
    for eqn in jaxpr.eqns:
        for x in eqn.invars:
            if type(x) is Var:
                counts[x] = counts.get(x, 0) + 1
    for x in jaxpr.outvars:
        if type(x) is Var:
            counts[x] = counts.get(x, 0) + 2  # an output is never an internal node
    return counts


def fold_add_chains(jaxpr: Jaxpr) -> Jaxpr:
    """Flatten each tree of ``add_any`` whose inner sums are used once; when it has zero
    terms or a repeated term, rebuild it as one chain over the terms left, with zeros
    dropped and a term that occurs ``k`` times summed as ``k * term`` (so it never grows).
    Trees with nothing to fold are kept as they are."""
    p = _prims()
    add_any = p["add_any"]
    counts = _use_counts(jaxpr)
    splats = _Splats(p["broadcast"])
    terms_of: dict[Var, list] = {}  # add_any output -> its flattened terms
    absorbed: dict[Var, list[Var]] = {}  # add_any output -> the inner sums it absorbed
    for eqn in jaxpr.eqns:
        splats.record(eqn)
        if eqn.primitive is not add_any:
            continue
        terms, inner = [], []
        for x in eqn.invars:
            if type(x) is Var and x in terms_of and counts.get(x) == 1:
                terms.extend(terms_of[x])
                inner.append(x)
            else:
                terms.append(x)
        terms_of[eqn.outvars[0]] = terms
        absorbed[eqn.outvars[0]] = inner
    inner_sums = {x for xs in absorbed.values() for x in xs}
    rebuild: set[Var] = set()  # roots whose tree changes
    removed: set[Var] = set()  # inner sums of those trees
    for root, terms in terms_of.items():
        if root in inner_sums:
            continue
        ids = [id(t) if type(t) is Var else t.key() for t in terms]
        if len(set(ids)) == len(ids) and not any(splats.is_const(t, 0) for t in terms):
            continue
        rebuild.add(root)
        stack = list(absorbed[root])
        while stack:
            x = stack.pop()
            removed.add(x)
            stack.extend(absorbed[x])
    if not rebuild:
        return jaxpr
    eqns: list[Eqn] = []
    for eqn in jaxpr.eqns:
        out = eqn.outvars[0] if eqn.outvars else None
        if out in removed:
            continue
        if out in rebuild:
            eqns.extend(_sum_terms(terms_of[out], out, splats, p))
        else:
            eqns.append(eqn)
    return Jaxpr.new(jaxpr.constvars, jaxpr.invars, jaxpr.outvars, eqns)


def _sum_terms(terms: list, out: Var, splats: _Splats, p: dict) -> list[Eqn]:
    """Equations computing ``out`` as the sum of ``terms`` (zeros dropped, repeats scaled)."""
    counts: dict = {}
    order: list = []
    for t in terms:
        if splats.is_const(t, 0):
            continue
        key = id(t) if type(t) is Var else ("lit", t.key())
        if key not in counts:
            order.append((key, t))
        counts[key] = counts.get(key, 0) + 1
    aval = out.aval
    eqns: list[Eqn] = []
    scaled = []
    for key, t in order:
        k = counts[key]
        if k == 1:
            scaled.append(t)
            continue
        factor = Literal(k, ShapedArray((), aval.dtype, aval.weak_type))
        if aval.shape:
            factor_var = Var(aval)
            eqns.append(Eqn.new(p["broadcast"], [factor], [factor_var],
                                {"shape": aval.shape, "broadcast_dimensions": ()}))
            factor = factor_var
        product = Var(aval)
        eqns.append(Eqn.new(p["mul"], [t, factor], [product], {}))
        scaled.append(product)
    if not scaled:  # every term was zero
        return [Eqn.new(p["broadcast"], [Literal(0, ShapedArray((), aval.dtype, aval.weak_type))],
                        [out], {"shape": aval.shape, "broadcast_dimensions": ()})]
    acc = scaled[0]
    for i, t in enumerate(scaled[1:], start=2):
        dst = out if i == len(scaled) else Var(aval)
        eqns.append(Eqn.new(p["add_any"], [acc, t], [dst], {}))
        acc = dst
    if acc is not out:  # a single term: a cast to the same type, forwarded by a later pass
        eqns.append(Eqn.new(p["convert"], [acc], [out],
                            {"new_dtype": aval.dtype, "weak_type": aval.weak_type}))
    return eqns


__all__ = ["fold_add_chains", "fold_and_forward", "simplify_algebra"]
