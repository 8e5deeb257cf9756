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
internal link (from the memberships). Everything is grouped and sorted in pandas: no per-entity
Python loop.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import numpy as np
import pandas as pd

from linkage.config import CANONICAL_FIELDS, SurvivorshipConfig

LIST_SEPARATOR = " | "
_ID_PARTS = ("_norm", "_valid")
_quote = json.encoder.encode_basestring  # what json.dumps(str, ensure_ascii=False) calls


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
    by_uid = memberships.set_index("uid")
    entity = by_uid["entity_id"].reindex(features["uid"]).to_numpy()
    ids = pd.Index(np.sort(pd.unique(entity)), name="entity_id")
    n = len(ids)
    uids = features["uid"].astype(str)
    # only the columns survivorship reads are carried through the sort
    fields = [f for f in (*CANONICAL_FIELDS, *custom_fields) if f in features]
    dates = {rules.rule_for(f)[1] for f in fields} - {None}
    wanted = {"uid", "source", *fields, *dates, *(f"{d}_date" for d in dates)}
    keep = [
        c
        for c in features.columns
        if c in wanted or (isinstance(c, str) and c.startswith("id_") and c.endswith(_ID_PARTS))
    ]
    table = features[keep].assign(
        _e=ids.get_indexer(entity),
        _rank=features["source"].map(priorities).fillna(np.iinfo(np.int32).max).to_numpy(),
        _u=uids.rank(method="first").to_numpy(dtype=np.int64),
        # json.dumps(u, ensure_ascii=False) of a str, without its per-call overhead
        _q=[_quote(u) for u in uids.tolist()],
    )
    # _pos orders rows by entity, source rank and uid: the tie-break of every rule
    table = table.sort_values(["_e", "_rank", "_u"], kind="stable").reset_index(drop=True)
    table["_pos"] = np.arange(len(table), dtype=np.int64)
    entities = pd.DataFrame(index=ids)
    entities["member_count"] = np.bincount(table["_e"].to_numpy(), minlength=n)
    entities["sources"] = _joined(table, "source", n)
    if "confidence" in by_uid:
        confidence = by_uid["confidence"].reindex(table["uid"]).to_numpy(dtype=np.float64)
        weakest = pd.Series(confidence).groupby(table["_e"].to_numpy()).min()
        entities["confidence"] = weakest.reindex(np.arange(n)).to_numpy()
    provenance: dict[str, pd.Series] = {}
    for field in fields:
        rule, date = rules.rule_for(field)
        value, uids = _survive(table, field, rule, date, n)
        entities[field] = value.reindex(np.arange(n)).to_numpy()
        provenance[field] = uids
    if "name" in table:
        entities["name_variants"] = _joined(table, "name", n)
    columns = [str(c) for c in table.columns]
    for column in sorted(c for c in columns if c.startswith("id_") and c.endswith("_norm")):
        scheme_column = column.removesuffix("_norm")
        entities[scheme_column] = _joined(table, column, n)
        valid = f"{scheme_column}_valid"
        order = (
            table[valid].fillna(False).astype(bool)
            if rules.identifiers == "valid_first" and valid in table
            else None
        )
        primary, uids = _pick(table, column, order, n)
        entities[f"{scheme_column}_primary"] = primary.reindex(np.arange(n)).to_numpy()
        provenance[f"{scheme_column}_primary"] = uids
    entities["provenance"] = _provenance_json(provenance, n)
    return entities.reset_index()


