"""``einsum``: parse the subscripts, reduce each operand alone (diagonals of repeated
labels, labels used nowhere else), then contract pairs with ``dot_general``, each time the
pair whose result is smallest (a greedy path), and finally transpose to the output.

Labels are strings: the letters of the subscripts, and ``.0``, ``.1``, ... for the axes
covered by ``...`` (right-aligned across operands, so they broadcast as in NumPy).
"""
from __future__ import annotations

import math
import string

import numpy as np

from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.numpy._core import array_operand, aval, cast, promote_dtypes
from funcad.numpy._reductions import diagonal_mask, masked, sum_as
from funcad.ops import _base as base
from funcad.ops import structural as st
from funcad.ops.dot_options import dot_options
from funcad.ops.linalg import dot_general

_LETTERS = string.ascii_letters


def _error(subscripts: str, reason: str) -> FuncadValueError:
    where = f"('{subscripts}')" if subscripts else ""
    return FuncadValueError(with_user_line(f"funcad.numpy.einsum{where}: {reason}"))


# --- parsing -----------------------------------------------------------------------------------

def _split_term(term: str, subscripts: str) -> tuple[list[str], list[str] | None]:
    """``'ab...c'`` -> (['a', 'b'], ['c']); no ellipsis -> (letters, None)."""
    if term.count("...") > 1 or "." in term.replace("...", ""):
        raise _error(subscripts, f"bad ellipsis in term '{term}'")
    head, sep, tail = term.partition("...")
    for ch in head + tail:
        if ch not in _LETTERS:
            raise _error(subscripts, f"invalid subscript '{ch}' (use letters a-z, A-Z)")
    return (list(head), list(tail)) if sep else (list(head), None)


def _ellipsis_count(term, ndim: int, subscripts: str) -> int:
    head, tail = term
    named = len(head) + (len(tail) if tail is not None else 0)
    if (tail is None and named != ndim) or named > ndim:
        raise _error(subscripts, f"term of {named} labels for an operand of rank {ndim}")
    return ndim - named if tail is not None else 0


def parse(subscripts: str, ndims) -> tuple[list[list[str]], list[str]]:
    """Input labels per operand and the output labels, with ``...`` expanded."""
    s = subscripts.replace(" ", "")
    lhs, arrow, rhs = s.partition("->")
    terms = [_split_term(t, subscripts) for t in lhs.split(",")]
    if len(terms) != len(ndims):
        raise _error(subscripts, f"{len(terms)} terms for {len(ndims)} operands")
    counts = [_ellipsis_count(t, nd, subscripts) for t, nd in zip(terms, ndims)]
    n_ell = max(counts, default=0)
    ell = [f".{i}" for i in range(n_ell)]
    inputs = [h + ell[n_ell - c :] + (t or []) for (h, t), c in zip(terms, counts)]
    if not arrow:
        letters = [lab for labs in inputs for lab in labs if not lab.startswith(".")]
        return inputs, ell + sorted(lab for lab in set(letters) if letters.count(lab) == 1)
    head, tail = _split_term(rhs, subscripts)
    if tail is None and n_ell:
        raise _error(subscripts, "operands have '...' axes but the output has no '...'")
    output = head + (ell + tail if tail is not None else [])
    used = {lab for labs in inputs for lab in labs}
    for lab in output:
        if output.count(lab) > 1:
            raise _error(subscripts, f"output label '{lab}' is repeated")
        if lab not in used:
            raise _error(subscripts, f"output label '{lab}' is in no input")
    return inputs, output


def _sublist_subscripts(args) -> tuple[str, list]:
    """The interleaved form ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` as a string."""
    out = args[-1] if len(args) % 2 else None
    args = args[:-1] if len(args) % 2 else args
    ops, subs = list(args[0::2]), list(args[1::2])
    if not subs:
        raise _error("", "expected a subscripts string or operand, sublist pairs")

    def term(sub) -> str:
        if not isinstance(sub, (list, tuple)):
            raise _error("", f"a sublist must be a list of ints or Ellipsis, got {sub!r}")
        for s in sub:
            if s is not Ellipsis and not (isinstance(s, (int, np.integer)) and 0 <= s < 52):
                raise _error("", f"sublist entry {s!r} is not Ellipsis or an int in [0, 52)")
        return "".join("..." if s is Ellipsis else _LETTERS[int(s)] for s in sub)

    text = ",".join(term(s) for s in subs)
    return (text if out is None else f"{text}->{term(out)}"), ops


# --- evaluation --------------------------------------------------------------------------------

def _label_sizes(inputs, shapes, subscripts: str) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for labs, shape in zip(inputs, shapes):
        for lab, d in zip(labs, shape):
            prev = sizes.get(lab, d)
            if prev != d and 1 not in (prev, d):
                raise _error(subscripts, f"label '{lab}' has sizes {prev} and {d}")
            sizes[lab] = d if prev == 1 else prev
    return sizes


def _squeeze_broadcast(x, labs, sizes):
    """Drop size-1 axes whose label is longer elsewhere (they broadcast)."""
    drop = [i for i, lab in enumerate(labs) if aval(x).shape[i] == 1 and sizes[lab] != 1]
    if not drop:
        return x, labs
    return st.squeeze(x, drop), [lab for i, lab in enumerate(labs) if i not in drop]


