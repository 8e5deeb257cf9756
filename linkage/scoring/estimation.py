"""Estimating a model's parameters: level matrices, EM over distinct level patterns, random
pairs for u, and probabilities from weights."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from linkage.compare import (
    Comparison,
)

LN2 = math.log(2.0)


def level_matrix(compared: pd.DataFrame, comparisons: Sequence[Comparison]) -> np.ndarray:
    """The (n, k) int8 matrix of ``<name>_level`` columns."""
    if not comparisons:
        return np.zeros((len(compared), 0), dtype=np.int8)
    return np.column_stack(
        [compared[f"{c.name}_level"].to_numpy(dtype=np.int8) for c in comparisons]
    )


def tf_matrix(compared: pd.DataFrame, comparisons: Sequence[Comparison]) -> np.ndarray:
    """The (n, k) matrix of shared-value frequencies (nan where no TF adjustment applies)."""
    out = np.full((len(compared), len(comparisons)), np.nan)
    for j, c in enumerate(comparisons):
        column = f"{c.name}_tf"
        if column in compared:
            out[:, j] = compared[column].to_numpy(dtype=np.float64)
    return out


def probability_from_weight(weight: np.ndarray) -> np.ndarray:
    """P(match) from a log2 Bayes factor, without overflow."""
    return 1.0 / (1.0 + np.exp2(-np.clip(weight, -1000, 1000)))


def weight_from_probability(probability: float) -> float:
    """The match weight (log2 Bayes factor incl. the prior) of a probability, the inverse of
    :func:`probability_from_weight` (kept finite at 0 and 1)."""
    p = min(max(float(probability), 1e-12), 1 - 1e-12)
    return math.log2(p / (1 - p))


def patterns(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct level rows (sorted) and how often each occurs."""
    if len(levels) == 0:
        return levels.reshape(0, levels.shape[1]), np.zeros(0, dtype=np.int64)
    k = levels.shape[1]
    if k == 0 or k > 12 or levels.max() >= 31:
        unique, counts = np.unique(levels, axis=0, return_counts=True)
        return unique, counts.astype(np.int64)
    # pack each row into one int64 (5 bits a level, shifted by 1 so -1 fits): a 1-D unique
    # is far faster than np.unique(axis=0), and the order is the same (lexicographic); built
    # column by column in place (an int64 copy of the whole matrix is 0.6 GB at 10M pairs)
    keys = np.zeros(len(levels), dtype=np.int64)
    for j in range(k):
        keys <<= 5
        keys |= levels[:, j].astype(np.int64) + 1
    unique_keys, counts = np.unique(keys, return_counts=True)
    unique = np.empty((len(unique_keys), k), dtype=np.int8)
    for j in range(k - 1, -1, -1):
        unique[:, j] = (unique_keys & 31) - 1
        unique_keys = unique_keys >> 5
    return unique, counts.astype(np.int64)


class EMFit(NamedTuple):
    """What :func:`em_fit` estimated, and how it got there."""

    m: list[np.ndarray]
    u: list[np.ndarray]
    match_share: float
    iterations: int
    trace: list[tuple[float, float]]
    """Per iteration: the match share, and the largest change of any parameter."""


