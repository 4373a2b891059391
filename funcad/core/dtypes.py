"""Dtype rules: NumPy 2 promotion (NEP 50) with weakly typed Python scalars.

A value is *weak* when it came from a Python scalar: it takes the dtype of the strong
operands it meets (``f32 array * 2.0 -> f32``). An operation whose operands are all weak
gives a weak result, so ``x * (2.0 * 3.0)`` stays ``f32`` when traced as well.
"""
from __future__ import annotations

import numpy as np

float_ = np.dtype(np.float64)
int_ = np.dtype(np.int_)
bool_ = np.dtype(np.bool_)
complex_ = np.dtype(np.complex128)

# A Python scalar of each kind, used as a weak stand-in when asking NumPy for the
# result type: NumPy 2 treats Python scalars as weak (NEP 50).
_WEAK_STANDIN = {"b": False, "i": 0, "u": 0, "f": 0.0, "c": 0j}


def python_scalar_dtype(x) -> np.dtype:
    """The dtype a Python scalar takes when nothing stronger is around."""
    if isinstance(x, bool):
        return bool_
    if isinstance(x, int):
        return int_
    if isinstance(x, float):
        return float_
    if isinstance(x, complex):
        return complex_
    raise TypeError(f"not a Python scalar: {type(x).__name__}")


# Python's numeric scalars: weakly typed next to arrays (NEP 50).
PYTHON_SCALARS = (bool, int, float, complex)


def is_python_scalar(x) -> bool:
    return type(x) in PYTHON_SCALARS


def result_type(*dtype_weak_pairs: tuple[np.dtype, bool]) -> tuple[np.dtype, bool]:
    """Promote ``(dtype, weak)`` pairs as NumPy 2 does; returns ``(dtype, weak)``.

    The result is weak only when every operand is weak.
    """
    strong = [d for d, w in dtype_weak_pairs if not w]
    weak = [d for d, w in dtype_weak_pairs if w]
    if not strong:
        # Only weak operands: promote among their kinds; the result stays weak.
        return np.result_type(*weak), True
    args = strong + [_WEAK_STANDIN[d.kind] for d in weak if d.kind != "b"]
    return np.result_type(*args), False


# The kind tests read ``dtype.kind`` directly (avals hold NumPy dtypes, and these run on the
# hot paths of tracing); anything else (a scalar type, a name) goes through ``np.dtype``.

def is_float(dtype: np.dtype) -> bool:
    try:
        return dtype.kind == "f"
    except AttributeError:
        return np.dtype(dtype).kind == "f"


def is_inexact(dtype: np.dtype) -> bool:
    try:
        return dtype.kind in "fc"
    except AttributeError:
        return np.dtype(dtype).kind in "fc"


def is_integer(dtype: np.dtype) -> bool:
    try:
        return dtype.kind in "iu"
    except AttributeError:
        return np.dtype(dtype).kind in "iu"


def is_bool(dtype: np.dtype) -> bool:
    return np.dtype(dtype).kind == "b"


def is_unsigned(dtype: np.dtype) -> bool:
    return np.dtype(dtype).kind == "u"


def is_complex(dtype: np.dtype) -> bool:
    try:
        return dtype.kind == "c"
    except AttributeError:
        return np.dtype(dtype).kind == "c"


def to_inexact(dtype: np.dtype) -> np.dtype:
    """The floating dtype NumPy computes in for ``dtype`` (ints and bools -> float64)."""
    dtype = np.dtype(dtype)
    return dtype if is_inexact(dtype) else float_


def short_name(dtype: np.dtype) -> str:
    """``f64``, ``i32``, ``u8``, ``bool``, ``c128`` — the names used in printed IR."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return "bool"
    return {"f": "f", "i": "i", "u": "u", "c": "c"}.get(dtype.kind, dtype.kind) + str(
        dtype.itemsize * 8
    )
