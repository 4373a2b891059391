"""Explain mode: the trace tables' numbers agree with funcad.jvp / funcad.grad and with
closed forms; the expression parser refuses everything outside its whitelist, with the
column; the CLI prints the tables; graph files are well-formed."""
from __future__ import annotations

import builtins
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad.__main__ import main as cli_main
from funcad.explain import ExplainError, ExplainSyntaxError, explain, parse_expression
from funcad.explain.graph import GraphvizNotFoundError
from funcad.explain.notation import format_number

ROOT = Path(__file__).resolve().parent.parent
WORKED = "b*sin(a) + b**2"


@pytest.fixture(scope="module")
def worked():
    return explain(WORKED, a=2, b=5)


def _rows(report):
    return {r.name: r for r in report.traces.evaluation}


# --- the worked example -----------------------------------------------------------------

def test_worked_example_evaluation_trace(worked):
    rows = _rows(worked)
    assert [r.name for r in worked.traces.evaluation] == ["a", "b", "w₀", "w₁", "w₂", "r"]
    assert [rows[n].definition for n in ("w₀", "w₁", "w₂", "r")] == [
        "sin(a)", "b·w₀", "b²", "w₁ + w₂"]
    expected = {"w₀": math.sin(2), "w₁": 5 * math.sin(2), "w₂": 25.0, "r": 5 * math.sin(2) + 25}
    for name, value in expected.items():
        assert float(rows[name].value) == pytest.approx(value, rel=1e-12)
    # printed with three decimals, as the textbook tables are
    assert [worked.notation.number(rows[n].value) for n in ("w₀", "w₁", "w₂", "r")] == [
        "0.909", "4.546", "25", "29.546"]


def test_worked_example_tangent_trace(worked):
    tr = worked.traces
    assert tr.seeds == ["a", "b"]
    by_name = {r.name: r for r in tr.tangent}
    assert by_name["ẇ₀"].definition == "ȧ·cos(a)"
    assert by_name["ẇ₁"].definition == "ḃ·w₀ + b·ẇ₀"
    np.testing.assert_allclose([float(v) for v in by_name["ṙ"].values],
                               [5 * math.cos(2), math.sin(2) + 10], rtol=1e-12)
    assert worked.notation.number(tr.derivatives["a"]) == "-2.081"
    assert worked.notation.number(tr.derivatives["b"]) == "10.909"


def test_worked_example_adjoint_trace_accumulates_b(worked):
    steps = worked.traces.adjoint
    assert (steps[0].adjoint, steps[0].op, float(steps[0].value)) == ("r̄", "seed", 1.0)
    b_steps = [s for s in steps if s.target == "b"]
    assert [s.op for s in b_steps] == ["=", "+="]  # b is used twice
    assert float(b_steps[0].contribution) == pytest.approx(10.0)  # from b² (w̄₂·2·b)
    assert float(b_steps[1].contribution) == pytest.approx(math.sin(2))  # from b·w₀
    assert float(b_steps[1].value) == pytest.approx(10 + math.sin(2))
    assert float(worked.traces.adjoints["a"]) == pytest.approx(5 * math.cos(2))
    text = str(worked)
    assert "b is used 2 times" in text and "10 + 0.909 = 10.909" in text


def test_worked_example_agrees_with_grad_and_not_with_the_famous_slip(worked):
    g = funcad.grad(lambda a, b: b * fnp.sin(a) + b**2, (0, 1))(2.0, 5.0)
    assert float(worked.gradient["a"]) == pytest.approx(float(g[0]), rel=1e-14)
    assert float(worked.gradient["b"]) == pytest.approx(float(g[1]), rel=1e-14)
    text = str(worked)
    assert "1.818" not in text and "26.818" not in text
    assert "WARNING" not in text


def test_report_shows_every_section(worked):
    text = str(worked)
    for heading in ("Evaluation trace", "Forward (tangent) trace", "Reverse (adjoint) trace",
                    "Gradient (funcad.grad)", "IR (funcad.make_jaxpr)", "Linearized IR",
                    "Transposed IR"):
        assert heading in text
    ir = funcad.make_jaxpr(lambda a, b: b * fnp.sin(a) + b**2)(np.float64(2), np.float64(5))
    assert str(ir).splitlines()[1].strip() in text
    md = worked._repr_markdown_()
    assert "| var | definition | value | IR equation |" in md
    assert "`b·w₀`" in md and "```text" in md


# --- numbers against funcad.jvp / funcad.grad for many expressions ----------------------

