"""The automatic cut-off raised to the best expected F1 of the clusters, and scored pairs at a
raised cut-off."""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage.graph import component_labels


def clustered_threshold(
    features: pd.DataFrame,
    scored: pd.DataFrame,
    merges: pd.DataFrame,
    threshold: float,
    *,
    max_candidates: int = 64,
) -> float:
    """The probability cut-off (at least ``threshold``) maximising the expected F1 of the
    *clusters*, not of the pair decisions; no labels needed.

    The pairwise expected F1 counts each pair once, but clustering closes matches
    transitively: a weak edge between two sites of one agency joins their whole clusters, and
    every cross pair is then predicted. Here the expected true pairs of a clustering are the
    summed match probabilities of the candidate pairs it puts together (pairs never compared
    count as non-matches) and the predicted pairs are all pairs inside clusters. Clustering
    processes edges strongest first and a union depends only on earlier ones, so the entities at
    a higher cut-off are the connected components of the accepted unions (``merges``) at or
    above it: one clustering run serves every candidate cut-off.
    """
    if len(scored) == 0 or len(merges) == 0 or "probability" not in scored:
        return threshold
    accepted = merges["accepted"].astype(bool).to_numpy()
    position = pd.Index(features["uid"].astype(str))
    a = position.get_indexer(merges["uid_l"][accepted].astype(str))
    b = position.get_indexer(merges["uid_r"][accepted].astype(str))
    del position
    modelled = (merges["kind"][accepted].astype(str) == "model").to_numpy()
    confidence = merges["confidence"].to_numpy(dtype=np.float64)[accepted]
    candidates = np.unique(confidence[modelled & (confidence >= threshold)])
    if len(candidates) <= 1:
        return threshold
    if len(candidates) > max_candidates:
        grid = np.linspace(0.0, 1.0, max_candidates)
        candidates = np.unique(np.quantile(candidates, grid, method="lower"))
    # clusters only split as the cut-off rises: pairs apart at the lowest one stay apart, and
    # records joined by no union stay alone (they add nothing to either count)
    joined = np.unique(np.concatenate([a, b]))
    m = len(joined)
    node = np.full(len(features), -1, dtype=np.int64)
    node[joined] = np.arange(m)
    a, b = node[a], node[b]
    keep = ~modelled | (confidence >= candidates[0])
    lowest = component_labels(a[keep], b[keep], m, dense=False)
    actual, left, right, p_together = _pairs_together(scored, node, lowest)
    if actual <= 0:
        return threshold
    best_t, best_f1 = threshold, -1.0
    for t in candidates:
        keep = ~modelled | (confidence >= t)
        label = component_labels(a[keep], b[keep], m, dense=False)
        sizes = np.bincount(label).astype(np.float64)
        predicted = float((sizes * (sizes - 1) / 2).sum())
        expected = float(p_together[label[left] == label[right]].sum())
        f1 = 2 * expected / (predicted + actual)
        if f1 > best_f1 + 1e-9:
            best_t, best_f1 = float(t), f1
    return max(best_t, threshold)


_CHUNK = 1 << 20  # pairs at a time: temporaries of a few MB, not of the millions of pairs


def _pairs_together(
    scored: pd.DataFrame, node: np.ndarray, label: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """The summed match probability of all scored pairs (1 when decided by an identifier,
    the verdict when by a judgement), and the nodes and probabilities of the pairs whose
    records are nodes (``node`` >= 0) with one ``label``, in pair order."""
    probability = scored["probability"].to_numpy(dtype=np.float64)
    is_match = scored["is_match"].to_numpy(dtype=bool)
    left = scored["idx_l"].to_numpy(dtype=np.int64)
    right = scored["idx_r"].to_numpy(dtype=np.int64)
    p = np.empty(len(scored))  # the whole array: its sum is the same float as before
    parts = []
    for start in range(0, len(scored), _CHUNK):
        rows = slice(start, start + _CHUNK)
        decided = scored["decided_by"].iloc[rows].astype(str).to_numpy()
        chunk = p[rows]
        chunk[:] = probability[rows]
        chunk[(decided == "identifier") | (decided == "agreement")] = 1.0
        judged = decided == "judgement"
        chunk[judged] = is_match[rows][judged]
        at_l, at_r = node[left[rows]], node[right[rows]]
        inside = np.flatnonzero((at_l >= 0) & (at_r >= 0))
        inside = inside[label[at_l[inside]] == label[at_r[inside]]]
        parts.append((at_l[inside], at_r[inside], chunk[inside]))
    left_in, right_in, p_in = (np.concatenate(column) for column in zip(*parts, strict=True))
    return float(p.sum()), left_in, right_in, p_in


def raise_threshold(scored: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Scored pairs with model-decided matches below ``threshold`` no longer matching."""
    is_match = scored["is_match"].to_numpy(dtype=bool)
    # only the matches below the cut-off: no temporaries over all pairs but the masks
    low = np.flatnonzero(is_match & (scored["probability"].to_numpy(dtype=np.float64) < threshold))
    decided = pd.Series(scored["decided_by"].array[low]).astype(str)
    weak = low[~decided.isin(["identifier", "agreement", "judgement"]).to_numpy()]
    is_match = is_match.copy()
    is_match[weak] = False
    # a new frame sharing every other column (no copy of the pairs)
    columns = {c: scored[c] for c in scored if c != "is_match"}
    out = pd.DataFrame(columns, index=scored.index, copy=False)
    out.insert(list(scored.columns).index("is_match"), "is_match", is_match)
    return out
