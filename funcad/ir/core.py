"""The IR: immutable variables, literals, equations and (closed) jaxprs.

Their printed form (``str(jaxpr)``) is defined by ``funcad.ir.pretty``, which installs it on
these classes when ``funcad.ir`` is imported: the printer needs the IR's types, the types do
not need the printer.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from funcad.core.avals import ShapedArray

_var_ids = itertools.count()


class Var:
    """A variable of the IR, bound exactly once. Compared by identity."""

    __slots__ = ("aval", "count")

    def __init__(self, aval: ShapedArray):
        # Slot setters bypass the immutability guard: this runs once per staged value.
        _set_var_aval(self, aval)
        _set_var_count(self, next(_var_ids))

    def __setattr__(self, name, value):
        raise AttributeError("Var is immutable")

    def __repr__(self):
        return f"Var({self.count}:{self.aval.str_short()})"


_set_var_aval = Var.aval.__set__
_set_var_count = Var.count.__set__


class Literal:
    """A scalar constant written inline in the IR."""

    __slots__ = ("val", "aval")

    def __init__(self, val, aval: ShapedArray):
        assert aval.shape == (), "literals are scalars; arrays become constvars"
        if type(val) is not np.ndarray or val.dtype != aval.dtype:
            val = np.asarray(val, dtype=aval.dtype)
        _set_literal_val(self, val[()])
        _set_literal_aval(self, aval)

    def __setattr__(self, name, value):
        raise AttributeError("Literal is immutable")

    def key(self):
        """A hashable identity of the value (NaN-safe), used by CSE."""
        return ("lit", self.aval.dtype.str, self.aval.weak_type, self.val.tobytes())

    def __repr__(self):
        return f"Literal({self.val!r}:{self.aval.str_short()})"


_set_literal_val = Literal.val.__set__
_set_literal_aval = Literal.aval.__set__

Atom = Var | Literal
_NO_PARAMS: Mapping[str, Any] = MappingProxyType({})


def freeze_params(params: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only copy of an equation's params (one shared empty mapping for none)."""
    return MappingProxyType(dict(params)) if params else _NO_PARAMS


class Eqn:
    """``outvars = primitive[params] invars``. Immutable; compared by identity."""

    __slots__ = ("primitive", "invars", "outvars", "params")
    primitive: Any
    invars: tuple[Atom, ...]
    outvars: tuple[Var, ...]
    params: Mapping[str, Any]

    def __init__(self, primitive, invars: tuple, outvars: tuple, params: Mapping[str, Any]):
        # Slot setters bypass the immutability guard: this runs once per staged equation.
        _set_eqn_primitive(self, primitive)
        _set_eqn_invars(self, invars)
        _set_eqn_outvars(self, outvars)
        _set_eqn_params(self, params)

    def __setattr__(self, name, value):
        raise AttributeError("Eqn is immutable")

    @staticmethod
    def new(primitive, invars, outvars, params) -> Eqn:
        return Eqn(primitive, tuple(invars), tuple(outvars), freeze_params(params))

    def __repr__(self):
        return (f"Eqn({self.primitive}, invars={self.invars!r}, outvars={self.outvars!r}, "
                f"params={dict(self.params)!r})")

    def replace(self, *, invars=None, outvars=None, params=None) -> Eqn:
        return Eqn.new(
            self.primitive,
            self.invars if invars is None else invars,
            self.outvars if outvars is None else outvars,
            self.params if params is None else params,
        )


_set_eqn_primitive = Eqn.primitive.__set__
_set_eqn_invars = Eqn.invars.__set__
_set_eqn_outvars = Eqn.outvars.__set__
_set_eqn_params = Eqn.params.__set__


@dataclass(frozen=True, eq=False, slots=True, repr=False)
class Jaxpr:
    """A first-order program: constvars and invars in, outvars out, eqns in order."""

    constvars: tuple[Var, ...]
    invars: tuple[Var, ...]
    outvars: tuple[Atom, ...]
    eqns: tuple[Eqn, ...]

    @staticmethod
    def new(constvars, invars, outvars, eqns) -> Jaxpr:
        return Jaxpr(tuple(constvars), tuple(invars), tuple(outvars), tuple(eqns))

    in_avals = property(lambda self: [v.aval for v in self.invars])
    out_avals = property(lambda self: [v.aval for v in self.outvars])


@dataclass(frozen=True, eq=False, slots=True, repr=False)
class ClosedJaxpr:
    """A jaxpr together with the values of its constvars."""

    jaxpr: Jaxpr
    consts: tuple

    def __post_init__(self):
        if len(self.consts) != len(self.jaxpr.constvars):
            raise ValueError("ClosedJaxpr needs one value per constvar")
        object.__setattr__(self, "consts", tuple(self.consts))

    in_avals = property(lambda self: self.jaxpr.in_avals)
    out_avals = property(lambda self: self.jaxpr.out_avals)
    eqns = property(lambda self: self.jaxpr.eqns)


def sub_jaxprs(eqn: Eqn) -> list[Jaxpr]:
    """The jaxprs nested in an equation's params (a call's body, a loop's body, every
    branch of a cond), for passes that must see a whole program."""
    found = []
    for value in eqn.params.values():
        for v in value if isinstance(value, (tuple, list)) else (value,):
            if isinstance(v, ClosedJaxpr):
                found.append(v.jaxpr)
            elif isinstance(v, Jaxpr):
                found.append(v)
    return found
