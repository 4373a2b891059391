"""Every primitive funcad defines, found by scanning its modules (for the coverage tests)."""
from __future__ import annotations

import importlib
import pkgutil

import funcad.ops
from funcad.core.primitive import Primitive

# Modules outside funcad.ops that define primitives (by module name: the package attribute
# ``funcad.checkpoint`` is the function, not the module).
_OTHER_MODULES = ("funcad.interpreters.jit", "funcad.custom_derivatives", "funcad.checkpoint")


def all_primitives() -> list[Primitive]:
    names = [info.name for info in pkgutil.iter_modules(funcad.ops.__path__, "funcad.ops.")]
    found = {}
    for name in [*names, *_OTHER_MODULES]:
        for value in vars(importlib.import_module(name)).values():
            if isinstance(value, Primitive):
                found[value.name] = value
    return sorted(found.values(), key=lambda p: p.name)
