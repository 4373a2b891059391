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

from funcad.api_util import check_pair, fun_label, fun_name, leaf_aval, leaf_avals
from funcad.control.custom import custom_jvp_call_p, custom_lin_p, custom_vjp_call_p
from funcad.core.avals import ShapedArray
from funcad.core.symbolic import (
    Zero,
    is_differentiable_dtype,
    tangent_aval,
)
from funcad.core.trace import Tracer, find_top_trace, get_aval, to_concrete, trace_stack
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.interpreters.batching import axis_env_key
from funcad.interpreters.jvp import JVPTracer
from funcad.interpreters.subjaxpr import (
    closure_convert,
    trace_flat,
)
from funcad.ops._base import convert_element_type, instantiate_zeros
from funcad.tree_util import PyTreeDef, flatten_up_to, tree_flatten, tree_map, tree_unflatten


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


def _no_transforms() -> bool:
    return len(trace_stack()) == 1


def _eager_trace(leaves) -> tuple[bool, object]:
    """Whether a call can apply its rule eagerly, and the JVP trace that differentiates
    it: nothing is being staged (no ``jit``, ``make_jaxpr``) and every argument is a
    concrete value or a JVP tracer whose primal is concrete (eager ``grad``, ``jvp``,
    ``vjp``, also nested). Under ``vmap`` or staging the call is staged instead, and so
    it is inside a named ``vmap`` even on unmapped arguments: collectives in the function or
    its rules must reduce over that axis, which batching the staged call does."""
    if find_top_trace(()).main.level != 0 or axis_env_key():
        return False, None
    top = None
    for x in leaves:
        if isinstance(x, Tracer):
            if not isinstance(x, JVPTracer) or to_concrete(x) is None:
                return False, None
            if top is None or x._trace.main.level > top.main.level:
                top = x._trace
    return True, top


def _check_no_closed_over_tangent(construct: str, fun: Callable, out) -> None:
    """A function called on concrete arguments whose output still carries a tangent closed
    over a value being differentiated, which its rule cannot cover."""
    for leaf in tree_flatten(out)[0]:
        if isinstance(leaf, JVPTracer) and type(leaf.tangent) is not Zero:
            raise FuncadTypeError(with_user_line(
                f"{construct} function {fun_label(fun)} closes over a value that is being "
                "differentiated; its rule only covers the explicit arguments: pass the value "
                "as an argument"))


def _resolve_args(fun: Callable, args, kwargs, construct: str) -> tuple:
    if not kwargs:
        return tuple(args)
    try:
        bound = inspect.signature(fun).bind(*args, **kwargs)
    except TypeError as e:
        raise FuncadTypeError(with_user_line(f"{construct} {fun_label(fun)}: {e}")) from None
    bound.apply_defaults()
    if bound.kwargs:
        raise FuncadTypeError(with_user_line(
            f"{construct} {fun_label(fun)}: keyword-only arguments are not supported; pass "
            "them positionally"))
    return tuple(bound.args)


class _Args:
    """The arguments of one call of a decorated function: the differentiable ones as
    leaves (``in_tree``, ``in_avals``) and the static ones (``nondiff_argnums``)."""

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
        self.in_avals = leaf_avals(leaves, f"{construct} {fun_label(fun)}", "argument",
                                   "; list the argument in nondiff_argnums if it is a static "
                                   "value")

    def full_args(self, leaves) -> list:
        full = list(self.args)
        for i, v in zip(self.diff_idx, tree_unflatten(self.in_tree, leaves), strict=True):
            full[i] = v
        return full

    def nondiff_args(self) -> list:
        return [self.args[i] for i in self.nondiff]

    def diff_args(self, leaves) -> tuple:
        return tuple(tree_unflatten(self.in_tree, leaves))


class _Staged(_Args):
    """A decorated function staged for one call: its IR (constants as leading inputs) and
    the structure of its differentiable arguments and outputs."""

    def __init__(self, fun, args, nondiff_argnums, construct: str):
        super().__init__(fun, args, nondiff_argnums, construct)
        store: list = []

        def flat(*leaves):
            out_leaves, out_tree = tree_flatten(fun(*self.full_args(leaves)))
            store[:] = [out_tree]
            return out_leaves

        closed = trace_flat(flat, self.in_avals, f"{construct}({fun_name(fun)})")
        self.closed, self.consts = closure_convert(closed)
        self.out_tree: PyTreeDef = store[0]
        self.out_avals = list(closed.out_avals)


