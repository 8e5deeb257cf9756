"""Constrained clustering: group records into entities, strongest evidence first.

Edges are processed in a fixed order through a union-find whose roots carry the state of their
component (DESIGN §6):

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
  identifier key (a branch is another entity than its head office, DESIGN §5), or the edge
  joins a branch record to a Latin name that names its unit all the same
  (``subunits.names_unit``: ``Chicago Commons - Nia Family Center`` is the unit of ``Chicago
  Commons Association - Nia Family Center``, read without a unit for lack of an organisation
  word): then the non-branch component becomes that unit.
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

import hashlib
import re
import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from linkage.gcpause import gc_paused
from linkage.standardize.subunits import keys_alike, names_unit
from linkage.standardize.text import has_cjk

REASONS = ("identifier", "branch", "unit", "unique_source", "judgement")
"""Why a union can be refused; ``identifier`` reasons carry the prefix (``identifier:uscc``)."""
UNIT_COLUMN = "name_unit"
NAME_COLUMN = "name_latin"  # names of equally strong edges: the more alike first

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


def verdicts(pairs: pd.DataFrame, judgements: pd.DataFrame | None) -> np.ndarray:
    """Per pair (``uid_l``, ``uid_r``) its latest verdict, "same" or "different"; None where
    the pair is not judged (or judged "unsure")."""
    out = np.full(len(pairs), None, dtype=object)
    judged = normalise_judgements(judgements)
    judged = judged[judged["verdict"] != "unsure"]
    if judged.empty or pairs.empty:
        return out
    verdict = pd.MultiIndex.from_frame(judged[["uid_a", "uid_b"]])
    at = verdict.get_indexer(pd.MultiIndex.from_arrays([pairs["uid_l"], pairs["uid_r"]]))
    hit = at >= 0
    out[hit] = judged["verdict"].to_numpy()[at[hit]]
    return out


def apply_judgements(scored: pd.DataFrame, judgements: pd.DataFrame | None) -> pd.DataFrame:
    """Scored pairs with reviewer verdicts applied: "same" matches, "different" does not.

    Judged pairs (except "unsure") get ``decided_by = "judgement"``.
    """
    found = verdicts(scored, judgements)
    hit = pd.notna(found)
    if not hit.any():
        return scored
    out = scored.copy()
    out.loc[hit, "decided_by"] = "judgement"
    out.loc[hit, "is_match"] = found[hit] == "same"
    return out


@dataclass(frozen=True)
class _Identifiers:
    """The crosswalk keys of a features table as integer codes (a few bytes per key, no
    Python object per record): record ``i`` holds the keys
    ``codes[start[i]:start[i + 1]]``, distinct and in the order of their text; codes follow
    the keys' text order, and ``prefixes[prefix[code]]`` is a key's scheme (``uscc`` ...).
    ``edges`` are the identifier must-links (:func:`_identifier_edges`)."""

    start: memoryview
    codes: memoryview
    prefix: memoryview
    prefixes: tuple[str, ...]
    edges: pd.DataFrame

    def state(self, i: int) -> tuple[tuple[int, ...], ...]:
        """Record ``i``'s keys by scheme: one ``(prefix, *codes)`` tuple per prefix."""
        lo, hi = self.start[i], self.start[i + 1]
        if lo == hi:
            return ()
        groups: list[list[int]] = []
        for code in self.codes[lo:hi]:
            prefix = self.prefix[code]
            if groups and groups[-1][0] == prefix:
                groups[-1].append(code)
            else:
                groups.append([prefix, code])
        return tuple(map(tuple, groups))


_TEXTS = 1 << 16  # distinct id_keys texts split at a time: their Python strings are transient


