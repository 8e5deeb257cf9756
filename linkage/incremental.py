"""Incremental runs: link only new or changed records against what the store already holds.

``linkage run CONFIG --store S --incremental`` gives the same result as a full run on the same
data **scored with the previous run's model** (the model is pinned: EM, the random-pair u sample
and the prior depend on every record, so refitting is what a full run does and an incremental
run does not). Everything else is recomputed exactly, or reused only where it provably equals
what a full run would compute:

- **standardise**: ``build_features`` works record by record (each standardised value is a
  function of that record's raw values), so a record whose raw values hash as before keeps its
  stored standardised columns; only new and changed records are standardised.
- **block**: candidate pairs depend on every record (generic keys skipped by block size,
  sorted-neighbourhood windows), so blocking runs on all features, unchanged.
- **compare**: a pair's comparison *levels* are a function of its two records' features, so a
  pair whose two records are unchanged and which was compared last run keeps its stored levels;
  the other pairs are compared. Term frequencies (the ``<name>_tf`` columns) count values over
  all records, so they are recomputed for every pair from the current records.
- **score, cluster, survive, store, write**: as in a full run (score with the pinned model).

What a run leaves for the next one sits beside the store, in ``<store>.cache/`` (see
:func:`cache_dir`): ``meta.json`` (the run id it belongs to, the linkage version, the record
columns, the matching settings, the model), ``records.parquet`` (uid and a content hash of the
raw record), ``standardised.parquet`` (uid and the standardised columns) and ``levels.parquet``
(``idx_l``, ``idx_r``: the pair's rows in ``records.parquet``, and the comparison levels of every
candidate pair; integer rows rather than uid strings keep writing, reading and matching cheap).
It is written after the run is committed to the store; a cache whose run id is not the store's
latest is ignored.

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
import pyarrow.parquet as pq

from linkage._version import __version__
from linkage.comparisons import Comparison, compare_indexed, gather, prepare_all
from linkage.scoring import FellegiSunter, SupervisedModel, model_from_dict
from linkage.standardize.features import build_features

CACHE_FORMAT = 2  # 2: levels.parquet names the records by row in records.parquet, not by uid
Model = FellegiSunter | SupervisedModel


def cache_dir(store_path: str | Path) -> Path:
    """The folder beside a store file that holds what the next incremental run reuses."""
    path = Path(store_path)
    return path.with_name(path.name + ".cache")


def code_fingerprint() -> str:
    """sha256 over the code and data that standardised columns and comparison levels come
    from (``linkage/standardize/``, ``comparisons.py``): a cache made by other code is not used,
    even when the version number did not change."""
    package = Path(__file__).resolve().parent
    files = sorted((package / "standardize").rglob("*"))
    files.append(package / "comparisons.py")
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


@dataclass
class Cache:
    """What one run left for the next incremental run."""

    meta: dict[str, Any]
    hashes: pd.DataFrame
    standardised: pd.DataFrame
    levels: pd.DataFrame

    @property
    def model(self) -> Model:
        """The model the run scored with (pinned for the next incremental run)."""
        return model_from_dict(self.meta["model"])


def load_cache(store_path: str | Path, run_id: int) -> tuple[Cache | None, str]:
    """The cache of the store's run ``run_id``, or None and the reason it cannot be used."""
    folder = cache_dir(store_path)
    if run_id <= 0:
        return None, f"the store {store_path} holds no previous run"
    meta_path = folder / "meta.json"
    if not meta_path.exists():
        return None, f"no incremental cache beside the store ({folder})"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format") != CACHE_FORMAT or meta.get("run_id") != run_id:
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
        pd.read_parquet(folder / "standardised.parquet"),
        pd.read_parquet(folder / "levels.parquet"),
    )
    return cache, ""


