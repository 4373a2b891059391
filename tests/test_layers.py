"""The layer rule of DESIGN.md §2, held by reading every module's imports with ``ast``.

funcad is a stack of layers; a module imports, at module top level only, from its own
layer or lower ones. No funcad module is imported inside a function (lazy imports are for
optional third-party packages), no import cycle joins funcad modules, and no source file
grows past the line budget. Each failure names the file, the line and the import.
"""
from __future__ import annotations

import ast
import itertools
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("funcad", "funcad_xla")
MAX_LINES = 600

# Module-name prefix -> layer; the longest matching prefix decides, everything else in
# funcad is the api level (6).
LAYERS = {
    "funcad.core": 0, "funcad.errors": 0, "funcad.tree_util": 0, "funcad.api_util": 0,
    "funcad.ir": 1,
    "funcad.ops": 2,
    "funcad.backends": 3,
    "funcad.interpreters": 4,
    "funcad.control": 5,
    "funcad": 6,
    "funcad_xla": 7,
}
LAYER_NAMES = ["core", "ir", "ops", "backends", "interpreters", "control", "api", "funcad_xla"]


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, pathlib.Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


MODULES = _sources()


def layer_of(module: str) -> int:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[best]


def _is_ours(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


def _targets(node, module: str, is_package: bool) -> list[str]:
    """The funcad modules an import statement loads (``from pkg import mod`` names ``mod``)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if _is_ours(a.name)]
    base = node.module or ""
    if node.level:
        parts = module.split(".")
        if not is_package:
            parts.pop()
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join(parts + ([base] if base else []))
    if not _is_ours(base):
        return []
    subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
    return subs if len(subs) == len(node.names) else [base, *subs]


def _imports(module: str):
    """``(line, target, inside_a_function)`` for each funcad import of ``module``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    stack = [(tree, False)]
    while stack:
        node, in_function = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in _targets(node, module, path.name == "__init__.py"):
                found.append((node.lineno, target, in_function))
        inner = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                  ast.Lambda))
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))
    return sorted(found)


IMPORTS = {m: _imports(m) for m in MODULES}


def _where(module: str, line: int) -> str:
    return f"{MODULES[module].relative_to(ROOT)}:{line}"


def test_no_import_points_to_a_higher_layer():
    bad = []
    for module, imports in IMPORTS.items():
        own = layer_of(module)
        for line, target, _ in imports:
            if layer_of(target) > own:
                bad.append(f"{_where(module, line)}: {module} ({LAYER_NAMES[own]}) imports "
                           f"{target} ({LAYER_NAMES[layer_of(target)]})")
    assert not bad, "imports pointing up the layers:\n" + "\n".join(bad)


def test_no_funcad_module_is_imported_inside_a_function():
    bad = [f"{_where(module, line)}: {module} imports {target} inside a function"
           for module, imports in IMPORTS.items() for line, target, inner in imports if inner]
    assert not bad, "function-level imports of funcad modules:\n" + "\n".join(bad)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes (first == last), or None; iterative DFS."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in graph:
        if root in state:
            continue
        path, iters = [root], [iter(sorted(graph[root]))]
        state[root] = 1
        while path:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(sorted(graph.get(nxt, ()))))
    return None


def test_no_import_cycle():
    graph = {m: {t for _, t, inner in imports if not inner and t in MODULES and t != m}
             for m, imports in IMPORTS.items()}
    cycle = find_cycle(graph)
    if cycle:
        lines = []
        for a, b in itertools.pairwise(cycle):
            line = next(ln for ln, t, _ in IMPORTS[a] if t == b)
            lines.append(f"{_where(a, line)}: {a} imports {b}")
        pytest.fail("import cycle:\n" + "\n".join(lines))


def test_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_source_files_stay_within_the_line_budget():
    long = [f"{p.relative_to(ROOT)}: {n} lines" for p in MODULES.values()
            if (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not long, f"source files over {MAX_LINES} lines:\n" + "\n".join(long)


def test_every_module_has_a_layer():
    assert layer_of("funcad.core.trace") == 0 and layer_of("funcad.ir.passes") == 1
    assert layer_of("funcad.numpy._core") == 6 and layer_of("funcad_xla.lowering") == 7
    assert layer_of("funcad.control.call") == 5 and layer_of("funcad.vmap") == 6
