"""The backend registry: backend name -> compiler, and the cache of compiled IRs.

A backend is found through ``BACKEND_MODULES`` (name -> module), imported with importlib on
first use; the module registers its compiler with ``register_backend`` when it loads.
``"numpy"`` is funcad's own executor; ``"xla"`` is ``funcad_xla`` (which imports jax
lazily). ``jit`` keeps the executables of the signatures it traced; ``executable`` caches
the ones of IRs made by transformation rules (least recently used out), so an IR is
compiled once.
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Callable

from funcad.errors import FuncadValueError
from funcad.ir.core import ClosedJaxpr

# The backends funcad knows by name: name -> the module that registers it when imported.
BACKEND_MODULES = {"numpy": "funcad.backends.numpy", "xla": "funcad_xla"}

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
    return "xla" if "xla" in _compilers or xla_installed() else "numpy"


@functools.lru_cache(maxsize=1)
def xla_installed() -> bool:
    find = importlib.util.find_spec
    return find("jax") is not None and find(BACKEND_MODULES["xla"]) is not None


def resolve_backend(name: str | None) -> str:
    """A backend name checked against the known ones (``None``: the default)."""
    if name is None:
        return default_backend()
    if name not in BACKEND_MODULES and name not in _compilers:
        raise FuncadValueError(
            f"jit: unknown backend {name!r}; the backends are "
            + ", ".join(repr(n) for n in sorted({*BACKEND_MODULES, *_compilers}))
        )
    return name


def compiler(name: str) -> Compiler:
    """The compiler of backend ``name``, importing its module on first use."""
    comp = _compilers.get(name)
    if comp is None:
        if name in BACKEND_MODULES:
            importlib.import_module(BACKEND_MODULES[name])  # registers itself
        comp = _compilers.get(name)
        if comp is None:
            raise FuncadValueError(f"jit: backend {name!r} is not available")
    return comp


class Placement:
    """Where a compiled program's arguments and results live, beyond one device: one sharding
    (a ``jax.sharding.Sharding``, or ``None``: unconstrained) per flat argument and per flat
    result. Passed as the ``device`` of ``compile_ir``/``executable``; hashable, so compiled
    programs are cached per (IR, shardings, devices)."""

    __slots__ = ("in_shardings", "out_shardings", "_hash")

    def __init__(self, in_shardings: tuple, out_shardings: tuple):
        self.in_shardings = tuple(in_shardings)
        self.out_shardings = tuple(out_shardings)
        self._hash = hash((self.in_shardings, self.out_shardings))

    def __eq__(self, other):
        return (type(other) is Placement and self.in_shardings == other.in_shardings
                and self.out_shardings == other.out_shardings)

    def __hash__(self):
        return self._hash

    def __repr__(self):
        return f"Placement(in={self.in_shardings}, out={self.out_shardings})"


# Backends whose executables take and return device-resident ``jax.Array``s.
DEVICE_ARRAY_BACKENDS = frozenset({"xla"})
# Backends that reuse the buffers of donated arguments (their compilers take ``donate``);
# the others ignore donation, which is a hint.
DONATING_BACKENDS = frozenset({"xla"})


def takes_device_arrays(backend: str) -> bool:
    """Whether ``backend``'s executables take ``jax.Array``s as they are and return them."""
    return backend in DEVICE_ARRAY_BACKENDS


def compile_ir(closed: ClosedJaxpr, backend: str, device=None,
               donate: tuple[int, ...] = ()) -> Callable[..., list]:
    """Compile ``closed`` for ``backend`` now (uncached: the caller keeps the result).
    ``donate``: indices of the flat arguments whose buffers the program may reuse, for the
    backends that can (``DONATING_BACKENDS``); the others ignore it."""
    if donate and backend in DONATING_BACKENDS:
        return compiler(backend)(closed, device, donate=tuple(donate))
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
    "BACKEND_MODULES",
    "DONATING_BACKENDS",
    "Placement",
    "compile_ir",
    "compiler",
    "default_backend",
    "executable",
    "register_backend",
    "resolve_backend",
    "takes_device_arrays",
    "xla_installed",
]