def _filled(values: pd.Series) -> np.ndarray:
    """Rows holding a value: not missing and not blank once turned into text.

    The test runs once per distinct value (``factorize`` gives missing values code -1).
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    blank = np.fromiter((str(u).strip() != "" for u in uniques), dtype=bool, count=len(uniques))
    return np.append(blank, False)[codes]


def _present(table: pd.DataFrame, column: str) -> pd.DataFrame:
    return table.loc[_filled(table[column]), ["_e", "_pos", "_u", "_q", column]]


def _survive(
    table: pd.DataFrame, field: str, rule: str, date: str | None, n: int
) -> tuple[pd.Series, pd.Series]:
    """(value, uids holding it) per entity code for one field under one rule."""
    present = _present(table, field)
    if rule == "source_priority":
        return _first(present, field, [], [], n)
    if rule == "most_recent":
        assert date is not None  # validated by SurvivorshipConfig
        column = f"{date}_date" if f"{date}_date" in table else date
        dates = table.loc[present.index, column] if column in table else None
        when = (
            pd.Series("", index=present.index)
            if dates is None
            else dates.fillna("").astype(str).str.strip()
        )
        return _first(present.assign(_key=when), field, ["_key"], [False], n)
    if rule == "most_frequent":
        counts = present.groupby(["_e", field], sort=False)[field].transform("size")
        return _first(present.assign(_key=counts), field, ["_key"], [False], n)
    if rule == "longest":
        length = present[field].astype(str).str.len()
        return _first(present.assign(_key=length), field, ["_key"], [False], n)
    raise ValueError(f"unknown survivorship rule {rule!r}")


def _pick(
    table: pd.DataFrame, column: str, preferred: pd.Series | None, n: int
) -> tuple[pd.Series, pd.Series]:
    present = _present(table, column)
    if preferred is None:
        return _first(present, column, [], [], n)
    return _first(present.assign(_key=preferred[present.index]), column, ["_key"], [False], n)


def _first(
    present: pd.DataFrame, column: str, keys: list[str], ascending: list[bool], n: int
) -> tuple[pd.Series, pd.Series]:
    """The first value per entity after sorting by keys, then rank and uid; and its uids.

    Both results are indexed by entity code (0..n-1); entities without a value are missing.
    """
    ordered = (
        present.sort_values(["_e", *keys, "_pos"], ascending=[True, *ascending, True])
        if keys
        else present  # rows are in (_e, _pos) order already
    )
    first = ordered.drop_duplicates("_e").set_index("_e")[column]
    chosen = present[column].to_numpy() == first.reindex(present["_e"]).to_numpy()
    holders = present.loc[chosen, ["_e", "_u", "_q"]].sort_values(["_e", "_u"])
    uids = _group_join(holders["_e"].to_numpy(), holders["_q"].tolist(), ", ")
    return first, uids


def _group_join(codes: np.ndarray, values: list[str], separator: str) -> pd.Series:
    """Join consecutive values of equal (sorted) codes: one string per code present."""
    if len(codes) == 0:
        return pd.Series([], dtype=object, index=pd.Index([], dtype=np.int64))
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(codes)]
    joined = [
        separator.join(values[a:b]) for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
    ]
    return pd.Series(joined, index=codes[starts], dtype=object)


def _joined(table: pd.DataFrame, column: str, n: int) -> np.ndarray:
    """Distinct non-empty values per entity code, sorted, joined with ' | ' ("" when none)."""
    values = table.loc[_filled(table[column]), ["_e", column]]
    values = values.assign(**{column: values[column].astype(str)}).drop_duplicates()
    values = values.sort_values(["_e", column], kind="stable")
    joined = _group_join(values["_e"].to_numpy(), values[column].tolist(), LIST_SEPARATOR)
    return joined.reindex(np.arange(n)).fillna("").to_numpy(dtype=object)


def _provenance_json(provenance: dict[str, pd.Series], n: int) -> np.ndarray:
    """Per entity, ``{"field": ["uid", ...], ...}`` with sorted keys.

    Built long: one ``"field": [...]`` fragment per (entity, field) with a value, stably sorted
    by entity (fields stay in sorted order), then joined per entity.
    """
    codes: list[np.ndarray] = []
    fragments: list[str] = []
    for field in sorted(provenance):
        uids = provenance[field].dropna()
        prefix = json.dumps(field) + ": ["
        codes.append(uids.index.to_numpy(dtype=np.int64))
        fragments.extend(prefix + u + "]" for u in uids.tolist())
    every = np.concatenate(codes) if codes else np.array([], dtype=np.int64)
    order = np.argsort(every, kind="stable")
    joined = _group_join(every[order], [fragments[i] for i in order.tolist()], ", ")
    text = joined.reindex(np.arange(n)).fillna("").tolist()
    out = np.empty(n, dtype=object)
    out[:] = ["{" + t + "}" for t in text]
    return out
