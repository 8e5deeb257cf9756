"""Survivorship: one profile per entity, with the records that gave each surviving value.

Each field's value is chosen among the entity's members that have one, by the field's rule
(``[survivorship]`` in the config, ``SurvivorshipConfig``):

- ``source_priority`` (default): the member of the best-ranked source (lowest priority number);
- ``most_recent``: the member with the latest date in the rule's date field;
- ``most_frequent``: the value most members carry;
- ``longest``: the longest value.

Ties always go to the better source priority, then the smaller uid, so profiles do not depend on
row order. All name variants and every identifier value, by scheme, are kept; per scheme a
primary identifier is chosen (valid ones first by default). ``provenance`` maps every survived
field to the uids of all members holding that exact value. ``confidence`` is the entity's weakest
internal link (from the memberships).

No per-entity or per-record Python loop: the records are put in (entity, source rank, uid) order
once with numpy, every column is factorised once (values are compared, tested for blankness,
turned into text and sorted per distinct value, as integer codes), and the text columns
(distinct values, provenance) are joined per entity by Arrow (list arrays and ``binary_join``).
That joined text (sources, name variants, identifiers, provenance) and the values of Arrow text
columns stay Arrow strings in the entities table (``pd.ArrowDtype(pa.string())``, missing
values NA): about half the memory of Python strings, and written out without a conversion.
Values of Python string columns are the features' own string objects, shared, not copied.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from typing import TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkage.config import CANONICAL_FIELDS, SurvivorshipConfig
from linkage.memory import is_arrow_text

LIST_SEPARATOR = " | "
ENTITY_CHUNK = 16384
"""Entities whose provenance text is built at a time (that of all entities at once took ~0.8 GB
at 907k records)."""
Column: TypeAlias = np.ndarray | pd.arrays.ArrowExtensionArray  # an entities column
_ID_PARTS = ("_norm", "_valid")
_quote = json.encoder.encode_basestring  # what json.dumps(str, ensure_ascii=False) calls
_NEEDS_ESCAPE = r'[\x00-\x1f"\\]'  # the characters _quote escapes (ensure_ascii=False)


def build_profiles(
    features: pd.DataFrame,
    memberships: pd.DataFrame,
    priorities: dict[str, int],
    rules: SurvivorshipConfig | None = None,
    custom_fields: Iterable[str] = (),
) -> pd.DataFrame:
    """Entities table: survived values, name variants, identifiers, confidence and provenance.

    Args:
        features: the features table.
        memberships: ``uid, entity_id`` and ``confidence``.
        priorities: source name -> rank (lower wins).
        rules: survivorship rules; default: source priority for every field, valid-first ids.
        custom_fields: names of custom fields to survive besides the canonical ones.
    """
    rules = rules or SurvivorshipConfig()
    table = _Table(features, memberships, priorities)
    out: dict[str, Column] = {}  # the columns in order (a name set twice keeps its place)
    out["member_count"] = table.counts
    out["sources"] = table.joined("source")
    if table.confidence is not None:
        out["confidence"] = table.weakest(table.confidence)
    provenance: dict[str, _Holders] = {}
    fields = [f for f in (*CANONICAL_FIELDS, *custom_fields) if f in features]
    for field in fields:
        rule, date = rules.rule_for(field)
        out[field], provenance[field] = table.survive(field, rule, date)
        if f"{field}_date" in features:  # a declared format's ISO date, by the field's rule
            out[f"{field}_date"] = table.survive(f"{field}_date", rule, date)[0]
    if "name" in features:
        out["name_variants"] = table.joined("name")
    table.derived = _resolved_auto(features)
    columns = {
        c
        for c in features.columns
        if isinstance(c, str) and c.startswith("id_") and c.endswith(_ID_PARTS)
    } | set(table.derived)
    for column in sorted(c for c in columns if c.endswith("_norm")):
        scheme_column = column.removesuffix("_norm")
        out[scheme_column] = table.joined(column)
        valid = f"{scheme_column}_valid"
        key = None
        if rules.identifiers == "valid_first" and valid in columns:
            key = table.column(valid).fillna(False).astype(bool).to_numpy(dtype=np.int8)
        primary, holders = table.first(column, key)
        out[f"{scheme_column}_primary"] = primary
        provenance[f"{scheme_column}_primary"] = holders
    table.forget_codes()  # ~0.1 GB at 907k records that provenance does not need
    out["provenance"] = table.provenance_json(provenance)
    return _frame(table.ids, out)


def _resolved_auto(features: pd.DataFrame) -> dict[str, pd.Series]:
    """Identifiers mapped as ``auto`` under the scheme each valid value was read as: per scheme,
    ``id_<scheme>_norm`` and ``_valid`` with the declared column's value, else the detected
    one; ``id_auto_norm`` and ``_valid`` keep the invalid values (their scheme is a guess)."""
    if "id_auto_norm" not in features or "id_auto_scheme" not in features:
        return {}
    norm, valid = features["id_auto_norm"], features["id_auto_valid"].fillna(False)
    detected = features["id_auto_scheme"].where(norm.notna() & valid.astype(bool))
    out = {"id_auto_norm": norm.where(detected.isna()), "id_auto_valid": valid}
    for scheme in sorted(set(detected.dropna().astype(str))):
        mine = (detected == scheme).to_numpy()
        declared, declared_valid = (
            features.get(f"id_{scheme}_norm"),
            features.get(f"id_{scheme}_valid"),
        )
        if declared is None:
            merged_norm = norm.where(mine)
            merged_valid = valid.where(mine, False)
        else:
            take = mine & declared.isna().to_numpy()  # the declared value first
            merged_norm = declared.where(~take, norm)
            merged_valid = declared_valid.fillna(False).where(~take, valid)
        out[f"id_{scheme}_norm"] = merged_norm
        out[f"id_{scheme}_valid"] = merged_valid.astype(bool)
    return out


def _frame(ids: pd.Index, columns: dict[str, Column]) -> pd.DataFrame:
    """The columns set one by one on a frame indexed by ``ids``, then ``entity_id`` first, as
    ``reset_index`` makes it, without the copy of every column into one block per dtype that
    ``reset_index`` makes. Each column is taken out of ``columns`` as it is set, so that only
    one is held twice (setting a column copies it)."""
    entities = pd.DataFrame(index=ids)
    for name in list(columns):
        entities[name] = columns.pop(name)
    head = pd.DataFrame(index=ids).reset_index()
    entities.index = head.index
    with warnings.catch_warnings():  # a fragmented frame: reset_index would have consolidated
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        entities.insert(0, head.columns[0], head[head.columns[0]])
    return entities


class _Holders:
    """The members holding an entity's survived value: per entity present (``entities``,
    ascending), the rows (of the features table) ``rows[bounds[i]:bounds[i + 1]]`` by uid."""

    __slots__ = ("bounds", "entities", "rows")

    def __init__(self, entities: np.ndarray, bounds: np.ndarray, rows: np.ndarray) -> None:
        self.entities, self.bounds, self.rows = entities, bounds, rows

    def slice(self, start: int, stop: int) -> _Holders:
        """The holders of entities ``start..stop - 1``, their codes less ``start``."""
        low, high = np.searchsorted(self.entities, [start, stop])
        bounds = self.bounds[low : high + 1]
        rows = self.rows[bounds[0] : bounds[-1]]
        return _Holders(self.entities[low:high] - start, bounds - bounds[0], rows)


class _Table:
    """The features in (entity, source rank, uid) order: ``order[p]`` is the features row at
    position ``p``, ``entity[p]`` its entity code (0..n-1, the rank of its entity id)."""

    def __init__(
        self, features: pd.DataFrame, memberships: pd.DataFrame, priorities: dict[str, int]
    ) -> None:
        self.features = features
        uid = features["uid"]
        self.uids = uid.astype(str).to_numpy(dtype=object)
        ascending = bool(np.all(self.uids[1:] >= self.uids[:-1]))
        entity, self.confidence = _members(uid, self.uids, ascending, memberships)
        self.ids, codes = _entity_codes(entity)
        self.n = n = len(self.ids)
        rank = features["source"].map(priorities).fillna(np.iinfo(np.int32).max).to_numpy()
        rank = pd.factorize(rank, sort=True)[0]
        if ascending:  # the uid rank (ties in row order) is the row number
            u = np.arange(len(uid), dtype=np.int64)
        else:
            u = np.empty(len(uid), dtype=np.int64)
            u[np.argsort(self.uids, kind="stable")] = np.arange(len(uid))
        self.order = np.lexsort((u, rank, codes))
        self.entity = codes[self.order]
        self.counts = np.bincount(codes, minlength=n)
        self.bounds = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(self.counts, out=self.bounds[1:])
        # positions in (entity, uid) order: the order of the uids in provenance
        self.by_uid = np.lexsort((u[self.order], self.entity))
        self._codes: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
        self.derived: dict[str, pd.Series] = {}  # columns made here (auto identifiers)
        self._uid_text: tuple[pa.Array, str, str] | None = None

    # -- per column -----------------------------------------------------------------------

    def column(self, name: str) -> pd.Series:
        """A features column, or one made here."""
        return self.derived[name] if name in self.derived else self.features[name]

    def codes(self, column: str) -> tuple[np.ndarray, np.ndarray | None]:
        """(code per position, -1 where the row holds no value; the distinct values by code
        when all are str, else None).

        Equal codes are equal values. A row holds a value when it is not missing and not blank
        once turned into text; the test runs once per distinct value (``factorize`` gives
        missing values code -1). Distinct str values are distinct texts; other values (``1``
        and ``1.0`` are equal, with different texts) are factorised in position order, so each
        distinct value is tested as the first of its rows there."""
        if column not in self._codes:
            series = self.column(column)
            codes, uniques = pd.factorize(series, use_na_sentinel=True)
            plain = _text_dtype(series) and pd.api.types.infer_dtype(uniques) in (
                "string",
                "empty",
            )
            if plain:
                codes = codes[self.order]
            else:
                codes, uniques = pd.factorize(series.iloc[self.order], use_na_sentinel=True)
            codes = codes.astype(np.int32)  # held for every column: half the size of intp
            codes[~np.append(_nonblank(uniques, plain), False)[codes]] = -1
            texts = np.asarray(uniques, dtype=object) if plain else None
            self._codes[column] = (codes, texts)
        return self._codes[column]

    def forget_codes(self) -> None:
        """Drop the codes of every column (they are computed again when asked for)."""
        self._codes.clear()

    def joined(self, column: str) -> Column:
        """Distinct non-empty values per entity, as text, sorted, joined with ' | ' ("" when
        none)."""
        codes, texts = self.codes(column)
        held = np.flatnonzero(codes >= 0)
        if texts is not None:  # a str value is its own text
            text_codes = codes[held]
        else:  # str() of every row, as before (the text of some dtypes depends on the rows)
            series = self.column(column).iloc[self.order[held]]
            text_codes, texts = pd.factorize(series.astype(str).to_numpy(dtype=object))
        text = _arrow(np.asarray(texts, dtype=object))
        ents, pair = _distinct_pairs(self.entity[held], text_codes, len(text))
        bounds = _bounds(ents, self.n)
        # texts sorted only where an entity has several: by (entity, text) with Arrow, whose
        # UTF-8 byte order is str (code point) order
        several = np.flatnonzero(np.diff(bounds)[ents] > 1)
        if len(several):
            both = pa.table(
                {"e": ents[several], "t": text.take(pa.array(pair[several], type=pa.int64()))}
            )
            sort = pc.sort_indices(both, sort_keys=[("e", "ascending"), ("t", "ascending")])
            pair[several] = pair[several][np.asarray(sort, dtype=np.int64)]
        values = text.take(pa.array(pair, type=pa.int64()))
        del text
        out = _text_column([_join(values, bounds, LIST_SEPARATOR)])
        del values
        pa.default_memory_pool().release_unused()  # freed Arrow memory is not reused by numpy
        return out

    def weakest(self, confidence: np.ndarray) -> np.ndarray:
        """The lowest confidence per entity (missing ones skipped; NaN when all are)."""
        if self.n == 0:
            return np.empty(0, dtype=np.float64)
        return np.fmin.reduceat(confidence[self.order], self.bounds[:-1])

    def survive(self, field: str, rule: str, date: str | None) -> tuple[Column, _Holders]:
        """(value per entity, its holders) for one field under one rule."""
        if rule == "source_priority":
            return self.first(field, None)
        codes, _ = self.codes(field)
        held = np.flatnonzero(codes >= 0)
        key: np.ndarray
        if rule == "most_recent":
            assert date is not None  # validated by SurvivorshipConfig
            column = f"{date}_date" if f"{date}_date" in self.features else date
            if column in self.features:
                dates = self.features[column].iloc[self.order[held]]
                when = dates.fillna("").astype(str).str.strip().to_numpy(dtype=object)
                key = _text_rank(when)
            else:
                key = np.zeros(len(held), dtype=np.int64)
            return self.first(field, key, held)
        if rule == "most_frequent":  # members per (entity, value)
            entity, code = self.entity[held], codes[held]
            group = np.lexsort((code, entity))
            new = np.r_[True, (np.diff(entity[group]) != 0) | (np.diff(code[group]) != 0)]
            size = np.diff(np.r_[np.flatnonzero(new), len(group)])
            key = np.empty(len(held), dtype=np.int64)
            key[group] = np.repeat(size, size)
            return self.first(field, key, held)
        if rule == "longest":
            values = self.features[field].iloc[self.order[held]]
            key = values.astype(str).str.len().to_numpy(dtype=np.int64)
            return self.first(field, key, held)
        raise ValueError(f"unknown survivorship rule {rule!r}")

    def first(
        self, column: str, key: np.ndarray | None, held: np.ndarray | None = None
    ) -> tuple[Column, _Holders]:
        """The value of the first row per entity holding one, by ``key`` descending (when
        given), then source rank and uid; and the rows holding that value (by uid).

        ``key`` is per features row (``held`` is None) or per position in ``held``."""
        codes, _ = self.codes(column)
        if held is None:
            held = np.flatnonzero(codes >= 0)
            if key is not None:
                key = key[self.order[held]]
        # stable: ties keep the (source rank, uid) order of ``held``
        pick = held if key is None else held[np.lexsort((-key.astype(np.int64), self.entity[held]))]
        entity = self.entity[pick]
        start = np.r_[True, entity[1:] != entity[:-1]] if len(pick) else np.zeros(0, dtype=bool)
        firsts, ents = pick[start], entity[start]
        chosen = np.full(self.n + 1, -1, dtype=np.int64)  # [n]: rows without an entity value
        chosen[ents] = codes[firsts]
        holds = (codes >= 0) & (codes == chosen[self.entity])
        positions = self.by_uid[holds[self.by_uid]]
        holders = _Holders(
            ents,
            _bounds(self.entity[positions], self.n)[np.r_[ents, self.n]],
            self.order[positions],
        )
        return self._values(column, ents, self.order[firsts]), holders

    def _values(self, column: str, ents: np.ndarray, rows: np.ndarray) -> Column:
        """Per entity code, the column's value in ``rows`` (of ``ents``); missing elsewhere
        (NA in an Arrow text column, NaN otherwise)."""
        series = self.column(column)
        if is_arrow_text(series.dtype):  # stays Arrow
            slot = np.full(self.n, -1, dtype=np.int64)
            slot[ents] = rows
            text = pa.chunked_array(pa.array(series.array))
            return pd.arrays.ArrowExtensionArray(text.take(pa.array(slot, mask=slot < 0)))
        if series.dtype == object:  # the same string objects, not copies
            out = np.full(self.n, np.nan, dtype=object)
            out[ents] = series.to_numpy()[rows]
            return out
        value = series.iloc[rows].set_axis(pd.Index(ents, dtype=np.int64))
        return value.reindex(np.arange(self.n)).to_numpy()

    # -- provenance -----------------------------------------------------------------------

    def provenance_json(self, provenance: dict[str, _Holders]) -> Column:
        """Per entity, ``{"field": ["uid", ...], ...}`` with sorted keys.

        One Arrow ``take`` lays out every entity's text as items, joined per entity: before
        each holder's uid, what opens the entity (``{"field": ["``), a field (``"], "field":
        ["``) or separates uids (``", "``); after the last, ``"]}`` (``{}`` for no field).
        The holders are put in (entity, field, uid) order by counting, field by field. This is
        done ``ENTITY_CHUNK`` entities at a time, so that the Arrow text (about as large as the
        result) is only ever held for one slice of entities."""
        uids, opening, closing = self.uid_text()
        fields = sorted(provenance)
        names = [json.dumps(f) + ": [" + opening for f in fields]
        texts = [
            *("{" + name for name in names),  # 0..k-1: the entity's first field
            *(closing + "], " + name for name in names),  # k..2k-1: its next ones
            closing + ", " + opening,  # 2k: the next uid of the same field
            closing + "]}",  # 2k + 1: the end
            "{}",  # 2k + 2: an entity without provenance
        ]
        every = pa.concat_arrays([uids, _arrow(np.array(texts, dtype=object), uids.type)])
        parts = []
        for start in range(0, self.n, ENTITY_CHUNK):
            stop = min(start + ENTITY_CHUNK, self.n)
            groups = [provenance[f].slice(start, stop) for f in fields]
            items, bounds = _provenance_items(groups, stop - start, len(uids))
            lists = every.take(pa.array(items, type=pa.int64()))
            del items
            parts.append(_text_part(_join(lists, bounds, "")))
            del lists
        out = _text_column(parts, every.type)
        del parts
        pa.default_memory_pool().release_unused()
        return out

    def uid_text(self) -> tuple[pa.Array, str, str]:
        """(uids as Arrow text, opening, closing): a uid in JSON is ``opening + uid +
        closing``; quotes unless a uid needs escaping, then each is quoted as json.dumps
        would and the quotes are ``""``."""
        if self._uid_text is None:
            uids = _arrow(self.uids)
            if pa.types.is_large_string(uids.type):
                escape = (
                    len(uids) > 0 and pc.any(pc.match_substring_regex(uids, _NEEDS_ESCAPE)).as_py()
                )
            else:
                escape = any(_quote(u) != f'"{u}"' for u in self.uids.tolist())
            if escape:
                quoted = np.array([_quote(u) for u in self.uids.tolist()] or [], dtype=object)
                self._uid_text = (_arrow(quoted), "", "")
            else:
                self._uid_text = (uids, '"', '"')
        return self._uid_text


def _provenance_items(groups: list[_Holders], n: int, texts: int) -> tuple[np.ndarray, np.ndarray]:
    """(items, bounds) of :meth:`_Table.provenance_json` for ``n`` entities: indexes into the
    uids followed by the texts (``texts`` is where they start), entity ``i`` being
    ``items[bounds[i]:bounds[i + 1]]``."""
    k = len(groups)
    sizes = [np.diff(h.bounds) for h in groups]
    per_entity = np.zeros(n, dtype=np.int64)
    for h, size in zip(groups, sizes, strict=True):
        per_entity[h.entities] += size
    bounds = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_entity, out=bounds[1:])
    rows = np.empty(int(bounds[-1]), dtype=np.int64)
    before = np.full(len(rows), 2 * k, dtype=np.int64)  # text codes, see ``texts``
    slot, seen = bounds[:-1].copy(), np.zeros(n, dtype=bool)
    for i, (h, size) in enumerate(zip(groups, sizes, strict=True)):
        starts = slot[h.entities]
        rows[np.repeat(starts - h.bounds[:-1], size) + np.arange(len(h.rows))] = h.rows
        before[starts] = i + k * seen[h.entities]
        seen[h.entities] = True
        slot[h.entities] += size
    items = np.empty(2 * len(rows), dtype=np.int64)
    items[0::2] = before + texts
    items[1::2] = rows
    ends = np.where(per_entity > 0, 2 * k + 1, 2 * k + 2) + texts
    return np.insert(items, 2 * bounds[1:], ends), 2 * bounds + np.arange(n + 1)


def _members(
    uid: pd.Series, text: np.ndarray, ascending: bool, memberships: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray | None]:
    """(entity id, confidence or None) per features row, looked up by uid."""
    column = memberships["uid"].to_numpy()
    if (
        ascending
        and len(column) == len(text)
        and (len(text) < 2 or bool(np.all(text[1:] != text[:-1])))
        and np.array_equal(uid.to_numpy(), text)
        and np.array_equal(column, text)
    ):  # the same distinct uids in the same order: nothing to look up
        entity = memberships["entity_id"].to_numpy()
        confidence = None
        if "confidence" in memberships:
            confidence = memberships["confidence"].to_numpy(dtype=np.float64)
        return entity, confidence
    by_uid = memberships.set_index("uid")
    entity = by_uid["entity_id"].reindex(uid).to_numpy()
    if "confidence" not in by_uid:
        return entity, None
    return entity, by_uid["confidence"].reindex(uid).to_numpy(dtype=np.float64)


def _entity_codes(entity: np.ndarray) -> tuple[pd.Index, np.ndarray]:
    """(sorted distinct entity ids, each row's position among them)."""
    codes, uniques = pd.factorize(entity)
    if (codes < 0).any():  # missing entity ids: as np.sort and get_indexer make of them
        ids = pd.Index(np.sort(pd.unique(entity)), name="entity_id")
        return ids, ids.get_indexer(entity)
    if pd.api.types.infer_dtype(uniques) == "string":
        sort = _sort_text(_arrow(np.asarray(uniques, dtype=object)))
    else:
        sort = np.argsort(uniques)
    rank = np.empty(len(sort), dtype=np.int64)
    rank[sort] = np.arange(len(sort))
    return pd.Index(uniques[sort], name="entity_id"), rank[codes]


def _text_rank(text: np.ndarray) -> np.ndarray:
    """Each str's rank among the distinct ones, in str order."""
    codes, distinct = pd.factorize(text)
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[_sort_text(_arrow(np.asarray(distinct, dtype=object)))] = np.arange(len(distinct))
    return rank[codes]


def _sort_text(text: pa.Array) -> np.ndarray:
    """The order of distinct str in str (code point) order: the order of their UTF-8 bytes
    (lone surrogates, passed as bytes, fall between U+D7FF and U+E000 there too)."""
    return np.asarray(pc.sort_indices(text), dtype=np.int64)


def _text_dtype(series: pd.Series) -> bool:
    """Whether the column holds Python objects or Arrow text (the run's features after
    matching, see :func:`linkage.memory.compact_text`)."""
    return bool(series.dtype == np.dtype(object)) or is_arrow_text(series.dtype)


def _nonblank(uniques: pd.Index | np.ndarray, plain: bool) -> np.ndarray:
    """Per distinct value: not blank once turned into text (``str(u).strip() != ""``).

    When all are str (``plain``), only those starting with whitespace (as ``str.isspace``
    and numpy's ``isspace`` agree on every code point) or empty are stripped one by one."""
    if not plain:
        return np.fromiter((str(u).strip() != "" for u in uniques), dtype=bool, count=len(uniques))
    values = np.asarray(uniques, dtype=object)
    head = values.astype("U1")  # the first character
    out = ~((head == "") | np.char.isspace(head))
    maybe = np.flatnonzero(~out)
    out[maybe] = [v.strip() != "" for v in values[maybe].tolist()]
    return out


def _distinct_pairs(entity: np.ndarray, value: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (entity, value) pairs of two integer arrays (values below ``m``), sorted."""
    if len(entity) and int(entity.max()) < (2**62) // max(m, 1):
        pairs = np.sort(entity.astype(np.int64) * m + value)
        pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]
        return pairs // m, pairs % m
    sort = np.lexsort((value, entity))
    entity, value = entity[sort].astype(np.int64), value[sort].astype(np.int64)
    new = np.r_[True, (entity[1:] != entity[:-1]) | (value[1:] != value[:-1])][: len(entity)]
    return entity[new], value[new]


def _bounds(entity: np.ndarray, n: int) -> np.ndarray:
    """Group bounds (length n + 1) of sorted entity codes over all codes 0..n-1."""
    bounds = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(entity, minlength=n), out=bounds[1:])
    return bounds


# -- Arrow text ---------------------------------------------------------------------------------
# Text goes to Arrow as UTF-8; text Arrow cannot hold (lone surrogates) goes as bytes
# ("surrogatepass") and comes back the same way.


def _arrow(values: np.ndarray, kind: pa.DataType | None = None) -> pa.Array:
    """Arrow text of an object array of str (as bytes when ``kind`` is binary or when a str
    holds a lone surrogate)."""
    if kind is None or pa.types.is_large_string(kind):
        try:
            return pa.array(values, type=pa.large_string(), from_pandas=False)
        except UnicodeEncodeError:
            pass
    encoded = [v.encode("utf-8", "surrogatepass") for v in values.tolist()]
    return pa.array(encoded, type=pa.large_binary())


def _text_part(values: pa.Array) -> pa.Array:
    """A slice of an entities text column: Arrow strings (int32 offsets, as Parquet and pandas
    expect), or bytes when the text holds lone surrogates."""
    return values if pa.types.is_large_binary(values.type) else values.cast(pa.string())


def _text_column(parts: list[pa.Array], kind: pa.DataType | None = None) -> Column:
    """Entity text as one Arrow string column (``pd.ArrowDtype(pa.string())``): about half the
    memory of Python strings, and written out without a conversion. Text holding lone
    surrogates (Arrow keeps it as bytes, ``kind`` binary) becomes an object array of str."""
    parts = [_text_part(p) for p in parts]
    kind = parts[0].type if parts else kind
    if kind is not None and pa.types.is_large_binary(kind):
        return np.concatenate([_python(p) for p in parts]) if parts else np.empty(0, object)
    return pd.arrays.ArrowExtensionArray(pa.chunked_array(parts, type=pa.string()))


def _python(values: pa.Array) -> np.ndarray:
    """An object array of str (writable) of Arrow text."""
    if pa.types.is_large_binary(values.type):
        out = np.empty(len(values), dtype=object)
        out[:] = [v.decode("utf-8", "surrogatepass") for v in values.to_pylist()]
        return out
    out = values.to_numpy(zero_copy_only=False)
    return out if out.flags.writeable else out.copy()


def _scalar(text: str, kind: pa.DataType) -> pa.Scalar:
    return pa.scalar(text.encode("utf-8") if pa.types.is_large_binary(kind) else text, type=kind)


def _join(values: pa.Array, bounds: np.ndarray, separator: str) -> pa.Array:
    """Per group, ``values[bounds[i]:bounds[i + 1]]`` joined with ``separator``."""
    lists = pa.LargeListArray.from_arrays(pa.array(bounds, type=pa.int64()), values)
    return pc.binary_join(lists, _scalar(separator, values.type))