def _identifiers(features: pd.DataFrame) -> _Identifiers:
    """Parse ``id_keys`` (space-separated ``prefix:value`` keys), each distinct text once;
    the keys are held and numbered by Arrow, not as a million Python strings."""
    n = len(features)
    keys = _with_registrations(features)
    if keys is not None:
        text_codes, texts = pd.factorize(keys)  # missing: -1
    else:
        text_codes, texts = np.full(n, -1, dtype=np.int64), pd.Index([])
    counts = np.zeros(len(texts) + 1, dtype=np.int64)  # keys per text; [-1]: none
    chunks = []
    for at in range(0, len(texts), _TEXTS):
        per_text = [sorted(set(str(text).split())) for text in texts[at : at + _TEXTS].tolist()]
        counts[at : at + len(per_text)] = [len(keys) for keys in per_text]
        chunks.append(pa.array([key for keys in per_text for key in keys], type=pa.string()))
    del texts
    flat = pa.concat_arrays(chunks) if chunks else pa.array([], type=pa.string())
    del chunks
    encoded = pc.dictionary_encode(flat)
    del flat
    # codes follow the keys' text order
    order = pc.array_sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    key_codes = rank[encoded.indices.to_numpy()]
    names = encoded.dictionary.take(order)
    del encoded, order, rank
    prefixes = pc.dictionary_encode(pc.list_element(pc.split_pattern(names, ":", max_splits=1), 0))
    pa.default_memory_pool().release_unused()  # the hash tables' blocks, before numpy's turn
    # per record: its text's run of keys in the flat list
    text_start = np.cumsum(counts) - counts
    repeat = counts[text_codes]
    record = np.repeat(np.arange(n, dtype=np.int64), repeat)
    offset = np.arange(len(record)) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    key = key_codes[np.repeat(text_start[text_codes], repeat) + offset]
    return _Identifiers(
        start=memoryview(np.append(0, np.cumsum(repeat))),
        codes=memoryview(key),
        prefix=memoryview(prefixes.indices.to_numpy().astype(np.int64)),
        prefixes=tuple(prefixes.dictionary.to_pylist()),
        edges=_identifier_edges(record, key, names, n),
    )


_STATE: list[Any] = []  # one slot: (weakref to features, shape, id_keys, identifiers)


def _with_registrations(features: pd.DataFrame) -> pd.Series | None:
    """``id_keys`` with, per valid identifier of a record, a key of its own source and column
    (``registration/<source>/<column>:<value>``): one source's identifier column names one
    registration per value, so two records of one source with two values in it are two
    registrations (a register's old 15-digit number and a later USCC are two registrations,
    though no crosswalk relates them); across sources the keys never meet. Only where a
    source's column holds values of two schemes or more: with one, its keys conflict already."""
    keys = features.get("id_keys")
    columns = [
        c[: -len("_norm")]
        for c in features.columns
        if c.startswith("id_") and c.endswith("_norm") and f"{c[:-5]}_scheme" in features
    ]
    extra: dict[int, list[str]] = {}
    sources = features["source"].astype(str).to_numpy(dtype=object)
    for column in columns:
        valid = features[f"{column}_valid"].fillna(False).to_numpy(dtype=bool)
        rows = np.flatnonzero(valid & features[f"{column}_norm"].notna().to_numpy())
        if not len(rows):
            continue
        schemes = features[f"{column}_scheme"].to_numpy(dtype=object)[rows]
        values = features[f"{column}_norm"].to_numpy(dtype=object)[rows]
        per_source = pd.DataFrame({"source": sources[rows], "scheme": schemes})
        counts = per_source.groupby("source")["scheme"].nunique()
        mixed = np.isin(sources[rows], counts.index[counts > 1].to_numpy())
        names = {s: re.sub(r"[\s:/]", "_", s) for s in set(sources[rows][mixed].tolist())}
        for row, source, value in zip(
            rows[mixed].tolist(), sources[rows][mixed].tolist(), values[mixed].tolist(), strict=True
        ):
            extra.setdefault(row, []).append(f"registration/{names[source]}/{column[3:]}:{value}")
    if not extra:
        return keys
    out = (
        keys.to_numpy(dtype=object).copy()
        if keys is not None
        else np.full(len(features), None, dtype=object)
    )
    for row, added in extra.items():
        held = out[row] if isinstance(out[row], str) and out[row] else ""
        out[row] = " ".join([held, *added]).strip()
    return pd.Series(out, index=features.index)


def _record_state(features: pd.DataFrame) -> _Identifiers:
    """The parsed identifier keys and must-links of a features table.

    Kept for the last table (one slot, weakly referenced, reused only while its ``id_keys``
    are equal): the pipeline clusters the same features again when a raised automatic
    threshold cannot be read off the first merge log (:func:`at_higher_cutoff`).
    """
    keys = features["id_keys"].copy() if "id_keys" in features else None
    if _STATE:
        ref, shape, cached_keys, identifiers = _STATE[0]
        same_keys = (keys is None and cached_keys is None) or (
            keys is not None and cached_keys is not None and keys.equals(cached_keys)
        )
        if ref() is features and shape == features.shape and same_keys:
            return identifiers
    identifiers = _identifiers(features)
    _STATE[:] = [(weakref.ref(features), features.shape, keys, identifiers)]
    return identifiers


