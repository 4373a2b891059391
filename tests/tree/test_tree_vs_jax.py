"""``funcad.tree_util`` and ``funcad.tree`` against ``jax.tree_util`` and ``jax.tree`` on the
same trees: leaf order (the very same leaf objects), structures (printed the same, equal
exactly when JAX's are), key paths and ``keystr`` strings, and the whole-tree operations."""
from __future__ import annotations

import operator

import numpy as np
import pytest
from tree_twins import Point, define, trees

import funcad.tree as ftree
from funcad import tree_util as ftu

jax = pytest.importorskip("jax")
jtu, jtree = jax.tree_util, jax.tree

OURS, THEIRS = define(ftu, ftree), define(jtu, jtree)
PAIRS = list(zip(trees(OURS), trees(THEIRS), strict=True))
IDS = [str(i) for i in range(len(PAIRS))]


def _same_leaves(a: list, b: list) -> None:
    """The same leaves in the same order (the twin trees share their array leaves)."""
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert type(x) is type(y)
        assert x is y if isinstance(x, np.ndarray) else x == y


def test_flatten_like_jax():
    for k, (tree, jtree_) in enumerate(PAIRS):
        leaves, td = ftu.tree_flatten(tree)
        jleaves, jtd = jtu.tree_flatten(jtree_)
        _same_leaves(leaves, jleaves)
        assert repr(td) == repr(jtd), k
        assert (td.num_leaves, td.num_nodes) == (jtd.num_leaves, jtd.num_nodes), k
        rebuilt = ftu.tree_unflatten(td, leaves)
        again, td2 = ftu.tree_flatten(rebuilt)
        assert all(x is y for x, y in zip(again, leaves, strict=True))  # not copied
        assert td2 == td and hash(td2) == hash(td) and type(rebuilt) is type(tree)
        assert [repr(c) for c in td.children()] == [repr(c) for c in jtd.children()]
        assert [repr(c) for c in ftu.treedef_children(td)] == [
            repr(c) for c in jtu.treedef_children(jtd)]
        assert ftu.treedef_is_leaf(td) == jtu.treedef_is_leaf(jtd), k
        assert ftree.leaves(tree) == ftu.tree_leaves(tree)
        assert ftree.structure(tree) == td


def test_structure_equality_like_jax():
    ours = trees(OURS) + [OURS.Box([5, {"k": 6}], "tag"), OURS.Box([1, {"k": 2}], "other"),
                          OURS.Params(w=1.0, b=(2.0, 3.0), act="relu"), OURS.Config("c", 3)]
    theirs = trees(THEIRS) + [
        THEIRS.Box([5, {"k": 6}], "tag"), THEIRS.Box([1, {"k": 2}], "other"),
        THEIRS.Params(w=1.0, b=(2.0, 3.0), act="relu"), THEIRS.Config("c", 3)]
    tds = [ftu.tree_structure(t) for t in ours]
    jtds = [jtu.tree_structure(t) for t in theirs]
    for i, (a, ja) in enumerate(zip(tds, jtds, strict=True)):
        for j, (b, jb) in enumerate(zip(tds, jtds, strict=True)):
            assert (a == b) == (ja == jb), (i, j, a, b)
            if a == b:
                assert hash(a) == hash(b)


def test_dict_keys_sorted_ordered_dict_kept_defaultdict_factory_in_structure():
    from collections import OrderedDict, defaultdict

    for tree in [{"b": 1, "a": 2, "c": 3}, {3: "c", 1: "a", 2: "b"},
                 OrderedDict([("b", 1), ("a", 2)]), defaultdict(int, {"b": 1, "a": 2})]:
        assert ftu.tree_leaves(tree) == jtu.tree_leaves(tree)
        assert list(ftu.tree_map(lambda x: x, tree)) == list(jtu.tree_map(lambda x: x, tree))
    a, b = defaultdict(int, {"a": 1}), defaultdict(list, {"a": 1})
    assert (ftu.tree_structure(a) == ftu.tree_structure(b)) == (
        jtu.tree_structure(a) == jtu.tree_structure(b)) is False
    assert ftu.tree_map(lambda x: x, a).default_factory is int
    assert (ftu.tree_structure(OrderedDict(a=1)) == ftu.tree_structure({"a": 1})) is False


