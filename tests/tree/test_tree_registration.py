"""Registering classes (``register_pytree_node_class``, ``register_dataclass`` in both forms,
``register_static``, ``register_pytree_with_keys(_class)``), ``Partial`` as a pytree, and the
errors of misuse: each a funcad error that names the call, the class or both structures."""
from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest
from tree_twins import define

import funcad
import funcad.tree as ftree
from funcad import tree_util as ftu
from funcad.errors import FuncadError

jax = pytest.importorskip("jax")
jtu = jax.tree_util
OURS, THEIRS = define(ftu, ftree), define(jtu, jax.tree)


def test_dataclass_forms_like_jax():
    p, jp = OURS.Params(w=1.0, b=(2.0, 3.0), act="relu"), THEIRS.Params(w=1.0, b=(2.0, 3.0),
                                                                        act="relu")
    assert ftu.tree_leaves(p) == jtu.tree_leaves(jp) == [1.0, 2.0, 3.0]
    assert repr(ftu.tree_structure(p)) == repr(jtu.tree_structure(jp))
    back = ftu.tree_map(lambda x: 10 * x, p)
    assert (back.w, back.b, back.act) == (10.0, (20.0, 30.0), "relu")
    e, je = OURS.Explicit(x=1, n=2, y=3), THEIRS.Explicit(x=1, n=2, y=3)
    assert ftu.tree_leaves(e) == jtu.tree_leaves(je) == [3, 1]
    assert ftu.tree_map(lambda v: -v, e) == OURS.Explicit(x=-1, n=2, y=-3)  # dropped: default


def test_dataclass_registration_errors_like_jax():
    @dataclasses.dataclass
    class Three:
        a: int
        b: int
        c: int

    for kwargs in [dict(data_fields=["a"], meta_fields=["b"]),
                   dict(data_fields=["a", "b", "c", "d"], meta_fields=[]),
                   dict(data_fields=["a", "b"], meta_fields=["b", "c"])]:
        with pytest.raises(ValueError, match="register_dataclass") as info:
            ftu.register_dataclass(Three, **kwargs)
        assert isinstance(info.value, FuncadError)
        with pytest.raises(ValueError):
            jtu.register_dataclass(Three, **kwargs)
    with pytest.raises(TypeError, match="both be given"):
        ftu.register_dataclass(Three, data_fields=["a", "b", "c"])

    class Plain:
        pass

    with pytest.raises(TypeError, match="not a dataclass; got Plain"):
        ftu.register_dataclass(Plain)
    with pytest.raises(TypeError):
        jtu.register_dataclass(Plain)
    # a non-dataclass with explicit fields: rebuilt by keyword, as in JAX
    class Kw:
        def __init__(self, u, v):
            self.u, self.v = u, v

    ftu.register_dataclass(Kw, data_fields=["u"], meta_fields=["v"])
    out = ftu.tree_map(lambda x: x + 1, Kw(1, "s"))
    assert (out.u, out.v) == (2, "s")


def test_registering_misuse_is_a_funcad_error():
    with pytest.raises(TypeError, match=r"register_pytree_node: nodetype must be a class, got int"):
        ftu.register_pytree_node(3, lambda x: ((), None), lambda a, c: None)
    with pytest.raises(ValueError, match="already registered"):
        ftu.register_pytree_node(OURS.Box, lambda x: ((), None), lambda a, c: None)
    with pytest.raises(ValueError, match="already registered"):
        ftu.register_pytree_node(dict, lambda x: ((), None), lambda a, c: None)

    class C:
        pass

    with pytest.raises(TypeError, match="flatten_func must be callable"):
        ftu.register_pytree_node(C, "nope", lambda a, c: None)
    with pytest.raises(TypeError, match="C must define tree_flatten and tree_unflatten"):
        ftu.register_pytree_node_class(C)
    with pytest.raises(TypeError, match="expects a class, got function"):
        ftu.register_pytree_node_class(lambda: None)
    with pytest.raises(TypeError, match="expects a class"):
        ftu.register_dataclass(OURS.Params(1.0, 2.0))

    class Unhashable:
        __hash__ = None

    with pytest.raises(TypeError, match="register_static: Unhashable is not hashable"):
        ftu.register_static(Unhashable)
    with pytest.raises(FuncadError):
        ftu.register_pytree_node(3, lambda x: ((), None), lambda a, c: None)


