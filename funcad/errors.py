"""Error types raised by funcad.

Every error is raised while tracing and names the transform or primitive involved, the
shapes and dtypes, and the first source line outside funcad (the user's line), so a
misuse never surfaces as an ``AttributeError`` from deep inside the library.
"""
from __future__ import annotations

import os
import sys
import traceback

_PACKAGE_DIRS = tuple(  # with a trailing separator: `funcad_demo.py` is a user's file
    os.path.dirname(os.path.abspath(p)) + os.sep
    for p in (__file__, os.path.join(os.path.dirname(__file__), "..", "funcad_xla", "x"))
)


def _is_internal(filename: str) -> bool:
    path = os.path.abspath(filename)
    return path.startswith(_PACKAGE_DIRS) or ("/numpy/" in path and "site-packages" in path)


def user_frame() -> traceback.FrameSummary | None:
    """The innermost stack frame that lies outside funcad (and NumPy's dispatch)."""
    frame = sys._getframe(1)
    while frame is not None:
        if not _is_internal(frame.f_code.co_filename):
            return traceback.FrameSummary(
                frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name
            )
        frame = frame.f_back
    return None


def user_line() -> str:
    """A short ``file:line (function): source`` string for error messages, or ''."""
    fs = user_frame()
    if fs is None:
        return ""
    src = (fs.line or "").strip()
    where = f"{os.path.basename(fs.filename)}:{fs.lineno} ({fs.name})"
    return f"{where}: {src}" if src else where


def _with_line(msg: str) -> str:
    line = user_line()
    return f"{msg}\n  at {line}" if line else msg


class FuncadError(Exception):
    """Base class of every error funcad raises on misuse."""


class FuncadTypeError(FuncadError, TypeError):
    """A value of the wrong type, shape or dtype was given to funcad."""


class FuncadValueError(FuncadError, ValueError):
    """A value had the right type but an unusable value (bad axis, mismatched sizes)."""


class PrimitiveTypeError(FuncadTypeError):
    """A primitive was applied to operands of incompatible shapes or dtypes."""

    def __init__(self, primitive: str, avals, reason: str):
        ops = ", ".join(a.str_short() for a in avals)
        super().__init__(_with_line(f"{primitive}: {reason} (operands: {ops})"))


class ConcretizationError(FuncadTypeError):
    """A Python operation needed the concrete value of an abstract traced value."""

    def __init__(self, operation: str, tracer=None, detail: str = ""):
        what = f" of {tracer.aval.str_short()}" if tracer is not None else ""
        origin = getattr(tracer, "_origin", None) if tracer is not None else None
        msg = (
            f"{operation} needs a concrete value, but the value{what} is abstract "
            f"(it is traced{f' by {origin}' if origin else ''})."
        )
        if detail:
            msg += f" {detail}"
        msg += (
            " Values that decide Python control flow must be static: pass them with "
            "`static_argnums`, or use `funcad.lax.cond` / `funcad.numpy.where` for "
            "branches on traced values."
        )
        super().__init__(_with_line(msg))


class TracerArrayConversionError(FuncadTypeError):
    """A tracer was about to be converted to a NumPy array, which would lose the trace."""

    def __init__(self, tracer):
        super().__init__(_with_line(
            f"A traced value {tracer.aval.str_short()} cannot be converted to a NumPy "
            "array. numpy.asarray / numpy.array (and NumPy helpers built on them, such as "
            "numpy.r_ / numpy.c_) read the value directly, which funcad cannot intercept: "
            "use funcad.numpy.asarray / funcad.numpy.array / funcad.numpy.r_ / "
            "funcad.numpy.c_ (or other funcad.numpy functions) on traced values."
        ))


class TracerItemAssignmentError(FuncadTypeError):
    """``x[idx] = y`` on a traced value: traced arrays are immutable, as JAX's."""

    def __init__(self, tracer):
        super().__init__(_with_line(
            f"traced arrays are immutable: `x[idx] = y` on a {tracer.aval.str_short()} "
            "traced value is not supported; write `x = x.at[idx].set(y)` instead"))


class UnexpectedTracerError(FuncadError):
    """A tracer outlived the transform that created it."""

    def __init__(self, tracer, transform: str):
        super().__init__(_with_line(
            f"A traced value {tracer.aval.str_short()} created by `{transform}` was used "
            f"after `{transform}` finished: it escaped its transform (stored in a global, "
            "a closure or a side output). Return values from the transformed function "
            "instead."
        ))


class NumpyFunctionNotImplementedError(FuncadTypeError):
    """A NumPy function without a funcad implementation was called on a traced value."""

    def __init__(self, name: str):
        super().__init__(_with_line(
            f"numpy.{name} is not implemented by funcad for traced values; use a "
            "function from funcad.numpy, or compute it outside the transform."
        ))


class FuncadNotImplementedError(FuncadError, NotImplementedError):
    """A feature funcad does not have yet was needed; raised instead of computing a wrong
    value. The message names the feature and the user's line."""

    def __init__(self, feature: str):
        super().__init__(_with_line(f"{feature} is not implemented in funcad yet"))


class NumpyNameNotImplementedError(FuncadError, AttributeError, NotImplementedError):
    """A NumPy name that ``funcad.numpy`` does not provide (yet). An ``AttributeError`` too,
    so ``hasattr(funcad.numpy, name)`` and ``getattr`` defaults work as for any module."""

    def __init__(self, name: str):
        super().__init__(
            f"funcad.numpy.{name} is not implemented: funcad has no version of numpy.{name} "
            "yet. Build it from funcad.numpy functions, or compute it outside the transform."
        )


class JaxprTypeError(FuncadTypeError):
    """An IR failed its type check; the message shows the offending equation."""


class CallbackResultError(FuncadTypeError):
    """A ``pure_callback``'s host function returned values that do not match the declared
    ``result_shape_dtypes`` (count, shape or dtype)."""


class CallbackVmapError(FuncadError, NotImplementedError):
    """``vmap`` of a ``pure_callback`` that was given no ``vmap_method`` (as in JAX)."""


__all__ = [
    "CallbackResultError",
    "CallbackVmapError",
    "ConcretizationError",
    "FuncadError",
    "FuncadNotImplementedError",
    "FuncadTypeError",
    "FuncadValueError",
    "JaxprTypeError",
    "NumpyFunctionNotImplementedError",
    "PrimitiveTypeError",
    "TracerArrayConversionError",
    "TracerItemAssignmentError",
    "UnexpectedTracerError",
    "with_user_line",
]

with_user_line = _with_line