def _take_diagonals(x, labs):
    """Merge repeated labels of one operand into one axis (a diagonal, via a masked sum)."""
    while len(set(labs)) != len(labs):
        i = next(k for k, lab in enumerate(labs) if labs.index(lab) != k)
        j = labs.index(labs[i])
        x = sum_as(masked(x, diagonal_mask(aval(x).shape, j, i)), (i,))
        labs = labs[:i] + labs[i + 1 :]
    return x, labs


def _sum_unneeded(x, labs, needed):
    axes = tuple(i for i, lab in enumerate(labs) if lab not in needed)
    if not axes:
        return x, labs
    return sum_as(x, axes), [lab for lab in labs if lab in needed]


def _pair_size(la, lb, keep, sizes) -> int:
    both = set(la) | set(lb)
    return math.prod(sizes[lab] for lab in both if lab in keep)


def _contract_pair(a, la, b, lb, keep):
    """One ``dot_general``: shared kept labels batch, shared others contract."""
    shared = [lab for lab in la if lab in lb]
    batch = [lab for lab in shared if lab in keep]
    contract = [lab for lab in shared if lab not in keep]
    dims = (
        (tuple(la.index(c) for c in contract), tuple(lb.index(c) for c in contract)),
        (tuple(la.index(c) for c in batch), tuple(lb.index(c) for c in batch)),
    )
    out = dot_general(a, b, dims)
    labels = batch + [lab for lab in la if lab not in shared] + [
        lab for lab in lb if lab not in shared
    ]
    return out, labels


def _greedy_contract(ops, output, sizes):
    """Contract the operands pairwise, the pair with the smallest result first."""
    while len(ops) > 1:
        best = None
        for i in range(len(ops)):
            for j in range(i + 1, len(ops)):
                rest = [lab for k, (_, ls) in enumerate(ops) if k not in (i, j) for lab in ls]
                keep = set(output) | set(rest)
                size = _pair_size(ops[i][1], ops[j][1], keep, sizes)
                if best is None or size < best[0]:
                    best = (size, i, j, keep)
        _, i, j, keep = best
        (a, la), (b, lb) = ops[i], ops[j]
        a, la = _sum_unneeded(a, la, keep | set(lb))
        b, lb = _sum_unneeded(b, lb, keep | set(la))
        ops = [op for k, op in enumerate(ops) if k not in (i, j)] + [
            _contract_pair(a, la, b, lb, keep)
        ]
    return ops[0]


def _finish(x, labs, output, sizes):
    """Sum what is left over, transpose to the output order, broadcast missing labels."""
    x, labs = _sum_unneeded(x, labs, set(output))
    present = [lab for lab in output if lab in labs]
    x = base.transpose(x, [labs.index(lab) for lab in present])
    shape = [sizes[lab] for lab in output]
    dims = [output.index(lab) for lab in present]
    return base.broadcast_in_dim(x, shape, dims)


def _einsum_operands(args) -> range:
    """Positions of the arrays among einsum's arguments (after the subscripts, or every
    other one in the interleaved form, without a trailing output sublist)."""
    if args and isinstance(args[0], str):
        return range(1, len(args))
    return range(0, len(args) - len(args) % 2, 2)


@dot_options("funcad.numpy.einsum", operands=_einsum_operands)
def einsum(*operands, out=None, optimize=False, dtype=None, casting="safe", order="K"):
    """Einstein summation as ``numpy.einsum``: explicit (``->``) and implicit output,
    ``...``, repeated labels (diagonals, traces), size-1 broadcasting, and the interleaved
    form. ``optimize`` is accepted; the contraction order is always greedy."""
    if out is not None:
        raise NotImplementedError("funcad.numpy.einsum: out= is not supported")
    if not operands:
        raise FuncadValueError(with_user_line("funcad.numpy.einsum: no operands given"))
    if isinstance(operands[0], str):
        subscripts, arrays = operands[0], list(operands[1:])
    else:
        subscripts, arrays = _sublist_subscripts(operands)
    arrays = [array_operand(x, "einsum") for x in arrays]
    inputs, output = parse(subscripts, [aval(x).ndim for x in arrays])
    arrays = promote_dtypes(*arrays) if arrays else arrays
    if dtype is not None:
        for x in arrays:
            if not np.can_cast(aval(x).dtype, dtype, casting):
                raise FuncadTypeError(with_user_line(
                    f"funcad.numpy.einsum: cannot cast {aval(x).dtype} to {np.dtype(dtype)} "
                    f"with casting={casting!r}"
                ))
        arrays = [cast(x, dtype) for x in arrays]
    shapes = [aval(x).shape for x in arrays]
    sizes = _label_sizes(inputs, shapes, subscripts)
    ops = []
    for k, (x, labs) in enumerate(zip(arrays, inputs)):
        x, labs = _squeeze_broadcast(x, labs, sizes)
        x, labs = _take_diagonals(x, labs)
        others = {lab for m, other in enumerate(inputs) if m != k for lab in other}
        ops.append(_sum_unneeded(x, labs, set(output) | others))
    x, labs = _greedy_contract(ops, output, sizes)
    return _finish(x, labs, output, sizes)


__all__ = ["einsum"]
