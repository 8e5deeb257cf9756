"""Scored pairs: weights, probability, and the decision (the model's cut-off, a shared
identifier, or names that agree once standardised)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from linkage.compare import (
    CompanyNameComparison,
    Comparison,
)
from linkage.scoring.fellegi_sunter import FellegiSunter
from linkage.scoring.supervised import SupervisedModel

AGAINST_BITS = -1.0
"""A comparison speaks against a match when its partial weight is below this (a likelihood
ratio of one half); milder disagreement is not evidence."""


def agreement(scored: pd.DataFrame, comparisons: Sequence[Comparison]) -> np.ndarray:
    """Pairs whose names agree exactly once standardised, with nothing against.

    A company name at one of its agreement levels (equal normalised name or Latin key), and no
    other comparison present below ``AGAINST_BITS``: two records that say the same about
    everything they both hold are one firm as far as the data can tell, however common the
    name and however small the prior.
    """
    agreed = np.zeros(len(scored), dtype=bool)
    names = [c for c in comparisons if isinstance(c, CompanyNameComparison)]
    if not names:
        return agreed
    level = scored[f"{names[0].name}_level"].to_numpy()
    agreed = np.isin(level, sorted(names[0].agreement_levels))
    for c in comparisons:
        if c is not names[0] and agreed.any():
            agreed &= scored[f"{c.name}_weight"].to_numpy() >= AGAINST_BITS
    return agreed


def score_pairs(
    compared: pd.DataFrame,
    model: FellegiSunter | SupervisedModel,
    *,
    identifier: str | None = "identifier",
) -> pd.DataFrame:
    """The scored pairs table (docs/architecture.md, Tables).

    Adds ``<name>_weight``, ``match_weight``, ``probability``, ``score`` (= probability),
    ``decided_by`` (``identifier`` where the pair shares a crosswalk key of a valid identifier,
    ``agreement`` where :func:`agreement` holds, else ``model``) and ``is_match``
    (probability >= the model's threshold, or decided by identifier or agreement).
    """
    out = model.score_frame(compared)
    shared = np.zeros(len(out), dtype=bool)
    level_column = f"{identifier}_level" if identifier else None
    if level_column and level_column in out:
        shared = out[level_column].to_numpy() == 2
    agreed = agreement(out, model.comparisons) & ~shared
    probability = out["probability"]
    columns = {c: out[c] for c in out}
    columns["score"] = probability  # the same array (a frame built without copies)
    # three string objects shared by all rows (not one new string per row)
    kind = shared.view(np.int8) + 2 * agreed.view(np.int8)
    decided = np.array(["model", "identifier", "agreement"], dtype=object)[kind]
    columns["decided_by"] = pd.Series(decided, index=out.index)
    is_match = (probability.to_numpy() >= model.threshold_) | shared | agreed
    columns["is_match"] = pd.Series(is_match, index=out.index)
    return pd.DataFrame(columns, index=out.index, copy=False)
