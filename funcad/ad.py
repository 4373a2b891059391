"""Differentiation transforms: jvp, linearize, vjp, grad, value_and_grad, linear_transpose,
stop_gradient. Forward mode is the JVP interpreter; reverse mode is linearize followed by
transposition of the linear IR."""
from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from funcad.api import normalize_argnums
from funcad.api_util import check_pair, fun_name, leaf_aval
from funcad.core.dtypes import is_complex, is_float, is_inexact
from funcad.core.rules import transpose_rules
from funcad.core.symbolic import UndefPrimal, Zero, is_differentiable_dtype
from funcad.core.trace import Tracer, get_aval, output_value
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.interpreters.jvp import jvp_flat
from funcad.interpreters.partial_eval import linearize_flat, stage_linear_flat
from funcad.interpreters.transpose import backward_pass
from funcad.ir.eval import eval_jaxpr
from funcad.ir.passes import dce_closed
from funcad.ops._base import instantiate_zeros
from funcad.ops.arithmetic import stop_gradient as stop
from funcad.tree_util import flatten_up_to, leaf_paths, tree_flatten, tree_map, tree_unflatten

_output = output_value

# The dtype of the gradient of an integer or boolean input under ``allow_int=True``: JAX's
# ``float0`` (a zero-width void), whose arrays hold no numbers.
float0 = np.dtype([("float0", np.void, 0)])


def _flat_fun(fun, in_tree, transform: str, has_aux: bool, out_store: list):
    """``fun`` on flat leaves; stores the output tree (and aux tree) in ``out_store``."""

    def flat(*leaves):
        out = fun(*tree_unflatten(in_tree, leaves))
        if has_aux:
            check_pair(out, f"{transform} with has_aux=True: {fun_name(fun)}",
                       "(output, auxiliary data)")
            out, aux = out
            aux_leaves, aux_tree = tree_flatten(aux)
        out_leaves, out_tree = tree_flatten(out)
        for i, leaf in enumerate(out_leaves):
            leaf_aval(leaf, transform, f"output leaf {i} of {fun_name(fun)}")
        out_store[:] = [out_tree] + ([aux_tree] if has_aux else [])
        return (out_leaves, aux_leaves) if has_aux else out_leaves

    return flat


def _check_tangent(p, t, i: int, transform: str):
    pa, ta = get_aval(p), leaf_aval(t, transform, f"tangent {i}")
    if pa.shape != ta.shape:
        raise FuncadValueError(with_user_line(
            f"{transform}: primal {i} has shape {pa.shape} but its tangent has shape {ta.shape}"
        ))
    if is_differentiable_dtype(pa.dtype) and ta.dtype != pa.dtype and not ta.weak_type:
        raise FuncadTypeError(with_user_line(
            f"{transform}: primal {i} has dtype {pa.dtype} but its tangent has dtype {ta.dtype}"
        ))


def _tangent_in(p, t):
    pa = get_aval(p)
    if not is_differentiable_dtype(pa.dtype):
        return Zero(pa.strip_weak_type())
    if isinstance(t, Tracer):
        return t
    return np.asarray(t, dtype=pa.dtype)


def _float0_zeros(aval):
    """JAX's (co)tangent of an integer or boolean value: ``float0`` zeros of its shape."""
    return np.zeros(aval.shape, float0)


def _tangent_out(t):
    """An output tangent as the user sees it: ``float0`` zeros for an integer or boolean
    output (which has no tangent space), as JAX's ``jvp``/``linearize``."""
    if type(t) is Zero and not is_differentiable_dtype(t.aval.dtype):
        return _float0_zeros(t.aval)
    return _output(instantiate_zeros(t))


