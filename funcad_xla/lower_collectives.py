"""Lowerings of the collectives (``psum``, ``pmax``, ``pmin``, ``all_gather``,
``axis_index``): none reaches XLA. ``vmap(axis_name=)`` reduces every collective while
batching, so one left in an IR being compiled was staged inside a named vmap and is being
run outside it (or on values that do not vary along the axis); compiling it is an error."""
from __future__ import annotations

from funcad.control.collectives import COLLECTIVES
from funcad.errors import FuncadNotImplementedError
from funcad_xla.rules import register_lowerings


def _unbatched(prim):
    def lower(*args, axis_name, **params):
        raise FuncadNotImplementedError(
            f"funcad.lax.{prim.name} over axis {axis_name!r} reached the XLA backend outside "
            "the vmap that names it (an IR staged inside vmap(axis_name=...), e.g. by "
            "make_jaxpr or linearize, and compiled after that vmap returned): there is no "
            "axis to reduce over; run it inside the vmap")
    return lower


register_lowerings({prim: _unbatched(prim) for prim in COLLECTIVES})
