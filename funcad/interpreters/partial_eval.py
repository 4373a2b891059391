"""Linearize = JVP + partial evaluation.

Primal values are *known*: they are computed right away by whatever trace lies below.
Tangents are *unknown*: they are tracers of a staging trace pushed (not as the dynamic
trace) under the JVP trace, so exactly the operations that touch tangents are recorded.
The recorded IR is the linear map; the known values it uses (residuals) become its
constants. No recipe graph and no toposort are needed, so nothing recurses.
"""
from __future__ import annotations

from funcad.core.symbolic import Zero, is_differentiable_dtype, tangent_aval
from funcad.core.trace import get_aval, new_main
from funcad.interpreters.jvp import jvp_flat
from funcad.interpreters.staging import JaxprBuilder, StagingTrace
from funcad.ir.core import ClosedJaxpr
from funcad.ops._base import instantiate_zeros


def linearize_flat(flat_fun, primals, *, name: str = "linearize", has_aux: bool = False):
    """Primal outputs and the linear IR mapping input tangents to output tangents (plus the
    auxiliary leaves when ``has_aux``).

    Inputs of non-differentiable dtype get symbolic zero tangents (their IR inputs are
    unused).
    """
    builder = JaxprBuilder(name)
    with new_main(StagingTrace, builder, name=name) as smain:
        stage = smain.trace
        tangent_ins = []
        for i, p in enumerate(primals):
            aval = tangent_aval(get_aval(p))
            t = builder.new_arg(stage, aval, f"tangent of input {i}")
            tangent_ins.append(t if is_differentiable_dtype(aval.dtype) else Zero(aval))
        res = jvp_flat(flat_fun, primals, tangent_ins, name=name, has_aux=has_aux)
        out_primals, out_tangents = res[0], res[1]
        outs = [stage.full_raise(instantiate_zeros(t)) for t in out_tangents]
        jaxpr, consts = builder.build(outs)
    linear = ClosedJaxpr(jaxpr, consts)
    return (out_primals, linear, res[2]) if has_aux else (out_primals, linear)


def stage_linear_flat(flat_fun, in_avals, *, name: str) -> ClosedJaxpr:
    """Stage a function assumed linear: only operations on its inputs are recorded;
    operations on constants alone are evaluated (they are constants of the linear map)."""
    builder = JaxprBuilder(name)
    with new_main(StagingTrace, builder, name=name) as smain:
        stage = smain.trace
        ins = [builder.new_arg(stage, a, f"input {i}") for i, a in enumerate(in_avals)]
        outs = [stage.full_raise(o) for o in flat_fun(*ins)]
        jaxpr, consts = builder.build(outs)
    return ClosedJaxpr(jaxpr, consts)


__all__ = ["linearize_flat", "stage_linear_flat"]