def jvp(fun: Callable, primals, tangents, has_aux: bool = False):
    """Forward mode: ``(fun(*primals), d fun(*primals)[tangents])`` (+ aux)."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise FuncadTypeError(with_user_line(
            "jvp: primals and tangents must be tuples or lists, one entry per argument, got "
            f"{type(primals).__name__} and {type(tangents).__name__}"
        ))
    p_leaves, in_tree = tree_flatten(tuple(primals))
    t_leaves = flatten_up_to(in_tree, tuple(tangents), "jvp: tangents vs primals")
    for i, (p, t) in enumerate(zip(p_leaves, t_leaves, strict=True)):
        leaf_aval(p, "jvp", f"primal {i}")
        _check_tangent(p, t, i, "jvp")
    store: list = []
    flat = _flat_fun(lambda *a: fun(*a), in_tree, "jvp", has_aux, store)
    t_in = [_tangent_in(p, t) for p, t in zip(p_leaves, t_leaves, strict=True)]
    res = jvp_flat(flat, p_leaves, t_in, name=f"jvp({fun_name(fun)})", has_aux=has_aux)
    out_tree = store[0]
    primals_out = tree_unflatten(out_tree, [_output(p) for p in res[0]])
    tangents_out = tree_unflatten(out_tree, [_tangent_out(t) for t in res[1]])
    if has_aux:
        return primals_out, tangents_out, tree_unflatten(store[1], [_output(a) for a in res[2]])
    return primals_out, tangents_out


def linearize(fun: Callable, *primals, has_aux: bool = False):
    """``(fun(*primals), jvp_fun)``; ``jvp_fun(*tangents)`` evaluates the stored linear IR
    (``fun`` is not traced again)."""
    p_leaves, in_tree = tree_flatten(primals)
    for i, p in enumerate(p_leaves):
        leaf_aval(p, "linearize", f"primal {i}")
    store: list = []
    flat = _flat_fun(lambda *a: fun(*a), in_tree, "linearize", has_aux, store)
    res = linearize_flat(flat, p_leaves, name=f"linearize({fun_name(fun)})", has_aux=has_aux)
    # The stored IR runs at every call of jvp_fun: tangent work that reaches no output, and
    # the residuals only it reads, are dropped once here. (vjp's backward pass skips such
    # equations anyway: no cotangent reaches them.)
    out_primals, linear = res[0], dce_closed(res[1])
    out_tree = store[0]

    def jvp_fun(*tangents):
        t_leaves = flatten_up_to(in_tree, tangents, "linearize: tangents vs primals")
        for i, (p, t) in enumerate(zip(p_leaves, t_leaves, strict=True)):
            _check_tangent(p, t, i, "linearize")
        ins = [instantiate_zeros(_tangent_in(p, t))
               for p, t in zip(p_leaves, t_leaves, strict=True)]
        outs = eval_jaxpr(linear.jaxpr, linear.consts, *ins)
        return tree_unflatten(out_tree, [
            _output(o) if is_differentiable_dtype(v.aval.dtype) else _float0_zeros(v.aval)
            for v, o in zip(linear.jaxpr.outvars, outs, strict=True)])

    jvp_fun.linear_jaxpr = linear
    out = tree_unflatten(out_tree, [_output(p) for p in out_primals])
    if has_aux:
        return out, jvp_fun, tree_unflatten(store[1], [_output(a) for a in res[2]])
    return out, jvp_fun


def _cotangents_in(out_tree, out_avals, ct, transform: str, int_cts: bool) -> list:
    """The output cotangents as arrays of the outputs' dtypes. An integer or boolean
    output takes a ``float0`` cotangent (or any of its shape: JAX accepts its own dtype too)
    and, unless ``int_cts`` (``linear_transpose`` of an integer map), carries none back."""
    ct_leaves = flatten_up_to(out_tree, ct, f"{transform}: cotangent vs output")
    result = []
    for i, (aval, c) in enumerate(zip(out_avals, ct_leaves, strict=True)):
        ca = leaf_aval(c, transform, f"cotangent {i}")
        if ca.shape != aval.shape:
            raise FuncadValueError(with_user_line(
                f"{transform}: output {i} has shape {aval.shape} but its cotangent has shape "
                f"{ca.shape}"
            ))
        differentiable = is_differentiable_dtype(aval.dtype)
        if ca.dtype == float0 and (differentiable or int_cts):
            raise FuncadTypeError(with_user_line(
                f"{transform}: output {i} has dtype {aval.dtype} ({aval.str_short()}) but its "
                "cotangent has dtype float0 (the cotangent type of integer outputs only)"
            ))
        if not differentiable and not int_cts:
            result.append(Zero(aval.strip_weak_type()))
        else:
            result.append(c if isinstance(c, Tracer) else np.asarray(c, dtype=aval.dtype))
    return result


def _pullback(linear, out_tree, in_tree, transform: str, in_avals=None):
    """The transpose of ``linear`` on pytrees. With ``in_avals`` (reverse mode), integer and
    boolean inputs get ``float0`` zero cotangents and integer outputs take none, as JAX's
    ``vjp``; without, every cotangent is of its value's dtype (``linear_transpose``)."""
    jaxpr = linear.jaxpr
    out_avals = [v.aval for v in jaxpr.outvars]

    def input_ct(aval, c):
        if in_avals is not None and not is_differentiable_dtype(aval.dtype):
            return _float0_zeros(aval)
        return _output(instantiate_zeros(c))

    def pullback(ct):
        cts = _cotangents_in(out_tree, out_avals, ct, transform, in_avals is None)
        undefined = [UndefPrimal(v.aval) for v in jaxpr.invars]
        cts_in = backward_pass(jaxpr, linear.consts, undefined, cts)
        avals = in_avals if in_avals is not None else [v.aval for v in jaxpr.invars]
        return tree_unflatten(in_tree, [input_ct(a, c)
                                        for a, c in zip(avals, cts_in, strict=True)])

    return pullback


