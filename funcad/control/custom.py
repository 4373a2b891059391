"""The primitives of ``custom_jvp`` and ``custom_vjp`` (``funcad.custom_derivatives``), each
one block with all of its rules.

- ``custom_jvp_call``: calls its sub-IR; its JVP is the user's rule, carried in the params.
- ``custom_vjp_call``: calls its sub-IR; its JVP runs the user's ``fwd`` and emits
  ``custom_lin``.
- ``custom_lin``: the linear map of a ``custom_vjp`` function at its primal point; its
  transpose calls the user's ``bwd``, and evaluating it (forward mode) transposes ``bwd``.
"""
from __future__ import annotations

import numpy as np

from funcad.api_util import fun_label
from funcad.control.axis_scope import axis_scoped, batch_axis_size
from funcad.core.avals import ShapedArray
from funcad.core.primitive import Primitive
from funcad.core.rules import batch_rules, jvp_rules, transpose_rules, typecheck_rules
from funcad.core.symbolic import UndefPrimal, Zero, is_undefined, not_mapped, tangent_aval
from funcad.core.trace import get_aval
from funcad.errors import FuncadTypeError, with_user_line
from funcad.interpreters.batching import current_rule_axis, rule_axis_scope
from funcad.interpreters.jvp import jvp_flat
from funcad.interpreters.partial_eval import stage_linear_flat
from funcad.interpreters.subjaxpr import (
    batch_jaxpr,
    batched_aval,
    run_closed,
    trace_flat,
    vmap_flat,
    vmap_flat_dims,
)
from funcad.interpreters.transpose import backward_pass
from funcad.ir.core import ClosedJaxpr
from funcad.ir.typecheck import typecheck_jaxpr
from funcad.ops._base import axis_size_of, bdim_at, instantiate_zeros, moveaxis, reduce_sum


def _vmap_in(axis, fun, size: int, in_dims, args, dims: bool = False):
    """``vmap_flat`` for the part of a batching rule run later (a batched custom JVP,
    forward or backward function, which a backward pass may call after the vmap returned):
    its batch trace takes the axis name of the trace that ran the rule, so collectives in
    the user's function reduce over that axis. With ``dims``, outputs keep their own batch
    axes, which are returned too."""
    with rule_axis_scope(axis, size):
        return (vmap_flat_dims if dims else vmap_flat)(fun, size, in_dims, args)


# === custom_jvp_call ==========================================================================

custom_jvp_call_p = axis_scoped("custom_jvp_call", multiple_results=True)


def _custom_jvp_call_impl(*args, call_jaxpr, jvp, num_consts, symbolic_zeros):
    return run_closed(call_jaxpr, *args)


def _call_abstract_eval(*avals, call_jaxpr, **params):
    return list(call_jaxpr.out_avals)


def _check_call(eqn, in_avals) -> None:
    typecheck_jaxpr(eqn.params["call_jaxpr"])


custom_jvp_call_p.def_impl(_custom_jvp_call_impl)
custom_jvp_call_p.def_abstract_eval(_call_abstract_eval)
typecheck_rules[custom_jvp_call_p] = _check_call


def _closed_over_error(construct: str, fun_name: str) -> FuncadTypeError:
    return FuncadTypeError(with_user_line(
        f"{construct} function {fun_name} closes over a value that is being differentiated; "
        "its rule only covers the explicit arguments: pass the value as an argument"))


def _custom_jvp_call_jvp(primals, tangents, *, call_jaxpr, jvp, num_consts, symbolic_zeros):
    if any(type(t) is not Zero for t in tangents[:num_consts]):
        raise _closed_over_error("custom_jvp", jvp.__name__)
    return jvp(primals[num_consts:], tangents[num_consts:])


jvp_rules[custom_jvp_call_p] = _custom_jvp_call_jvp


def _custom_jvp_call_batch(vals, dims, *, call_jaxpr, jvp, num_consts, symbolic_zeros):
    axis = current_rule_axis()  # the name the deferred per-example maps take
    size = batch_axis_size(vals, dims)
    nout = len(call_jaxpr.out_avals)
    batched, _ = batch_jaxpr(call_jaxpr, size, dims, True)
    arg_dims = list(dims[num_consts:])

    def jvp_b(primals, tangents):
        # The primals and tangents of batched arguments carry the batch axis (where the
        # call was batched); the rule runs per example.
        nz = [type(t) is not Zero for t in tangents]
        t_in = [moveaxis(t, d, 0) if d is not not_mapped else t
                for t, d, z in zip(tangents, arg_dims, nz) if z]
        p_in = [moveaxis(p, d, 0) if d is not not_mapped else p for p, d in zip(primals, arg_dims)]
        in_dims = [0 if d is not not_mapped else not_mapped for d in arg_dims]
        t_dims = [d for d, z in zip(in_dims, nz) if z]
        def per_example(*args):
            ps, ts = args[:len(p_in)], iter(args[len(p_in):])
            tans = [next(ts) if z else Zero(_unbatched(t.aval, d))
                    for t, z, d in zip(tangents, nz, arg_dims)]
            p_out, t_out = jvp(list(ps), tans)
            return [*p_out, *map(instantiate_zeros, t_out)]

        outs = _vmap_in(axis, per_example, size, in_dims + t_dims, [*p_in, *t_in])
        return outs[:nout], outs[nout:]

    jvp_b.__name__ = jvp.__name__
    outs = custom_jvp_call_p.bind(*vals, call_jaxpr=batched, jvp=jvp_b, num_consts=num_consts,
                                  symbolic_zeros=symbolic_zeros)
    return outs, [0] * nout


