"""Compressed evaluation: the seeds of a coloring pushed through ``linearize``'s linear IR
with ``vmap`` (one JVP, VJP or HVP per color), and the read-out of the nonzeros into the
data array of a CSR matrix.

A ``Plan`` holds everything that depends on the signature only: the pattern, the colors, the
seed arrays, the flat positions to read and the CSR index arrays. It is built once per
signature; a call (eager or staged under ``jit``) evaluates the compressed products and one
gather. Under ``jit`` the result is a ``TracedCSR`` that becomes a ``csr_array`` when the
compiled program returns its data.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

import funcad.numpy as fnp
from funcad.ad import grad, linearize, vjp
from funcad.core.trace import Tracer, get_aval
from funcad.interpreters.staging import trace_to_jaxpr
from funcad.ir.core import ClosedJaxpr
from funcad.ir.eval import eval_jaxpr
from funcad.ir.passes import optimize
from funcad.ops.indexing import gather
from funcad.sparse.folding import fold_constants
from funcad.tree_util import register_pytree_node, tree_flatten, tree_unflatten
from funcad.vmap import vmap


class Structure:
    """The static part of a CSR result: index arrays and shape (compared by identity, as
    one object is made per signature)."""

    __slots__ = ("indices", "indptr", "shape", "_template")

    def __init__(self, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]):
        self.indices, self.indptr, self.shape = indices, indptr, shape
        self._template = None

    def build(self, data):
        """A ``scipy.sparse.csr_array`` with this structure and ``data``: SciPy checks the
        structure once (on a template); each result is a shallow copy with its own data."""
        data = np.asarray(data)
        if self._template is None:
            import scipy.sparse as sp

            self._template = sp.csr_array((data, self.indices, self.indptr), shape=self.shape)
        template = self._template
        if data.dtype != template.data.dtype or data.shape != template.data.shape:
            import scipy.sparse as sp

            return sp.csr_array((data, self.indices, self.indptr), shape=self.shape)
        out = object.__new__(type(template))
        out.__dict__.update(template.__dict__)
        out.data = data
        return out


class TracedCSR:
    """A sparse result whose data is still being traced (inside ``jit``): it is a pytree
    with the data as its one leaf, so the compiled function returns a ``csr_array``."""

    __slots__ = ("data", "structure")

    def __init__(self, data, structure: Structure):
        self.data, self.structure = data, structure

    shape = property(lambda self: self.structure.shape)

    def __repr__(self):
        return f"TracedCSR(shape={self.shape}, nnz={len(self.structure.indices)})"


def _unflatten(structure: Structure, leaves):
    (data,) = leaves
    if isinstance(data, Tracer) or not hasattr(data, "shape"):
        return TracedCSR(data, structure)
    return structure.build(data)


register_pytree_node(TracedCSR, lambda t: ([t.data], t.structure), _unflatten)


def result(data, structure: Structure):
    return _unflatten(structure, [data])


@dataclass(frozen=True)
class Plan:
    """One signature's compressed evaluation: ``mode`` ("fwd", "rev" or "hvp"), the seed
    leaves (one array ``(ncolors, *shape)`` per seeded leaf), the position ``(color,
    element)`` in the compressed products of each nonzero, and the CSR structure."""

    mode: str
    ncolors: int
    seeds: tuple
    read: np.ndarray
    structure: Structure
    dtype: np.dtype  # of the data when there is nothing to compute
    program: ClosedJaxpr | None = None  # argument leaves -> data, constants folded


def seed_leaves(colors: np.ndarray, ncolors: int, avals) -> tuple:
    """Color indicator vectors split into leaves: seed ``c`` is 1 where ``colors == c``."""
    leaves, offset = [], 0
    for aval in avals:
        part = colors[offset:offset + aval.size]
        seed = np.zeros((ncolors, aval.size), aval.dtype)
        if ncolors:
            seed[part, np.arange(aval.size)] = 1
        leaves.append(seed.reshape((ncolors, *aval.shape)))
        offset += aval.size
    return tuple(leaves)


def _stacked_products(leaves, ncolors: int):
    """Compressed products, one leaf ``(ncolors, *shape)`` each, as one ``(ncolors, size)``
    matrix (leaves side by side)."""
    parts = [fnp.reshape(x, (ncolors, -1)) for x in leaves]
    return parts[0] if len(parts) == 1 else fnp.concatenate(parts, axis=1)


def compile_program(plan: Plan, fun, args, kwargs, nums, transform: str) -> Plan:
    """``plan`` with its program: the compressed evaluation staged over the argument leaves
    (abstract), optimized, and its constant part (everything on the seeds alone) folded."""
    if plan.ncolors == 0:
        return plan
    leaves, tree = tree_flatten((args, kwargs))
    in_avals = [get_aval(x).strip_weak_type() for x in leaves]

    def flat_eval(*flat):
        a, kw = tree_unflatten(tree, flat)
        return [evaluate(plan, fun, a, kw, nums)]

    closed = optimize(trace_to_jaxpr(flat_eval, in_avals, name=transform))
    return replace(plan, program=optimize(fold_constants(closed)))


def run(plan: Plan, fun, args, kwargs, nums):
    """The CSR data at ``args``: the plan's program (traceable: it binds primitives)."""
    if plan.program is None:
        return evaluate(plan, fun, args, kwargs, nums)
    leaves = tree_flatten((args, kwargs))[0]
    return eval_jaxpr(plan.program.jaxpr, plan.program.consts, *leaves)[0]


def evaluate(plan: Plan, fun, args, kwargs, nums):
    """The CSR data of the derivative of ``fun`` at ``args`` (traceable)."""
    dyn = tuple(args[i] for i in nums)

    def partial(*diff):
        full = list(args)
        for i, a in zip(nums, diff):
            full[i] = a
        return fun(*full, **kwargs)

    in_tree = tree_flatten(dyn)[1]
    if plan.ncolors == 0:
        return np.zeros(0, plan.dtype)
    if plan.mode == "rev":
        out, pull = vjp(partial, *dyn)
        out_tree = tree_flatten(out)[1]

        def pullback(*ct):
            return tree_flatten(pull(tree_unflatten(out_tree, ct)))[0]

        products = vmap(pullback)(*plan.seeds)
    else:
        target = partial if plan.mode == "fwd" else grad(partial, argnums=tuple(range(len(dyn))))
        _, lin = linearize(target, *dyn)

        def push(*t):
            return tree_flatten(lin(*tree_unflatten(in_tree, t)))[0]

        products = vmap(push)(*plan.seeds)
    return gather(_stacked_products(products, plan.ncolors), plan.read)
