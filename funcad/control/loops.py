"""Loop primitives: ``while`` and ``scan`` (see ``funcad.control.cond`` for how every
transform treats control flow). ``while`` with ``max_steps`` linearizes as a masked
``scan``, so both live here.
"""
from __future__ import annotations

import numpy as np

from funcad.control.axis_scope import axis_scoped, batch_axis_size
from funcad.control.common import (
    same_types,
    select_where,
    split_sizes,
    typecheck_subjaxprs,
    types_str,
)
from funcad.core.avals import ShapedArray
from funcad.core.rules import (
    batch_rules,
    jvp_rules,
    partial_eval_rules,
    transpose_rules,
    typecheck_rules,
)
from funcad.core.symbolic import (
    UNKNOWN,
    UndefPrimal,
    Zero,
    is_differentiable_dtype,
    is_undefined,
    not_mapped,
    tangent_aval,
)
from funcad.core.trace import get_aval
from funcad.errors import FuncadValueError, with_user_line
from funcad.interpreters.subjaxpr import (
    PartialEval,
    batch_jaxpr,
    batched_aval,
    call_closed,
    derived,
    jvp_jaxpr,
    partial_eval_jaxpr,
    prune_invars,
    run_closed,
    trace_flat,
    used_invars,
    with_invars,
    with_outvars,
    with_unused_invars,
)
from funcad.interpreters.transpose import backward_pass
from funcad.ir.passes import dce_closed
from funcad.ops._base import add_any, bdim_at, instantiate_zeros, moveaxis, zeros_of
from funcad.ops._shapes import type_error
from funcad.ops.reductions import reduce_max

# === while ====================================================================================
#
# ``while[cond_jaxpr body_jaxpr cond_nconsts body_nconsts max_steps] *cond_consts
# *body_consts *init``: ``while cond(carry): carry = body(carry)``, at most ``max_steps``
# iterations when that is not None (then it is reverse-differentiable: linearization turns it
# into a masked scan of ``max_steps`` steps).

while_p = axis_scoped("while", multiple_results=True)


def _while_impl(*args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts, max_steps):
    cc, bc, carry = split_sizes(args, cond_nconsts, body_nconsts)
    steps = 0
    while max_steps is None or steps < max_steps:
        if not bool(run_closed(cond_jaxpr, *cc, *carry)[0]):
            break
        carry = run_closed(body_jaxpr, *bc, *carry)
        steps += 1
    return [np.asarray(c) for c in carry]


def _while_abstract_eval(*avals, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts, max_steps):
    cc, bc, carry = split_sizes(avals, cond_nconsts, body_nconsts)
    if not same_types(cond_jaxpr.in_avals, [*cc, *carry]):
        raise type_error(while_p, avals, f"cond_jaxpr takes {types_str(cond_jaxpr.in_avals)}")
    out = cond_jaxpr.out_avals
    if len(out) != 1 or out[0].shape != () or out[0].dtype != np.bool_:
        raise type_error(while_p, avals, f"cond_jaxpr must return a boolean scalar, not "
                                         f"{types_str(out)}")
    if not same_types(body_jaxpr.in_avals, [*bc, *carry]):
        raise type_error(while_p, avals, f"body_jaxpr takes {types_str(body_jaxpr.in_avals)}")
    if not same_types(body_jaxpr.out_avals, carry):
        raise type_error(while_p, avals, f"body_jaxpr returns {types_str(body_jaxpr.out_avals)} "
                                         f"for a carry of type {types_str(carry)}")
    return list(body_jaxpr.out_avals)


while_p.def_impl(_while_impl)
while_p.def_abstract_eval(_while_abstract_eval)
typecheck_rules[while_p] = typecheck_subjaxprs("cond_jaxpr", "body_jaxpr")


