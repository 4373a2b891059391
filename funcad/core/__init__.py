"""The core: primitives, the per-thread trace stack, tracers and abstract values."""
from funcad.core.avals import ShapedArray, aval_of_value
from funcad.core.primitive import Primitive
from funcad.core.trace import (
    EvalTrace,
    MainTrace,
    Trace,
    Tracer,
    find_top_trace,
    full_lower,
    get_aval,
    new_main,
    to_concrete,
)

__all__ = [
    "EvalTrace",
    "MainTrace",
    "Primitive",
    "ShapedArray",
    "Trace",
    "Tracer",
    "aval_of_value",
    "find_top_trace",
    "full_lower",
    "get_aval",
    "new_main",
    "to_concrete",
]
