"""The computational graph of an explained function: DOT, Mermaid, or SVG through Graphviz.

One node per input, constant and equation of the function's IR, labelled with its
definition, its value and (after the reverse sweep) its adjoint; one edge per operand.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

from funcad.explain.notation import Notation
from funcad.explain.parse import ExplainError
from funcad.explain.render import const_text
from funcad.explain.trace_tables import Traces
from funcad.ir.core import Literal, Var

GRAPH_SUFFIXES = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid",
                  ".svg": "svg"}


class GraphvizNotFoundError(ExplainError):
    """SVG output was asked for but Graphviz's ``dot`` program is not installed."""


@dataclass
class _Node:
    id: str
    lines: list[str]
    kind: str  # "input", "constant", "literal", "equation", "output"


def _graph(traces: Traces) -> tuple[list[_Node], list[tuple[str, str]]]:
    closed = traces.closed
    if closed is None:
        raise ExplainError("explain: these traces carry no IR to draw")
    jaxpr = closed.jaxpr
    nt: Notation = traces.notation
    names = traces.names
    rows = {r.name: r for r in traces.evaluation}
    adjoints = traces.final_adjoints()
    nodes: list[_Node] = []
    edges: list[tuple[str, str]] = []
    node_of: dict[Var, str] = {}

    def adjoint_line(name: str) -> list[str]:
        return [f"{nt.adjoint(name)} = {nt.number(adjoints[name])}"] if name in adjoints else []

    for kind, vs in (("constant", jaxpr.constvars), ("input", jaxpr.invars)):
        for v in vs:
            name = names[v]
            node_of[v] = f"n{len(nodes)}"
            nodes.append(_Node(node_of[v], [f"{name} = {nt.number(rows[name].value)}",
                                            *adjoint_line(name)], kind))
    out = jaxpr.outvars[0]
    for eqn in jaxpr.eqns:
        nid = f"n{len(nodes)}"
        lines = []
        for v in eqn.outvars:
            name = names[v]
            row = rows[name]
            lines += [f"{name} = {row.definition}", f"= {nt.number(row.value)}",
                      *adjoint_line(name)]
            node_of[v] = nid
        kind = "output" if out in eqn.outvars else "equation"
        nodes.append(_Node(nid, lines, kind))
        for x in eqn.invars:
            if type(x) is Literal:
                src = f"n{len(nodes)}"
                nodes.append(_Node(src, [const_text(x.val, nt).text], "literal"))
            else:
                src = node_of[x]
            if (src, nid) not in edges:
                edges.append((src, nid))
    if type(out) is Literal or out in jaxpr.invars or out in jaxpr.constvars:
        row = rows[traces.output]
        nid = f"n{len(nodes)}"
        nodes.append(_Node(nid, [f"{traces.output} = {row.definition}",
                                 f"= {nt.number(row.value)}"], "output"))
        if type(out) is Var:
            edges.append((node_of[out], nid))
    return nodes, edges


def _dot_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


_DOT_STYLE = {
    "input": 'shape=ellipse, style=filled, fillcolor="#e8f0fe"',
    "constant": 'shape=ellipse, style=dashed',
    "literal": "shape=plaintext",
    "equation": "shape=box, style=rounded",
    "output": 'shape=box, style="rounded,bold", peripheries=2',
}


def to_dot(traces: Traces) -> str:
    """The graph in Graphviz's DOT language (UTF-8)."""
    nodes, edges = _graph(traces)
    out = ["digraph funcad {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=11];']
    for n in nodes:
        label = "\\n".join(_dot_escape(s) for s in n.lines)
        out.append(f'  {n.id} [label="{label}", {_DOT_STYLE[n.kind]}];')
    out += [f"  {a} -> {b};" for a, b in edges]
    out.append("}")
    return "\n".join(out) + "\n"


def _mermaid_escape(s: str) -> str:
    return (s.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;")
            .replace(">", "#gt;"))


_MERMAID_SHAPE = {
    "input": ('(["', '"])'),
    "constant": ('(["', '"])'),
    "literal": ('["', '"]'),
    "equation": ('("', '")'),
    "output": ('[["', '"]]'),
}


def to_mermaid(traces: Traces) -> str:
    """The graph as a Mermaid flowchart (paste it into a ```mermaid block)."""
    nodes, edges = _graph(traces)
    out = ["flowchart LR"]
    for n in nodes:
        left, right = _MERMAID_SHAPE[n.kind]
        out.append(f"  {n.id}{left}{'<br/>'.join(_mermaid_escape(s) for s in n.lines)}{right}")
    out += [f"  {a} --> {b}" for a, b in edges]
    return "\n".join(out) + "\n"


def graph_format(path) -> str:
    """``"dot"``, ``"mermaid"`` or ``"svg"`` from the file name, or an ExplainError."""
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix not in GRAPH_SUFFIXES:
        raise ExplainError(
            f"explain: cannot tell the graph format of {os.fspath(path)!r}: name the file "
            "FILE.dot (Graphviz), FILE.mmd (Mermaid) or FILE.svg (drawn by Graphviz's dot)"
        )
    return GRAPH_SUFFIXES[suffix]


def check_svg_possible() -> None:
    if shutil.which("dot") is None:
        raise GraphvizNotFoundError(
            "explain: writing SVG needs Graphviz's `dot` program, which is not on PATH. "
            "Install Graphviz (for example `apt-get install graphviz` or "
            "`brew install graphviz`), or write the graph as FILE.dot or FILE.mmd instead."
        )


def to_svg(traces: Traces) -> str:
    """The graph drawn by Graphviz's ``dot`` as SVG text."""
    check_svg_possible()
    try:
        proc = subprocess.run(["dot", "-Tsvg"], input=to_dot(traces).encode(),
                              capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ExplainError(f"explain: running Graphviz's dot failed: {e}") from None
    if proc.returncode != 0:
        raise ExplainError(
            f"explain: Graphviz's dot failed: {proc.stderr.decode(errors='replace').strip()}"
        )
    return proc.stdout.decode()


def write_graph(traces: Traces, path) -> str:
    """Write the graph to ``path`` in the format its suffix names; returns the path."""
    fmt = graph_format(path)
    text = {"dot": to_dot, "mermaid": to_mermaid, "svg": to_svg}[fmt](traces)
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise ExplainError(f"explain: cannot write the graph to {os.fspath(path)!r}: {e}") from None
    return os.fspath(path)


__all__ = [
    "GraphvizNotFoundError",
    "check_svg_possible",
    "graph_format",
    "to_dot",
    "to_mermaid",
    "to_svg",
    "write_graph",
]
