"""Connected components of an undirected graph given as edge arrays (no dependency beyond
numpy, pandas and SciPy, so that any layer may use it)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def component_labels(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Connected-component label per node of the undirected edges ``(a, b)`` over ``n`` nodes,
    numbered from 0 in the order of each component's smallest node (as SciPy numbers them):
    minimum labels over the edges with pointer jumping, a few numpy passes for the shallow
    components of record linkage (SciPy past 64)."""
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
            return pd.factorize(label)[0].astype(np.int64)  # dense: 0 .. components - 1
        label = new
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    return connected_components(graph.tocsr(), directed=False)[1].astype(np.int64)
