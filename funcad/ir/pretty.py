"""Pretty-printing of jaxprs in the familiar ``{ lambda ; a:f64[3]. let ... in (b,) }`` form.

This module is the IR's printed form: importing it (``funcad.ir`` does) gives ``Eqn``,
``Jaxpr`` and ``ClosedJaxpr`` their ``str``, so ``funcad.ir.core`` never imports its printer.
No primitive prints specially: every equation reads ``outs = name[params] operands``.
"""
from __future__ import annotations

import numpy as np

from funcad.core.dtypes import is_bool, is_float
from funcad.ir.core import ClosedJaxpr, Eqn, Jaxpr, Literal, Var


class VarNames:
    """Assigns a, b, ..., z, ba, bb, ... to variables in order of first appearance."""

    def __init__(self):
        self.names: dict[Var, str] = {}

    def __call__(self, v: Var) -> str:
        name = self.names.get(v)
        if name is None:
            name = self.names[v] = _letters(len(self.names))
        return name


def _letters(i: int) -> str:
    s = ""
    while True:
        s = chr(ord("a") + i % 26) + s
        i //= 26
        if i == 0:
            return s


def _pp_literal(lit: Literal) -> str:
    v = lit.val
    if is_bool(lit.aval.dtype):
        text = "True" if v else "False"
    elif is_float(lit.aval.dtype):
        text = repr(float(v))
    else:
        text = str(v)
    return f"{text}:{lit.aval.str_short()}"


def pp_atom(x, names: VarNames) -> str:
    """A literal as ``2.0:f64[]``, a variable by its name."""
    return _pp_literal(x) if isinstance(x, Literal) else names(x)


def pp_binder(v: Var, names: VarNames) -> str:
    """A variable where it is bound: ``a:f64[3]``."""
    return f"{names(v)}:{v.aval.str_short()}"


def _pp_param(value, names: VarNames, indent: int) -> str:
    if isinstance(value, (Jaxpr, ClosedJaxpr)):
        jaxpr = value.jaxpr if isinstance(value, ClosedJaxpr) else value
        inner = _pp_jaxpr(jaxpr, VarNames(), indent + 4)
        return "\n" + " " * (indent + 4) + inner
    if isinstance(value, (tuple, list)) and any(isinstance(v, (Jaxpr, ClosedJaxpr)) for v in value):
        # Each jaxpr starts on a line of its own: the separator needs no space.
        return "(" + ",".join(_pp_param(v, names, indent) for v in value) + ")"
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value).name
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    return repr(value)


def pp_eqn(eqn: Eqn, names: VarNames | None = None, indent: int = 0) -> str:
    """``c:f64[] = mul a b``, naming variables with ``names`` (fresh ones by default)."""
    names = VarNames() if names is None else names
    params = ""
    if eqn.params:
        items = [f"{k}={_pp_param(v, names, indent)}" for k, v in eqn.params.items()]
        params = "[" + " ".join(items) + "]" if "\n" not in "".join(items) else (
            "[\n" + "\n".join(" " * (indent + 2) + it for it in items) + "\n" + " " * indent + "]"
        )
    rhs = " ".join(pp_atom(x, names) for x in eqn.invars)  # inputs first: `b = sin a`
    lhs = " ".join(pp_binder(v, names) for v in eqn.outvars) or "_"
    return f"{lhs} = {eqn.primitive.name}{params} {rhs}".rstrip()


def _pp_jaxpr(jaxpr: Jaxpr, names: VarNames, indent: int) -> str:
    consts = " ".join(pp_binder(v, names) for v in jaxpr.constvars)
    ins = " ".join(pp_binder(v, names) for v in jaxpr.invars)
    pad = " " * (indent + 4)
    body = "".join(f"\n{pad}{pp_eqn(e, names, indent + 4)}" for e in jaxpr.eqns)
    outs = ", ".join(pp_atom(x, names) for x in jaxpr.outvars)
    outs = f"({outs},)" if len(jaxpr.outvars) == 1 else f"({outs})"
    head = f"{{ lambda {consts}; {ins}. let" if consts else f"{{ lambda ; {ins}. let"
    return f"{head}{body}\n{' ' * (indent + 2)}in {outs} }}"


def pp_jaxpr(jaxpr: Jaxpr | ClosedJaxpr) -> str:
    """The text of a jaxpr (a closed one prints its jaxpr)."""
    if isinstance(jaxpr, ClosedJaxpr):
        jaxpr = jaxpr.jaxpr
    return _pp_jaxpr(jaxpr, VarNames(), 0)


# The IR's printed form, installed here so that the types need not import their printer.
Eqn.__str__ = pp_eqn
Jaxpr.__str__ = Jaxpr.__repr__ = pp_jaxpr
ClosedJaxpr.__str__ = ClosedJaxpr.__repr__ = pp_jaxpr
