"""Profile reuse in incremental runs (linkage.profiles.reuse_profiles) gives the
entities table build_profiles gives on the same features and memberships: equal values, dtypes,
cell types, column and row order, index, and the same bytes written, on random runs where
entities are kept, merged, split, renamed or swap members, records are new, changed or
removed, confidences change, custom fields of every dtype survive, and the survivorship settings
change. The number of reused profiles is checked against a plain set-based count of the
reusable entities."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from linkage.config import CANONICAL_FIELDS, SurvivorshipConfig
from linkage.outputs import write_csv, write_parquet
from linkage.profiles import PreviousProfiles, build_profiles, reuse_profiles, survivorship_settings
from linkage.profiles.reuse import _Cached, _order, _runs, _take_text

TEXT = ["Acme Ltd", "ACME LIMITED", "Zeta PLC", "zeta plc", "Beta & Co", "", "  ", None]
CITIES = ["Oslo", "oslo", "Bergen", "", None]
DATES = ["2024-05-01", "2020-01-01", "2025-01-01", "", None]
IDS = ["X1", "X2", "Y9", "", None]
SOURCES = ("reg", "dir", "web")
RULES = ["source_priority", "most_recent", "most_frequent", "longest"]


class Settings:
    """What reuse_profiles reads of a Config: the sources, their priorities, survivorship
    and custom fields."""

    def __init__(self, rules: SurvivorshipConfig, fields: list[str], ranks: dict[str, int]):
        self.sources = [SimpleNamespace(name=s) for s in SOURCES]
        self.survivorship, self.fields, self.ranks = rules, fields, ranks

    def priority(self, source: Any) -> int:
        return self.ranks[source.name]


def record(rng: np.random.Generator, uid: str, custom: dict[str, Any]) -> dict[str, Any]:
    def pick(pool: list[Any]) -> Any:
        return pool[int(rng.integers(0, len(pool)))]

    row = {
        "uid": uid,
        "source": uid.split(":")[0],
        "name": pick(TEXT),
        "address": pick(TEXT),
        "city": pick(CITIES),
        "phone": pick([*TEXT[:3], None]),
        "updated": pick(DATES),
        "updated_date": pick(DATES),
        "id_a_norm": pick(IDS),
        "id_a_valid": bool(rng.random() < 0.5),
        "id_b_norm": pick(IDS),
    }
    for name, pool in custom.items():
        row[name] = pick(pool)
    return row


CUSTOM = {  # custom fields and their values (each case takes some)
    "kind": ["a", "b", "", None],  # text: a Python string column
    "score": [0.5, 1.0, np.nan],  # float64
    "count": [0, 1, 2],  # int64 (survives as float64 when an entity has none)
    "flag": [True, False],  # bool (survives as objects)
}


def features_of(rows: list[dict[str, Any]], custom: list[str]) -> pd.DataFrame:
    """The features as a run has them: read columns as Python strings, standardised text
    (ids, the date) as Arrow strings, uids sorted."""
    columns = ["uid", "source", "name", "address", "city", "phone", "updated", "updated_date"]
    columns += ["id_a_norm", "id_a_valid", "id_b_norm", *custom]
    frame = pd.DataFrame(rows, columns=columns)
    frame = frame.sort_values("uid", kind="stable").reset_index(drop=True)
    for column in ("uid", "source", "name", "address", "city", "phone", "updated", "kind"):
        if column in frame:
            frame[column] = frame[column].astype(object)
    for column in ("updated_date", "id_a_norm", "id_b_norm"):
        frame[column] = frame[column].astype(pd.ArrowDtype(pa.string()))
    if "score" in frame:
        frame["score"] = frame["score"].astype(np.float64)
    if "count" in frame:
        frame["count"] = frame["count"].astype(np.int64)
    if "flag" in frame:
        frame["flag"] = frame["flag"].astype(bool)
    return frame


def random_rules(rng: np.random.Generator, custom: list[str]) -> SurvivorshipConfig:
    fields = {}
    for field in [*CANONICAL_FIELDS, *custom]:
        if rng.random() < 0.4:
            fields[field] = RULES[int(rng.integers(0, len(RULES)))]
    return SurvivorshipConfig.model_validate(
        {
            "default": RULES[int(rng.integers(0, len(RULES)))],
            "date": "updated",
            "fields": fields,
            "identifiers": ["valid_first", "source_priority"][int(rng.integers(0, 2))],
        }
    )


class Case:
    """Two runs: the first one's profiles saved (as a run leaves them), the second's features,
    memberships and what it may reuse of the first."""

    def __init__(self, seed: int, folder: Path, *, settings_change: bool = False) -> None:
        rng = np.random.default_rng(seed)
        self.rng = rng
        custom = [c for c in CUSTOM if rng.random() < 0.5]
        pools = {c: CUSTOM[c] for c in custom}
        ranks = {"reg": 1, "dir": 3, "web": 2}
        self.config = Settings(random_rules(rng, custom), custom, ranks)
        n = int(rng.integers(1, 60))
        uids = [f"{SOURCES[i % 3]}:{i:03d}" for i in rng.permutation(n)]
        rows = {u: record(rng, u, pools) for u in uids}
        # run 1: entities of 1 to 4 records
        entity1: dict[str, str] = {}
        next_id = 0
        queue = list(uids)
        while queue:
            size = int(rng.integers(1, 5))
            for u in queue[:size]:
                entity1[u] = f"E{next_id:04d}"
            queue = queue[size:]
            next_id += 1 + int(rng.integers(0, 3))  # gaps: new ids fall between old ones
        self.features1 = features1 = features_of(list(rows.values()), custom)
        self.memberships1 = memberships1 = self.memberships(entity1, features1)
        entities1 = build_profiles(features1, memberships1, ranks, self.config.survivorship, custom)
        write_parquet(entities1, folder / "entities.parquet")
        hash1 = {u: int(rng.integers(0, 2**62)) for u in uids}

        # run 2: records removed, changed, added; entities kept, merged, split, renamed
        kept = [u for u in uids if rng.random() > 0.1]
        changed = {u for u in kept if rng.random() < 0.1}
        added = [f"{SOURCES[i % 3]}:{i:03d}" for i in range(n, n + int(rng.integers(0, 6)))]
        rows2 = {u: rows[u] for u in kept}
        for u in changed:
            rows2[u] = {**record(rng, u, pools), "uid": u}
        for u in added:
            rows2[u] = record(rng, u, pools)
        groups: dict[str, list[str]] = {}
        for u in kept:
            groups.setdefault(entity1[u], []).append(u)
        entity2: dict[str, str] = {}
        names = sorted(groups)
        for i, name in enumerate(names):
            members = groups[name]
            roll = rng.random()
            if roll < 0.1 and i + 1 < len(names):  # merged into the next entity
                target = names[i + 1]
                for u in members:
                    entity2[u] = target
                continue
            if roll < 0.2 and len(members) > 1:  # split
                for j, u in enumerate(members):
                    entity2[u] = f"{name}s{j % 2}"
                continue
            if roll < 0.3:  # the same members under a new id
                name = f"R{name}" if rng.random() < 0.5 else f"{name}r"
            for u in members:
                entity2.setdefault(u, name)
        if len(set(entity2.values())) > 1 and rng.random() < 0.7:
            # two entities swap a member (both keep their size)
            a, b = sorted(set(entity2.values()))[:2]
            x = next(u for u in kept if entity2[u] == a)
            y = next(u for u in kept if entity2[u] == b)
            entity2[x], entity2[y] = b, a
        for u in added:  # a new entity, or joining one
            if entity2 and rng.random() < 0.5:
                entity2[u] = list(entity2.values())[int(rng.integers(0, len(entity2)))]
            else:
                entity2[u] = f"E{int(rng.integers(0, next_id + 1)):04d}n"
        self.features = features_of(list(rows2.values()), custom)
        self.memberships = self.memberships(entity2, self.features)
        if rng.random() < 0.3:  # memberships in another order than the features
            self.memberships = self.memberships.sample(frac=1, random_state=seed)
            self.memberships = self.memberships.reset_index(drop=True)

        records = self.features[["uid", "source"]].copy()
        hash2 = np.array(
            [
                hash1[u] if u in hash1 and u not in changed else hash1.get(u, 7) + 1
                for u in records["uid"]
            ],
            dtype=np.uint64,
        )
        cached = pd.DataFrame(
            {
                "uid": pd.Series(list(hash1), dtype=object),
                "hash": np.array(list(hash1.values()), dtype=np.uint64),
                "entity_id": pd.Series([entity1[u] for u in hash1], dtype=object),
            }
        )
        settings = survivorship_settings(self.config)
        if settings_change:
            settings = {**settings, "priorities": {"reg": 2, "dir": 1, "web": 3}}
        self.cached, self.settings, self.folder = cached, settings, folder
        self.previous = self.previous_of(records, hash2)
        self.reuse_count = -1
        self.reusable = [] if settings_change else reusable(entity1, entity2, changed)
        self.expected_reuse = len(self.reusable)

    def previous_of(self, records: pd.DataFrame, hashes: np.ndarray) -> PreviousProfiles:
        """What the second run may reuse of the first, for ``records`` with these hashes."""
        uids = records["uid"].to_numpy(dtype=object)
        where = pd.Index(self.cached["uid"]).get_indexer(uids)
        old_hashes = self.cached["hash"].to_numpy(dtype=np.uint64)
        unchanged = (where >= 0) & (old_hashes[where] == hashes)
        path = self.folder / "entities.parquet"
        return PreviousProfiles(
            settings=self.settings,
            entities_file=path if path.exists() else None,
            entity_ids=self.cached["entity_id"].to_numpy(dtype=object),
            uids=uids,
            old_rows=where,
            unchanged=unchanged,
        )

    def memberships(self, entity: dict[str, str], features: pd.DataFrame) -> pd.DataFrame:
        uids = features["uid"].tolist()
        ids = [entity[u] for u in uids]
        weakest = {e: float(self.rng.choice([0.5, 0.75, 0.9, 1.0])) for e in ids}
        confidence = [min(weakest[e], float(self.rng.choice([0.6, 1.0]))) for e in ids]
        return pd.DataFrame(
            {
                "source": features["source"].to_numpy(dtype=object),
                "uid": pd.Series(uids, dtype=object),
                "entity_id": pd.Series(ids, dtype=object),
                "confidence": confidence,
            }
        )

    def built(self) -> pd.DataFrame:
        config = self.config
        return build_profiles(
            self.features,
            self.memberships,
            config.ranks,
            config.survivorship,
            list(config.fields),
        )

    def reused(self) -> pd.DataFrame:
        """The profiles given the first run's; how many were reused in ``reuse_count``."""
        path = self.folder / "entities.parquet"
        self.previous.entities_file = path if path.exists() else None  # as a run finds it
        got, self.reuse_count = reuse_profiles(
            self.previous, self.features, self.memberships, self.config
        )
        return got


