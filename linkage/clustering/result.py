"""What clustering produces: the memberships and the merge log (``Clustering``), the log's
columns, the reasons a union can be refused, and entity ids."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from linkage.clustering.identifiers import Identifiers

REASONS = ("identifier", "branch", "unit", "unique_source", "judgement")
"""Why a union can be refused; ``identifier`` reasons carry the prefix (``identifier:uscc``)."""

MERGE_COLUMNS = (
    "step",
    "uid_l",
    "uid_r",
    "kind",
    "evidence",
    "weight",
    "confidence",
    "accepted",
    "reason",
    "entity_l",
    "entity_r",
)


def entity_id_for(uid: str) -> str:
    """A short, stable entity id derived from a member uid."""
    return "E" + hashlib.sha256(uid.encode("utf-8")).hexdigest()[:12]


@dataclass
class Clustering:
    """What clustering produced.

    Attributes:
        memberships: ``source, record_id, uid, entity_id, confidence``, one row per record, by uid.
        merges: every union tried between two components, in processing order (``MERGE_COLUMNS``):
            ``kind`` is ``judgement``, ``identifier`` or the pair's ``decided_by``; ``evidence`` the
            shared key or the rules; ``accepted`` False with ``reason`` for a refusal;
            ``entity_l``/``entity_r`` the final entities of the two records.
        stats: counts for the manifest (edges by kind, unions, refusals by reason).
    """

    memberships: pd.DataFrame
    merges: pd.DataFrame
    stats: dict[str, object] = field(default_factory=dict)
    # the merge log as arrays (record positions, and each scored edge's rank in processing
    # order, -1 for must-links) and the attempts per kind: what at_higher_cutoff() reuses
    log: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    tried: Counter[str] = field(default_factory=Counter, repr=False)
    # the records' parsed identifier keys: what at_higher_cutoff() and a second cluster()
    # of the same features reuse (the pipeline drops the clustering once done)
    identifiers: Identifiers | None = field(default=None, repr=False)
    # how many records kept the previous run's components (:func:`cluster_stage`)
    reused_records: int = field(default=0, repr=False)
