"""Parse an expression such as ``"b*sin(a) + b**2"`` into a funcad function, safely.

The text is parsed with :mod:`ast` and checked against a whitelist of operators, function
names (functions of ``funcad.numpy`` and ``funcad.nn``) and constants before anything runs;
it is never given to ``eval``. The checked tree is then interpreted by a small walker that
calls funcad functions, so tracing it with ``make_jaxpr`` gives funcad's own IR. A refused
expression raises :class:`ExplainSyntaxError` whose message points at the offending column
with a caret.
"""
from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import funcad.nn as fnn
import funcad.numpy as fnp
from funcad.errors import FuncadValueError

MAX_LENGTH = 2000  # characters of expression text
MAX_NODES = 1000  # syntax-tree nodes
MAX_DEPTH = 64  # nesting of operations
MAX_EXPONENT = 1024  # |y| of a constant exponent in x ** y


class ExplainError(FuncadValueError):
    """``explain`` could not do what was asked (bad input values, unwritable graph file)."""


class ExplainSyntaxError(ExplainError):
    """An expression was refused; the message shows the column with a caret."""

    def __init__(self, message: str, text: str, line: int = 1, col: int = 0, width: int = 1):
        self.reason = message
        self.text = text
        self.line = line  # 1-based
        self.col = col  # 0-based, in characters
        lines = text.splitlines() or [""]
        src = lines[min(max(line, 1), len(lines)) - 1]
        width = max(1, min(width, len(src) - col)) if col < len(src) else 1
        where = f"line {line}, column {col + 1}" if len(lines) > 1 else f"column {col + 1}"
        super().__init__(
            f"explain: {message} (at {where})\n  {src}\n  {' ' * col}{'^' * width}"
        )


# --- the whitelist ----------------------------------------------------------------------

# name -> (module, attribute, number of arguments)
_UNARY = (
    "sin cos tan arcsin arccos arctan sinh cosh tanh arcsinh arccosh arctanh exp exp2 expm1 "
    "log log2 log10 log1p sqrt cbrt square reciprocal abs absolute sign floor ceil"
).split()
_BINARY = "arctan2 maximum minimum power logaddexp".split()
_REDUCTIONS = "sum mean prod".split()
_NN = "sigmoid relu softplus".split()

FUNCTIONS: dict[str, tuple[str, str, int]] = {
    **{n: ("funcad.numpy", n, 1) for n in _UNARY + _REDUCTIONS},
    **{n: ("funcad.numpy", n, 2) for n in _BINARY + ["dot"]},
    **{n: ("funcad.nn", n, 1) for n in _NN},
    # the short names of math, as aliases
    "asin": ("funcad.numpy", "arcsin", 1),
    "acos": ("funcad.numpy", "arccos", 1),
    "atan": ("funcad.numpy", "arctan", 1),
    "asinh": ("funcad.numpy", "arcsinh", 1),
    "acosh": ("funcad.numpy", "arccosh", 1),
    "atanh": ("funcad.numpy", "arctanh", 1),
    "atan2": ("funcad.numpy", "arctan2", 2),
    "pow": ("funcad.numpy", "power", 2),
}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

_BINOPS: dict[type, tuple[str, Callable]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
    ast.Pow: ("**", operator.pow),
    ast.MatMult: ("@", operator.matmul),
}
_UNARYOPS: dict[type, tuple[str, Callable]] = {
    ast.USub: ("-", operator.neg),
    ast.UAdd: ("+", operator.pos),
}

# Why a kind of syntax is refused, by ast node type.
_REFUSED: dict[type, str] = {
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "indexing and slicing are not allowed",
    ast.Lambda: "lambda expressions are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.Compare: "comparisons are not allowed (the expression must be differentiable)",
    ast.BoolOp: "`and`/`or` are not allowed",
    ast.IfExp: "conditional expressions are not allowed",
    ast.NamedExpr: "assignment expressions (:=) are not allowed",
    ast.Starred: "unpacking with * is not allowed",
    ast.JoinedStr: "strings are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Dict: "dict displays are not allowed",
    ast.Set: "set displays are not allowed",
    ast.List: "list displays are not allowed",
    ast.Tuple: "tuples are not allowed",
}


def _describe_allowed() -> str:
    return "allowed functions: " + ", ".join(sorted(FUNCTIONS))


# --- checking ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ParsedExpression:
    """A checked expression: call it with the variables' values (positionally, in the
    order of ``variables``) to evaluate it with funcad.numpy, traced or not."""

    text: str
    tree: ast.Expression
    variables: tuple[str, ...]
    constants: dict  # ast node -> value of each constant subexpression, folded when checked

    def __call__(self, *values):
        if len(values) != len(self.variables):
            raise ExplainError(
                f"explain: the expression needs {len(self.variables)} values "
                f"({', '.join(self.variables)}), got {len(values)}"
            )
        env = dict(zip(self.variables, values))
        return _Evaluator(env, self.constants).visit(self.tree.body)

    @property
    def __name__(self) -> str:  # for error messages of funcad's transforms
        return "expression"


