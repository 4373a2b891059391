"""The lowering of ``debug_print``: a host callback (``jax.debug.callback``) that formats and
prints the values when the compiled program runs."""
from __future__ import annotations

import builtins

from funcad.ops.debugging import debug_print_p, format_values
from funcad_xla._jax import jax
from funcad_xla.rules import register_lowerings


def _debug_print(*leaves, fmt, in_tree):
    def show(*values):
        builtins.print(format_values(fmt, in_tree, values))

    jax().debug.callback(show, *leaves, ordered=True)
    return []


register_lowerings({debug_print_p: _debug_print})
