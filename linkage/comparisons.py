"""Comparisons: per candidate pair, how alike the two records are, field by field.

Similarities are computed column-wise over whole pair lists with ``rapidfuzz.process.cpdist``
(no per-pair Python loop), as numbers in [0, 1]. A side that is missing gives NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

COMPARISONS: dict[str, tuple[str, object]] = {
    "name_similarity": ("name_norm", fuzz.token_sort_ratio),
    "latin_similarity": ("name_latin", fuzz.token_sort_ratio),
}
"""Output column -> (features column, rapidfuzz scorer)."""


def compare_pairs(features: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """The pairs table plus one similarity column per comparison and ``shared_identifier``.

    Args:
        features: the features table (row positions match ``idx_l`` / ``idx_r``).
        pairs: candidate pairs with ``idx_l`` and ``idx_r``.
    """
    out = pairs.copy()
    left, right = pairs["idx_l"].to_numpy(), pairs["idx_r"].to_numpy()
    for column, (source, scorer) in COMPARISONS.items():
        if source not in features:
            out[column] = np.nan
            continue
        values = features[source].fillna("").astype(str).to_numpy(dtype=object)
        a, b = values[left], values[right]
        scores = process.cpdist(a, b, scorer=scorer, workers=-1, dtype=np.float32) / 100.0
        out[column] = np.where((a == "") | (b == ""), np.nan, scores)
    out["shared_identifier"] = shared_keys(features, left, right)
    return out


def shared_keys(features: pd.DataFrame, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """True where the two records share a crosswalk key of a valid identifier."""
    if "id_keys" not in features or len(left) == 0:
        return np.zeros(len(left), dtype=bool)
    keys = features["id_keys"].fillna("").astype(str).str.split().map(frozenset).to_numpy()
    return np.fromiter(
        (bool(keys[i] & keys[j]) for i, j in zip(left, right, strict=True)),
        dtype=bool,
        count=len(left),
    )