def vjp(fun: Callable, *primals, has_aux: bool = False):
    """Reverse mode: ``(fun(*primals), vjp_fun)`` where ``vjp_fun(ct)`` returns one
    cotangent per primal, as a tuple (+ aux). As JAX: an integer or boolean primal gets a
    ``float0`` zero cotangent, and an integer or boolean output takes a ``float0`` one."""
    for i, p in enumerate(primals):
        _check_grad_input(p, i, "vjp", allow_int=True)
    return _vjp(fun, primals, has_aux, "vjp", fun_name(fun))


def _vjp(fun: Callable, primals, has_aux: bool, transform: str, name: str):
    """``vjp`` of inputs already checked; errors and the trace name say ``transform``."""
    p_leaves, in_tree = tree_flatten(primals)
    store: list = []
    flat = _flat_fun(lambda *a: fun(*a), in_tree, transform, has_aux, store)
    res = linearize_flat(flat, p_leaves, name=f"{transform}({name})", has_aux=has_aux)
    out_tree = store[0]
    out = tree_unflatten(out_tree, [_output(p) for p in res[0]])
    in_avals = [get_aval(p) for p in p_leaves]
    vjp_fun = _pullback(res[1], out_tree, in_tree, transform, in_avals)
    if has_aux:
        return out, vjp_fun, tree_unflatten(store[1], [_output(a) for a in res[2]])
    return out, vjp_fun


def _check_argnums(argnums, nargs: int, transform: str) -> tuple[int, ...]:
    return normalize_argnums(argnums, nargs, transform)


def _is_inexact_array(x) -> bool:
    try:
        return is_inexact(get_aval(x).dtype)
    except TypeError:
        return False


def _check_grad_input(x, argnum: int, transform: str, holomorphic: bool = False,
                      allow_int: bool = False):
    """Inputs of reverse mode: inexact (complex under ``holomorphic``); integers and
    booleans too with ``allow_int`` (their gradients are ``float0`` zeros), as JAX."""
    leaves, tree = tree_flatten(x)
    if not holomorphic and all(_is_inexact_array(leaf) for leaf in leaves):
        return  # the common case: no leaf paths to name
    for leaf, path in zip(leaves, leaf_paths([(tree, f"argument {argnum}")]), strict=True):
        aval = leaf_aval(leaf, transform, path)
        if holomorphic and not is_complex(aval.dtype):
            raise FuncadTypeError(with_user_line(
                f"{transform} with holomorphic=True requires complex inputs, but {path} has "
                f"dtype {aval.dtype} ({aval.str_short()}); convert it with .astype(complex)"
            ))
        if not is_inexact(aval.dtype) and not allow_int:
            raise FuncadTypeError(with_user_line(
                f"{transform} requires floating-point inputs, but {path} has "
                f"dtype {aval.dtype} ({aval.str_short()}); convert it with .astype(float), "
                "leave it out of argnums, or pass allow_int=True for a float0 zero gradient"
            ))


def _check_grad_output(out, transform: str, name: str, holomorphic: bool):
    """A scalar output: real, or complex under ``holomorphic`` (as JAX's grad)."""
    aval = get_aval(out) if not isinstance(out, (tuple, list, dict)) else None
    what = aval.str_short() if aval is not None else type(out).__name__
    if aval is None or aval.shape != ():
        raise FuncadTypeError(with_user_line(
            f"{transform} of {name} requires a scalar output, got {what}; use jacrev/vjp for "
            "non-scalar outputs"
        ))
    if holomorphic and not is_complex(aval.dtype):
        raise FuncadTypeError(with_user_line(
            f"{transform} of {name} with holomorphic=True requires a complex output, got "
            f"{what}"
        ))
    if not holomorphic and not is_float(aval.dtype):
        hint = ("pass holomorphic=True for a holomorphic function, or use vjp for a "
                "non-holomorphic one" if is_complex(aval.dtype) else "use vjp")
        raise FuncadTypeError(with_user_line(
            f"{transform} of {name} requires a real scalar output, got {what}; {hint}"
        ))
    return aval


def with_int_inputs_closed(fun, dyn, allow_int: bool):
    """``(fun over the inexact leaves of dyn, those leaves, fill)`` where ``fill(grads)``
    puts zeros back for the integer leaves (``float0`` ones, as JAX's grad); or None when
    every leaf is inexact (or ints are not allowed): the hot path."""
    leaves, tree = tree_flatten(dyn)
    if not allow_int or all(_is_inexact_array(v) for v in leaves):
        return None
    pos = [k for k, v in enumerate(leaves) if _is_inexact_array(v)]

    def inexact_fun(*diff_leaves):
        full = list(leaves)
        for k, v in zip(pos, diff_leaves, strict=True):
            full[k] = v
        return fun(*tree_unflatten(tree, full))

    def fill(grad_leaves, lead_shape=(), as_input=False):
        """``as_input``: zeros of the integer inputs' own dtypes (JAX's jacrev blocks)."""
        out = [np.zeros((*lead_shape, *np.shape(v)), np.result_type(v) if as_input else float0)
               for v in leaves]
        for k, g in zip(pos, grad_leaves, strict=True):
            out[k] = g
        return tree_unflatten(tree, out)

    return inexact_fun, tuple(leaves[k] for k in pos), fill


