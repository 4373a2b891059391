"""Explain mode: how funcad differentiates a function, printed as the textbook tables.

``funcad.explain(f, *args)`` (or ``python -m funcad explain EXPR NAME=VALUE ...``) returns a
report with the evaluation trace, the forward (tangent) trace for each input, the reverse
(adjoint) trace, the gradient and the IRs, all computed from funcad's own IR and rules.
"""
from funcad.explain.api import explain
from funcad.explain.graph import GraphvizNotFoundError
from funcad.explain.notation import Notation
from funcad.explain.parse import (
    ExplainError,
    ExplainSyntaxError,
    ParsedExpression,
    parse_expression,
)
from funcad.explain.report import Report
from funcad.explain.trace_tables import Traces, build_traces

__all__ = [
    "ExplainError",
    "ExplainSyntaxError",
    "GraphvizNotFoundError",
    "Notation",
    "ParsedExpression",
    "Report",
    "Traces",
    "build_traces",
    "explain",
    "parse_expression",
]
