"""Render funcad IR as textbook formulas: ``mul b c`` with ``c = sin a`` reads ``b·sin(a)``.

Equations whose inputs are all constants are folded (evaluated) first, so the rules' helper
arithmetic on literals (``select_n(eq(2, 0), ...)``) disappears from the formulas. Only
printing happens here; values are never computed from the rendered text. How each primitive
is written (``a + b``, ``-x``, ``x²``, ``sum(x, axis=(0,))``, ...) is a fact registered by its
block in ``funcad.core.rules.explain_notation``; this module holds only the writing.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from funcad.core.dtypes import is_bool, is_float, is_integer
from funcad.core.rules import (
    Call,
    Contraction,
    Infix,
    Power,
    Prec,
    Prefix,
    Reduction,
    Selection,
    Subscript,
    explain_notation,
)
from funcad.explain.notation import Notation, format_number
from funcad.ir.core import ClosedJaxpr, Eqn, Jaxpr, Literal, Var

CMP, ADD, MUL, NEG, POW, ATOM = Prec  # precedences, loosest first


@dataclass(frozen=True)
class Expr:
    """A rendered formula and the precedence of its outermost operation."""

    text: str
    prec: int = ATOM

    @property
    def negative(self) -> bool:
        return self.text.startswith("-")


class Const:
    """A value known while rendering (a literal, or a folded equation)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = np.asarray(value)


def const_text(value, notation: Notation) -> Expr:
    """A constant inside a formula: ``2``, ``0.5``, ``-0.4161``; arrays by shape."""
    v = np.asarray(value)
    if v.shape != ():
        if v.size and np.all(v == v.ravel()[0]):
            return const_text(v.ravel()[0], notation)
        return Expr(f"const{list(v.shape)}")
    x = v[()]
    if is_bool(v.dtype):
        return Expr(str(bool(x)))
    if is_integer(v.dtype) or (is_float(v.dtype) and float(x).is_integer() and abs(x) < 1e15):
        text = str(int(x))
    elif is_float(v.dtype):
        text = f"{float(x):.4g}"
    else:
        text = format_number(x, notation.digits)
    return Expr(text, NEG if text.startswith("-") else ATOM)


def _paren(e: Expr) -> str:
    return f"({e.text})"


def _infix(op: str, prec: int, assoc: bool, x: Expr, y: Expr) -> Expr:
    left = _paren(x) if x.prec < prec or (prec == POW and (x.prec <= POW or x.negative)) \
        else x.text
    right_needs = y.prec < prec or (y.prec == prec and not assoc and prec != POW) or y.negative
    right = _paren(y) if right_needs else y.text
    space = " " if prec < MUL or op == "@" else ""
    return Expr(f"{left}{space}{op}{space}{right}", prec)


def _prefix(op: str, x: Expr) -> Expr:
    inner = _paren(x) if x.prec < MUL or x.negative else x.text
    return Expr(f"{op}{inner}", NEG)


def _power(x: Expr, y: int, notation: Notation) -> Expr:
    if y == 1:
        return x
    sup = notation.superscript(y)
    if sup is not None:
        base = x.text if x.prec == ATOM and not x.negative else _paren(x)
        return Expr(f"{base}{sup}", POW)
    return _infix(notation.power, POW, False, x, Expr(str(y), NEG if y < 0 else ATOM))


def _call(name: str, args: list[Expr], extra: Sequence[str] = ()) -> Expr:
    return Expr(f"{name}({', '.join([*(a.text for a in args), *extra])})")


def _fill(template: str, params: Mapping) -> str:
    """A notation template with the params' text: ``"axis={dimension}"`` -> ``axis=0``."""
    return template.format_map(
        {k: v if isinstance(v, str) else fmt_param(v) for k, v in params.items()})


def fmt_param(value) -> str:
    if isinstance(value, (Jaxpr, ClosedJaxpr)):
        return "{…}"
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value).name
    return repr(value)