def value_and_grad(fun: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False,
                   allow_int: bool = False) -> Callable:
    """``(fun(*args), gradient of fun with respect to args[argnums])``; ``fun`` must return a
    real scalar (a complex one with ``holomorphic=True``: the gradient is then f'(z)). With
    complex inputs and a real output the gradient is JAX's, ``df/dre - i df/dim``."""
    transform = "value_and_grad"

    @functools.wraps(fun)
    def value_and_grad_fun(*args, **kwargs):
        nums = _check_argnums(argnums, len(args), transform)
        for i in nums:
            _check_grad_input(args[i], i, transform, holomorphic, allow_int)

        def partial_fun(*diff_args):
            full = list(args)
            for i, a in zip(nums, diff_args, strict=True):
                full[i] = a
            return fun(*full, **kwargs)

        dyn = tuple(args[i] for i in nums)
        closed = with_int_inputs_closed(partial_fun, dyn, allow_int)
        if closed is not None:
            res = _vjp(closed[0], closed[1], has_aux, transform, fun_name(fun))
        else:
            res = _vjp(partial_fun, dyn, has_aux, transform, fun_name(fun))
        out, pullback = res[0], res[1]
        aval = _check_grad_output(out, transform, fun_name(fun), holomorphic)
        grads = pullback(np.ones((), aval.dtype))
        if closed is not None:
            grads = closed[2](grads)
        grads = grads[0] if isinstance(argnums, int) else tuple(grads)
        return ((out, res[2]), grads) if has_aux else (out, grads)

    return value_and_grad_fun


def grad(fun: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False,
         allow_int: bool = False) -> Callable:
    """The gradient of a real-scalar-valued ``fun`` with respect to ``args[argnums]``
    (see ``value_and_grad`` for ``holomorphic`` and ``allow_int``)."""
    vg = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int)

    @functools.wraps(fun)
    def grad_fun(*args, **kwargs):
        (value, g) = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return grad_fun


def _check_transpose_dtypes(fun, in_avals, out_avals) -> None:
    """As JAX: a map from inexact to inexact values, or from integers to integers (a
    cotangent cast between the two kinds would round or lose its meaning)."""
    kinds = [np.dtype(a.dtype).kind for a in (*in_avals, *out_avals)]
    if all(k in "fc" for k in kinds) or all(k in "iu" for k in kinds):
        return
    ins = ", ".join(str(a.dtype) for a in in_avals)
    outs = ", ".join(str(a.dtype) for a in out_avals)
    raise FuncadTypeError(with_user_line(
        f"linear_transpose of {fun_name(fun)}: the map must take and return inexact (float or "
        f"complex) values only, or integers only, but it maps [{ins}] -> [{outs}]"
    ))


def linear_transpose(fun: Callable, *primals) -> Callable:
    """The transpose of the linear function ``fun`` (``primals`` give shapes and dtypes)."""
    p_leaves, in_tree = tree_flatten(primals)
    in_avals = [leaf_aval(p, "linear_transpose", f"primal {i}").strip_weak_type()
                for i, p in enumerate(p_leaves)]
    store: list = []
    flat = _flat_fun(lambda *a: fun(*a), in_tree, "linear_transpose", False, store)
    linear = stage_linear_flat(flat, in_avals, name=f"linear_transpose({fun_name(fun)})")
    _check_transpose_dtypes(fun, in_avals, [v.aval for v in linear.jaxpr.outvars])
    for eqn in linear.jaxpr.eqns:
        if eqn.primitive not in transpose_rules:
            raise FuncadTypeError(with_user_line(
                f"linear_transpose: {fun_name(fun)} is not linear in its inputs: it applies "
                f"the non-linear primitive `{eqn.primitive}` to them"
            ))
    return _pullback(linear, store[0], in_tree, "linear_transpose")


def stop_gradient(x):
    """``x`` with a zero derivative (for every pytree leaf of floating dtype)."""

    def leaf(v):
        return stop(v) if is_differentiable_dtype(get_aval(v).dtype) else v

    return tree_map(leaf, x)


__all__ = [
    "float0",
    "grad",
    "jvp",
    "linear_transpose",
    "linearize",
    "stop_gradient",
    "value_and_grad",
    "vjp",
]
