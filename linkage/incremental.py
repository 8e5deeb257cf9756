"""Incremental runs: link only new or changed records against what the store already holds.

``linkage run CONFIG --store S --incremental`` gives the same result as a full run on the same
data **scored with the previous run's model** (the model is pinned: EM, the random-pair u sample
and the prior depend on every record, so refitting is what a full run does and an incremental
run does not). Everything else is recomputed exactly, or reused only where it provably equals
what a full run would compute:

- **standardise**: ``build_features`` works record by record (each standardised value is a
  function of that record's raw values), so a record whose raw values hash as before keeps its
  stored standardised columns; only new and changed records are standardised.
- **block**: block-size caps and sorted-neighbourhood windows depend on every record, but a
  pair of two unchanged records keeps its previous first rule unless it shares a key whose cap
  decision flipped or its sorted-neighbourhood membership changed
  (:mod:`linkage.blocking`, :data:`LOCAL_BLOCKING`): from the previous run's pairs
  and blocking keys (``blocking_keys.*``), only the new and changed records' keys are built
  and the pairs recomputed around them and the removed records; same pairs and report as
  ``candidate_pairs`` on all features, which runs (and saves its keys) when there are no keys.
- **compare**: a pair's comparison *levels* are a function of its two records' features, so a
  pair whose two records are unchanged and which was compared last run keeps its stored levels;
  the other pairs are compared, after preparing only their records (``Comparison.prepare`` of
  a record does not depend on the others but for term frequencies). Term frequencies (the
  ``<name>_tf`` columns) count values over all records: a pair's is the frequency
  (:func:`linkage.compare.frequencies`) of its left record's value of the level's key, where
  both records hold that value. That value is a function of the record's own features, so the
  cache keeps each record's value code per term-frequency key and the values; unchanged
  records keep their codes, new and changed ones are looked up (unseen values get new codes),
  and the frequencies are counted afresh over every current record's code and source (removed
  records are simply no longer counted): the same counts as a full run's, without preparing
  the unchanged records.
- **score**: the pinned model over all pairs.
- **cluster**: only the connected components of the edge graph that new, changed or removed
  records or changed edges touch are clustered; the others keep their entities and merge-log
  rows, with this run's weights and confidences, renumbered in the global processing order
  (:mod:`linkage.clustering.local`). Falls back to ``cluster`` when the judgements or the
  unique sources changed.
- **survive**: an entity whose members are all unchanged and were exactly one entity of the
  previous run keeps its cached profile (with this run's id and confidence); the others are
  built. No reuse when the survivorship settings or source priorities changed.
- **store, write**: as in a full run.

What a run leaves for the next one sits beside the store, in ``<store>.cache/`` (see
:func:`cache_dir`): ``meta.json`` (the run id it belongs to, the linkage version, the record
columns, the matching, blocking, clustering and survivorship settings, the model),
``records.parquet`` (uid, a content hash of the raw record, its entity id and its component),
``standardised.parquet`` (uid and the standardised columns; or ``features.parquet``, a copy of
the run's output holding them), ``terms.parquet`` (per term-frequency key of the comparisons,
named in ``meta["term_keys"]``, each record's value code, -1 = missing; rows as in
``records.parquet``) and ``term_values.parquet`` (the values of those codes, key after key:
``meta["term_sizes"]`` of each), ``blocking_keys.json``, ``.npz`` and ``.parquet`` (every
blocking rule's keys: :func:`linkage.blocking.save_key_state`), ``levels.parquet``
(``idx_l``, ``idx_r``: the pair's rows in ``records.parquet``, the comparison levels of every
candidate pair and the index of the blocking rule that found it; integer rows rather than uid
strings keep writing, reading and matching cheap), ``edges.parquet`` (the matched pairs with
weight, kind and evidence), ``merges.parquet`` and ``entities.parquet`` (copies of the run's
outputs when it wrote them). The run fills a folder of its own as it goes (the blocking keys
once blocked, the term codes once compared: :func:`stage`, so that it need not hold them),
completes it after the run is committed to the store and swaps it in whole; a cache whose run
id is not the store's latest is ignored.

When there is nothing to build on (no previous run in the store, no cache, or a cache made by
another linkage version, other record columns or other ``[matching]`` settings), the run falls
back to a full run and says why (``manifest["incremental"]["fallback"]``; the CLI prints it).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linkage._version import __version__
from linkage.compare import (
    Comparison,
    compare_columns,
    pair_term_frequencies,
    prepare_all,
    source_codes,
    term_keys,
    term_prepared,
    term_values,
)
from linkage.profiles import PreviousProfiles, reuse_profiles
from linkage.scoring import FellegiSunter, SupervisedModel, model_from_dict
from linkage.standardize.features import build_features

CACHE_FORMAT = 4
# 2: levels.parquet names the records by row in records.parquet, not by uid
# 3: records.parquet holds each record's entity id; entities.parquet (the run's profiles);
#    levels.parquet the index of the blocking rule that found each pair; records.parquet the
#    component of each record, edges.parquet (matched pairs), merges.parquet (merge log)
# 4: terms.parquet and term_values.parquet (the term-frequency keys' value codes)
Model = FellegiSunter | SupervisedModel
LOCAL_BLOCKING = True
"""Whether incremental runs block locally from the previous run's cached blocking keys
(:func:`linkage.blocking.cached_candidate_pairs`, which builds only the new and changed
records' keys). Off: ``candidate_pairs`` on all records."""


def cache_dir(store_path: str | Path) -> Path:
    """The folder beside a store file that holds what the next incremental run reuses."""
    path = Path(store_path)
    return path.with_name(path.name + ".cache")


def code_fingerprint() -> str:
    """sha256 over the code and data that standardised columns and comparison levels come
    from (``linkage/standardize/``, ``linkage/compare/``): a cache made by other code is not used,
    even when the version number did not change."""
    package = Path(__file__).resolve().parent
    files = sorted((package / "standardize").rglob("*")) + sorted((package / "compare").rglob("*"))
    digest = hashlib.sha256()
    for path in files:
        if path.is_file() and path.suffix in (".py", ".csv", ".json", ".txt"):
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def record_hashes(records: pd.DataFrame) -> np.ndarray:
    """A 64-bit content hash per record over all its columns (uint64, same row order).

    Uses pandas' fixed-key hashing, so the same values give the same hash in every process.
    """
    if len(records) == 0:
        return np.zeros(0, dtype=np.uint64)
    frame = records.astype(object).where(records.notna(), None)
    return pd.util.hash_pandas_object(frame, index=False, categorize=False).to_numpy(
        dtype=np.uint64
    )


def matching_settings(config: Any) -> dict[str, Any]:
    """The config settings a pinned model stands for (a change invalidates the cache)."""
    comparisons = (
        [c.model_dump(mode="json", exclude_none=True) for c in config.comparisons]
        if config.comparisons is not None
        else None
    )
    return {
        "matching": config.matching.model_dump(mode="json"),
        "comparisons": comparisons,
    }


def blocking_settings(
    rules: list[Any], unique_sources: set[str], max_block_size: int
) -> dict[str, Any]:
    """What a run's candidate pairs depend on besides the features (the next run blocks
    locally only when it blocks with the same)."""
    return {
        "rules": [r.to_dict() for r in rules],
        "unique_sources": sorted(unique_sources),
        "max_block_size": max_block_size,
    }


def clustering_settings(
    unique_sources: set[str], judgements: pd.DataFrame | None
) -> dict[str, Any]:
    """What clustering depends on besides the records and the scored pairs."""
    from linkage.clustering import judgements_digest

    return {"unique_sources": sorted(unique_sources), "judgements": judgements_digest(judgements)}


@dataclass
class Cache:
    """What one run left for the next incremental run.

    The standardised columns and the pairs' levels are held only while they are used
    (at 907k records, about 0.9 and 0.25 GB): :func:`load_cache` leaves ``standardised``
    None, read from the folder when the features are built (:meth:`standardised_columns`;
    held after that, the strings would outlive the features' own), and the levels are let go
    once compared (:meth:`IncrementalPlan.compare`; :meth:`pair_levels` reads them again)."""

    meta: dict[str, Any]
    hashes: pd.DataFrame  # uid, hash, entity_id (the record's entity in that run)
    standardised: pd.DataFrame | None  # None: read from the folder when asked
    levels: pd.DataFrame | None  # None: read from the folder when asked
    folder: Path | None = None

    def standardised_columns(self, columns: list[str]) -> pd.DataFrame:
        """The cached run's standardised ``columns`` (text as object columns, as
        ``build_features`` makes it): those held, else read from the folder."""
        if self.standardised is not None:
            return self.standardised[columns]
        if self.folder is None:
            raise ValueError("the cache holds no standardised columns and has no folder")
        return _standardised(self.folder, columns)

    def pair_levels(self) -> pd.DataFrame:
        """The cached run's pairs (``idx_l``, ``idx_r``, levels, ``rule``): those held, else
        read from the folder."""
        if self.levels is not None:
            return self.levels
        if self.folder is None:
            raise ValueError("the cache holds no pair levels and has no folder")
        return pd.read_parquet(self.folder / "levels.parquet")

    def entities_file(self) -> Path | None:
        """The run's entities table (``entities.parquet``, as the run wrote it), None when
        not cached."""
        path = None if self.folder is None else self.folder / "entities.parquet"
        return path if path is not None and path.exists() else None

    def terms(self) -> TermCodes | None:
        """The run's term-frequency value codes, None when not cached."""
        keys = self.meta.get("term_keys")
        if self.folder is None or keys is None:
            return None
        codes_path, values_path = self.folder / "terms.parquet", self.folder / "term_values.parquet"
        if not (codes_path.exists() and values_path.exists()):
            return None
        table = pq.read_table(codes_path)
        values = pq.read_table(values_path).column("value").combine_chunks()
        sizes = self.meta["term_sizes"]
        starts = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        return TermCodes(
            [(str(name), str(key)) for name, key in keys],
            [table.column(str(i)).to_numpy().astype(np.int64) for i in range(len(keys))],
            [values.slice(starts[i], sizes[i]) for i in range(len(keys))],
        )

    @property
    def model(self) -> Model:
        """The model the run scored with (pinned for the next incremental run)."""
        return model_from_dict(self.meta["model"])


@dataclass
class TermCodes:
    """Per term-frequency key of a run's comparisons (``(comparison name, key)``, in the
    comparisons' order): each record's value code (int64, -1 = missing; rows as the run's
    features) and the value of each code (strings; unused codes allowed)."""

    keys: list[tuple[str, str]]
    codes: list[np.ndarray]
    values: list[Any]  # pa.Array of strings, or an object ndarray of str

    @staticmethod
    def keys_of(comparisons: list[Comparison]) -> list[tuple[str, str]]:
        """The (comparison name, key) of every term-frequency key of ``comparisons``."""
        return [(c.name, key) for c in comparisons for key in term_keys(c)]

    @classmethod
    def of(cls, comparisons: list[Comparison], prepared: list[Any]) -> TermCodes | None:
        """From the comparisons' prepared arrays over every record (a full run's compare);
        None when a comparison does not say its values."""
        codes, values = [], []
        for comparison, arrays in zip(comparisons, prepared, strict=True):
            for key in term_keys(comparison):
                found = term_values(arrays, key)
                if found is None:
                    return None
                codes.append(found[0])
                values.append(found[1])
        return cls(cls.keys_of(comparisons), codes, values)

    def compacted(self) -> TermCodes | None:
        """Only the values some record holds, renumbered in their order; None when a value
        is not a string (such a cache is not written)."""
        codes, values = [], []
        for column, dictionary in zip(self.codes, self.values, strict=True):
            try:
                if isinstance(dictionary, pa.Array):
                    dictionary = dictionary.cast(pa.string())
                else:
                    dictionary = pa.array(dictionary, type=pa.string())
            except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
                return None
            held = column >= 0
            used = np.zeros(len(dictionary) + 1, dtype=bool)
            used[column[held]] = True
            used = used[:-1]
            renumber = np.append(np.cumsum(used) - 1, -1)
            codes.append(renumber[column].astype(np.int32))
            values.append(dictionary.filter(pa.array(used)))
        return TermCodes(self.keys, codes, values)


def _standardised(folder: Path, columns: list[str]) -> pd.DataFrame:
    """Standardised ``columns`` of the cached run: from ``standardised.parquet``, or from the
    run's ``features.parquet`` copied into the cache."""
    # text comes back as object columns, as build_features makes it, however it was written
    path = folder / "standardised.parquet"
    if not path.exists():
        path = folder / "features.parquet"
    frame = pq.read_table(path, columns=columns).to_pandas(ignore_metadata=True)
    return frame if list(frame.columns) == columns else frame[columns]


def load_cache(store_path: str | Path, run_id: int) -> tuple[Cache | None, str]:
    """The cache of the store's run ``run_id``, or None and the reason it cannot be used."""
    folder = cache_dir(store_path)
    if run_id <= 0:
        return None, f"the store {store_path} holds no previous run"
    meta_path = folder / "meta.json"
    if not meta_path.exists():
        return None, f"no incremental cache beside the store ({folder})"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format") != CACHE_FORMAT:
        return None, (
            f"the incremental cache in {folder} has format {meta.get('format')}, "
            f"this linkage reads format {CACHE_FORMAT}"
        )
    if meta.get("run_id") != run_id:
        return None, (
            f"the incremental cache in {folder} belongs to run {meta.get('run_id')}, "
            f"not to the store's latest run {run_id}"
        )
    if meta.get("linkage_version") != __version__:
        return None, (
            f"the incremental cache was made by linkage {meta.get('linkage_version')}, "
            f"this is {__version__}"
        )
    if meta.get("code") != code_fingerprint():
        return None, "linkage's standardisation or comparison code changed since the previous run"
    cache = Cache(
        meta,
        pd.read_parquet(folder / "records.parquet"),
        None,  # read when the features are built
        pd.read_parquet(folder / "levels.parquet"),
        folder,
    )
    return cache, ""


def save_cache(
    store_path: str | Path,
    run_id: int,
    *,
    record_columns: list[str],
    hashes: np.ndarray,
    features: pd.DataFrame,
    compared: pd.DataFrame,
    comparisons: list[Comparison],
    model: Model,
    settings: dict[str, Any],
    memberships: pd.DataFrame | None = None,
    entities: pd.DataFrame | None = None,
    entities_file: Path | None = None,
    profiles: dict[str, Any] | None = None,
    blocking: dict[str, Any] | None = None,
    pairs: pd.DataFrame | None = None,
    merges: pd.DataFrame | None = None,
    merges_file: Path | None = None,
    clustering: dict[str, Any] | None = None,
    features_file: Path | None = None,
    terms: TermCodes | None = None,
    key_state: Any = None,
) -> Path:
    """Write the cache of run ``run_id`` beside the store (replacing the previous one).

    ``record_columns`` are the columns of the records table read (the features table holds
    them and the standardised ones, row for row); ``compared`` needs ``idx_l``, ``idx_r``, the
    level columns and ``rules`` (the scored pairs have them).

    ``memberships`` (``uid, entity_id``, final ids) and ``entities`` let the next run reuse the
    profiles of entities whose members did not change; ``entities_file``, the run's
    ``entities.parquet`` when it was written, is copied instead of writing ``entities`` again.
    ``profiles`` are the :func:`linkage.profiles.survivorship_settings` the profiles were
    built with; ``blocking`` the :func:`blocking_settings` the pairs were found with. ``pairs`` (the
    scored pairs), ``merges`` (the merge log, or ``merges_file`` to copy) and ``clustering``
    (:func:`clustering_settings`) let the next run reuse untouched components. ``terms``
    (:class:`TermCodes` of ``comparisons``, for ``features``' rows) let it compute term
    frequencies without preparing unchanged records. ``key_state`` (the run's blocking keys,
    ``BlockingReport.key_state``, found with ``blocking``) lets it block locally. Parts
    already written by :func:`stage` are kept.
    """
    folder = cache_dir(store_path)
    tmp = staging_dir(store_path)  # may hold parts staged during the run (:func:`stage`)
    tmp.mkdir(parents=True, exist_ok=True)
    standard_columns = [c for c in features.columns if c not in record_columns]
    level_columns = [f"{c.name}_level" for c in comparisons]
    uids = features["uid"].to_numpy(dtype=object)
    frame = pd.DataFrame({"uid": uids, "hash": hashes})
    if memberships is not None:
        by_uid = pd.Series(
            memberships["entity_id"].to_numpy(dtype=object),
            index=memberships["uid"].to_numpy(dtype=object),
        )
        frame["entity_id"] = by_uid.reindex(uids).to_numpy(dtype=object)
        if merges is not None:
            from linkage.clustering import components_of_run

            labels = components_of_run(memberships, merges).set_index("uid")["component"]
            frame["component"] = labels.reindex(uids).to_numpy(dtype=np.int64)
    _write(frame, tmp / "records.parquet")
    if pairs is not None and merges is not None:
        matched = pairs[pairs["is_match"].astype(bool)]
        weight = "match_weight" if "match_weight" in matched else "score"
        edges = pd.DataFrame(
            {
                "idx_l": matched["idx_l"].to_numpy(dtype=np.int64),
                "idx_r": matched["idx_r"].to_numpy(dtype=np.int64),
                "weight": matched[weight].to_numpy(dtype=np.float64),
                "kind": matched["decided_by"].astype(str).to_numpy(dtype=object),
                "evidence": (
                    matched["rules"].astype(str).to_numpy(dtype=object)
                    if "rules" in matched
                    else np.full(len(matched), "", dtype=object)
                ),
            }
        )
        _write(edges, tmp / "edges.parquet")
        if merges_file is not None and merges_file.exists():
            shutil.copyfile(merges_file, tmp / "merges.parquet")
        else:
            _write_entities(merges, tmp / "merges.parquet")
    if entities_file is not None and entities_file.exists():
        shutil.copyfile(entities_file, tmp / "entities.parquet")
    elif entities is not None:
        _write_entities(entities, tmp / "entities.parquet")
    if features_file is not None and features_file.exists():
        # the run's features.parquet holds the same rows and columns: copied, not rewritten
        shutil.copyfile(features_file, tmp / "features.parquet")
    else:
        _write(features[["uid", *standard_columns]], tmp / "standardised.parquet")
    # features rows are the records rows, so idx_l/idx_r are rows of records.parquet
    # a frame over the same arrays (selecting columns, or assign, would copy 10M-row columns)
    columns = {c: compared[c] for c in ["idx_l", "idx_r", *level_columns]}
    if blocking is not None and "rules" in compared:
        names = [r["name"] for r in blocking["rules"]]
        rule = pd.Index(names).get_indexer(compared["rules"].to_numpy(dtype=object))
        columns["rule"] = pd.Series(rule.astype(np.int16), index=compared.index)
    _write(pd.DataFrame(columns, index=compared.index, copy=False), tmp / "levels.parquet")
    _write_parts(tmp, key_state, terms, comparisons)
    meta = {
        "format": CACHE_FORMAT,
        "run_id": run_id,
        "linkage_version": __version__,
        "code": code_fingerprint(),
        "record_columns": [str(c) for c in record_columns],
        "standardised_columns": [str(c) for c in standard_columns],
        "level_columns": level_columns,
        "settings": settings,
        "profiles": profiles,
        "blocking": blocking,
        "clustering": clustering,
        "model": model.to_dict(),
        "term_keys": None,
        "term_sizes": None,
    }
    staged_terms = tmp / "terms.json"  # what _write_parts said of the codes it wrote
    if staged_terms.exists():
        meta |= json.loads(staged_terms.read_text(encoding="utf-8"))
        staged_terms.unlink()
    (tmp / "meta.json").write_text(
        json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    return folder


def staging_dir(store_path: str | Path) -> Path:
    """The folder this process fills with the next cache of ``store_path``: :func:`stage` puts
    parts there as soon as a run has them, :func:`save_cache` completes it and swaps it in."""
    folder = cache_dir(store_path)
    return folder.with_name(f"{folder.name}.tmp-{os.getpid()}")


def stage(
    store_path: str | Path,
    *,
    key_state: Any = None,
    terms: TermCodes | None = None,
    comparisons: list[Comparison] | None = None,
) -> None:
    """Write parts of the next cache now, so that the run need not hold them to the end: the
    blocking keys once blocked, the term-frequency codes (of ``comparisons``) once compared
    (at 907k records they would keep about 0.7 GB alive through scoring)."""
    folder = staging_dir(store_path)
    folder.mkdir(parents=True, exist_ok=True)
    _write_parts(folder, key_state, terms, comparisons or [])


def discard_staged(store_path: str | Path) -> None:
    """Remove what this process staged for a cache it did not save (a failed run), or that a
    crashed process with the same pid left."""
    shutil.rmtree(staging_dir(store_path), ignore_errors=True)


def _write_parts(
    folder: Path, key_state: Any, terms: TermCodes | None, comparisons: list[Comparison]
) -> None:
    if key_state is not None:
        from linkage.blocking import save_key_state

        save_key_state(folder, key_state)
    kept = None
    if terms is not None and terms.keys == TermCodes.keys_of(comparisons):
        kept = terms.compacted()
    if kept is not None:
        table = pa.table({str(i): column for i, column in enumerate(kept.codes)})
        pq.write_table(table, folder / "terms.parquet", compression="zstd")
        values = pa.concat_arrays(kept.values) if kept.values else pa.array([], pa.string())
        table = pa.table({"value": values})
        pq.write_table(table, folder / "term_values.parquet", compression="zstd")
        sizes = {
            "term_keys": [list(k) for k in kept.keys],
            "term_sizes": [len(v) for v in kept.values],
        }
        (folder / "terms.json").write_text(json.dumps(sizes), encoding="utf-8")


def _write_entities(frame: pd.DataFrame, path: Path) -> None:
    # as linkage.outputs writes entities.parquet, so that both are read back alike
    from linkage.outputs import write_parquet

    write_parquet(frame, path)


def _write(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)  # no copy: the index is dropped
    pq.write_table(table, path, compression="zstd")


@dataclass
class IncrementalPlan:
    """Which records are new, changed, unchanged or removed, and the reuse that follows.

    Build with :meth:`from_cache`; then :meth:`features` replaces ``build_features`` and
    :meth:`compare` replaces ``compare_pairs`` for the run.
    """

    cache: Cache
    records: pd.DataFrame
    hashes: np.ndarray
    unchanged: np.ndarray  # bool per record row: raw values hash as in the cached run
    old_rows: np.ndarray  # per record row: its row in the cached run (-1: new)
    stats: dict[str, Any] = field(default_factory=dict)
    terms: TermCodes | None = None  # this run's term-frequency value codes (after compare)

    @classmethod
    def from_cache(
        cls, cache: Cache, records: pd.DataFrame, hashes: np.ndarray | None = None
    ) -> IncrementalPlan:
        """Compare this run's records with the cached run's, by uid and content hash."""
        hashes = record_hashes(records) if hashes is None else hashes
        uids = records["uid"].to_numpy(dtype=object)
        old = pd.Index(cache.hashes["uid"].to_numpy(dtype=object))
        where = old.get_indexer(uids)
        known = where >= 0
        old_hash = cache.hashes["hash"].to_numpy(dtype=np.uint64)
        same = np.zeros(len(records), dtype=bool)
        same[known] = old_hash[where[known]] == hashes[known]
        stats = {
            "records": len(records),
            "new": int((~known).sum()),
            "changed": int((known & ~same).sum()),
            "unchanged": int(same.sum()),
            "removed": int(len(old) - known.sum()),
        }
        return cls(cache, records, hashes, same, where, stats)

    def features(self) -> pd.DataFrame:
        """The features table: stored standardised columns for unchanged records, fresh ones
        (``build_features``) for new and changed records; equal to ``build_features(records)``."""
        records = self.records
        columns = list(self.cache.meta["standardised_columns"])
        fresh_rows = np.flatnonzero(~self.unchanged)
        self.stats["standardised"] = len(fresh_rows)
        stored = self.cache.standardised_columns(columns)
        # per record its row in ``combined``: the stored row, or a fresh one after them
        position = np.where(self.unchanged, self.old_rows, -1).astype(np.int64)
        combined = stored
        if len(fresh_rows):
            subset = records.iloc[fresh_rows]
            fresh = build_features(subset)
            fresh_columns = [c for c in fresh.columns if c not in records.columns]
            if fresh_columns != columns:
                raise RuntimeError(
                    "standardised columns differ from the cached run's: "
                    f"{fresh_columns} vs {columns}"
                )
            position[fresh_rows] = len(stored) + np.arange(len(fresh_rows))
            combined = pd.concat([stored, fresh[columns]], ignore_index=True)
            del stored, fresh  # their copies in combined
        standard = combined.take(position)
        del combined
        standard.index = records.index
        return pd.concat([records, standard], axis=1)

    def block(
        self,
        features: pd.DataFrame,
        rules: list[Any],
        *,
        unique_sources: set[str],
        max_block_size: int,
        local: bool | None = None,
        keep_keys: bool = True,
    ) -> tuple[pd.DataFrame, Any]:
        """``candidate_pairs(features, rules, ...)``; with ``local`` (default
        :data:`LOCAL_BLOCKING`), blocked locally around the new, changed and removed records
        from the previous run's pairs and cached keys
        (:func:`linkage.blocking.cached_candidate_pairs`) when it blocked with the
        same settings and left its keys. The report's ``key_state`` holds this run's keys
        (for :func:`save_cache`; with ``keep_keys`` when blocking in full)."""
        from linkage.blocking import cached_candidate_pairs, candidate_pairs, load_key_state

        settings = blocking_settings(rules, unique_sources, max_block_size)
        folder = self.cache.folder
        state = None
        if (
            (LOCAL_BLOCKING if local is None else local)
            and self.cache.meta.get("blocking") == settings
            and folder is not None
            and "rule" in self.cache.pair_levels()
        ):
            state = load_key_state(folder)
        if state is not None:
            levels = self.cache.pair_levels()
            found = cached_candidate_pairs(
                features,
                rules,
                unique_sources=unique_sources,
                max_block_size=max_block_size,
                touched=~self.unchanged,
                old_rows=self.old_rows,
                old_pairs=levels[["idx_l", "idx_r", "rule"]],
                state=state,
            )
            if found is not None:
                self.stats["blocking"] = "local"
                return found[0], found[1]
        self.stats["blocking"] = "full"
        return candidate_pairs(
            features,
            rules,
            unique_sources=unique_sources,
            max_block_size=max_block_size,
            keep_keys=keep_keys,
        )

    def compare(
        self,
        features: pd.DataFrame,
        pairs: pd.DataFrame,
        comparisons: list[Comparison],
        *,
        chunk_size: int = 1_000_000,
    ) -> pd.DataFrame:
        """``compare_pairs(features, pairs, comparisons)``, reusing the stored levels of pairs
        whose two records are unchanged. Only the records of the other pairs, and the new and
        changed records, are prepared; term frequencies come from the cached value codes of
        the unchanged records (:meth:`_terms`). Without cached codes, every record is
        prepared. Leaves this run's codes in :attr:`terms` for the next run's cache; the
        cache lets go of its levels (no later stage reads them).

        ``features`` rows are the plan's record rows (as :meth:`features` makes them)."""
        n = len(features)
        if n != len(self.unchanged):
            raise ValueError("the features are not the plan's records")
        il = pairs["idx_l"].to_numpy(dtype=np.int64)
        ir = pairs["idx_r"].to_numpy(dtype=np.int64)
        stored = self.cache.pair_levels()
        level_columns = [f"{c.name}_level" for c in comparisons]
        if level_columns != list(self.cache.meta["level_columns"]):
            raise RuntimeError("the pinned model's comparisons differ from the cached levels")
        # cached record row -> row now (-1: removed); then the stored pairs' rows now
        known = np.flatnonzero(self.old_rows >= 0)
        now = np.full(len(self.cache.hashes), -1, dtype=np.int64)
        now[self.old_rows[known]] = known
        sl = now[stored["idx_l"].to_numpy(dtype=np.int64)]
        sr = now[stored["idx_r"].to_numpy(dtype=np.int64)]
        alive = (sl >= 0) & (sr >= 0)
        alive[alive] &= self.unchanged[sl[alive]] & self.unchanged[sr[alive]]
        stored_keys = sl[alive] * n + sr[alive]
        stored_rows = np.flatnonzero(alive)
        keys = il * n + ir
        if len(stored_keys) and bool((stored_keys[1:] > stored_keys[:-1]).all()):
            # sorted (candidate pairs are, and unchanged records usually keep their order)
            pos = np.searchsorted(stored_keys, keys)
            pos[pos == len(stored_keys)] = 0
            lookup = np.where(stored_keys[pos] == keys, pos, -1)
        else:
            lookup = pd.Index(stored_keys).get_indexer(keys)
        reuse = lookup >= 0
        todo = np.flatnonzero(~reuse)
        done = np.flatnonzero(reuse)
        old_terms = self.cache.terms()
        if old_terms is not None and old_terms.keys != TermCodes.keys_of(comparisons):
            old_terms = None
        terms = None
        if old_terms is not None:
            # only the records that are compared, or whose value codes are not cached
            fresh = np.flatnonzero(~self.unchanged)
            rows = np.unique(np.concatenate([il[todo], ir[todo], fresh]))
            subset = features.take(rows)
            prepared = [c.prepare(subset) for c in comparisons]
            terms = self._terms(old_terms, comparisons, prepared, rows, fresh)
        if terms is None:
            # every record prepared: its frequencies are the term frequencies
            prepared = prepare_all(comparisons, features)
            self.terms = TermCodes.of(comparisons, prepared)
            rows = np.arange(n)
        else:
            self.terms = terms
        self.stats["prepared_records"] = len(rows)
        at = np.full(n, -1, dtype=np.int64)
        at[rows] = np.arange(len(rows))
        fresh_levels, _ = compare_columns(
            comparisons,
            prepared,
            at[il[todo]],
            at[ir[todo]],
            chunk_size=chunk_size,
            term_frequencies=False,
        )
        rows_stored = stored_rows[lookup[done]]
        levels = []
        for j, column in enumerate(level_columns):
            lv = np.empty(len(pairs), dtype=np.int8)
            lv[todo] = fresh_levels[j]
            lv[done] = stored[column].to_numpy(dtype=np.int8)[rows_stored]
            levels.append(lv)
        del stored
        if self.cache.folder is not None:  # no later stage needs them (nor holds them)
            self.cache.levels = None
        by_key = {} if terms is None else dict(zip(terms.keys, terms.codes, strict=True))
        sources = None if terms is None else source_codes(features)
        tf = []
        for j, comparison in enumerate(comparisons):
            if not comparison.tf_levels:
                continue
            counted = prepared[j]
            if terms is not None:
                codes = {key: by_key[(comparison.name, key)] for key in term_keys(comparison)}
                counted = term_prepared(codes, sources)
            tf.append(pair_term_frequencies(comparison, counted, il, ir, levels[j]))
        self.stats["reused_pairs"] = len(done)
        self.stats["scored_pairs"] = len(todo)
        # as compare_pairs builds its frame
        data: dict[Any, Any] = {c: pairs[c] for c in pairs}
        for j, comparison in enumerate(comparisons):
            data[f"{comparison.name}_level"] = pd.Series(levels[j], index=pairs.index)
        for comparison, values in zip([c for c in comparisons if c.tf_levels], tf, strict=True):
            data[f"{comparison.name}_tf"] = pd.Series(values, index=pairs.index)
        return pd.DataFrame(data, index=pairs.index, copy=False)

    def _terms(
        self,
        old: TermCodes,
        comparisons: list[Comparison],
        prepared: list[Any],
        rows: np.ndarray,
        fresh: np.ndarray,
    ) -> TermCodes | None:
        """This run's value codes per term-frequency key: the cached codes of unchanged
        records; for the new and changed records (``fresh``, among the prepared ``rows``),
        the codes of their values in the cached values, new codes for unseen values."""
        unchanged = np.flatnonzero(self.unchanged)
        old_of_unchanged = self.old_rows[unchanged]
        at_fresh = np.searchsorted(rows, fresh)
        codes_out, values_out = [], []
        i = 0
        for comparison, arrays in zip(comparisons, prepared, strict=True):
            for key in term_keys(comparison):
                found = term_values(arrays, key)
                if found is None:
                    return None
                sub_codes, sub_values = found
                dictionary = old.values[i]
                codes = np.full(len(self.unchanged), -1, dtype=np.int64)
                codes[unchanged] = old.codes[i][old_of_unchanged]
                try:
                    probe = pa.array(sub_values, type=dictionary.type)
                except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
                    return None
                # the (few) values looked up in the (many) cached ones: hash the few only
                # (the cached values are distinct)
                where = pc.index_in(dictionary, value_set=probe).fill_null(-1)
                where_np = where.to_numpy(zero_copy_only=False).astype(np.int64)
                hit = np.flatnonzero(where_np >= 0)
                mapped = np.full(len(probe), -1, dtype=np.int64)
                mapped[where_np[hit]] = hit
                unseen = np.flatnonzero(mapped < 0)
                if len(unseen):
                    labels, uniques = pd.factorize(sub_values[unseen])
                    mapped[unseen] = len(dictionary) + labels
                    added = pa.array(np.asarray(uniques, dtype=object), type=dictionary.type)
                    dictionary = pa.concat_arrays([dictionary, added])
                codes[fresh] = np.append(mapped, -1)[sub_codes[at_fresh]]
                codes_out.append(codes)
                values_out.append(dictionary)
                i += 1
        return TermCodes(old.keys, codes_out, values_out)

    def cluster(
        self,
        features: pd.DataFrame,
        scored: pd.DataFrame,
        *,
        unique_sources: set[str],
        judgements: pd.DataFrame | None,
    ) -> Any:
        """``cluster(features, scored, ...)``, reusing the previous run's entities and merge-log
        rows for the components nothing touched (:mod:`linkage.clustering.local`)."""
        from linkage.clustering import MERGE_COLUMNS, cluster, incremental_cluster

        folder = self.cache.folder
        hashes = self.cache.hashes
        usable = (
            folder is not None
            and self.cache.meta.get("clustering") == clustering_settings(unique_sources, judgements)
            and "component" in hashes
            and (folder / "edges.parquet").exists()
            and (folder / "merges.parquet").exists()
        )
        if not usable:
            self.stats["reused_cluster_records"] = 0
            return cluster(features, scored, unique_sources=unique_sources, judgements=judgements)
        assert folder is not None
        logged = [c for c in MERGE_COLUMNS if c not in ("step", "entity_l", "entity_r")]
        clustering, reused = incremental_cluster(
            features,
            scored,
            unique_sources=unique_sources,
            judgements=judgements,
            unchanged=self.unchanged,
            old_rows=self.old_rows,
            old_component=hashes["component"].to_numpy(dtype=np.int64),
            old_entity=hashes["entity_id"].to_numpy(dtype=object),
            old_edges=pd.read_parquet(folder / "edges.parquet"),
            # what incremental_cluster reads of the merge log (not step and the entity ids)
            old_merges=pd.read_parquet(folder / "merges.parquet", columns=logged),
        )
        self.stats["reused_cluster_records"] = reused
        return clustering

    def profiles(
        self,
        features: pd.DataFrame,
        memberships: pd.DataFrame,
        config: Any,
    ) -> pd.DataFrame:
        """``build_profiles(features, memberships, ...)``, reusing the cached profiles of
        entities that did not change (:func:`linkage.profiles.reuse_profiles`)."""
        profiles, reused = reuse_profiles(self.previous_profiles(), features, memberships, config)
        self.stats["reused_profiles"] = reused
        return profiles

    def previous_profiles(self) -> PreviousProfiles:
        """What the profiles stage may reuse of the cached run."""
        hashes = self.cache.hashes
        return PreviousProfiles(
            settings=self.cache.meta.get("profiles"),
            entities_file=self.cache.entities_file(),
            entity_ids=(
                hashes["entity_id"].to_numpy(dtype=object) if "entity_id" in hashes else None
            ),
            uids=self.records["uid"].to_numpy(),
            old_rows=self.old_rows,
            unchanged=self.unchanged,
        )


def plan_for(
    store_path: str | Path, run_id: int, config: Any, records: pd.DataFrame, hashes: np.ndarray
) -> tuple[IncrementalPlan | None, str]:
    """An incremental plan against the store's latest run, or None and why a full run is due."""
    cache, reason = load_cache(store_path, run_id)
    if cache is None:
        return None, reason
    if cache.meta["record_columns"] != [str(c) for c in records.columns]:
        return None, "the record columns differ from the previous run's (the config changed)"
    if cache.meta["settings"] != matching_settings(config):
        return None, "the [matching] or [[comparisons]] settings changed since the previous run"
    return IncrementalPlan.from_cache(cache, records, hashes), ""


__all__ = [
    "LOCAL_BLOCKING",
    "Cache",
    "IncrementalPlan",
    "TermCodes",
    "blocking_settings",
    "cache_dir",
    "clustering_settings",
    "code_fingerprint",
    "discard_staged",
    "load_cache",
    "matching_settings",
    "plan_for",
    "record_hashes",
    "save_cache",
    "stage",
    "staging_dir",
]
