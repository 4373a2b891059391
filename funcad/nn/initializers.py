"""``funcad.nn.initializers``: ``jax.nn.initializers``' parameter initializers, drawn with
``funcad.random`` so the same key, shape and dtype give JAX's numbers. Each factory returns
``init(key, shape, dtype=dtype)``; ``dtype=None`` means float64, funcad's default float
(JAX's default float with x64 enabled)."""
from __future__ import annotations

import math
import operator

import numpy as np

import funcad.numpy as fnp
import funcad.random as frandom
from funcad.errors import FuncadNotImplementedError, FuncadValueError

# Standard deviation of the unit normal truncated to [-2, 2]: dividing by it gives the
# truncated draws the variance variance_scaling asks for.
_TRUNCATED_NORMAL_STDDEV = 0.8796256610342398
_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")


def _float_dtype(name, dtype):
    dtype = np.dtype(np.float64 if dtype is None else dtype)
    if dtype.kind != "f":
        kind = "complex" if dtype.kind == "c" else "non-float"
        if dtype.kind == "c":
            raise FuncadNotImplementedError(f"nn.initializers.{name} with {kind} dtype {dtype}")
        raise FuncadValueError(f"nn.initializers.{name}: dtype must be a float dtype, "
                               f"got {dtype}")
    return dtype


def _shape(name, shape):
    try:
        return tuple(operator.index(d) for d in shape)
    except TypeError:
        raise FuncadValueError(
            f"nn.initializers.{name}: shape must be a sequence of ints, got {shape!r}") from None


def _no_sharding(name, out_sharding):
    if out_sharding is not None:
        raise FuncadNotImplementedError(f"nn.initializers.{name} with out_sharding")


def zeros(key, shape, dtype=None, out_sharding=None):
    """An array of zeros (the key is unused)."""
    _no_sharding("zeros", out_sharding)
    return fnp.zeros(_shape("zeros", shape), _float_dtype("zeros", dtype))


def ones(key, shape, dtype=None, out_sharding=None):
    """An array of ones (the key is unused)."""
    _no_sharding("ones", out_sharding)
    return fnp.ones(_shape("ones", shape), _float_dtype("ones", dtype))


def constant(value, dtype=None):
    """An initializer filling its shape with ``value``."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        _no_sharding("constant", out_sharding)
        return fnp.full(_shape("constant", shape), value, dtype=_float_dtype("constant", dtype))
    return init


def uniform(scale=1e-2, dtype=None):
    """Draws uniform on ``[0, scale)``."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        _no_sharding("uniform", out_sharding)
        dtype = _float_dtype("uniform", dtype)
        return frandom.uniform(key, _shape("uniform", shape), dtype) * np.asarray(scale, dtype)
    return init


def normal(stddev=1e-2, dtype=None):
    """Draws normal with mean 0 and standard deviation ``stddev``."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        _no_sharding("normal", out_sharding)
        dtype = _float_dtype("normal", dtype)
        return frandom.normal(key, _shape("normal", shape), dtype) * np.asarray(stddev, dtype)
    return init


def truncated_normal(stddev=1e-2, dtype=None, lower=-2.0, upper=2.0):
    """Draws ``stddev * z`` with ``z`` a unit normal truncated to ``[lower, upper]``."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        _no_sharding("truncated_normal", out_sharding)
        dtype = _float_dtype("truncated_normal", dtype)
        draws = frandom.truncated_normal(key, lower, upper, _shape("truncated_normal", shape),
                                         dtype)
        return draws * np.asarray(stddev, dtype)
    return init


def _axes_size(shape, axes):
    if isinstance(axes, int):
        return shape[axes]
    return math.prod(shape[i] for i in axes)


def _compute_fans(shape, in_axis=-2, out_axis=-1, batch_axis=()):
    """``(fan_in, fan_out)``: the in/out sizes times the receptive field (every axis that
    is neither in, out nor batch), as JAX computes them."""
    if isinstance(in_axis, int) and in_axis == -2 and len(shape) <= 1:
        raise FuncadValueError(
            f"nn.initializers.variance_scaling: cannot compute fan-in and fan-out of a "
            f"{len(shape)}-dimensional shape {shape} with the default in_axis; give in_axis")
    try:
        in_size = _axes_size(shape, in_axis)
        out_size = _axes_size(shape, out_axis)
        batch_size = _axes_size(shape, batch_axis)
    except IndexError:
        raise FuncadValueError(
            f"nn.initializers.variance_scaling: in_axis={in_axis}, out_axis={out_axis}, "
            f"batch_axis={batch_axis} do not fit shape {shape}") from None
    receptive_field = math.prod(shape) / in_size / out_size / batch_size
    return in_size * receptive_field, out_size * receptive_field


