"""Profile reuse in incremental runs: an entity whose members did not change keeps the profile
the previous run built for it; only the other entities are built (see :mod:`linkage.incremental`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from linkage.incremental import survivorship_settings

if TYPE_CHECKING:
    from linkage.incremental import IncrementalPlan


def reuse_profiles(
    plan: IncrementalPlan,
    features: pd.DataFrame,
    memberships: pd.DataFrame,
    config: Any,
) -> pd.DataFrame:
    """``build_profiles(features, memberships, ...)``, reusing the cached profile of every
    entity whose members are exactly those of one entity of the cached run and all
    unchanged (a profile is a function of its members' records, the survivorship settings
    and the entity's confidence; the id and the confidence are taken from this run).

    Only the entities left over are built, from their members' rows."""
    from linkage.profiles import build_profiles

    priorities = {s.name: config.priority(s) for s in config.sources}
    fields = list(config.fields)

    def build(rows: np.ndarray | None) -> pd.DataFrame:
        # build_profiles looks the members up by uid: the memberships need no subsetting
        feats = features if rows is None else features.iloc[rows]
        return build_profiles(feats, memberships, priorities, config.survivorship, fields)

    old = (
        plan.cache.entities()
        if plan.cache.meta.get("profiles") == survivorship_settings(config)
        else None
    )
    reusable, reuse = _reusable_entities(plan, features, memberships, old)
    plan.stats["reused_profiles"] = len(reuse)
    if old is None or not len(reuse):
        return build(None)
    fresh_rows = np.flatnonzero(~reusable)
    fresh = build(fresh_rows)  # with no row, still the columns' types (text is Arrow)
    text = pd.ArrowDtype(pa.string())  # read text as Arrow: most entity text stays so
    rows = pa.array(reuse["row"].to_numpy(dtype=np.int64))
    reused = old.take(rows).to_pandas(types_mapper={pa.string(): text}.get)
    reused["entity_id"] = reuse["entity_id"].to_numpy(dtype=object)
    if "confidence" in reused:
        reused["confidence"] = reuse["confidence"].to_numpy(dtype=np.float64)
    if list(fresh.columns) != list(reused.columns):
        return build(None)
    for column in fresh.columns:  # as build_profiles gives them
        want, values = fresh[column].dtype, reused[column]
        objects = np.dtype(object)
        if want == objects and (values.dtype != objects or values.isna().any()):
            # Python objects, NaN where missing (Parquet gives None)
            reused[column] = values.to_numpy(dtype=object, na_value=np.nan)
        elif want != values.dtype:
            reused[column] = values.astype(want)
    entities = pd.concat([fresh, reused], ignore_index=True) if len(fresh) else reused
    order = np.argsort(entities["entity_id"].to_numpy(dtype=object), kind="stable")
    entities = entities.take(order)
    entities.index = pd.RangeIndex(len(entities))
    return entities


def _reusable_entities(
    plan: IncrementalPlan, features: pd.DataFrame, memberships: pd.DataFrame, old: pa.Table | None
) -> tuple[np.ndarray, pd.DataFrame]:
    """Per features row, whether its entity's cached profile is reused; and per reused
    entity its row in the cached entities table ``old``, its id and confidence now."""
    n = len(features)
    none = (np.zeros(n, dtype=bool), pd.DataFrame({"row": [], "entity_id": []}))
    hashes = plan.cache.hashes
    if old is None or "entity_id" not in hashes or "entity_id" not in old.column_names:
        return none
    uids = features["uid"].to_numpy(dtype=object)
    members = memberships.set_index("uid")
    entity = members["entity_id"].reindex(uids).to_numpy(dtype=object)
    old_entity = hashes["entity_id"].to_numpy(dtype=object)
    old_at = pd.Index(hashes["uid"].to_numpy(dtype=object)).get_indexer(uids)
    # a record's entity in the cached run (None: new record)
    before = np.where(old_at >= 0, old_entity[np.maximum(old_at, 0)], None)
    codes, ids = pd.factorize(pd.Series(entity, dtype=object))
    old_codes, old_ids = pd.factorize(pd.Series(before, dtype=object), use_na_sentinel=True)
    k = len(ids)
    # an entity is reusable when all its members are unchanged, all were in one cached
    # entity, and that entity had no other members
    bad = np.zeros(k, dtype=bool)
    np.logical_or.at(bad, codes, ~plan.unchanged | (old_codes < 0))
    lo = np.full(k, np.iinfo(np.int64).max)
    hi = np.full(k, -1)
    np.minimum.at(lo, codes, old_codes)
    np.maximum.at(hi, codes, old_codes)
    bad |= lo != hi
    size_now = np.bincount(codes, minlength=k)
    old_sizes = pd.Series(old_entity).value_counts()
    target = np.where(bad, None, np.asarray(old_ids, dtype=object)[np.maximum(lo, 0)])
    size_before = (
        old_sizes.reindex(pd.Index(target, dtype=object)).fillna(-1).to_numpy(dtype=np.int64)
    )
    ok = ~bad & (size_before == size_now)
    if not ok.any():
        return none
    position = pd.Index(old.column("entity_id").to_numpy(zero_copy_only=False))
    row = position.get_indexer(pd.Index(target[ok], dtype=object))
    keep = np.flatnonzero(ok)[row >= 0]
    confidence = (
        members["confidence"].groupby(members["entity_id"]).min()
        if "confidence" in members
        else None
    )
    chosen = np.asarray(ids, dtype=object)[keep]
    old_rows = pd.DataFrame(
        {
            "row": row[row >= 0],
            "entity_id": chosen,
            "confidence": (
                confidence.reindex(chosen).to_numpy(dtype=np.float64)
                if confidence is not None
                else np.nan
            ),
        }
    )
    reused_codes = np.zeros(k, dtype=bool)
    reused_codes[keep] = True
    return reused_codes[codes], old_rows
