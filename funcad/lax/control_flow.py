"""``funcad.lax`` control flow: ``cond``, ``switch``, ``while_loop``, ``fori_loop``, ``scan``,
``map``. Each stages the user's functions into sub-IRs once per call and binds a
higher-order primitive of ``funcad.control``, so it works under every transform."""
# ruff: noqa: A004 - the names of jax.lax (max, min, slice) are the API
from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence

import numpy as np

from funcad.api_util import check_pair, fun_label, leaf_avals
from funcad.control.cond import cond_p
from funcad.control.loops import scan_p, while_p
from funcad.core.avals import ShapedArray
from funcad.core.dtypes import is_bool, is_integer
from funcad.core.trace import Tracer, get_aval, to_concrete
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.interpreters.subjaxpr import call_closed, closure_convert, trace_flat
from funcad.ir.core import ClosedJaxpr, Jaxpr, Var
from funcad.lax.batched_map import batched_map
from funcad.lax.unrolled import unroll_factor, unrolled_scan
from funcad.ops._base import (
    convert_element_type,
)
from funcad.ops.arithmetic import (
    add,
    max,
    min,
)
from funcad.ops.logical import (
    lt,
    ne,
)
from funcad.tree_util import PyTreeDef, tree_flatten, tree_unflatten, treedef_tuple

# --- helpers of the control-flow wrappers ----------------------------------------------------


def _types(avals) -> str:
    return ", ".join(a.str_short() for a in avals) or "nothing"


def _trace(fun: Callable, in_tree: PyTreeDef, in_avals, construct: str, role: str,
           split_output: bool = False):
    """Stage ``fun`` on arguments of ``in_tree``/``in_avals``. Returns the IR (constants
    closure-converted into leading inputs), the constants, and the output tree (with
    ``split_output``: the trees of the two halves of a ``(carry, y)`` pair)."""
    store: list = []

    def flat(*leaves):
        out = fun(*tree_unflatten(in_tree, leaves))
        if split_output:
            check_pair(out, f"{construct}: {role} {fun_label(fun)}", "(carry, y)")
            carry_leaves, carry_tree = tree_flatten(out[0])
            y_leaves, y_tree = tree_flatten(out[1])
            out_leaves = [*carry_leaves, *y_leaves]
            store[:] = [(carry_tree, y_tree)]
        else:
            out_leaves, out_tree = tree_flatten(out)
            store[:] = [out_tree]
        leaf_avals(out_leaves, construct, f"the output of {role} {fun_label(fun)}:")
        return out_leaves

    closed = trace_flat(flat, in_avals, f"{construct}({role})")
    closed, consts = closure_convert(closed)
    return closed, consts, store[0]


def _check_tree(construct: str, what: str, expected: PyTreeDef, got: PyTreeDef) -> None:
    if expected != got:
        raise FuncadTypeError(with_user_line(
            f"{construct}: {what} must have the structure {expected}, but it is {got}"
        ))


def _join_carry(construct: str, role: str, fun, in_avals, out_avals, init_leaves,
                offset: int = 0):
    """Check that a loop body returns its carry with the type it was given. A weakly typed
    init (a Python scalar) takes the body's dtype instead; returns the new init leaves
    when the body must be traced again, else ``None``. (The first ``offset`` leaves are
    the wrapper's own: not named in errors.)"""
    new, changed = list(init_leaves), False
    for i, (a, b) in enumerate(zip(in_avals, out_avals, strict=True)):
        if a.shape == b.shape and a.dtype == b.dtype and (b.weak_type or not a.weak_type):
            continue
        if a.shape == b.shape and a.weak_type:
            new[i] = convert_element_type(init_leaves[i], b.dtype, weak_type=b.weak_type)
            changed = True
            continue
        raise FuncadTypeError(with_user_line(
            f"{construct}: {role} {fun_label(fun)} must return the carry with the type it "
            f"was given, but carry leaf {i - offset} is {a.str_short()} on input and "
            f"{b.str_short()} on output (carry types: input ({_types(in_avals[offset:])}), "
            f"output ({_types(out_avals[offset:])}))"
        ))
    return new if changed else None


