"""Backends compile a closed IR into a callable ``exe(*arrays) -> list of arrays``.

``"numpy"`` is funcad's own executor (``funcad.backends.numpy``); ``"xla"`` is registered by
``funcad_xla`` when it is imported (``jit(backend="xla")`` imports it on first use).
``jit`` keeps the executables of the signatures it traced; ``executable`` caches the ones of
IRs made by transformation rules (least recently used out), so an IR is compiled once.
"""
from __future__ import annotations

import functools
import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Callable

from funcad.errors import FuncadValueError
from funcad.ir.core import ClosedJaxpr

# name -> compile(closed, device) -> executable
Compiler = Callable[[ClosedJaxpr, object], Callable[..., list]]
_compilers: dict[str, Compiler] = {}
_executables: OrderedDict = OrderedDict()
_CACHE_SIZE = 256
_lock = threading.Lock()


def register_backend(name: str, compiler: Compiler) -> None:
    """Make ``compiler`` the backend called ``name`` (replacing an earlier one)."""
    _compilers[name] = compiler
    with _lock:
        for key in [k for k in _executables if k[1] == name]:
            del _executables[key]


def default_backend() -> str:
    """``"xla"`` when funcad_xla and jax are installed, else ``"numpy"`` (nothing imported)."""
    return "xla" if "xla" in _compilers or _xla_installed() else "numpy"


@functools.lru_cache(maxsize=1)
def _xla_installed() -> bool:
    find = importlib.util.find_spec
    return find("jax") is not None and find("funcad_xla") is not None


def resolve_backend(name: str | None) -> str:
    """A backend name checked against the known ones (``None``: the default)."""
    if name is None:
        return default_backend()
    if name not in ("numpy", "xla") and name not in _compilers:
        raise FuncadValueError(
            f"jit: unknown backend {name!r}; the backends are "
            + ", ".join(repr(n) for n in sorted({"numpy", "xla", *_compilers}))
        )
    return name


def compiler(name: str) -> Compiler:
    comp = _compilers.get(name)
    if comp is None:
        if name == "numpy":
            from funcad.backends import numpy as _numpy  # noqa: F401 - registers itself
        elif name == "xla":
            import funcad_xla  # noqa: F401 - registers itself (imports jax lazily)
        comp = _compilers.get(name)
        if comp is None:
            raise FuncadValueError(f"jit: backend {name!r} is not available")
    return comp


def compile_ir(closed: ClosedJaxpr, backend: str, device=None) -> Callable[..., list]:
    """Compile ``closed`` for ``backend`` now (uncached: the caller keeps the result)."""
    return compiler(backend)(closed, device)


def executable(closed: ClosedJaxpr, backend: str, device=None) -> Callable[..., list]:
    """The compiled form of ``closed`` (compiled on first request, then cached; the cache
    holds the IR too, so its id stays unique while the entry lives)."""
    key = (id(closed), backend, device)
    with _lock:
        hit = _executables.get(key)
        if hit is not None and hit[0] is closed:
            _executables.move_to_end(key)
            return hit[1]
    exe = compile_ir(closed, backend, device)
    with _lock:
        _executables[key] = (closed, exe)
        if len(_executables) > _CACHE_SIZE:
            _executables.popitem(last=False)
    return exe


__all__ = [
    "compile_ir",
    "default_backend",
    "executable",
    "register_backend",
    "resolve_backend",
]
