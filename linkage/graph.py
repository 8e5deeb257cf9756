"""Connected components of an undirected graph given as edge arrays (no dependency beyond
numpy, pandas and SciPy, so that any layer may use it)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def component_labels(a: np.ndarray, b: np.ndarray, n: int, *, dense: bool = True) -> np.ndarray:
    """Connected-component label per node of the undirected edges ``(a, b)`` over ``n`` nodes,
    numbered from 0 in the order of each component's smallest node (as SciPy numbers them):
    minimum labels over the edges with pointer jumping, a few numpy passes for the shallow
    components of record linkage (SciPy past 64). ``dense=False`` leaves out the renumbering:
    labels below ``n``, one per component, not consecutive (enough to count and compare)."""
    label = np.arange(n, dtype=np.int64)
    if not len(a):
        return label
    for _ in range(64):
        low = np.minimum(label[a], label[b])
        new = label.copy()
        np.minimum.at(new, label[a], low)
        np.minimum.at(new, label[b], low)
        new = np.minimum(new, new[label])
        while True:  # pointer jumping: every node to its root's label
            jumped = new[new]
            if np.array_equal(jumped, new):
                break
            new = jumped
        if np.array_equal(new, label):
            if not dense:
                return label
            return pd.factorize(label)[0].astype(np.int64)  # dense: 0 .. components - 1
        label = new
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    return connected_components(graph.tocsr(), directed=False)[1].astype(np.int64)


def bridges(a: np.ndarray, b: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The bridges of the undirected graph of edges ``(a, b)`` over ``n`` nodes: edges whose
    removal splits their component (Tarjan's low-link, one iterative depth-first search).

    Returns:
        ``(is_bridge, smaller)`` per edge: whether it is a bridge, and then the nodes on the
        smaller side of the split (0 for other edges).
    """
    m = len(a)
    heads = np.concatenate([a, b]).astype(np.int64)
    order = np.argsort(heads, kind="stable")
    starts = np.searchsorted(heads[order], np.arange(n + 1)).tolist()
    neighbour = np.concatenate([b, a])[order].tolist()
    edge_of = np.concatenate([np.arange(m), np.arange(m)])[order].tolist()
    found, low, below = [-1] * n, [0] * n, [1] * n
    is_bridge, smaller = np.zeros(m, dtype=bool), np.zeros(m, dtype=np.int64)
    clock = 0
    for root in range(n):
        if found[root] >= 0:
            continue
        found[root] = low[root] = clock
        clock += 1
        stack, size, cut = [[root, -1, starts[root]]], 1, []
        while stack:
            frame = stack[-1]
            node, via, i = frame
            if i < starts[node + 1]:
                frame[2] = i + 1
                other, edge = neighbour[i], edge_of[i]
                if edge == via:
                    continue
                if found[other] < 0:
                    found[other] = low[other] = clock
                    clock += 1
                    size += 1
                    stack.append([other, edge, starts[other]])
                else:
                    low[node] = min(low[node], found[other])
                continue
            stack.pop()
            if stack:
                up = stack[-1][0]
                low[up] = min(low[up], low[node])
                below[up] += below[node]
                if low[node] > found[up]:
                    cut.append((via, node))
        for edge, child in cut:
            is_bridge[edge] = True
            smaller[edge] = min(below[child], size - below[child])
    return is_bridge, smaller
