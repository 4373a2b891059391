"""The porting page's coverage tables (``docs/port_coverage.py``, rendered by the
``port-coverage`` / ``port-summary`` markers of ``docs/hooks.py``) against the live modules:
a name funcad has is never listed as missing, a listed name exists where the table says,
no public function or class of a reference is dropped, and a reference that cannot be
imported is reported instead of failing the build."""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_docs_{name}", DOCS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (dataclasses look their module up there)
    spec.loader.exec_module(module)
    return module


pc = _load("port_coverage")
_ABSENT = object()


def _lookup(module, path: str):
    obj = module
    for part in path.split("."):
        obj = getattr(obj, part, _ABSENT)
        if obj is _ABSENT:
            return _ABSENT
    return obj


def _import(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _plainly_callable(obj) -> bool:
    """Functions, builtins, ufuncs and (non-typing) classes: what a table must never drop."""
    if isinstance(obj, type):
        return type(obj).__module__.split(".")[0] not in ("typing", "typing_extensions")
    return inspect.isfunction(obj) or inspect.isbuiltin(obj) or isinstance(obj, np.ufunc)


def _reference_names(ref, expand: bool):
    """(path, object) of the public attributes of ``ref`` (one level into submodules for
    ``expand``)."""
    for name in dir(ref):
        if name.startswith("_"):
            continue
        obj = getattr(ref, name)
        if expand and inspect.ismodule(obj):
            for sub in dir(obj):
                if not sub.startswith("_"):
                    yield f"{name}.{sub}", getattr(obj, sub)
        else:
            yield name, obj


ALL = [(ns, ref) for ns, (_, jax_name, ag_name, _) in pc.NAMESPACES.items()
       for ref in (jax_name, ag_name) if ref is not None]


@pytest.mark.parametrize("namespace, reference", ALL)
def test_table_agrees_with_the_live_modules(namespace, reference):
    cov = pc.compare(namespace, reference)
    ref = _import(reference)
    if ref is None:
        assert not cov.available and cov.reason and not cov.have and not cov.missing
        return
    assert cov.available
    ours = _import(pc.NAMESPACES[namespace][0])
    assert cov.funcad_found == (ours is not None)
    for names in (cov.have, cov.missing, cov.have_values, cov.missing_values):
        assert len(set(names)) == len(names)
    assert not set(cov.have) & set(cov.missing)
    assert not set(cov.have_values) & set(cov.missing_values)
    exported = getattr(ours, "__all__", ())
    for name in cov.have + cov.have_values:  # funcad has it: not as a private module
        obj = _lookup(ours, name)
        assert obj is not _ABSENT, (namespace, name)
        assert not inspect.ismodule(obj) or (name in cov.have_values and name in exported)
    for name in cov.missing + cov.missing_values:  # ... never listed when funcad has it
        obj = _ABSENT if ours is None else _lookup(ours, name)
        assert obj is _ABSENT or (inspect.ismodule(obj) and name not in exported), (
            namespace, name, obj)
    for name in cov.have + cov.missing:  # real, callable names of the reference
        obj = _lookup(ref, name)
        assert obj is not _ABSENT and callable(obj) and not inspect.ismodule(obj)
    for name in cov.have_values + cov.missing_values:
        assert _lookup(ref, name) is not _ABSENT
    counted = set(cov.have + cov.missing)
    expand = pc.NAMESPACES[namespace][3]
    dropped = [n for n, obj in _reference_names(ref, expand)
               if _plainly_callable(obj) and n not in counted]
    assert not dropped, (namespace, reference, dropped)


@pytest.mark.parametrize("namespace", list(pc.NAMESPACES))
def test_what_funcad_exports_is_counted_as_present(namespace):
    # New names (funcad.tree, more of tree_util, ...) show up in the table as they land.
    ours_name, jax_name, _, _ = pc.NAMESPACES[namespace]
    ours, ref = _import(ours_name), _import(jax_name)
    if ours is None or ref is None:
        pytest.skip(f"{ours_name} or {jax_name} is not importable here")
    cov = pc.compare(namespace, jax_name)
    exported = [n for n in getattr(ours, "__all__", ()) if pc.resolves(ref, n)]
    for name in exported:
        assert name in cov.have or name in cov.have_values, (namespace, name)


def test_spot_checks():
    numpy_vs_jax = pc.compare("numpy", "jax.numpy")
    assert {"sin", "einsum", "float32", "where"} <= set(numpy_vs_jax.have)
    assert {"pi", "newaxis"} <= set(numpy_vs_jax.have_values)  # newaxis is None: still found
    assert "add_p" not in pc.compare("lax", "jax.lax").have + pc.compare("lax", "jax.lax").missing
    top = pc.compare("top level", "jax")
    assert {"grad", "jit", "vmap", "jvp", "vjp"} <= set(top.have)
    assert "numpy" not in top.have + top.missing  # a module
    stats = pc.compare("scipy.stats", "jax.scipy.stats")
    assert {"norm.logpdf", "norm.cdf"} <= set(stats.have)
    assert pc.kind(int) == "callable" and pc.kind(np.pi) == "value" and pc.kind(np) is None


def test_missing_reference_is_reported_not_fatal(monkeypatch):
    real = pc._import

    def fake(name):
        if name.startswith(("jax", "autograd")):
            return None, "ModuleNotFoundError: No module named 'jax'"
        return real(name)

    monkeypatch.setattr(pc, "_import", fake)
    text = pc.namespace_markdown("numpy")
    assert "`jax.numpy`**: not installed" in text and "`autograd.numpy`**: not installed" in text
    assert "not installed" in pc.summary_markdown()


def test_markdown_lists_counts_and_names():
    cov = pc.compare("random", "jax.random")
    text = pc.namespace_markdown("random")
    assert f"**{len(cov.have)} of {cov.total}**" in text
    assert f"Missing from funcad ({len(cov.missing)})" in text
    for name in cov.missing:
        assert f"`{name}`" in text
    with pytest.raises(ValueError, match="unknown namespace"):
        pc.namespace_markdown("nope")


def test_hook_markers_render_and_keep_the_following_heading():
    hooks = _load("hooks")
    page = SimpleNamespace(file=SimpleNamespace(src_path="porting.md"))
    source = "<!-- funcad:port-summary -->\n\n### random\n\n<!-- funcad:port-coverage random -->\n"
    out = hooks.on_page_markdown(source, page, None, None)
    assert "| namespace |" in out and "against `jax.random`" in out
    assert "|\n\n### random\n" in out  # the table ends before the heading
