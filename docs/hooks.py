"""MkDocs hook: parts of the docs that are computed from the code at build time, so they
cannot go stale. A page asks for one with an HTML comment on a line of its own:

- ``<!-- funcad:explain EXPR ; NAME=VALUE ... -->``: the Markdown report of
  ``funcad.explain`` (``python -m funcad explain EXPR NAME=VALUE ... --format markdown``);
- ``<!-- funcad:numpy-coverage -->``: which NumPy functions ``funcad.numpy`` implements;
- ``<!-- funcad:primitive-rules -->``: each primitive and the rules it has;
- ``<!-- funcad:swell -->``: IR sizes of the logistic map's derivative (and sympy's, if
  installed);
- ``<!-- funcad:cli-help -->``: the help text of ``python -m funcad explain``;
- ``<!-- funcad:port-coverage NAMESPACE -->`` / ``<!-- funcad:port-summary -->``: which
  names of JAX's and autograd's namespaces funcad has (``docs/port_coverage.py``).
"""
from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "docs"):  # funcad, and this folder's port_coverage
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

# Imported while this folder is on the path (MkDocs puts it there only while loading this).
import port_coverage  # noqa: E402

_MARKER = re.compile(r"^<!-- funcad:([a-z-]+)[ \t]*(.*?)[ \t]*-->[ \t]*$", re.M)

_CATEGORIES = {
    "_creation": "Array creation",
    "_ufuncs": "Elementwise functions (ufuncs), comparisons and logic",
    "_reductions": "Reductions and cumulative operations",
    "_products": "Products",
    "_einsum": "Products",
    "_shape": "Shape, joining and splitting",
    "_indexing": "Indexing",
    "linalg": "numpy.linalg",
    "_complex": "Complex numbers",
    "fft": "numpy.fft",
}


def on_page_markdown(markdown: str, page, config, files) -> str:
    def replace(match: re.Match) -> str:
        kind, arg = match.group(1), match.group(2)
        maker = _MAKERS.get(kind)
        if maker is None:
            raise ValueError(f"{page.file.src_path}: unknown funcad marker {kind!r}")
        return maker(arg)

    return _MARKER.sub(replace, markdown)


def _explain(arg: str) -> str:
    import funcad

    expr, _, assignments = arg.partition(";")
    values = {}
    for item in assignments.split():
        name, _, value = item.partition("=")
        values[name] = float(value)
    return funcad.explain(expr.strip(), **values).to_markdown()


def _public_functions(module) -> dict[str, object]:
    """The functions ``module`` exports that are defined in the user-facing modules of
    funcad.numpy (helpers imported from elsewhere are left out)."""
    names = getattr(module, "__all__", None) or dir(module)
    out = {}
    for name in names:
        fn = getattr(module, name, None)
        if name.startswith("_") or isinstance(fn, type) or not callable(fn):
            continue
        defined_in = (getattr(fn, "__module__", "") or "").rsplit(".", 1)[-1]
        if defined_in in _CATEGORIES:
            out[name] = fn
    return out


def _numpy_coverage(_: str) -> str:
    import numpy as np

    import funcad.numpy as fnp

    by_category: dict[str, list[str]] = {}
    ours = _public_functions(fnp)
    for name, fn in ours.items():
        module = fn.__module__.rsplit(".", 1)[-1]
        by_category.setdefault(_CATEGORIES.get(module, "Other"), []).append(name)
    linalg = _public_functions(fnp.linalg)
    by_category.setdefault("numpy.linalg", []).extend(f"linalg.{n}" for n in linalg)
    fft = _public_functions(fnp.fft)
    by_category.setdefault("numpy.fft", []).extend(f"fft.{n}" for n in fft)

    lines = [
        f"`funcad.numpy` implements **{len(ours) + len(linalg) + len(fft)}** functions; names in "
        "*italics* are not in NumPy's namespace (funcad extras). Every one works eagerly "
        "on arrays and under every transform; the same names called through NumPy "
        "(`numpy.sin(tracer)`) dispatch here.",
        "",
        "| category | functions |",
        "| --- | --- |",
    ]
    for category in sorted(by_category):
        names = sorted(set(by_category[category]))
        shown = []
        for n in names:
            sub, _, short = n.rpartition(".")
            in_numpy = hasattr(getattr(np, sub) if sub else np, short)
            shown.append(f"`{n}`" if in_numpy else f"*`{n}`*")
        lines.append(f"| {category} ({len(names)}) | {', '.join(shown)} |")

    missing_ufuncs = sorted(n for n in dir(np) if isinstance(getattr(np, n), np.ufunc)
                            and n not in ours)
    missing_other = sorted(
        n for n in dir(np)
        if not n.startswith("_") and callable(getattr(np, n)) and n not in ours
        and not isinstance(getattr(np, n), (type, np.ufunc))
    )
    lines += [
        "",
        f"NumPy ufuncs **not** implemented ({len(missing_ufuncs)}; calling one on a traced "
        "value raises a `TypeError` naming it): "
        + ", ".join(f"`{n}`" for n in missing_ufuncs) + ".",
        "",
        f"Other NumPy functions not implemented ({len(missing_other)}, many of them I/O, "
        "printing, sorting, set and polynomial routines): "
        + ", ".join(f"`{n}`" for n in missing_other) + ".",
    ]
    return "\n".join(lines)


