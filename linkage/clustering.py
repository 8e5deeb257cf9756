"""Constrained clustering: group records into entities, strongest evidence first.

Edges are processed in a fixed order through a union-find whose roots carry the state of their
component (DESIGN §6):

1. reviewer "same" judgements (must-links from people),
2. shared crosswalk keys of valid identifiers (``id_keys``; must-links from registries),
3. scored pairs above the threshold (``is_match``), strongest first: by ``match_weight`` when the
   scorer provides it, else by ``score``; ties by ``(uid_l, uid_r)``.

A union is refused when the merged component would hold

- ``identifier``: two different valid identifiers under one crosswalk prefix (``uscc:``,
  ``cn_org:``, ``lei:`` ...). A component keeps, per prefix, the set of its values; two
  components conflict when they both have a prefix and their sets differ. So every record of an
  entity that has a key of some prefix has exactly the same keys of that prefix.
- ``branch``: a branch record and a non-branch record, unless the two components share an
  identifier key (a branch is another entity than its head office, DESIGN §5).
- ``unique_source``: two records of a ``unique = true`` source.
- ``judgement``: two records a reviewer judged "different".

Reviewer "same" judgements override the branch and unique-source rules (a person looked), never an
identifier conflict or a "different" judgement. Every union tried between two components is
logged in processing order (the merge tree plus the refusals, with reasons), so an entity can be
explained edge by edge. The result does not depend on input row order: features are sorted by uid
and every sort here ends on uids.
"""

from __future__ import annotations

import hashlib
import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from linkage.gcpause import gc_paused

REASONS = ("identifier", "branch", "unique_source", "judgement")
"""Why a union can be refused; ``identifier`` reasons carry the prefix (``identifier:uscc``)."""

JUDGEMENT_COLUMNS = ("uid_a", "uid_b", "verdict")
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

_BRANCH, _HEAD = 1, 2


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
    _log: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _tried: Counter[str] = field(default_factory=Counter, repr=False)


def normalise_judgements(judgements: pd.DataFrame | None) -> pd.DataFrame:
    """Judgements as ``uid_a < uid_b, verdict``, the latest per pair (rows are in time order)."""
    if judgements is None or len(judgements) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in JUDGEMENT_COLUMNS})
    a, b = judgements["uid_a"].astype(str), judgements["uid_b"].astype(str)
    out = pd.DataFrame(
        {
            "uid_a": np.where(a <= b, a, b),
            "uid_b": np.where(a <= b, b, a),
            "verdict": judgements["verdict"].astype(str).to_numpy(),
        }
    )
    out = out[out["uid_a"] != out["uid_b"]]
    return out.drop_duplicates(["uid_a", "uid_b"], keep="last").reset_index(drop=True)


def apply_judgements(scored: pd.DataFrame, judgements: pd.DataFrame | None) -> pd.DataFrame:
    """Scored pairs with reviewer verdicts applied: "same" matches, "different" does not.

    Judged pairs (except "unsure") get ``decided_by = "judgement"``.
    """
    judged = normalise_judgements(judgements)
    judged = judged[judged["verdict"] != "unsure"]
    if judged.empty or scored.empty:
        return scored
    verdict = pd.MultiIndex.from_frame(judged[["uid_a", "uid_b"]])
    keys = pd.MultiIndex.from_arrays([scored["uid_l"], scored["uid_r"]])
    found = judged["verdict"].to_numpy()[verdict.get_indexer(keys)]
    hit = verdict.get_indexer(keys) >= 0
    if not hit.any():
        return scored
    out = scored.copy()
    out.loc[hit, "decided_by"] = "judgement"
    out.loc[hit, "is_match"] = found[hit] == "same"
    return out


def _id_state(id_keys: pd.Series) -> list[dict[str, frozenset[str]] | None]:
    """Per record: crosswalk prefix -> set of values, or None without a valid identifier.

    Each distinct ``id_keys`` text is parsed once; records with the same text share one
    (never mutated) state.
    """
    codes, texts = pd.factorize(id_keys.fillna("").astype(str), use_na_sentinel=True)
    states: list[dict[str, frozenset[str]] | None] = []
    for text in texts.tolist():
        if not text:
            states.append(None)
            continue
        values: dict[str, set[str]] = {}
        for key in text.split():
            prefix, _, value = key.partition(":")
            values.setdefault(prefix, set()).add(value)
        states.append({p: frozenset(v) for p, v in values.items()})
    states.append(None)  # code -1
    table = np.empty(len(states), dtype=object)
    table[:] = states
    return table[codes].tolist()


