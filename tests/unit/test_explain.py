"""Explanations: weights sum to the total; non-candidate pairs; the CLI and the chart."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers import source_toml, write_config

from linkage.cli import main
from linkage.explain import explain_run
from linkage.explain_entity import explain_entity
from linkage.pipeline import Linker


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("explain")
    names = ["Acme Trading Ltd", "Huaxin Technology Co., Ltd.", "Blue Sky GmbH", "Zeta Foods"]
    pd.DataFrame(
        {"rid": ["a1", "a2", "a3", "a4"], "nm": names, "town": ["x", "y", "z", "x"]}
    ).to_csv(folder / "a.csv", index=False)
    pd.DataFrame(
        {
            "rid": ["b1", "b2", "b3"],
            "nm": ["ACME TRADING LIMITED", "Blue Sky", "Northwind Inc"],
            "town": ["x", "z", "q"],
        }
    ).to_csv(folder / "b.csv", index=False)
    config = write_config(
        folder,
        [
            source_toml("a", "a.csv", "rid", fields={"name": "nm", "city": "town"}),
            source_toml("b", "b.csv", "rid", fields={"name": "nm", "city": "town"}),
        ],
    )
    Linker(config).run(folder / "out")
    return folder / "out"


def test_weights_sum_to_the_total_and_match_pairs_parquet(run_dir: Path) -> None:
    explanation = explain_run(run_dir, "b:b1", "a:a1")
    assert (explanation.uid_l, explanation.uid_r) == ("a:a1", "b:b1")
    total = explanation.prior_weight + sum(r["weight"] for r in explanation.rows)
    assert total == pytest.approx(explanation.match_weight, abs=1e-9)
    pairs = pd.read_parquet(run_dir / "pairs.parquet").set_index(["uid_l", "uid_r"])
    row = pairs.loc[("a:a1", "b:b1")]
    assert row["match_weight"] == pytest.approx(explanation.match_weight, abs=1e-5)
    for r in explanation.rows:
        assert row[f"{r['comparison']}_level"] == r["level"]
    assert explanation.candidate
    text = explanation.to_text()
    assert "exact normalised name" in text and "probability" in text


def test_a_pair_blocking_never_proposed_is_explained(run_dir: Path) -> None:
    pairs = pd.read_parquet(run_dir / "pairs.parquet")
    found = set(zip(pairs["uid_l"], pairs["uid_r"], strict=True))
    uids = sorted(pd.read_parquet(run_dir / "features.parquet")["uid"])
    absent = [(a, b) for a in uids for b in uids if a < b and (a, b) not in found]
    assert absent
    explanation = explain_run(run_dir, *absent[0])
    assert not explanation.candidate
    total = explanation.prior_weight + sum(r["weight"] for r in explanation.rows)
    assert total == pytest.approx(explanation.match_weight, abs=1e-9)


def test_cli_explain(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--run", str(run_dir), "a:a1", "b:b1"]) == 0
    assert "match weight" in capsys.readouterr().out
    assert main(["explain", "--run", str(run_dir), "a:a1", "b:nope"]) == 2
    assert "no record with uid" in capsys.readouterr().err


def test_waterfall_chart_as_svg_without_matplotlib_and_png_with_it(
    run_dir: Path, tmp_path: Path
) -> None:
    explanation = explain_run(run_dir, "a:a1", "b:b1")
    svg = explanation.waterfall(tmp_path / "chart.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "prior" in svg and "match weight" in svg
    assert svg.count("<rect") == len(explanation.rows) + 2  # prior, each comparison, the sum
    pytest.importorskip("matplotlib")
    assert explanation.waterfall(tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"


def test_entity_merge_tree_chart(run_dir: Path, tmp_path: Path) -> None:
    members = pd.read_csv(run_dir / "memberships.csv", dtype=str)
    sizes = members["entity_id"].value_counts()
    entity_id = str(sizes.index[0])
    assert sizes.iloc[0] > 1
    chart = tmp_path / "tree.svg"
    assert (
        main(["explain", "--run", str(run_dir), "--entity", entity_id, "--chart", str(chart)]) == 0
    )
    svg = chart.read_text(encoding="utf-8")
    joins = explain_entity(run_dir, entity_id).joins
    assert svg.count("<title>step ") == len(joins) == sizes.iloc[0] - 1  # one line per union
    for uid in members.loc[members["entity_id"] == entity_id, "uid"]:
        assert uid in svg
    assert main(["explain", "--run", str(run_dir), "--entity", entity_id, "--chart", "t.png"]) == 2