def release_identifier_state() -> None:
    """Drop the cached identifier keys once the run's clustering is done."""
    _STATE.clear()


def _identifier_edges(record: np.ndarray, key: np.ndarray, names: pa.Array, n: int) -> pd.DataFrame:
    """Must-links: each record to the first record (by uid) sharing one of its keys; a pair
    sharing several keys is linked once, by the smallest. ``(record, key)`` lists every key
    of every record (key codes sort like the ``names``); records are row positions."""
    empty = pd.DataFrame({"l": pd.Series(dtype=np.int64), "r": [], "key": []})
    if not len(record):
        return empty
    first = np.full(len(names), n, dtype=np.int64)
    np.minimum.at(first, key, record)
    left, right = first[key], record
    linked = left != right
    left, right, key = left[linked], right[linked], key[linked]
    if not len(left):
        return empty
    order = np.lexsort((key, right, left))
    left, right, key = left[order], right[order], key[order]
    once = np.append(True, (left[1:] != left[:-1]) | (right[1:] != right[:-1]))
    names = names.take(key[once]).to_numpy(zero_copy_only=False)  # Python strings
    return pd.DataFrame({"l": left[once], "r": right[once], "key": names})


class _Components:
    """Union-find whose roots hold the component state the constraints check."""

    def __init__(self, features: pd.DataFrame, unique_sources: set[str]) -> None:
        n = len(features)
        self.ids = _record_state(features)
        self.parent = list(range(n))
        self.size = [1] * n
        # a root's identifier keys when they are not its own record's (after a union that
        # brought keys), as Identifiers.state() gives them: built only for the roots unions
        # touch, not held for a million records
        self.merged: list[tuple[tuple[int, ...], ...] | None] = [None] * n
        branch = (
            features["is_branch"].fillna(False).astype(bool).tolist()
            if "is_branch" in features
            else [False] * n
        )
        self.kind = [_BRANCH if b else _HEAD for b in branch]
        self.features = features  # names, read only for the rare branch / non-branch edge
        self.names_units = {UNIT_COLUMN, "name_latin", "name_norm"} <= set(features)
        # a root's sub-unit: one code (-1: none), or several in ``units`` after a union that
        # an identifier or a reviewer allowed, or whose keys were read alike across scripts;
        # a code is the key's index times two, plus one when read from a Chinese name
        self.unit_keys: list[str] = []
        self.unit = [-1] * n
        if UNIT_COLUMN in features:
            codes, keys = pd.factorize(features[UNIT_COLUMN].astype(object), use_na_sentinel=True)
            self.unit_keys = [str(k) for k in keys]
            has_unit = np.flatnonzero(codes >= 0)
            chinese = np.zeros(n, dtype=np.int64)
            if "name_norm" in features and len(has_unit):
                names = features["name_norm"].to_numpy(dtype=object)[has_unit]
                chinese[has_unit] = [has_cjk(str(v)) for v in names]
            self.unit = np.where(codes >= 0, codes * 2 + chinese, -1).tolist()
        self.units: dict[int, frozenset[int]] = {}
        # the unique sources of a component as bits (0: none), small ints Python shares
        bit = {s: 1 << i for i, s in enumerate(sorted(unique_sources))}
        self.unique = [bit.get(s, 0) for s in features["source"].astype(str).tolist()]
        self.cannot: dict[int, set[int]] = {}

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def keys(self, root: int) -> tuple[tuple[int, ...], ...]:
        """The identifier keys of a component, one ``(prefix, *codes)`` group per prefix."""
        state = self.merged[root]
        return self.ids.state(root) if state is None else state

    def unit_set(self, root: int) -> frozenset[int]:
        """The sub-units of a component (codes of ``name_unit``)."""
        held = self.units.get(root)
        if held is not None:
            return held
        return frozenset((self.unit[root],)) if self.unit[root] >= 0 else frozenset()

    def _units_apart(self, ua: frozenset[int], ub: frozenset[int]) -> bool:
        """Two components' sub-units are different units: no key in common, and none read
        from a Chinese name alike to one read from a Latin name (``subunits.keys_alike``)."""
        if not {u >> 1 for u in ua}.isdisjoint({u >> 1 for u in ub}):
            return False
        keys = self.unit_keys
        return not any(
            (a & 1) != (b & 1) and keys_alike(keys[a >> 1], keys[b >> 1]) for a in ua for b in ub
        )

    def _named_unit(self, a: int, b: int, ta: int, tb: int) -> bool:
        """Records a and b, of a branch-only and a non-branch-only component, are one unit:
        the branch record's unit is named by the other record's Latin name."""
        if ta == _HEAD:
            a, b, ta, tb = b, a, tb, ta
        names = self.features
        if ta != _BRANCH or tb != _HEAD or not self.names_units:
            return False
        key, other, latin = (
            names[c].iat[i] for c, i in ((UNIT_COLUMN, a), ("name_norm", b), ("name_latin", b))
        )
        if not all(isinstance(v, str) for v in (key, other, latin)) or has_cjk(other):
            return False
        parent = names["name_parent"].iat[a] if "name_parent" in names else None
        return names_unit(key, parent if isinstance(parent, str) else None, latin)

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
        ka, kb = self.keys(ra), self.keys(rb)
        shared = False
        if ka and kb:
            small, large = (ka, kb) if len(ka) <= len(kb) else (kb, ka)
            for group in small:
                for other in large:
                    if other[0] == group[0]:
                        if other != group:
                            return f"identifier:{self.ids.prefixes[group[0]]}"
                        shared = True
                        break
        ca, cb = self.cannot.get(ra), self.cannot.get(rb)
        if ca and cb:
            small_set, root = (ca, rb) if len(ca) <= len(cb) else (cb, ra)
            if any(self.find(x) == root for x in small_set):
                return "judgement"
        ua, ub = self.unit_set(ra), self.unit_set(rb)
        named = False  # a non-branch component joins a branch as its unit
        if not override:
            ta, tb = self.kind[ra], self.kind[rb]
            if not shared and ((ta & _BRANCH and tb & _HEAD) or (ta & _HEAD and tb & _BRANCH)):
                if not self._named_unit(a, b, ta, tb):
                    return "branch"
                named = True
            if not shared and ua and ub and self._units_apart(ua, ub):
                return "unit"
            if self.unique[ra] & self.unique[rb]:
                return "unique_source"
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
            ka, kb = kb, ka
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        if kb:  # shared prefixes hold equal keys: add kb's other prefixes after ka's
            held = {group[0] for group in ka}
            self.merged[ra] = ka + tuple(group for group in kb if group[0] not in held)
        self.merged[rb] = None
        self.kind[ra] = _BRANCH if named else self.kind[ra] | self.kind[rb]
        if ub:
            joined = ua | ub
            self.units.pop(rb, None)
            if len(joined) > 1:
                self.units[ra] = joined
            else:
                self.unit[ra] = next(iter(joined))
        self.unique[ra] |= self.unique[rb]
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
        # the union-find is gone before the result tables are built
        roots, log, tried = _cluster(features, scored, unique_sources, judgements)
        return _result(features, roots, log, tried)