def render_eqn(eqn: Eqn, args: list[Expr], notation: Notation) -> list[Expr]:
    """The formulas of ``eqn``'s outputs, given formulas of its inputs."""
    params = dict(eqn.params)
    if eqn.primitive.multiple_results:
        call = _generic(eqn.primitive.name, params, args)
        if len(eqn.outvars) == 1:
            return [call]
        return [Expr(f"{call.text}[{i}]") for i in range(len(eqn.outvars))]
    return [_render_one(eqn, params, args, notation)]


def _render_one(eqn: Eqn, params: dict, args: list[Expr], notation: Notation) -> Expr:
    """One result, written as the primitive's entry in ``explain_notation`` says."""
    note = explain_notation.get(eqn.primitive)
    kind = type(note)
    if kind is Infix and len(args) == 2:
        return _infix(notation.operator(note.op), note.prec, note.assoc, args[0], args[1])
    if kind is Prefix:
        return _prefix(note.op, args[0])
    if kind is Power:
        exponent = note.exponent if note.param is None else params[note.param]
        return _power(args[0], int(exponent), notation)
    if kind is Call:
        if note.elide_scalar and eqn.invars[0].aval.shape == ():
            return args[0]
        return _call(_fill(note.name, params), args, [_fill(t, params) for t in note.extra])
    if kind is Reduction:
        axes = tuple(params.get(note.axes, ()))
        every = sorted(axes) == list(range(len(eqn.invars[0].aval.shape)))
        return _call(note.name, args, [] if every else [f"axis={axes}"])
    if kind is Subscript and params.get(note.strides) in (None, ()):
        parts = [f"{a}:{b}" for a, b in zip(params[note.starts], params[note.limits])]
        base = args[0].text if args[0].prec == ATOM else _paren(args[0])
        return Expr(f"{base}[{', '.join(parts)}]")
    if kind is Contraction:
        return _dot(note, params, args, eqn, notation)
    return _generic(eqn.primitive.name, params, args)


def _generic(name: str, params: Mapping, args: list[Expr]) -> Expr:
    """``name(x, y)``, ``name[k=v](x, y)``, or ``jit(f)(x)`` for a call primitive."""
    if "jaxpr" in params and isinstance(params.get("name"), str):  # a call: jit(f)(x)
        return _call(f"{name}({params['name']})", args)
    shown = " ".join(f"{k}={fmt_param(v)}" for k, v in params.items() if v is not None)
    return _call(f"{name}[{shown}]" if shown else name, args)


def _dot(note: Contraction, params: Mapping, args: list[Expr], eqn: Eqn,
         notation: Notation) -> Expr:
    """``x @ y`` (with ``ᵀ`` on a 2-d operand contracted along its other axis),
    ``outer(x, y)``, or ``dot[...](...)`` for anything else."""
    (lc, rc), (lb, rb) = params[note.dims]
    x_nd, y_nd = (len(v.aval.shape) for v in eqn.invars)
    x, y = args
    t = "ᵀ" if notation.unicode else ".T"
    if not lb and not rb:
        if not lc and not rc and x_nd == 1 and y_nd == 1:
            return _call("outer", args)
        if len(lc) == 1 and len(rc) == 1:
            if lc[0] != x_nd - 1 and x_nd == 2:
                x = Expr((x.text if x.prec == ATOM else _paren(x)) + t)
            elif lc[0] != x_nd - 1:
                x = None
            if y is not None and rc[0] != 0 and y_nd == 2:
                y = Expr((y.text if y.prec == ATOM else _paren(y)) + t)
            elif rc[0] != 0:
                y = None
            if x is not None and y is not None:
                return _infix("@", MUL, False, x, y)
    return _generic(note.name, params, args)


def _drop_unit(note, args: list):
    """The other operand of ``1·x`` or ``x + 0`` (the rules' constants), or None."""
    if type(note) is not Infix or note.unit is None or len(args) != 2:
        return None

    def is_unit(x) -> bool:
        return isinstance(x, Const) and x.value.shape == () and x.value[()] == note.unit

    if is_unit(args[0]):
        return args[1]
    if is_unit(args[1]):
        return args[0]
    return None


