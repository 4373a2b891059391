"""Command line: ``python -m funcad explain EXPR NAME=VALUE ... [--graph FILE]``.

Prints the evaluation trace, the forward (tangent) trace for each input, the reverse
(adjoint) trace, the gradient and the IRs of an expression, for example::

    python -m funcad explain "b*sin(a) + b**2" a=2 b=5
    python -m funcad explain "exp(-x**2/2)" x=0.5 --graph gauss.svg --format markdown

The expression is parsed against a whitelist of functions and operators; it is never run
by Python's ``eval``.
"""
from __future__ import annotations

import argparse
import ast
import sys

import numpy as np

from funcad import __version__
from funcad.errors import FuncadError
from funcad.explain import ExplainError, explain
from funcad.explain.graph import check_svg_possible, graph_format

_EXAMPLES = """\
examples:
  python -m funcad explain "b*sin(a) + b**2" a=2 b=5
  python -m funcad explain "x*x*exp(x)" x=0.7 --graph graph.svg
  python -m funcad explain "sum(tanh(x))" x=[0.5,1,2] --format markdown
  python -m funcad explain -- "-a*b" a=1 b=2      (an expression starting with -)
"""


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m funcad",
        description="funcad on the command line.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--version", action="version", version=f"funcad {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    ex = sub.add_parser(
        "explain",
        help="print the evaluation, tangent and adjoint traces of an expression",
        description="Print the evaluation trace, the forward (tangent) trace for each input, "
                    "the reverse (adjoint) trace, the gradient and the IRs of EXPR at the "
                    "given point, computed from funcad's own IR.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ex.add_argument("expression", metavar="EXPR",
                    help='an expression such as "b*sin(a) + b**2" (functions: sin cos tan '
                         "exp log sqrt tanh ..., constants pi e, operators + - * / ** @)")
    ex.add_argument("values", metavar="NAME=VALUE", nargs="*",
                    help="the value of each variable: a number or a list like [1,2,3]")
    ex.add_argument("--graph", metavar="FILE",
                    help="also write the computational graph: FILE.dot, FILE.mmd (Mermaid) or "
                         "FILE.svg (needs Graphviz's dot)")
    ex.add_argument("--format", choices=["text", "markdown"], default="text",
                    help="output format (default: text)")
    ex.add_argument("--digits", type=int, default=3, help="decimals shown (default: 3)")
    ex.add_argument("--ascii", action="store_true",
                    help="plain ASCII names (w0_dot, w0_bar) instead of ẇ₀, w̄₀")
    return ap


def _parse_value(text: str, name: str):
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise ExplainError(
            f"explain: the value of {name} must be a number or a list of numbers, got {text!r}"
        ) from None
    if isinstance(value, bool) or not _is_numeric(value):
        raise ExplainError(
            f"explain: the value of {name} must be a real number or a list of real numbers, "
            f"got {text!r}"
        )
    return value


def _is_numeric(value) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, bool) or not isinstance(v, (int, float)):
            return False
    return True


def _parse_assignments(items: list[str]) -> dict:
    values: dict = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ExplainError(f"explain: expected NAME=VALUE, got {item!r}")
        if name in values:
            raise ExplainError(f"explain: {name} is given twice")
        values[name] = _parse_value(text, name)
    return values


def _can_print_unicode() -> bool:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "ẇ₀ w̄₀ ∂r/∂a ─ ·²".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def explain_main(args: argparse.Namespace) -> int:
    try:
        values = _parse_assignments(args.values)
        if args.graph and graph_format(args.graph) == "svg":
            check_svg_possible()
        if not 0 <= args.digits <= 15:
            raise ExplainError("explain: --digits must be between 0 and 15")
        with np.errstate(all="ignore"):
            report = explain(args.expression, digits=args.digits,
                             ascii=args.ascii or not _can_print_unicode(), **values)
        text = report.to_markdown() if args.format == "markdown" else report.to_text()
        sys.stdout.write(text)
        sys.stdout.flush()
        if args.graph:
            path = report.write_graph(args.graph)
            print(f"wrote the computational graph to {path}", file=sys.stderr)
    except ExplainError as e:
        print(str(e), file=sys.stderr)
        return 2
    except FuncadError as e:  # the expression is well formed but funcad refused it
        print(f"explain: {e}", file=sys.stderr)
        return 2
    return 0


_OPTIONS = ("-h", "--help", "--graph", "--format", "--digits", "--ascii", "--")


def _protect_expression(argv: list[str]) -> tuple[list[str], str | None]:
    """An expression starting with ``-`` (``"-a*b"``) would look like an option to
    argparse: swap it for a placeholder while parsing."""
    if len(argv) < 2 or argv[0] != "explain":
        return argv, None
    first = argv[1]
    if first.startswith("-") and not first.startswith(_OPTIONS):
        return ["explain", "EXPR", *argv[2:]], first
    return argv, None


def main(argv: list[str] | None = None) -> int:
    ap = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    argv, expression = _protect_expression(argv)
    args = ap.parse_args(argv)
    if expression is not None:
        args.expression = expression
    if args.command == "explain":
        return explain_main(args)
    ap.print_help(sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
