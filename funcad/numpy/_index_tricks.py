"""``r_`` and ``c_``: NumPy's index objects that build arrays by concatenation
(``r_[1:4, 0, x]``, ``c_[a, b]``, ``r_["0,2", a, b]``), on arrays and traced values."""
from __future__ import annotations

import numpy as np

from funcad.core import dtypes
from funcad.errors import FuncadValueError, with_user_line
from funcad.numpy import _creation as cr
from funcad.numpy import _shape as sh
from funcad.numpy._core import aval, joined_operands, operand


def _slice_array(s: slice):
    start = 0 if s.start is None else s.start
    step = 1 if s.step is None else s.step
    if isinstance(step, complex):  # a number of points, end point included
        return cr.linspace(start, s.stop, int(abs(step)))
    return cr.arange(start, s.stop, step)


def _directive(text: str):
    """``"axis"``, ``"axis,ndmin"`` or ``"axis,ndmin,trans1d"``."""
    try:
        parts = [int(p) for p in text.split(",")]
    except ValueError:
        raise FuncadValueError(with_user_line(
            f"r_/c_: unknown directive {text!r} (matrix outputs 'r'/'c' are not supported)"
        )) from None
    return (parts + [1, -1][len(parts) - 1:])[:3] if len(parts) < 3 else parts


class _Concatenator:
    """Concatenate the items of an index expression along ``axis``."""

    def __init__(self, axis: int, ndmin: int, trans1d: int):
        self.axis, self.ndmin, self.trans1d = axis, ndmin, trans1d

    def __getitem__(self, key):
        items = list(key) if isinstance(key, tuple) else [key]
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        if items and isinstance(items[0], str):
            axis, ndmin, trans1d = _directive(items.pop(0))
        arrays = []
        for item in items:
            scalar = False
            if isinstance(item, slice):
                x = _slice_array(item)
            else:
                x = operand(item, "r_")
                scalar = dtypes.is_python_scalar(x) or aval(x).ndim == 0
                x = np.asarray(x) if dtypes.is_python_scalar(x) else x
            arrays.append(self._promote_ndim(x, ndmin, trans1d, scalar))
        if not arrays:
            return np.array([])
        return sh.concatenate(joined_operands(arrays, None, "r_"), axis=axis)

    @staticmethod
    def _promote_ndim(x, ndmin: int, trans1d: int, scalar: bool):
        nd = aval(x).ndim
        if scalar or nd >= ndmin:
            return sh.atleast_1d(x) if nd == 0 else x
        # NumPy: the array's axes go where trans1d says among ``ndmin`` axes.
        shape = aval(x).shape
        new = (1,) * (ndmin - nd) + shape
        x = sh.reshape(x, new)
        if trans1d != -1:
            t = trans1d % ndmin
            order = list(range(ndmin - nd, ndmin))
            rest = list(range(ndmin - nd))
            perm = rest[:t] + order + rest[t:]
            x = sh.transpose(x, np.argsort(perm).tolist())
        return x

    def __len__(self):
        return 0


r_ = _Concatenator(0, 1, -1)
c_ = _Concatenator(-1, 2, 0)

__all__ = ["c_", "r_"]