def _column(text: str, node: ast.AST) -> tuple[int, int, int]:
    """(line, column in characters, width) of ``node`` (ast counts UTF-8 bytes)."""
    lines = text.splitlines() or [""]
    line = getattr(node, "lineno", 1)
    src = lines[min(max(line, 1), len(lines)) - 1].encode()

    def chars(byte_offset: int) -> int:
        return len(src[:byte_offset].decode(errors="replace"))

    col = chars(getattr(node, "col_offset", 0))
    end_line = getattr(node, "end_lineno", line)
    end = chars(getattr(node, "end_col_offset", 0) or 0) if end_line == line else len(src)
    return line, col, max(1, end - col)


def _refuse(text: str, node: ast.AST, message: str) -> ExplainSyntaxError:
    line, col, width = _column(text, node)
    if isinstance(node, ast.Attribute) and width > len(node.attr) + 1:
        # point at `.attr`, not at the whole `value.attr`
        col, width = col + width - len(node.attr) - 1, len(node.attr) + 1
    return ExplainSyntaxError(message, text, line, col, width)


def _check_name(name: str, variables: Sequence[str]) -> None:
    if not name.isidentifier() or name.startswith("_"):
        raise ExplainError(
            f"explain: {name!r} is not a valid variable name (use letters, digits and _, "
            "not starting with a digit or _)"
        )
    if name in FUNCTIONS or name in CONSTANTS:
        raise ExplainError(
            f"explain: the variable name {name!r} is taken by a built-in "
            f"{'function' if name in FUNCTIONS else 'constant'}; choose another name"
        )


def parse_expression(text: str, variables: Sequence[str]) -> ParsedExpression:
    """Check ``text`` against the whitelist and return a callable of ``variables``.

    Raises:
        ExplainSyntaxError: the text is not an expression, or uses a name, operator or
            construct outside the whitelist; the message points at the column.
    """
    if not isinstance(text, str):
        raise ExplainError(f"explain: the expression must be a string, got {type(text).__name__}")
    variables = tuple(variables)
    for name in variables:
        _check_name(name, variables)
    if len(set(variables)) != len(variables):
        raise ExplainError(f"explain: a variable is given twice in {list(variables)}")
    if len(text) > MAX_LENGTH:
        raise ExplainSyntaxError(
            f"the expression is {len(text)} characters long; at most {MAX_LENGTH} are allowed",
            text[:80], 1, 0, 1,
        )
    if not text.strip():
        raise ExplainSyntaxError("the expression is empty", text, 1, 0, 1)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        stripped = text.strip()
        line = e.lineno or 1
        lines = stripped.splitlines() or [""]
        # offset 0 means the text ended too early: point just past its end
        col = e.offset - 1 if e.offset else len(lines[min(line, len(lines)) - 1])
        msg = "invalid syntax" if e.msg == "invalid syntax" else f"invalid syntax: {e.msg}"
        raise ExplainSyntaxError(msg, stripped, line, max(col, 0), 1) from None
    except (ValueError, RecursionError, MemoryError) as e:  # null bytes, deep nesting
        raise ExplainSyntaxError(f"cannot parse the expression: {e}", text, 1, 0, 1) from None
    _Checker(text.strip(), variables).check(tree)
    constants: dict = {}
    _fold_constants(text.strip(), tree.body, constants)
    return ParsedExpression(text.strip(), tree, variables, constants)


class _Checker:
    """Walks the tree with an explicit stack (no recursion) and refuses anything outside
    the whitelist. Runs completely before any evaluation."""

    def __init__(self, text: str, variables: Sequence[str]):
        self.text = text
        self.variables = set(variables)

    def check(self, tree: ast.Expression) -> None:
        stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
        count = 0
        while stack:
            node, depth = stack.pop()
            count += 1
            if count > MAX_NODES:
                raise _refuse(self.text, node, f"the expression has more than {MAX_NODES} parts")
            if depth > MAX_DEPTH:
                raise _refuse(self.text, node, f"the expression nests deeper than {MAX_DEPTH}")
            for child in self.node(node):
                stack.append((child, depth + 1))

    def node(self, node: ast.AST) -> list[ast.AST]:
        """Check one node; return its children to check."""
        text = self.text
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                raise _refuse(text, node, f"the operator {_op_symbol(node.op)} is not allowed "
                              "(allowed: + - * / ** @)")
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARYOPS:
                raise _refuse(text, node, f"the operator {_op_symbol(node.op)} is not allowed "
                              "(allowed: unary - and +)")
            return [node.operand]
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                what = "complex numbers are" if isinstance(value, complex) else (
                    f"constants of type {type(value).__name__} are")
                raise _refuse(text, node, f"{what} not allowed (only real numbers)")
            if isinstance(value, int) and abs(value) > 2**53:
                raise _refuse(text, node, "this integer is too large (at most 2**53)")
            return []
        if isinstance(node, ast.Name):
            self.name(node)
            return []
        if isinstance(node, ast.Call):
            return self.call(node)
        reason = _REFUSED.get(type(node), f"{type(node).__name__} expressions are not allowed")
        raise _refuse(text, node, reason)

    def name(self, node: ast.Name) -> None:
        name = node.id
        if name in self.variables or name in CONSTANTS:
            return
        if name in FUNCTIONS:
            raise _refuse(self.text, node, f"{name!r} is a function: call it as {name}(...)")
        hint = f"; give its value as {name}=VALUE" if not name.startswith("_") else ""
        raise _refuse(self.text, node, f"unknown name {name!r}{hint}")

    def call(self, node: ast.Call) -> list[ast.AST]:
        func = node.func
        if not isinstance(func, ast.Name):
            if isinstance(func, ast.Attribute):
                raise _refuse(self.text, func, "attribute access is not allowed")
            raise _refuse(self.text, func, "only whitelisted functions may be called, by name")
        if func.id not in FUNCTIONS:
            raise _refuse(
                self.text, func, f"{func.id!r} is not an allowed function; {_describe_allowed()}"
            )
        if node.keywords:
            raise _refuse(self.text, node.keywords[0].value if node.keywords[0].arg is None
                          else node.keywords[0], "keyword arguments are not allowed")
        arity = FUNCTIONS[func.id][2]
        if len(node.args) != arity:
            raise _refuse(
                self.text, node, f"{func.id}() takes {arity} argument{'s' * (arity > 1)}, "
                f"got {len(node.args)}"
            )
        return list(node.args)


