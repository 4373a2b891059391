"""The row type of the op-spec table and the argument generators it uses."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from hypothesis import settings

F64 = np.dtype(np.float64)
F32 = np.dtype(np.float32)
I32 = np.dtype(np.int32)
I64 = np.dtype(np.int64)
BOOL = np.dtype(np.bool_)
C128 = np.dtype(np.complex128)
C64 = np.dtype(np.complex64)

FLOATS = (F64, F32)
COMPLEX = (C128, C64)
# Imaginary parts of complex draws: small enough that no branch cut of the elementwise
# functions (log/sqrt on the negative reals, arcsin/arctanh beyond +-1, arctan/arcsinh on
# the imaginary axis beyond +-i) comes near a point whose real part is in a row's domain.
IMAG_DOMAIN = (-0.75, 0.75)

# Shape cases every elementwise row runs on: scalars, vectors, matrices, broadcasting.
UNARY_SHAPES = (((),), ((4,),), ((2, 3),), ((2, 1, 3),))
BINARY_SHAPES = (
    ((), ()),
    ((4,), (4,)),
    ((2, 3), (2, 3)),
    ((2, 3), (3,)),
    ((3, 1), (1, 4)),
    ((), (2, 3)),
)


@dataclass(frozen=True)
class OpSpec:
    """One row: a funcad callable, the NumPy reference it must equal, and how to test it.

    ``fn`` and ``ref`` take the same positional arrays. Each entry of ``cases`` is a tuple
    of argument shapes; each case runs once per entry of ``dtypes`` (all arguments of that
    dtype unless ``make_args`` decides otherwise).
    """

    name: str
    fn: Callable
    ref: Callable
    cases: Sequence[tuple] = UNARY_SHAPES
    dtypes: Sequence[np.dtype] = FLOATS
    domain: tuple[float, float] = (-2.0, 2.0)
    # make_args(rng, shapes, dtype) -> list of arguments; overrides the default uniform draw.
    make_args: Callable | None = None
    rtol: float | None = None
    atol: float | None = None
    # Whether the op is differentiable (rows of non-differentiable ops are skipped by the
    # derivative tests of later issues).
    differentiable: bool = True
    tags: tuple[str, ...] = field(default=())

    def tolerances(self, dtype: np.dtype) -> tuple[float, float]:
        """Default tolerances by dtype: exact-ish for integers, float64 and complex128."""
        dtype = np.dtype(dtype)
        if dtype.kind in "biu":
            return 0.0, 0.0
        wide = np.finfo(dtype).bits >= 64  # finfo of a complex dtype is its parts' one
        rtol = self.rtol if self.rtol is not None else (1e-12 if wide else 2e-6)
        atol = self.atol if self.atol is not None else (1e-12 if wide else 2e-6)
        return rtol, atol


def uniform_args(rng: np.random.Generator, shapes, dtype, domain=(-2.0, 2.0)) -> list:
    """Arrays of ``shapes`` with values uniform in ``domain`` (ints and bools included; a
    complex dtype draws its real part from ``domain`` and its imaginary part from
    ``IMAG_DOMAIN``)."""
    dtype = np.dtype(dtype)
    lo, hi = domain
    out = []
    for shape in shapes:
        if dtype.kind == "b":
            out.append(np.asarray(rng.random(shape) < 0.5))
        elif dtype.kind in "iu":
            lo_i = max(int(np.floor(lo)), 0) if dtype.kind == "u" else int(np.floor(lo))
            out.append(rng.integers(lo_i, int(np.ceil(hi)) + 1, size=shape).astype(dtype))
        elif dtype.kind == "c":
            re, im = rng.uniform(lo, hi, size=shape), rng.uniform(*IMAG_DOMAIN, size=shape)
            out.append(np.asarray(re + 1j * im, dtype=dtype))
        else:
            out.append(np.asarray(rng.uniform(lo, hi, size=shape), dtype=dtype))
    return out


def normal(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    """Standard normal draws of ``shape``: real ones for a real ``dtype`` (one draw, as
    ``rng.standard_normal``), and for a complex one independent real and imaginary parts."""
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x


def conj_t(x):
    """The conjugate transpose of each matrix (the transpose of a real one), for NumPy and
    funcad.numpy arrays alike."""
    return x.swapaxes(-1, -2).conj()


def spec_args(spec: OpSpec, rng: np.random.Generator, shapes, dtype) -> list:
    if spec.make_args is not None:
        return list(spec.make_args(rng, shapes, dtype))
    return uniform_args(rng, shapes, dtype, spec.domain)


def table_settings() -> settings:
    """Hypothesis settings for tests over the whole op-spec table: a quarter of the
    profile's examples (2 under ``ci``), since the table multiplies every test by ~2000."""
    return settings(max_examples=max(1, settings.default.max_examples // 4))
