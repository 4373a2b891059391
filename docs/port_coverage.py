"""Which names of JAX's and autograd's namespaces funcad has, computed from the live modules
when the docs are built (``docs/hooks.py``, markers ``port-coverage NAMESPACE`` and
``port-summary``) and checked by ``tests/test_docs_coverage.py``.

What counts: the public names (no leading underscore) of the reference module, split into
*functions and classes* (anything callable: functions, ufuncs, jitted functions, classes and
dtypes) and *other values* (constants such as ``pi`` and ``newaxis``, index helpers such as
``s_``, configuration objects). Left out: submodules (each namespace has its own table;
``scipy.stats`` distributions are listed as ``norm.logpdf``), typing aliases
(``typing.Union[...]``, ``TypeVar``), JAX's primitive objects (``lax.add_p``, internal
handles), registries and version strings. funcad *has* a name when the same attribute path
resolves on its module to something that is not a module (whether it is complete is the
subject of the other pages). A reference that is not installed is reported as such.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import inspect
from dataclasses import dataclass, field

# namespace -> (funcad module, JAX module, autograd module or None, expand submodules)
NAMESPACES: dict[str, tuple[str, str, str | None, bool]] = {
    "top level": ("funcad", "jax", "autograd", False),
    "numpy": ("funcad.numpy", "jax.numpy", "autograd.numpy", False),
    "numpy.linalg": ("funcad.numpy.linalg", "jax.numpy.linalg", "autograd.numpy.linalg", False),
    "numpy.fft": ("funcad.numpy.fft", "jax.numpy.fft", "autograd.numpy.fft", False),
    "lax": ("funcad.lax", "jax.lax", None, False),
    "nn": ("funcad.nn", "jax.nn", None, False),
    "nn.initializers": ("funcad.nn.initializers", "jax.nn.initializers", None, False),
    "scipy.special": ("funcad.scipy.special", "jax.scipy.special", "autograd.scipy.special",
                      False),
    "scipy.stats": ("funcad.scipy.stats", "jax.scipy.stats", "autograd.scipy.stats", True),
    "scipy.linalg": ("funcad.scipy.linalg", "jax.scipy.linalg", "autograd.scipy.linalg", False),
    "random": ("funcad.random", "jax.random", None, False),
    "tree_util": ("funcad.tree_util", "jax.tree_util", None, False),
    "tree": ("funcad.tree", "jax.tree", None, False),
    "flatten_util": ("funcad.flatten_util", "jax.flatten_util", None, False),
}

# Types of public attributes that are internals, not API a program ports.
_INTERNAL_TYPES = frozenset({"Primitive", "PyTreeRegistry"})
_SKIPPED_TYPE_MODULES = frozenset({"typing", "typing_extensions", "__future__"})
_ABSENT = object()


@dataclass
class Coverage:
    """funcad against one reference module (``available`` False: it could not be imported,
    ``reason`` says why, and the name lists are empty)."""

    namespace: str
    funcad_module: str
    reference: str
    available: bool = True
    reason: str = ""
    funcad_found: bool = True
    have: list[str] = field(default_factory=list)  # functions and classes funcad has too
    missing: list[str] = field(default_factory=list)  # ... that funcad lacks
    have_values: list[str] = field(default_factory=list)
    missing_values: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.have) + len(self.missing)


def kind(obj) -> str | None:
    """``"callable"``, ``"value"``, or ``None`` for what is not counted."""
    if inspect.ismodule(obj):
        return None
    t = type(obj)
    if t.__module__.split(".")[0] in _SKIPPED_TYPE_MODULES or t.__name__ in _INTERNAL_TYPES:
        return None
    if isinstance(obj, (str, bytes, list, dict, tuple, set)):
        return None
    return "callable" if callable(obj) or isinstance(obj, type) else "value"


def _import(name: str):
    try:
        return importlib.import_module(name), ""
    except ImportError as e:  # not installed, or this build lacks the module
        return None, f"{type(e).__name__}: {e}"


def public_names(module, expand: bool) -> dict[str, str]:
    """``{name: kind}`` of what ``module`` exports (with ``expand``, the public names of its
    submodules too, as ``sub.name``)."""
    out: dict[str, str] = {}
    for name in sorted(dir(module)):
        if name.startswith("_"):
            continue
        obj = getattr(module, name, None)
        if expand and inspect.ismodule(obj):
            for sub in sorted(dir(obj)):
                k = None if sub.startswith("_") else kind(getattr(obj, sub, None))
                if k is not None:
                    out[f"{name}.{sub}"] = k
            continue
        k = kind(obj)
        if k is not None:
            out[name] = k
    return out


def resolves(module, path: str, *, namespaces: bool = False) -> bool:
    """Whether ``module.<path>`` exists and is not a module (nor an uncounted object); with
    ``namespaces``, a module that ``module.__all__`` exports counts too (funcad's module
    where the reference has a namespace object, as ``jax.checkpoint_policies``)."""
    obj = module
    for part in path.split("."):
        obj = getattr(obj, part, _ABSENT)
        if obj is _ABSENT:
            return False
    if kind(obj) is not None:
        return True
    return namespaces and inspect.ismodule(obj) and path in getattr(module, "__all__", ())


def compare(namespace: str, reference: str) -> Coverage:
    """funcad's module of ``namespace`` against the ``reference`` module (jax or autograd)."""
    ours_name, _, _, expand = NAMESPACES[namespace]
    cov = Coverage(namespace, ours_name, reference)
    ref, why = _import(reference)
    if ref is None:
        cov.available, cov.reason = False, why
        return cov
    ours, _ = _import(ours_name)
    cov.funcad_found = ours is not None
    for name, k in public_names(ref, expand).items():
        has = ours is not None and resolves(ours, name, namespaces=k == "value")
        if k == "callable":
            (cov.have if has else cov.missing).append(name)
        else:
            (cov.have_values if has else cov.missing_values).append(name)
    return cov


