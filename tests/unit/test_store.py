"""The store: stable id assignment, lineage, judgements, and all-or-nothing run writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from reference import reference_assign_stable_ids, reference_write_memberships

from linkage.clustering import entity_id_for
from linkage.store import Store, assign_stable_ids


def members(groups: dict[str, list[str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(uid, eid) for eid, uids in groups.items() for uid in uids], columns=["uid", "entity_id"]
    )


def events(lineage: pd.DataFrame) -> set[tuple[str, str, str | None]]:
    return {
        (e, i, None if pd.isna(r) else r)
        for e, i, r in lineage[["event", "entity_id", "related_entity_id"]].itertuples(index=False)
    }


def test_clusters_keep_the_id_of_their_largest_overlap_and_lineage_says_what_happened() -> None:
    previous = members({"P1": ["a", "b", "c"], "P2": ["d"], "P3": ["e", "f"], "P4": ["g"]})
    # a,b stay; c joins d (P2 keeps its id); e,f merge with g into one; h is new; P4 is absorbed
    current = members({"k1": ["a", "b"], "k2": ["c", "d"], "k3": ["e", "f", "g"], "k4": ["h"]})
    result = assign_stable_ids(current, previous, {"P1", "P2", "P3", "P4"})
    assert result.mapping["k1"] == "P1"
    assert result.mapping["k2"] == "P2"
    assert result.mapping["k3"] == "P3"
    assert result.mapping["k4"] == entity_id_for("h")
    assert events(result.lineage) == {
        ("merge", "P2", "P1"),
        ("merge", "P3", "P4"),
        ("new", entity_id_for("h"), None),
        ("retired", "P4", None),
    }


def test_split_gets_a_fresh_id_that_was_never_issued() -> None:
    old = entity_id_for("a")
    previous = members({old: ["a", "b", "c"]})
    current = members({"x": ["a"], "y": ["b", "c"]})
    result = assign_stable_ids(current, previous, {old})
    assert result.mapping["y"] == old  # the larger part keeps the id
    fresh = result.mapping["x"]
    assert fresh != old and fresh == entity_id_for("a#1")
    assert events(result.lineage) == {("split", fresh, old)}


def test_ties_are_broken_by_ids_not_by_row_order() -> None:
    previous = members({"P1": ["a"], "P2": ["b"]})
    current = members({"k": ["b", "a"]})
    shuffled = current.iloc[::-1].reset_index(drop=True)
    for frame in (current, shuffled):
        assert assign_stable_ids(frame, previous, {"P1", "P2"}).mapping == {"k": "P1"}


def run_tables(groups: dict[str, list[str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    m = members(groups)
    e = m.groupby("entity_id").size().rename("member_count").reset_index()
    return m, e.assign(name=e["entity_id"].str.lower())


def test_record_run_keeps_history_and_ids(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        first, entities = run_tables({"E1": ["a", "b"], "E2": ["c"]})
        assignment = store.assign_ids(first)
        assert store.record_run(first, entities, assignment.lineage, {"counts": {}}) == 1
        second, entities = run_tables({"E1": ["a"], "E9": ["b", "c"]})
        assignment = store.assign_ids(second)
        assert assignment.mapping == {"E1": "E1", "E9": "E2"}
        final = second.assign(entity_id=second["entity_id"].map(assignment.mapping))
        entities = entities.assign(entity_id=entities["entity_id"].map(assignment.mapping))
        assert store.record_run(final, entities, assignment.lineage, {"counts": {}}) == 2
        current = store.current_memberships().set_index("uid")["entity_id"].to_dict()
        assert current == {"a": "E1", "b": "E2", "c": "E2"}
        history = store.membership_history("b")
        assert history["entity_id"].tolist() == ["E1", "E2"]
        assert history["valid_from_run"].tolist() == [1, 2]
        assert history["valid_to_run"].isna().tolist() == [False, True]
        assert history["valid_to_run"].iloc[0] == 2
        assert set(store.entities()["entity_id"]) == {"E1", "E2"}
        assert len(store.runs()) == 2


def test_a_failure_mid_write_leaves_the_previous_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        first, entities = run_tables({"E1": ["a", "b"]})
        store.record_run(first, entities, store.assign_ids(first).lineage, {"counts": {}})

    def boom(self: Store, con: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Store, "_write_lineage", boom)
    with Store(path) as store:
        second, entities = run_tables({"E7": ["a"], "E8": ["b"], "E9": ["z"]})
        with pytest.raises(RuntimeError, match="disk on fire"):
            store.record_run(second, entities, store.assign_ids(second).lineage, {"counts": {}})
    monkeypatch.undo()
    with Store(path) as store:
        assert store.last_run_id() == 1
        assert store.current_memberships().values.tolist() == [["a", "E1"], ["b", "E1"]]
        assert store.entities()["entity_id"].tolist() == ["E1"]
        assert len(store.membership_history()) == 2


def test_judgements_are_appended_and_the_latest_wins(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        store.judge("s:b", "s:a", "same", note="same USCC on the licence", by="ana")
        store.judge("s:a", "s:b", "different", by="bo")
        store.judge("s:a", "s:c", "unsure")
        everything = store.judgements()
        assert len(everything) == 3
        assert everything["judged_by"].tolist()[:2] == ["ana", "bo"]
        latest = store.judgements(latest=True)
        assert latest[["uid_a", "uid_b", "verdict"]].values.tolist() == [
            ["s:a", "s:b", "different"],
            ["s:a", "s:c", "unsure"],
        ]
        with pytest.raises(ValueError, match="verdict"):
            store.judge("s:a", "s:b", "maybe")


# --- the integer-code assign_stable_ids equals the earlier pandas implementation -------------


@pytest.mark.parametrize("seed", range(40))
def test_assign_stable_ids_equals_the_reference_implementation(seed: int) -> None:
    """Random previous and current clusterings (merges, splits with tied overlaps, new and
    removed records, id collisions with ever-issued ids): same mapping and lineage as the
    pandas version."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    uids = [f"s{int(rng.integers(0, 3))}:{i:03d}" for i in range(n)]
    # few large previous entities or many small ones; clusters coarser or finer than them
    previous_groups = max(n // int(rng.integers(1, 6)), 1)
    previous_ids = [f"P{int(x)}" for x in rng.integers(0, previous_groups, size=n)]
    keep = rng.random(n) > 0.15
    previous = pd.DataFrame({"uid": uids, "entity_id": previous_ids})[keep]
    current_uids = uids + [f"new:{i}" for i in range(int(rng.integers(0, 6)))]
    groups = max(len(current_uids) // int(rng.integers(1, 6)), 1)
    clusters = [f"k{int(x)}" for x in rng.integers(0, groups, len(current_uids))]
    current = pd.DataFrame({"uid": current_uids, "entity_id": clusters})
    current = current.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    issued = set(previous["entity_id"]) | {entity_id_for(u) for u in current_uids[::4]}
    got = assign_stable_ids(current, previous, issued)
    expected = reference_assign_stable_ids(current, previous, issued)
    assert got.mapping == expected.mapping
    pd.testing.assert_frame_equal(got.lineage, expected.lineage)


# --- clusters equal to a previous entity keep its id without counting their overlaps ----------


def evolved(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, set[str]]:
    """A previous clustering and this run's, mostly the same entities (an incremental run):
    some records new, removed or moved, some entities merged or split, a uid twice at times,
    ids derived from members (so new ids collide with issued ones), rows in any order."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 120))
    uids = [f"s{int(rng.integers(0, 3))}:{i:03d}" for i in range(n)]
    group = rng.integers(0, max(n // int(rng.integers(1, 4)), 1), n)
    previous = pd.DataFrame({"uid": uids, "entity_id": [f"P{int(g)}" for g in group]})
    # a few previous ids are derived ones, as the store issues them
    derived = rng.random(n) < 0.2
    previous.loc[derived, "entity_id"] = [entity_id_for(u) for u in previous.loc[derived, "uid"]]
    previous = previous.drop_duplicates("uid")
    cluster_of = group.copy()
    moved = rng.random(n) < rng.choice([0.0, 0.03, 0.2])
    cluster_of[moved] = rng.integers(0, group.max() + 2, int(moved.sum()))
    if rng.random() < 0.3:  # two previous entities merged
        a, b = rng.integers(0, group.max() + 1, 2)
        cluster_of[cluster_of == b] = a
    keep = rng.random(n) > rng.choice([0.0, 0.05])
    new = [f"new:{i}" for i in range(int(rng.integers(0, 5)))]
    current_uids = [u for u, k in zip(uids, keep, strict=True) if k] + new
    keys = [f"k{int(c)}" for c in cluster_of[keep]] + [
        f"k{int(c)}" for c in rng.integers(0, group.max() + 3, len(new))
    ]
    current = pd.DataFrame({"uid": current_uids, "entity_id": keys})
    if rng.random() < 0.1 and len(current):  # one uid twice: its cluster is no set of members
        current = pd.concat([current, current.iloc[[0]].assign(entity_id="kdup")])
    current = current.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    previous = previous.sample(frac=1.0, random_state=seed + 1).reset_index(drop=True)
    issued = set(previous["entity_id"]) | {entity_id_for(u) for u in current_uids[::5]}
    return current, previous, issued


@pytest.mark.parametrize("seed", range(60))
def test_kept_entities_skip_the_overlaps_and_change_nothing(seed: int) -> None:
    from linkage.store import _assign_by_overlap

    current, previous, issued = evolved(seed)
    got = assign_stable_ids(current, previous, issued)
    everything = _assign_by_overlap(current, previous, issued, set())
    expected = reference_assign_stable_ids(current, previous, issued)
    for other in (everything, expected):
        assert got.mapping == other.mapping
        pd.testing.assert_frame_equal(got.lineage, other.lineage)
    assert got.ids is not None  # each row's stable id, as mapping the rows would give it
    assert got.ids.tolist() == current["entity_id"].map(got.mapping).tolist()


def test_unchanged_entities_are_found_whatever_the_row_order() -> None:
    previous = members({"P1": ["a", "b"], "P2": ["c"], "P3": ["d", "e"]})
    # k1 is P1 exactly; k2 is P2 with a new member; k3 holds part of P3
    current = members({"k1": ["b", "a"], "k2": ["c", "x"], "k3": ["d"], "k4": ["e"]})
    for frame in (current, current.iloc[::-1]):
        result = assign_stable_ids(frame, previous.iloc[::-1], {"P1", "P2", "P3"})
        assert result.mapping["k1"] == "P1"
        assert ("merge", "P1", None) not in events(result.lineage)
        assert not any("P1" in event for event in events(result.lineage))
        assert events(result.lineage) == {("split", result.mapping["k4"], "P3")}


def test_store_assign_ids_equals_assign_stable_ids_on_its_state(tmp_path: Path) -> None:
    for seed in range(8):
        current, previous, _ = evolved(seed)
        current = current.drop_duplicates("uid")
        with Store(tmp_path / f"s{seed}.duckdb") as store:
            entities = previous.groupby("entity_id").size().rename("member_count").reset_index()
            store.record_run(previous, entities, store.assign_ids(previous).lineage, {})
            got = store.assign_ids(current)
            expected = assign_stable_ids(current, store.current_memberships(), store.issued_ids())
            assert got.mapping == expected.mapping
            pd.testing.assert_frame_equal(got.lineage, expected.lineage)


def test_a_new_id_avoids_the_ids_kept_unchanged_even_when_not_in_issued() -> None:
    kept = entity_id_for("a")  # derived from a record that has left the entity since
    previous = members({kept: ["b"]})
    current = members({"k1": ["b"], "k2": ["a"]})
    for issued in (set(), {kept}):
        result = assign_stable_ids(current, previous, issued)
        expected = reference_assign_stable_ids(current, previous, issued)
        assert result.mapping == expected.mapping == {"k1": kept, "k2": entity_id_for("a#1")}
        pd.testing.assert_frame_equal(result.lineage, expected.lineage)


# --- record_run writes the membership changes as the two statements before it did -----------


@pytest.mark.parametrize("seed", range(12))
def test_record_run_writes_the_same_membership_history(tmp_path: Path, seed: int) -> None:
    """Successive runs with records moved, removed, added, a row twice or without an entity:
    the same history (closed and added rows) as the earlier statements."""
    rng = np.random.default_rng(seed)
    uids = [f"s:{i:03d}" for i in range(int(rng.integers(1, 80)))]
    lineage = pd.DataFrame(
        {c: pd.Series(dtype=object) for c in ("event", "entity_id", "related_entity_id")}
    ).assign(members=pd.Series(dtype=np.int64))
    ours, theirs = Store(tmp_path / "a.duckdb"), Store(tmp_path / "b.duckdb")
    theirs._write_memberships = reference_write_memberships  # type: ignore[method-assign]
    entity = {u: f"E{int(g)}" for u, g in zip(uids, rng.integers(0, 20, len(uids)), strict=True)}
    for _ in range(4):
        present = [u for u in uids if rng.random() > 0.1] + [f"n:{int(rng.integers(0, 9))}"]
        for u in present:
            if u not in entity or rng.random() < 0.15:
                entity[u] = f"E{int(rng.integers(0, 25))}"
        frame = pd.DataFrame({"uid": present, "entity_id": [entity[u] for u in present]})
        if rng.random() < 0.3:  # a row twice, a row with no entity
            frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
            frame.loc[len(frame) - 1, "entity_id"] = None
        ids = frame["entity_id"].dropna().unique()
        entities = pd.DataFrame({"entity_id": ids, "member_count": 1})
        for store in (ours, theirs):
            store.record_run(frame, entities, lineage, {"counts": {}})
    columns = ["uid", "entity_id", "valid_from_run", "valid_to_run"]
    got, expected = (
        s.membership_history().sort_values(columns).reset_index(drop=True) for s in (ours, theirs)
    )
    pd.testing.assert_frame_equal(got, expected)
    assert (got["valid_to_run"].notna()).any() or len(uids) < 5
    ours.close()
    theirs.close()


def test_record_hashes_are_pandas_frame_hashes_with_missing_values_as_none() -> None:
    """The hashes a store keeps from earlier runs stay valid: each record's hash is pandas'
    hash of the row as Python objects, every kind of missing value as None."""
    from linkage.run_state import record_hashes

    records = pd.DataFrame(
        {
            "text": ["x", None, np.nan, "y"],
            "number": [1.0, np.nan, 3.0, 4.0],
            "count": pd.array([1, None, 3, 4], dtype="Int64"),
            "day": pd.to_datetime(["2020-01-01", None, "2021-01-01", "2020-01-01"]),
            "arrow": pd.array(["p", pd.NA, "q", "r"], dtype="string"),
        }
    )
    objects = records.astype(object).where(records.notna(), None)
    expected = pd.util.hash_pandas_object(objects, index=False, categorize=False)
    assert list(record_hashes(records)) == list(expected.to_numpy(dtype=np.uint64))
    none, nan = pd.DataFrame({"a": [None, "x"]}), pd.DataFrame({"a": [np.nan, "x"]})
    assert list(record_hashes(none)) == list(record_hashes(nan))
