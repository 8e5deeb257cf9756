"""Judgements through the CLI: a "different" verdict splits, a "same" verdict joins."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers import source_toml, write_config

from linkage.cli import main
from linkage.store import Store


def registries(folder: Path) -> Path:
    pd.DataFrame({"rid": ["1", "2"], "nm": ["Acme Trading Ltd", "Northwind Foods Inc"]}).to_csv(
        folder / "a.csv", index=False
    )
    pd.DataFrame({"rid": ["1", "2"], "nm": ["ACME TRADING LIMITED", "Zeta Holdings PLC"]}).to_csv(
        folder / "b.csv", index=False
    )
    return write_config(
        folder,
        [
            source_toml("a", "a.csv", "rid", fields={"name": "nm"}),
            source_toml("b", "b.csv", "rid", fields={"name": "nm"}),
        ],
    )


def entity(out: Path, uid: str) -> str:
    members = pd.read_csv(out / "memberships.csv", dtype=str)
    return str(members.loc[members["uid"] == uid, "entity_id"].iloc[0])


def test_different_splits_a_merged_pair_and_same_joins_on_the_next_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = registries(tmp_path)
    out, store = tmp_path / "out", tmp_path / "out" / "linkage.duckdb"
    assert main(["run", str(config), "--out", str(out), "--quiet"]) == 0
    assert store.exists()
    merged = entity(out, "a:1")
    assert merged == entity(out, "b:1")

    args = ["judge", "--store", str(store), "b:1", "a:1", "--different"]
    assert main([*args, "--note", "different USCC on the licences", "--by", "ana"]) == 0
    assert "a:1" in capsys.readouterr().out
    assert main(["run", str(config), "--out", str(out), "--quiet"]) == 0
    assert entity(out, "a:1") != entity(out, "b:1")
    assert merged in {entity(out, "a:1"), entity(out, "b:1")}  # one side keeps the id
    pairs = pd.read_parquet(out / "pairs.parquet")
    judged = pairs[(pairs["uid_l"] == "a:1") & (pairs["uid_r"] == "b:1")]
    assert judged["decided_by"].tolist() == ["judgement"]
    assert judged["is_match"].tolist() == [False]
    capsys.readouterr()
    assert main(["explain", "--run", str(out), "--entity", entity(out, "a:1")]) == 0
    text = capsys.readouterr().out
    assert "a:1 x b:1: different: kept apart" in text

    assert main(["judge", "--store", str(store), "a:2", "b:2", "--same"]) == 0
    assert main(["run", str(config), "--out", str(out), "--quiet"]) == 0
    assert entity(out, "a:2") == entity(out, "b:2")
    capsys.readouterr()
    assert main(["explain", "--run", str(out), "--entity", entity(out, "a:2")]) == 0
    assert "a:2 + b:2: a reviewer judged them 'same'" in capsys.readouterr().out
    assert main(["explain", "--run", str(out), "--entity", "Enope"]) == 2
    assert main(["explain", "--run", str(out), "a:1"]) == 2
    with Store(store) as s:
        assert len(s.judgements()) == 2
        assert s.judgements()["judged_by"].tolist()[0] == "ana"
        assert s.last_run_id() == 3
        assert set(s.lineage(2)["event"]) == {"split"}
        assert set(s.lineage(3)["event"]) >= {"merge", "retired"}


def test_judge_rejects_unknown_records_and_missing_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = registries(tmp_path)
    store = tmp_path / "missing.duckdb"
    assert main(["judge", "--store", str(store), "a:1", "b:1", "--same"]) == 2
    assert "store not found" in capsys.readouterr().err
    out = tmp_path / "out"
    assert main(["run", str(config), "--out", str(out), "--quiet"]) == 0
    assert main(["judge", "--store", str(out / "linkage.duckdb"), "a:1", "x:9", "--same"]) == 2
    assert "x:9" in capsys.readouterr().err