def _concrete_int(x, construct: str, what: str) -> int | None:
    value = to_concrete(x)
    if value is None:
        return None
    arr = np.asarray(value)
    if arr.shape != () or not (is_integer(arr.dtype) or is_bool(arr.dtype)):
        raise FuncadTypeError(with_user_line(
            f"{construct}: {what} must be an integer scalar, got {get_aval(x).str_short()}"
        ))
    return int(arr)


# --- cond and switch -------------------------------------------------------------------------

def cond(pred, true_fun: Callable, false_fun: Callable, *operands):
    """``true_fun(*operands) if pred else false_fun(*operands)``, staged: ``pred`` may be a
    traced boolean scalar; both branches are traced and must return the same pytree of
    the same shapes and dtypes."""
    aval = _pred_aval(pred)
    if not is_bool(aval.dtype):
        pred = ne(pred, np.zeros((), aval.dtype))
    index = convert_element_type(pred, np.int32)
    return _switch(index, (false_fun, true_fun), operands, "cond", ("false_fun", "true_fun"))


def _pred_aval(pred) -> ShapedArray:
    try:
        aval = get_aval(pred)
    except TypeError:
        raise FuncadTypeError(with_user_line(
            f"cond: the predicate must be a boolean scalar, got {type(pred).__name__}"
        )) from None
    if aval.shape != () or not (is_bool(aval.dtype) or is_integer(aval.dtype)):
        raise FuncadTypeError(with_user_line(
            f"cond: the predicate must be a boolean scalar, got {aval.str_short()}"
            + ("" if aval.shape == () else "; reduce it (e.g. with .all() or .any()) or use "
               "funcad.numpy.where for an elementwise choice")
        ))
    return aval


def switch(index, branches: Sequence[Callable], *operands):
    """``branches[index](*operands)`` with ``index`` clamped to ``[0, len(branches) - 1]``;
    ``index`` may be a traced integer scalar."""
    branches = tuple(branches)
    if not branches:
        raise FuncadValueError(with_user_line("switch: branches must not be empty"))
    try:
        aval = get_aval(index)
    except TypeError:
        aval = None
    if aval is None or aval.shape != () or not is_integer(aval.dtype):
        what = aval.str_short() if aval is not None else type(index).__name__
        raise FuncadTypeError(with_user_line(
            f"switch: the index must be an integer scalar, got {what}"))
    if len(branches) == 1:
        return branches[0](*operands)
    if not isinstance(index, Tracer):
        index = np.int32(np.clip(int(index), 0, len(branches) - 1))
    else:
        index = convert_element_type(index, np.int32)
        index = max(min(index, np.int32(len(branches) - 1)), np.int32(0))
    roles = tuple(f"branches[{i}]" for i in range(len(branches)))
    return _switch(index, branches, operands, "switch", roles)


def _switch(index, funs, operands, construct: str, roles):
    leaves, in_tree = tree_flatten(tuple(operands))
    in_avals = leaf_avals(leaves, construct, "operand")
    traced = [_trace(f, in_tree, in_avals, construct, r) for f, r in zip(funs, roles, strict=True)]
    for (_, _, tree), f, r in zip(traced[1:], funs[1:], roles[1:], strict=True):
        if tree != traced[0][2]:
            raise FuncadTypeError(with_user_line(
                f"{construct}: the branches must return the same pytree structure, but "
                f"{roles[0]} {fun_label(funs[0])} returns {traced[0][2]} and {r} "
                f"{fun_label(f)} returns {tree}"
            ))
    closed = _join_branch_types([t[0] for t in traced], funs, roles, construct)
    # Every branch takes the constants of all branches (each ignores the others').
    const_avals = [[get_aval(c) for c in t[1]] for t in traced]
    branches = []
    for i, c in enumerate(closed):
        before = [a for avals in const_avals[:i] for a in avals]
        after = [a for avals in const_avals[i + 1:] for a in avals]
        branches.append(_with_leading_unused(c, before, after, len(const_avals[i])))
    consts = [c for t in traced for c in t[1]]
    outs = cond_p.bind(index, *consts, *leaves, branches=tuple(branches))
    return tree_unflatten(traced[0][2], outs)


