"""Reference implementations the tests hold optimised code to: the plain versions it replaced,
kept slow and obvious, with the random inputs that exercise them."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa

from linkage.clustering import entity_id_for
from linkage.config import CANONICAL_FIELDS, SurvivorshipConfig
from linkage.store import IdAssignment

# == entity profiles: linkage/profiles before the Arrow joins (commit ff353aa) ====================

LIST_SEPARATOR = " | "
_ID_PARTS = ("_norm", "_valid")
_quote = json.encoder.encode_basestring


def reference_build_profiles(
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
    wanted = {"uid", "source", *fields, *dates, *(f"{d}_date" for d in {*dates, *fields})}
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
        if f"{field}_date" in table:  # the parsed date, by the field's rule
            value, _ = _survive(table, f"{field}_date", rule, date, n)
            entities[f"{field}_date"] = value.reindex(np.arange(n)).to_numpy()
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


# -- random inputs ------------------------------------------------------------------------------

SOURCES = ["reg", "dir", "web", "odd"]  # "odd" has no priority
TEXT = [
    "Acme",
    " Acme",
    "\u3000x",
    "acme",
    "ACME LTD",
    "Beta",
    "",
    "  ",
    "\x1c",
    None,
    np.nan,
    "β 公司",
    'q"x',
    "a\\b",
]
MIXED = [1, 1.0, True, "1", 0, False, 2.5, "", None, np.nan, " x "]
DATES = ["2020-01-01", "2021-06-30", "2020-01-01 ", "", None, np.nan, "1999"]
IDS = ["X1", "X2", "X3", "", None]
RULES = ["source_priority", "most_recent", "most_frequent", "longest"]


def random_case(seed: int) -> tuple[tuple, dict]:
    rng = np.random.default_rng(seed)
    size = int(rng.integers(0, 30))

    def pick(pool: list, k: int = size) -> list:
        return [pool[i] for i in rng.integers(0, len(pool), k)]

    special = ['e"1', "e\\2", "e\t3", "é4", "e\x015"]
    if rng.random() < 0.1:
        special.append("s\udc806")
    names = [f"{s}:{i}" for s in SOURCES for i in range(12)] + special
    uids = [names[i] for i in rng.choice(len(names), size, replace=False)]
    if size > 2 and rng.random() < 0.1:
        uids[1] = uids[0]  # a duplicated uid
    if rng.random() < 0.6:
        uids = sorted(uids)
    frame = pd.DataFrame(
        {
            "uid": pd.Series(uids, dtype=object),
            "source": [u.split(":")[0] if ":" in u else "web" for u in uids],
            "name": pick(TEXT),
            "address": pick(TEXT),
            "city": pick(["Oslo", "oslo", "", None]),
            "phone": pick([*TEXT[:3], None]),
            "updated": pick(DATES),
            "id_a_norm": pick(IDS),
            "id_a_valid": pick([True, False]),
            "id_b_norm": pick(IDS),
        },
        index=pd.RangeIndex(size),
    )
    if rng.random() < 0.5:
        frame["updated_date"] = pick(DATES)
    if rng.random() < 0.15:
        frame["id_b_norm"] = pd.Series(pick(MIXED), dtype=object, index=frame.index)
    if rng.random() < 0.1:
        frame["name"] = frame["name"].astype("string")
    if rng.random() < 0.5:
        frame["id_b_valid"] = pick([True, False])
    custom: list[str] = []
    if rng.random() < 0.5:
        frame["kind"] = pd.Series(pick(MIXED), dtype=object)  # equal values, different text
        custom.append("kind")
    if rng.random() < 0.3:
        frame["score"] = rng.choice([0.5, 1.0, np.nan], size)  # float64
        custom.append("score")
    if rng.random() < 0.3:
        frame["count"] = rng.integers(0, 3, size)  # int64
        custom.append("count")
    if rng.random() < 0.2:
        frame["flag"] = rng.random(size) < 0.5  # bool
        custom.append("flag")
    if rng.random() < 0.2:
        frame["label"] = pd.Series(pick(["a", "b", "", None]), dtype="string")
        custom.append("label")
    if rng.random() < 0.2:
        custom.append("name")  # a custom field that is also canonical
    if rng.random() < 0.2:
        frame[7] = 1  # a column name that is not a str
    if size and rng.random() < 0.2:  # a subset of a table, as incremental runs pass
        frame = frame.iloc[np.sort(rng.choice(size, int(rng.integers(1, size + 1)), replace=False))]
    members = list(dict.fromkeys(uids))
    if rng.random() < 0.3:
        members += ["zz:1", "zz:2"]  # uids not in the features
    entity_pool = [f"E{i}" for i in range(6)] if rng.random() < 0.8 else [10, 3, 7, 1, 25, 4]
    memberships = pd.DataFrame({"uid": members, "entity_id": pick(entity_pool, len(members))})
    if rng.random() < 0.8:
        memberships["confidence"] = rng.choice([0.5, 0.75, 0.9, 1.0, np.nan], len(members))
    if rng.random() < 0.4:
        memberships = memberships.sample(frac=1, random_state=seed).reset_index(drop=True)
    priorities = {"reg": 1, "dir": 3, "web": 2}
    fields = {}
    for field in [*CANONICAL_FIELDS, *custom]:
        if rng.random() < 0.5:
            fields[field] = RULES[int(rng.integers(0, len(RULES)))]
    rules = SurvivorshipConfig.model_validate(
        {
            "default": RULES[int(rng.integers(0, len(RULES)))],
            "date": "updated",
            "fields": fields,
            "identifiers": ["valid_first", "source_priority"][int(rng.integers(0, 2))],
        }
    )
    return (frame, memberships, priorities, rules, custom), {}


def cell_types(frame: pd.DataFrame) -> dict:
    return {c: [type(v) for v in frame[c].tolist()] for c in frame.columns}


def as_objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Arrow text columns as object columns of str, NaN where missing (the reference's form)."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.ArrowDtype):
            values = out[column].to_numpy(dtype=object, na_value=np.nan)
            out[column] = pd.Series(values, index=out.index, dtype=object)
    return out


def assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Equal values, cell types and CSV text (the new one may hold text as Arrow strings)."""
    for column in got.columns:
        if isinstance(got[column].dtype, pd.ArrowDtype):
            assert got[column].dtype == pd.ArrowDtype(pa.string()), column
    objects = as_objects(got)
    pd.testing.assert_frame_equal(objects, want, check_exact=True)
    assert list(got.columns) == list(want.columns)
    assert cell_types(objects) == cell_types(want)
    text = [io.StringIO(), io.StringIO()]
    got.to_csv(text[0], index=False, lineterminator="\n")
    want.to_csv(text[1], index=False, lineterminator="\n")
    assert text[0].getvalue() == text[1].getvalue()