def _while_jvp(primals, tangents, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts,
               max_steps):
    _, bc, carry = split_sizes(primals, cond_nconsts, body_nconsts)
    _, bc_t, carry_t = split_sizes(tangents, cond_nconsts, body_nconsts)
    bc_nz = [type(t) is not Zero for t in bc_t]
    carry_nz = [type(t) is not Zero for t in carry_t]
    for _ in range(len(carry) + 1):
        body_jvp, out_nz = jvp_jaxpr(body_jaxpr, bc_nz + carry_nz, carry_nz)
        if out_nz == carry_nz:
            break
        carry_nz = [a or b for a, b in zip(carry_nz, out_nz)]
    nb, nk = len(bc), len(carry)
    n_bct = sum(bc_nz)
    # body_jvp takes (bc, carry, bc dots, carry dots): make it (bc, bc dots, carry, carry dots)
    order = [*range(nb), *range(nb + nk, nb + nk + n_bct), *range(nb, nb + nk),
             *range(nb + nk + n_bct, nb + nk + n_bct + sum(carry_nz))]
    body_new = with_invars(body_jvp, order)
    dot_avals = [tangent_aval(a) for a, nz in zip(body_jaxpr.out_avals, carry_nz) if nz]
    cond_new = with_unused_invars(cond_jaxpr, after=dot_avals)
    carry_dots = [instantiate_zeros(t) for t, nz in zip(carry_t, carry_nz) if nz]
    outs = while_p.bind(
        *primals[:cond_nconsts], *bc, *[t for t in bc_t if type(t) is not Zero], *carry,
        *carry_dots, cond_jaxpr=cond_new, body_jaxpr=body_new, cond_nconsts=cond_nconsts,
        body_nconsts=nb + n_bct, max_steps=max_steps)
    rest = iter(outs[nk:])
    return outs[:nk], [next(rest) if nz else Zero(tangent_aval(a))
                       for a, nz in zip(body_jaxpr.out_avals, carry_nz)]


jvp_rules[while_p] = _while_jvp


def _while_partial_eval(trace, tracers, known, **params):
    if params["max_steps"] is not None:
        return _while_as_masked_scan(tracers, **params)
    cond_jaxpr, body_jaxpr = params["cond_jaxpr"], params["body_jaxpr"]
    ncc, nbc = params["cond_nconsts"], params["body_nconsts"]
    cc_uk, bc_uk, carry_uk = split_sizes([k is UNKNOWN for k in known], ncc, nbc)
    for _ in range(len(carry_uk) + 1):
        pe = partial_eval_jaxpr(body_jaxpr, bc_uk + carry_uk, carry_uk)
        if list(pe.out_unknowns) == carry_uk:
            break
        carry_uk = [a or b for a, b in zip(carry_uk, pe.out_unknowns)]
    cond_reads = used_invars(cond_jaxpr)
    if any(r and u for r, u in zip(cond_reads, cc_uk + carry_uk)) or all(carry_uk):
        return trace.stage(while_p, tracers, params)
    # The known carries loop on their own; the unknown ones (tangents) are staged as the
    # whole loop again, which recomputes the known part: forward mode only (no transpose).
    n_res = pe.num_res
    body_known = dce_closed(pe.known, [True] * (len(pe.known.jaxpr.outvars) - n_res)
                            + [False] * n_res)
    cond_known = prune_invars(cond_jaxpr, [not u for u in cc_uk + carry_uk])
    cc, bc, carry = split_sizes(known, ncc, nbc)
    known_outs = iter(while_p.bind(
        *[k for k in cc if k is not UNKNOWN], *[k for k in bc if k is not UNKNOWN],
        *[k for k, u in zip(carry, carry_uk) if not u], cond_jaxpr=cond_known,
        body_jaxpr=body_known, cond_nconsts=cc_uk.count(False), body_nconsts=bc_uk.count(False),
        max_steps=None))
    staged = trace.stage(while_p, tracers, params)
    return [s if u else next(known_outs) for s, u in zip(staged, carry_uk)]