def _rule_leaves(construct: str, rule: Callable, what: str, tree: PyTreeDef, value,
                 expected: str, is_leaf=None) -> list:
    """``value``, what ``rule`` gave for ``what``, flattened down to the leaves of ``tree``;
    an error naming the rule when its structure is not ``expected``."""
    try:
        return flatten_up_to(tree, value, what)
    except FuncadValueError:
        raise FuncadTypeError(with_user_line(
            f"{construct}: {what} of {fun_label(rule)} must have the structure {expected}, "
            f"but it is {tree_flatten(value, is_leaf)[1]}")) from None


def _check_outputs(construct: str, rule: Callable, what: str, tree: PyTreeDef,
                   avals: Sequence[ShapedArray], value) -> list:
    """The leaves of ``value`` (a rule's output for the function's output), checked
    against the function's output structure and types."""
    leaves = _rule_leaves(construct, rule, what, tree, value, f"of the function's output, {tree}")
    got = leaf_avals(leaves, construct, f"{what} of {fun_label(rule)}:", _expected(tree))
    for i, (a, b) in enumerate(zip(avals, got, strict=True)):
        if b.shape != a.shape or b.dtype != a.dtype:
            raise FuncadTypeError(with_user_line(
                f"{construct}: {what} of {fun_label(rule)} must have the function's output "
                f"types, but leaf {i} is {b.str_short()} where the function returns "
                f"{a.str_short()}"))
    return leaves


def _expected(tree: PyTreeDef) -> str:
    return f" (expected the structure {tree}, one array per leaf)"


def _tangent_leaves(construct: str, rule: Callable, what: str, tree: PyTreeDef,
                    avals: Sequence[ShapedArray], value) -> list:
    """Tangent (or cotangent) leaves given by a rule, checked against ``avals``; ``None``
    and symbolic zeros become ``Zero``; Python scalars take the expected dtype."""

    def is_zero(x):
        return x is None or type(x) in (SymbolicZero, Zero)

    leaves = _rule_leaves(construct, rule, what, tree, value, f"{tree}", is_zero)
    out = []
    for i, (x, a) in enumerate(zip(leaves, avals, strict=True)):
        t_aval = tangent_aval(a)
        if is_zero(x) or not is_differentiable_dtype(a.dtype):
            out.append(Zero(t_aval))
            continue
        b = leaf_aval(x, construct, f"{what} of {fun_label(rule)}: leaf {i}", _expected(tree))
        if b.shape != a.shape or (b.dtype != a.dtype and not b.weak_type):
            raise FuncadTypeError(with_user_line(
                f"{construct}: {what} of {fun_label(rule)}: leaf {i} is {b.str_short()}, but "
                f"the corresponding primal is {a.str_short()}"))
        if b.dtype != a.dtype or b.weak_type:
            x = convert_element_type(x, a.dtype)
        out.append(x)
    return out


class _CustomFunction:
    """What ``custom_jvp`` and ``custom_vjp`` share: the wrapped function, method binding and
    the call, which runs the function directly without transforms and otherwise stages it
    and binds the subclass's primitive (``_bind``)."""

    construct = ""
    rule_missing = ""  # the error's end when the rule is not defined yet

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.symbolic_zeros = False

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def _has_rule(self) -> bool:
        raise NotImplementedError

    def _bind(self, staged: _Staged) -> list:
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        args = _resolve_args(self.fun, args, kwargs, self.construct)
        if not self._has_rule():
            raise FuncadTypeError(with_user_line(
                f"{self.construct} function {fun_label(self.fun)} {self.rule_missing}"))
        if _no_transforms():
            return self.fun(*args)
        call = _Args(self.fun, args, self.nondiff_argnums, self.construct)
        eager, trace = _eager_trace(call.leaves)
        if eager:
            return self._call_eagerly(call, trace)
        staged = _Staged(self.fun, args, self.nondiff_argnums, self.construct)
        return tree_unflatten(staged.out_tree, self._bind(staged))

    def _call_eagerly(self, call: _Args, trace):
        """Differentiation without staging (as JAX's eager custom rules): the function
        and its rules see concrete primal values, so Python control flow on them works."""
        if trace is None:  # no argument is being differentiated
            out = self.fun(*call.args)
            _check_no_closed_over_tangent(self.construct, self.fun, out)
            return out
        mine = [isinstance(x, JVPTracer) and x._trace.main is trace.main for x in call.leaves]
        primals = [x.primal if m else x for x, m in zip(call.leaves, mine)]
        tangents = [x.tangent if m else Zero(tangent_aval(get_aval(x)))
                    for x, m in zip(call.leaves, mine)]
        if all(type(t) is Zero for t in tangents):
            return self(*call.full_args(primals))
        out_leaves, t_out, out_tree = self._eager_jvp(call, primals, tangents)
        return tree_unflatten(out_tree, [JVPTracer(trace, p, t)
                                         for p, t in zip(out_leaves, t_out, strict=True)])

    def _eager_jvp(self, call: _Args, primals: list, tangents: list):
        raise NotImplementedError


