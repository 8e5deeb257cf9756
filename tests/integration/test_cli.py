"""End to end through the CLI: outputs, formats, exit codes and located error messages."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import SHARED_DATA, source_toml, write_config

from linkage.cli import main


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_run_links_csv_parquet_and_jsonl_sources(
    three_formats: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(capsys, "run", str(three_formats), "--out", str(out))
    assert code == 0, stderr
    assert "7 records" in stdout
    for name in ("memberships.csv", "entities.csv", "entities.parquet", "pairs.parquet"):
        assert (out / name).stat().st_size > 0
    members = pd.read_csv(out / "memberships.csv", dtype=str)
    assert list(members.columns) == ["source", "record_id", "uid", "entity_id", "confidence"]
    assert sorted(members["uid"]) == sorted(
        ["alpha:A1", "alpha:A2", "alpha:A3", "beta:10", "beta:11", "gamma:x", "gamma:y"]
    )
    entity = members.set_index("uid")["entity_id"]
    assert entity["alpha:A1"] == entity["beta:10"]
    assert entity["alpha:A3"] == entity["gamma:x"]
    assert entity["alpha:A2"] != entity["beta:11"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [i["source"] for i in manifest["inputs"]] == ["alpha", "beta", "gamma"]
    assert manifest["counts"]["records"] == 7
    assert "[linkage]" in stderr


def test_quiet_silences_progress(
    three_formats: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, stderr = run_cli(capsys, "run", str(three_formats), "--out", str(tmp_path), "--quiet")
    assert code == 0 and stderr == ""


def bad_source(tmp_path: Path, content: bytes, **tables: dict[str, str]) -> Path:
    (tmp_path / "reg.csv").write_bytes(content)
    fields = tables.pop("fields", {"name": "name"})
    return write_config(tmp_path, [source_toml("reg", "reg.csv", fields=fields, **tables)])


@pytest.mark.parametrize(
    ("content", "tables", "expected"),
    [
        (b"", {}, ["reg.csv", "file is empty"]),
        (b"id,name\n", {}, ["reg.csv", "no records"]),
        (b"id,title\n1,a\n", {}, ["reg.csv", "column 'name'", "fields.name"]),
        (b"id,name\n1,a\n1,b\n", {}, ["reg.csv", "'1' is not unique (rows 2, 3)", "column 'id'"]),
        (b"id,name\n1,a\n2,\xff\xfe\n", {}, ["reg.csv", "row 3", "not valid utf-8"]),
        (b"id,name\n1,a\n2,b,c\n", {}, ["reg.csv", "row 3", "3 fields"]),
    ],
    ids=["empty", "header-only", "missing-column", "duplicate-ids", "bad-bytes", "ragged"],
)
def test_bad_input_exits_2_and_names_the_place(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
    tables: dict[str, dict[str, str]],
    expected: list[str],
) -> None:
    config = bad_source(tmp_path, content, **tables)
    code, _, stderr = run_cli(capsys, "run", str(config), "--out", str(tmp_path / "out"))
    assert code == 2
    for part in expected:
        assert part in stderr
    assert "Traceback" not in stderr


def test_missing_file_and_bad_config_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, [source_toml("reg", "absent.csv")])
    code, _, stderr = run_cli(capsys, "run", str(config))
    assert code == 2 and "absent.csv: file not found" in stderr
    config.write_text(source_toml("reg", "a.csv", fields={"nmae": "x"}), encoding="utf-8")
    code, _, stderr = run_cli(capsys, "run", str(config))
    assert code == 2 and "sources[0].fields.nmae: unknown field; did you mean 'name'?" in stderr


def test_console_script_version_and_help() -> None:
    exe = Path(sys.executable).with_name("linkage")
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("linkage ")
    for command in ("run", "demo"):
        shown = subprocess.run([exe, command, "--help"], capture_output=True, text=True)
        assert shown.returncode == 0 and "--quiet" in shown.stdout


def test_generate_from_a_real_registry_writes_both_configs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = SHARED_DATA / "cn_enterprise_registry_jiangsu" / "registry.csv"
    if not registry.exists():
        pytest.skip(f"shared data not found at {registry}")
    out = tmp_path / "real"
    code, stdout, stderr = run_cli(
        capsys, "generate", "--from-registry", str(registry), "--firms", "200", "--out", str(out)
    )
    assert code == 0, stderr
    assert "firms in 5 registries" in stdout
    assert (out / "config.toml").exists() and (out / "config_names.toml").exists()
    code, _, stderr = run_cli(
        capsys, "generate", "--from-registry", str(registry), "--entities", "9", "--out", str(out)
    )
    assert code == 2 and "--entities: not with --from-registry" in stderr


def test_generate_needs_entities_or_a_registry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, stderr = run_cli(capsys, "generate", "--out", str(tmp_path / "x"))
    assert code == 2 and "--entities" in stderr
