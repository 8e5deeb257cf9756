"""What a run leaves beside the store for the next one, and what the next run reads of it.

``linkage run CONFIG --store S --incremental`` is the same pipeline given the previous run's
state: every stage takes what it left (:meth:`PreviousRun.features`, :meth:`~PreviousRun.blocking`,
:meth:`~PreviousRun.comparisons`, :meth:`~PreviousRun.clusters`, :meth:`~PreviousRun.profiles`),
decides itself whether it can build on it, and gives the same result as from nothing, with the
previous run's model pinned (EM, the random-pair u sample and the prior depend on every record:
refitting is what a full run does). Records are told apart by uid and a hash of their raw values.

The state sits in ``<store>.cache/`` (:func:`cache_dir`): ``meta.json`` (the run id, the
linkage version and code fingerprint, the record columns, each stage's settings, the model),
``records.parquet`` (uid, content hash, entity id and component of every record),
``standardised.parquet`` or ``features.parquet`` (the standardised columns),
``blocking_keys.*`` (:func:`linkage.blocking.save_key_state`), ``levels.parquet`` (every
candidate pair's rows in ``records.parquet``, levels and blocking rule), ``terms.parquet`` and
``term_values.parquet`` (:class:`linkage.compare.TermCodes`), ``edges.parquet`` (matched pairs)
and ``merges.parquet`` / ``entities.parquet`` (the run's merge log and profiles). A run stages
parts as soon as it has them (:func:`stage_parts`), completes the folder once the run is in the
store (:func:`save_run_state`) and swaps it in whole; a folder whose run is not the store's
latest, or made by other code, is not used and the run says why.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from linkage._version import __version__
from linkage.blocking import KeyState, PreviousBlocking, save_key_state
from linkage.clustering import MERGE_COLUMNS, PreviousClusters, components_of_run
from linkage.compare import Comparison, PreviousComparisons, TermCodes
from linkage.outputs import RunResult, write_parquet
from linkage.profiles import PreviousProfiles
from linkage.scoring import FellegiSunter, SupervisedModel, model_from_dict
from linkage.standardize import StoredFeatures

CACHE_FORMAT = 4
Model = FellegiSunter | SupervisedModel


def cache_dir(store_path: str | Path) -> Path:
    """The folder beside a store file that holds what the next run reuses."""
    path = Path(store_path)
    return path.with_name(path.name + ".cache")


def staging_dir(store_path: str | Path) -> Path:
    """The folder this process fills with the next state of ``store_path``."""
    folder = cache_dir(store_path)
    return folder.with_name(f"{folder.name}.tmp-{os.getpid()}")


def discard_staged(store_path: str | Path, *, every: bool = False) -> None:
    """Remove what this process staged for a state it did not save (a failed run); with
    ``every``, what any process staged (killed runs leave theirs: only call it holding the
    store)."""
    if not every:
        shutil.rmtree(staging_dir(store_path), ignore_errors=True)
        return
    folder = cache_dir(store_path)
    for stale in folder.parent.glob(f"{glob.escape(folder.name)}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


def code_fingerprint() -> str:
    """sha256 over the code and data that standardised columns and comparison levels come
    from (``linkage/standardize/``, ``linkage/compare/``): state made by other code is not
    used, even when the version number did not change."""
    package = Path(__file__).resolve().parent
    files = sorted((package / "standardize").rglob("*")) + sorted((package / "compare").rglob("*"))
    digest = hashlib.sha256()
    for path in files:
        if path.is_file() and path.suffix in (".py", ".csv", ".json", ".txt"):
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def record_hashes(records: pd.DataFrame) -> np.ndarray:
    """A 64-bit content hash per record over all its columns (uint64, same row order), the same
    in every process: pandas' fixed-key hash of each column as Python objects, missing values
    as None, combined as ``pd.util.hash_pandas_object`` combines a frame's columns."""
    if len(records) == 0:
        return np.zeros(0, dtype=np.uint64)
    columns = records.shape[1]
    out = np.full(len(records), 0x345678, dtype=np.uint64)
    factor = np.uint64(1000003)
    for i in range(columns):  # one column at a time: no object copy of the whole table
        out ^= pd.util.hash_array(_object_or_none(records.iloc[:, i]), categorize=False)
        out *= factor
        factor += np.uint64(82520 + 2 * (columns - i))
    return out + np.uint64(97531)


