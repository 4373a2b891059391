"""``jacobian_sparsity`` and ``hessian_sparsity``: stage the function once for the argument
types and read its pattern off the IR with the sparsity interpreter.

The columns are the elements of the differentiated arguments, flattened leaf by leaf in
pytree order and concatenated; the rows of a Jacobian pattern are the elements of the
outputs, flattened the same way. Arguments not in ``argnums`` are abstract too (their
values may change between calls), so the pattern holds for every argument value.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from funcad.ad import _check_grad_input
from funcad.api import normalize_argnums
from funcad.core import dtypes
from funcad.core.avals import ShapedArray
from funcad.core.trace import get_aval
from funcad.errors import FuncadTypeError, with_user_line
from funcad.interpreters.staging import trace_to_jaxpr
from funcad.ir.core import ClosedJaxpr
from funcad.sparse.index_sets import IndexSets, to_csr
from funcad.sparse.interpreter import Context
from funcad.tree_util import tree_flatten, tree_unflatten


@dataclass(frozen=True)
class Staged:
    """A function staged for one signature: the IR over all argument leaves, which leaves
    are differentiated (and their column offsets), and the output leaves' types."""

    closed: ClosedJaxpr
    diff_leaf: tuple[bool, ...]
    in_avals: tuple[ShapedArray, ...]
    out_avals: tuple[ShapedArray, ...]

    @property
    def n(self) -> int:
        return sum(a.size for a, d in zip(self.in_avals, self.diff_leaf) if d)

    @property
    def m(self) -> int:
        return sum(a.size for a in self.out_avals)


def signature(args, kwargs, argnums, transform: str):
    """The cache key of a call: argnums, the pytree structure and every leaf's type."""
    nums = normalize_argnums(argnums, len(args), transform)
    for i in nums:
        _check_grad_input(args[i], i, transform)
    leaves, tree = tree_flatten((args, kwargs))
    return (nums, tree, tuple(get_aval(x) for x in leaves)), leaves


def stage(fun, args, kwargs, nums, transform: str) -> Staged:
    """Trace ``fun`` over abstract values of every argument leaf."""
    leaves, tree = tree_flatten((args, kwargs))
    diff = []
    for i, a in enumerate(args):
        diff += [i in nums] * len(tree_flatten(a)[0])
    diff += [False] * (len(leaves) - len(diff))
    in_avals = tuple(get_aval(x).strip_weak_type() for x in leaves)

    def flat_fun(*flat):
        a, kw = tree_unflatten(tree, flat)
        return tree_flatten(fun(*a, **kw))[0]

    closed = trace_to_jaxpr(flat_fun, list(in_avals), name=transform)
    return Staged(closed, tuple(diff), in_avals, tuple(closed.out_avals))


def propagate(staged: Staged, hessian: bool):
    """The output patterns of ``staged`` (one ``Pattern`` per output leaf)."""
    n = staged.n
    ctx = Context(n, hessian)
    ins, offset = [], 0
    for aval, d in zip(staged.in_avals, staged.diff_leaf):
        p = ctx.empty(aval.size)
        if d:
            p.jac = IndexSets.identity(aval.size, offset, n)
            offset += aval.size
        ins.append(p)
    return ctx.run(staged.closed, ins)


def jacobian_pattern(staged: Staged):
    """The boolean ``csr_array`` (outputs x inputs) of ``staged``."""
    outs = propagate(staged, hessian=False)
    sets = [o.jac for o in outs]
    indptr, offset = [np.zeros(1, np.int64)], 0
    for s in sets:
        indptr.append(s.indptr[1:] + offset)
        offset += s.nnz
    stacked = IndexSets(np.concatenate(indptr),
                        np.concatenate([s.indices for s in sets] or [np.zeros(0, np.int64)]),
                        staged.n)
    return to_csr(stacked, (staged.m, staged.n))


def hessian_pattern(staged: Staged, transform: str):
    """The boolean ``csr_array`` (inputs x inputs) of a scalar-valued ``staged``."""
    if len(staged.out_avals) != 1 or staged.out_avals[0].size != 1 or not dtypes.is_inexact(
            staged.out_avals[0].dtype):
        got = ", ".join(a.str_short() for a in staged.out_avals)
        raise FuncadTypeError(with_user_line(
            f"{transform} needs a function with one floating-point scalar output, got ({got})"))
    (out,) = propagate(staged, hessian=True)
    n = staged.n
    rows, cols = np.divmod(out.hess.indices, n)
    return to_csr(IndexSets.from_pairs(rows, cols, n, n), (n, n))


def jacobian_sparsity(fun, argnums=0):
    """The structural nonzero pattern of the Jacobian of ``fun`` w.r.t. ``args[argnums]``,
    read from the IR: a boolean ``scipy.sparse.csr_array`` of shape (output elements, input
    elements), valid for every input value of the traced shapes (control flow is taken
    conservatively)."""

    def pattern(*args, **kwargs):
        (nums, _, _), _ = signature(args, kwargs, argnums, "jacobian_sparsity")
        return jacobian_pattern(stage(fun, args, kwargs, nums, "jacobian_sparsity"))

    return pattern


def hessian_sparsity(fun, argnums=0):
    """The structural nonzero pattern of the Hessian of the scalar function ``fun`` w.r.t.
    ``args[argnums]``: a symmetric boolean ``csr_array`` (input elements squared). It tracks
    second-order interactions: ``sin(x) * y`` couples x and y; ``x + y`` couples nothing."""

    def pattern(*args, **kwargs):
        (nums, _, _), _ = signature(args, kwargs, argnums, "hessian_sparsity")
        return hessian_pattern(stage(fun, args, kwargs, nums, "hessian_sparsity"),
                               "hessian_sparsity")

    return pattern
