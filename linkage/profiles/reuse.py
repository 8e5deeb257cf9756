"""Profile reuse in incremental runs: an entity whose members did not change keeps the profile
the previous run built for it; only the other entities are built.

When few records change, nearly every entity keeps its profile, so what counts is the work
per reused entity: finding them (on integer codes: one factorisation of this run's
entity ids and one of the cached run's), reading the cached ``entities.parquet`` and turning
it into the columns :func:`~linkage.profiles.build_profiles` gives. The table is read a column
at a time, each let go once taken (read whole and held to the end, it took ~0.8 GB at 907k
records): its entity ids in a thread while the other entities are built (Arrow decompresses
without the GIL). Columns ``build_profiles`` gives as Arrow strings stay Arrow: the built and
the cached rows are put in order at once (in the thread too; as slices of runs of
consecutive rows, joined, rather than a ``take``, which copies the column first); columns it
gives as Python strings are converted once (NaN where missing). The rows are put in entity-id
order without a sort: the reused ones are in the cached table's (sorted) order and usually
keep their ids, so the few built ones are merged in.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linkage.memory import is_arrow_text
from linkage.profiles.build import build_profiles

_TEXT = pd.ArrowDtype(pa.string())
_BATCH = 1 << 16  # rows of the cached entities table read at a time
_NUMBERS: dict[Any, pa.DataType] = {
    np.dtype(np.int64): pa.int64(),
    np.dtype(np.float64): pa.float64(),
    np.dtype(bool): pa.bool_(),
}


def survivorship_settings(config: Any) -> dict[str, Any]:
    """What an entity profile depends on besides its members' records (a change means no
    profile is reused; the rest of an incremental run is unaffected)."""
    return {
        "survivorship": config.survivorship.model_dump(mode="json"),
        "priorities": {s.name: config.priority(s) for s in config.sources},
        "fields": list(config.fields),
    }


@dataclass
class PreviousProfiles:
    """What the profiles stage may reuse of the previous run.

    Attributes:
        settings: The :func:`survivorship_settings` its profiles were built with.
        entities_file: Its entities table (None when not kept).
        entity_ids: Per record of the previous run, its entity (None when not kept).
        uids: The uids of this run's records, in features order.
        old_rows: Per record of this run, its row in the previous run (-1: new).
        unchanged: Per record of this run, whether it is unchanged since then.
    """

    settings: dict[str, Any] | None
    entities_file: Path | None
    entity_ids: np.ndarray | None
    uids: np.ndarray
    old_rows: np.ndarray
    unchanged: np.ndarray


def reuse_profiles(
    previous: PreviousProfiles | None,
    features: pd.DataFrame,
    memberships: pd.DataFrame,
    config: Any,
) -> tuple[pd.DataFrame, int]:
    """``build_profiles(features, memberships, ...)``, reusing the previous profile of every
    entity whose members are exactly those of one previous entity and all unchanged (a
    profile is a function of its members' records, the survivorship settings and the
    entity's confidence; the id and the confidence are taken from this run). Also returns
    how many profiles were reused. Without ``previous``, every profile is built.

    Only the entities left over are built, from their members' rows, while the cached
    profiles are read (Arrow reads and decompresses them mostly without the GIL)."""
    priorities = {s.name: config.priority(s) for s in config.sources}
    fields = list(config.fields)

    def build(features: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
        return build_profiles(features, memberships, priorities, config.survivorship, fields)

    if (
        previous is None
        or previous.settings != survivorship_settings(config)
        or not _aligned(previous, features)
    ):
        return build(features, memberships), 0
    with ThreadPoolExecutor(max_workers=1) as pool:
        reading = pool.submit(_Cached.open, previous.entities_file)
        members = _members(features, memberships)
        found = _unchanged_entities(previous, members)
        fresh = None
        if found is not None:
            # only these rows' members: build_profiles looks them up by uid
            rows = np.flatnonzero(~found.reused[found.codes])
            fresh = build(features.iloc[rows], members.iloc[rows])  # with no row, the types
        old = reading.result()
        if found is not None and fresh is not None and old is not None:
            reuse = found.in_table(old)
            if reuse is not None and list(fresh.columns) == old.names:
                return _merge(fresh, old, reuse, pool), len(reuse.rows)
    return build(features, memberships), 0  # nothing to reuse: as a full run


def _aligned(previous: PreviousProfiles, features: pd.DataFrame) -> bool:
    """Whether the features rows are this run's records (as in a run), and the previous run
    gives each of its records' entity."""
    uids = features["uid"].to_numpy()
    return (
        previous.entity_ids is not None
        and len(uids) == len(previous.unchanged)
        and np.array_equal(uids, previous.uids)
    )


def _members(features: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
    """Per features row, its membership (``uid``, ``entity_id`` and ``confidence`` when the
    memberships have it): the memberships themselves when they list the same uids in the same
    order (as in a run), else looked up by uid (NaN for a uid without one)."""
    uids = features["uid"].to_numpy()
    if len(memberships) == len(uids) and np.array_equal(memberships["uid"].to_numpy(), uids):
        return memberships
    by_uid = memberships.set_index("uid")
    columns = [c for c in ("entity_id", "confidence") if c in by_uid]
    looked_up = {c: by_uid[c].reindex(uids).to_numpy() for c in columns}
    return pd.DataFrame({"uid": uids, **looked_up})


class _Cached:
    """The cached entities table (``path``), read a column at a time: its columns' names,
    types and sizes (uncompressed), its number of rows and its entity ids (None without the
    column)."""

    __slots__ = ("ids", "names", "num_rows", "path", "sizes", "types")

    def __init__(self, path: Path) -> None:
        parquet = pq.ParquetFile(path)
        schema = parquet.schema_arrow
        self.path, self.num_rows = path, parquet.metadata.num_rows
        self.names = list(schema.names)
        self.types = {field.name: field.type for field in schema}
        meta = parquet.metadata
        self.sizes = dict.fromkeys(self.names, 0)
        for group in range(meta.num_row_groups):
            for i in range(meta.num_columns):
                chunk = meta.row_group(group).column(i)
                if chunk.path_in_schema in self.sizes:
                    self.sizes[chunk.path_in_schema] += chunk.total_uncompressed_size
        self.ids = self.column("entity_id") if "entity_id" in self.types else None

    @classmethod
    def open(cls, path: Path | None) -> _Cached | None:
        return None if path is None else cls(path)

    def table(self, name: str) -> pa.Table:
        """The column ``name`` alone, as a table (with the file's pandas metadata)."""
        return pq.read_table(self.path, columns=[name])

    def column(self, name: str) -> pa.ChunkedArray:
        """The column ``name``, read in batches: read whole, Arrow holds the column's pages
        besides it (907k records: 0.53 GB while reading the 0.19 GB of provenance, 0.28 GB
        in batches of 64k rows)."""
        batches = pq.ParquetFile(self.path).iter_batches(batch_size=_BATCH, columns=[name])
        return pa.chunked_array([b.column(0) for b in batches], type=self.types[name])


class _Reuse:
    """The reused entities in the cached table's row order: their rows there (``rows``),
    their ids and confidences in this run."""

    __slots__ = ("confidence", "ids", "rows")

    def __init__(self, rows: np.ndarray, ids: np.ndarray, confidence: np.ndarray) -> None:
        self.rows, self.ids, self.confidence = rows, ids, confidence


class _Found:
    """Per entity of this run (``ids``; ``codes``: each features row's), whether its cached
    profile is reused (``reused``), the id of its entity in the cached run (``cached``, where
    reused) and its confidence now (the weakest of its members', NaN without)."""

    __slots__ = ("cached", "codes", "confidence", "ids", "reused")

    def __init__(
        self,
        codes: np.ndarray,
        ids: np.ndarray,
        reused: np.ndarray,
        cached: np.ndarray,
        confidence: np.ndarray,
    ) -> None:
        self.codes, self.ids, self.reused = codes, ids, reused
        self.cached, self.confidence = cached, confidence

    def in_table(self, old: _Cached) -> _Reuse | None:
        """The reused entities' rows in ``old``, the cached entities table, in its order;
        None when one is not there (a cache that does not hold every entity)."""
        if old.ids is None:
            return None
        keep = np.flatnonzero(self.reused)
        row = _positions(self.cached[keep], old.ids)
        if (row < 0).any():
            return None
        # in the table's order (each cached entity is reused by at most one entity)
        slot = np.full(old.num_rows, -1, dtype=np.int64)
        slot[row] = keep
        rows = np.flatnonzero(slot >= 0)
        keep = slot[rows]
        return _Reuse(rows, self.ids[keep], self.confidence[keep])


def _positions(ids: np.ndarray, column: pa.ChunkedArray) -> np.ndarray:
    """Where each of ``ids`` (distinct) is in ``column`` (-1: nowhere); by Arrow when both
    are text (it hashes the text without making Python strings of the column)."""
    if column.type == pa.string():
        try:
            wanted = pa.array(ids, type=pa.string(), from_pandas=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
            pass
        else:
            found = pc.index_in(wanted, value_set=column.combine_chunks())
            return found.fill_null(-1).to_numpy().astype(np.int64)
    position = pd.Index(column.to_numpy(zero_copy_only=False))
    return position.get_indexer(pd.Index(ids, dtype=object))


def _unchanged_entities(previous: PreviousProfiles, members: pd.DataFrame) -> _Found | None:
    """Which entities keep their cached profile: those whose members are all unchanged, were
    all in one cached entity, and that entity had no other members. None when none does, or
    a record has no entity."""
    codes, ids = pd.factorize(members["entity_id"].to_numpy(dtype=object))
    if len(codes) and codes.min() < 0:  # a record without an entity: build them all
        return None
    k = len(ids)
    # each record's entity in the cached run (-1: new record)
    cached, cached_ids = pd.factorize(previous.entity_ids)
    cached_sizes = np.bincount(cached[cached >= 0], minlength=len(cached_ids))
    before = np.where(previous.old_rows >= 0, cached[np.maximum(previous.old_rows, 0)], -1)
    target = np.full(k, -1, dtype=np.int64)
    target[codes] = before  # one member's cached entity: all must have it (not -1)
    bad = ~previous.unchanged | (before != target[codes])
    reused = (np.bincount(codes, weights=bad, minlength=k) == 0) & (target >= 0)
    reused &= cached_sizes[np.maximum(target, 0)] == np.bincount(codes, minlength=k)
    if not reused.any():
        return None
    confidence = np.full(k, np.nan)
    if "confidence" in members:
        np.fmin.at(confidence, codes, members["confidence"].to_numpy(dtype=np.float64))
    cached_id = np.asarray(cached_ids, dtype=object)[np.maximum(target, 0)]
    return _Found(codes, np.asarray(ids, dtype=object), reused, cached_id, confidence)


def _merge(
    fresh: pd.DataFrame, old: _Cached, reuse: _Reuse, pool: ThreadPoolExecutor
) -> pd.DataFrame:
    """The built profiles and the reused ones, in entity-id order, with the columns' types as
    ``fresh`` (``build_profiles``) has them.

    Text columns are not converted row by row where they need not be: those ``fresh`` has as
    Arrow strings are read and taken (in order) from the built rows and the cached table at
    once, in ``pool`` (Arrow does it without the GIL) while those it has as Python strings are
    read and turned into Python strings. Each cached column is let go once taken."""
    n_fresh = len(fresh)
    # the rows of (fresh, then reused) in id order; and the same rows among (fresh, then
    # every cached row)
    order = _order(fresh["entity_id"].to_numpy(dtype=object), reuse.ids)
    source = order.copy()
    cached_rows = order >= n_fresh
    source[cached_rows] = reuse.rows[order[cached_rows] - n_fresh] + n_fresh
    columns: dict[str, Any] = {}
    arrow = [
        name
        for name in fresh.columns
        if is_arrow_text(fresh[name].dtype) and old.types[name] == pa.string()
    ]
    runs = _runs(source, n_fresh)
    # the largest first (provenance), while the Python string columns are not made yet
    arrow.sort(key=lambda name: -old.sizes[name])
    taking = {
        name: pool.submit(_take_text, pa.array(fresh[name].array), old, name, source, runs)
        for name in arrow
    }
    for name in fresh.columns:
        built = fresh[name]
        want = built.dtype
        if name in taking:
            columns[name] = None  # its place
            continue
        if name == "entity_id" and want == np.dtype(object):  # this run's (none missing)
            values = reuse.ids
        elif name in ("entity_id", "confidence"):  # this run's
            values = reuse.ids if name == "entity_id" else reuse.confidence
            values = _as_built(pd.Series(values, copy=False), want)
        elif want == np.dtype(object) and old.types[name] == pa.string():
            cached = old.column(name)
            text = cached.to_numpy(zero_copy_only=False)
            if cached.null_count:  # Python objects, NaN where missing (Parquet gives None)
                text = text if text.flags.writeable else text.copy()
                text[np.asarray(cached.is_null())] = np.nan
            del cached
            columns[name] = np.concatenate([built.to_numpy(), text])[source]
            continue
        elif _NUMBERS.get(want) == old.types[name] and not (cached := old.column(name)).null_count:
            columns[name] = np.concatenate([built.to_numpy(), cached.to_numpy()])[source]
            continue
        else:  # any other column: as pandas reads the reused rows, then as built
            taken = old.table(name).take(pa.array(reuse.rows, type=pa.int64()))
            loaded = taken.to_pandas(types_mapper={pa.string(): _TEXT}.get)
            values = _as_built(loaded[name], want)
        if isinstance(want, np.dtype):
            columns[name] = np.concatenate([built.to_numpy(), np.asarray(values)])[order]
        else:  # pandas' own (extension) dtypes
            series = pd.Series(values, copy=False)
            columns[name] = pd.concat([built, series], ignore_index=True).take(order).array
    for name, job in taking.items():
        columns[name] = pd.arrays.ArrowExtensionArray(job.result())
    return pd.DataFrame(columns, index=pd.RangeIndex(len(order)), copy=False)


def _take_text(
    built: pa.Array,
    old: _Cached,
    name: str,
    source: np.ndarray,
    runs: list[tuple[int, int]] | None,
) -> pa.ChunkedArray:
    """Rows ``source`` of the built rows followed by the cached ones of column ``name``
    (Arrow strings); by ``runs`` of consecutive rows (:func:`_runs`) where given: Arrow's
    ``take`` first joins the chunks into one array, a copy of the column (~0.2 GB of
    provenance at 907k records)."""
    cached = old.column(name)
    if runs is None:
        rows = pa.array(source, type=pa.int64())
        return pa.chunked_array([built, *cached.chunks], type=pa.string()).take(rows)
    n_fresh = len(built)
    pieces: list[pa.Array] = []
    for start, length in runs:
        if start < n_fresh:
            pieces.append(built.slice(start, length))
        else:
            pieces.extend(cached.slice(start - n_fresh, length).chunks)
    del cached  # the pieces are views of it
    taken = pa.chunked_array([pa.concat_arrays(pieces)], type=pa.string())
    del pieces
    pa.default_memory_pool().release_unused()
    return taken


def _runs(source: np.ndarray, n_fresh: int) -> list[tuple[int, int]] | None:
    """``source`` as runs of consecutive rows (first row, length), each among the built rows
    (below ``n_fresh``) or the cached ones; None when there are many (the rows are not
    mostly in order)."""
    if not len(source):
        return None
    cut = np.flatnonzero((np.diff(source) != 1) | (source[1:] == n_fresh)) + 1
    if len(cut) > len(source) // 8:
        return None
    starts = np.concatenate([[0], cut])
    lengths = np.diff(np.append(starts, len(source)))
    return list(zip(source[starts].tolist(), lengths.tolist(), strict=True))


def _as_built(values: pd.Series, want: Any) -> Any:
    """A reused column read by pandas, in the dtype ``build_profiles`` gives it."""
    objects = np.dtype(object)
    if want == objects and (values.dtype != objects or values.isna().any()):
        # Python objects, NaN where missing (Parquet gives None)
        return values.to_numpy(dtype=object, na_value=np.nan)
    if want != values.dtype:
        return values.astype(want)
    return values


def _order(fresh: np.ndarray, reused: np.ndarray) -> np.ndarray:
    """The rows of ``fresh`` then ``reused`` (distinct entity ids) in id order. Both are
    usually sorted already (``build_profiles`` sorts; the reused ones are in the cached
    table's order and usually keep their cached ids): then ``fresh`` is merged in."""
    n = len(fresh) + len(reused)
    if not (_ascending(fresh) and _ascending(reused)):
        return np.argsort(np.concatenate([fresh, reused]), kind="stable")
    at = np.searchsorted(reused, fresh) + np.arange(len(fresh))  # where each built one goes
    order = np.empty(n, dtype=np.int64)
    taken = np.zeros(n, dtype=bool)
    taken[at] = True
    order[at] = np.arange(len(fresh))
    order[~taken] = len(fresh) + np.arange(len(reused))
    return order


def _ascending(ids: np.ndarray) -> bool:
    return len(ids) < 2 or bool(np.all(ids[1:] > ids[:-1]))
