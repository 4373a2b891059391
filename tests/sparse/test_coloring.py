"""Colorings: validity checked by independent dense checkers (structural orthogonality of
column groups; direct recoverability and distance-1 for star colorings), and color counts
between the lower bound (the most nonzeros in a row) and the greedy bound (the largest
degree of the column intersection graph, plus one)."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from funcad.sparse.coloring import (
    color_columns,
    color_rows,
    is_structurally_orthogonal,
    star_coloring,
    star_recovery,
)


def orthogonal_groups(dense: np.ndarray, colors: np.ndarray) -> bool:
    """No row has two nonzeros in columns of one color."""
    for c in np.unique(colors):
        if (dense[:, colors == c].sum(axis=1) > 1).any():
            return False
    return True


def star_valid(dense: np.ndarray, colors: np.ndarray) -> bool:
    """Distance-1 valid, and every nonzero H[i, j] is alone in its color group in row i
    or (by symmetry) H[j, i] is alone in row j."""
    n = dense.shape[0]
    for i in range(n):
        for j in range(n):
            if i != j and dense[i, j] and colors[i] == colors[j]:
                return False
            if dense[i, j]:
                alone_i = dense[i, colors == colors[j]].sum() == 1
                alone_j = dense[j, colors == colors[i]].sum() == 1
                if not (alone_i or alone_j):
                    return False
    return True


def _bounds(dense: np.ndarray) -> tuple[int, int]:
    lower = int(dense.sum(axis=1).max(initial=0))
    inter = (dense.T.astype(int) @ dense.astype(int)) > 0
    np.fill_diagonal(inter, False)
    return lower, int(inter.sum(axis=1).max(initial=0)) + 1


def _banded(n, lo, hi):
    return sum(np.eye(n, k=k, dtype=bool) for k in range(-lo, hi + 1)).astype(bool)


@pytest.mark.parametrize("lo,hi", [(1, 1), (0, 2), (2, 3)])
def test_banded_patterns_use_bandwidth_colors(lo, hi):
    dense = _banded(40, lo, hi)
    colors = color_columns(sp.csr_array(dense))
    assert orthogonal_groups(dense, colors)
    assert colors.max() + 1 == lo + hi + 1  # the lower bound, attained
    assert is_structurally_orthogonal(sp.csr_array(dense), colors)


def test_arrowhead_needs_few_row_colors():
    n = 30
    dense = np.eye(n, dtype=bool)
    dense[0, :] = dense[:, 0] = True
    cols, rows = color_columns(sp.csr_array(dense)), color_rows(sp.csr_array(dense))
    assert cols.max() + 1 == n and rows.max() + 1 == n  # a dense row and a dense column
    star = star_coloring(sp.csr_array(dense))
    assert star_valid(dense, star) and star.max() + 1 == 2  # hub one color, leaves another


def test_checkers_reject_invalid_colorings():
    dense = _banded(6, 1, 1)
    bad = np.zeros(6, np.int64)
    assert not orthogonal_groups(dense, bad)
    assert not is_structurally_orthogonal(sp.csr_array(dense), bad)
    path = _banded(6, 1, 1)  # a path graph: two colors alternate, a bicolored P4
    alternating = np.arange(6) % 2
    assert not star_valid(path, alternating)
    with pytest.raises(ValueError, match="star"):
        star_recovery(sp.csr_array(path), alternating)


@given(st.integers(0, 2 ** 32 - 1), st.integers(2, 25), st.integers(2, 25),
       st.floats(0.02, 0.4))
def test_random_column_colorings(seed, m, n, density):
    rng = np.random.default_rng(seed)
    dense = rng.random((m, n)) < density
    colors = color_columns(sp.csr_array(dense))
    assert orthogonal_groups(dense, colors)
    lower, upper = _bounds(dense)
    assert lower <= colors.max() + 1 <= upper
    rows = color_rows(sp.csr_array(dense))
    assert orthogonal_groups(dense.T, rows)


@given(st.integers(0, 2 ** 32 - 1), st.integers(2, 25), st.floats(0.02, 0.4))
def test_random_star_colorings(seed, n, density):
    rng = np.random.default_rng(seed)
    upper_tri = np.triu(rng.random((n, n)) < density)
    dense = upper_tri | upper_tri.T | np.eye(n, dtype=bool)
    colors = star_coloring(sp.csr_array(dense))
    assert star_valid(dense, colors)
    _, upper = _bounds(dense)
    assert colors.max() + 1 <= upper  # never more than distance-2 coloring's greedy bound
    row, color = star_recovery(sp.csr_array(dense), colors)
    # the read-out positions reproduce a random symmetric H from H @ S
    h = np.where(dense, rng.normal(size=(n, n)), 0.0)
    h = (h + h.T) / 2
    s = np.eye(colors.max() + 1)[colors]
    compressed = h @ s
    csr = sp.csr_array(dense)
    got = compressed[row, color]
    expected = h[np.repeat(np.arange(n), np.diff(csr.indptr)), csr.indices]
    np.testing.assert_allclose(got, expected, rtol=1e-14)
