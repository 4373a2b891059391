"""``checkpoint_name``: an identity that tags a value with a name, for the checkpoint
policies that decide by name what a ``checkpoint``-ed function stores for its backward pass
(``funcad.checkpoint_policies.save_only_these_names`` and the like).

The tag is on the primal value only: the JVP passes the tangent through untagged (as JAX
does), so a name marks the value of the forward pass, never a derivative. Linear, so a
function that names its linear input still transposes.
"""
from __future__ import annotations

from funcad.core.rules import Elementwise, jvp_rules, sparsity_rules
from funcad.ops._base import deflinear, defvectorized
from funcad.ops._shapes import new_primitive
from funcad.tree_util import tree_map


def checkpoint_name(x, name: str):
    """``x`` (a pytree of arrays), each leaf tagged with ``name``."""
    return tree_map(lambda leaf: name_p.bind(leaf, name=str(name)), x)


name_p = new_primitive("name", lambda x, *, name: x, lambda aval, *, name: aval)
deflinear(name_p, lambda ct, x, *, name: [ct])


def _name_jvp(primals, tangents, *, name):
    return name_p.bind(primals[0], name=name), tangents[0]


jvp_rules[name_p] = _name_jvp
defvectorized(name_p)
sparsity_rules[name_p] = Elementwise()

__all__ = ["checkpoint_name", "name_p"]
