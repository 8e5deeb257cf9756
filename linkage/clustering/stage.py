"""The clustering stage: a run's entities, clustered in full or, given what the previous run's
clustering left, only in the components that changed (:mod:`~linkage.clustering.local`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from linkage.clustering.core import cluster
from linkage.clustering.identifiers import Identifiers
from linkage.clustering.local import incremental_cluster, judgements_digest
from linkage.clustering.result import Clustering


def clustering_settings(
    unique_sources: set[str] | frozenset[str], judgements: pd.DataFrame | None
) -> dict[str, object]:
    """What clustering depends on besides the records and the scored pairs: the next run
    reuses components only when it clusters with the same."""
    return {"unique_sources": sorted(unique_sources), "judgements": judgements_digest(judgements)}


@dataclass
class PreviousClusters:
    """What the previous run's clustering left for this one.

    Attributes:
        settings: its :func:`clustering_settings`.
        component, entity: per previous record, its component label and entity id.
        edges: its matched pairs (``idx_l``, ``idx_r``: its rows; ``weight``, ``kind``,
            ``evidence``).
        merges: its merge log (without ``step`` and the entity ids).
        unchanged: per record now, whether its raw values hash as in the previous run.
        old_rows: per record now, its row in the previous run (-1: new).
    """

    settings: dict[str, object] | None
    component: np.ndarray
    entity: np.ndarray
    edges: pd.DataFrame
    merges: pd.DataFrame
    unchanged: np.ndarray
    old_rows: np.ndarray


def cluster_stage(
    features: pd.DataFrame,
    scored: pd.DataFrame,
    *,
    unique_sources: set[str] | frozenset[str] = frozenset(),
    judgements: pd.DataFrame | None = None,
    identifiers: Identifiers | None = None,
    previous: PreviousClusters | None = None,
) -> Clustering:
    """:func:`cluster` of the scored pairs; given ``previous`` clustered with the same unique
    sources and judgements, the components nothing touched keep their entities and merge-log
    rows (``reused_records`` counts their records). The same result either way."""
    if previous is None or previous.settings != clustering_settings(unique_sources, judgements):
        return cluster(
            features,
            scored,
            unique_sources=unique_sources,
            judgements=judgements,
            identifiers=identifiers,
        )
    clustering, reused = incremental_cluster(
        features,
        scored,
        unique_sources=set(unique_sources),
        judgements=judgements,
        unchanged=previous.unchanged,
        old_rows=previous.old_rows,
        old_component=previous.component,
        old_entity=previous.entity,
        old_edges=previous.edges,
        old_merges=previous.merges,
    )
    clustering.reused_records = reused
    return clustering