def _with_leading_unused(closed, before, after, n_own: int):
    jaxpr = closed.jaxpr
    own, rest = jaxpr.invars[:n_own], jaxpr.invars[n_own:]
    invars = [*builtins.map(Var, before), *own, *builtins.map(Var, after), *rest]
    return ClosedJaxpr(Jaxpr.new(jaxpr.constvars, invars, jaxpr.outvars, jaxpr.eqns),
                       closed.consts)


def _join_branch_types(closed, funs, roles, construct: str):
    """Check the branches' output types agree; a weakly typed output takes the dtype of the
    strong ones (as in JAX)."""
    first = closed[0].out_avals
    targets = []
    for k, a in enumerate(first):
        avals = [c.out_avals[k] for c in closed]
        strong = [b for b in avals if not b.weak_type]
        target = strong[0] if strong else a
        j = next((i for i, b in enumerate(avals) if b is target), 0)
        for b, f, r in zip(avals, funs, roles, strict=True):
            if b.shape != target.shape or (b.dtype != target.dtype and not b.weak_type):
                raise FuncadTypeError(with_user_line(
                    f"{construct}: the branches must return the same types, but output leaf "
                    f"{k} is {target.str_short()} in {roles[j]} {fun_label(funs[j])} and "
                    f"{b.str_short()} in {r} {fun_label(f)} (outputs: "
                    + "; ".join(f"{rr}: ({_types(c.out_avals)})" for c, rr in zip(closed, roles))
                    + ")"
                ))
        targets.append(target.update(weak_type=all(b.weak_type for b in avals)))
    fixed = []
    for c in closed:
        if all(a.dtype == t.dtype for a, t in zip(c.out_avals, targets, strict=True)):
            fixed.append(c)
            continue
        fixed.append(_cast_outputs(c, targets))
    return fixed


def _cast_outputs(closed, targets):
    def fun(*args):
        outs = call_closed(closed, *args)
        return [o if get_aval(o).dtype == t.dtype else convert_element_type(o, t.dtype)
                for o, t in zip(outs, targets, strict=True)]

    return trace_flat(fun, closed.in_avals, "cond(cast)")


# --- while_loop and fori_loop ----------------------------------------------------------------

def while_loop(cond_fun: Callable, body_fun: Callable, init_val, max_steps: int | None = None):
    """``val = init_val; while cond_fun(val): val = body_fun(val)``, staged.

    ``max_steps=N`` (beyond ``jax.lax``) stops after at most ``N`` iterations and makes the
    loop reverse-mode differentiable: linearization runs it as a masked scan of ``N`` steps.
    Without it the loop is differentiable in forward mode only.
    """
    if max_steps is not None:
        if isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)) or (
                max_steps < 0):
            raise FuncadValueError(with_user_line(
                f"while_loop: max_steps must be a non-negative Python int, got {max_steps!r}"))
        max_steps = int(max_steps)
    return _while_loop(cond_fun, body_fun, init_val, max_steps, ("while_loop", body_fun, 0))


