"""The IR: immutable variables, literals, equations and (closed) jaxprs."""
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
        object.__setattr__(self, "aval", aval)
        object.__setattr__(self, "count", next(_var_ids))

    def __setattr__(self, name, value):
        raise AttributeError("Var is immutable")

    def __repr__(self):
        return f"Var({self.count}:{self.aval.str_short()})"


class Literal:
    """A scalar constant written inline in the IR."""

    __slots__ = ("val", "aval")

    def __init__(self, val, aval: ShapedArray):
        assert aval.shape == (), "literals are scalars; arrays become constvars"
        object.__setattr__(self, "val", np.asarray(val, dtype=aval.dtype)[()])
        object.__setattr__(self, "aval", aval)

    def __setattr__(self, name, value):
        raise AttributeError("Literal is immutable")

    def key(self):
        """A hashable identity of the value (NaN-safe), used by CSE."""
        return ("lit", self.aval.dtype.str, self.aval.weak_type, self.val.tobytes())

    def __repr__(self):
        return f"Literal({self.val!r}:{self.aval.str_short()})"


Atom = Var | Literal
_NO_PARAMS: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, eq=False, slots=True)
class Eqn:
    """``outvars = primitive[params] invars``."""

    primitive: Any
    invars: tuple[Atom, ...]
    outvars: tuple[Var, ...]
    params: Mapping[str, Any]

    @staticmethod
    def new(primitive, invars, outvars, params) -> Eqn:
        frozen = MappingProxyType(dict(params)) if params else _NO_PARAMS
        return Eqn(primitive, tuple(invars), tuple(outvars), frozen)

    def replace(self, *, invars=None, outvars=None, params=None) -> Eqn:
        return Eqn.new(
            self.primitive,
            self.invars if invars is None else invars,
            self.outvars if outvars is None else outvars,
            self.params if params is None else params,
        )

    def __str__(self):
        from funcad.ir.pretty import pp_eqn

        return pp_eqn(self)


@dataclass(frozen=True, eq=False, slots=True)
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

    def __str__(self):
        from funcad.ir.pretty import pp_jaxpr

        return pp_jaxpr(self)

    __repr__ = __str__


@dataclass(frozen=True, eq=False, slots=True)
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

    def __str__(self):
        from funcad.ir.pretty import pp_jaxpr

        return pp_jaxpr(self.jaxpr)

    __repr__ = __str__