def _all_primitives():
    import funcad.control
    import funcad.ops
    from funcad.core.primitive import Primitive

    found = {}
    modules = [i.name for pkg in (funcad.ops, funcad.control)
               for i in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + ".")]
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for value in vars(module).values():
            if isinstance(value, Primitive):
                found[value.name] = (value, name.rsplit(".", 1)[-1])
    return [found[k] for k in sorted(found)]


def _primitive_rules(_: str) -> str:
    from funcad.core.rules import batch_rules, jvp_rules, transpose_rules

    try:
        from funcad_xla.lowering import lowerings

        xla = lowerings()
    except Exception:  # jax or the backend is missing: leave the column out
        xla = None
    lines = ["| primitive | family | JVP | transpose | batching |"
             + (" XLA |" if xla is not None else ""),
             "| --- | --- | :-: | :-: | :-: |" + (" :-: |" if xla is not None else "")]
    yes, no = "✓", "·"
    for prim, family in _all_primitives():
        cells = [f"`{prim.name}`", family.lstrip("_"),
                 yes if prim in jvp_rules else no,
                 yes if prim in transpose_rules else no,
                 yes if prim in batch_rules else no]
        if xla is not None:
            cells.append(yes if prim in xla else no)
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "A transpose rule exists only for primitives that are linear in some "
              "operand: reverse mode transposes the linearized IR, whose equations are all "
              "linear (`mul` by a constant, `add`, `dot_general` with one constant side, "
              "...)."]
    return "\n".join(lines)


def _swell(_: str) -> str:
    import numpy as np

    import funcad

    try:
        import sympy
    except ImportError:
        sympy = None
    lines = ["| n | equations in IR of f | equations in IR of grad f | sympy: ops in d/dx |",
             "| ---: | ---: | ---: | ---: |"]
    for n in range(1, 9):
        def f(x, n=n):
            for _ in range(n):
                x = 4.0 * x * (1.0 - x)
            return x

        ir_f = funcad.make_jaxpr(f)(np.float64(0.3))
        ir_g = funcad.make_jaxpr(funcad.grad(f))(np.float64(0.3))
        sym = "–"
        if sympy is not None:
            x = sympy.Symbol("x")
            sym = str(sympy.count_ops(sympy.diff(f(x), x)))
        lines.append(f"| {n} | {len(ir_f.eqns)} | {len(ir_g.eqns)} | {sym} |")
    if sympy is None:
        lines += ["", "(sympy is not installed where these docs were built: its column is "
                  "empty. `python examples/expression_swell.py` prints it.)"]
    return "\n".join(lines)


def _cli_help(_: str) -> str:
    from funcad.__main__ import _parser

    parser = _parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    text = sub.choices["explain"].format_help()
    return "```text\n" + text.replace("usage: python -m funcad", "usage: python -m funcad")\
        + "```"


def _port_coverage(arg: str) -> str:
    return port_coverage.namespace_markdown(arg.strip())


def _port_summary(_: str) -> str:
    return port_coverage.summary_markdown()


_MAKERS = {
    "port-coverage": _port_coverage,
    "port-summary": _port_summary,
    "explain": _explain,
    "numpy-coverage": _numpy_coverage,
    "primitive-rules": _primitive_rules,
    "swell": _swell,
    "cli-help": _cli_help,
}

__all__ = ["on_page_markdown"]

if __name__ == "__main__":  # preview: python docs/hooks.py numpy-coverage
    print(_MAKERS[sys.argv[1]](" ".join(sys.argv[2:])))
