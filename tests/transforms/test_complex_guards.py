"""Until funcad has complex-number support (real, imag, conj), a derivative that needs it is
refused with a clear error instead of a wrong number. Each case once returned a wrong
value: ``grad(|i x|)`` gave 0 (the answer is 1), ``grad(sum |exp(i x)|)`` gave -sin(x)
(the answer is 0), and the tangent of ``sign(z)`` was 0."""
from __future__ import annotations

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad.errors import FuncadNotImplementedError

REFUSED = [
    ("abs of i x", lambda: funcad.grad(lambda x: fnp.abs(1j * x))(1.5), "abs"),
    ("abs of exp(i x)", lambda: funcad.grad(
        lambda x: fnp.sum(fnp.abs(fnp.exp(1j * x))))(np.array([0.3, 0.5])), "abs"),
    ("jvp of abs", lambda: funcad.jvp(fnp.abs, (np.array(1 + 2j),), (np.array(1j),)), "abs"),
    ("jvp of sign", lambda: funcad.jvp(fnp.sign, (np.array(1 + 2j),), (np.array(1 + 0j),)),
     "sign"),
    ("vmap of grad", lambda: funcad.vmap(funcad.grad(lambda x: fnp.abs(1j * x)))(
        np.array([1.0, 2.0])), "abs"),
]


@pytest.mark.parametrize(("name", "run", "prim"), REFUSED, ids=[r[0] for r in REFUSED])
def test_complex_derivatives_are_refused_not_wrong(name, run, prim):
    with pytest.raises(FuncadNotImplementedError, match=rf"`{prim}` at complex values") as e:
        run()
    assert isinstance(e.value, NotImplementedError)
    assert "test_complex_guards.py" in str(e.value)  # the user's line


def test_real_derivatives_of_abs_and_sign_are_unchanged():
    x = np.array([-2.0, 0.5, 0.0])
    np.testing.assert_array_equal(funcad.grad(lambda v: fnp.sum(fnp.abs(v)))(x), [-1, 1, 1])
    np.testing.assert_array_equal(funcad.grad(lambda v: fnp.sum(fnp.sign(v) * v))(x),
                                  np.sign(x))
    # Complex values pass through abs when nothing is differentiated with respect to them.
    np.testing.assert_allclose(funcad.grad(lambda v: v * fnp.abs(3 + 4j))(2.0), 5.0)
