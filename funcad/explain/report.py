"""The printable report of ``funcad.explain``: aligned text tables, or Markdown."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from funcad.explain.graph import to_dot, to_mermaid, write_graph
from funcad.explain.notation import Notation, pad, text_width
from funcad.explain.trace_tables import Traces


@dataclass
class Table:
    """A titled table; ``code`` marks columns that hold formulas (code in Markdown)."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    align: str = ""  # one of "<" or ">" per column; left by default
    code: tuple[int, ...] = ()
    notes: list[str] = field(default_factory=list)

    def to_text(self, indent: str = "  ", rule: str = "─") -> str:
        ncol = len(self.headers)
        align = self.align or "<" * ncol
        widths = [max([text_width(self.headers[j])] + [text_width(r[j]) for r in self.rows])
                  for j in range(ncol)]

        def line(cells):
            parts = [pad(c, w, a) for c, w, a in zip(cells, widths, align)]
            return (indent + "  ".join(parts)).rstrip()

        out = [self.title, line(self.headers), indent + "  ".join(rule * w for w in widths)]
        out += [line(r) for r in self.rows]
        out += [indent + n for n in self.notes]
        return "\n".join(out)

    def to_markdown(self) -> str:
        align = self.align or "<" * len(self.headers)

        def cell(text: str, j: int) -> str:
            if j in self.code and text:
                return "`" + text.replace("|", "\\|") + "`"
            return _md_escape(text).replace("|", "\\|")

        out = [f"**{_md_escape(self.title)}**", ""]
        out.append("| " + " | ".join(_md_escape(h) for h in self.headers) + " |")
        out.append("|" + "|".join(" ---: " if a == ">" else " --- " for a in align) + "|")
        out += ["| " + " | ".join(cell(c, j) for j, c in enumerate(r)) + " |" for r in self.rows]
        if self.notes:
            out.append("")
            out += [_md_escape(n) + "  " for n in self.notes]
        return "\n".join(out)


def _md_escape(text: str) -> str:
    """Text that Markdown shows literally (``b*sin(a) + b**2`` is no emphasis)."""
    for ch in "\\`*_[]<>":
        text = text.replace(ch, "\\" + ch)
    return text


