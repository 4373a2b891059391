"""Op-spec rows of ``funcad.numpy.fft``: every transform with NumPy's ``n``/``s``,
``axis``/``axes`` (negative, reordered) and the three norms, on complex and real inputs of
both precisions (crop and zero-pad included), plus the shifts."""
from __future__ import annotations

import numpy as np

import funcad.numpy as fnp

from specs.spec import C64, C128, F32, F64, OpSpec

_ALL = (C128, C64, F64, F32)
_REAL = (F64, F32)
_CPLX = (C128, C64)
_VEC = (((6,),), ((2, 5),))
_MAT = (((3, 4),), ((2, 3, 4),))


def _row(label: str, fname: str, cases, dtypes, **kw) -> OpSpec:
    def fn(x):
        return getattr(fnp.fft, fname)(x, **kw)

    def ref(x):
        return getattr(np.fft, fname)(x, **kw)

    args = "".join(f",{k}={v}" for k, v in kw.items())
    return OpSpec(f"fft.{label}[{args[1:]}]", fn, ref, cases, dtypes, rtol=1e-5, atol=1e-5)


SPECS: list[OpSpec] = [
    _row("fft", "fft", _VEC, _ALL),
    _row("fft", "fft", _VEC, (C128,), n=4, norm="ortho"),
    _row("fft", "fft", (((3, 2),),), (C128, F64), n=5, axis=0, norm="forward"),
    _row("ifft", "ifft", _VEC, _ALL),
    _row("ifft", "ifft", _VEC, (C128,), n=8, norm="ortho"),
    _row("ifft", "ifft", (((4, 2),),), (C128,), n=3, axis=-2, norm="forward"),
    _row("rfft", "rfft", _VEC, _REAL),
    _row("rfft", "rfft", (((5,),), ((2, 7),)), (F64,), norm="ortho"),
    _row("rfft", "rfft", (((4, 3),),), (F64,), n=6, axis=0, norm="forward"),
    _row("irfft", "irfft", (((4,),), ((2, 5),)), _CPLX),
    _row("irfft", "irfft", (((4,),), ((2, 5),)), (C128,), n=7, norm="ortho"),
    _row("irfft", "irfft", (((5, 2),),), (C128,), n=4, axis=0, norm="forward"),
    _row("hfft", "hfft", (((4,),), ((2, 5),)), (C128, F64)),
    _row("hfft", "hfft", (((4,),),), (C128,), n=5, norm="ortho"),
    _row("ihfft", "ihfft", (((6,),), ((2, 5),)), (F64,)),
    _row("ihfft", "ihfft", (((6,),),), (F64,), norm="forward"),
    _row("fft2", "fft2", _MAT, (C128, F32)),
    _row("ifft2", "ifft2", _MAT, (C128,), s=(2, 5), norm="ortho"),
    _row("rfft2", "rfft2", _MAT, (F64,)),
    _row("irfft2", "irfft2", _MAT, (C128,)),
    _row("irfft2", "irfft2", _MAT, (C128,), s=(3, 5), norm="forward"),
    _row("fftn", "fftn", _MAT, (C128, C64)),
    _row("fftn", "fftn", (((2, 3, 4),),), (C128,), axes=(2, 0)),
    _row("ifftn", "ifftn", (((2, 3, 4),),), (C128,), s=(3, 2), axes=(1, 2), norm="ortho"),
    _row("rfftn", "rfftn", (((2, 3, 4),),), (F64,), axes=(-1, 0)),
    _row("rfftn", "rfftn", _MAT, (F64,)),
    _row("irfftn", "irfftn", (((2, 3, 4),),), (C128,), axes=(1, 2)),
    _row("irfftn", "irfftn", _MAT, (C128,), s=(2, 6), axes=(-2, -1)),
    _row("fftshift", "fftshift", (((5,),), ((3, 4),)), (F64, C128)),
    _row("ifftshift", "ifftshift", (((5,),), ((3, 4),)), (C128,), axes=0),
]