def variance_scaling(scale, mode, distribution, in_axis=-2, out_axis=-1, batch_axis=(),
                     dtype=None):
    """Draws of variance ``scale / n`` with ``n`` the fan ``mode`` picks (fan_in, fan_out,
    their mean or geometric mean), from a truncated normal, a normal or a uniform on
    ``[-sqrt(3 var), sqrt(3 var))``."""
    if mode not in _MODES:
        raise FuncadValueError(
            f"nn.initializers.variance_scaling: mode must be one of {_MODES}, got {mode!r}")
    if distribution not in _DISTRIBUTIONS:
        raise FuncadValueError(f"nn.initializers.variance_scaling: distribution must be one "
                               f"of {_DISTRIBUTIONS}, got {distribution!r}")

    def init(key, shape, dtype=dtype, out_sharding=None):
        _no_sharding("variance_scaling", out_sharding)
        shape = _shape("variance_scaling", shape)
        dtype = _float_dtype("variance_scaling", dtype)
        fan_in, fan_out = _compute_fans(shape, in_axis, out_axis, batch_axis)
        denominator = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
                       "fan_geo_avg": (fan_in * fan_out) ** 0.5}[mode]
        variance = np.asarray(scale / denominator, dtype)
        if distribution == "truncated_normal":
            stddev = np.sqrt(variance) / np.asarray(_TRUNCATED_NORMAL_STDDEV, dtype)
            return frandom.truncated_normal(key, -2, 2, shape, dtype) * stddev
        if distribution == "normal":
            return frandom.normal(key, shape, dtype) * np.sqrt(variance)
        return frandom.uniform(key, shape, dtype, -1) * np.sqrt(3 * variance)
    return init


def _fan_factory(scale, mode, distribution, doc):
    def factory(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
        return variance_scaling(scale, mode, distribution, in_axis=in_axis,
                                out_axis=out_axis, batch_axis=batch_axis, dtype=dtype)
    factory.__doc__ = doc
    return factory


glorot_uniform = _fan_factory(1.0, "fan_avg", "uniform", "Glorot/Xavier uniform.")
glorot_normal = _fan_factory(1.0, "fan_avg", "truncated_normal", "Glorot/Xavier normal.")
lecun_uniform = _fan_factory(1.0, "fan_in", "uniform", "LeCun uniform.")
lecun_normal = _fan_factory(1.0, "fan_in", "truncated_normal", "LeCun normal.")
he_uniform = _fan_factory(2.0, "fan_in", "uniform", "He/Kaiming uniform.")
he_normal = _fan_factory(2.0, "fan_in", "truncated_normal", "He/Kaiming normal.")
for _name in ("glorot_uniform", "glorot_normal", "lecun_uniform", "lecun_normal",
              "he_uniform", "he_normal"):
    globals()[_name].__name__ = globals()[_name].__qualname__ = _name
xavier_uniform, xavier_normal = glorot_uniform, glorot_normal
kaiming_uniform, kaiming_normal = he_uniform, he_normal


def _orthogonal_matrix(key, n_rows, n_cols, dtype):
    """A draw with orthonormal columns (or rows, when wider than tall): the Q factor of a
    normal matrix with the signs of R's diagonal moved into it, which makes it Haar
    distributed and the draw a function of the key alone (as JAX's random.orthogonal)."""
    z = frandom.normal(key, (max(n_rows, n_cols), min(n_rows, n_cols)), dtype)
    q, r = fnp.linalg.qr(z)
    q = q * fnp.expand_dims(fnp.sign(fnp.diagonal(r)), -2)
    return q.T if n_rows < n_cols else q


def orthogonal(scale=1.0, column_axis=-1, dtype=None):
    """``scale`` times a matrix with orthonormal columns (rows when wider), reshaped so
    ``column_axis`` holds the columns and every other axis is flattened into rows."""
    def init(key, shape, dtype=dtype, out_sharding=None):
        _no_sharding("orthogonal", out_sharding)
        shape = _shape("orthogonal", shape)
        dtype = _float_dtype("orthogonal", dtype)
        if len(shape) < 2:
            raise FuncadValueError(
                f"nn.initializers.orthogonal needs a shape of at least 2 axes, got {shape}")
        if 0 in shape:
            return fnp.zeros(shape, dtype)
        n_cols = shape[column_axis]
        q = _orthogonal_matrix(key, math.prod(shape) // n_cols, n_cols, dtype)
        rows_shape = tuple(np.delete(np.array(shape), column_axis))
        q = fnp.moveaxis(fnp.reshape(q, (*rows_shape, n_cols)), -1, column_axis)
        return np.asarray(scale, dtype) * q
    return init


__all__ = [
    "constant", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
    "kaiming_normal", "kaiming_uniform", "lecun_normal", "lecun_uniform", "normal", "ones",
    "orthogonal", "truncated_normal", "uniform", "variance_scaling", "xavier_normal",
    "xavier_uniform", "zeros",
]
