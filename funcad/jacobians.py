"""Jacobians: ``jacfwd``, ``jacrev``, ``jacobian(mode=...)``, ``hessian`` and ``hvp``.

All linearize once. Forward mode pushes the input basis through the stored linear IR with
``vmap``; reverse mode pulls the output basis back through its transpose with ``vmap``.
The result has JAX's layout: ``out.shape + in.shape``, with the input pytree nested under
each output leaf.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

import funcad.numpy as _fnp
from funcad.ad import (
    _check_argnums,
    _check_grad_input,
    _pullback,
    grad,
    jvp,
    linearize,
    with_int_inputs_closed,
)
from funcad.core.dtypes import is_complex, is_float
from funcad.core.trace import get_aval
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.tree_util import tree_flatten, tree_unflatten
from funcad.vmap import vmap

fnp = _fnp._unwrapped  # plain ndarray results: transform outputs are not EagerArrays


def _basis(avals, dtype_of) -> tuple[int, list]:
    """The standard basis of the space of ``avals``, one array (N, *shape) per leaf."""
    sizes = [int(np.prod(a.shape, dtype=np.int64)) for a in avals]
    n = sum(sizes)
    eye = np.eye(n, dtype=np.float64)
    leaves, offset = [], 0
    for a, size in zip(avals, sizes):
        leaves.append(eye[:, offset:offset + size].reshape((n, *a.shape)).astype(dtype_of(a)))
        offset += size
    return n, leaves


def _chunked_vmap(fn, basis_leaves, n: int, chunk_size: int | None):
    """``vmap(fn)`` over the leading axis of the basis, ``chunk_size`` rows at a time."""
    if chunk_size is None or chunk_size >= n:
        return vmap(fn)(*basis_leaves)
    parts = [vmap(fn)(*[b[i:i + chunk_size] for b in basis_leaves])
             for i in range(0, n, chunk_size)]
    first_leaves, tree = tree_flatten(parts[0])
    per_leaf = [[tree_flatten(p)[0][k] for p in parts] for k in range(len(first_leaves))]
    return tree_unflatten(tree, [fnp.concatenate(chunks, axis=0) for chunks in per_leaf])


def _split_rows(stacked, avals):
    """Split rows of ``stacked`` (N, *rest) per aval into (size, *rest) blocks."""
    blocks, offset = [], 0
    for a in avals:
        size = int(np.prod(a.shape, dtype=np.int64))
        blocks.append((stacked[offset:offset + size], a.shape))
        offset += size
    return blocks


def _fwd_layout(out_basis, out_tree, in_avals, assemble):
    """``out_basis`` leaves are (N_in, *out_shape): make (*out_shape, *in_shape) blocks,
    joined per output leaf by ``assemble(blocks, out_shape)``."""
    out_leaves = tree_flatten(out_basis)[0]
    result = []
    for y in out_leaves:
        oshape = get_aval(y).shape[1:]
        blocks = []
        for rows, ishape in _split_rows(y, in_avals):
            moved = fnp.moveaxis(rows, 0, -1) if oshape else rows
            blocks.append(fnp.reshape(moved, (*oshape, *ishape)))
        result.append(assemble(blocks, oshape))
    return tree_unflatten(out_tree, result)


def _rev_layout(in_basis, out_avals, out_tree, assemble):
    """``in_basis`` leaves are (N_out, *in_shape): make (*out_shape, *in_shape) blocks."""
    in_leaves = tree_flatten(in_basis)[0]
    per_out = [[] for _ in out_avals]
    for x in in_leaves:
        ishape = get_aval(x).shape[1:]
        for k, (rows, oshape) in enumerate(_split_rows(x, out_avals)):
            per_out[k].append(fnp.reshape(rows, (*oshape, *ishape)))
    return tree_unflatten(out_tree, [assemble(blocks, a.shape)
                                     for blocks, a in zip(per_out, out_avals)])


def choose_mode(n_in: int, n_out: int) -> str:
    """The documented rule of ``jacobian(mode="auto")``: forward mode costs one JVP per input
    element, reverse mode one VJP per output element; pick the fewer (forward on ties,
    since it needs no transpose)."""
    return "fwd" if n_in <= n_out else "rev"


def _check_complex_use(in_avals, out_avals, use: str, transform: str, holomorphic: bool):
    """JAX's rules: ``holomorphic`` wants complex inputs and outputs; without it, forward
    mode takes real inputs only and reverse mode real outputs only (a complex side would
    be differentiated along its real directions alone)."""
    if holomorphic:
        for what, avals in (("inputs", in_avals), ("outputs", out_avals)):
            bad = [a.str_short() for a in avals if not is_complex(a.dtype)]
            if bad:
                raise FuncadTypeError(with_user_line(
                    f"{transform} with holomorphic=True requires complex {what}, got "
                    f"{', '.join(bad)}"))
        return
    side, avals = ("inputs", in_avals) if use == "fwd" else ("outputs", out_avals)
    bad = [a.str_short() for a in avals if not is_float(a.dtype)]
    if bad:
        mode = "forward" if use == "fwd" else "reverse"
        raise FuncadTypeError(with_user_line(
            f"{transform} ({mode} mode) requires real {side}, got {', '.join(bad)}; pass "
            f"holomorphic=True for a holomorphic function, or use "
            f"{'jvp' if use == 'fwd' else 'vjp'} for a non-holomorphic one"))


def jacobian(fun: Callable, argnums=0, mode: str = "auto", chunk_size: int | None = None,
             has_aux: bool = False, holomorphic: bool = False,
             allow_int: bool = False) -> Callable:
    """The Jacobian of ``fun`` w.r.t. ``args[argnums]``, linearizing once and evaluating it in
    forward or reverse mode (``mode="auto"``: see ``choose_mode``). ``chunk_size`` bounds how
    many basis vectors are pushed at once (memory). ``holomorphic``: complex inputs and
    outputs, the Jacobian of complex derivatives f'(z). ``allow_int``: integer inputs get
    zero blocks of their own dtype, as JAX's ``jacrev``."""
    if mode not in ("fwd", "rev", "auto"):
        raise FuncadValueError(f"jacobian: mode must be 'fwd', 'rev' or 'auto', not {mode!r}")
    if chunk_size is not None and chunk_size < 1:
        raise FuncadValueError(f"jacobian: chunk_size must be positive, got {chunk_size}")
    transform = {"fwd": "jacfwd", "rev": "jacrev"}.get(mode, "jacobian")

    @functools.wraps(fun)
    def jac_fun(*args, **kwargs):
        nums = _check_argnums(argnums, len(args), transform)
        for i in nums:
            _check_grad_input(args[i], i, transform, holomorphic, allow_int)
        dyn = tuple(args[i] for i in nums)

        def partial_fun(*diff_args):
            full = list(args)
            for i, a in zip(nums, diff_args, strict=True):
                full[i] = a
            return fun(*full, **kwargs)

        # Integer inputs under allow_int are constants here; their blocks are zeros.
        closed = with_int_inputs_closed(partial_fun, dyn, allow_int)
        f_lin, lin_args = (closed[0], closed[1]) if closed is not None else (partial_fun, dyn)
        res = linearize(f_lin, *lin_args, has_aux=has_aux)
        out, lin = res[0], res[1]
        in_tree_all = tree_flatten(lin_args)[1]
        in_avals = [get_aval(x) for x in tree_flatten(lin_args)[0]]
        out_leaves, out_tree = tree_flatten(out)
        out_avals = [get_aval(o) for o in out_leaves]
        n_in = sum(int(np.prod(a.shape, dtype=np.int64)) for a in in_avals)
        n_out = sum(int(np.prod(a.shape, dtype=np.int64)) for a in out_avals)
        use = choose_mode(n_in, n_out) if mode == "auto" else mode
        if mode == "auto" and not holomorphic:  # the mode that takes a complex side
            if any(is_complex(a.dtype) for a in in_avals):
                use = "rev"
            elif any(is_complex(a.dtype) for a in out_avals):
                use = "fwd"
        _check_complex_use(in_avals, out_avals, use, transform, holomorphic)
        # The argument tree as the user sees it: one arg, or a tuple for tuple argnums.
        one = isinstance(argnums, int)
        if closed is not None:
            def assemble(blocks, oshape):
                full = closed[2](blocks, oshape, as_input=True)
                return full[0] if one else full
        else:
            in_tree = tree_flatten(dyn[0])[1] if one else in_tree_all

            def assemble(blocks, oshape):
                return tree_unflatten(in_tree, blocks)
        if use == "fwd":
            n, basis = _basis(in_avals, lambda a: a.dtype)

            def push(*t_leaves):
                # integer outputs: zero blocks of their own dtype (linearize's float0
                # tangents hold no numbers), as JAX's jacfwd
                outs = tree_flatten(lin(*tree_unflatten(in_tree_all, t_leaves)))[0]
                return [np.zeros(a.shape, a.dtype) if get_aval(o).dtype.kind == "V" else o
                        for o, a in zip(outs, out_avals, strict=True)]

            jac = _fwd_layout(_chunked_vmap(push, basis, n, chunk_size), out_tree, in_avals,
                              assemble)
        else:
            pull = _pullback(lin.linear_jaxpr, out_tree, in_tree_all, transform)
            n, basis = _basis(out_avals, lambda a: a.dtype)

            def pullback(*ct_leaves):
                return pull(tree_unflatten(out_tree, ct_leaves))

            cts = _chunked_vmap(pullback, basis, n, chunk_size)
            if one and closed is None:
                cts = cts[0]
            jac = _rev_layout(cts, out_avals, out_tree, assemble)
        return (jac, res[2]) if has_aux else jac

    jac_fun.mode = mode
    return jac_fun


