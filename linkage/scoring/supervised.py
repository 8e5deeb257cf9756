"""The labelled alternative: a logistic regression on one-hot levels, with the same
decomposition into weights (coefficients in bits)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from linkage.compare import (
    Comparison,
    comparison_from_dict,
)
from linkage.scoring.base import MODEL_FORMAT, LevelModel, rounded
from linkage.scoring.estimation import LN2, level_matrix


class SupervisedModel(LevelModel):
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
                "weights": {
                    c.name: rounded(self.weights_[j]) for j, c in enumerate(self.comparisons)
                },
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
