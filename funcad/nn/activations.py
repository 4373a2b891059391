"""Neural-network activations with ``jax.nn``'s names, signatures and values, built from
funcad.numpy / funcad.lax operations so every transform applies. Each is written in a form
whose value and derivative stay finite at large ``|x|`` (no ``inf * 0`` in the chain rule),
and kinks take JAX's one-sided derivatives (``relu'(0) = 0``)."""
from __future__ import annotations

import operator

import numpy as np

import funcad.numpy as fnp
from funcad import lax
from funcad.ad import stop_gradient
from funcad.errors import FuncadNotImplementedError, FuncadTypeError, FuncadValueError
from funcad.ops import elementwise as ew
from funcad.scipy.special import logsumexp as _logsumexp

# Constants of the self-normalizing ELU (Klambauer et al., 2017).
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
# Beyond this |x| the tanh of gelu's approximate form is exactly +-1 in float32 and
# float64, so clipping its argument changes no value and keeps x**3 from overflowing.
_GELU_TANH_SATURATED = 10.0


def _inexact(name, x):
    (x,) = fnp._core.promote_args_inexact(name, x)
    return x


def relu(x):
    """``max(x, 0)``; its derivative at 0 is 0 (as JAX's) and NaN stays NaN."""
    x = fnp.asarray(x)
    zero = fnp.zeros_like(x)
    return fnp.where(x > 0, x, fnp.where(x <= 0, zero, x))


def relu6(x):
    """``min(max(x, 0), 6)``; derivative 1 on the open interval (0, 6), 0 elsewhere."""
    x = fnp.asarray(x)
    zero = fnp.zeros_like(x)
    return fnp.where(x > 0, fnp.where(x < 6, x, zero + 6), fnp.where(x <= 0, zero, x))


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``, computed without overflow."""
    return ew.logistic(_inexact("sigmoid", x))


def softplus(x):
    """``log(1 + exp(x))`` without overflow."""
    return fnp.logaddexp(x, 0.0)


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``: finite (about ``x``) for very negative ``x``."""
    return -softplus(-_inexact("log_sigmoid", x))


def silu(x):
    """``x * sigmoid(x)`` (the swish of slope 1)."""
    x = _inexact("silu", x)
    return x * sigmoid(x)


swish = silu


def gelu(x, approximate: bool = True):
    """Gaussian error linear unit: ``x * Phi(x)``, or with ``approximate=True`` the tanh
    form ``x/2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``."""
    x = _inexact("gelu", x)
    if approximate:
        xc = fnp.clip(x, -_GELU_TANH_SATURATED, _GELU_TANH_SATURATED)
        inner = np.sqrt(2 / np.pi).astype(x.dtype) * (xc + 0.044715 * (xc * xc * xc))
        return x * (0.5 * (1.0 + fnp.tanh(inner)))
    return 0.5 * x * lax.erfc(-x * np.sqrt(0.5).astype(x.dtype))


def elu(x, alpha=1.0):
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)`` (expm1 of a clamped argument)."""
    x = _inexact("elu", x)
    negative = fnp.where(x > 0, fnp.zeros_like(x), x)
    return fnp.where(x > 0, x, alpha * fnp.expm1(negative))


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``x`` for ``x > 0``, else ``alpha*expm1(x/alpha)``."""
    x = _inexact("celu", x)
    negative = fnp.where(x > 0, fnp.zeros_like(x), x)
    return fnp.where(x > 0, x, alpha * fnp.expm1(negative / alpha))


def selu(x):
    """Scaled ELU with the self-normalizing constants."""
    return _SELU_SCALE * elu(_inexact("selu", x), _SELU_ALPHA)


def leaky_relu(x, negative_slope=1e-2):
    """``x`` for ``x >= 0``, else ``negative_slope * x``."""
    x = _inexact("leaky_relu", x)
    return fnp.where(x >= 0, x, negative_slope * x)


def hard_tanh(x):
    """``x`` clamped to ``[-1, 1]``; derivative 0 outside the open interval."""
    x = fnp.asarray(x)
    one = fnp.ones_like(x)
    return fnp.where(x > 1, one, fnp.where(x < -1, -one, x))


def hard_sigmoid(x):
    """``relu6(x + 3) / 6``."""
    return relu6(x + 3.0) / 6.0


