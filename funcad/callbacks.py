"""``funcad.pure_callback``: call host code from inside any transform, as
``jax.pure_callback``."""
from __future__ import annotations

from collections.abc import Callable

from funcad.api_util import arg_paths, fun_name, leaf_avals
from funcad.core.avals import ShapedArray
from funcad.errors import FuncadNotImplementedError, FuncadTypeError, with_user_line
from funcad.ops.callbacks import pure_callback_flat
from funcad.tree_util import tree_flatten, tree_leaves, tree_unflatten


class FlatCallback:
    """The user's host function on flat leaves: rebuilds its arguments' pytree, calls it,
    and flattens what it returns (whose leaves the primitive checks)."""

    __slots__ = ("fun", "in_tree", "name")

    def __init__(self, fun: Callable, in_tree, name: str):
        self.fun, self.in_tree, self.name = fun, in_tree, name

    def __call__(self, *leaves) -> list:
        args, kwargs = tree_unflatten(self.in_tree, leaves)
        return tree_leaves(self.fun(*args, **kwargs))


def _result_aval(spec, i: int, name: str) -> ShapedArray:
    if not (hasattr(spec, "shape") and hasattr(spec, "dtype")):
        raise FuncadTypeError(with_user_line(
            f"pure_callback({name}): leaf {i} of result_shape_dtypes is a "
            f"{type(spec).__name__}; each leaf must have a shape and a dtype (a "
            "funcad.ShapeDtypeStruct, an array, or what funcad.eval_shape returns)"))
    return ShapedArray(tuple(spec.shape), spec.dtype)


def pure_callback(callback: Callable, result_shape_dtypes, *args, sharding=None,
                  vmap_method: str | None = None, **kwargs):
    """Call ``callback(*args, **kwargs)`` on the host with NumPy arrays and return its
    results, whose shapes and dtypes ``result_shape_dtypes`` (a pytree of
    ``ShapeDtypeStruct`` or arrays) declares. Works eagerly and under every transform:
    ``jit`` on both backends (XLA through ``jax.pure_callback``), ``vmap`` as
    ``vmap_method`` says (``"sequential"``/``"sequential_unrolled"``: once per example;
    ``"expand_dims"``: unbatched operands get a leading axis of size 1;
    ``"broadcast_all"``: every operand is broadcast to the batch; ``None``: vmap is an
    error). The callback must be pure (it may be dropped when its results are unused). It
    has no derivative: wrap its caller in ``custom_jvp``/``custom_vjp``."""
    name = fun_name(callback)
    if sharding is not None:
        raise FuncadNotImplementedError(f"pure_callback({name}) with a sharding")
    leaves, in_tree = tree_flatten((args, kwargs))
    leaf_avals(leaves, f"pure_callback({name})",
               [f"argument {p}" for p in arg_paths(*in_tree.children)])
    specs, out_tree = tree_flatten(result_shape_dtypes)
    result_avals = [_result_aval(s, i, name) for i, s in enumerate(specs)]
    outs = pure_callback_flat(FlatCallback(callback, in_tree, name), result_avals, *leaves,
                              vmap_method=vmap_method)
    return tree_unflatten(out_tree, outs)


__all__ = ["FlatCallback", "pure_callback"]