# === custom_jvp ===============================================================================

class custom_jvp(_CustomFunction):
    """A function with a user-defined JVP (as ``jax.custom_jvp``).

    >>> @custom_jvp
    ... def softplus(x):
    ...     return fnp.log1p(fnp.exp(x))
    >>> @softplus.defjvp
    ... def softplus_jvp(primals, tangents):
    ...     (x,), (t,) = primals, tangents
    ...     return softplus(x), t * funcad.nn.sigmoid(x)
    """

    construct = "custom_jvp"
    rule_missing = "has no JVP rule: define one with @f.defjvp"

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.jvp: Callable | None = None

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
                term = rule(t, out, *primals)
                total = term if total is None else tree_map(lambda a, b: a + b, total, term)
            if total is None:
                total = tree_map(lambda o: SymbolicZero(tangent_aval(get_aval(o))), out)
            return out, total

        self.defjvp(jvp, symbolic_zeros=True)

    def _has_rule(self) -> bool:
        return self.jvp is not None

    def _eager_jvp(self, call: _Args, primals: list, tangents: list):
        rule = self.jvp
        t_in = [t if type(t) is not Zero else
                SymbolicZero(t.aval) if self.symbolic_zeros else instantiate_zeros(t)
                for t in tangents]
        out = rule(*call.nondiff_args(), call.diff_args(primals),
                   tuple(tree_unflatten(call.in_tree, t_in)))
        check_pair(out, f"custom_jvp: the rule {fun_label(rule)}", "(primal_out, tangent_out)")
        p_out, out_tree = tree_flatten(out[0])
        out_avals = leaf_avals(p_out, "custom_jvp", f"the primal output of {fun_label(rule)}:")
        t_out = _tangent_leaves("custom_jvp", rule, "the tangent output", out_tree, out_avals,
                                out[1])
        return p_out, t_out, out_tree

    def _bind(self, staged: _Staged) -> list:
        return custom_jvp_call_p.bind(
            *staged.consts, *staged.leaves, call_jaxpr=staged.closed,
            jvp=_custom_jvp_rule(self, staged), num_consts=len(staged.consts),
            symbolic_zeros=self.symbolic_zeros)


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
        check_pair(out, f"custom_jvp: the rule {fun_label(user_rule)}",
                   "(primal_out, tangent_out)")
        p_out = _check_outputs("custom_jvp", user_rule, "the primal output", staged.out_tree,
                               staged.out_avals, out[0])
        t_out = _tangent_leaves("custom_jvp", user_rule, "the tangent output", staged.out_tree,
                                staged.out_avals, out[1])
        return p_out, t_out

    rule.__name__ = getattr(user_rule, "__name__", "jvp")
    return rule


# === custom_vjp ===============================================================================