def _while_as_masked_scan(args, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts,
                          max_steps):
    """A while loop of at most ``max_steps`` iterations as a scan of exactly that many
    steps, each of which leaves the carry unchanged once the condition fails."""
    scan_body = derived.get((cond_jaxpr, body_jaxpr), ("masked", cond_nconsts),
                            lambda: _masked_body(cond_jaxpr, body_jaxpr, cond_nconsts))
    return scan_p.bind(*args, jaxpr=scan_body, num_consts=cond_nconsts + body_nconsts,
                       num_carry=len(body_jaxpr.out_avals), length=max_steps, reverse=False)


def _masked_body(cond_jaxpr, body_jaxpr, cond_nconsts):
    cc_avals = cond_jaxpr.in_avals[:cond_nconsts]
    nbc = len(body_jaxpr.in_avals) - len(body_jaxpr.out_avals)

    def step(*args):
        cc, bc, carry = split_sizes(args, cond_nconsts, nbc)
        (pred,) = call_closed(cond_jaxpr, *cc, *carry)
        new = call_closed(body_jaxpr, *bc, *carry)
        return [select_where(pred, n, c) for n, c in zip(new, carry)]

    return trace_flat(step, [*cc_avals, *body_jaxpr.in_avals], "while_loop(max_steps)")


partial_eval_rules[while_p] = _while_partial_eval


def _while_transpose(cts, *args, **params):
    raise FuncadValueError(with_user_line(
        "reverse-mode differentiation (grad, vjp, jacrev) of `while_loop` is not supported: "
        "its number of iterations is not known before it runs, so the values of its "
        "iterations cannot be stored for the backward pass. Use `funcad.lax.fori_loop` with "
        "static (Python int) bounds or `funcad.lax.scan`, or bound the loop with "
        "`while_loop(cond_fun, body_fun, init_val, max_steps=N)`; forward mode (jvp, "
        "jacfwd) works as it is."
    ))


transpose_rules[while_p] = _while_transpose


def _while_batch(vals, dims, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts, max_steps):
    size = batch_axis_size(vals, dims)
    cc, bc, init = split_sizes(vals, cond_nconsts, body_nconsts)
    ccd, bcd, initd = split_sizes(dims, cond_nconsts, body_nconsts)
    carry_b = [d is not not_mapped for d in initd]
    for _ in range(len(init) + 1):
        cdims = [0 if b else not_mapped for b in carry_b]
        _, out_b = batch_jaxpr(body_jaxpr, size, bcd + cdims, carry_b)
        if out_b == carry_b:
            break
        carry_b = [a or b for a, b in zip(carry_b, out_b)]
    cdims = [0 if b else not_mapped for b in carry_b]
    pred_batched = batch_jaxpr(cond_jaxpr, size, ccd + cdims, False)[1][0]
    if pred_batched:
        carry_b = [True] * len(init)
        cdims = [0] * len(init)
    init = [bdim_at(x, d, 0, size) if b else x for x, d, b in zip(init, initd, carry_b)]
    body_b = batch_jaxpr(body_jaxpr, size, bcd + cdims, carry_b)[0]
    cond_b = batch_jaxpr(cond_jaxpr, size, ccd + cdims, pred_batched)[0]
    if not pred_batched:
        outs = while_p.bind(*cc, *bc, *init, cond_jaxpr=cond_b, body_jaxpr=body_b,
                            cond_nconsts=cond_nconsts, body_nconsts=body_nconsts,
                            max_steps=max_steps)
        return outs, cdims
    # Lanes whose condition fails keep their carry while the others go on.

    def any_lane(*args):
        return [reduce_max(call_closed(cond_b, *args)[0], (0,))]

    def step(*args):
        cc_, bc_, carry = split_sizes(args, cond_nconsts, body_nconsts)
        (pred,) = call_closed(cond_b, *cc_, *carry)
        new = call_closed(body_b, *bc_, *carry)
        return [select_where(pred, n, c) for n, c in zip(new, carry)]

    cc_avals = [batched_aval(a, d, size) for a, d in zip(cond_jaxpr.in_avals, ccd)]
    bc_avals = [batched_aval(a, d, size) for a, d in zip(body_jaxpr.in_avals, bcd)]
    carry_avals = [batched_aval(a, 0, size) for a in body_jaxpr.out_avals]
    new_cond = trace_flat(any_lane, [*cc_avals, *carry_avals], "vmap(while cond)")
    new_body = trace_flat(step, [*cc_avals, *bc_avals, *carry_avals], "vmap(while body)")
    outs = while_p.bind(*cc, *cc, *bc, *init, cond_jaxpr=new_cond, body_jaxpr=new_body,
                        cond_nconsts=cond_nconsts, body_nconsts=cond_nconsts + body_nconsts,
                        max_steps=max_steps)
    return outs, [0] * len(init)


