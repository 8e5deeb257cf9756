"""The researcher's loop through the CLI: generate, run, evaluate; and the bundled demo."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from linkage.cli import main


def test_generate_run_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    assert main(["generate", "--entities", "100", "--registries", "4", "--seed", "3",
                 "--out", str(data), "--quiet"]) == 0  # fmt: skip
    assert main(["run", str(data / "config.toml"), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--truth", str(data / "truth.csv"),
                 "--pred", str(out / "memberships.csv"), "--format", "json"]) == 0  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    truth = pd.read_csv(data / "truth.csv", dtype=str)
    assert report["n_records"] == len(truth)
    assert report["missing_from_prediction"] == 0 and report["missing_from_truth"] == 0
    assert 0.0 < report["pairwise"]["recall"] <= 1.0


def test_evaluate_reports_bad_files_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pred = tmp_path / "memberships.csv"
    pred.write_text("source,record_id,entity_id\na,1,E1\n", encoding="utf-8")
    code = main(["evaluate", "--truth", str(tmp_path / "none.csv"), "--pred", str(pred)])
    assert code == 2 and "none.csv: file not found" in capsys.readouterr().err
    wrong = tmp_path / "truth.csv"
    wrong.write_text("a,b\n1,2\n", encoding="utf-8")
    code = main(["evaluate", "--truth", str(wrong), "--pred", str(pred)])
    assert code == 2 and "truth needs columns" in capsys.readouterr().err


def test_generate_rejects_nonsense_counts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["generate", "--entities", "0", "--out", str(tmp_path)]) == 2
    assert "entities must be positive" in capsys.readouterr().err


def test_demo_links_the_bundled_registries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--out", str(tmp_path), "--quiet"]) == 0
    summary = capsys.readouterr().out
    precision, recall = map(
        float, re.search(r"precision ([\d.]+), recall ([\d.]+)", summary).groups()
    )
    assert precision >= 0.9 and recall >= 0.8
    members = pd.read_csv(tmp_path / "memberships.csv", dtype=str)
    truth = pd.read_csv(tmp_path / "data" / "truth.csv", dtype=str)
    assert len(members) == len(truth) and members["uid"].is_unique
    assert len(set(members["source"])) >= 3


def test_a_run_without_names_links_and_explains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.csv").write_text(
        "id,tel,addr\n1,+44 20 7946 0958,1 High St\n2,+44 20 7946 0958,1 High Street\n"
        "3,+1 212 555 0100,5 Main\n",
        encoding="utf-8",
    )
    config = tmp_path / "c.toml"
    config.write_text(
        '[[sources]]\nname = "a"\npath = "a.csv"\nid = "id"\n'
        '[sources.fields]\nphone = "tel"\naddress = "addr"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["run", str(config), "--out", str(out), "--quiet"]) == 0
    members = pd.read_csv(out / "memberships.csv", dtype=str)
    assert len(members) == 3
    capsys.readouterr()
    entity = members.loc[members["uid"] == "a:1", "entity_id"].item()
    assert main(["explain", "--run", str(out), "--entity", entity]) == 0
    assert "a:1" in capsys.readouterr().out
