"""The same user classes, defined once per pytree library: pytree registries are global and
hold one registration per class, so funcad and JAX each get their own twin (same names, same
code) and the tests compare what the two libraries make of the same trees."""
from __future__ import annotations

import dataclasses
import types
from collections import OrderedDict, defaultdict, namedtuple

import numpy as np

Point = namedtuple("Point", ["x", "y"])


def define(tu, tree) -> types.SimpleNamespace:
    """User classes registered with ``tu`` (a ``tree_util`` module), built from its API
    only; ``tree`` is the matching ``tree`` module (for ``tree.static``)."""

    class Box:
        """Registered with ``register_pytree_node``: children ``value``, aux ``label``."""

        def __init__(self, value, label):
            self.value, self.label = value, label

        def __eq__(self, other):
            return type(other) is Box and (self.value, self.label) == (other.value, other.label)

        __hash__ = None

    tu.register_pytree_node(Box, lambda b: ((b.value,), b.label),
                            lambda lbl, cs: Box(cs[0], lbl))

    @tu.register_pytree_node_class
    class Pair:
        def __init__(self, a, b, tag="p"):
            self.a, self.b, self.tag = a, b, tag

        def tree_flatten(self):
            return (self.a, self.b), self.tag

        @classmethod
        def tree_unflatten(cls, tag, children):
            return cls(*children, tag=tag)

    class Keyed:
        """Registered with keys: its children are named in key paths."""

        def __init__(self, left, right):
            self.left, self.right = left, right

    tu.register_pytree_with_keys(
        Keyed,
        lambda k: (((tu.GetAttrKey("left"), k.left), (tu.DictKey("R"), k.right)), None),
        lambda _, cs: Keyed(*cs))

    @tu.register_dataclass
    @dataclasses.dataclass
    class Params:
        w: object
        b: object
        act: str = tree.static(default="tanh")

    @dataclasses.dataclass
    class Explicit:
        x: object
        n: int
        y: object
        dropped: int = 0

    tu.register_dataclass(Explicit, data_fields=["y", "x"], meta_fields=["n"],
                          drop_fields=["dropped"])

    @tu.register_static
    @dataclasses.dataclass(frozen=True)
    class Config:
        name: str
        depth: int

    return types.SimpleNamespace(Box=Box, Pair=Pair, Keyed=Keyed, Params=Params,
                                 Explicit=Explicit, Config=Config)


ARR = np.arange(3.0)


def trees(ns) -> list:
    """Trees over every kind of node, built from the classes of ``ns`` (array leaves are
    shared between calls, so twin trees hold the very same arrays)."""
    arr = ARR
    return [
        1.0,
        arr,
        None,
        (),
        [],
        {},
        (1,),
        [1, [2, (3, 4)]],
        {"b": 1, "a": (2, None), "c": {"z": 3, "y": [4]}},
        {2: "two", 1: "one", -3: [arr]},
        (None, 1, [None, {}]),
        Point(1, [2, 3]),
        Point(Point(1, 2), None),
        OrderedDict([("z", 1), ("a", (2, 3))]),
        defaultdict(list, {"q": 1, "p": [2]}),
        ns.Box([1, {"k": 2}], "tag"),
        [ns.Box(ns.Box(1, "inner"), "outer"), arr],
        ns.Pair(arr, {"u": 1.5}),
        ns.Keyed(1, [2, 3]),
        ns.Params(w=arr, b=(1.0, 2.0)),
        ns.Explicit(x=1, n=3, y=[2, 3]),
        [ns.Config("c", 2), 1, {"cfg": ns.Config("d", 1), "v": 2}],
        {"layers": [ns.Params(w=arr, b=0.5, act="relu"), ns.Pair(1, 2)], "opt": (ns.Box(3, 0),)},
    ]