batch_rules[while_p] = _while_batch


# === scan =====================================================================================
#
# ``scan[jaxpr num_consts num_carry length reverse] *consts *init *xs``: for each i in
# range(length) (backwards if ``reverse``), ``carry, y_i = jaxpr(*consts, *carry, *xs[i])``;
# returns the final carry and the stacked ys.

scan_p = axis_scoped("scan", multiple_results=True)


def _scan_impl(*args, jaxpr, num_consts, num_carry, length, reverse):
    consts, carry, xs = split_sizes(args, num_consts, num_carry)
    y_avals = jaxpr.out_avals[num_carry:]
    ys = [np.empty((length, *a.shape), a.dtype) for a in y_avals]
    for k in range(length):
        i = length - 1 - k if reverse else k
        outs = run_closed(jaxpr, *consts, *carry, *[x[i, ...] for x in xs])
        carry = outs[:num_carry]
        for y, v in zip(ys, outs[num_carry:]):
            y[i] = v
    return [*[np.asarray(c) for c in carry], *ys]


def _scan_abstract_eval(*avals, jaxpr, num_consts, num_carry, length, reverse):
    consts, carry, xs = split_sizes(avals, num_consts, num_carry)
    for x in xs:
        if x.ndim == 0 or x.shape[0] != length:
            raise type_error(scan_p, avals, f"every xs operand needs a leading axis of the "
                                            f"length {length}, got {x.str_short()}")
    slices = [ShapedArray(x.shape[1:], x.dtype, x.weak_type) for x in xs]
    if not same_types(jaxpr.in_avals, [*consts, *carry, *slices]):
        raise type_error(scan_p, avals, f"the body takes {types_str(jaxpr.in_avals)}")
    outs = jaxpr.out_avals
    if not same_types(outs[:num_carry], carry):
        raise type_error(scan_p, avals, f"the body returns the carry as "
                                        f"{types_str(outs[:num_carry])}, not {types_str(carry)}")
    return [*outs[:num_carry],
            *[ShapedArray((length, *y.shape), y.dtype, y.weak_type) for y in outs[num_carry:]]]


scan_p.def_impl(_scan_impl)
scan_p.def_abstract_eval(_scan_abstract_eval)
typecheck_rules[scan_p] = typecheck_subjaxprs("jaxpr")


