"""Taylor rules written once per primitive family (the names the definers put in
``taylor_rules``): jointly linear primitives act on each coefficient, bilinear ones take
Cauchy products, primitives without a derivative give no series.

``"elementwise"`` has no rule of its own here: its Taylor rule is the generic one (or a
specialised recurrence from ``funcad.taylor.elementwise``); the family matters to
``laplacian``, which needs only an elementwise primitive's first two derivatives.
"""
from __future__ import annotations

from collections.abc import Callable

from funcad.core.rules import taylor_rules
from funcad.core.symbolic import is_differentiable_dtype
from funcad.core.trace import get_aval
from funcad.ops._base import add_any, convert_element_type_p, select_n_p, zeros_of
from funcad.ops.dynamic_slicing import dynamic_slice_p, dynamic_update_slice_p
from funcad.ops.gather_scatter import gather_p, scatter_add_p, scatter_p
from funcad.taylor.series import normalize


def _zeros_like(x):
    return zeros_of(get_aval(x).strip_weak_type())


def _floating(x) -> bool:
    return is_differentiable_dtype(get_aval(x).dtype)


def linear_rule(primitive) -> Callable:
    """``prim`` jointly linear in its floating operands: coefficient ``k`` of the output is
    ``prim`` of the inputs' coefficients ``k``; integer and boolean operands (indices, masks,
    selectors) are passed as they are."""

    def rule(primals, series, order, /, **params):
        ans = primitive.bind(*primals, **params)
        if not primitive.multiple_results and not is_differentiable_dtype(get_aval(ans).dtype):
            return ans, None
        outs = []
        for k in range(order):
            terms = [None if s is None else s[k] for s in series]
            if all(t is None for t in terms):
                outs.append(None)
                continue
            outs.append(primitive.bind(*[t if t is not None else _zeros_like(p) if _floating(p)
                                         else p for p, t in zip(primals, terms)], **params))
        if primitive.multiple_results:
            n_out = len(ans)
            return ans, [normalize([None if o is None else o[i] for o in outs])
                         for i in range(n_out)]
        return ans, normalize(outs)

    return rule


def bilinear_rule(primitive) -> Callable:
    """``prim(a, b)`` linear in each: ``c_k = sum_j prim(a_j, b_{k-j})``."""

    def rule(primals, series, order, /, **params):
        (a0, b0), (sa, sb) = primals, series
        ans = primitive.bind(a0, b0, **params)
        a = [a0, *(sa or [None] * order)]
        b = [b0, *(sb or [None] * order)]
        out = []
        for k in range(1, order + 1):
            term = None
            for j in range(k + 1):
                if a[j] is None or b[k - j] is None:
                    continue
                t = primitive.bind(a[j], b[k - j], **params)
                term = t if term is None else add_any(term, t)
            out.append(term)
        return ans, normalize(out)

    return rule


def zero_rule(primitive) -> Callable:
    """No derivative (comparisons, rounding, indices): the output does not move."""

    def rule(primals, series, order, /, **params):
        ans = primitive.bind(*primals, **params)
        if primitive.multiple_results:
            return ans, [None] * len(ans)
        return ans, None

    return rule


# Primitives linear in their floating operands whose blocks define their own JVP rule (not
# ``deflinear``): their indices or selectors are integers.
for _prim in (dynamic_slice_p, dynamic_update_slice_p, scatter_add_p, scatter_p, select_n_p,
              convert_element_type_p):
    taylor_rules.setdefault(_prim, "linear")


def _gather_rule(primals, series, order, /, **params):
    """Linear, but the coefficients of an out-of-bounds read are 0, not its fill value."""
    ans = gather_p.bind(*primals, **params)
    _, coefficients = linear_rule(gather_p)(primals, series, order,
                                            **dict(params, fill_value=0))
    return ans, coefficients


taylor_rules.setdefault(gather_p, _gather_rule)

FAMILY_RULES: dict[str, Callable] = {
    "linear": linear_rule,
    "bilinear": bilinear_rule,
    "zero": zero_rule,
}

__all__ = ["FAMILY_RULES", "bilinear_rule", "linear_rule", "zero_rule"]