def render_jaxpr(
    jaxpr: Jaxpr,
    consts,
    names: Mapping[Var, str],
    notation: Notation,
    *,
    values: Mapping[Var, object] | None = None,
    aliases: Sequence[tuple[Eqn, list[str], list[str]]] = (),
) -> list[str]:
    """The formulas of ``jaxpr``'s outputs in terms of the names of its inputs.

    Args:
        jaxpr, consts: the IR; constvars named in ``names`` stay symbolic, others are
            constants.
        names: a name for each invar.
        notation: how to write names and operators.
        values: known values of some invars (the primal point). They are used only to pick
            the branch of a ``select_n`` whose selector depends on them alone, so a rule's
            guard for a special point (``y == 0`` in the derivative of ``x ** y``) does not
            clutter the formula; formulas are still written with names, never values.
        aliases: ``(eqn, operand_texts, output_names)``: an equation of ``jaxpr`` applying
            the same primitive with the same parameters to operands rendered as
            ``operand_texts`` is written as ``output_names`` (``exp(x)`` recomputed inside a
            derivative rule reads ``w₁``).
    """
    env: dict[Var, object] = {}
    known: dict[Var, np.ndarray] = {}
    for v, c in zip(jaxpr.constvars, consts):
        env[v] = Expr(names[v]) if v in names else Const(c)
        known[v] = np.asarray(c)
    for v in jaxpr.invars:
        env[v] = Expr(names[v])
        if values is not None and v in values:
            known[v] = np.asarray(values[v])

    def read(x):
        return Const(x.val) if type(x) is Literal else env[x]

    def value_of(x):
        return np.asarray(x.val) if type(x) is Literal else known.get(x)

    for eqn in jaxpr.eqns:
        ins = [read(x) for x in eqn.invars]
        outs = _fold(eqn, ins)
        vals = [value_of(x) for x in eqn.invars]
        if all(v is not None for v in vals):
            computed = _fold(eqn, [Const(v) for v in vals])
            if computed is not None:
                known.update((v, c.value) for v, c in zip(eqn.outvars, computed))
        if outs is None:
            outs = _special(eqn, ins, vals, notation, aliases)
        if outs is None:
            exprs = [const_text(x.value, notation) if isinstance(x, Const) else x for x in ins]
            outs = render_eqn(eqn, exprs, notation)
        env.update(zip(eqn.outvars, outs))
    result = []
    for x in jaxpr.outvars:
        val = read(x)
        result.append((const_text(val.value, notation) if isinstance(val, Const) else val).text)
    return result


def _special(eqn: Eqn, ins: list, vals: list, notation: Notation, aliases) -> list | None:
    """Formulas that are simpler than the generic rendering, or None."""
    note = explain_notation.get(eqn.primitive)
    if type(note) is Selection and vals[0] is not None:
        which = np.asarray(vals[0])
        if which.size and np.all(which == which.ravel()[0]):
            return [ins[1 + int(which.ravel()[0])]]
    simple = _drop_unit(note, ins)
    if simple is not None:
        return [simple]
    texts = [const_text(x.value, notation).text if isinstance(x, Const) else x.text for x in ins]
    for alias_eqn, operand_texts, out_names in aliases:
        if (alias_eqn.primitive is eqn.primitive and texts == list(operand_texts)
                and _same_params(alias_eqn.params, eqn.params)):
            return [Expr(n) for n in out_names]
    return None


def _same_params(p: Mapping, q: Mapping) -> bool:
    if set(p) != set(q):
        return False
    for k in p:
        a, b = p[k], q[k]
        if a is b:
            continue
        try:
            if not bool(np.all(a == b)) or type(a) is not type(b):
                return False
        except Exception:
            return False
    return True


def _fold(eqn: Eqn, ins: list) -> list | None:
    if not ins or not all(isinstance(x, Const) for x in ins):
        return None
    try:
        out = eqn.primitive.bind(*[x.value for x in ins], **eqn.params)
    except Exception:
        return None
    outs = out if eqn.primitive.multiple_results else [out]
    return [Const(o) for o in outs]


__all__ = ["Expr", "const_text", "render_eqn", "render_jaxpr"]
