"""The store: stable id assignment, lineage, judgements, and all-or-nothing run writes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

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
