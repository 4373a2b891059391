"""``funcad.explain``: the traces of a function at a point, as a printable report."""
from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np

from funcad.ad import jvp, linearize, value_and_grad, vjp
from funcad.api import make_jaxpr
from funcad.core.dtypes import is_float, is_inexact
from funcad.errors import FuncadError
from funcad.explain.notation import Notation
from funcad.explain.parse import ExplainError, parse_expression
from funcad.explain.report import Report
from funcad.explain.trace_tables import Traces, build_traces
from funcad.ir.passes import inline_calls
from funcad.tree_util import PyTreeDef, leaf_paths, tree_flatten, tree_unflatten


def explain(fun: Callable | str, *args, digits: int = 3, ascii: bool = False,  # noqa: A002
            **values) -> Report:
    """Explain how funcad differentiates ``fun`` at ``args``.

    Returns a :class:`~funcad.explain.report.Report` holding the evaluation trace (one row
    per equation of ``make_jaxpr(fun)``), the forward tangent trace (each equation's JVP
    rule, one sweep per floating-point input), the reverse adjoint trace (each equation's
    VJP, i.e. linearize + transpose, walked backwards, with ``+=`` steps where a variable is
    used more than once), the gradient from ``funcad.grad``, and the IRs (the function's,
    the linearized one and its transpose). ``print(report)`` shows aligned tables;
    notebooks show Markdown.

    Args:
        fun: a function of arrays (pytrees allowed; it must return one array), or an
            expression string such as ``"b*sin(a) + b**2"`` whose variables are then given
            by keyword (``a=2, b=5``) or as one dict. Expressions are parsed against a
            whitelist, never evaluated by Python.
        *args: the point, for a function. Python numbers become float64.
        digits: decimals shown in the tables.
        ascii: write ``w0_dot``/``w0_bar`` instead of ``ẇ₀``/``w̄₀`` (plain ASCII).
        **values: the variables of an expression string.

    Example:
        >>> print(funcad.explain("b*sin(a) + b**2", a=2, b=5))  # doctest: +SKIP
    """
    notation = Notation(unicode=not ascii, digits=digits)
    if isinstance(fun, str):
        if len(args) == 1 and isinstance(args[0], dict) and not values:
            values = dict(args[0])
        elif args:
            raise ExplainError("explain: give the values of an expression's variables by name, "
                               "e.g. explain('b*sin(a) + b**2', a=2, b=5)")
        names = list(values)
        flat = parse_expression(fun, names)
        leaves = [_as_input(values[n], n) for n in names]
        title = f"funcad explain: {_output_name(names)} = {flat.text}"
    else:
        if values:
            raise ExplainError("explain: pass a function's arguments positionally")
        if not callable(fun):
            raise ExplainError(f"explain: expected a function or an expression string, got "
                               f"{type(fun).__name__}")
        tree_leaves, in_tree = tree_flatten(args)
        leaves = [_as_input(x, f"argument {i}") for i, x in enumerate(tree_leaves)]
        names = _leaf_names(fun, in_tree)

        def flat(*xs):
            return fun(*tree_unflatten(in_tree, xs))

        flat.__name__ = getattr(fun, "__name__", "f")
        params = ", ".join(_param_names(fun, len(args)))
        title = f"funcad explain: {_output_name(names)} = {flat.__name__}({params})"
    return _explain_flat(flat, leaves, names, notation, title)


def _output_name(names) -> str:
    return next(n for n in ("r", "y", "out", "result") if n not in names)


def _as_input(x, what: str):
    if isinstance(x, bool):
        raise ExplainError(f"explain: {what} is a bool; give a number")
    if isinstance(x, (int, float)):
        return np.float64(x)
    if isinstance(x, (list, tuple)):
        try:
            return np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError):
            raise ExplainError(f"explain: {what} is not a list of numbers") from None
    try:
        arr = np.asarray(x)
    except Exception:
        raise ExplainError(f"explain: {what} is a {type(x).__name__}, not an array") from None
    if arr.dtype.kind not in "biufc":
        raise ExplainError(f"explain: {what} has dtype {arr.dtype}; give numbers")
    return x


def _param_names(fun: Callable, n: int) -> list[str]:
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind is p.VAR_POSITIONAL:
            break
    names = names[:n]
    return names + [f"x{i}" for i in range(len(names), n)]