def hard_silu(x):
    """``x * hard_sigmoid(x)``."""
    x = _inexact("hard_silu", x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def glu(x, axis: int = -1):
    """Gated linear unit: halves ``a, b`` of ``x`` along ``axis``, ``a * sigmoid(b)``."""
    x = fnp.asarray(x)
    size = x.shape[axis] if x.ndim else 0
    if x.ndim == 0 or size % 2:
        raise FuncadValueError(
            f"glu: axis {axis} of x (shape {x.shape}) must have an even size to split in two")
    a, b = fnp.split(x, 2, axis=axis)
    return a * sigmoid(b)


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False,
              where=None):
    """``log(sum(b * exp(a)))`` over ``axis``; ``where`` leaves entries out (``a`` as -inf,
    ``b`` as 0): ``funcad.scipy.special.logsumexp``, as JAX's."""
    return _logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign,
                      where=where)


def log_softmax(x, axis: int | tuple[int, ...] | None = -1, where=None):
    """``x - logsumexp(x, axis)``, shifted by the maximum; masked-out entries are -inf."""
    x = _inexact("log_softmax", x)
    x_safe = x if where is None else fnp.where(where, x, -np.inf)
    x_max = fnp.max(stop_gradient(x_safe), axis=axis, keepdims=True)
    shifted = x_safe - x_max
    total = fnp.sum(fnp.exp(shifted), axis=axis, keepdims=True)
    result = shifted - fnp.log(total)
    return result if where is None else fnp.where(where, result, -np.inf)


def softmax(x, axis: int | tuple[int, ...] | None = -1, where=None):
    """``exp(x) / sum(exp(x), axis)``, shifted by the maximum; masked-out entries are 0."""
    x = _inexact("softmax", x)
    x_safe = x if where is None else fnp.where(where, x, -np.inf)
    x_max = fnp.max(stop_gradient(x_safe), axis=axis, keepdims=True)
    unnormalized = fnp.exp(x_safe - x_max)
    result = unnormalized / fnp.sum(unnormalized, axis=axis, keepdims=True)
    return result if where is None else fnp.where(where, result, fnp.zeros_like(result))


def _mean(v, axis, where):
    """``mean(v, axis, keepdims=True)`` over the entries ``where`` marks."""
    if where is None:
        return fnp.mean(v, axis, keepdims=True)
    mask = fnp.broadcast_to(fnp.asarray(where, dtype=bool), v.shape)
    total = fnp.sum(fnp.where(mask, v, fnp.zeros_like(v)), axis, keepdims=True)
    return total / fnp.sum(mask.astype(total.dtype), axis, keepdims=True)


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None, *,
                algorithm: str = "fast"):
    """``(x - mean) / sqrt(variance + epsilon)`` with the statistics over ``axis`` (masked
    by ``where``) unless given. ``algorithm="fast"`` takes ``E[x^2] - E[x]^2`` clipped at 0,
    ``"stable"`` the two-pass ``E[(x - E[x])^2]``, as JAX."""
    x = _inexact("standardize", x)
    if algorithm not in ("fast", "stable"):
        raise FuncadValueError(
            f"standardize: algorithm must be 'fast' or 'stable', got {algorithm!r}")
    if mean is None:
        mean = _mean(x, axis, where)
    if variance is None:
        if algorithm == "stable":
            variance = _mean(fnp.square(x - mean), axis, where)
        else:
            variance = _mean(fnp.square(x), axis, where)
            variance = fnp.clip(variance - fnp.square(mean), 0)
    return (x - mean) * lax.rsqrt(variance + epsilon)


def one_hot(x, num_classes: int, *, dtype=None, axis: int = -1):
    """``x == arange(num_classes)`` along a new ``axis``, as ``dtype`` (default float64).
    Entries outside ``[0, num_classes)`` (and NaN) give rows of zeros."""
    try:
        num_classes = operator.index(num_classes)
    except TypeError:
        raise FuncadTypeError(
            f"one_hot: num_classes must be a static int, got {num_classes!r}") from None
    if isinstance(axis, str):
        raise FuncadNotImplementedError("one_hot with a named (vmap axis_name) axis")
    x = fnp.asarray(x)
    out_axis = operator.index(axis)
    if not -(x.ndim + 1) <= out_axis <= x.ndim:
        raise FuncadValueError(f"one_hot: axis {axis} is out of range for x of shape "
                               f"{x.shape} (result rank {x.ndim + 1})")
    out_axis %= x.ndim + 1
    shape = [1] * (x.ndim + 1)
    shape[out_axis] = num_classes
    classes = fnp.arange(num_classes, dtype=x.dtype).reshape(shape)
    hits = fnp.expand_dims(x, out_axis) == classes
    return hits.astype(np.float64 if dtype is None else dtype)


__all__ = [
    "celu", "elu", "gelu", "glu", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh",
    "leaky_relu", "log_sigmoid", "log_softmax", "logsumexp", "one_hot", "relu", "relu6",
    "selu", "sigmoid", "silu", "softmax", "softplus", "standardize", "swish",
]
