"""``custom_jvp`` and ``custom_vjp``: functions whose derivatives the user defines.

As in JAX. A decorated function is staged once per call into a sub-IR and bound as a call
primitive (``custom_jvp_call`` / ``custom_vjp_call``) whose params carry the user's rules,
so the rules survive ``jit``, ``vmap`` and nesting and apply wherever the function is
differentiated:

- ``custom_jvp``: the JVP interpreter calls the user's rule on primals and tangents (zero
  tangents are passed as ``SymbolicZero`` with ``defjvp(..., symbolic_zeros=True)``).
  Reverse mode linearizes the rule, so the rule must be linear in the tangents (as in JAX).
- ``custom_vjp``: the JVP interpreter runs ``fwd`` and emits ``custom_lin``, a primitive
  linear in the tangents whose transpose calls ``bwd`` (reverse mode). Beyond JAX, forward
  mode works too: evaluating ``custom_lin`` transposes ``bwd``, which is linear in its
  cotangent whenever it is a true vector-Jacobian product.

Without any transform active the decorated function just runs.
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.core.primitive import Primitive
from funcad.core.trace import get_aval, trace_stack
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.interpreters.ad_util import (
    Zero,
    instantiate_zeros,
    is_differentiable_dtype,
    tangent_aval,
)
from funcad.interpreters.batching import axis_size_of, batch_rules, bdim_at, moveaxis, not_mapped
from funcad.interpreters.jvp import jvp_rules
from funcad.interpreters.partial_eval import jvp_flat, stage_linear_flat
from funcad.interpreters.subjaxpr import (
    batch_jaxpr,
    batched_aval,
    closure_convert,
    run_closed,
    trace_flat,
    vmap_flat,
)
from funcad.interpreters.transpose import (
    UndefPrimal,
    backward_pass,
    is_undefined,
    transpose_rules,
)
from funcad.ir.core import ClosedJaxpr
from funcad.ir.typecheck import subjaxpr_checks, typecheck_jaxpr
from funcad.tree_util import PyTreeDef, flatten_up_to, tree_flatten, tree_unflatten


class SymbolicZero:
    """A zero tangent or cotangent passed to a rule that asked for symbolic zeros: only its
    type is known (``shape``, ``dtype``, ``aval``)."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: self.aval.ndim)

    def __repr__(self):
        return f"SymbolicZero({self.aval.str_short()})"


def _describe(fun: Callable) -> str:
    import os

    name = getattr(fun, "__name__", type(fun).__name__)
    code = getattr(fun, "__code__", None)
    if code is None:
        return name
    return f"{name} ({os.path.basename(code.co_filename)}:{code.co_firstlineno})"


def _no_transforms() -> bool:
    return len(trace_stack()) == 1


def _resolve_args(fun: Callable, args, kwargs, construct: str) -> tuple:
    if not kwargs:
        return tuple(args)
    try:
        bound = inspect.signature(fun).bind(*args, **kwargs)
    except TypeError as e:
        raise FuncadTypeError(with_user_line(f"{construct} {_describe(fun)}: {e}")) from None
    bound.apply_defaults()
    if bound.kwargs:
        raise FuncadTypeError(with_user_line(
            f"{construct} {_describe(fun)}: keyword-only arguments are not supported; pass "
            "them positionally"))
    return tuple(bound.args)