class custom_vjp(_CustomFunction):
    """A function with a user-defined VJP (as ``jax.custom_vjp``): ``f.defvjp(fwd, bwd)``
    with ``fwd(*args) -> (out, residuals)`` and ``bwd(*nondiff_args, residuals, ct) ->``
    a tuple with one cotangent per differentiable argument (``None`` for zero)."""

    construct = "custom_vjp"
    rule_missing = "has no VJP rule: define one with f.defvjp(fwd, bwd)"

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None

    def defvjp(self, fwd: Callable, bwd: Callable, symbolic_zeros: bool = False) -> None:
        self.fwd, self.bwd = fwd, bwd
        self.symbolic_zeros = bool(symbolic_zeros)

    def _has_rule(self) -> bool:
        return self.fwd is not None

    def _eager_jvp(self, call: _Args, primals: list, tangents: list):
        out = self.fwd(*call.full_args(primals))
        check_pair(out, f"custom_vjp: fwd {fun_label(self.fwd)}", "(output, residuals)")
        p_out, out_tree = tree_flatten(out[0])
        out_avals = leaf_avals(p_out, "custom_vjp", f"the output of fwd {fun_label(self.fwd)}:")
        res, res_tree = tree_flatten(out[1])
        leaf_avals(res, f"custom_vjp: fwd {fun_label(self.fwd)}", "residual")
        bwd = _bwd_rule(self, call, out_tree, res_tree)
        t_in = [instantiate_zeros(t) for t in tangents]
        t_out = custom_lin_p.bind(
            *res, *t_in, num_res=len(res), bwd=bwd,
            out_avals=tuple(tangent_aval(a) for a in out_avals),
            in_avals=tuple(tangent_aval(get_aval(p)) for p in primals),
            fun_name=fun_label(self.fun))
        return p_out, t_out, out_tree

    def _bind(self, staged: _Staged) -> list:
        return custom_vjp_call_p.bind(
            *staged.consts, *staged.leaves, call_jaxpr=staged.closed,
            fwd=_custom_vjp_fwd(self, staged), num_consts=len(staged.consts))


def _custom_vjp_fwd(cv: custom_vjp, staged: _Staged) -> Callable:
    """``fwd(arg leaves) -> (out leaves, residual leaves, bwd)`` for one staged call, where
    ``bwd(residual leaves, cotangent leaves) -> argument cotangent leaves (or Zero)``."""
    user_fwd = cv.fwd
    fun_name = fun_label(cv.fun)

    def fwd(leaves):
        out = user_fwd(*staged.full_args(leaves))
        check_pair(out, f"custom_vjp: fwd {fun_label(user_fwd)}", "(output, residuals)")
        p_out = _check_outputs("custom_vjp", user_fwd, "the output", staged.out_tree,
                               staged.out_avals, out[0])
        res_leaves, res_tree = tree_flatten(out[1])
        leaf_avals(res_leaves, f"custom_vjp: fwd {fun_label(user_fwd)}", "residual")
        return p_out, res_leaves, _bwd_rule(cv, staged, staged.out_tree, res_tree)

    fwd.__name__ = getattr(user_fwd, "__name__", "fwd")
    fwd.fun_name = fun_name
    return fwd


def _bwd_rule(cv: custom_vjp, call: _Args, out_tree: PyTreeDef, res_tree: PyTreeDef) -> Callable:
    """``bwd(residual leaves, cotangent leaves) -> argument cotangent leaves (or Zero)``."""
    user_bwd = cv.bwd
    fun_name = fun_label(cv.fun)

    def bwd(res, cts):
        cts = [SymbolicZero(c.aval) if type(c) is Zero and cv.symbolic_zeros
               else instantiate_zeros(c) for c in cts]
        ct = tree_unflatten(out_tree, cts)
        got = user_bwd(*call.nondiff_args(), tree_unflatten(res_tree, res), ct)
        n = len(call.diff_idx)
        if not isinstance(got, (tuple, list)) or len(got) != n:
            what = (f"a {type(got).__name__} of length {len(got)}"
                    if isinstance(got, (tuple, list)) else f"a {type(got).__name__}")
            raise FuncadTypeError(with_user_line(
                f"custom_vjp: bwd {fun_label(user_bwd)} of {fun_name} must return a tuple "
                f"with one cotangent per differentiable argument ({n}, structured as "
                f"{call.in_tree}), but it returned {what}"))
        return _tangent_leaves("custom_vjp", user_bwd, "the cotangents returned by bwd",
                               call.in_tree, call.in_avals, tuple(got))

    bwd.__name__ = getattr(user_bwd, "__name__", "bwd")
    bwd.user_fun = user_bwd
    return bwd


__all__ = ["SymbolicZero", "custom_jvp", "custom_vjp"]
