"""Notation of the trace tables: names (w₀, ẇ₀, w̄₀ or w0, w0_dot, w0_bar), numbers, and
the text width of strings with combining marks (for aligned columns)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

_SUBSCRIPTS = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
# one letter, then digits (ASCII or subscript): the mark goes on the letter
_DECORABLE = re.compile(r"^([^\W\d_])([0-9₀-₉]*)$")


@dataclass(frozen=True)
class Notation:
    """How names and operators are written. ``unicode=False`` gives plain ASCII."""

    unicode: bool = True
    digits: int = 3

    @property
    def times(self) -> str:
        return "·" if self.unicode else "*"

    @property
    def power(self) -> str:
        return "^" if self.unicode else "**"

    def operator(self, op: str) -> str:
        """An infix operator spelt as in Python, written in this notation (``*`` -> ``·``)."""
        return {"*": self.times, "**": self.power}.get(op, op)

    def indexed(self, base: str, i: int) -> str:
        return f"{base}{str(i).translate(_SUBSCRIPTS)}" if self.unicode else f"{base}{i}"

    def superscript(self, n: int) -> str | None:
        return str(n).translate(_SUPERSCRIPTS) if self.unicode else None

    def _decorate(self, name: str, mark: str, word: str) -> str:
        if not self.unicode:
            return f"{name}_{word}"
        m = _DECORABLE.match(name)
        if m:
            # NFC: ẇ is one character where Unicode has one (w̄ stays w + combining macron)
            return unicodedata.normalize("NFC", f"{m.group(1)}{mark}{m.group(2)}")
        return f"{word}({name})"

    def tangent(self, name: str) -> str:
        """The tangent of ``name``: ẇ₀ (a combining dot above) or w0_dot."""
        return self._decorate(name, "\u0307", "dot")

    def adjoint(self, name: str) -> str:
        """The adjoint of ``name``: w̄₀ (a combining macron) or w0_bar."""
        return self._decorate(name, "\u0304", "bar")

    def partial(self, out: str, wrt: str) -> str:
        return f"∂{out}/∂{wrt}" if self.unicode else f"d{out}/d{wrt}"

    @property
    def rule(self) -> str:
        return "─" if self.unicode else "-"

    def number(self, x) -> str:
        return format_value(x, self.digits, unicode=self.unicode)


def format_number(x: float, digits: int = 3) -> str:
    """``0.909``, ``25``, ``-2.081``, ``1.2e-07``: fixed point with ``digits`` decimals
    (trailing zeros dropped) for moderate magnitudes, scientific notation otherwise."""
    if isinstance(x, (complex, np.complexfloating)):
        return f"({format_number(x.real, digits)}{'+' if x.imag >= 0 else '-'}"\
               f"{format_number(abs(x.imag), digits)}j)"
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    x = float(x)
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    ax = abs(x)
    if 10.0 ** -digits <= ax < 1e7:
        text = f"{x:.{digits}f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    mantissa, exp = f"{x:.{max(digits - 1, 1)}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exp)}"


def format_value(x, digits: int = 3, max_items: int = 6, unicode: bool = True) -> str:
    """A scalar as :func:`format_number`; an array as ``[0.909 0.141 …]``, summarized."""
    arr = np.asarray(x)
    if arr.shape == ():
        return format_number(arr[()], digits)
    flat = arr.ravel()
    if flat.size <= max_items and arr.ndim == 1:
        return "[" + " ".join(format_number(v, digits) for v in flat) + "]"
    head = " ".join(format_number(v, digits) for v in flat[: max_items - 1])
    more = (" …" if unicode else " ...") if flat.size > max_items - 1 else ""
    shape = ("×" if unicode else "x").join(str(s) for s in arr.shape)
    return f"[{head}{more}] ({shape})"


def text_width(s: str) -> int:
    """Columns taken by ``s`` in a terminal: combining marks take none, wide
    characters two."""
    width = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def pad(s: str, width: int, align: str = "<") -> str:
    gap = " " * max(width - text_width(s), 0)
    return gap + s if align == ">" else s + gap


__all__ = ["Notation", "format_number", "format_value", "pad", "text_width"]
