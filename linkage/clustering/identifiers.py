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


def record_identifiers(features: pd.DataFrame) -> Identifiers:
    """The identifier keys and must-links of a features table, from :func:`key_links`."""
    n = len(features)
    rows, codes, names = key_links(features)
    # each record's keys distinct and in text order
    order = np.lexsort((codes, rows))
    rows, codes = rows[order], codes[order]
    once = np.append(True, (rows[1:] != rows[:-1]) | (codes[1:] != codes[:-1]))[: len(rows)]
    record, key = rows[once], codes[once]
    prefixes = pc.dictionary_encode(pc.list_element(pc.split_pattern(names, ":", max_splits=1), 0))
    return Identifiers(
        start=np.searchsorted(record, np.arange(n + 1)).astype(np.int64).data,
        codes=memoryview(key),
        prefix=memoryview(prefixes.indices.to_numpy().astype(np.int64)),
        prefixes=tuple(prefixes.dictionary.to_pylist()),
        edges=_identifier_edges(record, key, names, n),
    )


def key_links(features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """``(row, key code)`` of every identifier key a record holds (``id_keys``, space-separated
    ``prefix:value`` keys, and its registration keys: :func:`_with_registrations`), rows
    ascending, and the keys: code ``i`` is ``names[i]``, codes in the keys' text order. Split
    by Arrow, without a Python string per key."""
    keys = _with_registrations(features)
    if keys is None:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, pa.array([], type=pa.string())
    texts = _arrow_texts(keys)
    if texts is None:  # a space Arrow does not split on: by Python, each distinct text once
        text_codes, distinct = pd.factorize(keys)
        split = pa.array([str(t).split() for t in distinct.tolist()], pa.list_(pa.string()))
        lists = split.take(pa.array(text_codes, mask=text_codes < 0))
    else:
        lists = pc.split_pattern(texts, " ")
    tokens = pc.list_flatten(lists)
    rows = pc.list_parent_indices(lists).to_numpy().astype(np.int64)
    keep = pc.not_equal(tokens, "")
    encoded = pc.dictionary_encode(tokens.filter(keep))
    order = pc.array_sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    codes = rank[encoded.indices.to_numpy()]
    return rows[keep.to_numpy(zero_copy_only=False)], codes, encoded.dictionary.take(order)


# every character str.split() splits on besides the space (``str.isspace``): a text holding one
# is split by Python, the others by Arrow on spaces
_OTHER_SPACE = (
    "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}"
    "\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}]"
)


def _arrow_texts(column: pd.Series) -> pa.Array | None:
    """The texts as an Arrow string array when splitting them on spaces equals ``str.split()``
    (missing values: no keys), else None."""
    try:
        texts = pa.array(column, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if pa.types.is_null(texts.type):
        return pa.array([None] * len(texts), type=pa.string())
    if not (pa.types.is_string(texts.type) or pa.types.is_large_string(texts.type)):
        return None
    ascii_only = pc.all(pc.string_is_ascii(texts)).as_py()
    printable = pc.or_(pc.ascii_is_printable(texts), pc.equal(texts, ""))  # no control chars
    if ascii_only and pc.all(printable).as_py():
        return texts  # the only ASCII whitespace besides the space are control characters
    if pc.any(pc.match_substring_regex(texts, _OTHER_SPACE)).as_py():
        return None
    return texts


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