def _leaf_names(fun: Callable, in_tree: PyTreeDef) -> list[str]:
    """``a``, ``b`` for plain arguments; ``params[0]``, ``p['w']`` inside pytrees."""
    names = _param_names(fun, len(in_tree.children))
    return leaf_paths(zip(in_tree.children, names))


def _explain_flat(flat, leaves, names, notation: Notation, title: str) -> Report:
    staged = make_jaxpr(flat)(*leaves)
    if len(staged.jaxpr.outvars) != 1:
        raise ExplainError("explain: the function must return one array, but it returns "
                           f"{len(staged.jaxpr.outvars)}")
    closed = inline_calls(staged)  # a jit inside the function: explain its equations
    traces = build_traces(closed, leaves, names, notation)
    point = "at " + ", ".join(f"{n} = {notation.number(x)}" for n, x in zip(names, leaves))
    diff = [i for i, x in enumerate(leaves) if is_inexact(np.asarray(x).dtype)]
    gradient, checks, note = _gradient(flat, leaves, names, diff, traces, notation)
    irs = _irs(flat, leaves, diff, closed, inlined=closed is not staged)
    return Report(traces, title=title, point=point, gradient=gradient, checks=checks, irs=irs,
                  note=note)


def _closing(flat, leaves, diff):
    """``flat`` as a function of the floating-point leaves only."""

    def g(*xs):
        full = list(leaves)
        for i, x in zip(diff, xs):
            full[i] = x
        return flat(*full)

    return g


def _gradient(flat, leaves, names, diff, traces: Traces, nt: Notation):
    """``funcad.grad`` of the function, and checks that the traces agree with it and with
    ``funcad.jvp``."""
    value = np.asarray(traces.value)
    if not diff:
        return None, [], "No input is floating point: nothing to differentiate."
    if value.shape != () or not is_float(value.dtype):
        return None, [], (f"The output is {value.dtype}{list(value.shape)}, not a real scalar, "
                          "so there is no gradient; the adjoint trace above is seeded with "
                          "ones (it computes the gradient of sum(r)).")
    g = _closing(flat, leaves, diff)
    if "reverse" in traces.errors:
        return None, [], f"No gradient: {traces.errors['reverse']}"
    _, grads = value_and_grad(g, argnums=tuple(range(len(diff))))(*[leaves[i] for i in diff])
    gradient = {names[i]: np.asarray(gr) for i, gr in zip(diff, grads)}
    problems = []
    for name, gr in gradient.items():
        if not np.allclose(traces.adjoints[name], gr, rtol=1e-9, atol=1e-12, equal_nan=True):
            problems.append(f"{nt.adjoint(name)} of the adjoint trace differs from funcad.grad")
    primals = tuple(leaves[i] for i in diff)
    for k, i in enumerate(diff if "forward" not in traces.errors else []):
        tangents = tuple(np.ones_like(p) if j == k else np.zeros_like(p)
                         for j, p in enumerate(primals))
        _, t_out = jvp(g, primals, tangents)
        if not np.allclose(traces.derivatives[names[i]], t_out, rtol=1e-9, atol=1e-12,
                           equal_nan=True):
            problems.append(f"the forward sweep seeded at {names[i]} differs from funcad.jvp")
    if problems:
        return gradient, ["WARNING: " + p for p in problems], ""
    ok = (f"(the same as the adjoint trace's {', '.join(nt.adjoint(names[i]) for i in diff)} "
          "and the forward sweeps' results)")
    return gradient, [ok], ""


def _irs(flat, leaves, diff, closed, inlined: bool) -> list[tuple[str, str]]:
    how = "funcad.make_jaxpr, calls inlined" if inlined else "funcad.make_jaxpr"
    irs = [(f"IR ({how}): the evaluation trace above", str(closed))]
    if not diff or not is_inexact(closed.jaxpr.outvars[0].aval.dtype):
        return irs
    g = _closing(flat, leaves, diff)
    primals = [leaves[i] for i in diff]
    try:
        out, jvp_fun = linearize(g, *primals)
        irs.append(("Linearized IR (funcad.linearize): inputs are the tangents, primal values "
                    "folded in", str(jvp_fun.linear_jaxpr)))
        _, pullback = vjp(g, *primals)
        transposed = make_jaxpr(lambda ct: pullback(ct))(np.ones_like(np.asarray(out)))
        irs.append(("Transposed IR (funcad.vjp): the linearized IR run backwards, "
                    "the output's adjoint in, the inputs' adjoints out", str(transposed)))
    except (FuncadError, NotImplementedError):
        pass  # the traces above say why
    return irs


__all__ = ["explain"]
