"""``IndexSets``: one set of column numbers per row, stored as CSR arrays (NumPy only).

The sparsity interpreter keeps, for each element of each value, the set of input elements it
depends on (the rows of its Jacobian pattern) and the set of input pairs its second
derivatives couple (the rows of its Hessian pattern, pair ``(i, j)`` stored as ``i * n + j``).
Every operation here is a vectorized NumPy pass over the stored entries, so propagation
costs time linear in the pattern sizes.
"""
from __future__ import annotations

import numpy as np

_INDEX = np.int64


class IndexSets:
    """``rows`` sets of ints in ``[0, ncols)``: row ``r`` is
    ``indices[indptr[r]:indptr[r + 1]]``, sorted and unique. Immutable by convention."""

    __slots__ = ("indptr", "indices", "ncols")

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, ncols: int):
        self.indptr = indptr
        self.indices = indices
        self.ncols = ncols

    @property
    def rows(self) -> int:
        return len(self.indptr) - 1

    @property
    def nnz(self) -> int:
        return len(self.indices)

    def __repr__(self):
        return f"IndexSets(rows={self.rows}, ncols={self.ncols}, nnz={self.nnz})"

    @staticmethod
    def empty(rows: int, ncols: int) -> IndexSets:
        return IndexSets(np.zeros(rows + 1, _INDEX), np.zeros(0, _INDEX), ncols)

    @staticmethod
    def identity(rows: int, offset: int, ncols: int) -> IndexSets:
        """Row ``r`` is ``{offset + r}``: the elements of an input."""
        return IndexSets(np.arange(rows + 1, dtype=_INDEX),
                         np.arange(offset, offset + rows, dtype=_INDEX), ncols)

    @staticmethod
    def from_pairs(row_ids: np.ndarray, cols: np.ndarray, rows: int, ncols: int) -> IndexSets:
        """The sets holding each ``cols[k]`` in row ``row_ids[k]`` (repeats allowed)."""
        if len(cols) == 0:
            return IndexSets.empty(rows, ncols)
        row_ids = np.asarray(row_ids, _INDEX)
        cols = np.asarray(cols, _INDEX)
        if rows * ncols < 2 ** 62:
            keys = np.unique(row_ids * ncols + cols)
            row_ids, cols = np.divmod(keys, ncols)
        else:
            order = np.lexsort((cols, row_ids))
            row_ids, cols = row_ids[order], cols[order]
            keep = np.ones(len(cols), bool)
            keep[1:] = (row_ids[1:] != row_ids[:-1]) | (cols[1:] != cols[:-1])
            row_ids, cols = row_ids[keep], cols[keep]
        indptr = np.zeros(rows + 1, _INDEX)
        np.cumsum(np.bincount(row_ids, minlength=rows), out=indptr[1:])
        return IndexSets(indptr, cols, ncols)

    def row_ids(self) -> np.ndarray:
        """The row of each stored entry."""
        return np.repeat(np.arange(self.rows, dtype=_INDEX), np.diff(self.indptr))

    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    def union(self, other: IndexSets) -> IndexSets:
        if other is self or other.nnz == 0:
            return self
        if self.nnz == 0:
            return other
        if self.rows == 1:
            values = np.union1d(self.indices, other.indices)
            return IndexSets(np.array([0, len(values)], _INDEX), values, self.ncols)
        return IndexSets.from_pairs(np.concatenate([self.row_ids(), other.row_ids()]),
                                    np.concatenate([self.indices, other.indices]),
                                    self.rows, self.ncols)

    def take(self, rows: np.ndarray) -> IndexSets:
        """Row ``k`` of the result is row ``rows[k]`` of ``self`` (empty where ``rows[k] < 0``)."""
        rows = np.asarray(rows, _INDEX).ravel()
        if self.nnz == 0:
            return IndexSets.empty(len(rows), self.ncols)
        if len(rows) == 1:  # one row: a slice of the stored entries
            r = int(rows[0])
            values = (self.indices[self.indptr[r]:self.indptr[r + 1]] if r >= 0
                      else self.indices[:0])
            return IndexSets(np.array([0, len(values)], _INDEX), values, self.ncols)
        owner, values = self.gather_rows(rows)
        indptr = np.zeros(len(rows) + 1, _INDEX)
        np.cumsum(np.bincount(owner, minlength=len(rows)), out=indptr[1:])
        return IndexSets(indptr, values, self.ncols)

    def gather_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The entries of rows ``rows[k]`` one after the other, and the ``k`` each came from
        (negative rows contribute nothing)."""
        rows = np.asarray(rows, _INDEX)
        valid = rows >= 0
        safe = np.where(valid, rows, 0)
        starts = self.indptr[safe]
        counts = np.where(valid, self.indptr[safe + 1] - starts, 0)
        total = int(counts.sum())
        owner = np.repeat(np.arange(len(rows), dtype=_INDEX), counts)
        if total == 0:
            return owner, np.zeros(0, _INDEX)
        # position of each output entry within its row, added to that row's start
        first = np.cumsum(counts) - counts
        within = np.arange(total, dtype=_INDEX) - np.repeat(first, counts)
        return owner, self.indices[np.repeat(starts, counts) + within]

    def compose(self, out_rows: np.ndarray, in_rows: np.ndarray, rows: int) -> IndexSets:
        """Row ``r`` of the result is the union of ``self[in_rows[k]]`` over the ``k`` with
        ``out_rows[k] == r``: the sets of a value whose element ``out_rows[k]`` depends on
        element ``in_rows[k]`` of this one."""
        if self.nnz == 0 or len(out_rows) == 0:
            return IndexSets.empty(rows, self.ncols)
        owner, values = self.gather_rows(in_rows)
        return IndexSets.from_pairs(np.asarray(out_rows, _INDEX)[owner], values, rows, self.ncols)

    def union_all(self) -> np.ndarray:
        """The union of every row (sorted)."""
        return np.unique(self.indices)

    @staticmethod
    def repeat_row(cols: np.ndarray, rows: int, ncols: int) -> IndexSets:
        """``rows`` copies of the set ``cols`` (sorted, unique)."""
        cols = np.asarray(cols, _INDEX)
        indptr = np.arange(rows + 1, dtype=_INDEX) * len(cols)
        return IndexSets(indptr, np.tile(cols, rows), ncols)

    def equals(self, other: IndexSets) -> bool:
        return (self is other or (self.rows == other.rows and self.nnz == other.nnz
                                  and np.array_equal(self.indptr, other.indptr)
                                  and np.array_equal(self.indices, other.indices)))


def cross_pairs(a: IndexSets, b: IndexSets, out_rows, a_rows, b_rows, rows: int,
                n: int) -> IndexSets:
    """Second-order sets: row ``out_rows[k]`` gets every pair ``(i, j)`` and ``(j, i)`` with
    ``i`` in ``a[a_rows[k]]`` and ``j`` in ``b[b_rows[k]]``, stored as ``i * n + j``."""
    if a.nnz == 0 or b.nnz == 0 or len(out_rows) == 0:
        return IndexSets.empty(rows, n * n)
    out_rows = np.asarray(out_rows, _INDEX)
    k_of_a, a_vals = a.gather_rows(a_rows)
    k_of_b, b_vals = b.gather_rows(np.asarray(b_rows, _INDEX)[k_of_a])
    i, j = a_vals[k_of_b], b_vals
    r = out_rows[k_of_a[k_of_b]]
    return IndexSets.from_pairs(np.concatenate([r, r]), np.concatenate([i * n + j, j * n + i]),
                                rows, n * n)


def to_csr(sets: IndexSets, shape: tuple[int, int]):
    """A boolean ``scipy.sparse.csr_array`` with these rows."""
    import scipy.sparse as sp

    data = np.ones(sets.nnz, bool)
    return sp.csr_array((data, sets.indices.copy(), sets.indptr.copy()), shape=shape)
