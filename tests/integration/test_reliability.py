"""Nothing lost, nothing half-written: run folders written whole, one process in a store at a
time, interrupts and lock conflicts reported as what they are, outputs safe to open."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from helpers import source_toml, write_config

import linkage.outputs as outputs_module
import linkage.pipeline as pipeline_module
from linkage.cli import main
from linkage.datasets import generate
from linkage.run_folder import INCOMPLETE, STAGING
from linkage.run_state import cache_dir
from linkage.store import Store, store_lock


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().err


@pytest.fixture(scope="module")
def registries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated registry set (its config)."""
    folder = tmp_path_factory.mktemp("reliability")
    return generate(folder / "data", entities=300, registries=3, seed=5).config_path


def test_a_failed_rewrite_leaves_a_folder_readers_refuse_and_the_next_run_completes(
    registries: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out"
    assert run(capsys, "run", str(registries), "--out", str(out), "--quiet")[0] == 0
    before = (out / "memberships.csv").read_bytes()
    truth = registries.parent / "truth.csv"

    def fail(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # stopped while writing the features

    real = outputs_module.write_parquet
    monkeypatch.setattr(
        outputs_module,
        "write_parquet",
        lambda frame, path, *a, **k: (
            fail() if path.name == "features.parquet" else real(frame, path, *a, **k)
        ),
    )
    code, err = run(capsys, "run", str(registries), "--out", str(out), "--quiet")
    assert code == 130 and "interrupted" in err and "internal error" not in err
    assert (out / INCOMPLETE).exists() and not (out / "manifest.json").exists()
    assert (out / "memberships.csv").read_bytes() == before  # never half a file
    assert not list(out.glob(STAGING + "*"))
    code, err = run(
        capsys, "evaluate", "--truth", str(truth), "--pred", str(out / "memberships.csv")
    )
    assert code == 2 and "incomplete run folder" in err
    uid = pd.read_csv(out / "memberships.csv", dtype=str)["uid"].iloc[0]
    code, err = run(capsys, "explain", "--run", str(out), uid, uid)
    assert code == 2 and "incomplete run folder" in err
    monkeypatch.undo()
    assert run(capsys, "run", str(registries), "--out", str(out), "--quiet")[0] == 0
    assert not (out / INCOMPLETE).exists()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs"]["memberships.csv"] == (out / "memberships.csv").stat().st_size
    assert (
        run(capsys, "evaluate", "--truth", str(truth), "--pred", str(out / "memberships.csv"))[0]
        == 0
    )


def test_a_file_from_another_run_is_refused(
    registries: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert run(capsys, "run", str(registries), "--out", str(out), "--quiet")[0] == 0
    members = out / "memberships.csv"
    members.write_bytes(members.read_bytes()[: members.stat().st_size // 2])  # cut short
    truth = registries.parent / "truth.csv"
    code, err = run(capsys, "evaluate", "--truth", str(truth), "--pred", str(members))
    assert code == 2 and "mixes runs" in err


def test_stale_temporaries_are_removed_by_the_next_run(
    registries: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert run(capsys, "run", str(registries), "--out", str(out), "--quiet")[0] == 0
    store = out / "linkage.duckdb"
    stale_cache = cache_dir(store).with_name(cache_dir(store).name + ".tmp-999999")
    stale_cache.mkdir()
    (out / f"{STAGING}999999").mkdir()
    assert run(capsys, "run", str(registries), "--out", str(out), "--quiet")[0] == 0
    assert not stale_cache.exists() and not list(out.glob(STAGING + "*"))


def test_a_store_held_by_another_process_is_busy_not_a_bug(
    registries: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.duckdb"
    with store_lock(store, purpose="a test"):
        code, err = run(
            capsys,
            "run",
            str(registries),
            "--out",
            str(tmp_path / "o"),
            "--store",
            str(store),
            "--quiet",
        )
        assert code == 3 and "busy" in err and f"process {os.getpid()}" in err
        assert "internal error" not in err
        code, err = run(
            capsys, "judge", "--store", str(store), "a:1", "a:2", "--same", "--wait", "0.2"
        )
        assert code in (2, 3) and "internal error" not in err
    assert not (tmp_path / "o" / "manifest.json").exists()


def test_a_run_waits_for_the_store(
    registries: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.duckdb"
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store_lock(store, purpose="a test"):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    threading.Timer(0.5, release.set).start()
    code, err = run(
        capsys,
        "run",
        str(registries),
        "--out",
        str(tmp_path / "o"),
        "--store",
        str(store),
        "--wait",
        "20",
        "--quiet",
    )
    holder.join()
    assert code == 0, err


def test_a_store_open_in_another_process_is_busy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.duckdb"
    Store(store).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(store)!r}); "
            "print('ready', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        code, err = run(capsys, "judge", "--store", str(store), "a:1", "a:2", "--same")
        assert code == 3 and "open in another process" in err and "internal error" not in err
    finally:
        holder.kill()
        holder.communicate()  # closes its pipe


def _invariants(store: Path) -> None:
    """No entity id in use is retired, and every entity a run issued has its lineage event."""
    with Store(store) as s:
        live = s.con.execute(
            "SELECT count(*) FROM memberships m JOIN entities e USING (entity_id) "
            "WHERE m.valid_to_run IS NULL AND e.retired_run IS NOT NULL"
        ).fetchone()
        assert live is not None and live[0] == 0
        unexplained = s.con.execute(
            "SELECT count(*) FROM entities e WHERE NOT EXISTS (SELECT 1 FROM lineage l "
            "WHERE l.run_id = e.first_run AND l.entity_id = e.entity_id)"
        ).fetchone()
        assert unexplained is not None and unexplained[0] == 0


def _cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "linkage", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_concurrent_runs_into_one_store_keep_its_invariants(tmp_path: Path) -> None:
    """20 pairs of runs of different registries started together on one store, in random order,
    some waiting: each runs or says the store is busy, and the store's invariants hold."""
    rng = random.Random(3)
    configs = [
        generate(tmp_path / f"data{i}", entities=60, registries=3, seed=i).config_path
        for i in range(3)
    ]
    store = tmp_path / "s.duckdb"
    for round_ in range(20):
        waiting = rng.random() < 0.3
        pair = rng.sample(configs, 2)
        runs = [
            _cli(
                "run",
                str(config),
                "--out",
                str(tmp_path / f"o{round_}{i}"),
                "--store",
                str(store),
                "--wait",
                "120" if waiting else "0",
                "--quiet",
            )
            for i, config in enumerate(pair)
        ]
        for process in runs:
            _, err = process.communicate(timeout=300)
            assert process.returncode in ((0,) if waiting else (0, 3)), err
            assert "internal error" not in err
            if process.returncode == 3:
                assert "busy" in err
        _invariants(store)


@pytest.mark.slow
def test_killed_runs_leave_no_half_written_folder_and_a_rerun_equals_an_uninterrupted_one(
    registries: Path, tmp_path: Path
) -> None:
    reference = tmp_path / "reference"
    done = _cli("run", str(registries), "--out", str(reference), "--quiet")
    done.communicate(timeout=300)
    assert done.returncode == 0
    out = tmp_path / "out"
    for delay in (0.5, 2.0, 4.0):
        process = _cli("run", str(registries), "--out", str(out), "--quiet")
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.communicate()
        if (out / "manifest.json").exists():  # a folder says it is complete only when it is
            assert not (out / INCOMPLETE).exists()
        rerun = _cli("run", str(registries), "--out", str(out), "--quiet")
        _, err = rerun.communicate(timeout=300)
        assert rerun.returncode == 0, err
        for name in ("memberships.csv", "entities.csv", "pairs.parquet", "merges.parquet"):
            assert (out / name).read_bytes() == (reference / name).read_bytes(), name
        assert not list(out.glob(STAGING + "*")) and not (out / INCOMPLETE).exists()
        store = out / "linkage.duckdb"
        assert not list(store.parent.glob(cache_dir(store).name + ".tmp-*"))
        _invariants(store)


def test_an_output_symlink_is_replaced_not_followed(
    registries: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_text("precious\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "memberships.csv").symlink_to(outside)
    assert run(capsys, "run", str(registries), "--out", str(out), "--quiet")[0] == 0
    assert outside.read_text(encoding="utf-8") == "precious\n"
    assert not (out / "memberships.csv").is_symlink()


def test_an_interrupt_is_not_reported_as_a_bug(
    registries: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline_module, "score_pairs", interrupted)
    code, err = run(capsys, "run", str(registries), "--out", str(tmp_path / "o"), "--quiet")
    assert code == 130 and "interrupted" in err and "internal error" not in err


def test_help_shows_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    assert "(default: linkage-output)" in text and "(default: 0.0)" in text


def test_a_run_that_cannot_read_its_sources_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, [source_toml("a", "missing.csv", fields={"name": "name"})])
    out = tmp_path / "out"
    code, err = run(capsys, "run", str(config), "--out", str(out))
    assert code == 2 and "missing.csv" in err and not out.exists()


def _dated(tmp_path: Path, dates: list[str], fmt: str) -> Path:
    rows = [f"{i},Firm {i} Ltd,{d}" for i, d in enumerate(dates)]
    (tmp_path / "a.csv").write_text("id,name,founded\n" + "\n".join(rows) + "\n", encoding="utf-8")
    fields = {"name": "name", "founded": "founded"}
    return write_config(
        tmp_path, [source_toml("a", "a.csv", fields=fields, formats={"founded": fmt})]
    )


def test_a_date_format_that_fails_on_most_values_stops_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _dated(tmp_path, [f"2020-01-{d:02d}" for d in range(1, 29)] * 4, "%d/%m/%Y")
    out = tmp_path / "out"
    code, err = run(capsys, "run", str(config), "--out", str(out), "--quiet")
    assert code == 2 and "112 of 112 values (100%) of the date field 'founded'" in err
    assert "--accept-data-warnings" in err and not (out / "manifest.json").exists()
    code, err = run(
        capsys, "run", str(config), "--out", str(out), "--quiet", "--accept-data-warnings"
    )
    assert code == 0 and "data quality: a: 112 of 112 founded dates do not match" in err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["data_quality"]["a"]["dates"]["founded"] == {"values": 112, "unusable": 112}


def test_a_few_bad_values_are_counted_and_the_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dates = [f"2020-01-{d:02d}" for d in range(1, 29)] * 4 + ["not a date"] * 3
    config = _dated(tmp_path, dates, "%Y-%m-%d")
    code, err = run(capsys, "run", str(config), "--out", str(tmp_path / "out"), "--quiet")
    assert code == 0 and "3 of 115 founded dates do not match their format" in err


def test_an_interrupt_inside_the_store_is_not_a_bug_either(
    registries: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import duckdb

    def interrupted(*args: object, **kwargs: object) -> None:
        raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")

    monkeypatch.setattr(Store, "record_run", interrupted)
    code, err = run(capsys, "run", str(registries), "--out", str(tmp_path / "o"), "--quiet")
    assert code == 130 and "internal error" not in err


def test_a_named_pipe_as_a_source_is_refused_before_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo(tmp_path / "pipe.csv")
    config = write_config(tmp_path, [source_toml("a", "pipe.csv", fields={"name": "name"})])
    code, err = run(capsys, "run", str(config), "--out", str(tmp_path / "o"))
    assert code == 2 and "sources[0].path" in err and "not a regular file" in err


def test_a_chart_of_an_unknown_format_is_a_usage_error(
    registries: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert run(capsys, "run", str(registries), "--out", str(out), "--quiet")[0] == 0
    pairs = pd.read_parquet(out / "pairs.parquet", columns=["uid_l", "uid_r"])
    a, b = pairs.iloc[0]
    code, err = run(capsys, "explain", "--run", str(out), a, b, "--chart", str(tmp_path / "x.txt"))
    assert code == 2 and ".png or .svg" in err