EXPRESSIONS = [
    ("x*x*exp(x)/x", {"x": 0.7}),
    ("a**b + sqrt(a)", {"a": 2.0, "b": 3.0}),
    ("tanh(a)*cos(-a) - 2*pi*a", {"a": 0.3}),
    ("log(1 + x**2) / (1 + exp(-y))", {"x": 1.5, "y": -0.4}),
    ("maximum(x, y) * sigmoid(x - y) + softplus(x*y)", {"x": 0.2, "y": -1.1}),
    ("arctan2(y, x) + x**-2 - 1/y", {"x": 1.3, "y": 0.6}),
    ("sum(x * tanh(x)) + prod(x)", {"x": [0.5, -1.0, 2.0]}),
    ("dot(x, x) * mean(y)", {"x": [1.0, 2.0], "y": [0.5, 4.0]}),
    ("sin(sin(sin(x))) * x", {"x": 1.1}),
    ("e**x + x**e + exp2(x) - log2(x) * log10(x)", {"x": 1.7}),
]


@pytest.mark.parametrize("text,values", EXPRESSIONS, ids=[t for t, _ in EXPRESSIONS])
def test_tables_equal_grad_and_jvp(text, values):
    report = explain(text, **values)
    names = list(values)
    fun = parse_expression(text, names)
    args = [np.asarray(v, dtype=np.float64) for v in values.values()]
    grads = funcad.grad(fun, tuple(range(len(args))))(*args)
    for name, g in zip(names, grads):
        np.testing.assert_allclose(report.traces.adjoints[name], g, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(report.gradient[name], g, rtol=1e-12, atol=1e-14)
    for k, name in enumerate(names):
        tangents = tuple(np.ones_like(a) if j == k else np.zeros_like(a)
                         for j, a in enumerate(args))
        _, t_out = funcad.jvp(fun, tuple(args), tangents)
        np.testing.assert_allclose(report.traces.derivatives[name], t_out, rtol=1e-12,
                                   atol=1e-14)
        # the last row of the tangent trace is ṙ, its column k the sweep seeded at input k
        assert report.traces.tangent[-1].of == "r"
        np.testing.assert_allclose(report.traces.tangent[-1].values[k], t_out, rtol=1e-12)
    np.testing.assert_allclose(report.value, fun(*args), rtol=1e-14)
    assert "WARNING" not in str(report)


def test_variable_used_three_times_accumulates_three_contributions():
    report = explain("x*x*exp(x)/x", x=0.7)
    x_steps = [s for s in report.traces.adjoint if s.target == "x"]
    assert [s.op for s in x_steps] == ["=", "+=", "+=", "+="]
    total = sum(float(s.contribution) for s in x_steps)
    assert total == pytest.approx(float(x_steps[-1].value))
    assert total == pytest.approx(float(funcad.grad(lambda x: x * x * fnp.exp(x) / x)(0.7)))


def test_rules_reuse_the_primal_value_by_name():
    report = explain("exp(x) + tanh(x)", x=0.5)
    defs = {r.name: r.definition for r in report.traces.tangent}
    assert defs["ẇ₀"] == "ẋ·w₀"  # d exp = exp · dx, and exp(x) is w₀
    assert defs["ẇ₁"] == "ẋ·(1 - w₁²)"


def test_pow_rule_guards_are_resolved_at_the_point():
    report = explain("a**b", a=2, b=3)
    (row,) = [r for r in report.traces.tangent if r.name == "ṙ"]
    assert "select_n" not in row.definition
    assert row.definition == "ȧ·b·a^(b - 1) + ḃ·r·log(a)"


def test_python_function_with_pytrees_and_integer_inputs():
    def loss(params, x, n):
        return fnp.sum(fnp.tanh(x @ params["w"] + params["b"]) ** 2) * n

    params = {"w": np.full((2, 2), 0.1), "b": np.zeros(2)}
    x = np.array([1.0, 2.0])
    report = funcad.explain(loss, params, x, np.int64(3))
    assert report.traces.inputs == ["params['b']", "params['w']", "x", "n"]
    assert report.traces.seeds == ["params['b']", "params['w']", "x"]  # not the integer n
    g = funcad.grad(loss)(params, x, np.int64(3))
    np.testing.assert_allclose(report.gradient["params['w']"], g["w"], rtol=1e-12)
    np.testing.assert_allclose(report.gradient["params['b']"], g["b"], rtol=1e-12)
    assert "x @ params['w']" in str(report)


def test_jit_inside_is_inlined_into_the_tables():
    inner = funcad.jit(lambda x: fnp.sin(x) * x, backend="numpy")
    report = funcad.explain(lambda x: inner(x) + fnp.cos(x), 1.0)
    assert [r.definition for r in report.traces.evaluation[1:]] == [
        "sin(x)", "w₀·x", "cos(x)", "w₁ + w₂"]
    assert float(report.gradient["x"]) == pytest.approx(
        math.sin(1) + math.cos(1) - math.sin(1))


def test_non_scalar_output_seeds_ones_and_has_no_gradient():
    report = funcad.explain(lambda x: fnp.stack([x, 2 * x]), 1.0)
    assert report.gradient is None
    assert "not a real scalar" in str(report)
    np.testing.assert_allclose(report.traces.adjoints["x"], 3.0)


def test_output_is_an_input_and_constant_outputs():
    report = explain("a", a=1.5)
    assert float(report.traces.adjoints["a"]) == 1.0
    report = explain("2.5 + 0*a", a=1.0)
    assert float(report.gradient["a"]) == 0.0


def test_ascii_notation_and_digits():
    text = str(explain(WORKED, a=2, b=5, ascii=True, digits=5))
    assert "w0_dot" in text and "b_bar" in text and "0.9093" in text
    assert all(ord(ch) < 128 for ch in text.split("IR (funcad")[0])


def test_explain_argument_errors():
    with pytest.raises(ExplainError, match="by name"):
        explain("a + b", 1.0, 2.0)
    with pytest.raises(ExplainError, match="one array"):
        funcad.explain(lambda x: (x, x), 1.0)
    with pytest.raises(ExplainError, match="taken by a built-in"):
        explain("sin + 1", sin=1.0)


# --- the parser: whitelist, columns, nothing executed -----------------------------------

REFUSED = [
    ("a.real", "attribute access", 1),
    ("__import__('os')", "'__import__' is not an allowed function", 0),
    ("__import__('os').system('true')", "attribute access", 16),
    ("open('/etc/passwd')", "'open' is not an allowed function", 0),
    ("a + eval('1')", "'eval' is not an allowed function", 4),
    ("a + exec('1')", "'exec' is not an allowed function", 4),
    ("globals()", "'globals' is not an allowed function", 0),
    ("lambda: a", "lambda expressions are not allowed", 0),
    ("(lambda x: x)(a)", "only whitelisted functions", 1),
    ("[a for a in b]", "comprehensions are not allowed", 0),
    ("a + sum(x for x in b)", "generator expressions are not allowed", 7),
    ("import os", "invalid syntax", 0),
    ("a if b else 0", "conditional expressions", 0),
    ("a < b", "comparisons are not allowed", 0),
    ("a and b", "`and`/`or` are not allowed", 0),
    ("a[0]", "indexing and slicing", 0),
    ("(a := 1)", "assignment expressions", 1),
    ("'text' * a", "constants of type str", 0),
    ("1j * a", "complex numbers", 0),
    ("a // b", "operator // is not allowed", 0),
    ("a % b", "operator % is not allowed", 0),
    ("~a", "operator ~ is not allowed", 0),
    ("sin(a, b)", "sin() takes 1 argument, got 2", 0),
    ("sin(x=a)", "keyword arguments", 4),
    ("sin(*b)", "unpacking", 4),
    ("c * a", "unknown name 'c'", 0),
    ("a + __builtins__", "unknown name '__builtins__'", 4),
    ("sin", "is a function", 0),
    ("a ** 1e6", "exponent 1e+06 is too large", 5),
    ("2**10**10 * a", "exponent 1e+10 is too large", 3),
    ("a ** (9**9**9)", "exponent 3.8742e+08 is too large", 9),
    ("a ** 10 ** 400", "overflows a float64", 5),
    ("a + 1/0", "division by zero", 4),
    ("a +", "invalid syntax", 3),
    ("-" * 100 + "a", "nests deeper", 64),
    ("+".join(["a"] * 1500), "at most 2000", 0),
]


@pytest.mark.parametrize("text,message,col", REFUSED, ids=[t[:30] for t, _, _ in REFUSED])
def test_parser_refuses_with_the_column(text, message, col):
    with pytest.raises(ExplainSyntaxError) as info:
        parse_expression(text, ["a", "b"])
    err = info.value
    assert message in str(err)
    assert err.col == col, str(err)
    if len(text) <= 2000:
        # the caret line sits under the offending column of the echoed expression
        lines = str(err).splitlines()
        assert lines[1] == "  " + text.strip()
        assert lines[2].index("^") == 2 + col


def test_refused_expressions_execute_nothing(tmp_path):
    marker = tmp_path / "pwned"
    hostile = [
        f"__import__('os').system('touch {marker}')",
        f"open('{marker}', 'w')",
        f"sum([__import__('pathlib').Path('{marker}').touch()])",
        "(lambda: __import__('os').system('touch " + str(marker) + "'))()",
    ]
    for text in hostile:
        with pytest.raises(ExplainSyntaxError):
            explain(text, a=1.0)
    assert not marker.exists()


def test_parsing_never_calls_eval_or_exec(monkeypatch):
    explain("b*sin(a) + b**2", a=2, b=5)  # import everything first (imports use exec)
    calls = []

    def forbidden(*args, **kwargs):
        calls.append(args)
        raise AssertionError("eval/exec must not be used")

    with monkeypatch.context() as m:
        m.setattr(builtins, "eval", forbidden)
        m.setattr(builtins, "exec", forbidden)
        report = explain("b*sin(a) + b**2 - tanh(a)/b", a=2, b=5)
    assert calls == []
    assert float(report.gradient["b"]) == pytest.approx(
        float(funcad.grad(lambda b: b * np.sin(2.0) + b**2 - np.tanh(2.0) / b)(5.0)))


def test_checker_refuses_before_evaluating_anything(monkeypatch):
    calls = []
    monkeypatch.setattr(fnp, "sin", lambda x: calls.append(x) or x)
    with pytest.raises(ExplainSyntaxError):
        parse_expression("sin(a) + a.b", ["a"])(1.0)
    assert calls == []


def test_error_columns_count_characters_not_bytes():
    with pytest.raises(ExplainSyntaxError) as info:
        parse_expression("θ + a.imag", ["θ", "a"])
    assert info.value.col == 5


# --- the command line -------------------------------------------------------------------

def test_cli_subprocess_prints_the_worked_example():
    env = dict(os.environ, PYTHONIOENCODING="utf-8", PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "funcad", "explain", WORKED, "a=2", "b=5"],
        capture_output=True, text=True, encoding="utf-8", env=env, cwd=ROOT, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for pattern in [
        r"^\s+w₀\s+sin\(a\)\s+0\.909\s+c:f64\[\] = sin a$",
        r"^\s+w₁\s+b·w₀\s+4\.546\s",
        r"^\s+w₂\s+b²\s+25\s",
        r"^\s+r\s+w₁ \+ w₂\s+29\.546\s",
        r"^\s+ṙ\s+ẇ₁ \+ ẇ₂\s+-2\.081\s+10\.909$",
        r"^\s+1\s+r̄\s+= 1 \(seed\)\s+1\s+1$",
        r"^\s+\d+\s+b̄\s+\+= w̄₁·w₀\s+0\.909\s+10\.909$",
        r"^\s+\d+\s+ā\s+= w̄₀·cos\(a\)\s+-2\.081\s+-2\.081$",
        r"^\s+∂r/∂a = -2\.081$",
        r"^\s+∂r/∂b = 10\.909$",
        r"^\s+\{ lambda ; a:f64\[\] b:f64\[\]\. let$",
    ]:
        assert re.search(pattern, out, re.M), f"no line matches {pattern!r} in:\n{out}"


def test_cli_markdown_ascii_and_graph(tmp_path, capsys):
    path = tmp_path / "g.mmd"
    assert cli_main(["explain", WORKED, "a=2", "b=5", "--format", "markdown",
                     "--graph", str(path)]) == 0
    captured = capsys.readouterr()
    assert "| w₀ | `sin(a)` | 0.909 |" in captured.out
    assert "wrote the computational graph" in captured.err
    assert path.read_text(encoding="utf-8").startswith("flowchart LR")
    assert cli_main(["explain", WORKED, "a=2", "b=5", "--ascii"]) == 0
    assert "w1_dot" in capsys.readouterr().out


def test_cli_expression_starting_with_minus_and_list_values(capsys):
    assert cli_main(["explain", "-a*b", "a=2", "b=[1, 2]", "--digits", "2"]) == 0
    out = capsys.readouterr().out
    assert "r = -a*b" in out and "[1 2]" in out


@pytest.mark.parametrize("argv,message", [
    (["explain", "a.b", "a=1"], "^^"),
    (["explain", "a+b", "a=1"], "unknown name 'b'"),
    (["explain", "a", "a=x"], "must be a number"),
    (["explain", "a", "a=True"], "must be a real number"),
    (["explain", "a", "a"], "expected NAME=VALUE"),
    (["explain", "a", "a=1", "--graph", "g.png"], "cannot tell the graph format"),
    (["explain", "log(a) @ a", "a=1"], "explain:"),
])
def test_cli_errors_exit_2_with_a_message(argv, message, capsys):
    assert cli_main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


# --- graphs -----------------------------------------------------------------------------

def _check_dot_structure(text: str) -> None:
    lines = text.strip().splitlines()
    assert lines[0] == "digraph funcad {" and lines[-1] == "}"
    nodes = set()
    for ln in lines[1:-1]:
        ln = ln.strip()
        m = re.fullmatch(r'(n\d+) \[label="((?:[^"\\]|\\.)*)", [^\]]*\];', ln)
        if m:
            nodes.add(m.group(1))
            continue
        m = re.fullmatch(r"(n\d+) -> (n\d+);", ln)
        if m:
            assert m.group(1) in nodes and m.group(2) in nodes, ln
            continue
        assert re.fullmatch(r"(rankdir=LR|node \[.*\]);", ln), ln


def test_dot_graph_is_well_formed(worked, tmp_path):
    text = worked.to_dot()
    _check_dot_structure(text)
    assert text.count("->") == 6  # a→w₀, b→w₁, w₀→w₁, b→w₂, w₁→r, w₂→r
    assert 'label="b = 5\\nb̄ = 10.909"' in text
    path = tmp_path / "g.dot"
    worked.write_graph(path)
    if shutil.which("dot"):
        proc = subprocess.run(["dot", "-Tcanon", str(path)], capture_output=True, timeout=60)
        assert proc.returncode == 0, proc.stderr


def test_mermaid_graph_is_well_formed(worked):
    lines = worked.to_mermaid().strip().splitlines()
    assert lines[0] == "flowchart LR"
    nodes = set()
    for ln in lines[1:]:
        ln = ln.strip()
        m = re.fullmatch(r'(n\d+)(\(\["|\["|\("|\[\[")([^"]*)("\]\)|"\]|"\)|"\]\])', ln)
        if m:
            nodes.add(m.group(1))
            continue
        m = re.fullmatch(r"(n\d+) --> (n\d+)", ln)
        assert m and m.group(1) in nodes and m.group(2) in nodes, ln
    assert len(nodes) == 6


def test_graph_with_literals_and_quotes_escapes(tmp_path):
    report = funcad.explain(lambda x: 2.0 * x + 1.0, 3.0)
    _check_dot_structure(report.to_dot())
    assert report.to_dot().count("shape=plaintext") == 2


def test_svg_through_graphviz_or_a_clear_message(worked, tmp_path, monkeypatch):
    path = tmp_path / "g.svg"
    if shutil.which("dot"):
        worked.write_graph(path)
        assert "<svg" in path.read_text(encoding="utf-8")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(GraphvizNotFoundError, match=r"Graphviz's `dot`.*FILE\.dot or FILE\.mmd"):
        worked.write_graph(tmp_path / "h.svg")
    assert not (tmp_path / "h.svg").exists()


def test_cli_svg_without_graphviz_fails_before_printing(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert cli_main(["explain", WORKED, "a=2", "b=5", "--graph", str(tmp_path / "g.svg")]) == 2
    captured = capsys.readouterr()
    assert "install Graphviz" in captured.err.replace("Install", "install")
    assert captured.out == ""


# --- number formatting ------------------------------------------------------------------

@pytest.mark.parametrize("x,text", [
    (0.9092974, "0.909"), (25.0, "25"), (-2.0807, "-2.081"), (10.90929, "10.909"),
    (0.0, "0"), (-0.0001, "-1e-4"), (1.5e-7, "1.5e-7"), (float("nan"), "nan"),
    (float("-inf"), "-inf"), (12345678.0, "1.23e7"), (-0.0004, "-4e-4"),
])
def test_format_number(x, text):
    assert format_number(x) == text


def test_reverse_mode_unavailable_is_reported_not_raised():
    lax = pytest.importorskip("funcad.lax")
    f = lambda x: lax.while_loop(lambda v: v < 10.0, lambda v: v * x, 1.0)  # noqa: E731
    report = funcad.explain(f, 2.0)
    assert "reverse" in report.traces.errors and report.gradient is None
    _, t = funcad.jvp(f, (2.0,), (1.0,))
    np.testing.assert_allclose(report.traces.derivatives["x"], t)
    assert "Reverse mode is not available here" in str(report)