def _unbatched(aval: ShapedArray, bdim) -> ShapedArray:
    if bdim is not_mapped:
        return aval
    shape = list(aval.shape)
    del shape[bdim]
    return ShapedArray(shape, aval.dtype, aval.weak_type)


batch_rules[custom_jvp_call_p] = _custom_jvp_call_batch


# === custom_vjp_call ==========================================================================

custom_vjp_call_p = axis_scoped("custom_vjp_call", multiple_results=True)


def _custom_vjp_call_impl(*args, call_jaxpr, fwd, num_consts):
    return run_closed(call_jaxpr, *args)


custom_vjp_call_p.def_impl(_custom_vjp_call_impl)
custom_vjp_call_p.def_abstract_eval(_call_abstract_eval)
typecheck_rules[custom_vjp_call_p] = _check_call


def _custom_vjp_call_jvp(primals, tangents, *, call_jaxpr, fwd, num_consts):
    if any(type(t) is not Zero for t in tangents[:num_consts]):
        raise _closed_over_error("custom_vjp", getattr(fwd, "fun_name", fwd.__name__))
    out, res, bwd = fwd(list(primals[num_consts:]))
    t_in = [instantiate_zeros(t) for t in tangents[num_consts:]]
    in_avals = tuple(tangent_aval(get_aval(p)) for p in primals[num_consts:])
    out_avals = tuple(tangent_aval(a) for a in call_jaxpr.out_avals)
    t_out = custom_lin_p.bind(*res, *t_in, num_res=len(res), bwd=bwd, out_avals=out_avals,
                              in_avals=in_avals, fun_name=getattr(fwd, "fun_name", "f"))
    return out, t_out


jvp_rules[custom_vjp_call_p] = _custom_vjp_call_jvp


def _custom_vjp_call_batch(vals, dims, *, call_jaxpr, fwd, num_consts):
    """As JAX batches it: outputs that do not vary along the axis stay unbatched (so their
    cotangents reach the batched ``bwd`` unbatched), residuals keep the batch axes ``fwd``
    gives them, and the cotangent of an unmapped argument is summed over the examples."""
    axis = current_rule_axis()  # the name the deferred per-example maps take
    size = batch_axis_size(vals, dims)
    batched, out_batched = batch_jaxpr(call_jaxpr, size, dims, False)
    out_dims = [0 if b else not_mapped for b in out_batched]
    nout = len(out_dims)
    arg_dims = list(dims[num_consts:])
    fun_name = getattr(fwd, "fun_name", fwd.__name__)

    def fwd_b(leaves):
        box: dict = {}

        def per_example(*args):
            out, res, bwd = fwd(list(args))
            box.update(bwd=bwd, nres=len(res))
            return [*out, *res]

        outs, got = _vmap_in(axis, per_example, size, arg_dims, leaves, dims=True)
        for k, (d, want) in enumerate(zip(got[:nout], out_dims)):
            if d is not not_mapped and want is not_mapped:
                raise FuncadTypeError(with_user_line(
                    f"custom_vjp function {fun_name} under vmap: its fwd's primal output {k} "
                    "varies along the mapped axis while the function's own output does not; "
                    "fwd must return the function's value"))
        primal = [bdim_at(o, d, 0, size) if want is not not_mapped else o
                  for o, d, want in zip(outs[:nout], got[:nout], out_dims)]
        res, res_dims = outs[nout:], got[nout:]

        def bwd_b(res_b, cts_b):
            nres = box["nres"]

            def per_example_bwd(*args):
                return [instantiate_zeros(c) for c in box["bwd"](list(args[:nres]),
                                                                  list(args[nres:]))]

            cts, ct_dims = _vmap_in(axis, per_example_bwd, size, [*res_dims, *out_dims],
                                    [*res_b, *map(instantiate_zeros, cts_b)], dims=True)
            return [_cotangent_at(c, d, want, size) for c, d, want in zip(cts, ct_dims, arg_dims)]

        bwd_b.__name__ = box["bwd"].__name__
        bwd_b.user_fun = getattr(box["bwd"], "user_fun", box["bwd"])
        return primal, res, bwd_b

    fwd_b.__name__ = fwd.__name__
    fwd_b.fun_name = fun_name
    outs = custom_vjp_call_p.bind(*vals, call_jaxpr=batched, fwd=fwd_b, num_consts=num_consts)
    return outs, out_dims


