"""Op-spec rows of ``pure_callback`` (``funcad.ops.callbacks``): host NumPy functions called
from the IR, once as they are (no derivative: a non-differentiable row, vmapped per
example) and once inside a ``custom_jvp`` (differentiable, vmapped as one batched call)."""
from __future__ import annotations

import numpy as np

import funcad

from specs.spec import BINARY_SHAPES, UNARY_SHAPES, OpSpec


def _sinh(x):
    return funcad.pure_callback(np.sinh, x, x, vmap_method="sequential")


def _hypot(x, y):
    return funcad.pure_callback(np.hypot, x, x, y, vmap_method="broadcast_all")


@funcad.custom_jvp
def _host_tanh(x):
    return funcad.pure_callback(np.tanh, x, x, vmap_method="expand_dims")


@_host_tanh.defjvp
def _host_tanh_jvp(primals, tangents):
    y = _host_tanh(primals[0])
    return y, (1 - y * y) * tangents[0]


_EQUAL = tuple(s for s in BINARY_SHAPES if s[0] == s[1])

SPECS = [
    OpSpec("pure_callback_sinh", _sinh, np.sinh, UNARY_SHAPES, differentiable=False),
    OpSpec("pure_callback_hypot", _hypot, np.hypot, _EQUAL, differentiable=False),
    OpSpec("pure_callback_custom_jvp", _host_tanh, np.tanh, UNARY_SHAPES),
]
