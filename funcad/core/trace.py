"""The trace stack: main traces with levels, per thread, and the ``Tracer`` base class.

Every transform pushes a ``MainTrace`` whose level is its depth in the stack. ``bind``
hands an operation to the trace of highest level among its operands (and at least the
*dynamic* trace, which is how staging sees operations on constants: omnistaging). Lower
values are lifted into that trace, which is what keeps nested transforms apart.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any

import numpy as np

from funcad.core.avals import ShapedArray, as_numpy, aval_of_value
from funcad.core.dtypes import PYTHON_SCALARS
from funcad.errors import (
    ConcretizationError,
    FuncadTypeError,
    TracerArrayConversionError,
    UnexpectedTracerError,
)


class MainTrace:
    """One active transform: its level, its trace type and data shared by its tracers."""

    __slots__ = ("level", "trace_type", "global_data", "name", "active", "trace")

    def __init__(self, level: int, trace_type: type, global_data: Any, name: str):
        self.level = level
        self.trace_type = trace_type
        self.global_data = global_data
        self.name = name
        self.active = True
        self.trace = trace_type(self)

    def __repr__(self):
        return f"MainTrace({self.level}, {self.name})"


class Trace:
    """An interpreter: how operations on its tracers are carried out."""

    __slots__ = ("main",)
    # Whether this trace's outputs may stand for a value of a lower trace (``full_lower``);
    # staging never lowers, which spares ``bind`` a call per operation.
    tracers_lower = True

    def __init__(self, main: MainTrace):
        self.main = main

    def pure(self, val):
        """Wrap a value from outside every transform as a tracer of this trace."""
        raise NotImplementedError

    def lift(self, tracer: Tracer):
        """Wrap a tracer of a lower trace as a tracer of this one."""
        raise NotImplementedError

    def process_primitive(self, primitive, tracers, params):
        raise NotImplementedError

    def full_raise(self, val):
        if not isinstance(val, Tracer):
            # Transforms see NumPy values only: a jax.Array is read once, here.
            return self.pure(val if type(val) is np.ndarray else as_numpy(val))
        level = self.main.level
        vmain = val._trace.main
        if vmain is self.main:
            return val
        if not vmain.active:
            raise UnexpectedTracerError(val, vmain.name)
        if vmain.level < level:
            return self.lift(val)
        raise UnexpectedTracerError(val, vmain.name)


class EvalTrace(Trace):
    """The bottom of the stack: apply each primitive's NumPy implementation."""

    __slots__ = ()

    def pure(self, val):
        # Implementations see arrays only; Python scalars become 0-d arrays here.
        return np.asarray(val) if type(val) in PYTHON_SCALARS else as_numpy(val)

    lift = pure

    def process_primitive(self, primitive, tracers, params):
        return primitive.apply_impl(tracers, params)


class _ThreadState(threading.local):
    def __init__(self):
        base = MainTrace(0, EvalTrace, None, "eval")
        self.trace_stack: list[MainTrace] = [base]
        self.dynamic: MainTrace = base


_state = _ThreadState()


def trace_stack() -> list[MainTrace]:
    return _state.trace_stack


@contextmanager
def new_main(trace_type: type, global_data: Any = None, *, name: str, dynamic: bool = False):
    """Push a transform on this thread's trace stack for the duration of the block.

    ``dynamic=True`` makes it the floor for every ``bind`` (used by staging, so that even
    operations on constants are recorded).
    """
    st = _state
    main = MainTrace(len(st.trace_stack), trace_type, global_data, name)
    st.trace_stack.append(main)
    prev_dynamic = st.dynamic
    if dynamic:
        st.dynamic = main
    try:
        yield main
    finally:
        main.active = False
        # Tracers keep their trace and its main (to report escapes); dropping the main's
        # link back to the trace leaves no cycle, so a finished transform is freed at once
        # by reference counting rather than later by the garbage collector.
        main.trace = None
        st.dynamic = prev_dynamic
        st.trace_stack.pop()


def find_top_trace(args) -> Trace:
    """The trace that must handle an operation on ``args``."""
    top = _state.dynamic
    for x in args:
        if isinstance(x, Tracer):
            main = x._trace.main
            if not main.active:
                raise UnexpectedTracerError(x, main.name)
            if main.level > top.level:
                top = main
    return top.trace


def full_lower(val):
    return val.full_lower() if isinstance(val, Tracer) else val


def get_aval(x) -> ShapedArray:
    """The abstract value of a tracer or a concrete value."""
    if isinstance(x, Tracer):
        return x.aval
    return aval_of_value(x)


def output_value(x):
    """A transform's top-level output: a plain, writable NumPy array (broadcast results are
    read-only views internally); traced values stay traced."""
    if isinstance(x, Tracer):
        return x
    x = np.asarray(x)
    return x if x.flags.writeable else x.copy()


def to_concrete(x):
    """The concrete value behind ``x`` if one is known, else ``None``."""
    if isinstance(x, Tracer):
        return x.to_concrete()
    return x


class Tracer:
    """A value being traced by some transform.

    Operators and array methods are installed by ``funcad.numpy`` (so the core does not
    depend on the user namespace); conversions to Python values need a concrete value.
    """

    __slots__ = ("_trace",)
    __array_priority__ = 1000

    @property
    def aval(self) -> ShapedArray:
        raise NotImplementedError

    def full_lower(self):
        return self

    def to_concrete(self):
        """The concrete value if this trace knows it (forward-mode tracers do)."""
        return None

    # Static facts about the value are always available.
    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: self.aval.ndim)
    size = property(lambda self: self.aval.size)
    weak_type = property(lambda self: self.aval.weak_type)

    def __len__(self):
        if not self.shape:
            raise FuncadTypeError(f"len() of a 0-d traced value {self.aval.str_short()}")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise FuncadTypeError(f"iteration over a 0-d traced value {self.aval.str_short()}")
        return (self[i] for i in range(self.shape[0]))

    def _concrete(self, operation: str):
        val = self.to_concrete()
        if val is None:
            raise ConcretizationError(operation, self)
        return val

    def __bool__(self):
        return bool(self._concrete("bool() (an `if`, `while`, `and`/`or` or `not`)"))

    def __int__(self):
        return int(self._concrete("int()"))

    def __float__(self):
        return float(self._concrete("float()"))

    def __complex__(self):
        return complex(self._concrete("complex()"))

    def __index__(self):
        val = self._concrete("use as a Python index (__index__)")
        return int(np.asarray(val).__index__())

    def __array__(self, dtype=None, copy=None):
        raise TracerArrayConversionError(self)

    __hash__ = None  # traced values are arrays: unhashable, as in NumPy

    def __repr__(self):
        return f"Traced<{self.aval.str_short()}>with<{type(self._trace).__name__}>"

    @property
    def _origin(self) -> str:
        return self._trace.main.name
