"""``funcad.ad_checkpoint``: checkpointing (rematerialization) for reverse mode, as
``jax.ad_checkpoint``: ``checkpoint``/``remat`` with a ``policy`` from
``checkpoint_policies``, and ``checkpoint_name`` to tag values that name-based policies
store."""
from __future__ import annotations

from funcad import checkpoint_policies
from funcad.checkpoint import checkpoint, remat
from funcad.ops.checkpointing import checkpoint_name

__all__ = ["checkpoint", "checkpoint_name", "checkpoint_policies", "remat"]