def _op_symbol(op: ast.AST) -> str:
    symbols = {
        ast.FloorDiv: "//", ast.Mod: "%", ast.LShift: "<<", ast.RShift: ">>",
        ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Invert: "~", ast.Not: "not",
    }
    return symbols.get(type(op), type(op).__name__)


# --- constants and evaluation -----------------------------------------------------------

def _fold_constants(text: str, node: ast.AST, out: dict):
    """Fold the constant subexpressions of a checked tree into ``out`` (node -> value) and
    return the value of ``node`` if it is constant, else None. Arithmetic is on Python
    floats; huge exponents, overflow and division by zero are refused at their column.
    Recursion is bounded by the checker's ``MAX_DEPTH``."""
    value = None
    if isinstance(node, ast.Constant):
        value = node.value
    elif isinstance(node, ast.Name):
        value = CONSTANTS.get(node.id)
    elif isinstance(node, ast.UnaryOp):
        x = _fold_constants(text, node.operand, out)
        if x is not None:
            value = _UNARYOPS[type(node.op)][1](x)
    elif isinstance(node, ast.BinOp):
        value = _fold_binop(text, node, out)
    elif isinstance(node, ast.Call):
        for arg in node.args:
            _fold_constants(text, arg, out)
    if value is not None:
        out[node] = value
    return value


def _fold_binop(text: str, node: ast.BinOp, out: dict):
    x = _fold_constants(text, node.left, out)
    y = _fold_constants(text, node.right, out)
    symbol, fn = _BINOPS[type(node.op)]
    if symbol == "**" and y is not None:
        if abs(y) > MAX_EXPONENT:
            raise _refuse(text, node.right, f"the exponent {y:.5g} is too large (at most "
                          f"{MAX_EXPONENT} in absolute value)")
        if float(y).is_integer():
            y = out[node.right] = int(y)  # x ** 2 is integer_pow: the textbook 2·x
    if x is None or y is None:
        return None
    if symbol == "@":
        raise _refuse(text, node, "@ needs arrays, not two constants")
    try:
        value = fn(float(x), y if symbol == "**" else float(y))
    except ZeroDivisionError:
        raise _refuse(text, node, "division by zero in a constant") from None
    except OverflowError:
        raise _refuse(text, node, "this constant overflows a float64") from None
    if isinstance(value, complex):
        raise _refuse(text, node, "this constant is not a real number")
    if not math.isfinite(value):
        raise _refuse(text, node, "this constant overflows a float64")
    return value


class _Evaluator:
    """Interprets a checked tree: constants come folded from the check; everything
    touching a variable goes through funcad, so it is traced."""

    def __init__(self, env: dict, constants: dict):
        self.env = env
        self.constants = constants

    def visit(self, node: ast.AST):
        if node in self.constants:
            return self.constants[node]
        if isinstance(node, ast.Name):
            return self.env[node.id]
        if isinstance(node, ast.UnaryOp):
            return _UNARYOPS[type(node.op)][1](self.visit(node.operand))
        if isinstance(node, ast.BinOp):
            fn = _BINOPS[type(node.op)][1]
            return fn(self.visit(node.left), self.visit(node.right))
        if isinstance(node, ast.Call):
            module, attr, _ = FUNCTIONS[node.func.id]
            fn = _resolve(module, attr)
            return fn(*[self.visit(a) for a in node.args])
        raise AssertionError(f"unchecked node {type(node).__name__}")  # the checker ran first


# The modules FUNCTIONS names, imported above (no import inside a function).
_MODULES = {"funcad.numpy": fnp, "funcad.nn": fnn}


def _resolve(module: str, attr: str) -> Callable:
    return getattr(_MODULES[module], attr)


__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "ExplainError",
    "ExplainSyntaxError",
    "ParsedExpression",
    "parse_expression",
]