# == stable ids and membership history: linkage/store before the integer-code rewrite ============


def reference_assign_stable_ids(
    memberships: pd.DataFrame, previous: pd.DataFrame, issued: set[str]
) -> IdAssignment:
    """The pandas implementation before the integer-code rewrite (kept as the reference).

    Args:
        memberships: this run's ``uid, entity_id`` (entity_id = the cluster's derived key).
        previous: the store's current ``uid, entity_id``.
        issued: every entity id ever issued (new ids must avoid them).
    """
    current = memberships[["uid", "entity_id"]].rename(columns={"entity_id": "cluster"})
    sizes = current.groupby("cluster").size()
    # smallest uid per cluster (a sort, not groupby().min(), which is slow on strings)
    firsts = current.sort_values("uid", kind="stable").drop_duplicates("cluster")
    first_uid = dict(zip(firsts["cluster"].tolist(), firsts["uid"].tolist(), strict=True))
    overlap = (
        current.merge(previous[["uid", "entity_id"]], on="uid")
        .groupby(["cluster", "entity_id"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["n", "entity_id", "cluster"], ascending=[False, True, True], kind="stable")
    )
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for cluster_key, previous_id in zip(
        overlap["cluster"].tolist(), overlap["entity_id"].tolist(), strict=True
    ):
        if cluster_key not in mapping and previous_id not in taken:
            mapping[cluster_key] = previous_id
            taken.add(previous_id)
    inherited = set(mapping)
    used = set(issued) | taken
    for cluster_key in sorted(set(sizes.index) - inherited):
        uid = str(first_uid[cluster_key])
        candidate, salt = entity_id_for(uid), 0
        while candidate in used:
            salt += 1
            candidate = entity_id_for(f"{uid}#{salt}")
        mapping[cluster_key] = candidate
        used.add(candidate)
    events = []
    overlap["final"] = overlap["cluster"].map(mapping)
    moved = overlap[overlap["final"] != overlap["entity_id"]]
    inherits = moved["cluster"].isin(inherited)
    events.append(
        pd.DataFrame(
            {
                "event": np.where(inherits, "merge", "split"),
                "entity_id": moved["final"],
                "related_entity_id": moved["entity_id"],
                "members": moved["n"],
            }
        )
    )
    fresh = sorted(set(sizes.index) - set(overlap["cluster"]))
    events.append(
        pd.DataFrame(
            {
                "event": "new",
                "entity_id": [mapping[c] for c in fresh],
                "related_entity_id": pd.Series([None] * len(fresh), dtype=object),
                "members": sizes.reindex(fresh).to_numpy(dtype=np.int64),
            }
        )
    )
    gone = sorted(set(previous["entity_id"]) - taken)
    events.append(
        pd.DataFrame(
            {
                "event": "retired",
                "entity_id": gone,
                "related_entity_id": pd.Series([None] * len(gone), dtype=object),
                "members": 0,
            }
        )
    )
    empty = pd.DataFrame(
        {c: pd.Series(dtype=object) for c in ("event", "entity_id", "related_entity_id")}
    ).assign(members=pd.Series(dtype=np.int64))
    lineage = pd.concat([empty, *(e for e in events if len(e))], ignore_index=True)
    lineage["members"] = lineage["members"].astype(np.int64)
    lineage = lineage.sort_values(
        ["event", "entity_id", "related_entity_id"], kind="stable", na_position="first"
    ).reset_index(drop=True)
    return IdAssignment(mapping, lineage)


def reference_write_memberships(con: object, run_id: int) -> None:
    """The memberships write before one join found the changes (kept as the reference)."""
    con.execute(  # type: ignore[attr-defined]
        "UPDATE memberships SET valid_to_run = ? WHERE valid_to_run IS NULL AND NOT EXISTS "
        "(SELECT 1 FROM new_members m WHERE m.uid = memberships.uid "
        "AND m.entity_id = memberships.entity_id)",
        [run_id],
    )
    con.execute(  # type: ignore[attr-defined]
        "INSERT INTO memberships SELECT m.uid, m.entity_id, ?, NULL FROM new_members m "
        "WHERE NOT EXISTS (SELECT 1 FROM memberships o WHERE o.valid_to_run IS NULL "
        "AND o.uid = m.uid AND o.entity_id = m.entity_id)",
        [run_id],
    )


# == CSV outputs: the rules linkage.outputs.write_csv documents, cell by cell ====================

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def reference_csv(frame: pd.DataFrame) -> bytes:
    """The CSV write_csv writes: numbers as pandas' to_csv spells them; text (anything else,
    ``str`` of it) defused when a spreadsheet would run it as a formula and quoted when it
    holds a comma, a quote or a line break; missing values empty."""
    columns = []
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if column.dtype.kind in "biuf":
            # beside a second column: pandas quotes a lone empty field
            pair = pd.DataFrame({"n": column.reset_index(drop=True), "x": ""})
            text = pair.to_csv(index=False, header=False, lineterminator="\n")
            columns.append([line[:-1] for line in text.split("\n")[: len(column)]])
        else:
            columns.append([_reference_text(v) for v in column.astype(object).tolist()])
    header = [_reference_text(str(c)) for c in frame.columns]
    lines = [header, *map(list, zip(*columns, strict=True))] if columns else [header]
    if frame.shape[1] == 1:
        lines = [[f or '""' for f in line] for line in lines]
    return "".join(",".join(line) + "\n" for line in lines).encode("utf-8")


def _reference_text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START) and not re.fullmatch(r"[+-]?[0-9][0-9 ()./-]*", text):
        text = "'" + text
    if any(c in text for c in ',"\r\n'):
        text = '"' + text.replace('"', '""') + '"'
    return text
