"""Every primitive funcad defines, found by scanning the packages that define them (for the
coverage tests): first-order ones in ``funcad.ops``, higher-order ones in
``funcad.control``."""
from __future__ import annotations

import importlib
import pkgutil

import funcad.control
import funcad.ops
from funcad.core.primitive import Primitive


def all_primitives() -> list[Primitive]:
    found = {}
    for package in (funcad.ops, funcad.control):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            for value in vars(importlib.import_module(info.name)).values():
                if isinstance(value, Primitive):
                    found[value.name] = value
    return sorted(found.values(), key=lambda p: p.name)