def _object_or_none(column: pd.Series) -> np.ndarray:
    """A column as Python objects with every missing value None (NaN, NaT and NA hash as one);
    an object column without missing values is the column's own array, not a copy."""
    values = column.to_numpy(dtype=object)
    missing = pd.isna(values)
    return np.where(missing, np.array(None, dtype=object), values) if missing.any() else values


def matching_settings(config: Any) -> dict[str, Any]:
    """The config settings a pinned model stands for (a change means a full run)."""
    comparisons = (
        [c.model_dump(mode="json", exclude_none=True) for c in config.comparisons]
        if config.comparisons is not None
        else None
    )
    return {"matching": config.matching.model_dump(mode="json"), "comparisons": comparisons}


@dataclass
class PreviousRun:
    """The state the store's latest run left, matched against this run's records; each stage
    reads its part. ``PreviousRun.nothing(why)`` stands for no usable state: every part is
    None and ``fallback`` says why.

    Attributes:
        meta: ``meta.json``.
        records: ``records.parquet`` (``uid``, ``hash``, ``entity_id``, ``component``).
        folder: the state's folder.
        unchanged: per record now, whether its raw values hash as then.
        old_rows: per record now, its row then (-1: new).
        uids: this run's uids, in records order.
        stats: records new, changed, unchanged and removed, and what each stage reused.
        levels: the previous pairs' levels, until the compare stage takes them.
    """

    meta: dict[str, Any]
    records: pd.DataFrame
    folder: Path | None
    unchanged: np.ndarray
    old_rows: np.ndarray
    uids: np.ndarray
    stats: dict[str, Any]
    levels: pd.DataFrame | None = None
    fallback: str = ""

    @classmethod
    def nothing(cls, fallback: str = "") -> PreviousRun:
        """No usable state (a full run), and why."""
        empty = np.zeros(0, dtype=np.int64)
        return cls({}, pd.DataFrame(), None, empty.astype(bool), empty, empty, {}, None, fallback)

    @classmethod
    def load(
        cls,
        store_path: str | Path,
        run_id: int,
        config: Any,
        records: pd.DataFrame,
        hashes: np.ndarray,
    ) -> PreviousRun:
        """The state of the store's run ``run_id`` against this run's ``records`` (with their
        :func:`record_hashes`), or :meth:`nothing` and why it cannot be used."""
        folder = cache_dir(store_path)
        meta, reason = _meta(folder, store_path, run_id)
        if meta is not None and meta["record_columns"] != [str(c) for c in records.columns]:
            reason = "the record columns differ from the previous run's (the config changed)"
        elif meta is not None and meta["settings"] != matching_settings(config):
            reason = "the [matching] or [[comparisons]] settings changed since the previous run"
        if reason:
            return cls.nothing(reason)
        assert meta is not None
        previous = pd.read_parquet(folder / "records.parquet")
        uids = records["uid"].to_numpy(dtype=object)
        where = pd.Index(previous["uid"].to_numpy(dtype=object)).get_indexer(uids)
        known = where >= 0
        same = np.zeros(len(records), dtype=bool)
        same[known] = previous["hash"].to_numpy(dtype=np.uint64)[where[known]] == hashes[known]
        stats = {
            "records": len(records),
            "new": int((~known).sum()),
            "changed": int((known & ~same).sum()),
            "unchanged": int(same.sum()),
            "removed": int(len(previous) - known.sum()),
            "standardised": int((~same).sum()),
        }
        levels = pd.read_parquet(folder / "levels.parquet")
        return cls(meta, previous, folder, same, where, uids, stats, levels)

    @property
    def model(self) -> Model | None:
        """The model the previous run scored with (pinned for this one)."""
        return model_from_dict(self.meta["model"]) if self.folder is not None else None

    def features(self) -> StoredFeatures | None:
        """The standardised columns, for ``build_features``."""
        if self.folder is None:
            return None
        folder = self.folder

        def read(columns: list[str]) -> pd.DataFrame:
            # text comes back as object columns, as build_features makes it
            path = folder / "standardised.parquet"
            if not path.exists():
                path = folder / "features.parquet"
            frame = pq.read_table(path, columns=columns).to_pandas(ignore_metadata=True)
            return frame if list(frame.columns) == columns else frame[columns]

        columns = list(self.meta["standardised_columns"])
        return StoredFeatures(columns, read, self.unchanged, self.old_rows)

    def blocking(self) -> PreviousBlocking | None:
        """The blocking settings, pairs and keys, for ``candidate_pairs``."""
        if self.folder is None or self.levels is None:
            return None
        settings = self.meta.get("blocking")
        return PreviousBlocking(settings, self.levels, self.folder, ~self.unchanged, self.old_rows)

    def comparisons(self) -> PreviousComparisons | None:
        """The pairs' levels and term codes, for ``compare_stage``: handed over (no later
        stage reads them, nor holds them)."""
        if self.folder is None or self.levels is None:
            return None
        levels, self.levels = self.levels, None
        columns = list(self.meta["level_columns"])
        terms = _terms(self.folder, self.meta)
        return PreviousComparisons(
            levels, columns, terms, self.unchanged, self.old_rows, len(self.records)
        )

    def clusters(self) -> PreviousClusters | None:
        """The components, matched edges and merge log, for ``cluster_stage``."""
        folder = self.folder
        if (
            folder is None
            or "component" not in self.records
            or not (folder / "edges.parquet").exists()
            or not (folder / "merges.parquet").exists()
        ):
            return None
        logged = [c for c in MERGE_COLUMNS if c not in ("step", "entity_l", "entity_r")]
        return PreviousClusters(
            self.meta.get("clustering"),
            self.records["component"].to_numpy(dtype=np.int64),
            self.records["entity_id"].to_numpy(dtype=object),
            pd.read_parquet(folder / "edges.parquet"),
            pd.read_parquet(folder / "merges.parquet", columns=logged),
            self.unchanged,
            self.old_rows,
        )

    def profiles(self) -> PreviousProfiles | None:
        """The entities and their profiles, for ``reuse_profiles``."""
        if self.folder is None:
            return None
        path = self.folder / "entities.parquet"
        return PreviousProfiles(
            settings=self.meta.get("profiles"),
            entities_file=path if path.exists() else None,
            entity_ids=(
                self.records["entity_id"].to_numpy(dtype=object)
                if "entity_id" in self.records
                else None
            ),
            uids=self.uids,
            old_rows=self.old_rows,
            unchanged=self.unchanged,
        )


