"""``funcad.tree_util`` against ``jax.tree_util`` where the semantics are the same."""
from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

from funcad import tree_util as ftu

jtu = pytest.importorskip("jax.tree_util")

Point = namedtuple("Point", ["x", "y"])


class Box:
    """A user container: ``value`` holds children, ``label`` is static (aux data)."""

    def __init__(self, value, label):
        self.value, self.label = value, label

    def __eq__(self, other):
        return type(other) is Box and (self.value, self.label) == (other.value, other.label)

    __hash__ = None


class JaxBox(Box):
    """The same container, registered with jax instead (registries are global)."""

    def __eq__(self, other):
        return type(other) is JaxBox and (self.value, self.label) == (other.value, other.label)


ftu.register_pytree_node(Box, lambda b: ((b.value,), b.label), lambda lbl, cs: Box(cs[0], lbl))
jtu.register_pytree_node(
    JaxBox, lambda b: ((b.value,), b.label), lambda lbl, cs: JaxBox(cs[0], lbl)
)


ARR = np.arange(3.0)


def _trees(box):
    arr = ARR
    return [
        1.0,
        arr,
        (),
        (1, 2),
        [1, [2, (3, 4)]],
        {"b": 1, "a": (2, None), "c": {"z": 3, "y": [4]}},
        None,
        (None, 1, [None]),
        Point(1, [2, 3]),
        Point(Point(1, 2), None),
        {"empty_dict": {}, "empty_list": [], "empty_tuple": ()},
        box([1, {"k": 2}], "tag"),
        [box(box(1, "inner"), "outer"), arr],
    ]


CASES = list(zip(_trees(Box), _trees(JaxBox)))


@pytest.mark.parametrize(("tree", "jtree"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_flatten_unflatten_like_jax(tree, jtree):
    leaves, td = ftu.tree_flatten(tree)
    jleaves, jtd = jtu.tree_flatten(jtree)
    assert len(leaves) == len(jleaves) == td.num_leaves == jtd.num_leaves
    for a, b in zip(leaves, jleaves):
        assert a is b  # same leaves, same order, not copied
    assert td.num_nodes == jtd.num_nodes
    rebuilt = ftu.tree_unflatten(td, leaves)
    assert _same(rebuilt, tree)
    assert ftu.tree_leaves(tree) == leaves
    assert ftu.tree_structure(tree) == td
    assert hash(ftu.tree_structure(tree)) == hash(td)


def _same(a, b) -> bool:
    """Structural equality that compares array leaves by identity."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return a is b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return sorted(a) == sorted(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, Box):
        return a.label == b.label and _same(a.value, b.value)
    return a == b


def test_dict_children_in_sorted_key_order():
    tree = {"b": 1, "c": 2, "a": 3}
    assert ftu.tree_leaves(tree) == jtu.tree_leaves(tree) == [3, 1, 2]
    rebuilt = ftu.tree_unflatten(ftu.tree_structure(tree), [30, 10, 20])
    assert rebuilt == {"a": 30, "b": 10, "c": 20}
    assert list(rebuilt) == list(jtu.tree_unflatten(jtu.tree_structure(tree), [30, 10, 20]))


def test_structure_equality_like_jax():
    pairs = [
        ({"a": 1}, {"a": 2.0}, True),
        ({"a": 1}, {"b": 1}, False),
        ((1, 2), [1, 2], False),
        (Point(1, 2), (1, 2), False),
        (None, (), False),
        ([1, None], [2, None], True),
    ]
    for x, y, same in pairs:
        assert (ftu.tree_structure(x) == ftu.tree_structure(y)) is same, (x, y)
        assert (jtu.tree_structure(x) == jtu.tree_structure(y)) is same, (x, y)
    assert (ftu.tree_structure(Box(1, "p")) == ftu.tree_structure(Box(2, "p"))) is True
    assert (ftu.tree_structure(Box(1, "p")) == ftu.tree_structure(Box(1, "q"))) is False


def test_tree_map_with_several_trees_like_jax():
    x = {"w": [1.0, 2.0], "b": Point(3.0, None)}
    y = {"w": [10.0, 20.0], "b": Point(30.0, None)}
    z = {"w": [100.0, 200.0], "b": Point(300.0, None)}

    def f(a, b, c):
        return a + b + c

    assert ftu.tree_map(f, x, y, z) == jtu.tree_map(f, x, y, z)
    assert ftu.tree_map(f, x, y, z) == {"w": [111.0, 222.0], "b": Point(333.0, None)}


def test_tree_map_rest_may_extend_the_structure_like_jax():
    def f(a, b):
        return (a, b)

    assert ftu.tree_map(f, [1, 2], [(3, 4), None]) == jtu.tree_map(f, [1, 2], [(3, 4), None])


def test_tree_map_on_registered_class():
    out = ftu.tree_map(lambda v: v * 2, Box([1, {"k": 2}], "tag"))
    assert out == Box([2, {"k": 4}], "tag")


@pytest.mark.parametrize(
    ("first", "second", "where"),
    [
        ([1, 2], [1, 2, 3], "the root"),
        ({"a": 1}, {"b": 1}, "the root"),
        ((1, 2), [1, 2], "the root"),
        ([1, (2, 3)], [1, [2, 3]], "[1]"),
        ({"a": [1, None]}, {"a": [1, 2]}, "['a'][1]"),
        (Point(1, 2), (1, 2), "the root"),
        (Box(1, "p"), Box(1, "q"), "the root"),
    ],
)
def test_structure_mismatch_errors_like_jax(first, second, where):
    def f(a, b):
        return a

    with pytest.raises(ValueError) as info:
        ftu.tree_map(f, first, second)
    assert f"tree_map: pytree structures differ at {where}" in str(info.value)
    if not isinstance(first, Box):
        with pytest.raises(ValueError):
            jtu.tree_map(f, first, second)


def test_unflatten_with_wrong_number_of_leaves():
    td = ftu.tree_structure((1, [2, 3]))
    with pytest.raises(ValueError, match="has 3 leaves, but 2 were given"):
        ftu.tree_unflatten(td, [1, 2])
    with pytest.raises(ValueError):
        jtu.tree_unflatten(jtu.tree_structure((1, [2, 3])), [1, 2])


def test_is_leaf_like_jax():
    tree = [1, (2, 3), {"a": (4,), "b": 5}, Point(6, 7)]

    def tuples(x):
        return isinstance(x, tuple)

    assert ftu.tree_leaves(tree, is_leaf=tuples) == jtu.tree_leaves(tree, is_leaf=tuples)
    assert ftu.tree_leaves(tree, is_leaf=tuples) == [1, (2, 3), (4,), 5, Point(6, 7)]
    mapped = ftu.tree_map(lambda x: "T" if isinstance(x, tuple) else x, tree, is_leaf=tuples)
    assert mapped == [1, "T", {"a": "T", "b": 5}, "T"]
    assert ftu.tree_leaves(tree, is_leaf=lambda x: True) == [tree]  # the root can be a leaf


def test_registering_twice_is_an_error():
    with pytest.raises(ValueError, match="already registered"):
        ftu.register_pytree_node(Box, lambda b: ((), None), lambda a, c: Box(None, None))


def test_treedef_is_hashable_and_printable():
    td = ftu.tree_structure({"a": (1, None), "b": [2]})
    assert {td: 1}[ftu.tree_structure({"a": (5, None), "b": [6]})] == 1
    assert repr(td) == "PyTreeDef({'a': (*, None), 'b': [*]})"
    assert repr(ftu.tree_structure(Point(1, (2,)))) == repr(jtu.tree_structure(Point(1, (2,))))
