"""The tables of per-primitive facts, filled by each primitive's block and read by the
machinery above.

A primitive's block (in ``funcad/ops`` or ``funcad/control``) registers every fact about it
here; interpreters, IR passes, backends and printers look facts up by primitive and never
name one. Keeping the tables in the lowest layer is what lets every import point down.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from funcad.core.primitive import Primitive

# --- transformation rules -------------------------------------------------------------------

# rule(primals, tangents, **params) -> (primal_out, tangent_out); tangents may be ``Zero``.
jvp_rules: dict[Primitive, Callable] = {}

# rule(ct, *operands, **params) -> one cotangent (or None) per operand, where the linear
# operands are ``UndefPrimal``. Only primitives linear in some operand have one.
transpose_rules: dict[Primitive, Callable] = {}

# rule(vals, dims, **params) -> (out, out_dim) (lists for multiple results).
batch_rules: dict[Primitive, Callable] = {}

# Partial evaluation in a staging trace that is not the dynamic one (linearize):
# ``rule(trace, tracers, known, **params)``, where ``known[i]`` is the value of input ``i``
# when it comes from outside the trace and ``UNKNOWN`` otherwise. The rule computes what it
# can at once and stages the rest; it returns one output per result, a value or a tracer.
partial_eval_rules: dict[Primitive, Callable] = {}

# --- transforms beyond JAX's core (funcad.sparse, funcad.taylor) ------------------------------

# Sparsity propagation (funcad.sparse): which operand elements each result element depends
# on. An entry is a fact, one of the family classes below, that funcad.sparse interprets, or a
# callable ``rule(ctx, eqn, ins) -> outs`` over funcad.sparse's ``Pattern`` values (control
# flow, and primitives no family describes). The facts are registered once per family by the
# definers (elementwise primitives, reducers, cumulative scans, defjvp_zero) and per
# primitive by the structural and contracting blocks. A primitive without an entry is taken
# as dense in its operands (every result element depends on every operand element, with
# every second-order interaction): correct, never exact; tests/sparse lists such primitives.
sparsity_rules: dict[Primitive, Any] = {}

# Second-order facts for Hessian sparsity: "linear" (jointly linear or piecewise linear: no
# second derivatives, e.g. add, reshape, max, abs), "bilinear" (second derivatives only
# between the two operands: mul, dot_general), or the operand pairs ``((i, j), ...)`` whose
# second derivatives can be nonzero (div: ``((0, 1), (1, 1))``), or "linear if real" (linear
# for real operands, every pair for complex ones: abs). Absent: every pair of
# operands interacts (exp, pow, ...). deflinear and defbilinear fill it.
sparsity_curvature: dict[Primitive, Any] = {}


@dataclass(frozen=True)
class Elementwise:
    """Result element ``i`` depends on element ``i`` of each operand (equal shapes)."""


@dataclass(frozen=True)
class ZeroDerivative:
    """The results are piecewise constant (comparisons, rounding, indices): no dependence."""


@dataclass(frozen=True)
class Moves:
    """Each result element is a copy of one element of the floating operands, chosen by the
    params and the integer (index) operands: found by running the implementation on element
    numbers (reshape, slice, gather, pad, concatenate, ...)."""


@dataclass(frozen=True)
class Reduces:
    """A result element combines the operand elements along the axes in param ``axes``."""

    axes: str = "axes"


@dataclass(frozen=True)
class Accumulates:
    """An inclusive scan along param ``axis`` (from the end when param ``reverse``)."""


@dataclass(frozen=True)
class Contracts:
    """``dot_general`` with param ``dimension_numbers``: a result element depends on the
    lhs and rhs elements it multiplies (known zeros of a constant operand are left out)."""


@dataclass(frozen=True)
class Dense:
    """Every result element depends on every operand element, by design (decompositions)."""

# Taylor propagation (funcad.taylor: ``jet``, ``laplacian``, ``hessian_diag``): how truncated
# power series flow through the primitive. An entry is either a rule
# ``rule(primals, series, *, order, **params) -> (primal_out, series_out)``, where
# ``series[i]`` lists the Taylor coefficients 1..order of operand i (``x(t) = sum x_k t^k``,
# not factorial-scaled) or is ``None`` for an operand that does not move (multiple results:
# lists), or the name of the primitive's family, which funcad.taylor turns into rules:
# ``"linear"`` (jointly linear: coefficient-wise), ``"bilinear"`` (Cauchy products),
# ``"zero"`` (no derivative), ``"elementwise"`` (one- or two-operand elementwise: laplacian
# needs only its first and second derivatives). The definers register the families; a
# primitive without an entry gets the generic rule derived from its JVP rule.
taylor_rules: dict[Primitive, Callable | str] = {}

# --- facts the IR passes read ------------------------------------------------------------

# check(eqn, in_avals): type checks beyond the shape rule (the sub-IRs of control flow).
typecheck_rules: dict[Primitive, Callable] = {}

# Call primitives whose body ``optimize`` inlines: primitive -> the param holding the
# callee's ClosedJaxpr.
inline_params: dict[Primitive, str] = {}

# Primitives with an effect at run time (``debug.print``): the passes keep their equations
# though nothing reads their (absent) results, and never merge or fold them.
effectful: set[Primitive] = set()

# Primitives whose two operands commute: CSE sees ``mul(a, b)`` and ``mul(b, a)`` as one.
commutative: set[Primitive] = set()

# identity_test(eqn) -> True when the equation returns its first operand unchanged, provided
# that operand has the result's type (a reshape, a cast, a reduction over no axes, ...):
# ``fold_and_forward`` replaces the result by the operand.
identity_tests: dict[Primitive, Callable] = {}

# rewrite(eqn, known) -> an atom equal to the equation's single result, a cheaper equation,
# or ``eqn`` itself (``x * 1`` -> ``x``, ``-(-x)`` -> ``x``, a transpose of a transpose ->
# one transpose). ``known`` is ``funcad.ir.simplify.Known``, which also provides the helpers
# that most rules are made of. Read by ``simplify_algebra``.
algebra_rules: dict[Primitive, Callable] = {}

# Primitives that repeat their (scalar) first operand in every element of the result: given
# a literal, the result is a splat of that literal, which the passes treat as the literal.
fills_with_operand: set[Primitive] = set()

# Sums whose trees ``fold_add_chains`` flattens: primitive -> rebuild(terms, out), the
# equations computing ``out`` as the sum of ``k * t`` over the ``(t, k)`` pairs of ``terms``
# (an empty list: zero).
sum_rebuilders: dict[Primitive, Callable] = {}

# A sum primitive -> the primitive that multiplies a repeated term by its count
# (``t + t + t`` -> ``3 * t``); registered by the multiplying primitive's block.
term_scalers: dict[Primitive, Primitive] = {}

# --- facts the NumPy executor reads (funcad.backends) --------------------------------------

# factory(eqn) -> the fastest NumPy callable computing the equation, its params bound (the
# IR is type-checked, so it may skip the implementation's checks), or None to call the
# implementation. A primitive without an entry runs its implementation.
numpy_kernels: dict[Primitive, Callable] = {}

# The ufunc computing the primitive that can write its result into an operand of the
# result's type (``ufunc(a, b, out=a)``): for results of any dtype, and for inexact
# results only. A kernel that is itself a ufunc needs no entry.
inplace_ufuncs: dict[Primitive, Callable] = {}
inexact_inplace_ufuncs: dict[Primitive, Callable] = {}

# Primitives whose kernel returns a new array that nothing else refers to when the result
# is not 0-d (views such as reshapes and broadcasts do not). A primitive with an in-place
# ufunc, or whose kernel is a ufunc, needs no entry.
fresh_results: set[Primitive] = set()

# --- facts the printers read (funcad.ir.pretty, funcad.explain) ------------------------------

# How ``explain`` writes an equation as a textbook formula: ``explain_notation[prim]`` is one
# of the kinds below. The entries are data; funcad.explain.render does the writing
# (parentheses, spacing, Unicode or ASCII). A primitive without an entry is written as a call
# under its own name, ``name(x, y)``, with its params as ``name[k=v](x, y)``; a call
# primitive (params ``jaxpr`` and ``name``) as ``jit(f)(x)``. funcad.ir.pretty has no
# per-primitive cases: the IR prints every equation as ``name[params] operands``.


class Prec(IntEnum):
    """How tightly an operation binds in a formula, loosest first (Python's order)."""

    CMP = 1
    ADD = 2
    MUL = 3
    NEG = 4
    POW = 5
    ATOM = 6


@dataclass(frozen=True)
class Infix:
    """``x op y``, ``op`` spelt as in Python (explain writes ``*`` as ``·`` and ``**`` as
    ``^`` in Unicode). ``assoc``: ``x op (y op z)`` needs no parentheses. An operand equal
    to ``unit`` (the operation's identity) is left out: ``1·x`` reads ``x``."""

    op: str
    prec: Prec
    assoc: bool = False
    unit: int | None = None


@dataclass(frozen=True)
class Prefix:
    """``op x``: ``-x``."""

    op: str


@dataclass(frozen=True)
class Power:
    """``x²`` (``x**2`` in ASCII): a fixed ``exponent``, or the one in the param ``param``."""

    exponent: int | None = None
    param: str | None = None


@dataclass(frozen=True)
class Call:
    """``name(x, extra...)``: ``name`` and each of ``extra`` are templates over the params
    (``"{new_dtype}"``, ``"axis={dimension}"``); params they do not name are not shown.
    ``elide_scalar``: a scalar operand is written alone (``2·x``, not a broadcast of 2)."""

    name: str
    extra: tuple[str, ...] = ()
    elide_scalar: bool = False


@dataclass(frozen=True)
class Reduction:
    """``name(x)`` over every axis, ``name(x, axis=(0,))`` over the axes in param ``axes``."""

    name: str
    axes: str = "axes"


@dataclass(frozen=True)
class Subscript:
    """``x[1:3, 0:2]``: a slice with unit strides, from the params named here (a slice with
    strides takes the generic form)."""

    starts: str = "start_indices"
    limits: str = "limit_indices"
    strides: str = "strides"


@dataclass(frozen=True)
class Contraction:
    """``x @ y`` (``xᵀ @ y`` for a matrix contracted along its first axis), ``outer(x, y)``,
    or ``name[params](x, y)`` for any other contraction; param ``dims`` holds
    ``((lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch))``."""

    name: str
    dims: str = "dimension_numbers"


@dataclass(frozen=True)
class Selection:
    """``select_n(which, *cases)``: where ``which`` is known at the point and the same in
    every element, the formula is the case it picks."""


ExplainNotation = Infix | Prefix | Power | Call | Reduction | Subscript | Contraction | Selection
explain_notation: dict[Primitive, ExplainNotation] = {}