_STATE: list[Any] = []  # one slot: (weakref to features, shape, id_keys, states, id edges)


def _record_state(
    features: pd.DataFrame,
) -> tuple[list[dict[str, frozenset[str]] | None], pd.DataFrame]:
    """Per-record identifier states and the identifier must-links of a features table.

    Kept for the last table (one slot, weakly referenced, reused only while its ``id_keys``
    are equal): the pipeline clusters the same features again when a raised automatic
    threshold cannot be read off the first merge log (:func:`at_higher_cutoff`).
    """
    keys = features["id_keys"].copy() if "id_keys" in features else None
    if _STATE:
        ref, shape, cached_keys, states, edges = _STATE[0]
        same_keys = (keys is None and cached_keys is None) or (
            keys is not None and cached_keys is not None and keys.equals(cached_keys)
        )
        if ref() is features and shape == features.shape and same_keys:
            return states, edges
    n = len(features)
    states = _id_state(features["id_keys"]) if keys is not None else [None] * n
    edges = _identifier_edges(features)
    _STATE[:] = [(weakref.ref(features), features.shape, keys, states, edges)]
    return states, edges


def release_identifier_state() -> None:
    """Drop the cached identifier states (hundreds of MB on a million records) once the
    run's clustering is done."""
    _STATE.clear()


def _identifier_edges(features: pd.DataFrame) -> pd.DataFrame:
    """Must-links: each record to the first record (by uid) sharing one of its keys; a pair
    sharing several keys is linked once, by the smallest. Records are row positions."""
    empty = pd.DataFrame({"l": pd.Series(dtype=np.int64), "r": [], "key": []})
    if "id_keys" not in features:
        return empty
    texts = features["id_keys"].fillna("").astype(str).to_numpy(dtype=object)
    codes, distinct = pd.factorize(texts)
    per_text = [sorted(set(text.split())) for text in distinct.tolist()]
    flat = [key for keys in per_text for key in keys]
    if not flat:
        return empty
    key_codes, names = pd.factorize(np.array(flat, dtype=object), sort=True)
    counts = np.array([len(keys) for keys in per_text], dtype=np.int64)
    repeat = counts[codes]
    record = np.repeat(np.arange(len(texts), dtype=np.int64), repeat)
    offset = np.arange(len(record)) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    key = key_codes[np.repeat((np.cumsum(counts) - counts)[codes], repeat) + offset]
    first = np.full(len(names), len(texts), dtype=np.int64)
    np.minimum.at(first, key, record)
    left, right = first[key], record
    linked = left != right
    left, right, key = left[linked], right[linked], key[linked]
    if not len(left):
        return empty
    order = np.lexsort((key, right, left))  # key codes sort like the keys
    left, right, key = left[order], right[order], key[order]
    once = np.append(True, (left[1:] != left[:-1]) | (right[1:] != right[:-1]))
    return pd.DataFrame(
        {"l": left[once], "r": right[once], "key": np.asarray(names, dtype=object)[key[once]]}
    )


class _Components:
    """Union-find whose roots hold the component state the constraints check."""

    def __init__(self, features: pd.DataFrame, unique_sources: set[str]) -> None:
        n = len(features)
        self.parent = list(range(n))
        self.size = [1] * n
        # a copy: union() replaces entries (the parsed states themselves are never mutated)
        self.keys: list[dict[str, frozenset[str]] | None] = list(_record_state(features)[0])
        branch = (
            features["is_branch"].fillna(False).astype(bool).tolist()
            if "is_branch" in features
            else [False] * n
        )
        self.kind = [_BRANCH if b else _HEAD for b in branch]
        sources = features["source"].astype(str).tolist()
        self.unique: list[frozenset[str] | None] = [
            frozenset((s,)) if s in unique_sources else None for s in sources
        ]
        self.cannot: dict[int, set[int]] = {}

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def forbid(self, a: int, b: int) -> None:
        """A cannot-link between records a and b (a reviewer's "different")."""
        self.cannot.setdefault(a, set()).add(b)
        self.cannot.setdefault(b, set()).add(a)

    def union(self, a: int, b: int, *, override: bool = False) -> str | None:
        """Join the components of a and b; return None on success, else the refusal reason.

        Returns "" when a and b are already in one component (nothing to do).
        """
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ""
        ka, kb = self.keys[ra], self.keys[rb]
        shared = False
        if ka is not None and kb is not None:
            small, large = (ka, kb) if len(ka) <= len(kb) else (kb, ka)
            for prefix, values in small.items():
                other = large.get(prefix)
                if other is not None:
                    if other != values:
                        return f"identifier:{prefix}"
                    shared = True
        ca, cb = self.cannot.get(ra), self.cannot.get(rb)
        if ca and cb:
            small_set, root = (ca, rb) if len(ca) <= len(cb) else (cb, ra)
            if any(self.find(x) == root for x in small_set):
                return "judgement"
        if not override:
            ta, tb = self.kind[ra], self.kind[rb]
            if not shared and ((ta & _BRANCH and tb & _HEAD) or (ta & _HEAD and tb & _BRANCH)):
                return "branch"
            ua, ub = self.unique[ra], self.unique[rb]
            if ua is not None and ub is not None and not ua.isdisjoint(ub):
                return "unique_source"
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
            ka, kb = kb, ka
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        if kb is not None:
            self.keys[ra] = kb if ka is None else {**ka, **kb}
        self.kind[ra] |= self.kind[rb]
        ua, ub = self.unique[ra], self.unique[rb]
        if ub is not None:
            self.unique[ra] = ub if ua is None else ua | ub
        moved = self.cannot.pop(rb, None)
        if moved:
            self.cannot.setdefault(ra, set()).update(moved)
        # cannot-link sets hold record indices; records of rb now resolve to ra through find.
        return None