def test_key_paths_and_keystr_like_jax():
    for k, (tree, jtree_) in enumerate(PAIRS):
        pairs, td = ftu.tree_flatten_with_path(tree)
        jpairs, jtd = jtu.tree_flatten_with_path(jtree_)
        assert td == ftu.tree_structure(tree) and repr(td) == repr(jtd)
        _same_leaves([x for _, x in pairs], [x for _, x in jpairs])
        assert [repr(p) for p, _ in pairs] == [repr(p) for p, _ in jpairs], k
        for (p, _), (jp, _) in zip(pairs, jpairs, strict=True):
            assert ftu.keystr(p) == jtu.keystr(jp)
            for sep in ("", "/", "."):
                assert ftu.keystr(p, simple=True, separator=sep) == jtu.keystr(
                    jp, simple=True, separator=sep)
        assert [repr(p) for p, _ in ftu.tree_leaves_with_path(tree)] == [
            repr(p) for p, _ in jtu.tree_leaves_with_path(jtree_)]
        assert [repr(p) for p, _ in ftree.leaves_with_path(tree)] == [
            repr(p) for p, _ in jtree.leaves_with_path(jtree_)]
        assert repr(ftree.flatten_with_path(tree)[1]) == repr(jtree.flatten_with_path(jtree_)[1])


def test_key_classes_like_jax():
    for ours, theirs in [(ftu.SequenceKey(2), jtu.SequenceKey(2)),
                         (ftu.DictKey("a"), jtu.DictKey("a")), (ftu.DictKey(3), jtu.DictKey(3)),
                         (ftu.GetAttrKey("w"), jtu.GetAttrKey("w")),
                         (ftu.FlattenedIndexKey(1), jtu.FlattenedIndexKey(1))]:
        assert (repr(ours), str(ours)) == (repr(theirs), str(theirs))
    assert ftu.SequenceKey(1) == ftu.SequenceKey(1) != ftu.FlattenedIndexKey(1)
    assert len({ftu.DictKey("a"), ftu.DictKey("a"), ftu.GetAttrKey("a")}) == 2
    assert (ftu.SequenceKey(4).idx, ftu.DictKey("k").key, ftu.GetAttrKey("n").name,
            ftu.FlattenedIndexKey(5).key) == (4, "k", "n", 5)
    match ftu.DictKey("q"):
        case ftu.DictKey(key=k):
            assert k == "q"
    assert ftu.keystr(()) == jtu.keystr(()) == ""


def test_is_leaf_everywhere_like_jax():
    tree = trees(OURS)[8], [1, (2, 3), {"a": (4,), "b": None}, Point(6, 7)]
    jtree_ = trees(THEIRS)[8], [1, (2, 3), {"a": (4,), "b": None}, Point(6, 7)]
    preds = [lambda x: isinstance(x, tuple), lambda x: x is None, lambda x: isinstance(x, list),
             lambda x: True]
    for pred in preds:
        _same_leaves(ftu.tree_leaves(tree, is_leaf=pred), jtu.tree_leaves(jtree_, is_leaf=pred))
        assert repr(ftu.tree_structure(tree, pred)) == repr(jtu.tree_structure(jtree_, pred))
        mark = lambda x: ("L", type(x).__name__)  # noqa: E731
        assert ftu.tree_map(mark, tree, is_leaf=pred) == jtu.tree_map(mark, jtree_, is_leaf=pred)
        ours = ftu.tree_leaves_with_path(tree, is_leaf=pred)
        theirs = jtu.tree_leaves_with_path(jtree_, is_leaf=pred)
        assert [ftu.keystr(p) for p, _ in ours] == [jtu.keystr(p) for p, _ in theirs]
        assert ftu.tree_all(tree, is_leaf=pred) == jtu.tree_all(jtree_, is_leaf=pred)
        assert ftree.reduce(lambda a, b: a + 1, tree, 0, pred) == jtree.reduce(
            lambda a, b: a + 1, jtree_, 0, pred)

    def by_path(path, x):
        return len(path) == 2

    ours = ftu.tree_leaves_with_path(tree, is_leaf=by_path, is_leaf_takes_path=True)
    theirs = jtu.tree_leaves_with_path(jtree_, is_leaf=by_path, is_leaf_takes_path=True)
    assert [ftu.keystr(p) for p, _ in ours] == [jtu.keystr(p) for p, _ in theirs]


def test_map_with_path_like_jax():
    for tree, jtree_ in PAIRS:
        def show(path, x, y):
            return (ftu.keystr(path), ftu.keystr(path, simple=True, separator="/"), x is y)

        def jshow(path, x, y):
            return (jtu.keystr(path), jtu.keystr(path, simple=True, separator="/"), x is y)

        ours = ftu.tree_leaves(ftree.map_with_path(show, tree, tree), is_leaf=_is_triple)
        theirs = jtu.tree_leaves(jtree.map_with_path(jshow, jtree_, jtree_), is_leaf=_is_triple)
        assert ours == theirs


