"""Scoring: a Fellegi–Sunter model over comparison levels, with explainable weights.

Every pair's score decomposes as ``match_weight = prior_weight + sum(partial weights)`` in bits
(log2 Bayes factors). For a comparison at level ``l`` the partial weight is ``log2(m_l / u_l)``
(0 at the null level), where

- ``u_l`` = P(level l | two random records) is counted on seeded random record pairs,
- ``m_l`` = P(level l | same entity) is learned by EM on the candidate pairs (aggregated into
  distinct level patterns, so it is fast and independent of row order),
- the prior is P(match) for two random records: the EM match share of the candidates times
  candidates / possible pairs.

Levels marked for term-frequency adjustment (an exact name, the rarest shared token) replace
``u_l`` by the frequency of the shared value, so a rare name weighs more than a common one.

:class:`SupervisedModel` is the labelled alternative: a logistic regression on the same one-hot
levels, giving the same decomposition (coefficients in bits). Both models follow scikit-learn
habits (parameters as given in ``__init__``, ``fit`` returns self, learned attributes end in
``_``) and save to JSON as settings plus parameters.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkage import plausibility
from linkage.compare import (
    NULL,
    CompanyNameComparison,
    Comparison,
    compare_indexed,
    comparison_from_dict,
    prepare_all,
)

LN2 = math.log(2.0)
MODEL_FORMAT = 1


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
) -> tuple[list[np.ndarray], list[np.ndarray], float, int]:
    """Classic two-class EM of m, u and the match share on level vectors (-1 = ignored).

    Returns ``(m, u, lambda, iterations)``; ``m[k][l]`` = P(level l of comparison k | match).
    With ``fix_m``, m stays ``m_init`` and only u and the match share are estimated.
    """
    pats, counts = patterns(levels)
    k = len(n_levels)
    m = [np.asarray(x, dtype=np.float64) for x in (m_init or _default_m(n_levels))]
    u = [np.asarray(x, dtype=np.float64) for x in (u_init or _uniform(n_levels))]
    lam = float(lambda_init)
    weights = counts.astype(np.float64)
    one_hot = [[pats[:, j] == lv for lv in range(n_levels[j])] for j in range(k)]
    iteration = 0
    for step in range(1, max_iter + 1):
        iteration = step
        log_m = np.full(len(pats), math.log(lam))
        log_u = np.full(len(pats), math.log(1.0 - lam))
        for j in range(k):
            valid = pats[:, j] >= 0
            idx = np.where(valid, pats[:, j], 0)
            log_m += np.where(valid, np.log(m[j][idx]), 0.0)
            log_u += np.where(valid, np.log(u[j][idx]), 0.0)
        g = 1.0 / (1.0 + np.exp(np.clip(log_u - log_m, -700, 700)))
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
        if change < tol:
            break
    return m, u, lam, iteration


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


class _LevelModel:
    """What both models share: per-level weight tables, scoring, explanation, JSON."""

    comparisons: list[Comparison]
    weights_: list[np.ndarray]
    prior_weight_: float
    threshold_: float

    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit() first")

    def partial_weights(self, levels: np.ndarray, tf: np.ndarray | None = None) -> np.ndarray:
        """(n, k) partial weights in bits for a level matrix (0 at null levels)."""
        self._check_fitted()
        out = np.empty(levels.shape, dtype=np.float64)
        for j in range(len(self.weights_)):
            out[:, j] = self._column_weights(
                j, np.ascontiguousarray(levels[:, j]), None if tf is None else tf[:, j]
            )
        return out

    def _column_weights(self, j: int, levels: np.ndarray, tf: np.ndarray | None) -> np.ndarray:
        """Partial weights of comparison ``j`` for its int8 levels (0 where null), adjusted by
        the term frequencies ``tf`` where the model adjusts them."""
        # null (-1) reads the 0 put after the level weights
        weights = np.append(self.weights_[j], 0.0)[levels]
        adjust = self._tf_adjustment(j, levels, tf)
        return weights + (0.0 if adjust is None else adjust)

    def _tf_adjustment(
        self, j: int, levels: np.ndarray, tf: np.ndarray | None
    ) -> np.ndarray | None:
        return None

    def score_frame(self, compared: pd.DataFrame, *, chunk_size: int = 1_000_000) -> pd.DataFrame:
        """Compared pairs plus ``<name>_weight``, ``match_weight`` and ``probability``.

        Scored in chunks of ``chunk_size`` pairs, so only the output columns are held whole
        (no (pairs x comparisons) float matrices).
        """
        self._check_fitted()
        n, k = len(compared), len(self.comparisons)
        level_columns = [compared[f"{c.name}_level"].to_numpy() for c in self.comparisons]
        tf_columns = [
            compared[f"{c.name}_tf"].to_numpy() if f"{c.name}_tf" in compared else None
            for c in self.comparisons
        ]
        weight_columns = [np.empty(n, dtype=np.float64) for _ in range(k)]
        match_weight = np.empty(n, dtype=np.float64)
        probability = np.empty(n, dtype=np.float64)
        for start in range(0, n, chunk_size):
            part = slice(start, min(start + chunk_size, n))
            weights = np.empty((part.stop - part.start, k), dtype=np.float64)
            for j in range(k):
                column = tf_columns[j]
                weight = self._column_weights(
                    j, level_columns[j][part], None if column is None else column[part]
                )
                weights[:, j] = weight
                weight_columns[j][part] = np.round(weight, 6)
            total = self.prior_weight_ + weights.sum(axis=1)
            match_weight[part] = np.round(total, 6)
            probability[part] = np.round(probability_from_weight(total), 6)
        data: dict[Any, pd.Series] = {
            c: compared[c] for c in compared if not str(c).endswith("_tf")
        }
        for j, c in enumerate(self.comparisons):
            data[f"{c.name}_weight"] = pd.Series(weight_columns[j], index=compared.index)
        data["match_weight"] = pd.Series(match_weight, index=compared.index)
        data["probability"] = pd.Series(probability, index=compared.index)
        return pd.DataFrame(data, index=compared.index, copy=False)

    def level_table(self) -> pd.DataFrame:
        """One row per comparison level: label, m, u (where known) and weight."""
        rows = []
        for j, c in enumerate(self.comparisons):
            for level in c.levels():
                row: dict[str, Any] = {
                    "comparison": c.name,
                    "level": level.value,
                    "label": level.label,
                }
                if level.is_null:
                    row.update(m=None, u=None, weight=0.0)
                else:
                    row.update(
                        m=self._m(j, level.value),
                        u=self._u(j, level.value),
                        weight=float(self.weights_[j][level.value]),
                    )
                rows.append(row)
        return pd.DataFrame(rows)

    def _m(self, j: int, level: int) -> float | None:
        return None

    def _u(self, j: int, level: int) -> float | None:
        return None

    def save(self, path: str | Path) -> Path:
        """Write the model (settings + parameters) as JSON."""
        path = Path(path)
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True)
        path.write_text(text + "\n", encoding="utf-8")
        return path

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError


class FellegiSunter(_LevelModel):
    """Unsupervised Fellegi–Sunter model: u from random pairs, m by EM, prior from the data.

    Args:
        comparisons: the comparisons whose levels the model weighs.
        u_sample_size: random record pairs drawn to estimate u.
        max_iter: EM iterations at most.
        tol: EM stops when no parameter moves more than this.
        tf_adjust: apply term-frequency adjustments to the levels comparisons mark.
        tf_min_records: no adjustment when fitted on fewer records (their frequencies are noise).
        threshold: match probability cut-off; None chooses the one maximising the expected F1
            of the candidate pairs under the model (no labels needed).
        m_floor: smallest m of a level (where its u is larger): EM drives the m of levels that
            its matches never show to ~1e-8, which would make one disagreeing field cost ~-25
            bits; a floor of 0.01 caps that at ~-6.6 bits. 0 disables it.
        random_state: seed of the random pair sample.
    """

    def __init__(
        self,
        comparisons: Sequence[Comparison],
        *,
        u_sample_size: int = 300_000,
        max_iter: int = 100,
        tol: float = 1e-6,
        tf_adjust: bool = True,
        tf_min_records: int = 1000,
        threshold: float | None = None,
        m_floor: float = 0.01,
        random_state: int = 0,
    ) -> None:
        self.comparisons = list(comparisons)
        self.tf_min_records = tf_min_records
        self.m_floor = m_floor
        self.u_sample_size = u_sample_size
        self.max_iter = max_iter
        self.tol = tol
        self.tf_adjust = tf_adjust
        self.threshold = threshold
        self.random_state = random_state

    # ------------------------------------------------------------------------ fitting

    def fit(
        self,
        features: pd.DataFrame,
        compared: pd.DataFrame,
        *,
        unique_sources: set[str] | None = None,
        known_matches: np.ndarray | None = None,
    ) -> FellegiSunter:
        """Estimate u on random pairs of ``features`` and m, prior on ``compared`` pairs.

        ``known_matches`` (bool per compared pair: a reviewer judged it "same") anchors the
        knowledge-based m when EM's estimate is set aside.
        """
        if not self.comparisons:
            raise ValueError("FellegiSunter needs at least one comparison")
        unique = set(unique_sources or ())
        sources = (
            features["source"].to_numpy(dtype=object)
            if "source" in features
            else np.full(len(features), "", dtype=object)
        )
        il, ir = sample_random_pairs(sources, unique, self.u_sample_size, self.random_state)
        prepared = prepare_all(self.comparisons, features)
        random_levels, _ = compare_indexed(self.comparisons, prepared, il, ir)
        return self.fit_levels(
            level_matrix(compared, self.comparisons),
            random_levels,
            n_possible_pairs=possible_pairs(sources, unique),
            n_records=len(features),
            n_agreeing_pairs=plausibility.agreeing_pairs(features, self.comparisons, unique),
            known_matches=known_matches,
        )

    def fit_levels(
        self,
        candidate_levels: np.ndarray,
        random_levels: np.ndarray,
        *,
        n_possible_pairs: int | None = None,
        n_records: int = 0,
        n_agreeing_pairs: int | None = None,
        known_matches: np.ndarray | None = None,
    ) -> FellegiSunter:
        """Fit from level matrices: candidate pairs (EM for m) and random pairs (u).

        When EM's estimate is implausible (:func:`linkage.plausibility.problems`, or no
        candidate pair would reach the threshold), m falls back to
        :func:`linkage.plausibility.fallback_m`, EM estimates only u and the match share, and
        the prior is counted from the ``n_agreeing_pairs`` records with equal normalised
        names (assuming the name comparison's m of that level) when that count is given.
        ``problems_`` lists the reasons and ``estimation_`` says which estimate was used;
        ``known_matches`` (bool per candidate pair) are anchors of the fallback's m.
        """
        self.n_records_ = int(n_records)
        n_levels = [c.n_levels for c in self.comparisons]
        self.n_candidates_ = len(candidate_levels)
        self.n_judged_same_ = 0 if known_matches is None else int(known_matches.sum())
        possible = n_possible_pairs or max(self.n_candidates_, 1)
        u_init = [_frequency(candidate_levels[:, j], n) for j, n in enumerate(n_levels)]
        found: list[str] = []
        if len(candidate_levels):
            m, u_cand, lam, iterations = em_fit(
                candidate_levels, n_levels, u_init=u_init, max_iter=self.max_iter, tol=self.tol
            )
            found = plausibility.problems(self.comparisons, m, u_cand, candidate_levels)
            if not found:
                self._set(m, u_cand, lam, iterations, lam * self.n_candidates_ / possible)
                self._set_weights(random_levels, candidate_levels, fitted_by_em=True)
                if not self._reached(candidate_levels):
                    found.append("no candidate pair reaches the match threshold")
        if found or not len(candidate_levels):
            m = plausibility.fallback_m(self.comparisons, candidate_levels, known_matches)
            lam, u_cand, iterations = 0.0, [np.full(n, 1.0 / n) for n in n_levels], 0
            if len(candidate_levels):
                _, u_cand, lam, iterations = em_fit(
                    candidate_levels, n_levels, m_init=m, u_init=u_init, fix_m=True,
                    max_iter=self.max_iter, tol=self.tol,
                )  # fmt: skip
            expected = lam * self.n_candidates_
            exact = self._exact_level(m)
            if n_agreeing_pairs is not None and exact is not None:
                expected = max(n_agreeing_pairs, 1) / exact
            self._set(m, u_cand, lam, iterations, expected / possible)
            self._set_weights(random_levels, candidate_levels, fitted_by_em=False)
        self.problems_ = found
        self.estimation_ = "fallback" if found or not len(candidate_levels) else "em"
        return self

    def _set(
        self,
        m: list[np.ndarray],
        u_candidates: list[np.ndarray],
        lam: float,
        iterations: int,
        prior: float,
    ) -> None:
        self.m_, self.u_candidates_, self.lambda_, self.n_iter_ = m, u_candidates, lam, iterations
        self.prior_ = min(max(prior, 1e-12), 0.5)
        self.prior_weight_ = math.log2(self.prior_ / (1.0 - self.prior_))

    def _set_weights(
        self, random_levels: np.ndarray, candidate_levels: np.ndarray, *, fitted_by_em: bool
    ) -> None:
        """u from the random pairs (less their expected matches), floored m, weights and the
        threshold."""
        keep = 0.0 if fitted_by_em else 0.5
        self.u_ = [
            _nonmatch_share(random_levels[:, j], m, self.prior_, keep=keep)
            for j, m in enumerate(self.m_)
        ]
        if not fitted_by_em:
            # a descriptive field (a sector, patent classes) is shared by the firms of one
            # trade, and candidate pairs (firms with like names) are where that shows: random
            # pairs would make its agreement look rarer, and stronger, than it is
            for j, c in enumerate(self.comparisons):
                if c.descriptive:
                    u = np.maximum(self.u_candidates_[j], self.u_[j])
                    self.u_[j] = u / u.sum()
        # EM drives the m of levels its matches never show towards zero; knowledge-based m
        # is deliberate and keeps its small values
        floor = self.m_floor if fitted_by_em else 0.0
        self.m_ = [
            _cap_against(
                _floor_m(m, u, floor),
                u,
                c.against_levels if fitted_by_em else c.against_levels | c.differ_levels,
            )
            for m, u, c in zip(self.m_, self.u_, self.comparisons, strict=True)
        ]
        self.weights_ = [np.log2(mj / uj) for mj, uj in zip(self.m_, self.u_, strict=True)]
        self.threshold_ = (
            self.threshold
            if self.threshold is not None
            else self._expected_f1_threshold(candidate_levels)
        )

    def _exact_level(self, m: list[np.ndarray]) -> float | None:
        """m of the exact-name level of the first company-name comparison, if any."""
        for j, c in enumerate(self.comparisons):
            if isinstance(c, CompanyNameComparison):
                return float(m[j][c.n_levels - 1])
        return None

    def _reached(self, levels: np.ndarray) -> bool:
        """Does any candidate pair reach the threshold?"""
        pats, _ = patterns(levels)
        weight = self.prior_weight_ + self.partial_weights(pats).sum(axis=1)
        return bool((probability_from_weight(weight) >= self.threshold_).any())

    def _expected_f1_threshold(self, levels: np.ndarray) -> float:
        """The probability cut-off maximising the expected F1 over the candidate pairs."""
        if len(levels) == 0:
            return 0.5
        pats, counts = patterns(levels)
        p = probability_from_weight(self.prior_weight_ + self.partial_weights(pats).sum(axis=1))
        order = np.argsort(-p, kind="stable")
        p, counts = p[order], counts[order].astype(np.float64)
        tp = np.cumsum(p * counts)
        predicted = np.cumsum(counts)
        actual = float((p * counts).sum())
        f1 = 2 * tp / (predicted + actual)
        best = int(np.argmax(f1))
        return float(min(max(round(float(p[best]), 6), 0.05), 0.999))

    def _tf_adjustment(
        self, j: int, levels: np.ndarray, tf: np.ndarray | None
    ) -> np.ndarray | None:
        if tf is None or not self.tf_adjust or self.n_records_ < self.tf_min_records:
            return None
        applies = np.flatnonzero(~np.isnan(tf) & (levels >= 0))
        if not len(applies):
            return None
        u = self.u_[j][levels[applies]]
        out = np.zeros(len(levels), dtype=np.float64)
        # only common values change the weight: a value held by one entity keeps the
        # level's weight, one held by many weighs less (never more than the level)
        out[applies] = np.log2(u / np.maximum(tf[applies], u))
        return out

    def _m(self, j: int, level: int) -> float | None:
        return float(self.m_[j][level])

    def _u(self, j: int, level: int) -> float | None:
        return float(self.u_[j][level])

    # ------------------------------------------------------------------------ JSON

    def to_dict(self) -> dict[str, Any]:
        """Settings and (when fitted) parameters, JSON-ready."""
        data: dict[str, Any] = {
            "format": MODEL_FORMAT,
            "model": "fellegi_sunter",
            "settings": {
                "comparisons": [c.to_dict() for c in self.comparisons],
                "u_sample_size": self.u_sample_size,
                "max_iter": self.max_iter,
                "tol": self.tol,
                "tf_adjust": self.tf_adjust,
                "tf_min_records": self.tf_min_records,
                "threshold": self.threshold,
                "m_floor": self.m_floor,
                "random_state": self.random_state,
            },
        }
        if hasattr(self, "weights_"):
            data["parameters"] = {
                "m": {c.name: _r(self.m_[j]) for j, c in enumerate(self.comparisons)},
                "u": {c.name: _r(self.u_[j]) for j, c in enumerate(self.comparisons)},
                "u_candidates": {
                    c.name: _r(self.u_candidates_[j]) for j, c in enumerate(self.comparisons)
                },
                "lambda": round(self.lambda_, 12),
                "prior": self.prior_,
                "prior_weight": round(self.prior_weight_, 9),
                "threshold": self.threshold_,
                "n_iter": self.n_iter_,
                "n_candidates": self.n_candidates_,
                "n_records": self.n_records_,
                "estimation": self.estimation_,
                "problems": list(self.problems_),
                "judged_same": self.n_judged_same_,
            }
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FellegiSunter:
        """Rebuild a (fitted) model from :meth:`to_dict` output."""
        settings = dict(data["settings"])
        comparisons = [comparison_from_dict(c) for c in settings.pop("comparisons")]
        model = cls(comparisons, **settings)
        params = data.get("parameters")
        if params:
            names = [c.name for c in comparisons]
            model.m_ = [np.asarray(params["m"][n], dtype=np.float64) for n in names]
            model.u_ = [np.asarray(params["u"][n], dtype=np.float64) for n in names]
            model.u_candidates_ = [
                np.asarray(params["u_candidates"][n], dtype=np.float64) for n in names
            ]
            model.lambda_ = float(params["lambda"])
            model.prior_ = float(params["prior"])
            model.prior_weight_ = math.log2(model.prior_ / (1.0 - model.prior_))
            model.threshold_ = float(params["threshold"])
            model.n_iter_ = int(params["n_iter"])
            model.n_candidates_ = int(params["n_candidates"])
            model.n_records_ = int(params.get("n_records", 0))
            model.estimation_ = str(params.get("estimation", "em"))
            model.problems_ = list(params.get("problems", []))
            model.n_judged_same_ = int(params.get("judged_same", 0))
            model.weights_ = [np.log2(m / u) for m, u in zip(model.m_, model.u_, strict=True)]
        return model


class SupervisedModel(_LevelModel):
    """Logistic regression on one-hot comparison levels (null = all zero), in bits.

    Args:
        comparisons: the comparisons whose levels the model weighs.
        C: inverse regularisation strength (scikit-learn's ``C``).
        threshold: probability cut-off (default 0.5).
        random_state: passed to the solver.
    """

    def __init__(
        self,
        comparisons: Sequence[Comparison],
        *,
        C: float = 1.0,
        threshold: float = 0.5,
        random_state: int = 0,
    ) -> None:
        self.comparisons = list(comparisons)
        self.C = C
        self.threshold = threshold
        self.random_state = random_state

    def _one_hot(self, levels: np.ndarray) -> np.ndarray:
        blocks = []
        for j, c in enumerate(self.comparisons):
            blocks.append(
                (levels[:, j][:, None] == np.arange(c.n_levels)[None, :]).astype(np.float64)
            )
        return np.hstack(blocks) if blocks else np.zeros((len(levels), 0))

    def fit(self, compared: pd.DataFrame, y: Sequence[bool] | np.ndarray) -> SupervisedModel:
        """Fit on compared pairs (``<name>_level`` columns) and their match labels."""
        return self.fit_levels(level_matrix(compared, self.comparisons), np.asarray(y))

    def fit_levels(self, levels: np.ndarray, y: np.ndarray) -> SupervisedModel:
        """Fit on a level matrix and labels."""
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(y).astype(bool)
        if len(np.unique(y)) < 2:
            raise ValueError("SupervisedModel needs both matching and non-matching pairs")
        model = LogisticRegression(C=self.C, max_iter=2000, random_state=self.random_state)
        model.fit(self._one_hot(levels), y)
        coef = model.coef_[0] / LN2
        self.weights_ = []
        start = 0
        for c in self.comparisons:
            self.weights_.append(coef[start : start + c.n_levels].astype(np.float64))
            start += c.n_levels
        self.prior_weight_ = float(model.intercept_[0] / LN2)
        self.threshold_ = float(self.threshold)
        return self

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": MODEL_FORMAT,
            "model": "supervised",
            "settings": {
                "comparisons": [c.to_dict() for c in self.comparisons],
                "C": self.C,
                "threshold": self.threshold,
                "random_state": self.random_state,
            },
        }
        if hasattr(self, "weights_"):
            data["parameters"] = {
                "weights": {c.name: _r(self.weights_[j]) for j, c in enumerate(self.comparisons)},
                "prior_weight": self.prior_weight_,
                "threshold": self.threshold_,
            }
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SupervisedModel:
        settings = dict(data["settings"])
        comparisons = [comparison_from_dict(c) for c in settings.pop("comparisons")]
        model = cls(comparisons, **settings)
        params = data.get("parameters")
        if params:
            model.weights_ = [
                np.asarray(params["weights"][c.name], dtype=np.float64) for c in comparisons
            ]
            model.prior_weight_ = float(params["prior_weight"])
            model.threshold_ = float(params["threshold"])
        return model


def _nonmatch_share(
    column: np.ndarray, m: np.ndarray, prior: float, *, keep: float = 0.0
) -> np.ndarray:
    """u from random pairs, less the share of true matches they contain, floored.

    Random pairs hold about ``prior`` matches; in small data sets those dominate the rare
    levels (an exact name), so ``u = (P_random - prior * m) / (1 - prior)``, floored at half a
    pair of the sample. ``keep`` is the share of each level that the correction leaves at
    least: where prior and m are guesses, too large a guess would make a level look as if
    random pairs never showed it.
    """
    n = len(m)
    valid = column[column >= 0].astype(np.int64)
    if len(valid) == 0:
        return np.full(n, 1.0 / n)
    observed = np.bincount(valid, minlength=n)[:n].astype(np.float64) / len(valid)
    u = np.maximum(observed - prior * m, keep * observed) / (1.0 - prior)
    u = np.maximum(u, 0.5 / len(valid))
    return u / u.sum()


def _floor_m(m: np.ndarray, u: np.ndarray, floor: float) -> np.ndarray:
    """m raised to ``min(floor, u)`` per level and renormalised (a floor never makes a weight
    positive)."""
    if floor <= 0:
        return m
    raised = np.maximum(m, np.minimum(floor, u))
    return raised / raised.sum()


def _cap_against(m: np.ndarray, u: np.ndarray, levels: frozenset[int]) -> np.ndarray:
    """m no larger than u at the levels that are evidence against a match (weight <= 0); the
    mass taken goes to the other levels in proportion."""
    if not levels:
        return m
    at = np.array(sorted(levels), dtype=np.int64)
    excess = np.maximum(m[at] - u[at], 0.0)
    if not excess.any():
        return m
    out = m.copy()
    out[at] -= excess
    others = np.setdiff1d(np.arange(len(m)), at)
    out[others] += excess.sum() * out[others] / out[others].sum()
    return out


def _frequency(column: np.ndarray, n: int, pseudo_count: float = 1.0) -> np.ndarray:
    valid = column[column >= 0]
    counts = np.bincount(valid.astype(np.int64), minlength=n)[:n].astype(np.float64)
    counts += pseudo_count
    return counts / counts.sum()


def _r(values: np.ndarray) -> list[float]:
    return [float(f"{v:.12g}") for v in values]


def load_model(path: str | Path) -> FellegiSunter | SupervisedModel:
    """Load a model saved with ``save`` (either kind)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return model_from_dict(data)


def model_from_dict(data: dict[str, Any]) -> FellegiSunter | SupervisedModel:
    """Rebuild either kind of model from its JSON form."""
    if data.get("model") == "supervised":
        return SupervisedModel.from_dict(data)
    return FellegiSunter.from_dict(data)


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


__all__ = [
    "NULL",
    "FellegiSunter",
    "SupervisedModel",
    "em_fit",
    "load_model",
    "model_from_dict",
    "score_pairs",
]