class _Staged:
    """A decorated function staged for one call: its IR (constants as leading inputs) and
    the structure of its differentiable arguments and outputs."""

    def __init__(self, fun, args, nondiff_argnums, construct: str):
        self.nondiff = tuple(sorted(set(a % len(args) if args else a
                                        for a in nondiff_argnums)))
        for a in self.nondiff:
            if not 0 <= a < len(args):
                raise FuncadValueError(with_user_line(
                    f"{construct}: nondiff_argnums {nondiff_argnums} is out of range for a "
                    f"call with {len(args)} arguments"))
        self.args = args
        self.diff_idx = [i for i in range(len(args)) if i not in self.nondiff]
        leaves, self.in_tree = tree_flatten(tuple(args[i] for i in self.diff_idx))
        self.leaves = leaves
        self.in_avals = []
        for i, x in enumerate(leaves):
            try:
                self.in_avals.append(get_aval(x))
            except TypeError:
                raise FuncadTypeError(with_user_line(
                    f"{construct} {_describe(fun)}: argument leaf {i} is a "
                    f"{type(x).__name__}, not an array; list the argument in "
                    "nondiff_argnums if it is a static value")) from None
        store: list = []

        def flat(*leaves):
            out_leaves, out_tree = tree_flatten(fun(*self.full_args(leaves)))
            store[:] = [out_tree]
            return out_leaves

        closed = trace_flat(flat, self.in_avals, f"{construct}({getattr(fun, '__name__', '')})")
        self.closed, self.consts = closure_convert(closed)
        self.out_tree: PyTreeDef = store[0]
        self.out_avals = list(closed.out_avals)

    def full_args(self, leaves) -> list:
        full = list(self.args)
        for i, v in zip(self.diff_idx, tree_unflatten(self.in_tree, leaves)):
            full[i] = v
        return full

    def nondiff_args(self) -> list:
        return [self.args[i] for i in self.nondiff]

    def diff_args(self, leaves) -> tuple:
        return tuple(tree_unflatten(self.in_tree, leaves))


def _check_outputs(construct: str, rule: Callable, what: str, tree: PyTreeDef,
                   avals: Sequence[ShapedArray], value) -> list:
    """The leaves of ``value`` (a rule's output for the function's output), checked
    against the function's output structure and types."""
    try:
        leaves = flatten_up_to(tree, value, what)
    except FuncadValueError:
        raise FuncadTypeError(with_user_line(
            f"{construct}: {what} of {_describe(rule)} must have the structure of the "
            f"function's output, {tree}, but it is {tree_flatten(value)[1]}")) from None
    for i, (x, a) in enumerate(zip(leaves, avals)):
        b = _leaf_aval(construct, rule, what, i, x, tree)
        if b.shape != a.shape or b.dtype != a.dtype:
            raise FuncadTypeError(with_user_line(
                f"{construct}: {what} of {_describe(rule)} must have the function's output "
                f"types, but leaf {i} is {b.str_short()} where the function returns "
                f"{a.str_short()}"))
    return leaves


def _leaf_aval(construct: str, rule: Callable, what: str, i: int, x,
               tree: PyTreeDef | None = None) -> ShapedArray:
    try:
        return get_aval(x)
    except TypeError:
        expected = f" (expected the structure {tree}, one array per leaf)" if tree else ""
        raise FuncadTypeError(with_user_line(
            f"{construct}: {what} of {_describe(rule)}: leaf {i} is a {type(x).__name__}, "
            f"not an array{expected}")) from None


def _tangent_leaves(construct: str, rule: Callable, what: str, tree: PyTreeDef,
                    avals: Sequence[ShapedArray], value) -> list:
    """Tangent (or cotangent) leaves given by a rule, checked against ``avals``; ``None``
    and symbolic zeros become ``Zero``; Python scalars take the expected dtype."""

    def is_zero(x):
        return x is None or type(x) in (SymbolicZero, Zero)

    got_tree = tree_flatten(value, is_leaf=is_zero)[1]
    try:
        leaves = flatten_up_to(tree, value, what)
    except FuncadValueError:
        raise FuncadTypeError(with_user_line(
            f"{construct}: {what} of {_describe(rule)} must have the structure {tree}, but "
            f"it is {got_tree}")) from None
    out = []
    for i, (x, a) in enumerate(zip(leaves, avals)):
        t_aval = tangent_aval(a)
        if is_zero(x) or not is_differentiable_dtype(a.dtype):
            out.append(Zero(t_aval))
            continue
        b = _leaf_aval(construct, rule, what, i, x, tree)
        if b.shape != a.shape or (b.dtype != a.dtype and not b.weak_type):
            raise FuncadTypeError(with_user_line(
                f"{construct}: {what} of {_describe(rule)}: leaf {i} is {b.str_short()}, but "
                f"the corresponding primal is {a.str_short()}"))
        if b.dtype != a.dtype or b.weak_type:
            from funcad.ops.logical import convert_element_type

            x = convert_element_type(x, a.dtype)
        out.append(x)
    return out