def _scan_jvp(primals, tangents, *, jaxpr, num_consts, num_carry, length, reverse):
    nz = [type(t) is not Zero for t in tangents]
    c_nz, k_nz, x_nz = split_sizes(nz, num_consts, num_carry)
    ny = len(jaxpr.out_avals) - num_carry
    for _ in range(num_carry + 1):
        body, out_nz = jvp_jaxpr(jaxpr, c_nz + k_nz + x_nz, k_nz + [False] * ny)
        if out_nz[:num_carry] == k_nz:
            break
        k_nz = [a or b for a, b in zip(k_nz, out_nz)]
    n = len(nz)
    nc, nk = num_consts, num_carry
    tc, tk, tx = sum(c_nz), sum(k_nz), sum(x_nz)
    y_nz = out_nz[num_carry:]
    # body takes (consts, carry, xs, const dots, carry dots, x dots) and returns (carry, ys,
    # carry dots, y dots): regroup as (consts, const dots, carry, carry dots, xs, x dots) ->
    # (carry, carry dots, ys, y dots).
    order = [*range(nc), *range(n, n + tc), *range(nc, nc + nk), *range(n + tc, n + tc + tk),
             *range(nc + nk, n), *range(n + tc + tk, n + tc + tk + tx)]
    n_out = nk + ny
    out_order = [*range(nk), *range(n_out, n_out + tk), *range(nk, n_out),
                 *range(n_out + tk, n_out + tk + sum(y_nz))]
    body = with_outvars(with_invars(body, order), out_order)
    consts, carry, xs = split_sizes(primals, num_consts, num_carry)
    ct, kt, xt = split_sizes(tangents, num_consts, num_carry)
    outs = scan_p.bind(
        *consts, *[t for t in ct if type(t) is not Zero],
        *carry, *[instantiate_zeros(t) for t, z in zip(kt, k_nz) if z],
        *xs, *[t for t in xt if type(t) is not Zero],
        jaxpr=body, num_consts=nc + tc, num_carry=nk + tk, length=length, reverse=reverse)
    carry_out, carry_dot, ys, y_dot = split_sizes(outs, nk, tk, ny)
    carry_dot, y_dot = iter(carry_dot), iter(y_dot)
    out_avals = _scan_abstract_eval(*map(get_aval, primals), jaxpr=jaxpr, num_consts=num_consts,
                                    num_carry=num_carry, length=length, reverse=reverse)
    t_out = [next(carry_dot) if z else Zero(tangent_aval(a))
             for a, z in zip(out_avals[:nk], k_nz)]
    t_out += [next(y_dot) if z else Zero(tangent_aval(a)) for a, z in zip(out_avals[nk:], y_nz)]
    return [*carry_out, *ys], t_out


jvp_rules[scan_p] = _scan_jvp


def _scan_partial_eval(trace, tracers, known, *, jaxpr, num_consts, num_carry, length,
                       reverse):
    uk = [k is UNKNOWN for k in known]
    c_uk, k_uk, x_uk = split_sizes(uk, num_consts, num_carry)
    ny = len(jaxpr.out_avals) - num_carry
    for _ in range(num_carry + 1):
        pe = partial_eval_jaxpr(jaxpr, c_uk + k_uk + x_uk, k_uk + [False] * ny)
        if list(pe.out_unknowns[:num_carry]) == k_uk:
            break
        k_uk = [a or b for a, b in zip(k_uk, pe.out_unknowns)]
    known_vals = [k for k, u in zip(known, c_uk + k_uk + x_uk) if not u]
    n_kc, n_kk = c_uk.count(False), k_uk.count(False)
    kinds = _scan_residuals(pe, n_kc, n_kk, known_vals)
    n_known_out = len(pe.known.jaxpr.outvars) - pe.num_res
    body_known = dce_closed(pe.known, [True] * n_known_out + [k == "stack" for k, _ in kinds])
    known_outs = []
    if body_known.jaxpr.outvars:
        known_outs = scan_p.bind(*known_vals, jaxpr=body_known, num_consts=n_kc,
                                 num_carry=n_kk, length=length, reverse=reverse)
    n_kys = n_known_out - n_kk
    stacked = iter(known_outs[n_kk + n_kys:])
    res_const, res_xs, const_pos, xs_pos = [], [], [], []
    for j, (kind, value) in enumerate(kinds):
        if kind == "const":
            res_const.append(value)
            const_pos.append(j)
        else:
            res_xs.append(value if kind == "xs" else next(stacked))
            xs_pos.append(j)
    r = pe.num_res
    n_uc, n_uk = c_uk.count(True), k_uk.count(True)
    order = [*const_pos, *range(r, r + n_uc + n_uk), *xs_pos,
             *range(r + n_uc + n_uk, len(pe.unknown.jaxpr.invars))]
    body_unknown = with_invars(pe.unknown, order)
    consts, carry, xs = split_sizes(list(zip(tracers, known)), num_consts, num_carry)
    raise_ = trace.full_raise
    uk_in = [*map(raise_, res_const), *[t for (t, _), u in zip(consts, c_uk) if u],
             *[t if k is UNKNOWN else raise_(k) for (t, k), u in zip(carry, k_uk) if u],
             *map(raise_, res_xs), *[t for (t, _), u in zip(xs, x_uk) if u]]
    uk_outs = iter(trace.stage(scan_p, uk_in, dict(
        jaxpr=body_unknown, num_consts=len(res_const) + n_uc, num_carry=n_uk, length=length,
        reverse=reverse)))
    kn_outs = iter(known_outs[:n_kk + n_kys])
    return [next(uk_outs) if u else next(kn_outs) for u in pe.out_unknowns]