def _cluster(
    features: pd.DataFrame,
    scored: pd.DataFrame,
    unique_sources: set[str] | frozenset[str],
    judgements: pd.DataFrame | None,
) -> tuple[np.ndarray, dict[str, np.ndarray], Counter[str]]:
    """The component of each record (a root record), the merge log and the attempts by kind."""
    n = len(features)
    comps, ja, jb, verdicts = _constrained(features, unique_sources, judgements)
    tried: Counter[str] = Counter()
    order = np.lexsort((jb, ja))
    same = order[verdicts[order] == "same"]
    logs = [
        _try_unions(comps, tried, True, l=ja[same], r=jb[same], kind="judgement", evidence="same")
    ]
    id_edges = _record_state(features).edges
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
    edges = _matched(scored, scored["is_match"].astype(bool).to_numpy()) if len(scored) else scored
    if len(edges):
        order = _edge_order(edges, features)
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
                weight=edges[_weight_column(edges)].to_numpy(dtype=np.float64)[order],
                conf=_edge_confidence(edges)[order],
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
) -> tuple[_Components, np.ndarray, np.ndarray, np.ndarray]:
    """Empty components with the reviewers' "different" verdicts forbidden, and the judged
    pairs as record positions with their verdicts."""
    comps = _Components(features, set(unique_sources))
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
    comps: _Components,
    tried: Counter[str],
    override: bool | np.ndarray,
    *,
    weight: float = np.inf,
    conf: float = 1.0,
    rank: int = -1,
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
    attempts = zip(memoryview(rows["l"]), memoryview(rows["r"]), memoryview(overrides), strict=True)
    for i, (a, b, o) in enumerate(attempts):
        reason = comps.union(a, b, override=o)
        if reason != "":
            logged.append(i)
            reasons.append(reason)
    at = np.asarray(logged, dtype=np.int64)
    return {**{key: values[at] for key, values in rows.items()}, "reason": _objects(reasons)}