def test_mismatched_structures_name_both():
    with pytest.raises(ValueError) as info:
        ftree.map(lambda a, b: a, {"a": 1, "b": [2, 3]}, {"a": 1, "b": [2, 3, 4]})
    msg = str(info.value)
    assert isinstance(info.value, FuncadError)
    assert "tree_map: pytree structures differ at ['b']" in msg
    assert "PyTreeDef({'a': *, 'b': [*, *]})" in msg and "PyTreeDef({'a': *, 'b': [*, *, *]})" in msg
    with pytest.raises(TypeError) as info:
        ftree.transpose(ftree.structure([0, 0]), ftree.structure((0, 0)), [(1, 2, 3), (4, 5, 6)])
    assert "PyTreeDef([(*, *, *), (*, *, *)])" in str(info.value)
    assert "PyTreeDef([(*, *), (*, *)])" in str(info.value)
    with pytest.raises(ValueError, match="sortable"):
        ftu.tree_leaves({1: "a", "b": 2})
    with pytest.raises(ValueError, match="has 3 leaves, but 2 were given"):
        ftree.unflatten(ftree.structure([1, (2, 3)]), [1, 2])
    with pytest.raises(TypeError, match="no initializer"):
        ftree.reduce(lambda a, b: a, [None])
    with pytest.raises(TypeError, match="identity="):
        ftree.reduce_associative(lambda a, b: a, [])


def test_unhashable_aux_flattens_but_jit_says_why():
    class ListAux:
        def __init__(self, v, meta):
            self.v, self.meta = v, meta

    ftu.register_pytree_node(ListAux, lambda x: ((x.v,), x.meta), lambda m, c: ListAux(c[0], m))
    td = ftu.tree_structure(ListAux(1.0, [1, 2]))
    assert ftu.tree_map(lambda x: x * 2, ListAux(1.0, [1, 2])).v == 2.0  # as in JAX
    with pytest.raises(TypeError, match=r"aux data of a ListAux node \(list \[1, 2\]\)"):
        hash(td)
    with pytest.raises(TypeError, match="must be hashable"):
        funcad.jit(lambda s: s.v * 2)(ListAux(np.ones(2), [1, 2]))


def test_pytree_node_class_and_keys_class():
    @ftu.register_pytree_with_keys_class
    class Named:
        def __init__(self, a, b):
            self.a, self.b = a, b

        def tree_flatten_with_keys(self):
            return ((ftu.GetAttrKey("a"), self.a), (ftu.GetAttrKey("b"), self.b)), None

        @classmethod
        def tree_unflatten(cls, aux, children):
            return cls(*children)

    pairs = ftu.tree_leaves_with_path({"n": Named(1, [2])})
    assert [ftu.keystr(p) for p, _ in pairs] == ["['n'].a", "['n'].b[0]"]
    assert ftu.tree_leaves(Named(1, 2)) == [1, 2]
    pair = OURS.Pair(1, {"u": 2}, tag="t")
    assert ftu.tree_map(lambda x: x + 1, pair).tag == "t"
    assert [ftu.keystr(p) for p, _ in ftu.tree_leaves_with_path(pair)] == [
        jtu.keystr(p) for p, _ in jtu.tree_leaves_with_path(THEIRS.Pair(1, {"u": 2}, tag="t"))]


def test_static_is_a_leafless_node():
    cfg, jcfg = OURS.Config("a", 1), THEIRS.Config("a", 1)
    assert ftu.tree_leaves([cfg, 1]) == [1]
    assert repr(ftu.tree_structure([cfg])) == repr(jtu.tree_structure([jcfg]))
    assert ftu.tree_map(lambda x: x, [cfg])[0] is cfg
    assert ftu.tree_structure(cfg) != ftu.tree_structure(OURS.Config("a", 2))


def f3(a, b, c=1.0):
    return a * b + c


def test_partial_like_jax():
    p, jp = ftu.Partial(f3, 2.0, c=3.0), jtu.Partial(f3, 2.0, c=3.0)
    assert p(5.0) == jp(5.0) == 13.0
    assert ftu.tree_leaves(p) == jtu.tree_leaves(jp) == [2.0, 3.0]
    assert repr(ftu.tree_structure(p)) == repr(jtu.tree_structure(jp))
    assert [ftu.keystr(k) for k, _ in ftu.tree_leaves_with_path(p)] == [
        jtu.keystr(k) for k, _ in jtu.tree_leaves_with_path(jp)]
    q = ftu.tree_map(lambda x: x * 10, p)
    assert isinstance(q, ftu.Partial) and q.args == (20.0,) and q.keywords == {"c": 30.0}
    # a partial inside a Partial stays whole: its arguments are static, not leaves (as JAX)
    for inner, jinner in [(ftu.Partial(f3, 1.0), jtu.Partial(f3, 1.0)),
                          (functools.partial(f3, 1.0), functools.partial(f3, 1.0))]:
        outer, jouter = ftu.Partial(inner, 4.0), jtu.Partial(jinner, 4.0)
        assert outer(2.0) == jouter(2.0) == 6.0  # f3(1, 4, c=2)
        assert ftu.tree_leaves(outer) == jtu.tree_leaves(jouter) == [4.0]
        assert ftu.tree_map(lambda x: x + 1, outer)(2.0) == 7.0
    assert ftu.tree_structure(ftu.Partial(f3)) == ftu.tree_structure(ftu.Partial(f3))
    assert ftu.tree_structure(ftu.Partial(f3)) != ftu.tree_structure(ftu.Partial(max))
    with pytest.raises(TypeError, match="Partial: the first argument must be callable"):
        ftu.Partial(3.0)
