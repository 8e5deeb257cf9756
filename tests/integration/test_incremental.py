"""Incremental runs equal a full run with the same pinned model, and reuse what is unchanged."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from linkage.cli import main
from linkage.config import load_config
from linkage.datasets import generate
from linkage.memory import compact_text
from linkage.pipeline import Linker, RunResult
from linkage.run_state import cache_dir, staging_dir
from linkage.sources import read_sources
from linkage.standardize.features import build_features
from linkage.store import Store

OUTPUTS = ("memberships.csv", "entities.csv", "entities.parquet", "pairs.parquet", "merges.parquet")


def write_version(
    generated: Path,
    out: Path,
    *,
    keep: Callable[[str, int], bool],
    change: frozenset[int] = frozenset(),
) -> Path:
    """Copy a generated data set, keeping the record lines where ``keep(source, i)`` and
    changing the name of the trade-directory records numbered in ``change`` (raw bytes of the
    other records are untouched)."""
    out.mkdir(parents=True)
    shutil.copy(generated / "config.toml", out / "config.toml")
    config = load_config(generated / "config.toml")
    for source in config.sources:
        path = config.source_path(source)
        target = out / path.name
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            rows = [i for i in range(table.num_rows) if keep(source.name, i)]
            pq.write_table(table.take(rows), target)
            continue
        text = path.read_bytes().decode(source.encoding)
        lines = text.splitlines(keepends=True)
        header, body = ([lines[0]], lines[1:]) if path.suffix == ".csv" else ([], lines)
        kept = []
        for i, line in enumerate(body):
            if not keep(source.name, i):
                continue
            if path.suffix == ".jsonl" and i in change:
                row = json.loads(line)
                row[source.fields["name"]] = str(row[source.fields["name"]]) + " Renamed"
                line = json.dumps(row, ensure_ascii=False) + "\n"
            kept.append(line)
        target.write_bytes("".join(header + kept).encode(source.encoding))
    return out / "config.toml"


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Run 1 on 95% of the records; the next data: the rest added, a few changed or removed."""
    root = tmp_path_factory.mktemp("incremental")
    generated = root / "generated"
    generate(generated, entities=600, registries=4, seed=11, difficulty="medium")
    old = write_version(generated, root / "v1", keep=lambda _s, i: i % 20 != 7)
    new = write_version(
        generated,
        root / "v2",
        keep=lambda s, i: not (s == "enterprise" and i in (3, 40)),
        change=frozenset({5, 9, 60}),
    )
    store = root / "store" / "linkage.duckdb"
    Linker(old, store=store).run(root / "run1")
    return {"root": root, "old": old, "new": new, "store": store}


