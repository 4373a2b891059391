"""Where NumPy rejects complex operands (floor, remainder, arctan2, logaddexp, cbrt, ...) or
funcad refuses them by design (a complex sum cast to a real dtype), funcad raises one of its
own errors, eagerly and while tracing: never a result, never a NumPy error from inside.
Where NumPy accepts them, so does funcad: a complex value cast to a real dtype is its real
part, as NumPy's (which warns) and jax.lax's."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad.errors import FuncadError

from specs.complex_numbers import REJECTED
from specs.spec import spec_args


def test_there_are_rejected_rows():
    names = {s.name for s in REJECTED}
    assert {"floor[complex]", "remainder_float[complex]", "arctan2[complex]",
            "logaddexp[complex]"} <= names


def test_complex_to_real_cast_takes_the_real_part():
    z = np.array([1.5 + 2j, -0.5 - 1j])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = np.sum(z, dtype=np.float32)
    got = fnp.sum(z, dtype=np.float32)
    assert got.dtype == want.dtype and got == want
    jitted = funcad.jit(lambda v: fnp.sum(v, dtype=np.float64), backend="numpy")(z)
    assert jitted == 1.0 and jitted.dtype == np.float64
    # d/dz of real(z) summed: the gradient is JAX's, ones (real-part direction).
    g = funcad.grad(lambda v: fnp.sum(v, dtype=np.float64))(z)
    np.testing.assert_array_equal(g, np.ones(2, complex))


@pytest.mark.parametrize("spec", REJECTED, ids=lambda s: s.name)
def test_funcad_rejects_complex_operands(spec):
    rng = np.random.default_rng(0)
    for shapes in spec.cases:
        for dtype in spec.dtypes:
            args = spec_args(spec, rng, shapes, dtype)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if "operators" not in spec.tags:  # eagerly those are NumPy's own
                    with pytest.raises(FuncadError):
                        spec.fn(*args)
                with pytest.raises(FuncadError):
                    funcad.make_jaxpr(spec.fn)(*args)


_LAX_REAL_ONLY = {
    "is_finite": 1, "erf": 1, "floor": 1, "ceil": 1, "cbrt": 1, "round": 1,
    "lt": 2, "le": 2, "gt": 2, "ge": 2, "rem": 2,
}


@pytest.mark.parametrize("name", sorted(_LAX_REAL_ONLY))
def test_real_only_primitives_refuse_complex_eagerly_as_when_staged(name):
    """As jax.lax, which raises a TypeError for each: eagerly too (NumPy's ufuncs would
    order complex values, or erf's would drop the imaginary part)."""
    jax = pytest.importorskip("jax")
    from funcad import lax

    z = [np.array([1 + 2j, -0.5 + 0.3j]), np.array([0.5 - 1j, 2 + 0j])][:_LAX_REAL_ONLY[name]]
    with pytest.raises(TypeError):
        getattr(jax.lax, name)(*z)
    with pytest.raises(FuncadError):
        getattr(lax, name)(*z)
    with pytest.raises(FuncadError):
        funcad.make_jaxpr(getattr(lax, name))(*z)
