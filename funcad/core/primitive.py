"""``Primitive``: a named array operation, applied with ``bind``.

A primitive carries its NumPy implementation and its abstract evaluation (shape/dtype
rule). Transform rules live in tables owned by the interpreters, keyed by primitive.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from funcad.core.avals import as_numpy, is_foreign_array
from funcad.core.dtypes import PYTHON_SCALARS
from funcad.core.trace import Tracer, _state, get_aval
from funcad.errors import UnexpectedTracerError

_NDARRAY = np.ndarray


class Primitive:
    """A named operation. Arrays are positional; static params are keyword-only."""

    __slots__ = ("name", "multiple_results", "impl", "abstract_eval", "__weakref__")

    def __init__(self, name: str, *, multiple_results: bool = False):
        self.name = name
        self.multiple_results = multiple_results
        self.impl: Callable | None = None
        self.abstract_eval: Callable | None = None

    def __repr__(self):
        return self.name

    def def_impl(self, impl: Callable) -> Callable:
        self.impl = impl
        return impl

    def def_abstract_eval(self, rule: Callable) -> Callable:
        self.abstract_eval = rule
        return rule

    def bind(self, *args, **params):
        # ``find_top_trace``, inlined (this runs for every operation): one pass over the
        # operands finds the trace of highest level among them; with none and no staging
        # trace below (the dynamic trace is the base), evaluate at once.
        top = None
        has_scalar = False
        for a in args:
            if type(a) is not _NDARRAY:
                if isinstance(a, Tracer):
                    main = a._trace.main
                    if top is None or main.level > top.level:
                        top = main
                elif type(a) in PYTHON_SCALARS or is_foreign_array(a):
                    has_scalar = True
        dynamic = _state.dynamic
        if top is None:
            if not dynamic.level:
                if has_scalar:
                    # Implementations see arrays only: Python scalars become 0-d arrays.
                    # (and a jax.Array is read as a NumPy array).
                    args = [np.asarray(a) if type(a) in PYTHON_SCALARS else as_numpy(a)
                            for a in args]
                return self.apply_impl(args, params)
            top = dynamic
        elif dynamic.level > top.level:
            top = dynamic
        elif not top.active:
            raise UnexpectedTracerError(next(a for a in args if isinstance(a, Tracer)
                                             and a._trace.main is top), top.name)
        # full_raise checks every other operand (an inactive trace, a higher level).
        trace = top.trace
        tracers = [a if isinstance(a, Tracer) and a._trace is trace else trace.full_raise(a)
                   for a in args]
        out = trace.process_primitive(self, tracers, params)
        if not trace.tracers_lower:
            return out
        if self.multiple_results:
            return [o.full_lower() if isinstance(o, Tracer) else o for o in out]
        return out.full_lower() if isinstance(out, Tracer) else out

    def apply_impl(self, args, params):
        """Evaluate with NumPy; a failure is re-checked by the shape rule for a clear error."""
        try:
            out = self.impl(*args, **params) if params else self.impl(*args)
        except Exception:
            # The shape/dtype rule raises a PrimitiveTypeError naming the operands and the
            # user's line when the operands are to blame; otherwise re-raise as it was.
            self.abstract_eval(*[get_aval(a) for a in args], **params)
            raise
        if self.multiple_results:
            return [np.asarray(o) for o in out]
        # NumPy returns scalars for 0-d results; values are always arrays here.
        return out if type(out) is _NDARRAY else np.asarray(out)
