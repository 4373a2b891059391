"""Hypothesis strategies for property tests of derivatives: shapes, arrays in a domain
(kept away from kinks and singularities), and random differentiable programs.

Requires ``hypothesis`` (a test dependency, not a runtime one).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import funcad.numpy as fnp

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as e:  # pragma: no cover - exercised only without hypothesis
    raise ImportError(
        "funcad.testing.strategies needs hypothesis: pip install hypothesis"
    ) from e


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4):
    """Array shapes (tuples of ints)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def arrays(shape, dtype=np.float64, domain: tuple[float, float] = (-2.0, 2.0),
           avoid: Sequence[complex] = (), margin: float = 0.05,
           imag_domain: tuple[float, float] | None = None):
    """Float or complex arrays with every element in ``domain`` and at least ``margin`` away
    from each point in ``avoid`` (kinks like 0 for ``abs``, singularities like ±1 for
    ``arctanh``). A complex dtype draws real parts from ``domain`` and imaginary parts from
    ``imag_domain`` (default: ``domain``); ``avoid`` then holds complex points."""
    dtype = np.dtype(dtype)
    lo, hi = domain
    width = 32 if dtype in (np.float32, np.complex64) else 64
    elems = st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=width)
    if dtype.kind == "c":
        ilo, ihi = imag_domain if imag_domain is not None else domain
        imag = st.floats(ilo, ihi, allow_nan=False, allow_infinity=False, width=width)
        elems = st.builds(complex, elems, imag)
    if avoid:
        elems = elems.filter(lambda v: all(abs(v - a) >= margin for a in avoid))
    shape_st = st.just(tuple(shape)) if not isinstance(shape, st.SearchStrategy) else shape
    return shape_st.flatmap(lambda s: hnp.arrays(np.dtype(dtype), s, elements=elems))


# The menu of random programs: smooth everywhere on the reals, and bounded growth, so that
# finite differences are trustworthy whatever the composition.
_UNARY = {
    "sin": lambda ns, x: ns.sin(x),
    "cos": lambda ns, x: ns.cos(x),
    "tanh": lambda ns, x: ns.tanh(x),
    "arctan": lambda ns, x: ns.arctan(x),
    "square_damped": lambda ns, x: x * x / (1.0 + x * x),
    "logaddexp0": lambda ns, x: ns.logaddexp(x, 0.0),
    "sqrt1p": lambda ns, x: ns.sqrt(1.0 + x * x),
    "exp_tanh": lambda ns, x: ns.exp(ns.tanh(x)),
    "log1p_sq": lambda ns, x: ns.log1p(x * x),
    "sum": lambda ns, x: ns.sum(x),
    "mean": lambda ns, x: ns.mean(x),
}
_BINARY = {
    "add": lambda ns, x, y: x + y,
    "sub": lambda ns, x, y: x - y,
    "mul": lambda ns, x, y: x * y,
    "div_safe": lambda ns, x, y: x / (1.0 + y * y),
    "hypot_safe": lambda ns, x, y: ns.sqrt(1.0 + x * x + y * y),
}


@dataclass(frozen=True)
class Program:
    """A straight-line program over its inputs: each step applies one menu operation to
    earlier values; the output is the last value. ``ns`` is the array namespace (funcad.numpy
    by default, or numpy to evaluate it without funcad)."""

    n_inputs: int
    steps: tuple[tuple[str, tuple[int, ...]], ...]

    def __call__(self, *args, ns=None):
        if ns is None:
            ns = fnp
        values = list(args)
        for name, operands in self.steps:
            fn = _UNARY.get(name) or _BINARY[name]
            values.append(fn(ns, *(values[i] for i in operands)))
        return values[-1]

    def __repr__(self):
        names = [f"x{i}" for i in range(self.n_inputs)]
        lines = []
        for k, (name, operands) in enumerate(self.steps):
            names.append(f"v{k}")
            lines.append(f"v{k} = {name}({', '.join(names[i] for i in operands)})")
        return "Program(" + "; ".join(lines) + ")"


@st.composite
def programs(draw, n_inputs: int | None = None, max_steps: int = 8):
    """A random differentiable ``Program`` (see the menu above)."""
    n = n_inputs if n_inputs is not None else draw(st.integers(1, 3))
    n_steps = draw(st.integers(1, max_steps))
    steps = []
    for k in range(n_steps):
        available = n + k
        if draw(st.booleans()):
            name = draw(st.sampled_from(sorted(_UNARY)))
            operands = (draw(st.integers(0, available - 1)),)
        else:
            name = draw(st.sampled_from(sorted(_BINARY)))
            operands = (draw(st.integers(0, available - 1)), draw(st.integers(0, available - 1)))
        # Use the most recent value often, so programs are deep rather than wide.
        if draw(st.booleans()):
            operands = (available - 1,) + operands[1:]
        steps.append((name, operands))
    return Program(n, tuple(steps))


@st.composite
def programs_and_args(draw, shape=None, dtype=np.float64, max_steps: int = 8):
    """``(program, args)``: a random program and inputs of one common shape for it."""
    program = draw(programs(max_steps=max_steps))
    shp = shape if shape is not None else draw(shapes(max_dims=2, max_side=3))
    args = tuple(draw(arrays(shp, dtype, (-1.5, 1.5))) for _ in range(program.n_inputs))
    return program, args


__all__ = ["Program", "arrays", "programs", "programs_and_args", "shapes"]
