"""Models fitted with the config's settings, saved as JSON and read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkage.compare import Comparison, Prepared
from linkage.scoring.fellegi_sunter import FellegiSunter
from linkage.scoring.supervised import SupervisedModel


def load_model(path: str | Path) -> FellegiSunter | SupervisedModel:
    """Load a model saved with ``save`` (either kind)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return model_from_dict(data)


def model_from_dict(data: dict[str, Any]) -> FellegiSunter | SupervisedModel:
    """Rebuild either kind of model from its JSON form."""
    if data.get("model") == "supervised":
        return SupervisedModel.from_dict(data)
    return FellegiSunter.from_dict(data)


def fit_model(
    config: Any,
    features: pd.DataFrame,
    compared: pd.DataFrame,
    comparisons: list[Comparison],
    unique_sources: set[str],
    judged: np.ndarray | None = None,
    prepared: list[Prepared] | None = None,
) -> FellegiSunter:
    """A Fellegi–Sunter model with the config's settings, fitted on this run's data
    (``judged``: per compared pair a reviewer's "same" or "different", else None;
    ``prepared``: the comparisons' prepared arrays, when the caller holds them)."""
    matching = config.matching
    model = FellegiSunter(
        comparisons,
        u_sample_size=matching.u_sample_size,
        tf_adjust=matching.tf_adjust,
        threshold=matching.threshold,
        learn_from_judgements=matching.learn_from_judgements,
        random_state=matching.seed,
    )
    return model.fit(
        features,
        compared,
        unique_sources=unique_sources,
        judged=judged,
        prepared=prepared,
    )
