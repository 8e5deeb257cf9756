"""Constrained clustering: group records into entities, strongest evidence first.

Edges are processed in a fixed order through a union-find whose roots carry the state of their
component:

1. reviewer "same" judgements (must-links from people),
2. shared crosswalk keys of valid identifiers (``id_keys``; must-links from registries),
3. scored pairs above the threshold (``is_match``), strongest first: by ``match_weight`` when the
   scorer provides it, else by ``score``; ties by the more alike names (Jaro–Winkler of
   ``name_latin``), then by ``(uid_l, uid_r)``.

A union is refused when the merged component would hold

- ``identifier``: two different valid identifiers under one crosswalk prefix (``uscc:``,
  ``cn_org:``, ``lei:`` ...). A component keeps, per prefix, the set of its values; two
  components conflict when they both have a prefix and their sets differ. So every record of an
  entity that has a key of some prefix has exactly the same keys of that prefix. Where a
  source's identifier column holds values of several schemes, each also gives a key of that
  source and column (``registration/<source>/<column>``, :func:`_with_registrations`): two
  values in it are two registrations, even of schemes no crosswalk relates (an old
  registration number and a USCC).
- ``branch``: a branch record and a non-branch record, unless the two components share an
  identifier key (a branch is another entity than its head office), or the edge
  joins a branch record to a Latin name that names its unit all the same
  (``subunits.names_unit``: ``Chicago Commons - Nia Family Center`` is the unit of ``Chicago
  Commons Association - Nia Family Center``, read without a unit for lack of an organisation
  word), or is a Latin-script record at the exact address of a Latin-script unit, house
  number included (lists name a site by its organisation; Chinese names keep the rule): then
  the non-branch component becomes that unit.
- ``unit``: two sub-units with different units (``name_unit``: 洪武支行 and 钟山支行 of one
  bank), unless the two components share an identifier key: sub-units of one parent are
  entities of their own. A key read from a Chinese name and one read from a Latin name are
  the same unit when they are alike (``subunits.keys_alike``: a rendering glued a unit word on).
- ``unique_source``: two records of a ``unique = true`` source.
- ``judgement``: two records a reviewer judged "different".

Reviewer "same" judgements override the branch and unique-source rules (a person looked), never an
identifier conflict or a "different" judgement. Every union tried between two components is
logged in processing order (the merge tree plus the refusals, with reasons), so an entity can be
explained edge by edge. The result does not depend on input row order: features are sorted by uid
and every sort here ends on uids.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from linkage.clustering.components import Components
from linkage.clustering.edges import (
    edge_confidence,
    edge_order,
    matched_edges,
    object_array,
    weight_column,
)
from linkage.clustering.identifiers import Identifiers, record_identifiers
from linkage.clustering.judgements import normalise_judgements
from linkage.clustering.result import REASONS, Clustering, entity_id_for
from linkage.gcpause import gc_paused
from linkage.graph import component_labels


def cluster(
    features: pd.DataFrame,
    scored: pd.DataFrame,
    *,
    unique_sources: set[str] | frozenset[str] = frozenset(),
    judgements: pd.DataFrame | None = None,
    identifiers: Identifiers | None = None,
) -> Clustering:
    """Constrained clustering of scored pairs into entities.

    Args:
        features: the features table, sorted by uid (``uid``, ``source``, ``record_id``, and when
            present ``id_keys`` and ``is_branch``).
        scored: scored pairs with ``idx_l``, ``idx_r``, ``uid_l``, ``uid_r``, ``score``,
            ``is_match``, ``decided_by``, and optionally ``match_weight`` and ``probability``.
            Judgements should already be applied (``apply_judgements``).
        unique_sources: names of sources declared ``unique = true``.
        judgements: reviewer verdicts (``uid_a, uid_b, verdict``; latest row per pair wins).
        identifiers: the records' parsed identifier keys (``record_identifiers(features)``,
            or an earlier clustering's of the same features); parsed here when None.

    Returns:
        Memberships (``confidence`` is the weakest edge that joined the entity: the edge's
        ``probability`` when the scorer gives one, else its ``score``; 1.0 for identifier and
        judgement links and for singletons), the merge log, and counts.
    """
    with gc_paused():
        # the union-find is gone before the result tables are built
        if identifiers is None:
            identifiers = record_identifiers(features)
        roots, log, tried = _cluster(features, scored, unique_sources, judgements, identifiers)
        return _result(features, roots, log, tried, identifiers)


def _cluster(
    features: pd.DataFrame,
    scored: pd.DataFrame,
    unique_sources: set[str] | frozenset[str],
    judgements: pd.DataFrame | None,
    identifiers: Identifiers,
) -> tuple[np.ndarray, dict[str, np.ndarray], Counter[str]]:
    """The component of each record (a root record), the merge log and the attempts by kind."""
    n = len(features)
    comps, ja, jb, verdicts = _constrained(features, unique_sources, judgements, identifiers)
    tried: Counter[str] = Counter()
    order = np.lexsort((jb, ja))
    same = order[verdicts[order] == "same"]
    logs = [
        _try_unions(comps, tried, True, l=ja[same], r=jb[same], kind="judgement", evidence="same")
    ]
    id_edges = identifiers.edges
    logs.append(
        _try_unions(
            comps,
            tried,
            False,
            l=id_edges["l"].to_numpy(),
            r=id_edges["r"].to_numpy(),
            kind="identifier",
            evidence=id_edges["key"].to_numpy(),
        )
    )
    matched = scored["is_match"].astype(bool).to_numpy()
    edges = matched_edges(scored, matched) if len(scored) else scored
    if len(edges):
        order = edge_order(edges, features)
        kinds = edges["decided_by"].astype(str).to_numpy(dtype=object)[order]
        logs.append(
            _try_unions(
                comps,
                tried,
                kinds == "judgement",
                l=edges["idx_l"].to_numpy(dtype=np.int64)[order],
                r=edges["idx_r"].to_numpy(dtype=np.int64)[order],
                kind=kinds,
                evidence=(
                    edges["rules"].astype(str).to_numpy(dtype=object)[order]
                    if "rules" in edges
                    else ""
                ),
                weight=edges[weight_column(edges)].to_numpy(dtype=np.float64)[order],
                conf=edge_confidence(edges)[order],
                rank=np.arange(len(order)),
            )
        )
    roots = np.fromiter((comps.find(i) for i in range(n)), dtype=np.int64, count=n)
    log = {key: np.concatenate([part[key] for part in logs]) for key in logs[0]}
    return roots, log, tried


def _constrained(
    features: pd.DataFrame,
    unique_sources: set[str] | frozenset[str],
    judgements: pd.DataFrame | None,
    identifiers: Identifiers,
) -> tuple[Components, np.ndarray, np.ndarray, np.ndarray]:
    """Empty components with the reviewers' "different" verdicts forbidden, and the judged
    pairs as record positions with their verdicts."""
    comps = Components(features, set(unique_sources), identifiers)
    judged = normalise_judgements(judgements)
    ja = jb = np.zeros(0, dtype=np.int64)
    if len(judged):  # an index of a million uids only for reviewer verdicts
        position = pd.Index(features["uid"].astype(str))
        judged = judged[judged["uid_a"].isin(position) & judged["uid_b"].isin(position)]
        ja, jb = position.get_indexer(judged["uid_a"]), position.get_indexer(judged["uid_b"])
    verdicts = judged["verdict"].to_numpy()
    for a, b, v in zip(ja.tolist(), jb.tolist(), verdicts.tolist(), strict=True):
        if v == "different":
            comps.forbid(a, b)
    return comps, ja, jb, verdicts


_LOG_TYPES = {
    "l": np.int64,
    "r": np.int64,
    "kind": object,
    "evidence": object,
    "weight": np.float64,
    "conf": np.float64,
    "rank": np.int64,
}


def _try_unions(
    comps: Components,
    tried: Counter[str],
    override: bool | np.ndarray,
    *,
    weight: float | np.ndarray = np.inf,
    conf: float | np.ndarray = 1.0,
    rank: int | np.ndarray = -1,
    **columns: Any,
) -> dict[str, np.ndarray]:
    """Try the unions ``l[i], r[i]`` in order, counting them by ``kind`` in ``tried``; the
    merge-log rows (``_LOG_TYPES`` and ``reason``) of those between two components. A scalar
    column holds for every union (must-links: infinite weight, confidence 1, no rank)."""
    count = len(columns["l"])
    columns.update(weight=weight, conf=conf, rank=rank)
    rows = {
        key: (
            np.full(count, columns[key], dtype=kind)  # one shared object
            if np.ndim(columns[key]) == 0
            else np.asarray(columns[key], dtype=kind)
        )
        for key, kind in _LOG_TYPES.items()
    }
    tried.update(rows["kind"].tolist())
    logged: list[int] = []
    reasons: list[str | None] = []
    overrides = np.broadcast_to(np.asarray(override, dtype=bool), count).copy()
    # memoryviews give Python ints one at a time (no list of a million)
    attempts = zip(rows["l"].data, rows["r"].data, overrides.data, strict=True)
    for i, (a, b, o) in enumerate(attempts):
        reason = comps.union(a, b, override=bool(o))
        if reason != "":
            logged.append(i)
            reasons.append(reason)
    at = np.asarray(logged, dtype=np.int64)
    return {**{key: values[at] for key, values in rows.items()}, "reason": object_array(reasons)}


def at_higher_cutoff(
    features: pd.DataFrame,
    before: pd.DataFrame,
    after: pd.DataFrame,
    first: Clustering,
    *,
    unique_sources: set[str] | frozenset[str] | None = None,
    judgements: pd.DataFrame | None = None,
) -> Clustering | None:
    """What :func:`cluster` gives for ``after``, derived from its result ``first`` for
    ``before``, when ``after`` only stops some of ``before``'s scored matches (a raised
    cut-off on the model edges); else None.

    A union depends only on the edges tried before it, so the clustering of a prefix of the
    edges is the prefix of the merge log: nothing needs to be tried again. Kept edges tried
    after a stopped one (decided by an identifier or by agreeing names, however weak) change
    nothing when the must-links had already joined their records; else, given the run's
    ``unique_sources`` and ``judgements``, the merge log's prefix is replayed (its unions
    only, a small share of the edges) and those edges are tried after it, as clustering
    again would try them. Without them, None.
    """
    if not first.log or len(before) != len(after):
        return None
    was = before["is_match"].to_numpy(dtype=bool)
    now = after["is_match"].to_numpy(dtype=bool)
    if (now & ~was).any():
        return None
    edges = matched_edges(before, was)
    order = edge_order(edges, features)
    stopped = ~now[was][order]
    log = first.log
    n = len(features)
    if stopped.any():
        cut = int(np.argmax(stopped))
        late = order[cut:][~stopped[cut:]]  # kept, but tried after a stopped edge
        if len(late):
            # fine when the must-links already joined their records: then they change
            # nothing in either run (identifier- and judgement-decided edges usually)
            must = (log["rank"] < 0) & _accepted(log["reason"])
            label = component_labels(log["l"][must], log["r"][must], n)
            at_l = edges["idx_l"].to_numpy(dtype=np.int64)[late]
            at_r = edges["idx_r"].to_numpy(dtype=np.int64)[late]
            if (label[at_l] != label[at_r]).any():
                if unique_sources is None:
                    return None
                return _replayed(
                    features, edges, late, cut, first, now[was], unique_sources, judgements
                )
    else:
        cut = len(stopped)
    keep = log["rank"] < cut  # must-links (-1) and the edges tried before the cut
    log = {key: values[keep] for key, values in log.items()}
    tried = _tried_after(first, edges, now[was])
    accepted = _accepted(log["reason"])
    roots = component_labels(log["l"][accepted], log["r"][accepted], n)
    return _result(features, roots, log, tried, first.identifiers)


def _tried_after(first: Clustering, edges: pd.DataFrame, kept: np.ndarray) -> Counter[str]:
    """The first run's attempts by kind, less the edges a raised cut-off stopped."""
    tried = Counter(first.tried)
    for kind, count in Counter(edges["decided_by"].astype(str).to_numpy()[~kept]).items():
        tried[kind] -= count
    return Counter({kind: count for kind, count in tried.items() if count > 0})


