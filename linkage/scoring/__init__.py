"""Scoring: a Fellegi–Sunter model over comparison levels, with explainable weights.

:mod:`~linkage.scoring.fellegi_sunter` (the model, see there), :mod:`~linkage.scoring.supervised`
(a logistic regression on the same levels), :mod:`~linkage.scoring.estimation` (EM, random
pairs), :mod:`~linkage.scoring.base` (what both share), :mod:`~linkage.scoring.models` (fitted
with the config's settings; JSON), :mod:`~linkage.scoring.decisions` (the scored pairs and their
decisions) and :mod:`~linkage.scoring.cutoff` (the automatic cut-off raised for the clusters).
"""

from linkage.compare import NULL
from linkage.scoring.base import LevelModel
from linkage.scoring.cutoff import clustered_threshold, raise_threshold
from linkage.scoring.decisions import AGAINST_BITS, agreement, score_pairs
from linkage.scoring.estimation import (
    em_fit,
    level_matrix,
    possible_pairs,
    probability_from_weight,
    sample_random_pairs,
    tf_matrix,
    weight_from_probability,
)
from linkage.scoring.fellegi_sunter import FellegiSunter
from linkage.scoring.models import fit_model, load_model, model_from_dict
from linkage.scoring.supervised import SupervisedModel

__all__ = [
    "AGAINST_BITS",
    "NULL",
    "FellegiSunter",
    "LevelModel",
    "SupervisedModel",
    "agreement",
    "clustered_threshold",
    "em_fit",
    "fit_model",
    "level_matrix",
    "load_model",
    "model_from_dict",
    "possible_pairs",
    "probability_from_weight",
    "raise_threshold",
    "sample_random_pairs",
    "score_pairs",
    "tf_matrix",
    "weight_from_probability",
]
