"""The jaxpr-like IR: data types, printing, type checking, evaluation and passes."""
from funcad.ir.core import ClosedJaxpr, Eqn, Jaxpr, Literal, Var
from funcad.ir.eval import eval_closed_jaxpr, eval_jaxpr
from funcad.ir.passes import cse, cse_closed, dce, dce_closed, optimize
from funcad.ir.pretty import pp_jaxpr  # also gives the IR's types their str()
from funcad.ir.typecheck import typecheck_jaxpr

__all__ = [
    "ClosedJaxpr",
    "Eqn",
    "Jaxpr",
    "Literal",
    "Var",
    "cse",
    "cse_closed",
    "dce",
    "dce_closed",
    "eval_closed_jaxpr",
    "eval_jaxpr",
    "optimize",
    "pp_jaxpr",
    "typecheck_jaxpr",
]
