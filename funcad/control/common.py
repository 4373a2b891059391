"""Helpers shared by the control-flow primitives (``cond``, ``while``, ``scan``)."""
from __future__ import annotations

from collections.abc import Sequence

from funcad.core.avals import ShapedArray
from funcad.core.trace import get_aval
from funcad.ir.typecheck import typecheck_jaxpr
from funcad.ops._base import broadcast_in_dim, select_n


def split_sizes(xs: Sequence, *sizes: int) -> list[list]:
    """``xs`` cut into consecutive lists of the given sizes, and the rest."""
    out, start = [], 0
    for n in sizes:
        out.append(list(xs[start:start + n]))
        start += n
    out.append(list(xs[start:]))
    return out


def typecheck_subjaxprs(*names: str):
    """A typecheck hook that checks the sub-IRs held in the params ``names``."""
    def check(eqn, in_avals) -> None:
        for name in names:
            value = eqn.params[name]
            for closed in value if isinstance(value, tuple) else (value,):
                typecheck_jaxpr(closed)

    return check


def types_str(avals) -> str:
    """``(f64[3], i32[])``: types for error messages."""
    return "(" + ", ".join(a.str_short() for a in avals) + ")"


def same_types(a: Sequence[ShapedArray], b: Sequence[ShapedArray]) -> bool:
    """Equal shapes and dtypes, position by position (weak types aside)."""
    return len(a) == len(b) and all(x.same_type(y) for x, y in zip(a, b))


def select_where(pred, on_true, on_false):
    """``on_true`` where the scalar (or leading-axis) boolean ``pred`` holds."""

    shape = get_aval(on_true).shape
    p_shape = get_aval(pred).shape
    pred = broadcast_in_dim(pred, shape, tuple(range(len(p_shape))))
    return select_n(pred, on_false, on_true)