def _is_triple(x):
    return isinstance(x, tuple) and len(x) == 3 and isinstance(x[0], str)


def test_reductions_like_jax():
    tree = [1, (2, 3), {"a": 4, "b": [5, 6, 7]}, None]
    assert ftree.reduce(operator.add, tree) == jtree.reduce(operator.add, tree) == 28
    assert ftree.reduce(operator.add, [], 10) == 10
    pair = lambda a, b: (a, b)  # noqa: E731 - shows the pairing order
    for n in range(1, 9):
        leaves = list(range(n))
        assert ftree.reduce_associative(pair, leaves) == jtree.reduce_associative(pair, leaves)
    assert ftree.reduce_associative(pair, [], identity=0) == 0
    for t in [[1, 0], [1, None], [], {"a": True, "b": (1, 2)}, [np.float64(0.0)]]:
        assert ftree.all(t) == jtree.all(t)
    for items in [[1, 2], [1, None], [1, (2,)], [], [np.ones(2), "s"]]:
        assert ftu.all_leaves(items) == jtu.all_leaves(items)
    assert ftu.all_leaves([1, None], is_leaf=lambda x: x is None) == jtu.all_leaves(
        [1, None], is_leaf=lambda x: x is None)


def test_transpose_and_broadcast_like_jax():
    cases = [([0, 0], (0, 0, 0), [(1, 2, 3), (4, 5, 6)]),
             ({"a": 0, "b": 0}, [0, 0], {"a": [1, 2], "b": [3, 4]}),
             ((0,), {"x": 0, "y": (0, 0)}, ({"x": 1, "y": (2, 3)},))]
    for outer, inner, tree in cases:
        ours = ftree.transpose(ftree.structure(outer), ftree.structure(inner), tree)
        theirs = jtree.transpose(jtree.structure(outer), jtree.structure(inner), tree)
        assert ours == theirs
        assert ftree.transpose(ftree.structure(outer), None, tree) == theirs
    for prefix, full in [([1, {"a": 2}], [(1, 2), {"a": [3, 4]}]), (7, {"a": (1, 2), "b": None}),
                         ({"a": 1, "b": 2}, {"a": [0, 0], "b": {"c": 0}})]:
        assert ftree.broadcast(prefix, full) == jtree.broadcast(prefix, full)


def test_one_level_and_node_queries_like_jax():
    for tree, jtree_ in PAIRS:
        if ftu.treedef_is_leaf(ftu.tree_structure(tree)) and ftu.tree_structure(tree).num_leaves:
            with pytest.raises(ValueError):
                ftu.flatten_one_level(tree)
            continue
        kids = ftu.flatten_one_level(tree)[0]
        jkids = jtu.flatten_one_level(jtree_)[0]
        assert [repr(ftu.tree_structure(c)) for c in kids] == [
            repr(jtu.tree_structure(c)) for c in jkids]
        _same_leaves(ftu.tree_leaves(list(kids)), jtu.tree_leaves(list(jkids)))
        keyed, _ = ftu.flatten_one_level_with_keys(tree)
        jkeyed, _ = jtu.flatten_one_level_with_keys(jtree_)
        if isinstance(tree, Point):  # jax 0.10.2 names every namedtuple field 'x' here
            jkeyed = [(jtu.GetAttrKey(f), None) for f in Point._fields]
        assert [repr(k) for k, _ in keyed] == [repr(k) for k, _ in jkeyed]
        assert ftu.is_tree_node(type(tree)) == jtu.is_tree_node(type(jtree_))
    assert ftu.is_tree_node(np.ndarray) is jtu.is_tree_node(np.ndarray) is False


def test_treedef_tuple_compose_and_methods():
    a, b = ftu.tree_structure({"x": 1}), ftu.tree_structure([1, None])
    ja, jb = jtu.tree_structure({"x": 1}), jtu.tree_structure([1, None])
    assert repr(ftu.treedef_tuple([a, b])) == repr(jtu.treedef_tuple([ja, jb]))
    assert repr(a.compose(b)) == repr(ja.compose(jb))
    assert b.flatten_up_to([(1, 2), None]) == jb.flatten_up_to([(1, 2), None])
    assert b.unflatten([5]) == [5, None]


def test_namespaces_cover_jax():
    missing_tree = {n for n in dir(jtree) if not n.startswith("_")} - set(ftree.__all__)
    assert not missing_tree
    # default_registry is JAX's C++ registry object; funcad has one registry, not exported.
    missing = {n for n in dir(jtu) if not n.startswith("_")} - set(dir(ftu)) - {
        "default_registry"}
    assert not missing