def _meta(folder: Path, store_path: str | Path, run_id: int) -> tuple[dict[str, Any] | None, str]:
    """``meta.json`` of the state of run ``run_id``, or None and why it cannot be used."""
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
    return meta, ""


def _terms(folder: Path, meta: dict[str, Any]) -> TermCodes | None:
    """The previous run's term-frequency value codes, None when not kept."""
    keys = meta.get("term_keys")
    codes_path, values_path = folder / "terms.parquet", folder / "term_values.parquet"
    if keys is None or not (codes_path.exists() and values_path.exists()):
        return None
    table = pq.read_table(codes_path)
    values = pq.read_table(values_path).column("value").combine_chunks()
    sizes = meta["term_sizes"]
    starts = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    return TermCodes(
        [(str(name), str(key)) for name, key in keys],
        [table.column(str(i)).to_numpy().astype(np.int64) for i in range(len(keys))],
        [values.slice(starts[i], sizes[i]) for i in range(len(keys))],
    )


def stage_parts(
    store_path: str | Path,
    *,
    key_state: KeyState | None = None,
    terms: TermCodes | None = None,
    comparisons: list[Comparison] | None = None,
) -> None:
    """Write parts of the next state now, so that the run need not hold them to the end: the
    blocking keys once blocked, the term-frequency codes (of ``comparisons``) once compared."""
    folder = staging_dir(store_path)
    folder.mkdir(parents=True, exist_ok=True)
    if key_state is not None:
        save_key_state(folder, key_state)
    kept = None
    if terms is not None and terms.keys == TermCodes.keys_of(comparisons or []):
        kept = terms.compacted()
    if kept is not None:
        table = pa.table({str(i): column for i, column in enumerate(kept.codes)})
        pq.write_table(table, folder / "terms.parquet", compression="zstd")
        values = pa.concat_arrays(kept.values) if kept.values else pa.array([], pa.string())
        pq.write_table(
            pa.table({"value": values}), folder / "term_values.parquet", compression="zstd"
        )
        sizes = {
            "term_keys": [list(k) for k in kept.keys],
            "term_sizes": [len(v) for v in kept.values],
        }
        (folder / "terms.json").write_text(json.dumps(sizes), encoding="utf-8")