def save_cache(
    store_path: str | Path,
    run_id: int,
    *,
    records: pd.DataFrame,
    hashes: np.ndarray,
    features: pd.DataFrame,
    compared: pd.DataFrame,
    comparisons: list[Comparison],
    model: Model,
    settings: dict[str, Any],
) -> Path:
    """Write the cache of run ``run_id`` beside the store (replacing the previous one)."""
    folder = cache_dir(store_path)
    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    standard_columns = [c for c in features.columns if c not in records.columns]
    level_columns = [f"{c.name}_level" for c in comparisons]
    _write(
        pd.DataFrame({"uid": records["uid"].to_numpy(), "hash": hashes}), tmp / "records.parquet"
    )
    _write(features[["uid", *standard_columns]], tmp / "standardised.parquet")
    # features rows are the records rows, so idx_l/idx_r are rows of records.parquet
    _write(compared[["idx_l", "idx_r", *level_columns]], tmp / "levels.parquet")
    meta = {
        "format": CACHE_FORMAT,
        "run_id": run_id,
        "linkage_version": __version__,
        "code": code_fingerprint(),
        "record_columns": [str(c) for c in records.columns],
        "standardised_columns": [str(c) for c in standard_columns],
        "level_columns": level_columns,
        "settings": settings,
        "model": model.to_dict(),
    }
    (tmp / "meta.json").write_text(
        json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    return folder


def _write(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
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
    stats: dict[str, Any] = field(default_factory=dict)

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
        return cls(cache, records, hashes, same, stats)

    def features(self) -> pd.DataFrame:
        """The features table: stored standardised columns for unchanged records, fresh ones
        (``build_features``) for new and changed records; equal to ``build_features(records)``."""
        records = self.records
        columns = list(self.cache.meta["standardised_columns"])
        fresh_rows = np.flatnonzero(~self.unchanged)
        self.stats["standardised"] = len(fresh_rows)
        parts: list[pd.DataFrame] = []
        uids: list[np.ndarray] = []
        if self.unchanged.any():
            kept = records["uid"].to_numpy(dtype=object)[self.unchanged]
            stored = self.cache.standardised
            at = pd.Index(stored["uid"].to_numpy(dtype=object)).get_indexer(kept)
            parts.append(stored[columns].iloc[at].reset_index(drop=True))
            uids.append(kept)
        if len(fresh_rows):
            subset = records.iloc[fresh_rows]
            fresh = build_features(subset)
            fresh_columns = [c for c in fresh.columns if c not in records.columns]
            if fresh_columns != columns:
                raise RuntimeError(
                    "standardised columns differ from the cached run's: "
                    f"{fresh_columns} vs {columns}"
                )
            parts.append(fresh[columns].reset_index(drop=True))
            uids.append(subset["uid"].to_numpy(dtype=object))
        standard = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        order = pd.Index(np.concatenate(uids)).get_indexer(records["uid"].to_numpy(dtype=object))
        standard = standard.iloc[order]
        standard.index = records.index
        return pd.concat([records, standard], axis=1)

    def compare(
        self,
        features: pd.DataFrame,
        pairs: pd.DataFrame,
        comparisons: list[Comparison],
        *,
        chunk_size: int = 1_000_000,
    ) -> pd.DataFrame:
        """``compare_pairs(features, pairs, comparisons)``, reusing the stored levels of pairs
        whose two records are unchanged; term frequencies are recomputed for every pair."""
        n = len(features)
        il = pairs["idx_l"].to_numpy(dtype=np.int64)
        ir = pairs["idx_r"].to_numpy(dtype=np.int64)
        stored = self.cache.levels
        level_columns = [f"{c.name}_level" for c in comparisons]
        if level_columns != list(self.cache.meta["level_columns"]):
            raise RuntimeError("the pinned model's comparisons differ from the cached levels")
        position = pd.Index(features["uid"].to_numpy(dtype=object))
        # cached record row -> row now (-1: removed); then the stored pairs' rows now
        now = position.get_indexer(self.cache.hashes["uid"].to_numpy(dtype=object))
        sl = now[stored["idx_l"].to_numpy(dtype=np.int64)]
        sr = now[stored["idx_r"].to_numpy(dtype=np.int64)]
        alive = (sl >= 0) & (sr >= 0)
        alive[alive] &= self.unchanged[sl[alive]] & self.unchanged[sr[alive]]
        stored_keys = sl[alive] * n + sr[alive]
        stored_rows = np.flatnonzero(alive)
        lookup = pd.Index(stored_keys).get_indexer(il * n + ir) if len(il) else np.zeros(0, int)
        reuse = lookup >= 0
        prepared = prepare_all(comparisons, features)
        k = len(comparisons)
        levels = np.empty((len(pairs), k), dtype=np.int8)
        tf = np.full((len(pairs), k), np.nan)
        todo = np.flatnonzero(~reuse)
        if len(todo):
            new_levels, new_tf = compare_indexed(
                comparisons, prepared, il[todo], ir[todo], chunk_size=chunk_size
            )
            levels[todo] = new_levels
            tf[todo] = new_tf
        done = np.flatnonzero(reuse)
        if len(done):
            rows = stored_rows[lookup[done]]
            for j, column in enumerate(level_columns):
                levels[done, j] = stored[column].to_numpy(dtype=np.int8)[rows]
            tf_jobs = [(j, c) for j, c in enumerate(comparisons) if c.tf_levels]
            for start in range(0, len(done), chunk_size):
                part = done[start : start + chunk_size]
                for j, comparison in tf_jobs:
                    left = gather(prepared[j], il[part])
                    right = gather(prepared[j], ir[part])
                    tf[part, j] = comparison.term_frequencies(left, right, levels[part, j])
        self.stats["reused_pairs"] = len(done)
        self.stats["scored_pairs"] = len(todo)
        out = pairs.copy()
        for j, comparison in enumerate(comparisons):
            out[f"{comparison.name}_level"] = levels[:, j]
        for j, comparison in enumerate(comparisons):
            if comparison.tf_levels:
                out[f"{comparison.name}_tf"] = tf[:, j]
        return out


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
    "Cache",
    "IncrementalPlan",
    "cache_dir",
    "code_fingerprint",
    "load_cache",
    "matching_settings",
    "plan_for",
    "record_hashes",
    "save_cache",
]
