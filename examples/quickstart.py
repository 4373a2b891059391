"""Quick start: stage a small NumPy-style function into funcad's IR and evaluate it.

Run with ``python examples/quickstart.py``.
"""
from __future__ import annotations

import numpy as np

import funcad
import funcad.numpy as fnp


def f(x, y):
    """A small function written with funcad.numpy: sum(tanh(x @ y) ** 2)."""
    return fnp.sum(fnp.tanh(x @ y) ** 2)


def g(x):
    """Plain NumPy works on traced values too: np.sin dispatches to funcad."""
    return np.sin(x) * 2.0 + 1.0


def main() -> None:
    x = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    y = np.arange(12.0).reshape(3, 4) / 10.0

    print("The IR of f(x, y) = sum(tanh(x @ y) ** 2):")
    print(funcad.make_jaxpr(f)(x, y))
    print("f(x, y) =", f(x, y))
    print()
    print("The IR of g(x) = np.sin(x) * 2.0 + 1.0, written with plain NumPy:")
    print(funcad.make_jaxpr(g)(np.zeros(3)))
    print("g([0, 1, 2]) =", g(np.arange(3.0)))


if __name__ == "__main__":
    main()
