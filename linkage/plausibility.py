"""Is an EM estimate of the match model believable, and what to use when it is not.

EM on the candidate pairs finds *a* two-class split of their level patterns, not necessarily
"same entity" against "different". With fewer than three comparisons that carry information the
split is not identified at all (a latent-class model needs three indicators: a name and a text
field leave m undetermined), and on a registry with almost no duplicates EM latches onto
whatever structure blocking selected (names of one town that share a prefix and a city, whose
members disagree on representative, date and address). :func:`problems` names such estimates;
the model then falls back to :func:`fallback_m`: m from knowledge (each comparison's
``default_m``), moved towards what the pairs that agree on another identifying comparison
show, and a prior counted from the records whose names agree (:func:`agreeing_pairs`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from linkage.compare import CompanyNameComparison, Comparison, IdentifierComparison

MIN_INFORMATIVE = 3
"""Comparisons that must carry information for EM's split to be identified."""
MIN_CANDIDATES = 1000
"""Candidate pairs below which EM's estimate is noise (a few dozen patterns, each a few pairs)."""
MIN_PRESENT = 0.01
"""Share of candidate pairs a comparison must be present on to count as informative."""
ANCHOR_STRENGTH = 20.0
"""Pseudo-pairs of the knowledge-based m when it is moved towards the anchor pairs."""


def informative(levels: np.ndarray, comparisons: Sequence[Comparison]) -> list[bool]:
    """Per comparison: present on enough candidate pairs, with at least two levels seen."""
    out = []
    for j in range(len(comparisons)):
        column = levels[:, j]
        present = column[column >= 0]
        enough = len(levels) > 0 and len(present) >= MIN_PRESENT * len(levels)
        out.append(bool(enough and len(np.unique(present)) >= 2))
    return out


def problems(
    comparisons: Sequence[Comparison],
    m: Sequence[np.ndarray],
    u: Sequence[np.ndarray],
    levels: np.ndarray,
) -> list[str]:
    """Why an EM estimate (m, and u of its non-match class) cannot be trusted; [] if it can."""
    found = []
    if len(levels) < MIN_CANDIDATES:
        found.append(
            f"only {len(levels)} candidate pairs; EM needs at least {MIN_CANDIDATES} to be trusted"
        )
    useful = informative(levels, comparisons)
    count = sum(useful)
    if count < MIN_INFORMATIVE:
        found.append(
            f"only {count} comparison(s) carry information on the candidate pairs; EM needs "
            f"{MIN_INFORMATIVE} to tell matches from non-matches"
        )
    for j, c in enumerate(comparisons):
        top = c.n_levels - 1
        if useful[j] and m[j][top] < u[j][top]:
            found.append(
                f"{c.name}: EM's matches agree less often than its non-matches "
                f"({c.label_of(top)}: m {m[j][top]:.3g} < u {u[j][top]:.3g})"
            )
    disagreeing = [
        c.name for j, c in enumerate(comparisons) if useful[j] and m[j][c.else_level] > 0.5
    ]
    if count and 2 * len(disagreeing) > count:
        found.append(
            "EM's matches disagree on most comparisons (m of 'else' above 0.5 for "
            + ", ".join(disagreeing)
            + ")"
        )
    return found


def fallback_m(comparisons: Sequence[Comparison], levels: np.ndarray) -> list[np.ndarray]:
    """m from knowledge, moved towards the level shares seen on anchor pairs.

    The anchors of a comparison are the candidate pairs that share a valid registry
    identifier (another comparison's agreement): true matches, not selected on the comparison
    itself. (Pairs judged "same" are no anchors: the review queue chose them by their levels;
    they enter EM with their class known instead.) Equal names are no anchor: in one registry
    they are as often a firm's successor or a namesake. Each default weighs as
    ``ANCHOR_STRENGTH`` pairs, so it decides where anchors are few.
    """
    out = []
    for j, c in enumerate(comparisons):
        m = np.asarray(c.default_m(), dtype=np.float64)
        anchor = np.zeros(len(levels), dtype=bool)
        for i, other in enumerate(comparisons):
            if i != j and isinstance(other, IdentifierComparison):
                anchor |= np.isin(levels[:, i], sorted(other.agreement_levels))
        seen = levels[anchor, j]
        seen = seen[seen >= 0].astype(np.int64)
        counts = np.bincount(seen, minlength=c.n_levels)[: c.n_levels].astype(np.float64)
        m = (counts + ANCHOR_STRENGTH * m) / (counts.sum() + ANCHOR_STRENGTH)
        out.append(m)
    return out


def agreeing_pairs(
    features: pd.DataFrame, comparisons: Sequence[Comparison], unique_sources: set[str]
) -> int | None:
    """Record pairs with equal normalised names (none inside a unique source), counted from
    the value counts; None when no comparison is a company name."""
    names = [c for c in comparisons if isinstance(c, CompanyNameComparison)]
    if not names or names[0].norm not in features:
        return None
    norm = features[names[0].norm]
    present = norm.notna().to_numpy()
    values = norm[present].astype(str)
    total = _pairs(values.value_counts().to_numpy())
    if unique_sources and "source" in features:
        sources = features["source"][present].astype(str)
        inside = sources.isin(sorted(unique_sources)).to_numpy()
        grouped = pd.DataFrame({"s": sources[inside], "v": values[inside]}).value_counts()
        total -= _pairs(grouped.to_numpy())
    return int(total)


def _pairs(counts: np.ndarray) -> int:
    counts = counts.astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())
