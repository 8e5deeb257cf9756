"""Constrained clustering: group records into entities, strongest evidence first.

:mod:`~linkage.clustering.core` (the clustering and its constraints, see there),
:mod:`~linkage.clustering.components` (the union-find that checks them),
:mod:`~linkage.clustering.identifiers` (records' identifier keys),
:mod:`~linkage.clustering.edges` (the order edges are walked in),
:mod:`~linkage.clustering.judgements` (reviewers' verdicts),
:mod:`~linkage.clustering.result` (what clustering produces),
:mod:`~linkage.clustering.local` (clustering only the components that changed) and
:mod:`~linkage.clustering.stage` (the stage: either, given the previous run's clustering).
"""

from linkage.clustering.core import at_higher_cutoff, cluster, clustering_stats
from linkage.clustering.identifiers import Identifiers, record_identifiers
from linkage.clustering.judgements import (
    Verdict,
    apply_judgements,
    normalise_judgements,
    verdicts,
)
from linkage.clustering.local import components_of_run, incremental_cluster, judgements_digest
from linkage.clustering.result import (
    MERGE_COLUMNS,
    REASONS,
    Clustering,
    entity_id_for,
    pair_outcomes,
)
from linkage.clustering.stage import PreviousClusters, cluster_stage, clustering_settings

__all__ = [
    "MERGE_COLUMNS",
    "REASONS",
    "Clustering",
    "Identifiers",
    "PreviousClusters",
    "Verdict",
    "apply_judgements",
    "at_higher_cutoff",
    "cluster",
    "cluster_stage",
    "clustering_settings",
    "clustering_stats",
    "components_of_run",
    "entity_id_for",
    "incremental_cluster",
    "judgements_digest",
    "normalise_judgements",
    "pair_outcomes",
    "record_identifiers",
    "verdicts",
]
