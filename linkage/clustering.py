"""Clustering: group records joined by matching pairs into entities.

Connected components over the match edges (scipy, far faster than a Python graph library). An
entity's id derives from its smallest member uid, so it does not depend on input row order. The
constrained, order-of-evidence union-find of issue 6 replaces this behind the same seam.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def entity_id_for(uid: str) -> str:
    """A short, stable entity id derived from a member uid."""
    return "E" + hashlib.sha256(uid.encode("utf-8")).hexdigest()[:12]


def cluster(features: pd.DataFrame, scored: pd.DataFrame) -> pd.DataFrame:
    """Memberships: ``source, record_id, uid, entity_id, confidence`` for every record.

    ``confidence`` is the weakest match score inside the record's entity (1.0 for a singleton).
    """
    n = len(features)
    edges = scored[scored["is_match"]]
    left, right = edges["idx_l"].to_numpy(), edges["idx_r"].to_numpy()
    graph = coo_matrix((np.ones(len(edges), dtype=np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    uids = features["uid"].to_numpy(dtype=object)
    first_uid = pd.Series(uids).groupby(labels).min()
    weakest = pd.Series(edges["score"].to_numpy(), index=labels[left]).groupby(level=0).min()
    members = pd.DataFrame(
        {
            "source": features["source"].to_numpy(),
            "record_id": features["record_id"].to_numpy(),
            "uid": uids,
            "entity_id": first_uid.map(entity_id_for).reindex(labels).to_numpy(),
            "confidence": weakest.reindex(labels).fillna(1.0).round(6).to_numpy(),
        }
    )
    return members.sort_values("uid", kind="stable").reset_index(drop=True)
