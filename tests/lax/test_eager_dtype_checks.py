"""Eager ``funcad.lax`` refuses the operand dtypes its traced form refuses.

Eager evaluation skips the shape/dtype rules for speed, so each primitive's eager
implementation checks the operand kinds itself; without that, ``lax.exp`` of integers
quietly returned floats eagerly and raised under ``jit`` (``jax.lax.exp`` raises). Every
one- and two-operand ``funcad.lax`` function is called on bool, integer, float and
complex operands, eagerly and under ``jit``; both must refuse, or both give the same
value and dtype.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import funcad
from funcad import lax
from funcad.errors import FuncadError

OPERANDS = {
    "bool": np.array([True, False, True]),
    "int32": np.array([1, 2, 3], np.int32),
    "uint8": np.array([1, 2, 3], np.uint8),
    "float64": np.array([0.25, 0.5, 0.75]),
    "complex128": np.array([0.25 + 0.5j, 0.5, 0.75j]),
}


ARRAY_PARAMS = {"x", "y", "a", "b", "operand", "lhs", "rhs"}


def _elementwise_names():
    names = []
    for name in lax.__all__:
        fn = getattr(lax, name)
        if not inspect.isfunction(fn):
            continue
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.default is inspect.Parameter.empty
                  and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        # Array operands only: a second parameter such as a dtype or dimensions is not.
        if len(params) in (1, 2) and all(p.name in ARRAY_PARAMS for p in params):
            names.append((name, len(params)))
    return names


def _outcome(fn, args):
    try:
        out = fn(*args)
    except FuncadError as e:
        return ("raises", type(e).__name__)
    except (TypeError, ValueError) as e:
        return ("raises", type(e).__name__)
    return ("value", np.asarray(out))


@pytest.mark.parametrize("kind", sorted(OPERANDS))
def test_eager_and_jit_refuse_the_same_operand_kinds(kind):
    x = OPERANDS[kind]
    checked = 0
    for name, nargs in _elementwise_names():
        fn = getattr(lax, name)
        args = (x,) * nargs
        with np.errstate(all="ignore"):
            eager = _outcome(fn, args)
            jitted = _outcome(funcad.jit(fn), args)
        if eager[0] == "raises" or jitted[0] == "raises":
            assert eager[0] == jitted[0], (
                f"lax.{name} on {kind}: eager {eager[0]} but jit {jitted[0]} ({eager[1]!r:.80} /"
                f" {jitted[1]!r:.80})")
            continue
        e, j = eager[1], jitted[1]
        assert e.dtype == j.dtype, f"lax.{name} on {kind}: eager {e.dtype}, jit {j.dtype}"
        np.testing.assert_allclose(e, j, rtol=1e-12, atol=0, equal_nan=True,
                                   err_msg=f"lax.{name} on {kind}")
        checked += 1
    assert checked > 10


def test_integer_exp_refused_eagerly_as_under_jit():
    with pytest.raises(FuncadError, match="exp"):
        lax.exp(np.arange(3))