def _scan_residuals(pe: PartialEval, n_kc: int, n_kk: int, known_vals) -> list[tuple]:
    """How each residual of a split scan body reaches the unknown scan: ``("const", v)``
    passed once (a known const it forwards, or a value of the known consts alone: loop
    invariant, computed here once), ``("xs", v)`` the known xs operand it forwards, or
    ``("stack", None)`` stacked per iteration by the known scan."""
    n_known_out = len(pe.known.jaxpr.outvars) - pe.num_res
    invariant: dict[int, object] = {}
    if n_kc and any(f is None for f in pe.res_forward):
        n_in = len(pe.known.jaxpr.invars)
        by_consts = partial_eval_jaxpr(pe.known, [False] * n_kc + [True] * (n_in - n_kc))
        only_consts = [not u for u in by_consts.out_unknowns]
        if any(only_consts[n_known_out:]):
            values = iter(call_closed(by_consts.known, *known_vals[:n_kc]))
            for k, inv in enumerate(only_consts):
                value = next(values) if inv else None
                if inv and k >= n_known_out:
                    invariant[k - n_known_out] = value
    kinds = []
    for j, f in enumerate(pe.res_forward):
        if f is not None and f < n_kc:
            kinds.append(("const", known_vals[f]))
        elif f is not None and f >= n_kc + n_kk:
            kinds.append(("xs", known_vals[f]))
        elif j in invariant:
            kinds.append(("const", invariant[j]))
        else:
            kinds.append(("stack", None))
    return kinds


partial_eval_rules[scan_p] = _scan_partial_eval


def _scan_transpose(cts, *args, jaxpr, num_consts, num_carry, length, reverse):
    consts, carry, xs = split_sizes(args, num_consts, num_carry)
    c_lin = [is_undefined(c) for c in consts]
    x_lin = [is_undefined(x) for x in xs]
    for c in carry:
        aval = c.aval if is_undefined(c) else get_aval(c)
        if not is_differentiable_dtype(aval.dtype):
            raise FuncadValueError(f"transpose of `scan` with a non-linear carry "
                                   f"{aval.str_short()}")
    ct_carry, ct_ys = cts[:num_carry], cts[num_carry:]
    y_nz = tuple(type(c) is not Zero for c in ct_ys)
    body_t = derived.get((jaxpr,), ("scan_t", tuple(c_lin), tuple(x_lin), y_nz),
                         lambda: _transposed_body(jaxpr, num_consts, num_carry, c_lin, x_lin,
                                                  y_nz))
    res_c = [c for c, lin in zip(consts, c_lin) if not lin]
    res_x = [x for x, lin in zip(xs, x_lin) if not lin]
    lin_c_avals = [tangent_aval(c.aval) for c, lin in zip(consts, c_lin) if lin]
    carry_avals = [tangent_aval(a) for a in jaxpr.out_avals[:num_carry]]
    init = [*map(zeros_of, lin_c_avals),
            *[instantiate_zeros(c) if type(c) is not Zero else zeros_of(a)
              for c, a in zip(ct_carry, carry_avals)]]
    outs = scan_p.bind(*res_c, *init, *res_x, *[c for c in ct_ys if type(c) is not Zero],
                       jaxpr=body_t, num_consts=len(res_c), num_carry=len(init),
                       length=length, reverse=not reverse)
    ct_consts = iter(outs[:len(lin_c_avals)])
    ct_init = outs[len(lin_c_avals):len(init)]
    ct_xs = iter(outs[len(init):])
    return ([next(ct_consts) if lin else None for lin in c_lin]
            + [ct if is_undefined(c) else None for ct, c in zip(ct_init, carry)]
            + [next(ct_xs) if lin else None for lin in x_lin])