def save_run_state(
    store_path: str | Path,
    run_id: int,
    result: RunResult,
    *,
    model: Model,
    comparisons: list[Comparison],
    record_columns: list[str],
    hashes: np.ndarray,
    settings: dict[str, Any],
    out_dir: str | Path | None = None,
) -> Path:
    """Complete the state of run ``run_id`` (what :func:`stage_parts` wrote is kept) and swap
    it in beside the store.

    ``record_columns`` are the columns of the records read (the features hold them and the
    standardised ones, row for row); ``settings`` each stage's settings by name (``settings``:
    :func:`matching_settings`, ``blocking``, ``clustering``, ``profiles``). The run's
    ``features.parquet``, ``merges.parquet`` and ``entities.parquet`` in ``out_dir`` are
    copied rather than written again."""
    folder, tmp = cache_dir(store_path), staging_dir(store_path)
    tmp.mkdir(parents=True, exist_ok=True)
    written = Path(out_dir) if out_dir is not None else None
    features, pairs = result.features, result.pairs
    standard_columns = [c for c in features.columns if c not in record_columns]
    level_columns = [f"{c.name}_level" for c in comparisons]
    uids = features["uid"].to_numpy(dtype=object)
    memberships, merges = result.memberships, result.merges
    entity = pd.Series(
        memberships["entity_id"].to_numpy(dtype=object),
        index=memberships["uid"].to_numpy(dtype=object),
    )
    frame = pd.DataFrame({"uid": uids, "hash": hashes})
    frame["entity_id"] = entity.reindex(uids).to_numpy(dtype=object)
    if merges is not None:
        labels = components_of_run(memberships, merges).set_index("uid")["component"]
        frame["component"] = labels.reindex(uids).to_numpy(dtype=np.int64)
        _write(_edges(pairs), tmp / "edges.parquet")
        _copy_or_write(merges, written, "merges.parquet", tmp)
    _write(frame, tmp / "records.parquet")
    _copy_or_write(result.entities, written, "entities.parquet", tmp)
    if written is not None and (written / "features.parquet").exists():
        shutil.copyfile(written / "features.parquet", tmp / "features.parquet")
    else:
        _write(features[["uid", *standard_columns]], tmp / "standardised.parquet")
    # features rows are the records rows, so idx_l/idx_r are rows of records.parquet; a frame
    # over the same arrays (selecting columns, or assign, would copy 10M-row columns)
    columns = {c: pairs[c] for c in ["idx_l", "idx_r", *level_columns]}
    blocking = settings.get("blocking")
    if blocking is not None and "rules" in pairs:
        names = [r["name"] for r in blocking["rules"]]
        rule = pd.Index(names).get_indexer(pairs["rules"].to_numpy(dtype=object))
        columns["rule"] = pd.Series(rule.astype(np.int16), index=pairs.index)
    _write(pd.DataFrame(columns, index=pairs.index, copy=False), tmp / "levels.parquet")
    meta = {
        "format": CACHE_FORMAT,
        "run_id": run_id,
        "linkage_version": __version__,
        "code": code_fingerprint(),
        "record_columns": [str(c) for c in record_columns],
        "standardised_columns": [str(c) for c in standard_columns],
        "level_columns": level_columns,
        "settings": None,
        "profiles": None,
        "blocking": None,
        "clustering": None,
        **settings,
        "model": model.to_dict(),
        "term_keys": None,
        "term_sizes": None,
    }
    staged_terms = tmp / "terms.json"  # what stage_parts said of the codes it wrote
    if staged_terms.exists():
        meta |= json.loads(staged_terms.read_text(encoding="utf-8"))
        staged_terms.unlink()
    (tmp / "meta.json").write_text(
        json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    return folder


def _edges(pairs: pd.DataFrame) -> pd.DataFrame:
    """The matched pairs as clustering took them: rows, weight, kind and evidence."""
    matched = pairs[pairs["is_match"].astype(bool)]
    weight = "match_weight" if "match_weight" in matched else "score"
    return pd.DataFrame(
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


def _copy_or_write(frame: pd.DataFrame, written: Path | None, name: str, tmp: Path) -> None:
    """The run's output file ``name`` copied when it wrote one, else ``frame`` written as
    :mod:`linkage.outputs` writes it (so that both read back alike)."""
    if written is not None and (written / name).exists():
        shutil.copyfile(written / name, tmp / name)
    else:
        write_parquet(frame, tmp / name)


def _write(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)  # no copy: the index is dropped
    pq.write_table(table, path, compression="zstd")
