"""Scoring: turn a pair's comparisons into one match score and a decision.

This first scorer is a transparent threshold rule: a shared valid identifier decides a match;
otherwise the score is the best name similarity (native script or Latin key), and a branch never
matches a record that is not a branch. The probabilistic model of issue 5 replaces it behind the
same seam: a table in, the same table plus ``score``, ``decided_by`` and ``is_match`` out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def score_pairs(compared: pd.DataFrame, features: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Add ``score`` (0-1), ``decided_by`` and ``is_match`` to compared pairs."""
    out = compared.copy()
    names = out[["name_similarity", "latin_similarity"]].to_numpy(dtype=np.float64)
    best = np.nan_to_num(np.nanmax(np.where(np.isnan(names), -1.0, names), axis=1), nan=0.0)
    best = np.clip(best, 0.0, 1.0)
    shared = out["shared_identifier"].to_numpy(dtype=bool)
    score = np.where(shared, 1.0, best)
    branch = (
        features["is_branch"].fillna(False).to_numpy(dtype=bool)
        if "is_branch" in features
        else None
    )
    branch_mismatch = (
        branch[out["idx_l"].to_numpy()] != branch[out["idx_r"].to_numpy()]
        if branch is not None
        else np.zeros(len(out), dtype=bool)
    )
    out["score"] = np.round(score, 6)
    out["decided_by"] = np.where(
        shared, "identifier", np.where(branch_mismatch, "branch_rule", "model")
    )
    out["is_match"] = (score >= threshold) & ~(branch_mismatch & ~shared)
    return out
