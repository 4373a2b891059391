"""Buffer reuse for the NumPy executor: which steps may write their result into the buffer
of an operand that dies at that step (``ufunc(a, b, out=a)``).

That saves an allocation and a pass over cold memory per elementwise operation on large
arrays. A buffer may be overwritten only when the schedule owns it (a kernel made it, so it
is no input, constant or output) and nothing reads it afterwards: neither the operand nor
any value that may alias it (views such as reshapes and broadcasts are grouped with their
source, conservatively). The plan is made once, at compile time, in one forward pass.
"""
from __future__ import annotations

from collections.abc import Sequence

from funcad.backends.numpy_kernels import inplace_ufunc, returns_fresh
from funcad.ir.core import Eqn


class _Groups:
    """Slots that may share memory, with the last step that reads any of them."""

    def __init__(self):
        self.group: dict[int, int] = {}
        self.members: dict[int, list[int]] = {}
        self.pinned: set[int] = set()

    def new(self, s: int, pinned: bool = False) -> None:
        self.group[s] = s
        self.members[s] = [s]
        if pinned:
            self.pinned.add(s)

    def join(self, s: int, others: Sequence[int]) -> None:
        """``s`` may alias every slot of ``others``: merge their groups into one."""
        gids = {self.group[o] for o in others if o in self.group}
        if not gids:
            self.new(s)
            return
        target = max(gids, key=lambda g: len(self.members[g]))
        for g in gids - {target}:
            for m in self.members.pop(g):
                self.group[m] = target
                self.members[target].append(m)
            if g in self.pinned:
                self.pinned.add(target)
        self.group[s] = target
        self.members[target].append(s)


def plan_inplace(eqns: Sequence[Eqn], ins: Sequence[tuple[int, ...]],
                 outs: Sequence[tuple[int, ...]], last_use: dict[int, int],
                 pinned: set[int]) -> list[int | None]:
    """For each step, the position of the operand whose buffer receives the result, or
    ``None``. ``last_use[s]`` is the last step reading slot ``s`` (past the end for the
    program's outputs); ``pinned`` slots (inputs, constants) are never written."""
    groups = _Groups()
    for s in pinned:
        groups.new(s, pinned=True)
    fresh: set[int] = set()
    plan: list[int | None] = []
    for i, eqn in enumerate(eqns):
        choice = None
        if inplace_ufunc(eqn) is not None:
            aval = eqn.outvars[0].aval
            for pos, (x, s) in enumerate(zip(eqn.invars, ins[i])):
                gid = groups.group.get(s)
                if (s in fresh and gid not in groups.pinned and x.aval.shape == aval.shape
                        and max(last_use.get(m, -1) for m in groups.members[gid]) == i):
                    choice = pos
                    break
        plan.append(choice)
        if choice is not None:
            groups.join(outs[i][0], [ins[i][choice]])
            fresh.add(outs[i][0])
        elif returns_fresh(eqn):
            for o in outs[i]:
                groups.new(o)
                fresh.add(o)
        else:
            for o in outs[i]:
                groups.join(o, ins[i])
    return plan


__all__ = ["plan_inplace"]