def copy_store(store: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    shutil.copy(store, target / store.name)
    shutil.copytree(cache_dir(store), cache_dir(target / store.name))
    return target / store.name


def saved_model(store: Path, run_id: int) -> dict[str, object]:
    """The model the store's run ``run_id`` left for the next run."""
    meta = json.loads((cache_dir(store) / "meta.json").read_text(encoding="utf-8"))
    assert meta["run_id"] == run_id
    return meta["model"]


def incremental_and_full(
    versions: dict[str, Path], config: Path, label: str
) -> tuple[RunResult, RunResult, Path, Path]:
    """An incremental run of ``config`` on a copy of run 1's store, and a full run with run
    1's model pinned on another copy; outputs in ``<label>-i`` and ``<label>-f``. Returns both
    results and both stores."""
    root = versions["root"]
    incremental_store = copy_store(versions["store"], root / f"{label}-a")
    full_store = copy_store(versions["store"], root / f"{label}-b")
    model = saved_model(versions["store"], 1)
    incremental = Linker(config, store=incremental_store, incremental=True).run(root / f"{label}-i")
    full = Linker(config, store=full_store, model=model).run(root / f"{label}-f")
    return incremental, full, incremental_store, full_store


def assert_same_outputs(root: Path, label: str) -> None:
    for name in OUTPUTS:
        a = (root / f"{label}-i" / name).read_bytes()
        assert a == (root / f"{label}-f" / name).read_bytes(), name


def test_incremental_run_equals_a_full_run_with_the_pinned_model(versions: dict[str, Path]):
    root = versions["root"]
    incremental, full, incremental_store, full_store = incremental_and_full(
        versions, versions["new"], "equal"
    )

    stats = incremental.manifest["incremental"]
    assert stats["mode"] == "incremental"
    assert stats["new"] > 0 and stats["changed"] == 3 and stats["removed"] == 2
    assert stats["reused_pairs"] > 0 and stats["scored_pairs"] > 0
    assert stats["standardised"] == stats["new"] + stats["changed"]
    assert stats["reused_pairs"] + stats["scored_pairs"] == len(full.pairs)
    # term frequencies from the cached value codes: only the compared, new and changed
    # records were prepared
    assert stats["new"] + stats["changed"] <= stats["prepared_records"] < stats["records"]
    assert incremental.manifest["blocking"] == full.manifest["blocking"]
    assert stats["blocking"] == "local"  # from run 1's cached blocking keys
    # untouched components keep their entities and merge-log rows (renumbered)
    assert 0 < stats["reused_cluster_records"] < len(full.memberships)
    # most entities keep their members: their cached profiles are reused, the rest are built
    assert 0 < stats["reused_profiles"] < len(full.entities)

    # the features equal a fresh standardisation of every record (standardised text as Arrow)
    records, _ = read_sources(load_config(versions["new"]))
    fresh = build_features(records)
    standardised = [c for c in fresh.columns if c not in records.columns]
    pd.testing.assert_frame_equal(incremental.features, compact_text(fresh, standardised))
    assert_same_outputs(root, "equal")
    with Store(incremental_store) as a, Store(full_store) as b:
        pd.testing.assert_frame_equal(a.current_memberships(), b.current_memberships())
        pd.testing.assert_frame_equal(a.entities(), b.entities())
        pd.testing.assert_frame_equal(a.lineage(2), b.lineage(2))
        assert a.runs()["incremental"].tolist() == [False, True]
        history = a.membership_history()
    # every current record is in exactly one entity; the removed records left theirs
    current = history[history["valid_to_run"].isna()]
    assert current["uid"].is_unique
    assert set(current["uid"]) == set(records["uid"])
    left = set(history.loc[history["valid_to_run"] == 2, "uid"]) - set(records["uid"])
    assert len(left) == 2 and all(uid.startswith("enterprise:") for uid in left)


def test_unchanged_data_reuses_everything(versions: dict[str, Path]):
    root = versions["root"]
    store = copy_store(versions["store"], root / "same")
    result = Linker(versions["old"], store=store, incremental=True).run(root / "same-out")
    stats = result.manifest["incremental"]
    assert (stats["new"], stats["changed"], stats["removed"], stats["standardised"]) == (0, 0, 0, 0)
    assert stats["scored_pairs"] == 0 and stats["reused_pairs"] == len(result.pairs)
    assert stats["prepared_records"] == 0
    before = pd.read_csv(root / "run1" / "memberships.csv", dtype=str)
    after = pd.read_csv(root / "same-out" / "memberships.csv", dtype=str)
    pd.testing.assert_frame_equal(before, after)


def test_cli_incremental_without_a_previous_run_falls_back_to_a_full_run(
    versions: dict[str, Path], capsys: pytest.CaptureFixture[str]
):
    root = versions["root"]
    out = root / "cli-first"
    assert main(["run", str(versions["old"]), "--out", str(out), "--incremental", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "ran in full, not incrementally" in err and "no previous run" in err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["incremental"]["mode"] == "full"
    assert (cache_dir(out / "linkage.duckdb") / "meta.json").exists()
    # the next incremental run builds on it
    args = ["run", str(versions["new"]), "--out", str(out), "--incremental", "--quiet"]
    assert main(args) == 0
    assert "not incrementally" not in capsys.readouterr().err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["incremental"]["mode"] == "incremental"


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("run_id", 0, "belongs to run 0"),
        ("format", 3, "has format 3"),
        ("code", "other", "comparison code changed"),
        ("record_columns", ["uid"], "record columns differ"),
    ],
)
def test_a_stale_cache_is_not_used(versions: dict[str, Path], key: str, value: object, reason: str):
    root = versions["root"]
    store = copy_store(versions["store"], root / f"stale-{key}")
    meta_path = cache_dir(store) / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta[key] = value
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    result = Linker(versions["new"], store=store, incremental=True).run()
    assert result.manifest["incremental"]["mode"] == "full"
    assert reason in result.manifest["incremental"]["fallback"]


def test_changed_survivorship_settings_rebuild_every_profile(versions: dict[str, Path]):
    """Profiles depend on source priorities: when they change, none is reused, and the
    incremental run still equals a full run with the pinned model."""
    root = versions["root"]
    text = versions["new"].read_text(encoding="utf-8")
    config = root / "v2" / "config-priorities.toml"
    assert "priority = 1" in text
    config.write_text(text.replace("priority = 1", "priority = 9"), encoding="utf-8")
    incremental = incremental_and_full(versions, config, "prio")[0]
    stats = incremental.manifest["incremental"]
    assert stats["mode"] == "incremental" and stats["reused_profiles"] == 0
    assert_same_outputs(root, "prio")


def test_blocking_every_record_in_a_run_equals_a_full_run(
    versions: dict[str, Path], monkeypatch: pytest.MonkeyPatch
):
    """With local blocking off, an incremental run blocks every record, as a full run does."""
    import linkage.blocking.stage as blocking_stage

    monkeypatch.setattr(blocking_stage, "LOCAL_BLOCKING", False)
    incremental, full, _, _ = incremental_and_full(versions, versions["new"], "unlocal")
    assert incremental.manifest["incremental"]["blocking"] == "full"
    assert incremental.manifest["blocking"] == full.manifest["blocking"]
    assert_same_outputs(versions["root"], "unlocal")


def test_a_second_incremental_run_builds_on_the_first(versions: dict[str, Path]):
    """The cache an incremental run leaves (blocking keys, term codes, components, profiles)
    serves the next one: going back to the old records equals a full run with the model."""
    root = versions["root"]
    _, _, first, _ = incremental_and_full(versions, versions["new"], "chain1")
    assert {"blocking_keys.npz", "terms.parquet"} <= {p.name for p in cache_dir(first).iterdir()}
    again = copy_store(first, root / "chain2-a")
    full_store = copy_store(first, root / "chain2-b")
    model = saved_model(first, 2)
    second = Linker(versions["old"], store=again, incremental=True).run(root / "chain2-i")
    Linker(versions["old"], store=full_store, model=model).run(root / "chain2-f")
    stats = second.manifest["incremental"]
    assert stats["mode"] == "incremental" and stats["blocking"] == "local"
    assert stats["removed"] > 0 and stats["reused_pairs"] > 0
    assert_same_outputs(root, "chain2")


def test_runs_without_an_output_folder_leave_and_use_a_whole_cache(
    versions: dict[str, Path], tmp_path: Path
):
    """Without ``out_dir`` nothing is copied from the outputs: the cache writes its own
    standardised columns, entities and merge log, and the next run reuses them."""
    store = tmp_path / "s" / "linkage.duckdb"
    Linker(versions["old"], store=store).run()
    names = {p.name for p in cache_dir(store).iterdir()}
    assert {"standardised.parquet", "entities.parquet", "merges.parquet"} <= names
    model = saved_model(store, 1)
    full_store = copy_store(store, tmp_path / "full")
    incremental = Linker(versions["new"], store=store, incremental=True).run()
    full = Linker(versions["new"], store=full_store, model=model).run()
    stats = incremental.manifest["incremental"]
    assert stats["mode"] == "incremental"
    assert stats["reused_profiles"] > 0 and stats["reused_cluster_records"] > 0
    pd.testing.assert_frame_equal(incremental.memberships, full.memberships)
    pd.testing.assert_frame_equal(incremental.entities, full.entities)
    assert incremental.merges is not None and full.merges is not None
    pd.testing.assert_frame_equal(incremental.merges, full.merges)


def test_a_failed_run_leaves_the_previous_cache_and_nothing_staged(
    versions: dict[str, Path], monkeypatch: pytest.MonkeyPatch
):
    """Blocking keys and term codes are staged during the run; a run that fails after
    staging them leaves the previous cache as it was and no staging folder."""
    import linkage.pipeline as pipeline_module

    store = copy_store(versions["store"], versions["root"] / "failing")
    before = {p.name: p.read_bytes() for p in cache_dir(store).iterdir()}

    def fail(*args: object, **kwargs: object) -> None:
        assert {"blocking_keys.npz", "terms.parquet"} <= {
            p.name for p in staging_dir(store).iterdir()
        }
        raise RuntimeError("scoring failed")

    monkeypatch.setattr(pipeline_module, "score_pairs", fail)
    with pytest.raises(RuntimeError, match="scoring failed"):
        Linker(versions["new"], store=store, incremental=True).run()
    assert not staging_dir(store).exists()
    assert {p.name: p.read_bytes() for p in cache_dir(store).iterdir()} == before
    monkeypatch.undo()
    Linker(versions["new"], store=store, incremental=True).run()
    assert not staging_dir(store).exists()
    assert "terms.json" not in {p.name for p in cache_dir(store).iterdir()}
