"""Final decisions agree everywhere: pairs.parquet says where clustering put each pair's
records and why it refused a union, and explain says it too."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from linkage.cli import main
from linkage.datasets import generate


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("decisions")
    config = generate(folder / "data", entities=800, registries=4, seed=3).config_path
    assert main(["run", str(config), "--out", str(folder / "out"), "--quiet"]) == 0
    return folder / "out"


def test_pairs_carry_the_clustering_outcome(run_folder: Path) -> None:
    pairs = pd.read_parquet(run_folder / "pairs.parquet")
    members = pd.read_csv(run_folder / "memberships.csv", dtype=str)
    entity = members.set_index("uid")["entity_id"]
    together = (
        entity.reindex(pairs["uid_l"]).to_numpy() == entity.reindex(pairs["uid_r"]).to_numpy()
    )
    assert (pairs["same_entity"].to_numpy() == together).all()
    merges = pd.read_parquet(run_folder / "merges.parquet")
    refused = merges[~merges["accepted"]].set_index(["uid_l", "uid_r"])["reason"]
    said = pairs.dropna(subset=["refused_by"]).set_index(["uid_l", "uid_r"])["refused_by"]
    assert len(said) > 0 and (refused.reindex(said.index) == said).all()
    assert not pairs.loc[pairs["refused_by"].notna(), "same_entity"].any()


def test_explain_says_when_clustering_kept_matching_records_apart(
    run_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pairs = pd.read_parquet(run_folder / "pairs.parquet")
    apart = pairs[pairs["is_match"] & pairs["refused_by"].notna()].iloc[0]
    assert main(["explain", "--run", str(run_folder), apart["uid_l"], apart["uid_r"]]) == 0
    text = capsys.readouterr().out
    assert f"they match, but clustering refused to join them ({apart['refused_by']})" in text
    joined = pairs[pairs["same_entity"]].iloc[0]
    assert main(["explain", "--run", str(run_folder), joined["uid_l"], joined["uid_r"]]) == 0
    assert "clustering: the two records are in one entity" in capsys.readouterr().out