def _edge_confidence(scored: pd.DataFrame) -> np.ndarray:
    column = "probability" if "probability" in scored else "score"
    return scored[column].to_numpy(dtype=np.float64)


def cluster(
    features: pd.DataFrame,
    scored: pd.DataFrame,
    *,
    unique_sources: set[str] | frozenset[str] = frozenset(),
    judgements: pd.DataFrame | None = None,
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

    Returns:
        Memberships (``confidence`` is the weakest edge that joined the entity: the edge's
        ``probability`` when the scorer gives one, else its ``score``; 1.0 for identifier and
        judgement links and for singletons), the merge log, and counts.
    """
    with gc_paused():
        return _cluster(features, scored, unique_sources, judgements)


def _cluster(
    features: pd.DataFrame,
    scored: pd.DataFrame,
    unique_sources: set[str] | frozenset[str],
    judgements: pd.DataFrame | None,
) -> Clustering:
    n = len(features)
    uids = features["uid"].astype(str).to_numpy(dtype=object)
    position = pd.Index(uids)
    comps = _Components(features, set(unique_sources))
    judged = normalise_judgements(judgements)
    if len(judged):
        judged = judged[judged["uid_a"].isin(position) & judged["uid_b"].isin(position)]
    ja = position.get_indexer(judged["uid_a"])
    jb = position.get_indexer(judged["uid_b"])
    verdicts = judged["verdict"].to_numpy()
    for a, b, v in zip(ja.tolist(), jb.tolist(), verdicts.tolist(), strict=True):
        if v == "different":
            comps.forbid(a, b)

    log_l: list[int] = []
    log_r: list[int] = []
    log_kind: list[str] = []
    log_evidence: list[str] = []
    log_weight: list[float] = []
    log_conf: list[float] = []
    log_reason: list[str | None] = []
    log_rank: list[int] = []
    tried: Counter[str] = Counter()

    def attempt(
        a: int,
        b: int,
        kind: str,
        evidence: str,
        weight: float,
        conf: float,
        override: bool,
        rank: int = -1,
    ) -> None:
        tried[kind] += 1
        reason = comps.union(a, b, override=override)
        if reason == "":
            return
        log_l.append(a)
        log_r.append(b)
        log_kind.append(kind)
        log_evidence.append(evidence)
        log_weight.append(weight)
        log_conf.append(conf)
        log_reason.append(reason)
        log_rank.append(rank)

    order = np.lexsort((jb, ja))
    for i in order.tolist():
        if verdicts[i] == "same":
            attempt(int(ja[i]), int(jb[i]), "judgement", "same", np.inf, 1.0, True)

    id_edges = _record_state(features)[1]
    for a, b, key in zip(
        id_edges["l"].tolist(), id_edges["r"].tolist(), id_edges["key"].tolist(), strict=True
    ):
        attempt(a, b, "identifier", key, np.inf, 1.0, False)

    edges = scored[scored["is_match"].astype(bool)] if len(scored) else scored
    if len(edges):
        weights = edges[_weight_column(edges)].to_numpy(dtype=np.float64)
        left = edges["idx_l"].to_numpy(dtype=np.int64)
        right = edges["idx_r"].to_numpy(dtype=np.int64)
        conf = _edge_confidence(edges)
        kinds = edges["decided_by"].astype(str).to_numpy(dtype=object)
        rules = (
            edges["rules"].astype(str).to_numpy(dtype=object)
            if "rules" in edges
            else np.full(len(edges), "", dtype=object)
        )
        override = kinds == "judgement"
        for rank, i in enumerate(_edge_order(edges).tolist()):
            attempt(
                int(left[i]),
                int(right[i]),
                kinds[i],
                rules[i],
                float(weights[i]),
                float(conf[i]),
                bool(override[i]),
                rank,
            )

    roots = np.fromiter((comps.find(i) for i in range(n)), dtype=np.int64, count=n)
    log = {
        "l": np.asarray(log_l, dtype=np.int64),
        "r": np.asarray(log_r, dtype=np.int64),
        "kind": _objects(log_kind),
        "evidence": _objects(log_evidence),
        "weight": np.asarray(log_weight, dtype=np.float64),
        "conf": np.asarray(log_conf, dtype=np.float64),
        "reason": _objects(log_reason),
        "rank": np.asarray(log_rank, dtype=np.int64),
    }
    return _result(features, uids, roots, log, tried)


def _weight_column(edges: pd.DataFrame) -> str:
    return "match_weight" if "match_weight" in edges else "score"


def _edge_order(edges: pd.DataFrame) -> np.ndarray:
    """Processing order of scored edges: strongest first, ties by record positions."""
    weights = edges[_weight_column(edges)].to_numpy(dtype=np.float64)
    left = edges["idx_l"].to_numpy(dtype=np.int64)
    right = edges["idx_r"].to_numpy(dtype=np.int64)
    return np.lexsort((right, left, -weights))


def _objects(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def at_higher_cutoff(
    features: pd.DataFrame, before: pd.DataFrame, after: pd.DataFrame, first: Clustering
) -> Clustering | None:
    """What :func:`cluster` gives for ``after``, derived from its result ``first`` for
    ``before``, when ``after`` only stops some of ``before``'s scored matches and those come
    last in processing order (a raised cut-off on the weakest model edges); else None.

    A union depends only on the edges tried before it, so the clustering of a prefix of the
    edges is the prefix of the merge log: nothing needs to be tried again. Kept edges tried
    after a stopped one are allowed when the must-links had already joined their records
    (weak pairs decided by a shared identifier): they change nothing in either run.
    """
    if not first._log or len(before) != len(after):
        return None
    was = before["is_match"].to_numpy(dtype=bool)
    now = after["is_match"].to_numpy(dtype=bool)
    if (now & ~was).any():
        return None
    edges = before[was]
    order = _edge_order(edges)
    stopped = ~now[was][order]
    log = first._log
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
                return None
    else:
        cut = len(stopped)
    keep = log["rank"] < cut  # must-links (-1) and the edges tried before the cut
    log = {key: values[keep] for key, values in log.items()}
    tried = Counter(first._tried)
    for kind, count in Counter(edges["decided_by"].astype(str).to_numpy()[~now[was]]).items():
        tried[kind] -= count
    tried = Counter({kind: count for kind, count in tried.items() if count > 0})
    accepted = _accepted(log["reason"])
    roots = component_labels(log["l"][accepted], log["r"][accepted], n)
    uids = features["uid"].astype(str).to_numpy(dtype=object)
    return _result(features, uids, roots, log, tried)


def clustering_stats(
    merges: pd.DataFrame, accepted: np.ndarray, tried: Counter[str], entities: int
) -> dict[str, object]:
    """The manifest's clustering counts: edges tried by kind, unions, refusals by reason."""
    refused = merges.loc[~accepted, "reason"].str.split(":").str[0].value_counts()
    by_prefix = (
        merges.loc[~accepted & merges["reason"].str.startswith("identifier:", na=False), "reason"]
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


def component_labels(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Connected-component label per node of the edges ``(a, b)`` over ``n`` nodes."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[1].astype(np.int64)


def _accepted(reasons: np.ndarray) -> np.ndarray:
    return np.array([r is None for r in reasons.tolist()], dtype=bool)


def _result(
    features: pd.DataFrame,
    uids: np.ndarray,
    roots: np.ndarray,
    log: dict[str, np.ndarray],
    tried: Counter[str],
) -> Clustering:
    """Memberships, merge log and counts from the component of each record (``roots``)."""
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
    return Clustering(members, merges, stats, log, tried)
