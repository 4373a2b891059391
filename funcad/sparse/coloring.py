"""Graph colorings of sparsity patterns (Gebremedhin, Manne and Pothen, "What color is your
Jacobian?", SIAM Review 2005).

Columns of a Jacobian pattern may share a color when no row has both (structural
orthogonality): a distance-2 coloring of the bipartite row/column graph, found greedily. The
vertex order matters; both largest-first and smallest-last orders are tried and the one with
fewer colors is kept. A symmetric Hessian pattern gets a star coloring (a distance-1 coloring
in which every path on four vertices uses at least three colors), which lets every nonzero
be read directly from one Hessian-vector product (``star_recovery``).
"""
from __future__ import annotations

import numpy as np


def _lists(csr) -> tuple[list, list]:
    return csr.indptr.tolist(), csr.indices.tolist()


def column_adjacency(pattern):
    """The column intersection graph: columns adjacent when some row has both."""
    p = pattern.astype(bool)
    g = (p.T @ p).tocsr()
    g.setdiag(False)
    g.eliminate_zeros()
    return g


def largest_first(graph) -> list[int]:
    degree = np.diff(graph.indptr)
    return np.argsort(-degree, kind="stable").tolist()


def smallest_last(graph) -> list[int]:
    """Repeatedly remove a vertex of least remaining degree; color in reverse removal order
    (bucket queue, linear in the edges)."""
    n = graph.shape[0]
    ptr, idx = _lists(graph)
    degree = [ptr[v + 1] - ptr[v] for v in range(n)]
    buckets: list[set] = [set() for _ in range(max(degree, default=0) + 1)]
    for v, d in enumerate(degree):
        buckets[d].add(v)
    removed = [False] * n
    order = []
    low = 0
    for _ in range(n):
        low = max(low - 1, 0)
        while not buckets[low]:
            low += 1
        v = buckets[low].pop()
        removed[v] = True
        order.append(v)
        for w in idx[ptr[v]:ptr[v + 1]]:
            if not removed[w]:
                buckets[degree[w]].discard(w)
                degree[w] -= 1
                buckets[degree[w]].add(w)
    return order[::-1]


def greedy_distance1(graph, order: list[int]) -> np.ndarray:
    """The smallest color not used by a colored neighbor, vertex by vertex in ``order``."""
    n = graph.shape[0]
    ptr, idx = _lists(graph)
    color = [-1] * n
    mark = [-1] * (n + 1)
    for v in order:
        for w in idx[ptr[v]:ptr[v + 1]]:
            c = color[w]
            if c >= 0:
                mark[c] = v
        c = 0
        while mark[c] == v:
            c += 1
        color[v] = c
    return np.asarray(color, np.int64)


def color_columns(pattern) -> np.ndarray:
    """A column coloring of a Jacobian pattern (structurally orthogonal color groups), the
    better of the largest-first and smallest-last greedy orders."""
    if pattern.shape[1] == 0:
        return np.zeros(0, np.int64)
    graph = column_adjacency(pattern)
    best = None
    for order in (largest_first(graph), smallest_last(graph)):
        colors = greedy_distance1(graph, order)
        if best is None or colors.max() < best.max():
            best = colors
    return best


def color_rows(pattern) -> np.ndarray:
    """A row coloring (a column coloring of the transpose): one VJP per color."""
    return color_columns(pattern.T.tocsr())


def star_coloring(pattern) -> np.ndarray:
    """A star coloring of a symmetric pattern (greedy, GMP 2005 Algorithm 4.1): besides
    distance-1, a color is forbidden when it would close a two-colored path on four vertices.
    Smallest-last and largest-first orders are tried; the one with fewer colors is kept."""
    n = pattern.shape[0]
    if n == 0:
        return np.zeros(0, np.int64)
    graph = pattern.astype(bool).tocsr()
    graph = (graph + graph.T).tocsr()
    graph.setdiag(False)
    graph.eliminate_zeros()
    ptr, idx = _lists(graph)
    best = None
    for order in (smallest_last(graph), largest_first(graph)):
        color = [-1] * n
        mark = [-1] * (n + 1)
        for v in order:
            for w in idx[ptr[v]:ptr[v + 1]]:
                cw = color[w]
                if cw >= 0:
                    mark[cw] = v
                for x in idx[ptr[w]:ptr[w + 1]]:
                    cx = color[x]
                    if x == v or cx < 0:
                        continue
                    if cw < 0:
                        mark[cx] = v  # w is uncolored: v and x are at distance two
                    elif any(color[y] == cw for y in idx[ptr[x]:ptr[x + 1]] if y != w):
                        mark[cx] = v  # v-w-x-y would be a two-colored path
            c = 0
            while mark[c] == v:
                c += 1
            color[v] = c
        colors = np.asarray(color, np.int64)
        if best is None or colors.max() < best.max():
            best = colors
    return best


def _color_counts(pattern, colors: np.ndarray, ncolors: int) -> np.ndarray:
    """``counts[i, c]``: how many nonzeros of row ``i`` lie in columns of color ``c``."""
    rows = np.repeat(np.arange(pattern.shape[0]), np.diff(pattern.indptr))
    keys = rows * ncolors + colors[pattern.indices]
    return np.bincount(keys, minlength=pattern.shape[0] * ncolors).reshape(-1, ncolors)


def is_structurally_orthogonal(pattern, colors: np.ndarray) -> bool:
    """True when no row has two nonzeros in columns of one color (a valid column coloring)."""
    pattern = pattern.tocsr()
    if pattern.nnz == 0:
        return True
    return bool(_color_counts(pattern, colors, int(colors.max()) + 1).max() <= 1)


def star_recovery(pattern, colors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each nonzero ``(i, j)`` of the symmetric ``pattern`` (CSR order), the row ``r`` and
    color ``c`` with ``H[i, j] == (H @ S)[r, c]``, ``S`` the color indicator matrix: row
    ``i`` with ``j``'s color when ``j`` is the only column of that color in row ``i``, else
    row ``j`` with ``i``'s color. Raises ``ValueError`` if neither is direct (not a star
    coloring)."""
    pattern = pattern.tocsr()
    ncolors = int(colors.max()) + 1 if len(colors) else 1
    counts = _color_counts(pattern, colors, ncolors)
    i = np.repeat(np.arange(pattern.shape[0]), np.diff(pattern.indptr))
    j = pattern.indices
    direct = counts[i, colors[j]] == 1
    mirror = counts[j, colors[i]] == 1
    if not np.all(direct | mirror):
        raise ValueError("the coloring does not allow direct recovery (not a star coloring)")
    return np.where(direct, i, j), np.where(direct, colors[j], colors[i])