def em_fit(
    levels: np.ndarray,
    n_levels: Sequence[int],
    *,
    m_init: Sequence[np.ndarray] | None = None,
    u_init: Sequence[np.ndarray] | None = None,
    lambda_init: float = 0.1,
    max_iter: int = 100,
    tol: float = 1e-6,
    pseudo_count: float = 0.5,
    fix_m: bool = False,
    labels: np.ndarray | None = None,
) -> EMFit:
    """Classic two-class EM of m, u and the match share on level vectors (-1 = ignored).

    ``m[k][l]`` = P(level l of comparison k | match). With ``fix_m``, m stays ``m_init`` and
    only u and the match share are estimated. ``labels`` (per row: 1 a known match, 0 a known
    non-match, -1 unknown) fix the class of the rows they know: semi-supervised EM. It stays
    unbiased when which rows are labelled depends only on their levels; the review queue also
    looks at the entities around a pair, so with its labels this is an approximation that pins
    EM where it was least sure (``benchmarks/results/review.md`` measures the effect).
    """
    if labels is not None and len(labels) != len(levels):
        raise ValueError(f"labels: {len(labels)} values for {len(levels)} rows of levels")
    known = None
    if labels is None:
        pats, counts = patterns(levels)
    else:
        pats, counts = patterns(np.column_stack([levels, labels.astype(levels.dtype)]))
        pats, known = pats[:, :-1], pats[:, -1]
    k = len(n_levels)
    m = [np.asarray(x, dtype=np.float64) for x in (m_init or _default_m(n_levels))]
    u = [np.asarray(x, dtype=np.float64) for x in (u_init or _uniform(n_levels))]
    lam = float(lambda_init)
    weights = counts.astype(np.float64)
    one_hot = [[pats[:, j] == lv for lv in range(n_levels[j])] for j in range(k)]
    trace: list[tuple[float, float]] = []
    for _ in range(max_iter):
        log_m = np.full(len(pats), math.log(lam))
        log_u = np.full(len(pats), math.log(1.0 - lam))
        for j in range(k):
            valid = pats[:, j] >= 0
            idx = np.where(valid, pats[:, j], 0)
            log_m += np.where(valid, np.log(m[j][idx]), 0.0)
            log_u += np.where(valid, np.log(u[j][idx]), 0.0)
        g = 1.0 / (1.0 + np.exp(np.clip(log_u - log_m, -700, 700)))
        if known is not None:
            g = np.where(known == 1, 1.0, np.where(known == 0, 0.0, g))
        gm, gu = weights * g, weights * (1.0 - g)
        new_lam = float(gm.sum() / weights.sum())
        new_lam = min(max(new_lam, 1e-9), 1 - 1e-9)
        change = abs(new_lam - lam)
        new_m, new_u = [], []
        for j in range(k):
            cu = np.array([gu[mask].sum() for mask in one_hot[j]]) + pseudo_count * 1e-3
            new_u.append(cu / cu.sum())
            if fix_m:
                new_m.append(m[j])
                continue
            cm = np.array([gm[mask].sum() for mask in one_hot[j]]) + pseudo_count * 1e-3
            new_m.append(cm / cm.sum())
            change = max(change, float(np.abs(new_m[j] - m[j]).max()))
        m, u, lam = new_m, new_u, new_lam
        trace.append((lam, change))
        if change < tol:
            break
    return EMFit(m, u, lam, len(trace), trace)


def _default_m(n_levels: Sequence[int]) -> list[np.ndarray]:
    out = []
    for n in n_levels:
        raw = 4.0 ** np.arange(n)
        out.append(raw / raw.sum())
    return out


def _uniform(n_levels: Sequence[int]) -> list[np.ndarray]:
    return [np.full(n, 1.0 / n) for n in n_levels]


def sample_random_pairs(
    sources: np.ndarray, unique_sources: set[str], size: int, random_state: int
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random record pairs (row positions, ``i < j``) that blocking could produce."""
    n = len(sources)
    if n < 2 or size <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if n * (n - 1) // 2 <= size:
        a, b = np.triu_indices(n, 1)
        a, b = a.astype(np.int64), b.astype(np.int64)
        if unique_sources:
            restricted = np.isin(sources, sorted(unique_sources))
            keep = ~((sources[a] == sources[b]) & restricted[a])
            a, b = a[keep], b[keep]
        return a, b
    rng = np.random.default_rng(random_state)
    a = rng.integers(0, n, size=size * 2, dtype=np.int64)
    b = rng.integers(0, n, size=size * 2, dtype=np.int64)
    keep = a != b
    if unique_sources:
        restricted = np.isin(sources, sorted(unique_sources))
        keep &= ~((sources[a] == sources[b]) & restricted[a])
    a, b = a[keep][:size], b[keep][:size]
    return np.minimum(a, b), np.maximum(a, b)


def possible_pairs(sources: np.ndarray, unique_sources: set[str]) -> int:
    """How many record pairs blocking could produce (no pairs inside a unique source)."""
    n = len(sources)
    total = n * (n - 1) // 2
    if unique_sources:
        counts = pd.Series(sources).value_counts()
        for source, c in counts.items():
            if source in unique_sources:
                total -= int(c) * (int(c) - 1) // 2
    return max(total, 1)
