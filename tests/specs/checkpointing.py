"""Op-spec row of ``checkpoint_name`` (``funcad.ops.checkpointing``): an identity that tags
a value for checkpoint policies; every transform must see through it."""
from __future__ import annotations

from funcad.ad_checkpoint import checkpoint_name

from specs.spec import UNARY_SHAPES, OpSpec

SPECS = [
    OpSpec("checkpoint_name", lambda x: checkpoint_name(x, "tag"), lambda x: x, UNARY_SHAPES),
]
