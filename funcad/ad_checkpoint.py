"""``funcad.ad_checkpoint``: checkpointing (rematerialization) for reverse mode, as
``jax.ad_checkpoint``: ``checkpoint``/``remat`` with a ``policy`` from
``checkpoint_policies``, ``checkpoint_name`` to tag values that name-based policies store,
and ``print_saved_residuals`` (``saved_residuals``) to see what is stored."""
from __future__ import annotations

from funcad import checkpoint_policies
from funcad.checkpoint import checkpoint, remat
from funcad.ops.checkpointing import checkpoint_name
from funcad.residuals import print_saved_residuals, saved_residuals

__all__ = [
    "checkpoint",
    "checkpoint_name",
    "checkpoint_policies",
    "print_saved_residuals",
    "remat",
    "saved_residuals",
]
