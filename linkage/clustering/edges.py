"""The edges clustering walks: matched pairs in processing order (strongest first, equally
strong ones by the more alike names) and their confidence."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

NAME_COLUMN = "name_latin"  # names of equally strong edges: the more alike first


def edge_confidence(scored: pd.DataFrame) -> np.ndarray:
    column = "probability" if "probability" in scored else "score"
    return scored[column].to_numpy(dtype=np.float64)


def matched_edges(scored: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The scored pairs of the mask ``rows`` with only the columns clustering reads (not a
    copy of every column of the matches)."""
    columns = ("idx_l", "idx_r", "match_weight", "score", "probability", "decided_by", "rules")
    # through .array: a mask on the Series would build the pairs' RangeIndex as an array; and
    # positions taken once are cheaper than the mask applied to every column
    at = np.flatnonzero(rows)
    return pd.DataFrame({c: scored[c].array.take(at) for c in columns if c in scored}, copy=False)


def weight_column(edges: pd.DataFrame) -> str:
    return "match_weight" if "match_weight" in edges else "score"


def edge_order(edges: pd.DataFrame, features: pd.DataFrame) -> np.ndarray:
    """Processing order of scored edges: strongest first; of equally strong ones, the pair
    with the more alike names (Jaro–Winkler of ``name_latin``: two records that agree on the
    same comparison levels may still name one firm more closely, and a record of a unique
    source joins only one of them); then by record positions."""
    weights = edges[weight_column(edges)].to_numpy(dtype=np.float64)
    left = edges["idx_l"].to_numpy(dtype=np.int64)
    right = edges["idx_r"].to_numpy(dtype=np.int64)
    return np.lexsort((right, left, -name_similarity(features, left, right), -weights))


def name_similarity(features: pd.DataFrame, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Jaro–Winkler similarity of the records' ``name_latin`` per pair (0 where missing)."""
    out = np.zeros(len(left), dtype=np.float64)
    if NAME_COLUMN not in features or not len(left):
        return out
    names = features[NAME_COLUMN].to_numpy(dtype=object)
    a, b = names[left], names[right]
    present = ~(pd.isna(a) | pd.isna(b))
    if present.any():
        out[present] = process.cpdist(
            a[present], b[present], scorer=JaroWinkler.normalized_similarity, workers=-1
        )
    return out


def object_array(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out
