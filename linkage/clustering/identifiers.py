"""Per record its identifier keys (crosswalk keys, and a source's registrations), as clustering
checks them: two different values under one prefix are two entities."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class Identifiers:
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


def record_identifiers(features: pd.DataFrame) -> Identifiers:
    """The identifier keys and must-links of a features table: ``id_keys`` (space-separated
    ``prefix:value`` keys) parsed each distinct text once, the keys held and numbered by Arrow,
    not as a million Python strings."""
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
    return Identifiers(
        start=memoryview(np.append(0, np.cumsum(repeat))),
        codes=memoryview(key),
        prefix=memoryview(prefixes.indices.to_numpy().astype(np.int64)),
        prefixes=tuple(prefixes.dictionary.to_pylist()),
        edges=_identifier_edges(record, key, names, n),
    )


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