def _replayed(
    features: pd.DataFrame,
    edges: pd.DataFrame,
    late: np.ndarray,
    cut: int,
    first: Clustering,
    kept: np.ndarray,
    unique_sources: set[str] | frozenset[str],
    judgements: pd.DataFrame | None,
) -> Clustering:
    """The clustering of the edges before ``cut`` and then the ``late`` ones (positions in
    ``edges``, in processing order): the first run's merge log up to the cut tried again
    (the same unions in the same order give the same components), then the late edges.

    Only the components the late edges touch are built again, from their accepted unions: a
    refused union changes nothing, and the other components stay as the log's prefix left
    them."""
    with gc_paused():
        identifiers = first.identifiers or record_identifiers(features)
        comps = _constrained(features, unique_sources, judgements, identifiers)[0]
        log = first.log
        prefix = {key: values[log["rank"] < cut] for key, values in log.items()}
        n = len(features)
        accepted = _accepted(prefix["reason"])
        labels = component_labels(prefix["l"][accepted], prefix["r"][accepted], n)
        late_l = edges["idx_l"].to_numpy(dtype=np.int64)[late]
        late_r = edges["idx_r"].to_numpy(dtype=np.int64)[late]
        touched = np.zeros(int(labels.max()) + 1 if n else 0, dtype=bool)
        touched[labels[late_l]] = touched[labels[late_r]] = True
        again = accepted & touched[labels[prefix["l"]]]
        for a, b, kind in zip(
            prefix["l"][again].tolist(),
            prefix["r"][again].tolist(),
            prefix["kind"][again].tolist(),
            strict=True,
        ):
            comps.union(a, b, override=kind == "judgement")
        kinds = edges["decided_by"].astype(str).to_numpy(dtype=object)[late]
        rules = edges["rules"].astype(str).to_numpy(dtype=object)[late] if "rules" in edges else ""
        tail = _try_unions(
            comps,
            Counter(),
            kinds == "judgement",
            l=late_l,
            r=late_r,
            kind=kinds,
            evidence=rules,
            weight=edges[weight_column(edges)].to_numpy(dtype=np.float64)[late],
            conf=edge_confidence(edges)[late],
            rank=cut + np.arange(len(late)),
        )
        # components as labels: the prefix's, or past them a touched record's root
        roots = labels.copy()
        rebuilt = np.flatnonzero(touched[labels])
        roots[rebuilt] = len(touched) + np.fromiter(
            (comps.find(i) for i in rebuilt.tolist()), dtype=np.int64, count=len(rebuilt)
        )
        merged = {key: np.concatenate([prefix[key], tail[key]]) for key in prefix}
        return _result(features, roots, merged, _tried_after(first, edges, kept), identifiers)


