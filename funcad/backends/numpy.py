"""The NumPy executor: a closed IR compiled once into a flat schedule.

Each step of the schedule is ``(kernel, input slots, output slots, slots to free)``: every
variable has a slot in one list; constants and literals are preloaded in a template of
that list; a slot is cleared right after its last use, so intermediates are released as
early as they would be in eager code, and an elementwise step writes into the buffer of an
operand that dies there when it can (``numpy_buffers``). The schedule is then turned into
straight-line Python (one assignment per step, the kernels and constants bound as globals),
so a call does no tracing, no dict lookup by variable and no interpretation beyond the calls
themselves.

It is also the reference interpreter the XLA backend is tested against.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from funcad.backends.numpy_buffers import plan_inplace
from funcad.backends.numpy_kernels import inplace_ufunc, kernel
from funcad.backends.registry import register_backend
from funcad.errors import FuncadValueError
from funcad.ir.core import ClosedJaxpr, Literal

# Above this many steps the schedule is run by a loop instead of generated code (compiling
# a huge function body costs more than it saves).
MAX_GENERATED_STEPS = 20000


@dataclass(frozen=True)
class Step:
    kernel: Callable
    ins: tuple[int, ...]
    outs: tuple[int, ...]
    multiple_results: bool
    frees: tuple[int, ...]
    inplace: int | None = None  # the operand whose buffer receives the result (``out=``)


@dataclass(frozen=True)
class Schedule:
    """The compiled form of one IR (see the module docstring)."""

    steps: tuple[Step, ...]
    template: tuple  # the initial slot values: constants and literals, None elsewhere
    in_slots: tuple[int, ...]
    out_slots: tuple[int, ...]
    owned_outs: tuple[bool, ...]  # False for outputs that are constants (copied per call)
    scalar_outs: tuple[bool, ...]  # outputs of shape ()


def schedule(closed: ClosedJaxpr) -> Schedule:
    """Assign slots, pick kernels, and find the last use of every slot."""
    jaxpr = closed.jaxpr
    slot: dict = {}
    template: list = []

    def new_slot(value=None) -> int:
        template.append(value)
        return len(template) - 1

    const_slots = set()
    for v, c in zip(jaxpr.constvars, closed.consts):
        slot[v] = new_slot(c)
        const_slots.add(slot[v])
    literal_slots: dict = {}

    def read(x) -> int:
        if type(x) is Literal:
            key = x.key()
            if key not in literal_slots:
                literal_slots[key] = new_slot(x.val)
                const_slots.add(literal_slots[key])
            return literal_slots[key]
        return slot[x]

    in_slots = tuple(slot.setdefault(v, new_slot()) for v in jaxpr.invars)
    step_ins, step_outs = [], []
    for eqn in jaxpr.eqns:
        step_ins.append(tuple(read(x) for x in eqn.invars))
        step_outs.append(tuple(slot.setdefault(v, new_slot()) for v in eqn.outvars))
    out_slots = tuple(read(x) for x in jaxpr.outvars)
    last_use: dict[int, int] = {}
    for i, (ins, outs) in enumerate(zip(step_ins, step_outs)):
        for s in (*ins, *outs):
            last_use[s] = i
    keep = set(out_slots) | const_slots | set(in_slots)
    frees: list[list[int]] = [[] for _ in jaxpr.eqns]
    for s, i in last_use.items():
        if s not in keep:
            frees[i].append(s)
    for s in out_slots:
        last_use[s] = len(jaxpr.eqns)  # outputs live on after the schedule
    plan = plan_inplace(jaxpr.eqns, step_ins, step_outs, last_use, const_slots | set(in_slots))
    steps = tuple(
        Step(kernel(eqn) if pos is None else inplace_ufunc(eqn), ins, outs,
             eqn.primitive.multiple_results, tuple(sorted(f)), pos)
        for eqn, ins, outs, f, pos in zip(jaxpr.eqns, step_ins, step_outs, frees, plan)
    )
    owned = tuple(s not in const_slots for s in out_slots)
    scalar = tuple(x.aval.shape == () for x in jaxpr.outvars)
    return Schedule(steps, tuple(template), in_slots, out_slots, owned, scalar)


def _loop_runner(sched: Schedule) -> Callable[..., list]:
    steps = [(s.kernel, s.ins, s.outs[0] if not s.multiple_results else s.outs, s.frees,
              None if s.inplace is None else s.ins[s.inplace]) for s in sched.steps]
    template, in_slots, out_slots = list(sched.template), sched.in_slots, sched.out_slots

    def run(*args):
        env = template.copy()
        for s, a in zip(in_slots, args):
            env[s] = a
        for fn, ins, out, frees, dst in steps:
            operands = [env[i] for i in ins]
            result = fn(*operands) if dst is None else fn(*operands, out=env[dst])
            if type(out) is int:
                env[out] = result
            else:
                for o, r in zip(out, result):
                    env[o] = r
            for f in frees:
                env[f] = None
        return [np.asarray(env[o]) for o in out_slots]

    return run


def _generated_runner(sched: Schedule) -> Callable[..., list]:
    """Straight-line code for the schedule: ``v7 = k3(v2, v5); del v2`` per step."""
    names = {}
    glob: dict = {}
    for s, value in enumerate(sched.template):
        if value is not None:
            names[s] = f"c{s}"
            glob[f"c{s}"] = value
    for s in range(len(sched.template)):
        names.setdefault(s, f"v{s}")
    args = ", ".join(names[s] for s in sched.in_slots)
    lines = [f"def run({args}):"]
    for i, step in enumerate(sched.steps):
        glob[f"k{i}"] = step.kernel
        operands = [names[s] for s in step.ins]
        if step.inplace is not None:
            operands.append(f"out={names[step.ins[step.inplace]]}")
        call = f"k{i}({', '.join(operands)})"
        if step.multiple_results:
            targets = "".join(f"{names[s]}, " for s in step.outs)
            lines.append(f"    ({targets}) = {call}")
        else:
            lines.append(f"    {names[step.outs[0]]} = {call}")
        if step.frees:
            lines.append(f"    del {', '.join(names[s] for s in step.frees)}")
    # 0-d results of NumPy operations are NumPy scalars: outputs are made arrays.
    outs = [f"asarray({names[s]})" if zero_d else names[s]
            for s, zero_d in zip(sched.out_slots, sched.scalar_outs)]
    glob["asarray"] = np.asarray
    lines.append(f"    return [{', '.join(outs)}]")
    code = compile("\n".join(lines), "<funcad numpy executor>", "exec")
    exec(code, glob)
    return glob.pop("run")  # not left in its own globals: no reference cycle


class NumpyExecutable:
    """``exe(*arrays) -> list of NumPy arrays``: runs a compiled schedule."""

    __slots__ = ("schedule", "_run", "_copy_outs")

    def __init__(self, closed: ClosedJaxpr):
        self.schedule = sched = schedule(closed)
        big = len(sched.steps) > MAX_GENERATED_STEPS
        self._run = _loop_runner(sched) if big else _generated_runner(sched)
        # Outputs that are constants are copied, so that callers cannot mutate them.
        self._copy_outs = [i for i, own in enumerate(sched.owned_outs) if not own]

    def __call__(self, *args) -> list:
        outs = self._run(*args)
        for i in self._copy_outs:
            outs[i] = np.array(outs[i], copy=True)
        return outs


def compile_numpy(closed: ClosedJaxpr, device=None) -> NumpyExecutable:
    if device not in (None, "cpu"):
        raise FuncadValueError(f"jit: the numpy backend runs on the CPU, not on {device!r}")
    return NumpyExecutable(closed)


register_backend("numpy", compile_numpy)

__all__ = ["NumpyExecutable", "Schedule", "Step", "compile_numpy", "schedule"]

