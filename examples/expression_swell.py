"""Expression swell: the symbolic derivative of the logistic map against funcad's IR.

The logistic map x_{k+1} = 4·x_k·(1 - x_k), iterated n times, is a polynomial of degree 2^n.
Differentiating it symbolically (sympy, if installed) and expanding gives an expression whose
size doubles with every iteration; funcad never builds that expression: the IR of
``grad(f_n)`` has a few equations per iteration, so it grows linearly in n, and evaluating it
costs a small constant times evaluating f_n (the cheap-gradient principle).

    python examples/expression_swell.py [--max-n 10] [--out swell.png] [--small]

Prints a table of sizes for n = 1..max-n and, with matplotlib, saves a plot to --out.
"""
from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

import funcad


def logistic_map(n: int):
    def f(x):
        for _ in range(n):
            x = 4.0 * x * (1.0 - x)
        return x

    return f


def funcad_sizes(n: int) -> tuple[int, int, float]:
    """Equations in the IR of f_n and of grad(f_n), and the value of grad(f_n)(0.3)."""
    f = logistic_map(n)
    ir_f = funcad.make_jaxpr(f)(np.float64(0.3))
    ir_grad = funcad.make_jaxpr(funcad.grad(f))(np.float64(0.3))
    return len(ir_f.eqns), len(ir_grad.eqns), float(funcad.grad(f)(0.3))


def sympy_sizes(n: int, expand_limit: int) -> tuple[int, int | None, float] | None:
    """Operations in sympy's derivative of f_n (as differentiated, and expanded when
    n <= expand_limit; expanding is slow), and its value at 0.3; None without sympy."""
    try:
        import sympy
    except ImportError:
        return None
    x = sympy.Symbol("x")
    d = sympy.diff(logistic_map(n)(x), x)
    expanded = sympy.count_ops(sympy.expand(d)) if n <= expand_limit else None
    return sympy.count_ops(d), expanded, float(d.subs(x, sympy.Rational(3, 10)))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-n", type=int, default=10, help="iterations of the map (default 10)")
    ap.add_argument("--out", default=None, help="save a plot here (PNG; needs matplotlib)")
    ap.add_argument("--expand", type=int, default=5, metavar="N",
                    help="also expand sympy's derivative for n <= N (slow beyond 6)")
    ap.add_argument("--small", action="store_true", help="n up to 4 (a smoke run)")
    args = ap.parse_args(argv)
    max_n = 4 if args.small else args.max_n
    expand_limit = min(args.expand, 3) if args.small else args.expand

    rows = []
    print(f"{'n':>3} {'IR f':>6} {'IR grad f':>10} {'sympy d/dx':>11} {'expanded':>10}"
          f" {'grad f(0.3)':>14}")
    for n in range(1, max_n + 1):
        t0 = time.perf_counter()
        n_f, n_grad, g = funcad_sizes(n)
        sym = sympy_sizes(n, expand_limit)
        ops, expanded, g_sym = sym if sym is not None else (None, None, None)
        if g_sym is not None:
            assert np.isclose(g, g_sym, rtol=1e-9), (n, g, g_sym)  # the same derivative
        rows.append((n, n_f, n_grad, ops, expanded))
        show = [str(v) if v is not None else "-" for v in (ops, expanded)]
        print(f"{n:>3} {n_f:>6} {n_grad:>10} {show[0]:>11} {show[1]:>10} {g:>14.6g}"
              f"   ({time.perf_counter() - t0:.2f} s)")
    if rows[-1][3] is None:
        print("(install sympy for the symbolic columns: pip install sympy)")
    steps = {b[2] - a[2] for a, b in itertools.pairwise(rows)}
    print(f"funcad's grad IR grows by {'/'.join(map(str, sorted(steps)))} equations per "
          "iteration: linear in n")
    if rows[-1][3] is not None and len(rows) > 1:
        print(f"sympy's derivative grows by {rows[-1][3] / rows[-2][3]:.1f}x per iteration "
              "at the end: exponential in n")

    if args.out:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib is not installed: no plot (pip install matplotlib)")
            return
        ns = [r[0] for r in rows]
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.semilogy(ns, [r[2] for r in rows], "o-", label="funcad: equations in IR of grad f")
        if rows[0][3] is not None:
            ax.semilogy(ns, [r[3] for r in rows], "s-", label="sympy: ops in d/dx")
            exp_rows = [r for r in rows if r[4] is not None]
            ax.semilogy([r[0] for r in exp_rows], [r[4] for r in exp_rows], "^-",
                        label="sympy: ops in expand(d/dx)")
        ax.set_xlabel("iterations n of the logistic map")
        ax.set_ylabel("size")
        ax.set_title("Expression swell")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.out, dpi=120)
        print("saved", args.out)


if __name__ == "__main__":
    main()
