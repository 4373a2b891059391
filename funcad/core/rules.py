"""The tables of per-primitive facts, filled by each primitive's block and read by the
machinery above.

A primitive's block (in ``funcad/ops`` or ``funcad/control``) registers every fact about it
here; interpreters, IR passes, backends and printers look facts up by primitive and never
name one. Keeping the tables in the lowest layer is what lets every import point down.
"""
from __future__ import annotations

from collections.abc import Callable

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

# --- facts the IR passes read ------------------------------------------------------------

# check(eqn, in_avals): type checks beyond the shape rule (the sub-IRs of control flow).
typecheck_rules: dict[Primitive, Callable] = {}

# Call primitives whose body ``optimize`` inlines: primitive -> the param holding the
# callee's ClosedJaxpr.
inline_params: dict[Primitive, str] = {}

# Primitives whose two operands commute: CSE sees ``mul(a, b)`` and ``mul(b, a)`` as one.
commutative: set[Primitive] = set()

# --- facts the NumPy executor reads (funcad.backends) --------------------------------------

# --- facts the printers read (funcad.ir.pretty, funcad.explain) ------------------------------