def _matched(scored: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The scored pairs of the mask ``rows`` with only the columns clustering reads (not a
    copy of every column of the matches)."""
    columns = ("idx_l", "idx_r", "match_weight", "score", "probability", "decided_by", "rules")
    # through .array: a mask on the Series would build the pairs' RangeIndex as an array; and
    # positions taken once are cheaper than the mask applied to every column
    at = np.flatnonzero(rows)
    return pd.DataFrame({c: scored[c].array.take(at) for c in columns if c in scored}, copy=False)


def _weight_column(edges: pd.DataFrame) -> str:
    return "match_weight" if "match_weight" in edges else "score"


def _edge_order(edges: pd.DataFrame, features: pd.DataFrame) -> np.ndarray:
    """Processing order of scored edges: strongest first; of equally strong ones, the pair
    with the more alike names (Jaro–Winkler of ``name_latin``: two records that agree on the
    same comparison levels may still name one firm more closely, and a record of a unique
    source joins only one of them); then by record positions."""
    weights = edges[_weight_column(edges)].to_numpy(dtype=np.float64)
    left = edges["idx_l"].to_numpy(dtype=np.int64)
    right = edges["idx_r"].to_numpy(dtype=np.int64)
    return np.lexsort((right, left, -_name_similarity(features, left, right), -weights))


def _name_similarity(features: pd.DataFrame, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Jaro–Winkler similarity of the records' ``name_latin`` per pair (0 where missing)."""
    out = np.zeros(len(left), dtype=np.float64)
    if NAME_COLUMN not in features or not len(left):
        return out
    names = features[NAME_COLUMN].to_numpy(dtype=object)
    a, b = names[left], names[right]
    present = ~(pd.isna(a) | pd.isna(b))
    if present.any():
        out[present] = process.cpdist(
            a[present], b[present], scorer=JaroWinkler.normalized_similarity, workers=-1
        )
    return out


def _objects(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


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
    if not first._log or len(before) != len(after):
        return None
    was = before["is_match"].to_numpy(dtype=bool)
    now = after["is_match"].to_numpy(dtype=bool)
    if (now & ~was).any():
        return None
    edges = _matched(before, was)
    order = _edge_order(edges, features)
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
    return _result(features, roots, log, tried)


def _tried_after(first: Clustering, edges: pd.DataFrame, kept: np.ndarray) -> Counter[str]:
    """The first run's attempts by kind, less the edges a raised cut-off stopped."""
    tried = Counter(first._tried)
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
        comps = _constrained(features, unique_sources, judgements)[0]
        log = first._log
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
            weight=edges[_weight_column(edges)].to_numpy(dtype=np.float64)[late],
            conf=_edge_confidence(edges)[late],
            rank=cut + np.arange(len(late)),
        )
        # components as labels: the prefix's, or past them a touched record's root
        roots = labels.copy()
        rebuilt = np.flatnonzero(touched[labels])
        roots[rebuilt] = len(touched) + np.fromiter(
            (comps.find(i) for i in rebuilt.tolist()), dtype=np.int64, count=len(rebuilt)
        )
        merged = {key: np.concatenate([prefix[key], tail[key]]) for key in prefix}
        return _result(features, roots, merged, _tried_after(first, edges, kept))


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
    roots: np.ndarray,
    log: dict[str, np.ndarray],
    tried: Counter[str],
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
    return Clustering(members, merges, stats, log, tried)