class Report:
    """What ``funcad.explain`` returns: the traces of a function at a point, printable.

    ``str(report)`` (and ``print``) gives aligned text tables, ``report.to_markdown()``
    Markdown (also shown by notebooks through ``_repr_markdown_``). The numbers are in
    ``report.traces``; ``report.gradient`` holds ``funcad.grad``'s result by input name.
    """

    def __init__(self, traces: Traces, *, title: str, point: str, gradient: dict | None,
                 checks: list[str], irs: list[tuple[str, str]], note: str = ""):
        self.traces = traces
        self.title = title
        self.point = point
        self.gradient = gradient
        self.checks = checks
        self.irs = irs
        self.note = note

    @property
    def notation(self) -> Notation:
        return self.traces.notation

    @property
    def value(self) -> np.ndarray:
        return self.traces.value

    # --- tables ---------------------------------------------------------------------------

    def evaluation_table(self) -> Table:
        nt = self.notation
        rows = [[r.name, r.definition, nt.number(r.value), r.ir] for r in self.traces.evaluation]
        return Table("Evaluation trace (the IR below, one equation per row)",
                     ["var", "definition", "value", "IR equation"], rows, "<<><", code=(1, 3))

    def tangent_table(self) -> Table:
        nt, tr = self.notation, self.traces
        seeds = [nt.tangent(s) for s in tr.seeds]
        headers = ["tangent", "definition"] + [f"seed {s} = 1" for s in seeds]
        rows = [[r.name, r.definition] + [nt.number(v) for v in r.values] for r in tr.tangent]
        notes = []
        if len(seeds) > 1:
            notes.append("Each seed column is one forward sweep: that input's tangent is 1, "
                         "the others' 0.")
        r_dot = nt.tangent(tr.output)
        for s, seed in zip(tr.seeds, seeds):
            shape = np.shape(self._input_value(s))
            along = "" if shape == () else " (directional: all ones)"
            notes.append(f"{nt.partial(tr.output, s)} = {r_dot} with {seed} = 1{along}: "
                         f"{nt.number(tr.derivatives[s])}")
        title = "Forward (tangent) trace: each equation's JVP rule, staged by funcad.jvp"
        if "forward" in tr.errors:
            notes = [f"Forward mode is not available here: {tr.errors['forward']}"]
        elif not tr.seeds:
            notes.append("No input is floating point: nothing to differentiate.")
        return Table(title, headers, rows, "<<" + ">" * len(seeds), code=(1,), notes=notes)

    def adjoint_table(self) -> Table:
        nt, tr = self.notation, self.traces
        rows = []
        for k, s in enumerate(tr.adjoint, 1):
            update = f"= {s.expression} (seed)" if s.op == "seed" else f"{s.op} {s.expression}"
            rows.append([str(k), s.adjoint, update, nt.number(s.contribution),
                         nt.number(s.value)])
        notes = []
        uses: dict[str, list[int]] = {}
        for k, s in enumerate(tr.adjoint, 1):
            if s.op != "seed" and not s.expression.startswith("0 "):
                uses.setdefault(s.target, []).append(k)
        for name, steps in uses.items():
            if len(steps) > 1:
                parts = " + ".join(nt.number(tr.adjoint[k - 1].contribution) for k in steps)
                notes.append(
                    f"{name} is used {len(steps)} times, so {nt.adjoint(name)} accumulates "
                    f"(steps {', '.join(map(str, steps))}): {parts} = "
                    f"{nt.number(tr.adjoint[steps[-1] - 1].value)}"
                )
        if "reverse" in tr.errors:
            notes = [f"Reverse mode is not available here: {tr.errors['reverse']}"]
        seed = nt.adjoint(tr.output)
        ones = "" if np.shape(tr.value) == () else " (all ones: the gradient of sum(r))"
        title = (f"Reverse (adjoint) trace: {seed} = 1{ones}, then each equation's VJP "
                 "(linearize + transpose), last equation first")
        return Table(title, ["step", "adjoint", "update", "contribution", "value"], rows,
                     "><<>>", code=(2,), notes=notes)

    def gradient_lines(self) -> list[str]:
        nt, tr = self.notation, self.traces
        if self.gradient is None:
            return [self.note or "The output is not a real scalar: no gradient."]
        lines = [f"{nt.partial(tr.output, name)} = {nt.number(g)}"
                 for name, g in self.gradient.items()]
        lines += self.checks
        return lines

    def _input_value(self, name: str):
        for r in self.traces.evaluation:
            if r.name == name:
                return r.value
        return np.zeros(())

    # --- formats --------------------------------------------------------------------------

    def to_text(self) -> str:
        parts = [f"{self.title}\n{self.point}"]
        parts += [t.to_text(rule=self.notation.rule)
                  for t in (self.evaluation_table(), self.tangent_table(), self.adjoint_table())]
        parts.append("Gradient (funcad.grad)\n" + "\n".join("  " + ln
                                                         for ln in self.gradient_lines()))
        for title, ir in self.irs:
            parts.append(title + "\n" + "\n".join("  " + ln for ln in ir.splitlines()))
        return "\n\n".join(parts) + "\n"

    def to_markdown(self) -> str:
        parts = [f"### {_md_escape(self.title)}", _md_escape(self.point)]
        parts += [t.to_markdown() for t in (self.evaluation_table(), self.tangent_table(),
                                            self.adjoint_table())]
        parts.append("**Gradient (funcad.grad)**\n\n" + "\n".join(
            f"- {_md_escape(ln)}" for ln in self.gradient_lines()))
        for title, ir in self.irs:
            parts.append(f"**{title}**\n\n```text\n{ir}\n```")
        return "\n\n".join(parts) + "\n"

    def format(self, fmt: str = "text") -> str:
        if fmt == "text":
            return self.to_text()
        if fmt in ("markdown", "md"):
            return self.to_markdown()
        raise ValueError(f"unknown format {fmt!r}: use 'text' or 'markdown'")

    def __str__(self) -> str:
        return self.to_text()

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    # --- graphs ---------------------------------------------------------------------------

    def to_dot(self) -> str:
        """The computational graph in Graphviz's DOT language."""
        return to_dot(self.traces)

    def to_mermaid(self) -> str:
        """The computational graph as a Mermaid flowchart."""
        return to_mermaid(self.traces)

    def write_graph(self, path) -> str:
        """Write the graph to ``path``: ``.dot``/``.gv``, ``.mmd`` or ``.svg`` (through
        Graphviz's ``dot``). Returns the path written."""
        return write_graph(self.traces, path)


__all__ = ["Report", "Table"]