def _while_loop(cond_fun, body_fun, init_val, max_steps, names):
    construct, user_body, offset = names
    leaves, tree = tree_flatten(init_val)
    arg_tree = _tuple_tree(tree)
    for _ in range(3):
        avals = leaf_avals(leaves, construct, "init_val")
        cond_j, cond_c, cond_tree = _trace(cond_fun, arg_tree, avals, construct, "cond_fun")
        out = cond_j.out_avals
        if cond_tree.num_leaves != 1 or out[0].shape != () or out[0].dtype != np.bool_:
            got = out[0].str_short() if cond_tree.num_leaves == 1 else f"{cond_tree}"
            raise FuncadTypeError(with_user_line(
                f"{construct}: cond_fun {fun_label(cond_fun)} must return a boolean scalar, "
                f"got {got}"
            ))
        body_j, body_c, body_tree = _trace(body_fun, arg_tree, avals, construct, "body_fun")
        _check_tree(construct, f"the carry returned by body_fun {fun_label(user_body)}",
                    tree, body_tree)
        new = _join_carry(construct, "body_fun", user_body, avals, body_j.out_avals, leaves,
                          offset)
        if new is None:
            break
        leaves = new
    outs = while_p.bind(*cond_c, *body_c, *leaves, cond_jaxpr=cond_j, body_jaxpr=body_j,
                        cond_nconsts=len(cond_c), body_nconsts=len(body_c),
                        max_steps=max_steps)
    return tree_unflatten(tree, outs)


def fori_loop(lower, upper, body_fun: Callable, init_val, *, unroll=None):
    """``val = init_val; for i in range(lower, upper): val = body_fun(i, val)``.

    With concrete bounds (Python ints) the loop is a ``scan`` of ``upper - lower`` steps,
    reverse-mode differentiable; with traced bounds it is a ``while_loop`` (forward mode
    only). ``unroll`` (concrete bounds only) runs that many steps per loop iteration.
    """
    lo = _concrete_int(lower, "fori_loop", "lower")
    hi = _concrete_int(upper, "fori_loop", "upper")
    dtype = _index_dtype(lower, upper)
    names = ("fori_loop", body_fun, 1)

    def body(carry):
        i, val = carry
        new = body_fun(i, val)
        before, after = tree_flatten(val)[1], tree_flatten(new)[1]
        if before != after:
            raise FuncadTypeError(with_user_line(
                f"fori_loop: body_fun {fun_label(body_fun)} must return the carry with the "
                f"structure it was given, {before}, but it returns {after}"))
        return add(i, np.ones((), dtype)), new

    if lo is not None and hi is not None:
        steps = builtins.max(hi - lo, 0)
        k = unroll_factor(unroll, steps, "fori_loop")
        (_, val), _ = unrolled_scan(
            lambda f, init, xs, length, reverse: _scan(f, init, xs, length, reverse, names),
            lambda carry, _: (body(carry), None), (np.asarray(lo, dtype), init_val), None,
            steps, False, k)
        return val
    if unroll not in (None, False, 1):
        raise FuncadValueError(with_user_line(
            "fori_loop: unroll needs concrete (Python int) bounds"))
    lower = convert_element_type(lower, dtype)
    upper = convert_element_type(upper, dtype)
    return _while_loop(lambda carry: lt(carry[0], upper), body, (lower, init_val), None,
                       names)[1]


def _index_dtype(lower, upper) -> np.dtype:
    kinds = []
    for x in (lower, upper):
        try:
            aval = get_aval(x)
        except TypeError:
            raise FuncadTypeError(with_user_line(
                f"fori_loop: bounds must be integers, got {type(x).__name__}")) from None
        if aval.shape != () or not is_integer(aval.dtype):
            raise FuncadTypeError(with_user_line(
                f"fori_loop: bounds must be integer scalars, got {aval.str_short()}"))
        kinds.append(aval)
    strong = [a.dtype for a in kinds if not a.weak_type]
    return np.result_type(*strong) if strong else np.dtype(np.int_)


# --- scan ------------------------------------------------------------------------------------