def clustering_stats(
    merges: pd.DataFrame, accepted: np.ndarray, tried: Counter[str], entities: int
) -> dict[str, object]:
    """The manifest's clustering counts: edges tried by kind, unions, refusals by reason."""
    reasons = merges.loc[~accepted, "reason"]  # the refusals: string work on them only
    refused = reasons.str.split(":").str[0].value_counts()
    by_prefix = (
        reasons[reasons.str.startswith("identifier:", na=False)]
        .str.removeprefix("identifier:")
        .value_counts()
    )
    return {
        "edges_tried": dict(sorted(tried.items())),
        "unions": int(accepted.sum()),
        "refused": {r: int(refused.get(r, 0)) for r in REASONS},
        "refused_identifier_by_prefix": dict(sorted(by_prefix.items())),
        "entities": entities,
    }


def _accepted(reasons: np.ndarray) -> np.ndarray:
    return np.array([r is None for r in reasons.tolist()], dtype=bool)


def _result(
    features: pd.DataFrame,
    roots: np.ndarray,
    log: dict[str, np.ndarray],
    tried: Counter[str],
    identifiers: Identifiers | None,
) -> Clustering:
    """Memberships, merge log and counts from the component of each record (``roots``)."""
    uids = features["uid"].astype(str).to_numpy(dtype=object)
    n = len(uids)
    # features are sorted by uid, so the first row of each root is its smallest uid
    _, heads, group = np.unique(roots, return_index=True, return_inverse=True)
    group = group.ravel()
    # one sha256 per entity, not per record
    entity = (
        np.array([entity_id_for(u) for u in uids[heads].tolist()], dtype=object)[group]
        if n
        else uids
    )
    log_l_arr, log_r_arr = log["l"], log["r"]
    empty = np.array([], dtype=object)
    accepted = _accepted(log["reason"])
    merges = pd.DataFrame(
        {
            "step": np.arange(len(log_l_arr), dtype=np.int64),
            "uid_l": uids[log_l_arr] if len(log_l_arr) else empty,
            "uid_r": uids[log_r_arr] if len(log_r_arr) else empty,
            "kind": pd.Series(log["kind"], dtype=object),
            "evidence": pd.Series(log["evidence"], dtype=object),
            "weight": log["weight"].round(6),
            "confidence": log["conf"].round(6),
            "accepted": accepted,
            "reason": pd.Series(log["reason"], dtype=object),
            "entity_l": entity[log_l_arr] if len(log_l_arr) else empty,
            "entity_r": entity[log_r_arr] if len(log_r_arr) else empty,
        }
    )
    # an entity's confidence: the weakest union that built it (1.0 for a single record)
    weakest = np.full(len(heads), np.inf)
    np.fmin.at(weakest, group[log_l_arr[accepted]], merges["confidence"].to_numpy()[accepted])
    weakest[np.isinf(weakest)] = np.nan
    confidence = np.where(np.isnan(weakest), 1.0, weakest)[group] if n else np.ones(0)
    members = pd.DataFrame(
        {
            "source": features["source"].to_numpy(),
            "record_id": features["record_id"].to_numpy(),
            "uid": uids,
            "entity_id": entity,
            "confidence": np.round(confidence, 6),
        }
    )
    stats = clustering_stats(merges, accepted, tried, len(np.unique(roots)))
    if not pd.Index(uids).is_monotonic_increasing:  # features come sorted by uid
        members = members.sort_values("uid", kind="stable").reset_index(drop=True)
    return Clustering(members, merges, stats, log, tried, identifiers)