# === custom_jvp ===============================================================================

class custom_jvp:
    """A function with a user-defined JVP (as ``jax.custom_jvp``).

    >>> @custom_jvp
    ... def softplus(x):
    ...     return fnp.log1p(fnp.exp(x))
    >>> @softplus.defjvp
    ... def softplus_jvp(primals, tangents):
    ...     (x,), (t,) = primals, tangents
    ...     return softplus(x), t * funcad.nn.sigmoid(x)
    """

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.jvp: Callable | None = None
        self.symbolic_zeros = False

    def defjvp(self, jvp: Callable, symbolic_zeros: bool = False) -> Callable:
        """``jvp(*nondiff_args, primals, tangents) -> (primal_out, tangent_out)``, where
        ``primals`` and ``tangents`` are tuples with one entry per differentiable argument.
        With ``symbolic_zeros=True`` zero tangents arrive as ``SymbolicZero``."""
        self.jvp = jvp
        self.symbolic_zeros = bool(symbolic_zeros)
        return jvp

    def defjvps(self, *jvps: Callable | None) -> None:
        """One rule per differentiable argument: ``jvp_i(t_i, primal_out, *primals)`` gives
        that argument's contribution to the output tangent (``None``: no contribution)."""

        def jvp(*args):
            primals, tangents = args[-2], args[-1]
            out = self(*args[:-2], *primals)
            total = None
            for rule, t in zip(jvps, tangents):
                if rule is None or type(t) is SymbolicZero:
                    continue
                from funcad.tree_util import tree_map

                term = rule(t, out, *primals)
                total = term if total is None else tree_map(lambda a, b: a + b, total, term)
            if total is None:
                total = tree_map(lambda o: SymbolicZero(tangent_aval(get_aval(o))), out)
            return out, total

        self.defjvp(jvp, symbolic_zeros=True)

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args, **kwargs):
        args = _resolve_args(self.fun, args, kwargs, "custom_jvp")
        if self.jvp is None:
            raise FuncadTypeError(with_user_line(
                f"custom_jvp function {_describe(self.fun)} has no JVP rule: define one with "
                "@f.defjvp"))
        if _no_transforms():
            return self.fun(*args)
        staged = _Staged(self.fun, args, self.nondiff_argnums, "custom_jvp")
        rule = _custom_jvp_rule(self, staged)
        outs = custom_jvp_call_p.bind(
            *staged.consts, *staged.leaves, call_jaxpr=staged.closed, jvp=rule,
            num_consts=len(staged.consts), symbolic_zeros=self.symbolic_zeros)
        return tree_unflatten(staged.out_tree, outs)


def _custom_jvp_rule(cj: custom_jvp, staged: _Staged) -> Callable:
    """``rule(primal leaves, tangent leaves) -> (primal out leaves, tangent out leaves)``
    for one staged call (tangents may be ``Zero``)."""
    user_rule = cj.jvp

    def rule(primals, tangents):
        tangents = [t if type(t) is not Zero else
                    SymbolicZero(t.aval) if cj.symbolic_zeros else instantiate_zeros(t)
                    for t in tangents]
        out = user_rule(*staged.nondiff_args(), staged.diff_args(primals),
                        tuple(tree_unflatten(staged.in_tree, tangents)))
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise FuncadTypeError(with_user_line(
                f"custom_jvp: the rule {_describe(user_rule)} must return a pair "
                f"(primal_out, tangent_out), got {type(out).__name__}"))
        p_out = _check_outputs("custom_jvp", user_rule, "the primal output", staged.out_tree,
                               staged.out_avals, out[0])
        t_out = _tangent_leaves("custom_jvp", user_rule, "the tangent output", staged.out_tree,
                                staged.out_avals, out[1])
        return p_out, t_out

    rule.__name__ = getattr(user_rule, "__name__", "jvp")
    return rule


