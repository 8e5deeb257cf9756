"""Reviewer judgements of pairs ("same" / "different"), as clustering reads them."""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

JUDGEMENT_COLUMNS = ("uid_a", "uid_b", "verdict")


class Verdict(StrEnum):
    """A reviewer's verdict on two records: ``same`` joins them whatever the scores (never
    against conflicting identifiers), ``different`` keeps them apart, ``unsure`` changes
    nothing. Equal to its text (``Verdict.SAME == "same"``), as judgements are stored."""

    SAME = "same"
    DIFFERENT = "different"
    UNSURE = "unsure"


def normalise_judgements(judgements: pd.DataFrame | None) -> pd.DataFrame:
    """Judgements as ``uid_a < uid_b, verdict``, the latest per pair (rows are in time order)."""
    if judgements is None or len(judgements) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in JUDGEMENT_COLUMNS})
    a, b = judgements["uid_a"].astype(str), judgements["uid_b"].astype(str)
    out = pd.DataFrame(
        {
            "uid_a": np.where(a <= b, a, b),
            "uid_b": np.where(a <= b, b, a),
            "verdict": judgements["verdict"].astype(str).to_numpy(),
        }
    )
    out = out[out["uid_a"] != out["uid_b"]]
    return out.drop_duplicates(["uid_a", "uid_b"], keep="last").reset_index(drop=True)


def verdicts(pairs: pd.DataFrame, judgements: pd.DataFrame | None) -> np.ndarray:
    """Per pair (``uid_l``, ``uid_r``) its latest verdict, "same" or "different"; None where
    the pair is not judged (or judged "unsure")."""
    out = np.full(len(pairs), None, dtype=object)
    judged = normalise_judgements(judgements)
    judged = judged[judged["verdict"] != "unsure"]
    if judged.empty or pairs.empty:
        return out
    verdict = pd.MultiIndex.from_frame(judged[["uid_a", "uid_b"]])
    at = verdict.get_indexer(pd.MultiIndex.from_arrays([pairs["uid_l"], pairs["uid_r"]]))
    hit = at >= 0
    out[hit] = judged["verdict"].to_numpy()[at[hit]]
    return out


def apply_judgements(scored: pd.DataFrame, judgements: pd.DataFrame | None) -> pd.DataFrame:
    """Scored pairs with reviewer verdicts applied: "same" matches, "different" does not.

    Judged pairs (except "unsure") get ``decided_by = "judgement"``.
    """
    found = verdicts(scored, judgements)
    hit = pd.notna(found)
    if not hit.any():
        return scored
    out = scored.copy()
    out.loc[hit, "decided_by"] = "judgement"
    out.loc[hit, "is_match"] = found[hit] == "same"
    return out
