"""The blocking stage: a run's candidate pairs, found in full or, given what the previous run's
blocking left, only around the new, changed and removed records (:mod:`~linkage.blocking.local`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkage.blocking.local import cached_candidate_pairs
from linkage.blocking.pairs import BlockingReport, full_candidate_pairs
from linkage.blocking.rules import BlockingRule
from linkage.blocking.state import load_key_state

LOCAL_BLOCKING = True
"""Whether a run given the previous run's blocking blocks locally (off: in full)."""


def blocking_settings(
    rules: Sequence[BlockingRule], unique_sources: set[str], max_block_size: int
) -> dict[str, Any]:
    """What a run's candidate pairs depend on besides the features: the next run blocks
    locally only when it blocks with the same."""
    return {
        "rules": [r.to_dict() for r in rules],
        "unique_sources": sorted(unique_sources),
        "max_block_size": max_block_size,
    }


@dataclass
class PreviousBlocking:
    """What the previous run's blocking left for this one.

    Attributes:
        settings: its :func:`blocking_settings`.
        pairs: its candidate pairs: ``idx_l``, ``idx_r`` (its rows) and ``rule`` (index into
            its rules).
        folder: where it saved its keys (:func:`linkage.blocking.save_key_state`).
        touched: per record now, whether it is new or changed.
        old_rows: per record now, its row in the previous run (-1: new).
    """

    settings: dict[str, Any] | None
    pairs: pd.DataFrame
    folder: Path
    touched: np.ndarray
    old_rows: np.ndarray


def candidate_pairs(
    features: pd.DataFrame,
    rules: Sequence[BlockingRule],
    *,
    unique_sources: set[str],
    max_block_size: int = 200,
    keep_keys: bool = False,
    previous: PreviousBlocking | None = None,
) -> tuple[pd.DataFrame, BlockingReport]:
    """Candidate pairs ``uid_l < uid_r`` with the (first) rule that found each, and the report.

    ``features`` must be sorted by uid. ``max_block_size`` is the cap for rules that leave
    theirs unset. With ``keep_keys``, ``report.key_state`` holds every rule's keys for the next
    run (:func:`linkage.blocking.save_key_state`). Given ``previous`` blocked with the same
    settings, only the new and changed records' keys are built and the pairs recomputed around
    them (``report.mode`` is ``"local"``, and ``report.key_state`` is set); else, or when its
    keys do not fit, blocking runs in full. The pairs and report are the same either way.
    """
    if (
        previous is not None
        and LOCAL_BLOCKING
        and previous.settings == blocking_settings(rules, unique_sources, max_block_size)
        and "rule" in previous.pairs
    ):
        state = load_key_state(previous.folder)
        found = None
        if state is not None:
            found = cached_candidate_pairs(
                features,
                rules,
                unique_sources=unique_sources,
                max_block_size=max_block_size,
                touched=previous.touched,
                old_rows=previous.old_rows,
                old_pairs=previous.pairs[["idx_l", "idx_r", "rule"]],
                state=state,
            )
        if found is not None:
            found[1].mode = "local"
            return found[0], found[1]
    return full_candidate_pairs(
        features,
        rules,
        unique_sources=unique_sources,
        max_block_size=max_block_size,
        keep_keys=keep_keys,
    )
