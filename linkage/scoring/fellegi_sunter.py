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

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from linkage import plausibility
from linkage.compare import (
    CompanyNameComparison,
    Comparison,
    Prepared,
    compare_indexed,
    comparison_from_dict,
    prepare_all,
)
from linkage.scoring.base import MODEL_FORMAT, LevelModel, rounded
from linkage.scoring.estimation import (
    em_fit,
    level_matrix,
    patterns,
    possible_pairs,
    probability_from_weight,
    sample_random_pairs,
)
from linkage.scoring.judged import labels_of, learning_decision


class FellegiSunter(LevelModel):
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
        learn_from_judgements: fit EM with the classes of the pairs reviewers judged known
            (:mod:`linkage.scoring.judged`): True, False, or None for automatic
            (:func:`linkage.scoring.judged.learning_decision`).
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
        learn_from_judgements: bool | None = None,
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
        self.learn_from_judgements = learn_from_judgements
        self.random_state = random_state

    # ------------------------------------------------------------------------ fitting

    def fit(
        self,
        features: pd.DataFrame,
        compared: pd.DataFrame,
        *,
        unique_sources: set[str] | None = None,
        judged: np.ndarray | None = None,
        prepared: list[Prepared] | None = None,
    ) -> FellegiSunter:
        """Estimate u on random pairs of ``features`` and m, prior on ``compared`` pairs.

        ``judged`` (per compared pair: a reviewer's "same" or "different", else None) is
        learned from when ``learn_from_judgements`` says so (:meth:`fit_levels`).
        ``prepared`` is ``prepare_all(self.comparisons, features)`` when the caller holds it
        already.
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
        if prepared is None:
            prepared = prepare_all(self.comparisons, features)
        # u is the chance that unrelated records agree at all: a voided agreement (a phone
        # at another address) is still one there, however little it says of a match
        random_levels, _ = compare_indexed(self.comparisons, prepared, il, ir, void=False)
        return self.fit_levels(
            level_matrix(compared, self.comparisons),
            random_levels,
            n_possible_pairs=possible_pairs(sources, unique),
            n_records=len(features),
            n_agreeing_pairs=plausibility.agreeing_pairs(features, self.comparisons, unique),
            judged=judged,
        )

    def fit_levels(
        self,
        candidate_levels: np.ndarray,
        random_levels: np.ndarray,
        *,
        n_possible_pairs: int | None = None,
        n_records: int = 0,
        n_agreeing_pairs: int | None = None,
        judged: np.ndarray | None = None,
    ) -> FellegiSunter:
        """Fit from level matrices: candidate pairs (EM for m) and random pairs (u).

        When EM's estimate is implausible (:func:`linkage.plausibility.problems`, or no
        candidate pair would reach the threshold), m falls back to
        :func:`linkage.plausibility.fallback_m`, EM estimates only u and the match share, and
        the prior is counted from the ``n_agreeing_pairs`` records with equal normalised
        names (assuming the name comparison's m of that level) when that count is given.
        ``problems_`` lists the reasons and ``estimation_`` says which estimate was used.
        ``judged`` (a verdict or None per candidate pair), when learning applies, fixes the
        class of the judged pairs in EM (``judgements_`` says what was learned).
        """
        self.n_records_ = int(n_records)
        n_levels = [c.n_levels for c in self.comparisons]
        self.n_candidates_ = len(candidate_levels)
        labels = self._labels(judged)
        possible = n_possible_pairs or max(self.n_candidates_, 1)
        u_init = [_frequency(candidate_levels[:, j], n) for j, n in enumerate(n_levels)]
        found: list[str] = []
        if len(candidate_levels):
            m, u_cand, lam, iterations, trace = em_fit(
                candidate_levels, n_levels, u_init=u_init, max_iter=self.max_iter, tol=self.tol,
                labels=labels,
            )  # fmt: skip
            self.em_trace_ = trace
            if labels is not None:  # what the judgements changed
                unlabelled = em_fit(
                    candidate_levels, n_levels, u_init=u_init, max_iter=self.max_iter, tol=self.tol
                )
                self.judgements_["largest_m_change"] = _largest_change(unlabelled.m, m)
            found = plausibility.problems(self.comparisons, m, u_cand, candidate_levels)
            if not found:
                self._set(m, u_cand, lam, iterations, lam * self.n_candidates_ / possible)
                self._set_weights(random_levels, candidate_levels, fitted_by_em=True)
                if not self._reached(candidate_levels):
                    found.append("no candidate pair reaches the match threshold")
        if found or not len(candidate_levels):
            m = plausibility.fallback_m(self.comparisons, candidate_levels)
            lam, u_cand, iterations = 0.0, [np.full(n, 1.0 / n) for n in n_levels], 0
            self.em_trace_ = []
            if len(candidate_levels):
                _, u_cand, lam, iterations, self.em_trace_ = em_fit(
                    candidate_levels, n_levels, m_init=m, u_init=u_init, fix_m=True,
                    max_iter=self.max_iter, tol=self.tol, labels=labels,
                )  # fmt: skip
            expected = lam * self.n_candidates_
            exact = self._exact_level(m)
            if n_agreeing_pairs is not None and exact is not None:
                expected = max(n_agreeing_pairs, 1) / exact
            self._set(m, u_cand, lam, iterations, expected / possible)
            self._set_weights(random_levels, candidate_levels, fitted_by_em=False)
        self.problems_ = found
        self.estimation_ = "fallback" if found or not len(candidate_levels) else "em"
        if labels is not None and self.estimation_ == "fallback":
            # EM's m was set aside: the judged pairs' classes fixed only u and the match share
            self.judgements_.pop("largest_m_change", None)
            self.judgements_["m"] = "knowledge-based: EM's estimate was set aside"
        return self

    def _labels(self, judged: np.ndarray | None) -> np.ndarray | None:
        """The judged pairs' classes for EM when learning from them applies (else None);
        sets ``judgements_`` and ``n_judged_same_``."""
        self.judgements_: dict[str, Any] = {}
        self.n_judged_same_ = 0 if judged is None else int((judged == "same").sum())
        if judged is None or not pd.notna(judged).any():
            return None
        learn, why_not = learning_decision(self.learn_from_judgements, judged)
        self.judgements_ = {
            "same": self.n_judged_same_,
            "different": int((judged == "different").sum()),
            "learned": learn,
        }
        if not learn:
            self.judgements_["why_not"] = why_not
            return None
        return labels_of(judged)

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
        """The probability cut-off maximising the expected F1 over the candidate pairs.

        Predicting no match at all scores 1 when there is none, with probability
        ``prod(1 - p)``: negligible on real inputs, but on a handful of pairs that are all
        unlikely (two unrelated firms, P(match) 0.14) it beats joining the likeliest, and the
        cut-off then stays above every pair (at least 0.5)."""
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
        none_match = float(np.exp((counts * np.log1p(-np.minimum(p, 1 - 1e-12))).sum()))
        if none_match > f1[best]:
            return float(min(max(0.5, round(float(p[0]), 6) + 1e-6), 0.999))
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

    def m_of(self, j: int, level: int) -> float | None:
        return float(self.m_[j][level])

    def u_of(self, j: int, level: int) -> float | None:
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
                "learn_from_judgements": self.learn_from_judgements,
                "random_state": self.random_state,
            },
        }
        if hasattr(self, "weights_"):
            data["parameters"] = {
                "m": {c.name: rounded(self.m_[j]) for j, c in enumerate(self.comparisons)},
                "u": {c.name: rounded(self.u_[j]) for j, c in enumerate(self.comparisons)},
                "u_candidates": {
                    c.name: rounded(self.u_candidates_[j]) for j, c in enumerate(self.comparisons)
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
                "judgements": getattr(self, "judgements_", {}),
                "em_trace": {
                    "match_share": [float(f"{share:.6g}") for share, _ in self.em_trace_],
                    "largest_change": [float(f"{change:.3g}") for _, change in self.em_trace_],
                },
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
            model.judgements_ = dict(params.get("judgements", {}))
            trace = params.get("em_trace", {})
            model.em_trace_ = list(
                zip(trace.get("match_share", []), trace.get("largest_change", []), strict=True)
            )
            model.weights_ = [np.log2(m / u) for m, u in zip(model.m_, model.u_, strict=True)]
        return model


def _largest_change(before: list[np.ndarray], after: list[np.ndarray]) -> float:
    """The largest move of any level's probability."""
    return round(max(float(np.abs(a - b).max()) for a, b in zip(before, after, strict=True)), 6)


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
