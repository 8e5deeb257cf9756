"""Automatic threshold: the expected F1 of the clusters, not of the pairs."""

from __future__ import annotations

import pandas as pd

from linkage.clustering import cluster
from linkage.scoring import clustered_threshold, raise_threshold


def _scored(rows: list[tuple[int, int, float]], threshold: float) -> pd.DataFrame:
    uids = [f"s:{i}" for i in range(6)]
    return pd.DataFrame(
        {
            "idx_l": [r[0] for r in rows],
            "idx_r": [r[1] for r in rows],
            "uid_l": [uids[r[0]] for r in rows],
            "uid_r": [uids[r[1]] for r in rows],
            "probability": [r[2] for r in rows],
            "score": [r[2] for r in rows],
            "match_weight": [r[2] * 10 for r in rows],
            "decided_by": "model",
            "is_match": [r[2] >= threshold for r in rows],
        }
    )


def test_a_weak_edge_that_chains_two_clusters_is_cut() -> None:
    features = pd.DataFrame(
        {"uid": [f"s:{i}" for i in range(6)], "source": "s", "record_id": list("012345")}
    )
    # two sure triangles 0-1-2 and 3-4-5, one 0.6 edge between them, the cross pairs unlikely
    rows = [(0, 1, 0.99), (0, 2, 0.99), (1, 2, 0.99), (3, 4, 0.99), (3, 5, 0.99), (4, 5, 0.99)]
    rows += [(2, 3, 0.6), (1, 4, 0.01), (0, 5, 0.01)]
    scored = _scored(rows, 0.5)
    clustering = cluster(features, scored)
    assert clustering.memberships["entity_id"].nunique() == 1
    raised = clustered_threshold(features, scored, clustering.merges, 0.5)
    assert raised > 0.6
    again = cluster(features, raise_threshold(scored, raised))
    assert again.memberships["entity_id"].nunique() == 2
    # a strong bridge stays
    rows[6] = (2, 3, 0.999)
    scored = _scored(rows, 0.5)
    clustering = cluster(features, scored)
    assert clustered_threshold(features, scored, clustering.merges, 0.5) <= 0.99


def test_pairs_in_chunks_give_the_same_cutoff(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    features = pd.DataFrame(
        {"uid": [f"s:{i}" for i in range(6)], "source": "s", "record_id": list("012345")}
    )
    rows = [(0, 1, 0.99), (0, 2, 0.97), (1, 2, 0.95), (3, 4, 0.99), (3, 5, 0.9), (4, 5, 0.8)]
    rows += [(2, 3, 0.6), (1, 4, 0.01), (0, 5, 0.01), (1, 3, 0.7)]
    scored = _scored(rows, 0.5)
    scored.loc[1, "decided_by"] = "identifier"
    merges = cluster(features, scored).merges
    whole = clustered_threshold(features, scored, merges, 0.5)
    monkeypatch.setattr("linkage.scoring.cutoff._CHUNK", 3)
    assert clustered_threshold(features, scored, merges, 0.5) == whole