def jacfwd(fun: Callable, argnums=0, has_aux: bool = False,
           holomorphic: bool = False) -> Callable:
    """Jacobian by forward mode: linearize once, push the input basis through it (vmap)."""
    return jacobian(fun, argnums, mode="fwd", has_aux=has_aux, holomorphic=holomorphic)


def jacrev(fun: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False,
           allow_int: bool = False) -> Callable:
    """Jacobian by reverse mode: linearize once, pull the output basis back (vmap)."""
    return jacobian(fun, argnums, mode="rev", has_aux=has_aux, holomorphic=holomorphic,
                    allow_int=allow_int)


def hessian(fun: Callable, argnums=0, has_aux: bool = False,
            holomorphic: bool = False) -> Callable:
    """``jacfwd(jacrev(fun))``."""
    return jacfwd(jacrev(fun, argnums, has_aux=has_aux, holomorphic=holomorphic), argnums,
                  has_aux=has_aux, holomorphic=holomorphic)


def hvp(fun: Callable, x, v):
    """The Hessian of scalar ``fun`` at ``x`` applied to ``v`` (pytrees of one structure),
    forward-over-reverse: one JVP of the gradient; the Hessian is never formed."""
    if tree_flatten(x)[1] != tree_flatten(v)[1]:
        raise FuncadValueError(with_user_line(
            f"hvp: x and v must have the same pytree structure, got {tree_flatten(x)[1]} and "
            f"{tree_flatten(v)[1]}"
        ))
    return jvp(grad(fun), (x,), (v,))[1]


__all__ = ["choose_mode", "hessian", "hvp", "jacfwd", "jacobian", "jacrev"]
