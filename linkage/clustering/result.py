"""What clustering produces: the memberships and the merge log (``Clustering``), the log's
columns, the reasons a union can be refused, and entity ids."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

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


_CHUNK = 1 << 20  # pairs at a time: temporaries of a few MB, not of the millions of pairs


def pair_outcomes(
    scored: pd.DataFrame, uids: np.ndarray, memberships: pd.DataFrame, merges: pd.DataFrame
) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray]:
    """Per scored pair (``idx_l``, ``idx_r``: rows of ``uids``), whether clustering put its two
    records in one entity, and why it refused the pair's own union when it did (the merge
    log's reason; None when the union was not refused, or not tried because the two were
    already apart by other refusals or together by other unions), as Arrow strings: no
    Python object per pair."""
    position = pd.Index(uids)
    n = len(uids)
    entity = np.full(n, -1, dtype=np.int32)  # each record's entity, as a code
    rows = position.get_indexer(memberships["uid"].to_numpy(dtype=object))
    entity[rows] = pd.factorize(memberships["entity_id"].to_numpy(dtype=object))[0]
    left = scored["idx_l"].to_numpy(dtype=np.int64)
    right = scored["idx_r"].to_numpy(dtype=np.int64)
    refused = merges[~merges["accepted"].astype(bool)]
    a = position.get_indexer(refused["uid_l"].to_numpy(dtype=object))
    b = position.get_indexer(refused["uid_r"].to_numpy(dtype=object))
    codes, names = pd.factorize(refused["reason"].astype(str).to_numpy(dtype=object))
    by_pair = pd.Series(codes, index=np.minimum(a, b) * n + np.maximum(a, b))
    by_pair = by_pair[~by_pair.index.duplicated()]
    refused_pairs, refused_codes = pd.Index(by_pair.index), by_pair.to_numpy()
    same = np.empty(len(scored), dtype=bool)
    reason = np.full(len(scored), -1, dtype=np.int32)
    for start in range(0, len(scored), _CHUNK):
        part = slice(start, start + _CHUNK)
        same[part] = entity[left[part]] == entity[right[part]]
        if len(refused_pairs):
            at = refused_pairs.get_indexer(left[part] * n + right[part])
            reason[part] = np.where(at >= 0, refused_codes[np.maximum(at, 0)], -1)
    indices = pa.array(reason, mask=reason < 0)
    text = pa.DictionaryArray.from_arrays(indices, pa.array([str(x) for x in names], pa.string()))
    return same, pd.arrays.ArrowExtensionArray(text.dictionary_decode())
