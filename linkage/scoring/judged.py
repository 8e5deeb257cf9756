"""Learning from reviewers' judgements: when to, and in which form.

Judged pairs come from the review queue, chosen by what the run observed: they crowd around
the threshold and are no sample of the matches, so m is not counted from them. They enter EM
with their class known instead (:func:`linkage.scoring.estimation.em_fit` with ``labels``):
the judged pairs pin EM's split where it was least sure, and every other pair keeps its
posterior. The threshold then follows from the refitted model as without judgements (the best
expected F1, raised for the clusters). Setting the threshold directly where the judged pairs
are as likely same as different was tried and lost F1 on real sets
(``benchmarks/results/review.md``): the queue's choice also follows the entities around a
pair, which the weight alone does not see.
"""

from __future__ import annotations

import numpy as np

MIN_JUDGED = 50
"""Judged candidate pairs ("same" or "different") from which learning is automatic."""
MIN_EACH = 10
"""... of which at least this many of each verdict."""


def learning_decision(setting: bool | None, verdicts: np.ndarray) -> tuple[bool, str]:
    """Whether to learn from the judged pairs (``verdicts``: "same", "different" or None per
    candidate pair) under ``[matching] learn_from_judgements``, and why not when not."""
    same, different = int((verdicts == "same").sum()), int((verdicts == "different").sum())
    if setting is False:
        return False, "learn_from_judgements = false"
    if not same or not different:
        return False, f"needs judged pairs of both verdicts ({same} same, {different} different)"
    if setting is None and (same + different < MIN_JUDGED or min(same, different) < MIN_EACH):
        return False, (
            f"{same + different} judged candidate pairs ({same} same, {different} different): "
            f"learning is automatic from {MIN_JUDGED}, with {MIN_EACH} of each verdict"
        )
    return True, ""


def labels_of(verdicts: np.ndarray) -> np.ndarray:
    """Per pair: 1 judged "same", 0 judged "different", -1 not judged (int8)."""
    return np.where(verdicts == "same", 1, np.where(verdicts == "different", 0, -1)).astype(np.int8)