custom_jvp_call_p = Primitive("custom_jvp_call", multiple_results=True)


def _custom_jvp_call_impl(*args, call_jaxpr, jvp, num_consts, symbolic_zeros):
    return run_closed(call_jaxpr, *args)


def _call_abstract_eval(*avals, call_jaxpr, **params):
    return list(call_jaxpr.out_avals)


def _check_call(eqn, in_avals) -> None:
    typecheck_jaxpr(eqn.params["call_jaxpr"])


custom_jvp_call_p.def_impl(_custom_jvp_call_impl)
custom_jvp_call_p.def_abstract_eval(_call_abstract_eval)
subjaxpr_checks[custom_jvp_call_p] = _check_call


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
    size = axis_size_of(vals, dims)
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

        outs = vmap_flat(per_example, size, in_dims + t_dims, [*p_in, *t_in])
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


# === custom_vjp ===============================================================================

class custom_vjp:
    """A function with a user-defined VJP (as ``jax.custom_vjp``): ``f.defvjp(fwd, bwd)``
    with ``fwd(*args) -> (out, residuals)`` and ``bwd(*nondiff_args, residuals, ct) ->``
    a tuple with one cotangent per differentiable argument (``None`` for zero)."""

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None
        self.symbolic_zeros = False

    def defvjp(self, fwd: Callable, bwd: Callable, symbolic_zeros: bool = False) -> None:
        self.fwd, self.bwd = fwd, bwd
        self.symbolic_zeros = bool(symbolic_zeros)

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args, **kwargs):
        args = _resolve_args(self.fun, args, kwargs, "custom_vjp")
        if self.fwd is None:
            raise FuncadTypeError(with_user_line(
                f"custom_vjp function {_describe(self.fun)} has no VJP rule: define one with "
                "f.defvjp(fwd, bwd)"))
        if _no_transforms():
            return self.fun(*args)
        staged = _Staged(self.fun, args, self.nondiff_argnums, "custom_vjp")
        outs = custom_vjp_call_p.bind(
            *staged.consts, *staged.leaves, call_jaxpr=staged.closed,
            fwd=_custom_vjp_fwd(self, staged), num_consts=len(staged.consts))
        return tree_unflatten(staged.out_tree, outs)


def _custom_vjp_fwd(cv: custom_vjp, staged: _Staged) -> Callable:
    """``fwd(arg leaves) -> (out leaves, residual leaves, bwd)`` for one staged call, where
    ``bwd(residual leaves, cotangent leaves) -> argument cotangent leaves (or Zero)``."""
    user_fwd, user_bwd = cv.fwd, cv.bwd
    fun_name = _describe(cv.fun)

    def fwd(leaves):
        out = user_fwd(*staged.full_args(leaves))
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise FuncadTypeError(with_user_line(
                f"custom_vjp: fwd {_describe(user_fwd)} must return a pair (output, "
                f"residuals), got {type(out).__name__}"))
        p_out = _check_outputs("custom_vjp", user_fwd, "the output", staged.out_tree,
                               staged.out_avals, out[0])
        res_leaves, res_tree = tree_flatten(out[1])
        for i, r in enumerate(res_leaves):
            try:
                get_aval(r)
            except TypeError:
                raise FuncadTypeError(with_user_line(
                    f"custom_vjp: residual leaf {i} of fwd {_describe(user_fwd)} is a "
                    f"{type(r).__name__}, not an array")) from None

        def bwd(res, cts):
            cts = [SymbolicZero(c.aval) if type(c) is Zero and cv.symbolic_zeros
                   else instantiate_zeros(c) for c in cts]
            ct = tree_unflatten(staged.out_tree, cts)
            got = user_bwd(*staged.nondiff_args(), tree_unflatten(res_tree, res), ct)
            n = len(staged.diff_idx)
            if not isinstance(got, (tuple, list)) or len(got) != n:
                what = (f"a {type(got).__name__} of length {len(got)}"
                        if isinstance(got, (tuple, list)) else f"a {type(got).__name__}")
                raise FuncadTypeError(with_user_line(
                    f"custom_vjp: bwd {_describe(user_bwd)} of {fun_name} must return a tuple "
                    f"with one cotangent per differentiable argument ({n}, structured as "
                    f"{staged.in_tree}), but it returned {what}"))
            return _tangent_leaves("custom_vjp", user_bwd, "the cotangents returned by bwd",
                                   staged.in_tree, staged.in_avals, tuple(got))

        bwd.__name__ = getattr(user_bwd, "__name__", "bwd")
        bwd.user_fun = user_bwd
        return p_out, res_leaves, bwd

    fwd.__name__ = getattr(user_fwd, "__name__", "fwd")
    fwd.fun_name = fun_name
    return fwd


