"""The evaluation, tangent and adjoint traces of a function, computed from funcad's IR.

- The **evaluation trace** is the function's own IR (``make_jaxpr``), one row per equation,
  evaluated equation by equation.
- The **tangent trace** stages, for every equation, funcad's JVP of that one primitive
  (``make_jaxpr(jvp(...))``): its formula is the primitive's JVP rule written in the names of
  the table, and evaluating that staged IR, equation after equation, is a forward-mode sweep,
  one per seeded input.
- The **adjoint trace** stages, for every equation, funcad's VJP of that primitive, which is
  linearize followed by transposition (``backward_pass`` with the transpose rules). Walking
  the equations backwards and adding each operand's contribution is the reverse sweep; a
  variable used more than once receives several contributions, shown as ``+=`` steps.

Nothing here is written per primitive: new primitives explain themselves through their
rules. The numbers are checked against ``funcad.jvp`` and ``funcad.grad`` by the tests.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from funcad.ad import jvp, vjp
from funcad.api import make_jaxpr
from funcad.core.dtypes import is_inexact
from funcad.errors import FuncadError
from funcad.explain.notation import Notation
from funcad.explain.parse import ExplainError
from funcad.explain.render import Expr, const_text, fmt_param, render_eqn, render_jaxpr
from funcad.ir.core import ClosedJaxpr, Eqn, Jaxpr, Literal, Var
from funcad.ir.eval import eval_jaxpr
from funcad.ir.passes import dce
from funcad.ir.pretty import VarNames, pp_atom, pp_binder


@dataclass
class EvalRow:
    """One row of the evaluation trace: ``name = definition = value``."""

    name: str
    kind: str  # "input", "constant", "equation" or "output" (an output that is an input)
    definition: str
    value: np.ndarray
    ir: str  # the IR equation (or binder) this row comes from


@dataclass
class TangentRow:
    """One row of the tangent trace; ``values[k]`` is for the k-th seed."""

    name: str  # ẇ₀
    of: str  # w₀
    definition: str  # ȧ·cos(a), or "seed"
    values: list


@dataclass
class AdjointStep:
    """One step of the reverse sweep: ``adjoint op expression`` (op: seed, = or +=)."""

    target: str  # the primal name, b
    adjoint: str  # b̄
    op: str
    expression: str
    contribution: np.ndarray
    value: np.ndarray  # the adjoint after this step


@dataclass
class Traces:
    """All three traces of one function at one point."""

    notation: Notation
    inputs: list[str]  # names of the flat inputs, in order
    output: str  # r
    value: np.ndarray
    evaluation: list[EvalRow]
    seeds: list[str]  # the inputs given a tangent (floating point ones)
    tangent: list[TangentRow]
    derivatives: dict[str, np.ndarray]  # ṙ for each seed: ∂r/∂seed (times ones)
    adjoint: list[AdjointStep]
    adjoints: dict[str, np.ndarray]  # the final adjoint of each seeded input
    names: dict = field(repr=False, default_factory=dict)  # Var -> name
    closed: ClosedJaxpr | None = field(repr=False, default=None)  # the function's IR
    errors: dict[str, str] = field(default_factory=dict)  # "forward"/"reverse" -> why not

    def final_adjoints(self) -> dict[str, np.ndarray]:
        """The adjoint of every variable that received one, after the reverse sweep."""
        out: dict[str, np.ndarray] = {}
        for step in self.adjoint:
            out[step.target] = step.value
        return out


def _is_float(aval) -> bool:
    return is_inexact(aval.dtype)


def _pick_base(taken: set[str], candidates: Sequence[str]) -> str:
    """A letter for intermediates (w) whose indexed names (w₀, w1) no input already has."""
    for base in candidates:
        pattern = re.compile(re.escape(base) + r"[0-9₀-₉]*")
        if not any(pattern.fullmatch(t) for t in taken):
            return base
    return candidates[-1] + "_"


def _name_vars(jaxpr: Jaxpr, arg_names: Sequence[str], notation: Notation):
    names: dict[Var, str] = dict(zip(jaxpr.invars, arg_names))
    taken = set(arg_names)
    out = jaxpr.outvars[0]
    out_name = next(n for n in ("r", "y", "out", "result") if n not in taken)
    base = _pick_base(taken, ["w", "v", "u", "t"])
    cbase = _pick_base(taken | {base}, ["c", "k", "q"])
    for i, v in enumerate(jaxpr.constvars):
        names[v] = notation.indexed(cbase, i)
    k = 0
    for eqn in jaxpr.eqns:
        for v in eqn.outvars:
            if v is out:
                names[v] = out_name
            else:
                names[v] = notation.indexed(base, k)
                k += 1
    return names, out_name


def _ir_lines(jaxpr: Jaxpr) -> tuple[dict, list[str]]:
    """The IR's own text for binders and equations, with the names ``str(jaxpr)`` uses,
    on one line each (sub-IRs of call primitives are elided as ``{…}``)."""
    names = VarNames()
    binders = {v: pp_binder(v, names) for v in (*jaxpr.constvars, *jaxpr.invars)}
    lines = []
    for e in jaxpr.eqns:
        params = " ".join(f"{k}={fmt_param(v)}" for k, v in e.params.items())
        rhs = " ".join(pp_atom(x, names) for x in e.invars)
        lhs = " ".join(pp_binder(v, names) for v in e.outvars) or "_"
        head = f"{e.primitive.name}[{params}]" if params else e.primitive.name
        lines.append(f"{lhs} = {head} {rhs}".rstrip())
    return binders, lines


def _operand_value(x, env):
    return x.val if type(x) is Literal else env[x]


class _RuleStager:
    """Stages funcad's JVP or VJP of a single equation, with one argument per operand
    position (so a variable used twice gets two contributions in reverse mode)."""

    def __init__(self, eqn: Eqn, active: set):
        self.eqn = eqn
        self.var_pos = [i for i, x in enumerate(eqn.invars) if type(x) is Var]
        self.active_pos = [i for i in self.var_pos if eqn.invars[i] in active]

    def _apply(self, var_vals, active_vals):
        eqn = self.eqn
        full = [x.val if type(x) is Literal else None for x in eqn.invars]
        for i, v in zip(self.var_pos, var_vals):
            full[i] = v
        for i, v in zip(self.active_pos, active_vals):
            full[i] = v
        out = eqn.primitive.bind(*full, **eqn.params)
        return list(out) if eqn.primitive.multiple_results else out

    def jvp(self, var_vals) -> ClosedJaxpr:
        m = len(self.var_pos)

        def tangents_out(*xs):
            vals, tans = xs[:m], xs[m:]
            act = [vals[self.var_pos.index(i)] for i in self.active_pos]
            _, t_out = jvp(lambda *a: self._apply(vals, a), tuple(act), tuple(tans))
            return t_out

        tangent_examples = [var_vals[self.var_pos.index(i)] for i in self.active_pos]
        return make_jaxpr(tangents_out)(*var_vals, *tangent_examples)

    def vjp(self, var_vals, ct_examples) -> ClosedJaxpr:
        m = len(self.var_pos)
        multiple = self.eqn.primitive.multiple_results

        def contributions(*xs):
            vals, cts = xs[:m], xs[m:]
            act = [vals[self.var_pos.index(i)] for i in self.active_pos]
            _, pullback = vjp(lambda *a: self._apply(vals, a), *act)
            return list(pullback(list(cts) if multiple else cts[0]))

        return make_jaxpr(contributions)(*var_vals, *ct_examples)


def _render(closed: ClosedJaxpr, names: list[str], values: list, alias, notation: Notation):
    """Formulas of a staged rule; the first ``len(values)`` inputs are the primal point."""
    jaxpr = dce(closed.jaxpr)
    consts = [c for v, c in zip(closed.jaxpr.constvars, closed.consts) if v in set(jaxpr.constvars)]
    known = dict(zip(jaxpr.invars, values))
    return render_jaxpr(jaxpr, consts, dict(zip(jaxpr.invars, names)), notation,
                        values=known, aliases=[alias])


def _alias(eqn: Eqn, names, notation: Notation):
    """The equation itself, as it reappears inside its own derivative rules."""
    texts = [const_text(x.val, notation).text if type(x) is Literal else names[x]
             for x in eqn.invars]
    return eqn, texts, [names[v] for v in eqn.outvars]


def _eval(closed: ClosedJaxpr, args) -> list:
    return [np.asarray(o) for o in eval_jaxpr(closed.jaxpr, closed.consts, *args)]


def build_traces(closed: ClosedJaxpr, args: Sequence, arg_names: Sequence[str],
                 notation: Notation | None = None) -> Traces:
    """Evaluate ``closed`` at ``args`` and build its three traces."""
    notation = notation or Notation()
    jaxpr = closed.jaxpr
    if len(jaxpr.outvars) != 1:
        raise ExplainError(
            f"explain: the function must return one array, but it returns {len(jaxpr.outvars)}"
        )
    names, out_name = _name_vars(jaxpr, arg_names, notation)
    env: dict[Var, np.ndarray] = {v: np.asarray(c) for v, c in zip(jaxpr.constvars, closed.consts)}
    env.update((v, np.asarray(a)) for v, a in zip(jaxpr.invars, args))
    evaluation = _evaluation_trace(jaxpr, env, names, out_name, notation)
    out = jaxpr.outvars[0]
    value = np.asarray(_operand_value(out, env))
    active, stagers = _active_equations(jaxpr)
    seeds = [v for v in jaxpr.invars if _is_float(v.aval)]
    errors: dict[str, str] = {}
    try:
        tangent, derivatives = _tangent_trace(jaxpr, env, names, seeds, stagers, notation)
    except (FuncadError, NotImplementedError) as e:  # a primitive without a JVP rule
        tangent, derivatives, errors["forward"] = [], {}, _first_line(e)
    try:
        adjoint, adjoints = _adjoint_trace(jaxpr, env, names, seeds, stagers, notation,
                                           out_name, active)
    except (FuncadError, NotImplementedError) as e:  # e.g. reverse mode of while_loop
        adjoint, adjoints, errors["reverse"] = [], {}, _first_line(e)
    if type(out) is Var and out in jaxpr.invars:  # r is an input: ṙ is that input's tangent
        derivatives = {names[s]: (np.ones_like(env[s]) if s is out else np.zeros_like(value))
                       for s in seeds}
    return Traces(notation=notation, inputs=list(arg_names), output=out_name, value=value,
                  evaluation=evaluation, seeds=[names[s] for s in seeds], tangent=tangent,
                  derivatives=derivatives, adjoint=adjoint, adjoints=adjoints, names=names,
                  closed=closed, errors=errors)


def _evaluation_trace(jaxpr: Jaxpr, env: dict, names: dict, out_name: str,
                      notation: Notation) -> list[EvalRow]:
    """Evaluate the equations in order (filling ``env``), one row per variable."""
    binders, eqn_lines = _ir_lines(jaxpr)
    rows = [EvalRow(names[v], "constant", "constant", env[v], binders[v])
            for v in jaxpr.constvars]
    rows += [EvalRow(names[v], "input", "input", env[v], binders[v]) for v in jaxpr.invars]
    for eqn, line in zip(jaxpr.eqns, eqn_lines):
        out = eqn.primitive.bind(*[_operand_value(x, env) for x in eqn.invars], **eqn.params)
        outs = out if eqn.primitive.multiple_results else [out]
        env.update((v, np.asarray(o)) for v, o in zip(eqn.outvars, outs))
        exprs = [const_text(x.val, notation) if type(x) is Literal else Expr(names[x])
                 for x in eqn.invars]
        for v, e in zip(eqn.outvars, render_eqn(eqn, exprs, notation)):
            rows.append(EvalRow(names[v], "equation", e.text, env[v], line))
    out = jaxpr.outvars[0]
    if type(out) is Literal or out in jaxpr.invars or out in jaxpr.constvars:
        text = const_text(out.val, notation).text if type(out) is Literal else names[out]
        value = np.asarray(_operand_value(out, env))
        rows.append(EvalRow(out_name, "output", text, value, "(output)"))
    return rows


def _active_equations(jaxpr: Jaxpr) -> tuple[set, dict[int, _RuleStager]]:
    """Variables that depend on a floating-point input (activity analysis), and a rule
    stager for each equation with an active operand and floating-point outputs."""
    active = {v for v in jaxpr.invars if _is_float(v.aval)}
    stagers: dict[int, _RuleStager] = {}
    for k, eqn in enumerate(jaxpr.eqns):
        if any(type(x) is Var and x in active for x in eqn.invars):
            if all(_is_float(v.aval) for v in eqn.outvars):
                stagers[k] = _RuleStager(eqn, active)
                active.update(eqn.outvars)
    return active, stagers


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def _tangent_trace(jaxpr, env, names, seeds, stagers, notation):
    """Forward sweeps, one per seed, through the staged JVP of every active equation."""
    n = len(seeds)
    t_env: dict[Var, list] = {}
    rows = []
    for k, s in enumerate(seeds):
        t_env[s] = [np.ones_like(env[s]) if j == k else np.zeros_like(env[s]) for j in range(n)]
        rows.append(TangentRow(notation.tangent(names[s]), names[s], "seed", t_env[s]))
    for k, eqn in enumerate(jaxpr.eqns):
        stager = stagers.get(k)
        if stager is None:
            continue
        var_vals = [env[eqn.invars[i]] for i in stager.var_pos]
        staged = stager.jvp(var_vals)
        arg_names = [names[eqn.invars[i]] for i in stager.var_pos]
        arg_names += [notation.tangent(names[eqn.invars[i]]) for i in stager.active_pos]
        formulas = _render(staged, arg_names, var_vals, _alias(eqn, names, notation), notation)
        per_seed = []
        for j in range(n):
            tans = [t_env[eqn.invars[i]][j] for i in stager.active_pos]
            per_seed.append(_eval(staged, [*var_vals, *tans]))
        for o, v in enumerate(eqn.outvars):
            t_env[v] = [per_seed[j][o] for j in range(n)]
            rows.append(TangentRow(notation.tangent(names[v]), names[v], formulas[o], t_env[v]))
    out = jaxpr.outvars[0]
    derivatives = {}
    for j, s in enumerate(seeds):
        t = t_env.get(out) if type(out) is Var else None
        derivatives[names[s]] = t[j] if t is not None else np.zeros_like(
            np.asarray(_operand_value(out, env)))
    return rows, derivatives


def _adjoint_trace(jaxpr, env, names, seeds, stagers, notation, out_name, active):
    """The reverse sweep through the staged VJP (linearize + transpose) of every equation."""
    out = jaxpr.outvars[0]
    ct: dict[Var, np.ndarray] = {}
    steps: list[AdjointStep] = []
    seed = np.ones_like(np.asarray(_operand_value(out, env)))
    r_bar = notation.adjoint(out_name)
    steps.append(AdjointStep(out_name, r_bar, "seed", "1", seed, seed))
    if type(out) is Var and out in active:
        ct[out] = seed
        if names[out] != out_name:  # the output is an input: r = a, so ā = r̄
            steps.append(AdjointStep(names[out], notation.adjoint(names[out]), "=", r_bar,
                                     seed, seed))
    for k in reversed(range(len(jaxpr.eqns))):
        eqn = jaxpr.eqns[k]
        stager = stagers.get(k)
        if stager is None or not any(v in ct for v in eqn.outvars):
            continue
        var_vals = [env[eqn.invars[i]] for i in stager.var_pos]
        cts = [ct.get(v, np.zeros_like(env[v])) for v in eqn.outvars]
        staged = stager.vjp(var_vals, cts)
        arg_names = [names[eqn.invars[i]] for i in stager.var_pos]
        arg_names += [notation.adjoint(names[v]) for v in eqn.outvars]
        formulas = _render(staged, arg_names, var_vals, _alias(eqn, names, notation), notation)
        values = _eval(staged, [*var_vals, *cts])
        for i, formula, c in zip(stager.active_pos, formulas, values):
            v = eqn.invars[i]
            if v in ct:
                ct[v] = ct[v] + c
                op = "+="
            else:
                ct[v] = c
                op = "="
            steps.append(AdjointStep(names[v], notation.adjoint(names[v]), op, formula, c, ct[v]))
    adjoints = {names[s]: np.asarray(ct.get(s, np.zeros_like(env[s]))) for s in seeds}
    for s in seeds:
        if s not in ct:
            zero = np.zeros_like(env[s])
            steps.append(AdjointStep(names[s], notation.adjoint(names[s]), "=",
                                     "0 (unused)", zero, zero))
    return steps, adjoints


__all__ = ["AdjointStep", "EvalRow", "TangentRow", "Traces", "build_traces"]
