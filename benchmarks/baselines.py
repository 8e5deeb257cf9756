"""Baseline matchers configured as their documentation shows, on canonical records tables.

Input is the ``records`` table of ``linkage.sources.read_sources`` (``uid, source, record_id``
and canonical columns), so every matcher sees the same fields. Output is a memberships table
(``source, record_id, entity_id``): pair decisions closed transitively (connected components).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

STRING_FIELDS = ("name", "address", "city")
EXACT_FIELDS = ("postcode", "phone", "email", "website", "founded")


def _key(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).str.lower().str.replace(r"[^\w]", "", regex=True)


def _memberships(records: pd.DataFrame, left: np.ndarray, right: np.ndarray) -> pd.DataFrame:
    """Connected components of the matched pairs (positions in ``records``) as entities."""
    n = len(records)
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    labels = connected_components(graph, directed=False)[1]
    return pd.DataFrame({
        "source": records["source"].to_numpy(),
        "record_id": records["record_id"].to_numpy(),
        "entity_id": [f"C{x}" for x in labels],
    })  # fmt: skip


def exact_name(records: pd.DataFrame) -> pd.DataFrame:
    """The floor every matcher must clear: records whose names are equal once lower-cased and
    whitespace-normalised are one entity; records without a name stand alone."""
    name = records["name"] if "name" in records else pd.Series(None, index=records.index)
    key = name.astype("string").str.lower().str.split().str.join(" ")
    key = key.where(key.str.len() > 0).astype(object)
    alone = key.isna().to_numpy()
    entity = np.where(alone, "R:" + records["uid"].astype(str).to_numpy(), "N:" + key.astype(str))
    return pd.DataFrame({
        "source": records["source"].to_numpy(),
        "record_id": records["record_id"].to_numpy(),
        "entity_id": entity,
    })  # fmt: skip


def recordlinkage_ecm(records: pd.DataFrame, two_sources: bool) -> pd.DataFrame:
    """recordlinkage's documented recipe: an index (sorted neighbourhood on the name), Compare
    (Jaro-Winkler at 0.85 on text fields, exact on the rest, exact on identifiers) and the
    unsupervised ECM classifier on the binary comparison vectors."""
    import recordlinkage

    frame = records.reset_index(drop=True).copy()
    frame["_name_key"] = _key(frame["name"]) if "name" in frame else ""
    ids = [c for c in frame.columns if c.startswith("id_") and not c.endswith("_valid")]
    for col in (*EXACT_FIELDS, *ids):
        if col in frame:
            frame[col] = _key(frame[col]).replace("", None)
    indexer = recordlinkage.Index()
    indexer.sortedneighbourhood("_name_key", window=9)
    if two_sources:
        first = frame["source"].iloc[0]
        a, b = frame[frame["source"] == first], frame[frame["source"] != first]
        candidates = indexer.index(a, b)
    else:
        a = b = frame
        candidates = indexer.index(frame)
    compare = recordlinkage.Compare()
    for col in STRING_FIELDS:
        if col in frame and frame[col].notna().any():
            compare.string(col, col, method="jarowinkler", threshold=0.85, label=col)
    for col in (*EXACT_FIELDS, *ids):
        if col in frame and frame[col].notna().any():
            compare.exact(col, col, label=col)
    features = compare.compute(candidates, a, b)
    features = features.loc[:, features.nunique() > 1]  # ECM needs varying binary features
    if features.empty:
        return _memberships(frame, np.array([], int), np.array([], int))
    links = recordlinkage.ECMClassifier().fit_predict(features)
    return _memberships(
        frame, links.get_level_values(0).to_numpy(), links.get_level_values(1).to_numpy()
    )