def scan(f: Callable, init, xs=None, length: int | None = None, reverse: bool = False,
         unroll: int | bool = 1):
    """Loop ``f(carry, x) -> (carry, y)`` over the leading axis of ``xs``; returns the final
    carry and the stacked ``y`` s (as ``jax.lax.scan``). ``unroll=k`` stages ``k`` steps
    per loop iteration (``True``: all of them); the results are the same."""
    names = ("scan", f, 0)
    if unroll in (1, None, False):
        return _scan(f, init, xs, length, reverse, names)
    n = _scan_length(leaf_avals(tree_flatten(xs)[0], "scan", "xs"), length)
    return unrolled_scan(
        lambda g, init, xs, length, reverse: _scan(g, init, xs, length, reverse, names),
        f, init, xs, n, reverse, unroll_factor(unroll, n))


def _scan(f, init, xs, length, reverse, names):
    construct, user_f, offset = names
    role = "f" if construct == "scan" else "body_fun"
    init_leaves, init_tree = tree_flatten(init)
    xs_leaves, xs_tree = tree_flatten(xs)
    x_avals = leaf_avals(xs_leaves, construct, "xs")
    length = _scan_length(x_avals, length)
    slice_avals = [ShapedArray(a.shape[1:], a.dtype, a.weak_type) for a in x_avals]
    for _ in range(3):
        carry_avals = leaf_avals(init_leaves, construct, "init")
        tree = _pair_tree(init_tree, xs_tree)
        closed, consts, (carry_tree, y_tree) = _trace(
            f, tree, [*carry_avals, *slice_avals], construct, role, split_output=True)
        _check_tree(construct, f"the carry returned by {role} {fun_label(user_f)}", init_tree,
                    carry_tree)
        new = _join_carry(construct, role, user_f, carry_avals,
                          closed.out_avals[:len(init_leaves)], init_leaves, offset)
        if new is None:
            break
        init_leaves = new
    outs = scan_p.bind(*consts, *init_leaves, *xs_leaves, jaxpr=closed, num_consts=len(consts),
                       num_carry=len(init_leaves), length=length, reverse=bool(reverse))
    n = len(init_leaves)
    return tree_unflatten(init_tree, outs[:n]), tree_unflatten(y_tree, outs[n:])


def map(f: Callable, xs, *, batch_size: int | None = None):  # noqa: A001 - jax.lax.map
    """``f`` applied to each slice of ``xs`` along the leading axis, stacked: a ``scan``
    without a carry (sequential, unlike ``vmap``). With ``batch_size``, ``vmap(f)`` runs
    on batches of that many slices, one batch per step, and once more on the remainder."""
    if batch_size is None:
        return _scan(lambda _, x: ((), f(x)), (), xs, None, False, ("map", f, 0))[1]
    return batched_map(lambda g, xs: map(g, xs), f, xs, batch_size)


def _pair_tree(a: PyTreeDef, b: PyTreeDef) -> PyTreeDef:
    return treedef_tuple([a, b])


def _tuple_tree(a: PyTreeDef) -> PyTreeDef:
    return treedef_tuple([a])


def _scan_length(x_avals, length) -> int:
    for i, a in enumerate(x_avals):
        if a.ndim == 0:
            raise FuncadValueError(with_user_line(
                f"scan: xs leaf {i} is a scalar ({a.str_short()}); every xs leaf needs a "
                "leading axis to scan over"))
    lengths = {a.shape[0] for a in x_avals}
    if length is not None:
        length = _concrete_int(length, "scan", "length")
        if length is None or length < 0:
            raise FuncadValueError(with_user_line(
                "scan: length must be a non-negative Python int"))
        lengths.add(length)
    if not lengths:
        raise FuncadValueError(with_user_line(
            "scan: give xs or length (there is nothing to scan over)"))
    if len(lengths) > 1:
        detail = ", ".join(f"xs leaf {i} is {a.str_short()} (length {a.shape[0]})"
                           for i, a in enumerate(x_avals))
        extra = f", and length={length}" if length is not None else ""
        raise FuncadValueError(with_user_line(
            f"scan: the leading axes of xs must all have the same size, but {detail}{extra}"))
    return lengths.pop()
