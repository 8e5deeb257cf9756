"""Bridges of a graph, against removing each edge and counting components."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.graph import bridges, component_labels


def _by_removal(a: np.ndarray, b: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    whole = component_labels(a, b, n)
    is_bridge, smaller = np.zeros(len(a), dtype=bool), np.zeros(len(a), dtype=np.int64)
    for e in range(len(a)):
        keep = np.arange(len(a)) != e
        labels = component_labels(a[keep], b[keep], n)
        if labels[a[e]] != labels[b[e]]:
            is_bridge[e] = True
            side = int((labels == labels[a[e]]).sum())
            total = int((whole == whole[a[e]]).sum())
            smaller[e] = min(side, total - side)
    return is_bridge, smaller


def test_a_chain_and_a_cycle() -> None:
    # 0-1-2 chain hanging off the cycle 2-3-4
    a, b = np.array([0, 1, 2, 3, 4]), np.array([1, 2, 3, 4, 2])
    is_bridge, smaller = bridges(a, b, 5)
    assert is_bridge.tolist() == [True, True, False, False, False]
    assert smaller.tolist() == [1, 2, 0, 0, 0]


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 12).flatmap(lambda n: st.tuples(
    st.just(n),
    st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=20),
)))  # fmt: skip
def test_bridges_agree_with_removing_each_edge(graph: tuple[int, set[tuple[int, int]]]) -> None:
    n, edges = graph
    distinct = sorted({(min(x, y), max(x, y)) for x, y in edges if x != y})
    a = np.array([x for x, _ in distinct], dtype=np.int64)
    b = np.array([y for _, y in distinct], dtype=np.int64)
    got, expected = bridges(a, b, n), _by_removal(a, b, n)
    assert got[0].tolist() == expected[0].tolist()
    assert got[1].tolist() == expected[1].tolist()


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 30).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=40),
)))  # fmt: skip
def test_labels_without_renumbering_make_the_same_components(
    graph: tuple[int, list[tuple[int, int]]],
) -> None:
    n, edges = graph
    a = np.array([e[0] for e in edges], dtype=np.int64)
    b = np.array([e[1] for e in edges], dtype=np.int64)
    dense = component_labels(a, b, n)
    loose = component_labels(a, b, n, dense=False)
    assert (loose < n).all()
    assert (loose[:, None] == loose[None, :]).tolist() == (
        dense[:, None] == dense[None, :]
    ).tolist()