custom_vjp_call_p = Primitive("custom_vjp_call", multiple_results=True)


def _custom_vjp_call_impl(*args, call_jaxpr, fwd, num_consts):
    return run_closed(call_jaxpr, *args)


custom_vjp_call_p.def_impl(_custom_vjp_call_impl)
custom_vjp_call_p.def_abstract_eval(_call_abstract_eval)
subjaxpr_checks[custom_vjp_call_p] = _check_call


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
    size = axis_size_of(vals, dims)
    nout = len(call_jaxpr.out_avals)
    batched, _ = batch_jaxpr(call_jaxpr, size, dims, True)
    arg_dims = list(dims[num_consts:])

    def fwd_b(leaves):
        box: dict = {}

        def per_example(*args):
            out, res, bwd = fwd(list(args))
            box.update(bwd=bwd, nres=len(res))
            return [*out, *res]

        outs = vmap_flat(per_example, size, arg_dims, leaves)
        res = outs[nout:]

        def bwd_b(res_b, cts_b):
            nres = box["nres"]

            def per_example_bwd(*args):
                return [instantiate_zeros(c) for c in box["bwd"](list(args[:nres]),
                                                                  list(args[nres:]))]

            return vmap_flat(per_example_bwd, size, [0] * (nres + len(cts_b)),
                             [*res_b, *map(instantiate_zeros, cts_b)])

        bwd_b.__name__ = box["bwd"].__name__
        bwd_b.user_fun = getattr(box["bwd"], "user_fun", box["bwd"])
        return outs[:nout], res, bwd_b

    fwd_b.__name__ = fwd.__name__
    fwd_b.fun_name = getattr(fwd, "fun_name", fwd.__name__)
    outs = custom_vjp_call_p.bind(*vals, call_jaxpr=batched, fwd=fwd_b, num_consts=num_consts)
    return outs, [0] * nout


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
        f"transposes its bwd {_describe(getattr(bwd, 'user_fun', bwd))}, which must then "
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
    size = axis_size_of(vals, dims)
    res = [moveaxis(r, d, 0) if d is not not_mapped else r
           for r, d in zip(vals[:num_res], dims[:num_res])]
    res_dims = [0 if d is not not_mapped else not_mapped for d in dims[:num_res]]
    tangents = [bdim_at(t, d, 0, size) for t, d in zip(vals[num_res:], dims[num_res:])]

    def bwd_b(res_b, cts_b):
        def per_example(*args):
            return _bwd_flat(bwd, args[:num_res], args[num_res:], in_avals)

        return vmap_flat(per_example, size, [*res_dims, *[0] * len(cts_b)],
                         [*res_b, *map(instantiate_zeros, cts_b)])

    bwd_b.__name__ = getattr(bwd, "__name__", "bwd")
    bwd_b.user_fun = getattr(bwd, "user_fun", bwd)
    outs = custom_lin_p.bind(
        *res, *tangents, num_res=num_res, bwd=bwd_b,
        out_avals=tuple(batched_aval(a, 0, size) for a in out_avals),
        in_avals=tuple(batched_aval(a, 0, size) for a in in_avals), fun_name=fun_name)
    return outs, [0] * len(out_avals)


batch_rules[custom_lin_p] = _custom_lin_batch


__all__ = ["SymbolicZero", "custom_jvp", "custom_vjp"]
