"""``funcad.checkpoint_policies``: which values a ``checkpoint``-ed function stores for its
backward pass, as ``jax.checkpoint_policies``.

A policy is called as ``policy(primitive, *avals, **params)`` for each equation of the
checkpointed function's forward pass and says whether that equation's outputs may be
stored (``True``) or must be recomputed in the backward pass (``False``). The function's
inputs are always stored.
"""
from __future__ import annotations

from dataclasses import dataclass

from funcad.errors import FuncadNotImplementedError
from funcad.ops.checkpointing import name_p
from funcad.ops.convolution import conv_general_dilated_p
from funcad.ops.linalg import dot_general_p


def everything_saveable(*_, **__) -> bool:
    """Store every value: the memory of no checkpoint at all."""
    return True


def nothing_saveable(*_, **__) -> bool:
    """Store nothing but the inputs: recompute everything (``policy=None``)."""
    return False


@dataclass(frozen=True)
class _DotsSaveable:
    """Store the results of matrix products (and convolutions, unless only products
    without batch dimensions)."""

    only_if_no_batch_dims: bool

    def __call__(self, prim, *avals, **params) -> bool:
        if self.only_if_no_batch_dims:
            if prim is not dot_general_p:
                return False
            (_, _), (lhs_batch, rhs_batch) = params["dimension_numbers"]
            return not lhs_batch and not rhs_batch
        return prim is dot_general_p or prim is conv_general_dilated_p


dots_saveable = checkpoint_dots = _DotsSaveable(False)
dots_with_no_batch_dims_saveable = checkpoint_dots_with_no_batch_dims = _DotsSaveable(True)


@dataclass(frozen=True)
class _Names:
    names: frozenset
    only: bool  # True: store exactly these names; False: any name but these
    named_only: bool = True  # False: store every value except these names

    def __call__(self, prim, *avals, **params) -> bool:
        if prim is not name_p:
            return not self.named_only
        return (params["name"] in self.names) == self.only


def save_only_these_names(*names: str):
    """Store only values tagged with ``checkpoint_name`` by one of ``names``."""
    return _Names(frozenset(names), True)


def save_any_names_but_these(*names: str):
    """Store the values tagged with ``checkpoint_name`` by any name except ``names``."""
    return _Names(frozenset(names), False)


def save_anything_except_these_names(*names: str):
    """Store every value except those tagged with one of ``names`` (a tagged value is
    recomputed from the value it tags, which may itself be stored)."""
    return _Names(frozenset(names), False, named_only=False)


@dataclass(frozen=True)
class _Either:
    first: object
    second: object

    def __call__(self, prim, *avals, **params) -> bool:
        return bool(self.first(prim, *avals, **params) or self.second(prim, *avals, **params))


def save_from_both_policies(policy_1, policy_2):
    """Store what either policy stores."""
    return _Either(policy_1, policy_2)


def _no_offloading(name: str):
    def policy(*args, **kwargs):
        raise FuncadNotImplementedError(
            f"checkpoint_policies.{name} (offloading stored values to host memory)")
    policy.__name__ = name
    return policy


offload_dot_with_no_batch_dims = _no_offloading("offload_dot_with_no_batch_dims")
save_and_offload_only_these_names = _no_offloading("save_and_offload_only_these_names")

__all__ = [
    "checkpoint_dots",
    "checkpoint_dots_with_no_batch_dims",
    "dots_saveable",
    "dots_with_no_batch_dims_saveable",
    "everything_saveable",
    "nothing_saveable",
    "offload_dot_with_no_batch_dims",
    "save_and_offload_only_these_names",
    "save_any_names_but_these",
    "save_anything_except_these_names",
    "save_from_both_policies",
    "save_only_these_names",
]
