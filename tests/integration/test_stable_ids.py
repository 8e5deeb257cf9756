"""Stable entity ids: row order, unrelated records and new data leave existing ids alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.clustering import cluster
from linkage.datasets import generate
from linkage.pipeline import Linker
from linkage.store import Store, assign_stable_ids


def drop_rows(src: Path, dst: Path, fraction: float, seed: int) -> None:
    """Copy a generated data set, leaving out ``fraction`` of the data rows of every registry.

    Rows are dropped as text lines (CSV and JSON Lines) or table rows (Parquet), so each file
    keeps its format and encoding.
    """
    dst.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for path in sorted(src.iterdir()):
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            keep = rng.random(table.num_rows) >= fraction
            pq.write_table(table.filter(keep), dst / path.name)
        elif path.suffix in (".csv", ".jsonl") and path.name != "truth.csv":
            lines = path.read_bytes().split(b"\n")
            header = lines[:1] if path.suffix == ".csv" else []
            body = [line for line in lines[len(header) :] if line]
            keep = rng.random(len(body)) >= fraction
            kept = [line for line, k in zip(body, keep, strict=True) if k]
            (dst / path.name).write_bytes(b"\n".join(header + kept) + b"\n")
        else:
            (dst / path.name).write_bytes(path.read_bytes())


def test_a_second_run_with_5_percent_new_records_keeps_every_unchanged_entity_id(
    tmp_path: Path,
) -> None:
    full = generate(tmp_path / "full", entities=400, registries=4, seed=11, difficulty="medium")
    drop_rows(tmp_path / "full", tmp_path / "first", 0.05, seed=5)
    store = tmp_path / "store.duckdb"
    first = Linker(tmp_path / "first" / "config.toml", store=store).run(tmp_path / "out1")
    second = Linker(full.config_path, store=store).run(tmp_path / "out2")
    before = first.memberships.set_index("uid")["entity_id"]
    after = second.memberships.set_index("uid")["entity_id"]
    new = set(after.index) - set(before.index)
    assert 0.02 < len(new) / len(after) < 0.08
    old_members = before.groupby(before).apply(lambda s: frozenset(s.index))
    old_by_members = {members: eid for eid, members in old_members.items()}
    unchanged = 0
    for eid, group in after.groupby(after):
        kept = frozenset(u for u in group.index if u not in new)
        if kept in old_by_members:
            assert eid == old_by_members[kept], "an unchanged entity lost its id"
            unchanged += 1
    assert unchanged > 0.8 * len(old_members)
    with Store(store) as s:
        assert s.last_run_id() == 2
        lineage = s.lineage(2)
    assert set(lineage["event"]) <= {"new", "merge", "split", "retired"}
    assert (lineage["event"] == "new").sum() > 0


def test_the_same_data_twice_changes_no_id_and_records_no_lineage(tmp_path: Path) -> None:
    data = generate(tmp_path / "data", entities=60, registries=3, seed=2, difficulty="easy")
    store = tmp_path / "store.duckdb"
    first = Linker(data.config_path, store=store).run()
    second = Linker(data.config_path, store=store).run()
    pd.testing.assert_frame_equal(first.memberships, second.memberships)
    with Store(store) as s:
        assert s.lineage(2).empty and len(s.lineage(1)) == len(first.entities)


records = st.lists(
    st.tuples(st.sampled_from(["", "uscc:A", "uscc:B", "lei:L"]), st.booleans()),
    min_size=1,
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(
    rows=records,
    edges=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11), st.floats(0.5, 1.0))),
    seed=st.integers(0, 1000),
    extra=st.integers(0, 99),
)
def test_row_order_and_an_unrelated_record_change_no_entity_id(
    rows: list[tuple[str, bool]], edges: list[tuple[int, int, float]], seed: int, extra: int
) -> None:
    n = len(rows)
    names = [f"r{i:02d}" for i in range(n)]
    edges = [(names[a % n], names[b % n], s) for a, b, s in edges if a % n != b % n]

    def run(order: list[int], add: bool, previous: pd.DataFrame | None) -> pd.Series:
        table = [(names[i], rows[i][0], rows[i][1]) for i in order]
        if add:  # an unrelated record: no identifier, no edge, any uid
            table.append((f"r{extra:02d}x", "", False))
        features = pd.DataFrame(table, columns=["record_id", "id_keys", "is_branch"])
        features.insert(0, "uid", "s:" + features["record_id"])
        features.insert(1, "source", "s")
        features = features.sort_values("uid").reset_index(drop=True)
        position = {u: i for i, u in enumerate(features["uid"])}
        pairs = pd.DataFrame(
            [
                (
                    min(position[f"s:{a}"], position[f"s:{b}"]),
                    max(position[f"s:{a}"], position[f"s:{b}"]),
                    s,
                )
                for a, b, s in edges
            ],
            columns=["idx_l", "idx_r", "score"],
        ).drop_duplicates(["idx_l", "idx_r"])
        uids = features["uid"].to_numpy()
        pairs = pairs.assign(
            uid_l=uids[pairs["idx_l"].to_numpy(dtype=int)],
            uid_r=uids[pairs["idx_r"].to_numpy(dtype=int)],
            is_match=True,
            decided_by="model",
        )
        members = cluster(features, pairs).memberships
        if previous is not None:
            mapping = assign_stable_ids(members, previous, set(previous["entity_id"])).mapping
            members = members.assign(entity_id=members["entity_id"].map(mapping))
        return members.set_index("uid")["entity_id"]

    base = run(list(range(n)), False, None)
    shuffled = list(np.random.default_rng(seed).permutation(n))
    assert run(shuffled, False, None).equals(base)
    grown = run(shuffled, True, None)
    assert grown[base.index].equals(base)
    stored = base.rename_axis("uid").reset_index()
    grown_with_store = run(shuffled, True, stored)
    assert grown_with_store[base.index].equals(base)
