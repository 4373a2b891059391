"""What funcad returns: NumPy arrays from eager code and the NumPy backend, device-resident
``jax.Array``s from the XLA backend (API.md "Values")."""
from __future__ import annotations

import sys

import numpy as np


def is_jax_array(x) -> bool:
    jax = sys.modules.get("jax")
    return jax is not None and isinstance(x, jax.Array)


def assert_result_type(x, backend: str | None = None) -> None:
    """``x`` is a NumPy array, or (``backend="xla"``) a jax.Array; ``None``: either."""
    if backend == "xla":
        assert is_jax_array(x), f"an XLA result must be a jax.Array, got {type(x).__name__}"
    elif backend is None:
        assert type(x) is np.ndarray or is_jax_array(x), type(x).__name__
    else:
        assert type(x) is np.ndarray, f"a {backend} result must be np.ndarray, got {type(x)}"