def coverage(namespace: str) -> list[Coverage]:
    """funcad against JAX, and against autograd where it has the namespace."""
    _, jax_name, autograd_name, _ = NAMESPACES[namespace]
    return [compare(namespace, r) for r in (jax_name, autograd_name) if r is not None]


def _codes(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names) if names else "none"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def namespace_markdown(namespace: str) -> str:
    """The Markdown section of one namespace: counts, then the names."""
    if namespace not in NAMESPACES:
        raise ValueError(f"port-coverage: unknown namespace {namespace!r}; the namespaces "
                         f"are {', '.join(NAMESPACES)}")
    lines = []
    for cov in coverage(namespace):
        who = "JAX" if cov.reference.startswith("jax") else "autograd"
        if not cov.available:
            lines += [f"**`{cov.reference}`**: not installed where these docs were built "
                      f"({cov.reason}), so this comparison is left out.", ""]
            continue
        values = len(cov.have_values) + len(cov.missing_values)
        lines += [
            f"**`{cov.funcad_module}` against `{cov.reference}`** ({who}): funcad has "
            f"**{len(cov.have)} of {cov.total}** functions and classes "
            f"({_percent(len(cov.have), cov.total)})"
            + (f" and {len(cov.have_values)} of {values} other values" if values else "")
            + "." + ("" if cov.funcad_found else
                     f" (`{cov.funcad_module}` does not exist in this build.)"),
            "",
            f"- Missing from funcad ({len(cov.missing)}): {_codes(cov.missing)}.",
        ]
        if values:
            lines.append(f"- Other values missing from funcad ({len(cov.missing_values)}): "
                         f"{_codes(cov.missing_values)}.")
        names = ", ".join(f"<code>{n}</code>" for n in cov.have) or "none"
        lines += ["", f"<details><summary>The {len(cov.have)} functions and classes both "
                  f"have</summary>{names}</details>", ""]
    return "\n".join(lines)


def summary_markdown() -> str:
    """One row per namespace: what funcad has of JAX's and of autograd's names."""
    versions = []
    for name in ("jax", "autograd"):
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    lines = [f"Compared with {' and '.join(versions)}, as installed where these docs were "
             "built.", "",
             "| namespace | of JAX's functions and classes | of autograd's |",
             "| --- | ---: | ---: |"]
    for namespace in NAMESPACES:
        cells = []
        for cov in coverage(namespace):
            if not cov.available:
                cells.append("not installed")
            else:
                cells.append(f"{len(cov.have)} / {cov.total} "
                             f"({_percent(len(cov.have), cov.total)})")
        if len(cells) == 1:
            cells.append("–")
        anchor = namespace.replace(".", "").replace(" ", "-")
        lines.append(f"| [`{namespace}`](#{anchor}) | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


__all__ = ["NAMESPACES", "Coverage", "compare", "coverage", "kind", "namespace_markdown",
           "public_names", "resolves", "summary_markdown"]
