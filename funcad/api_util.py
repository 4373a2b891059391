"""Helpers shared by the front ends of the transforms: names of user functions for error
messages, the check that turns an argument leaf into its abstract value, and leaf paths."""
from __future__ import annotations

import os
from collections.abc import Callable


def fun_label(fun: Callable) -> str:
    """``name (file.py:line)`` of a user function, for error messages."""
    name = fun_name(fun)
    code = getattr(fun, "__code__", None)
    if code is None:
        return name
    return f"{name} ({os.path.basename(code.co_filename)}:{code.co_firstlineno})"


def fun_name(fun: Callable) -> str:
    """The name of a user function (or of its type), for error messages and IR names."""
    return getattr(fun, "__name__", type(fun).__name__)