def reusable(entity1: dict[str, str], entity2: dict[str, str], changed: set[str]) -> list[str]:
    """The entities of run 1 whose members, all unchanged, are exactly those of one entity of
    run 2."""
    before: dict[str, set[str]] = {}
    for u, e in entity1.items():
        before.setdefault(e, set()).add(u)
    now = set()
    for e in set(entity2.values()):
        now.add(frozenset(u for u, f in entity2.items() if f == e))
    return sorted(e for e, m in before.items() if frozenset(m) in now and not m & changed)


def assert_identical(got: pd.DataFrame, want: pd.DataFrame, folder: Path) -> None:
    """Equal frames (values, dtypes, cell types, columns, rows, index) and equal bytes as
    entities.parquet and entities.csv."""
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.dtypes) == list(want.dtypes)
    assert isinstance(got.index, pd.RangeIndex) and got.index.equals(want.index)
    for column in want.columns:
        assert [type(v) for v in got[column].tolist()] == [
            type(v) for v in want[column].tolist()
        ], column
        assert got[column].isna().tolist() == want[column].isna().tolist(), column
    for name, frame in (("got", got), ("want", want)):
        write_parquet(frame, folder / f"{name}.parquet")
        write_csv(frame, folder / f"{name}.csv")
    for suffix in ("parquet", "csv"):
        got_bytes = (folder / f"got.{suffix}").read_bytes()
        assert got_bytes == (folder / f"want.{suffix}").read_bytes(), suffix
    text = io.StringIO()
    got.to_csv(text, index=False, lineterminator="\n")
    assert text.getvalue() == (folder / "want.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize("seed", range(60))
def test_reuse_equals_building_every_profile(seed: int, tmp_path: Path) -> None:
    case = Case(seed, tmp_path)
    got = case.reused()
    assert_identical(got, case.built(), tmp_path)
    assert case.reuse_count == case.expected_reuse


def test_the_random_cases_reuse_and_build(tmp_path: Path) -> None:
    """The cases above do reuse profiles, build others, and rename entities."""
    reuse = built = renamed = 0
    for seed in range(60):
        case = Case(seed, tmp_path)
        reuse += case.expected_reuse > 0
        built += case.expected_reuse < case.memberships["entity_id"].nunique()
        ids = set(case.memberships["entity_id"])
        renamed += any(e.startswith("R") or e.endswith("r") for e in ids)
    assert reuse > 40 and built > 40 and renamed > 10


def test_changed_survivorship_settings_reuse_nothing(tmp_path: Path) -> None:
    for seed in range(5):
        case = Case(seed, tmp_path, settings_change=True)
        assert_identical(case.reused(), case.built(), tmp_path)
        assert case.reuse_count == 0


def test_nothing_changed_reuses_every_profile(tmp_path: Path) -> None:
    case = Case(11, tmp_path)
    case.features, case.memberships = case.features1, case.memberships1.copy()
    case.memberships["confidence"] = 0.8
    records = case.features[["uid", "source"]]
    hashes = case.cached.set_index("uid")["hash"].reindex(records["uid"])
    case.previous = case.previous_of(records, hashes.to_numpy())
    got = case.reused()
    assert_identical(got, case.built(), tmp_path)
    assert case.reuse_count == len(got) > 1


def test_a_cache_without_profiles_or_without_an_entity_builds_them_all(tmp_path: Path) -> None:
    case = Case(9, tmp_path)
    assert case.expected_reuse > 1
    table = pq.read_table(tmp_path / "entities.parquet")
    missing = pc.not_equal(table.column("entity_id"), case.reusable[-1])
    pq.write_table(table.filter(missing), tmp_path / "entities.parquet")
    assert_identical(case.reused(), case.built(), tmp_path)
    assert case.reuse_count == 0
    (tmp_path / "entities.parquet").unlink()
    assert_identical(case.reused(), case.built(), tmp_path)
    assert case.reuse_count == 0


def test_cached_profiles_with_other_columns_are_not_reused(tmp_path: Path) -> None:
    case = Case(9, tmp_path)
    table = pq.read_table(tmp_path / "entities.parquet")
    pq.write_table(table.drop_columns(["sources"]), tmp_path / "entities.parquet")
    assert_identical(case.reused(), case.built(), tmp_path)
    assert case.reuse_count == 0


def test_features_that_are_not_the_previous_runs_records_reuse_nothing(tmp_path: Path) -> None:
    case = Case(9, tmp_path)
    case.features = case.features.iloc[::-1].reset_index(drop=True)
    assert_identical(case.reused(), case.built(), tmp_path)
    assert case.reuse_count == 0


def test_a_record_without_an_entity_is_left_to_build_profiles(tmp_path: Path) -> None:
    case = Case(9, tmp_path)
    case.memberships = case.memberships.iloc[1:].reset_index(drop=True)
    with pytest.raises(TypeError) as built:  # a missing id among str ids: no order
        case.built()
    with pytest.raises(TypeError) as reused:
        case.reused()
    assert str(reused.value) == str(built.value)


def test_reused_profiles_take_this_runs_confidence_and_id(tmp_path: Path) -> None:
    case = Case(6, tmp_path)
    assert case.expected_reuse > 1
    case.memberships["confidence"] = case.memberships["confidence"] * 0.5
    # new ids, no longer in the cached table's order
    ids = sorted(set(case.memberships["entity_id"]))
    renamed = {e: f"A{e}" if i % 2 else f"Z{e}" for i, e in enumerate(ids)}
    case.memberships["entity_id"] = case.memberships["entity_id"].map(renamed)
    got = case.reused()
    assert_identical(got, case.built(), tmp_path)
    assert case.reuse_count == case.expected_reuse


@pytest.mark.parametrize("seed", range(20))
def test_merged_order_is_the_sorted_order(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ids = np.array([f"E{i:03d}" for i in rng.permutation(200)[: int(rng.integers(0, 60))]])
    cut = int(rng.integers(0, len(ids) + 1))
    fresh, reused = np.sort(ids[:cut]).astype(object), ids[cut:].astype(object)
    if rng.random() < 0.7:
        reused = np.sort(reused)
    order = _order(fresh, reused)
    assert order.tolist() == np.argsort(np.concatenate([fresh, reused]), kind="stable").tolist()


@pytest.mark.parametrize("seed", range(10))
def test_text_taken_by_runs_as_by_take(tmp_path: Path, seed: int) -> None:
    """Built rows merged into the cached ones (in order, some cached rows left out): the
    slices of the runs joined give the column ``take`` gives, nulls included."""
    rng = np.random.default_rng(seed)
    n_cached, n_fresh = int(rng.integers(1, 300)), int(rng.integers(0, 20))
    text = [None if rng.random() < 0.2 else f"c{i}é" for i in range(n_cached)]
    chunks = [pa.array(text[: n_cached // 2], pa.string()), pa.array(text[n_cached // 2 :])]
    pq.write_table(pa.table({"text": pa.chunked_array(chunks)}), tmp_path / "e.parquet")
    built = pa.array([None if rng.random() < 0.2 else f"b{i}" for i in range(n_fresh)], pa.string())
    kept = np.flatnonzero(rng.random(n_cached) < 0.98) + n_fresh
    source = np.concatenate([kept, np.arange(n_fresh)])
    source = source[
        np.argsort(
            np.concatenate([kept - n_fresh, rng.integers(0, n_cached, n_fresh)]), kind="stable"
        )
    ]
    old = _Cached(tmp_path / "e.parquet")
    expected = _take_text(built, old, "text", source, None)
    runs = _runs(source, n_fresh)
    got = _take_text(built, old, "text", source, runs)
    assert got.to_pylist() == expected.to_pylist()
    assert got.type == expected.type == pa.string()
    if runs is not None:
        assert sum(length for _, length in runs) == len(source)
