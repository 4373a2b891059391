"""``jit``: stage a function once per input signature, optimize its IR, run it compiled.

The cache key is (pytree structure, shapes, dtypes, weak types, static-argument values);
the backend is fixed per jitted function. Called on plain values, a jitted function runs
its compiled executable directly; under a transform (grad, vmap, an outer jit, ...) it binds
the ``jit`` call primitive, whose rules keep the work compiled.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcad.api import normalize_argnums, static_key
from funcad.api_util import (
    STATIC_ARG_HINT,
    arg_paths,
    fun_name,
    leaf_aval,
    leaf_avals,
    positional_param_names,
)
from funcad.backends import compile_ir, resolve_backend, takes_device_arrays
from funcad.control.axis_scope import free_axis_names
from funcad.control.call import hoist_traced_consts, jit_call
from funcad.core.avals import as_numpy
from funcad.core.dtypes import PYTHON_SCALARS
from funcad.core.trace import EvalTrace, Tracer, find_top_trace, get_aval
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.interpreters.batching import axis_env_key
from funcad.interpreters.staging import trace_to_jaxpr
from funcad.ir.core import ClosedJaxpr
from funcad.ir.passes import optimize
from funcad.jit_dispatch import plain_signature, unflattener
from funcad.shardings import check_sharding_options, placement
from funcad.tree_util import PyTreeDef, tree_flatten, tree_unflatten

# Python scalars become NumPy scalars of the dtype their (weak) aval has.
_TO_NUMPY = {bool: np.bool_, int: np.int_, float: np.float64, complex: np.complex128}
_LEAF_TYPES = frozenset((np.ndarray, *PYTHON_SCALARS))


class _Entry:
    """One traced signature: the optimized IR, the output structure, the executable."""

    __slots__ = ("closed", "in_tree", "out_tree", "exe", "unflatten", "dyn_idx", "donate",
                 "collective_axes")

    def __init__(self, closed: ClosedJaxpr, in_tree: PyTreeDef, out_tree: PyTreeDef,
                 dyn_idx: tuple[int, ...] | None = None, donate: tuple[int, ...] = ()):
        self.closed = closed
        self.in_tree = in_tree
        self.out_tree = out_tree
        self.exe = None
        self.unflatten = unflattener(out_tree)
        self.dyn_idx = dyn_idx  # positions of the traced positional arguments (None: all)
        self.donate = donate  # flat indices of the donated leaves
        # Named vmap axes its collectives reduce over: called inside those vmaps, the call
        # is batched by them even on plain values (it never runs directly).
        self.collective_axes = free_axis_names(closed, cached=False)


class JitFunction:
    """A function compiled by ``jit``; call it like the original.

    ``trace_count`` counts how many times the Python function was traced (once per new
    signature); ``jaxpr(*args)`` returns the optimized IR that runs for ``args``.
    """

    def __init__(self, fun: Callable, static_argnums, backend: str, device: Any = None,
                 in_shardings: Any = None, out_shardings: Any = None,
                 static_argnames: tuple[str, ...] = (), donate_argnums: tuple[int, ...] = ()):
        functools.update_wrapper(self, fun)
        self._fun = fun
        self._static_argnums = static_argnums
        self._static_argnames = frozenset(static_argnames)
        # Donated arguments: the XLA backend reuses their buffers (a donated jax.Array is
        # deleted by the call, as under jax.jit); the NumPy backend ignores the hint.
        self._donate_argnums = frozenset(donate_argnums)
        self._has_statics = (isinstance(static_argnums, int) or bool(tuple(static_argnums))
                             or bool(static_argnames))
        self.backend = backend
        self.device = device
        self.trace_count = 0
        self._name = f"jit({fun_name(fun)})"
        self._cache: dict = {}
        self._plain: dict = {}  # entries by plain_signature key, for calls on plain values
        self._statics_for: dict[int, tuple[int, ...]] = {}
        self._param_names = positional_param_names(fun)
        # ... and a static_argnums parameter passed by name.
        nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
        self._static_argnames |= {self._param_names[i] for i in nums
                                  if isinstance(i, int) and 0 <= i < len(self._param_names)}
        # Whether the backend's executables take jax.Arrays as they are (XLA: no host copy)
        # and return them; the NumPy backend reads them with np.asarray.
        self._device_arrays = takes_device_arrays(backend)
        self._shardings = (in_shardings, out_shardings) if check_sharding_options(
            backend, device, in_shardings, out_shardings) else None
        self._donate_names = frozenset(self._param_names[i] for i in self._donate_argnums
                                       if i < len(self._param_names))
        both = sorted(self._donate_names & self._static_argnames) + sorted(
            i for i in self._donate_argnums & set(nums) if i >= len(self._param_names))
        if both:
            raise FuncadValueError(
                f"{self._name}: static and donated arguments cannot overlap, but "
                f"{', '.join(map(repr, both))} is in both (donate_argnums="
                f"{tuple(sorted(self._donate_argnums))}): a static argument is a Python value "
                "of the cache key, with no buffer to donate")

    def __repr__(self):
        return f"<{self._name} backend={self.backend!r}>"

    def __get__(self, obj, objtype=None):
        # Jitting a method: bind like a function would.
        return self if obj is None else functools.partial(self, obj)

    def _statics(self, nargs: int) -> tuple[int, ...]:
        statics = self._statics_for.get(nargs)
        if statics is None:
            given = self._static_argnums
            given = (given,) if isinstance(given, int) else tuple(given)
            # A static parameter beyond the positional arguments was passed by name.
            kept = [i for i in given
                    if not (isinstance(i, int) and nargs <= i < len(self._param_names))]
            nums = set(normalize_argnums(
                self._static_argnums if len(kept) == len(given) else kept, nargs, "jit"))
            # A static_argnames parameter passed positionally is static too (as in JAX).
            nums.update(i for i, n in enumerate(self._param_names[:nargs])
                        if n in self._static_argnames)
            statics = self._statics_for[nargs] = tuple(sorted(nums))
        return statics

    def _signature(self, args, kwargs):
        """``(cache key, leaves, input structure, dynamic argument indices)`` of one call
        (indices ``None`` when every argument is dynamic)."""
        statics = self._statics(len(args)) if self._has_statics else ()
        static_vals: tuple = ()
        static_kw: tuple = ()
        if self._static_argnames and kwargs:
            kwargs, static_kw = self._split_static_kwargs(kwargs)
        if statics:
            static_vals = tuple(static_key(args[i], self._name, i) for i in statics)
            dyn_idx = tuple(i for i in range(len(args)) if i not in statics)
            dyn = tuple(args[i] for i in dyn_idx)
        else:
            dyn_idx, dyn = None, args
        if not kwargs and all(type(a) in _LEAF_TYPES for a in dyn):
            leaves, in_tree = list(dyn), _flat_tree(len(dyn))
        else:
            leaves, in_tree = tree_flatten((dyn, kwargs))
        try:
            avals = tuple(get_aval(x) for x in leaves)
        except TypeError:
            raise self._bad_argument(leaves, in_tree, dyn_idx) from None
        # Named vmap axes in scope change what collectives stage (their sizes): keyed too.
        return (in_tree, avals, static_vals, static_kw, axis_env_key()), leaves, in_tree, dyn_idx

    def _split_static_kwargs(self, kwargs: dict) -> tuple[dict, tuple]:
        """The traced keyword arguments and the ``(name, value)`` pairs of the static ones
        (sorted by name; each value hashable, as it is part of the cache key)."""
        dynamic, static = {}, []
        for name, value in kwargs.items():
            if name not in self._static_argnames:
                dynamic[name] = value
                continue
            try:
                hash(value)
            except TypeError:
                raise FuncadValueError(with_user_line(
                    f"{self._name}: static argument {name!r} (static_argnames) must be "
                    f"hashable (it is part of the cache key), got a value of type "
                    f"{type(value).__name__}; pass a tuple instead of a list, or make it an "
                    "ordinary (traced) argument")) from None
            static.append((name, value))
        return dynamic, tuple(sorted(static, key=lambda nv: nv[0]))

    def __call__(self, *args, **kwargs):
        if not kwargs and not self._has_statics:
            plain = plain_signature(args, self._device_arrays, _TO_NUMPY)
            if plain is not None:
                entry = self._plain.get(plain[0])
                if entry is not None and entry.exe is not None and type(
                        find_top_trace(())) is EvalTrace:
                    try:
                        return entry.unflatten(entry.exe(*[
                            _TO_NUMPY[type(x)](x) if type(x) in _TO_NUMPY else x
                            for x in plain[1]]))
                    except (ValueError, RuntimeError):
                        self._raise_if_deleted(entry, plain[1])
                        raise
        return self._call(args, kwargs)

    def _run(self, entry: _Entry, leaves) -> list:
        """Run the compiled executable on plain values (outputs are NumPy arrays, or
        ``jax.Array``s for a device backend)."""
        exe = self._executable(entry, leaves)
        try:
            if self._device_arrays:
                return exe(*[_TO_NUMPY[type(x)](x) if type(x) in _TO_NUMPY else x
                             for x in leaves])
            return exe(*[_TO_NUMPY[type(x)](x) if type(x) in _TO_NUMPY else as_numpy(x)
                         for x in leaves])
        except (ValueError, RuntimeError):
            self._raise_if_deleted(entry, leaves)
            raise

    def _raise_if_deleted(self, entry: _Entry, leaves) -> None:
        """After a failed call: a clear error if an argument is a ``jax.Array`` deleted by an
        earlier donation (else the caller re-raises the original error)."""
        dead = [i for i, x in enumerate(leaves)
                if callable(getattr(x, "is_deleted", None)) and x.is_deleted()]
        if not dead:
            return
        names = arg_paths(*entry.in_tree.children, entry.dyn_idx, self._param_names)
        x = leaves[dead[0]]
        raise FuncadValueError(with_user_line(
            f"{self._name}: argument {names[dead[0]]} ({x.dtype}{list(x.shape)}) is a "
            "jax.Array whose buffer was deleted, e.g. donated to an earlier call "
            "(donate_argnums): a donated array must not be used again; pass a fresh one")
        ) from None

    def _donated_leaves(self, in_tree: PyTreeDef, dyn_idx) -> tuple[int, ...]:
        """Flat indices of the leaves of the donated arguments (``donate_argnums`` counts
        positional parameters; one passed by name is donated too, as in JAX)."""
        if not self._donate_argnums:
            return ()
        pos_tree, kw_tree = in_tree.children
        positions = dyn_idx if dyn_idx is not None else range(len(pos_tree.children))
        roots = [(sub, i in self._donate_argnums)
                 for i, sub in zip(positions, pos_tree.children)]
        roots += [(sub, name in self._donate_names)
                  for name, sub in zip(kw_tree.aux or (), kw_tree.children)]
        out, start = [], 0
        for sub, donated in roots:
            if donated:
                out.extend(range(start, start + sub.num_leaves))
            start += sub.num_leaves
        return tuple(out)

    def _executable(self, entry: _Entry, leaves):
        exe = entry.exe
        if exe is None:
            device = self.device
            if self._shardings is not None:  # compiled for these shardings (XLA partitions)
                device = placement(*self._shardings, entry.in_tree, leaves, entry.out_tree,
                                   self._name)
            exe = entry.exe = compile_ir(entry.closed, self.backend, device, entry.donate)
        return exe

    def _call(self, args, kwargs):
        key, leaves, in_tree, dyn_idx = self._signature(args, kwargs)
        entry = self._cache.get(key)
        traced: list = []
        if entry is None:
            entry, traced = self._trace(key, leaves, in_tree, dyn_idx, args)
        if not traced and not entry.collective_axes and type(
                find_top_trace(leaves)) is EvalTrace:
            if not kwargs and not self._has_statics:
                plain = plain_signature(args, self._device_arrays, _TO_NUMPY)
                if plain is not None:
                    self._plain[plain[0]] = entry  # the next such call skips the signature
            return entry.unflatten(self._run(entry, leaves))
        outs = jit_call([*traced, *leaves], jaxpr=entry.closed, name=fun_name(self._fun),
                        backend=self.backend, device=self.device)
        return entry.unflatten([o if isinstance(o, Tracer) else np.asarray(o) for o in outs])

    def _trace(self, key, leaves, in_tree, dyn_idx, args) -> tuple[_Entry, list]:
        """Stage the function for this signature; cache it unless it closed over traced
        values of an enclosing transform (those become leading arguments instead)."""
        self.trace_count += 1
        fun, store = self._fun, []

        static_kw = dict(key[3])

        def flat_fun(*flat):
            dyn, kw = tree_unflatten(in_tree, flat)
            kw = {**kw, **static_kw} if static_kw else kw
            full = list(args)
            for i, v in zip(dyn_idx if dyn_idx is not None else range(len(dyn)), dyn):
                full[i] = v
            out_leaves, out_tree = tree_flatten(fun(*full, **kw))
            for i, leaf in enumerate(out_leaves):
                if not isinstance(leaf, Tracer):
                    leaf_aval(leaf, self._name, f"output leaf {i}",
                              "; a jitted function must return arrays (in a pytree)")
            store.append(out_tree)
            return out_leaves

        names = arg_paths(*in_tree.children, dyn_idx, self._param_names)
        closed = trace_to_jaxpr(flat_fun, list(key[1]), name=self._name, arg_names=names)
        closed, traced = hoist_traced_consts(closed)
        entry = _Entry(optimize(closed), in_tree, store[0], dyn_idx,
                       self._donated_leaves(in_tree, dyn_idx))
        if not traced:
            self._cache[key] = entry
        return entry, traced

    def jaxpr(self, *args, **kwargs) -> ClosedJaxpr:
        """The optimized IR that a call with ``args`` runs (traced if not cached yet)."""
        key, leaves, in_tree, dyn_idx = self._signature(args, kwargs)
        entry = self._cache.get(key)
        if entry is None:
            entry = self._trace(key, leaves, in_tree, dyn_idx, args)[0]
        return entry.closed

    def compiled(self, *args, **kwargs) -> tuple[Any, list]:
        """The backend's executable for a call with ``args`` (compiled if not yet) and the
        flat arguments it takes (for inspection, e.g. ``funcad_xla.lower``)."""
        key, leaves, in_tree, dyn_idx = self._signature(args, kwargs)
        entry = self._cache.get(key)
        if entry is None:
            entry = self._trace(key, leaves, in_tree, dyn_idx, args)[0]
        return self._executable(entry, leaves), leaves

    def _bad_argument(self, leaves, in_tree, dyn_idx) -> FuncadTypeError:
        names = arg_paths(*in_tree.children, dyn_idx, self._param_names)
        try:
            leaf_avals(leaves, self._name, [f"argument {n}" for n in names], STATIC_ARG_HINT)
        except FuncadTypeError as e:
            return e
        return FuncadTypeError(f"{self._name}: invalid arguments")


@functools.lru_cache(maxsize=64)
def _flat_tree(n: int) -> PyTreeDef:
    """The structure of ``((leaf,) * n, {})``: the common case, built once."""
    return tree_flatten(((0,) * n, {}))[1]


def jit(fun: Callable | None = None, static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = (), donate_argnums: int | Sequence[int] = (),
        backend: str | None = None, in_shardings: Any = None, out_shardings: Any = None,
        *, device: Any = None):
    """Compile ``fun``: trace it once per input signature, optimize the IR, run it on a
    backend. Without ``fun`` (``@jit(static_argnames=...)``), a decorator.

    Args:
      fun: a function of arrays (pytrees of arrays) returning arrays.
      static_argnums: positional arguments that are Python values, not arrays: they must be
        hashable, are part of the cache key, and may drive Python control flow.
      static_argnames: the same for arguments by name (whether passed by name or by
        position).
      donate_argnums: positional arguments whose buffers the computation may reuse, as in
        JAX: with the xla backend a donated ``jax.Array`` is deleted by the call (using it
        again raises); a NumPy argument is copied to the device, never written to; the numpy
        backend ignores the hint. Results never depend on it.
      backend: ``"numpy"`` (funcad's executor), ``"xla"`` (funcad_xla), or ``None``: xla
        when funcad_xla and jax are installed, else numpy.
      in_shardings: for the xla backend, ``jax.sharding.Sharding`` objects for the
        positional arguments: one for all, or a tuple with one pytree prefix per argument
        (``None``: let XLA choose). XLA's SPMD partitioner splits the program accordingly.
      out_shardings: the same for the results (a pytree prefix of the output).
      device: for the xla backend, ``"cpu"``, ``"gpu"`` or ``None`` (jax's default).
    """
    names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
    for n in names:
        if not isinstance(n, str):
            raise FuncadTypeError(f"jit: static_argnames must be strings, got {n!r}")
    donate = (donate_argnums,) if isinstance(donate_argnums, int) else tuple(donate_argnums)
    for d in donate:
        if not isinstance(d, int) or isinstance(d, bool) or d < 0:
            raise FuncadTypeError(
                f"jit: donate_argnums must be non-negative ints, got {donate_argnums!r}")
    if fun is None:
        return functools.partial(
            jit, static_argnums=static_argnums, static_argnames=names, donate_argnums=donate,
            backend=backend, in_shardings=in_shardings, out_shardings=out_shardings,
            device=device)
    if not callable(fun):
        raise FuncadTypeError(f"jit: expected a function, got {type(fun).__name__}")
    return JitFunction(fun, static_argnums, resolve_backend(backend), device, in_shardings,
                       out_shardings, names, donate)


__all__ = ["JitFunction", "jit"]
