"""The core: primitives, the per-thread trace stack, tracers, abstract values, dtypes, the
symbolic stand-ins rules see (``symbolic``) and every per-primitive table (``rules``)."""
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