def _transposed_body(jaxpr, num_consts, num_carry, c_lin, x_lin, y_nz):
    """``(res consts; const ct sums, carry cts; res xs, y cts) -> (const ct sums, carry
    cts; xs cts)``: one step of the scan, backwards."""
    in_avals = jaxpr.in_avals
    c_avals, k_avals, x_avals = split_sizes(in_avals, num_consts, num_carry)
    y_avals = jaxpr.out_avals[num_carry:]
    res_c_avals = [a for a, lin in zip(c_avals, c_lin) if not lin]
    acc_avals = [tangent_aval(a) for a, lin in zip(c_avals, c_lin) if lin]
    kt_avals = [tangent_aval(a) for a in jaxpr.out_avals[:num_carry]]
    res_x_avals = [a for a, lin in zip(x_avals, x_lin) if not lin]
    ct_y_avals = [tangent_aval(a) for a, nz in zip(y_avals, y_nz) if nz]

    def step(*args):
        res_c, acc, ct_k, res_x, ct_y = split_sizes(
            args, len(res_c_avals), len(acc_avals), len(kt_avals), len(res_x_avals))
        res_c, res_x, ct_y = iter(res_c), iter(res_x), iter(ct_y)
        operands = ([UndefPrimal(a) if lin else next(res_c) for a, lin in zip(c_avals, c_lin)]
                    + [UndefPrimal(a) for a in k_avals]
                    + [UndefPrimal(a) if lin else next(res_x) for a, lin in zip(x_avals, x_lin)])
        cts_out = [*ct_k, *[next(ct_y) if nz else Zero(tangent_aval(a))
                            for a, nz in zip(y_avals, y_nz)]]
        cts_in = [instantiate_zeros(c) if c is not None else None
                  for c in backward_pass(jaxpr.jaxpr, jaxpr.consts, operands, cts_out)]
        ct_c, ct_k_new, ct_x = split_sizes(cts_in, num_consts, num_carry)
        ct_c = [c for c, lin in zip(ct_c, c_lin) if lin]

        return [*[add_any(a, c) for a, c in zip(acc, ct_c)], *ct_k_new,
                *[c for c, lin in zip(ct_x, x_lin) if lin]]

    return trace_flat(step, [*res_c_avals, *acc_avals, *kt_avals, *res_x_avals, *ct_y_avals],
                      "transpose(scan)")


transpose_rules[scan_p] = _scan_transpose


def _scan_batch(vals, dims, *, jaxpr, num_consts, num_carry, length, reverse):
    size = batch_axis_size(vals, dims)
    consts, init, xs = split_sizes(vals, num_consts, num_carry)
    cd, kd, xd = split_sizes(dims, num_consts, num_carry)
    xs = [moveaxis(x, d, 1) if d is not not_mapped else x for x, d in zip(xs, xd)]
    x_dims = [0 if d is not not_mapped else not_mapped for d in xd]
    ny = len(jaxpr.out_avals) - num_carry
    carry_b = [d is not not_mapped for d in kd]
    for _ in range(num_carry + 1):
        k_dims = [0 if b else not_mapped for b in carry_b]
        body, out_b = batch_jaxpr(jaxpr, size, cd + k_dims + x_dims, carry_b + [False] * ny)
        if out_b[:num_carry] == carry_b:
            break
        carry_b = [a or b for a, b in zip(carry_b, out_b)]
    init = [bdim_at(x, d, 0, size) if b else x for x, d, b in zip(init, kd, carry_b)]
    outs = scan_p.bind(*consts, *init, *xs, jaxpr=body, num_consts=num_consts,
                       num_carry=num_carry, length=length, reverse=reverse)
    return outs, ([0 if b else not_mapped for b in carry_b]
                  + [1 if b else not_mapped for b in out_b[num_carry:]])


batch_rules[scan_p] = _scan_batch


__all__ = ["scan_p", "while_p"]
