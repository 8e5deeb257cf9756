"""Clustering for incremental runs: only the connected components that new, changed or
removed records, or changed edges, touch are clustered; the others keep the previous run's
entities and merge-log rows.

:func:`linkage.clustering.cluster` runs one union-find over reviewer "same" judgements,
shared identifier keys and matched pairs, strongest first. Its decisions inside one connected
component of that edge graph depend only on the component's records (identifier keys, branch
flags, sources), the judgements, and the component's edges in processing order. So a component
whose records are all unchanged, that is exactly a component of the previous run, and whose
matched edges are the same pairs, with the same kind and evidence, in the same order, gets the
same entities and the same merge-log rows (accepted or refused, with the same reasons). Only
the numbers move: match weights and probabilities change with term frequencies (they count
over all records), so the weight and confidence of reused rows and entities are taken from this
run's scored pairs, and the merge log is put back into the global processing order (judgements,
then identifier links, then matches by weight, ties by uids) and numbered again.

Everything else is clustered by ``cluster`` on the records of the touched components. The
result equals ``cluster`` on all records (``tests/unit/clustering/test_local_clustering.py``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import numpy as np
import pandas as pd

from linkage.clustering.core import cluster, clustering_stats
from linkage.clustering.edges import matched_edges, name_similarity
from linkage.clustering.identifiers import key_links
from linkage.clustering.judgements import normalise_judgements
from linkage.clustering.result import MERGE_COLUMNS, Clustering, entity_id_for
from linkage.graph import component_labels


def judgements_digest(judgements: pd.DataFrame | None) -> str:
    """sha256 of the latest verdict per pair (a change means clustering everything again)."""
    judged = normalise_judgements(judgements)
    rows = sorted(map(tuple, judged[["uid_a", "uid_b", "verdict"]].astype(str).to_numpy()))
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def components_of_run(memberships: pd.DataFrame, merges: pd.DataFrame) -> pd.DataFrame:
    """``uid, component`` of a finished run: the connected components of the edge graph it
    clustered. Every edge clustering tried either joined two entities, was refused between
    two (both are merge-log rows), or lay inside one entity; so the components are the
    entities joined by the merge-log rows."""
    codes, ids = pd.factorize(memberships["entity_id"].to_numpy(dtype=object))
    index = pd.Index(ids)
    a = index.get_indexer(merges["entity_l"].to_numpy(dtype=object))
    b = index.get_indexer(merges["entity_r"].to_numpy(dtype=object))
    live = (a >= 0) & (b >= 0)
    labels = component_labels(a[live], b[live], len(ids))
    return pd.DataFrame(
        {"uid": memberships["uid"].to_numpy(dtype=object), "component": labels[codes]}
    )


def _identifier_edge_count(rows: np.ndarray, keys: np.ndarray) -> int:
    """How many identifier must-links ``cluster`` tries: each record to the first record
    sharing one of its keys, one per distinct pair."""
    if not len(rows):
        return 0
    order = np.lexsort((rows, keys))
    rows_s, keys_s = rows[order], keys[order]
    start = np.append(True, keys_s[1:] != keys_s[:-1])
    first = rows_s[start][np.cumsum(start) - 1]
    other = first != rows_s
    pairs = first[other] * (int(rows.max()) + 1) + rows_s[other]
    return len(np.unique(pairs))


def incremental_cluster(
    features: pd.DataFrame,
    scored: pd.DataFrame,
    *,
    unique_sources: set[str],
    judgements: pd.DataFrame | None,
    unchanged: np.ndarray,
    old_rows: np.ndarray,
    old_component: np.ndarray,
    old_entity: np.ndarray,
    old_edges: pd.DataFrame,
    old_merges: pd.DataFrame,
) -> tuple[Clustering, int]:
    """``cluster(features, scored, ...)`` reusing the previous run's untouched components.

    Args:
        features, scored, unique_sources, judgements: as for ``cluster`` (the previous run
            clustered with the same unique sources and judgements: the caller checks).
        unchanged: bool per features row: the record hashes as in the previous run.
        old_rows: per features row, its row in the previous run (-1: new).
        old_component, old_entity: per previous row, its component label and entity id.
        old_edges: the previous run's matched pairs: ``idx_l``, ``idx_r`` (previous rows),
            ``weight`` (as clustering ordered them), ``kind``, ``evidence``.
        old_merges: the previous run's merge log.

    Returns:
        The clustering and how many records' components were reused.
    """
    n = len(features)
    uids = features["uid"].astype(str).to_numpy(dtype=object)
    if len(scored):  # the matches, with only the columns cluster() reads
        edges = matched_edges(scored, scored["is_match"].astype(bool).to_numpy())
        edges["is_match"] = True
    else:
        edges = scored
    weight_col = "match_weight" if "match_weight" in edges else "score"
    conf_col = "probability" if "probability" in edges else "score"
    el = edges["idx_l"].to_numpy(dtype=np.int64)
    er = edges["idx_r"].to_numpy(dtype=np.int64)
    ew = edges[weight_col].to_numpy(dtype=np.float64)
    econf = edges[conf_col].to_numpy(dtype=np.float64)
    ekind = edges["decided_by"].astype(str).to_numpy(dtype=object)
    erule = (
        edges["rules"].astype(str).to_numpy(dtype=object)
        if "rules" in edges
        else np.full(len(edges), "", dtype=object)
    )

    # the components of this run's edge graph: matches, shared keys, "same" judgements
    key_rows, key_codes, _ = key_links(features)
    judged = normalise_judgements(judgements)
    position = pd.Index(uids)
    ja = position.get_indexer(judged["uid_a"].to_numpy(dtype=object))
    jb = position.get_indexer(judged["uid_b"].to_numpy(dtype=object))
    same = (ja >= 0) & (jb >= 0) & (judged["verdict"].to_numpy() == "same")
    k = int(key_codes.max(initial=-1)) + 1
    left = np.concatenate([el, key_rows, ja[same]])
    right = np.concatenate([er, n + key_codes, jb[same]])
    component = component_labels(left, right, n + k)[:n]
    c = int(component.max(initial=-1)) + 1

    # reusable: all records unchanged and exactly one previous component
    ok = np.ones(c, dtype=bool)
    np.logical_and.at(ok, component, unchanged)
    before = np.where(old_rows >= 0, old_component[np.maximum(old_rows, 0)], -1)
    low = np.full(c, np.iinfo(np.int64).max)
    high = np.full(c, -1)
    np.minimum.at(low, component, before)
    np.maximum.at(high, component, before)
    ok &= (low == high) & (low >= 0)
    old_size = np.bincount(old_component, minlength=int(old_component.max(initial=-1)) + 1)
    size = np.bincount(component, minlength=c)
    ok &= np.where(ok, old_size[np.maximum(low, 0)] == size, False)

    # ... and the same matched edges, kind and evidence, in the same order
    now_of_old = np.full(len(old_component), -1, dtype=np.int64)
    now_of_old[old_rows[old_rows >= 0]] = np.flatnonzero(old_rows >= 0)
    ol = now_of_old[old_edges["idx_l"].to_numpy(dtype=np.int64)]
    orr = now_of_old[old_edges["idx_r"].to_numpy(dtype=np.int64)]
    alive = (ol >= 0) & (orr >= 0)
    ow = old_edges["weight"].to_numpy(dtype=np.float64)[alive]
    okind = old_edges["kind"].astype(str).to_numpy(dtype=object)[alive]
    orule = old_edges["evidence"].astype(str).to_numpy(dtype=object)[alive]
    ol, orr = ol[alive], orr[alive]
    ocomp = component[ol]
    count_now = np.bincount(component[el], minlength=c)
    count_old = np.bincount(ocomp, minlength=c)
    ok &= count_now == count_old
    mine = np.flatnonzero(ok[component[el]])
    theirs = np.flatnonzero(ok[ocomp])
    # by component, weight (strongest first), then the pair (positions below n: one key)
    span = max(n, 1)
    a = mine[np.lexsort((el[mine] * span + er[mine], -ew[mine], component[el[mine]]))]
    b = theirs[np.lexsort((ol[theirs] * span + orr[theirs], -ow[theirs], ocomp[theirs]))]
    differ = (el[a] != ol[b]) | (er[a] != orr[b]) | (ekind[a] != okind[b]) | (erule[a] != orule[b])
    ok[component[el[a[differ]]]] = False
    reused = ok[component]

    # per record its entity (derived id) and confidence (NaN: set below); per merge-log part
    # its rows and their record positions
    entity = np.empty(n, dtype=object)
    member_confidence = np.full(n, np.nan)
    parts: list[tuple[pd.DataFrame, np.ndarray, np.ndarray]] = []
    entities = 0

    # the touched components, clustered afresh
    fresh_rows = np.flatnonzero(~reused)
    if len(fresh_rows):
        subset = features.iloc[fresh_rows].reset_index(drop=True)  # cluster reads index labels
        at = np.full(n, -1, dtype=np.int64)
        at[fresh_rows] = np.arange(len(fresh_rows))
        take = np.flatnonzero(~reused[el])
        sub_edges = edges.iloc[take].assign(idx_l=at[el[take]], idx_r=at[er[take]])
        fresh = cluster(subset, sub_edges, unique_sources=unique_sources, judgements=judgements)
        fm = fresh.memberships  # by uid
        back = fresh_rows[pd.Index(uids[fresh_rows]).get_indexer(fm["uid"].to_numpy(dtype=object))]
        entity[back] = fm["entity_id"].to_numpy(dtype=object)
        member_confidence[back] = fm["confidence"].to_numpy(dtype=np.float64)
        # merge-log rows are the log's, whose record positions are subset rows
        parts.append((fresh.merges, fresh_rows[fresh.log["l"]], fresh_rows[fresh.log["r"]]))
        entities += int(fresh.stats["entities"])  # type: ignore[call-overload]

    # the untouched ones: the previous entities and merge-log rows, with this run's numbers
    keep_rows = np.flatnonzero(reused)
    kept = np.full(n, -1, dtype=np.int64)  # per record its kept entity (-1: fresh)
    if len(keep_rows):
        codes, _ = pd.factorize(old_entity[old_rows[keep_rows]])
        kept[keep_rows] = codes
        # in uid order: the first row of each entity is its smallest uid
        first = np.full(codes.max() + 1, -1, dtype=np.int64)
        first[codes[::-1]] = keep_rows[::-1]
        derived = np.array([entity_id_for(u) for u in uids[first].tolist()], dtype=object)
        entity[keep_rows] = derived[codes]
        entities += len(first)
        ml = position.get_indexer(old_merges["uid_l"].to_numpy(dtype=object))
        mine = (ml >= 0) & reused[np.maximum(ml, 0)]
        mr = position.get_indexer(old_merges["uid_r"].to_numpy(dtype=object)[mine])
        columns = [c for c in MERGE_COLUMNS if c not in ("step", "entity_l", "entity_r")]
        parts.append((old_merges[columns][mine], ml[mine], mr))

    # this run's weight and confidence of every match row, then the global processing order
    logged = [c for c in MERGE_COLUMNS if c not in ("step", "entity_l", "entity_r")]
    log = {
        c: np.concatenate([part[c].to_numpy() for part, _, _ in parts])
        if parts
        else np.zeros(0, dtype=bool if c == "accepted" else object)
        for c in logged
    }
    ml = np.concatenate([rows for _, rows, _ in parts]) if parts else np.zeros(0, np.int64)
    mr = np.concatenate([rows for _, _, rows in parts]) if parts else np.zeros(0, np.int64)
    finite = np.isfinite(log["weight"].astype(np.float64))
    pid = el * max(n, 1) + er
    lookup = pd.Index(pid).get_indexer(ml * max(n, 1) + mr)
    if (lookup[finite] < 0).any():  # a logged match that is no edge now: cannot happen
        raise RuntimeError("incremental clustering: a reused merge-log row has no edge")
    weight = np.where(finite, ew[np.maximum(lookup, 0)], np.inf)
    confidence = np.where(finite, econf[np.maximum(lookup, 0)], 1.0)
    phase = np.where(finite, 2, np.where(log["kind"] == "judgement", 0, 1))
    pair = ml * (max(n, 1) + 1) + (mr + 1)  # (ml, mr) as one key (-1 <= both < n)
    alike = np.where(finite, name_similarity(features, ml, mr), 0.0)  # as edge_order
    order = np.lexsort((pair, -alike, np.where(finite, -weight, 0.0), phase))
    ml, mr = ml[order], mr[order]
    merges = pd.DataFrame(
        {
            "step": np.arange(len(order), dtype=np.int64),
            **{c: log[c][order] for c in logged},
            "entity_l": entity[ml],
            "entity_r": entity[mr],
        }
    )
    merges["weight"] = weight[order].round(6)
    merges["confidence"] = confidence[order].round(6)
    accepted = merges["accepted"].to_numpy(dtype=bool)

    # confidence of the reused entities: their weakest accepted link (1 without one)
    if len(keep_rows):
        joined = kept[ml[accepted]]
        mask = joined >= 0
        weakest = np.full(len(first), np.nan)
        np.fmin.at(weakest, joined[mask], merges["confidence"].to_numpy()[accepted][mask])
        member_confidence[keep_rows] = np.where(np.isnan(weakest), 1.0, weakest).round(6)[codes]
    members = pd.DataFrame(
        {
            "source": features["source"].to_numpy(),
            "record_id": features["record_id"].to_numpy(),
            "uid": uids,
            "entity_id": entity,
            "confidence": member_confidence,
        }
    )
    if not position.is_monotonic_increasing:
        members = members.sort_values("uid", kind="stable").reset_index(drop=True)

    tried: Counter[str] = Counter()
    tried["judgement"] += int(same.sum())
    tried["identifier"] += _identifier_edge_count(key_rows, key_codes)
    tried.update(ekind.tolist())
    tried = Counter({key: value for key, value in tried.items() if value})
    stats = clustering_stats(merges, accepted, tried, entities)
    return Clustering(members, merges, stats), len(keep_rows)


__all__ = ["components_of_run", "incremental_cluster", "judgements_digest"]
