"""What both models share: partial weights per level (with term-frequency adjustments),
scoring a compared frame, the level table, and JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkage.compare import (
    Comparison,
)
from linkage.scoring.estimation import probability_from_weight

MODEL_FORMAT = 1


class LevelModel:
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
                        m=self.m_of(j, level.value),
                        u=self.u_of(j, level.value),
                        weight=float(self.weights_[j][level.value]),
                    )
                rows.append(row)
        return pd.DataFrame(rows)

    def m_of(self, j: int, level: int) -> float | None:
        """P(level | same entity) of comparison ``j``, where the model has one."""
        return None

    def u_of(self, j: int, level: int) -> float | None:
        """P(level | two random records) of comparison ``j``, where the model has one."""
        return None

    def save(self, path: str | Path) -> Path:
        """Write the model (settings + parameters) as JSON."""
        path = Path(path)
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True)
        path.write_text(text + "\n", encoding="utf-8")
        return path

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError


def rounded(values: np.ndarray) -> list[float]:
    return [float(f"{v:.12g}") for v in values]