def _cotangent_at(ct, bdim, want, size: int):
    """The cotangent of an argument batched at ``want``: its batch axis moved there, or, for
    an unmapped argument, summed over the examples."""
    if want is not_mapped:
        return ct if bdim is not_mapped else reduce_sum(ct, (bdim,))
    return bdim_at(ct, bdim, want, size)


batch_rules[custom_vjp_call_p] = _custom_vjp_call_batch


# --- custom_lin: the linear map of a custom_vjp function at its primal point -----------------

custom_lin_p = Primitive("custom_lin", multiple_results=True)


def _bwd_flat(bwd, res, cts, in_avals) -> list:
    return [instantiate_zeros(c) if type(c) is Zero else c
            for c in bwd(list(res), list(cts))]


def _custom_lin_forward(*args, num_res, bwd, out_avals, in_avals, fun_name):
    """Forward mode: the tangent of the outputs, by transposing ``bwd`` (linear in the
    cotangent) and applying that to the input tangents."""
    res, tangents = args[:num_res], args[num_res:]
    linear = stage_linear_flat(lambda *cts: _bwd_flat(bwd, res, cts, in_avals),
                               list(out_avals), name=f"bwd of {fun_name}")
    for eqn in linear.jaxpr.eqns:
        if eqn.primitive not in transpose_rules:
            raise _nonlinear_bwd_error(fun_name, bwd, f"the non-linear `{eqn.primitive}`")
    try:
        cts = backward_pass(linear.jaxpr, linear.consts, [UndefPrimal(a) for a in out_avals],
                            list(tangents))
    except NotImplementedError as e:
        raise _nonlinear_bwd_error(fun_name, bwd, str(e)) from None
    return [instantiate_zeros(c) for c in cts]


def _nonlinear_bwd_error(fun_name: str, bwd, what: str) -> FuncadTypeError:
    return FuncadTypeError(with_user_line(
        f"forward-mode differentiation (jvp, jacfwd) of the custom_vjp function {fun_name} "
        f"transposes its bwd {fun_label(getattr(bwd, 'user_fun', bwd))}, which must then "
        f"be linear in the cotangent, but it applies {what} to it. Differentiate it in "
        "reverse mode (grad, vjp, jacrev), or make it a custom_jvp function"))


def custom_lin_jaxpr(avals, **params) -> ClosedJaxpr:
    """The forward definition of ``custom_lin`` staged for operands of types ``avals``
    (used to compile it)."""
    return trace_flat(lambda *args: _custom_lin_forward(*args, **params), avals, "custom_lin")


def _custom_lin_abstract_eval(*avals, num_res, bwd, out_avals, in_avals, fun_name):
    return list(out_avals)


def _custom_lin_impl(*args, **params):
    return [np.asarray(o) for o in _custom_lin_forward(*args, **params)]


custom_lin_p.def_impl(_custom_lin_impl)
custom_lin_p.def_abstract_eval(_custom_lin_abstract_eval)


def _custom_lin_transpose(cts, *args, num_res, bwd, out_avals, in_avals, fun_name):
    res = args[:num_res]
    if any(is_undefined(r) for r in res):
        raise FuncadTypeError("transpose of `custom_lin` with respect to its residuals")
    return [None] * num_res + list(bwd(list(res), list(cts)))


transpose_rules[custom_lin_p] = _custom_lin_transpose


def _custom_lin_jvp(primals, tangents, **params):
    return jvp_flat(lambda *a: _custom_lin_forward(*a, **params), list(primals), list(tangents))


jvp_rules[custom_lin_p] = _custom_lin_jvp


def _custom_lin_batch(vals, dims, *, num_res, bwd, out_avals, in_avals, fun_name):
    axis = current_rule_axis()  # the name the deferred per-example maps take
    size = axis_size_of(vals, dims)
    res = [moveaxis(r, d, 0) if d is not not_mapped else r
           for r, d in zip(vals[:num_res], dims[:num_res])]
    res_dims = [0 if d is not not_mapped else not_mapped for d in dims[:num_res]]
    tangents = [bdim_at(t, d, 0, size) for t, d in zip(vals[num_res:], dims[num_res:])]

    def bwd_b(res_b, cts_b):
        def per_example(*args):
            return _bwd_flat(bwd, args[:num_res], args[num_res:], in_avals)

        return _vmap_in(axis, per_example, size, [*res_dims, *[0] * len(cts_b)],
                        [*res_b, *map(instantiate_zeros, cts_b)])

    bwd_b.__name__ = getattr(bwd, "__name__", "bwd")
    bwd_b.user_fun = getattr(bwd, "user_fun", bwd)
    outs = custom_lin_p.bind(
        *res, *tangents, num_res=num_res, bwd=bwd_b,
        out_avals=tuple(batched_aval(a, 0, size) for a in out_avals),
        in_avals=tuple(batched_aval(a, 0, size) for a in in_avals), fun_name=fun_name)
    return outs, [0] * len(out_avals)


batch_rules[custom_lin_p] = _custom_lin_batch


__all__ = ["custom_jvp_call_p", "custom_lin_jaxpr", "custom_lin_p", "custom_vjp_call_p"]
