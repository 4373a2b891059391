"""``sparse_jacobian`` and ``sparse_hessian``: pattern (detected or given), coloring and
compressed evaluation, cached per signature.

Rows and columns are the flattened elements of the outputs and of the differentiated
arguments, leaf by leaf in pytree order (for one array in and one out: ``out.size`` by
``x.size``, the ``jacfwd`` result reshaped to a matrix).
"""
from __future__ import annotations

import functools

import numpy as np

from funcad.errors import FuncadError, FuncadValueError, with_user_line
from funcad.sparse.coloring import color_columns, color_rows, star_coloring, star_recovery
from funcad.sparse.compressed import Plan, Structure, compile_program, result, run, seed_leaves
from funcad.sparse.detection import (
    Staged,
    hessian_pattern,
    jacobian_pattern,
    signature,
    stage,
)


def _user_pattern(sparsity, shape: tuple[int, int], transform: str):
    """A user's pattern (any SciPy sparse matrix or array, or a dense array) as a boolean
    CSR array of ``shape``."""
    import scipy.sparse as sp

    pattern = (sp.csr_array(sparsity) if sp.issparse(sparsity)
               else sp.csr_array(np.asarray(sparsity)))
    if pattern.shape != shape:
        raise FuncadValueError(with_user_line(
            f"{transform}: sparsity has shape {pattern.shape}, but the derivative has shape "
            f"{shape} (output elements x input elements, flattened)"))
    pattern = (pattern != 0).astype(bool).tocsr()
    pattern.sort_indices()
    return pattern


def _index_array(read: np.ndarray) -> np.ndarray:
    """Positions to gather, ``(nnz, 2)``, in int32 when they fit (XLA gathers them faster)."""
    read = read.reshape(-1, 2)
    return read.astype(np.int32 if read.size == 0 or read.max() < 2 ** 31 else np.int64)


def _diff_avals(staged: Staged):
    return [a for a, d in zip(staged.in_avals, staged.diff_leaf) if d]


def _structure(pattern) -> Structure:
    return Structure(pattern.indices.astype(np.int32 if pattern.nnz < 2 ** 31 else np.int64),
                     pattern.indptr.astype(np.int64), pattern.shape)


def jacobian_plan(staged: Staged, mode: str, sparsity, transform: str) -> Plan:
    shape = (staged.m, staged.n)
    pattern = (jacobian_pattern(staged) if sparsity is None
               else _user_pattern(sparsity, shape, transform))
    rows = np.repeat(np.arange(shape[0]), np.diff(pattern.indptr))
    cols = pattern.indices
    use, colors = mode, None
    if mode in ("fwd", "auto"):
        colors = color_columns(pattern)
    if mode in ("rev", "auto"):
        row_colors = color_rows(pattern)
        if mode == "rev" or (len(row_colors) and (not len(colors) or
                                                   row_colors.max() < colors.max())):
            use, colors = "rev", row_colors
        else:
            use = "fwd"
    ncolors = int(colors.max()) + 1 if pattern.nnz else 0
    if use == "fwd":
        seeds = seed_leaves(colors, ncolors, _diff_avals(staged))
        read = np.stack([colors[cols], rows], axis=1)
    else:
        seeds = seed_leaves(colors, ncolors, staged.out_avals)
        read = np.stack([colors[rows], cols], axis=1)
    dtype = np.result_type(*[a.dtype for a in staged.out_avals], np.float32)
    return Plan(use, ncolors, seeds, _index_array(read), _structure(pattern), dtype)


def hessian_plan(staged: Staged, sparsity, transform: str) -> Plan:
    n = staged.n
    if sparsity is None:
        pattern = hessian_pattern(staged, transform)
    else:
        pattern = _user_pattern(sparsity, (n, n), transform)
        pattern = ((pattern + pattern.T) != 0).astype(bool).tocsr()
        pattern.sort_indices()
    colors = star_coloring(pattern)
    ncolors = int(colors.max()) + 1 if pattern.nnz else 0
    row, color = star_recovery(pattern, colors) if pattern.nnz else (np.zeros(0, int),) * 2
    seeds = seed_leaves(colors, ncolors, _diff_avals(staged))
    read = _index_array(np.stack([color, row], axis=1))
    return Plan("hvp", ncolors, seeds, read, _structure(pattern), staged.out_avals[0].dtype)


class _SparseDerivative:
    """The callable ``sparse_jacobian``/``sparse_hessian`` return: plans cached per
    signature, ``num_colors`` of the last call."""

    def __init__(self, fun, argnums, transform: str, make_plan, fallback=None):
        functools.update_wrapper(self, fun)
        self._fun, self._argnums, self._transform = fun, argnums, transform
        self._make_plan, self._fallback = make_plan, fallback
        self._plans: dict = {}
        self.num_colors: int | None = None

    def __call__(self, *args, **kwargs):
        key, _ = signature(args, kwargs, self._argnums, self._transform)
        plan = self._plans.get(key)
        nums = key[0]
        if plan is None:
            staged = stage(self._fun, args, kwargs, nums, self._transform)
            plan = self._make_plan(staged)
            try:
                plan = compile_program(plan, self._fun, args, kwargs, nums, self._transform)
            except FuncadError:
                if self._fallback is None or plan.mode != "rev":
                    raise
                # mode="auto" chose reverse mode for a program it cannot reverse (a while
                # loop of unknown trip count): forward mode computes the same matrix
                plan = compile_program(self._fallback(staged), self._fun, args, kwargs, nums,
                                       self._transform)
            self._plans[key] = plan
        self.num_colors = plan.ncolors
        data = run(plan, self._fun, args, kwargs, nums)
        return result(data, plan.structure)

    def plan(self, *args, **kwargs) -> Plan:
        """The cached plan of this signature (pattern structure, colors, seeds)."""
        key, _ = signature(args, kwargs, self._argnums, self._transform)
        if key not in self._plans:
            self(*args, **kwargs)
        return self._plans[key]


def sparse_jacobian(fun, argnums=0, *, mode: str = "auto", sparsity=None):
    """The Jacobian of ``fun`` as a ``scipy.sparse.csr_array`` (output elements x input
    elements), computed with one JVP per column color (``mode="fwd"``), one VJP per row
    color (``"rev"``), or whichever needs fewer (``"auto"``). ``sparsity`` (any SciPy sparse
    or dense boolean matrix of that shape) replaces pattern detection. Works under ``jit``;
    ``.num_colors`` is the number of products of the last call."""
    if mode not in ("fwd", "rev", "auto"):
        raise FuncadValueError(with_user_line(
            f"sparse_jacobian: mode must be 'fwd', 'rev' or 'auto', not {mode!r}"))
    return _SparseDerivative(
        fun, argnums, "sparse_jacobian",
        lambda staged: jacobian_plan(staged, mode, sparsity, "sparse_jacobian"),
        (lambda staged: jacobian_plan(staged, "fwd", sparsity, "sparse_jacobian"))
        if mode == "auto" else None)


def sparse_hessian(fun, argnums=0, *, sparsity=None):
    """The Hessian of the scalar function ``fun`` as a ``scipy.sparse.csr_array``, computed
    with one Hessian-vector product (forward over reverse) per color of a star coloring of
    its pattern, each nonzero read directly. ``sparsity`` replaces pattern detection. Works
    under ``jit``; ``.num_colors`` is the number of HVPs of the last call."""
    return _SparseDerivative(fun, argnums, "sparse_hessian",
                             lambda staged: hessian_plan(staged, sparsity, "sparse_hessian"))
