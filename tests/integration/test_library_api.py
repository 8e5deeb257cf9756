"""The library API: two DataFrames and a dict config, no files, linked step by step (fit,
predict, cluster, score, a saved and reloaded model) give what ``linkage run`` gives."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linkage import Clusters, Linker, UsageError, Verdict, load_model
from linkage.cli import main
from linkage.config import Config
from linkage.datasets import generate
from linkage.sources import read_sources


def partition(uids: pd.Series, entities: pd.Series) -> set[frozenset[str]]:
    """The groups of uids, whatever the entity ids are called."""
    groups = pd.Series(uids.to_numpy(), index=entities.to_numpy()).groupby(level=0)
    return {frozenset(members.tolist()) for _, members in groups}


@pytest.fixture(scope="module")
def registries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Two generated registries: as files with a TOML config, and as DataFrames with the
    config as a dict whose sources have no path."""
    root = tmp_path_factory.mktemp("api")
    data = generate(root / "data", entities=150, registries=3, seed=3)
    text = data.config_path.read_text(encoding="utf-8")
    starts = [m.start() for m in re.finditer(r"^\[\[sources\]\]", text, flags=re.MULTILINE)]
    two = text[: starts[2]]  # the first two registries
    config_path = data.config_path.with_name("two.toml")
    config_path.write_text(two, encoding="utf-8")
    settings = tomllib.loads(two)
    frames = {}
    for source in settings["sources"]:
        path = config_path.parent / source.pop("path")
        if path.suffix == ".csv":
            frames[source["name"]] = pd.read_csv(path, dtype=str, encoding=source.get("encoding"))
        else:
            frames[source["name"]] = pd.read_parquet(path)
    assert len(frames) == 2
    return {"config_path": config_path, "settings": settings, "frames": frames, "root": root}


def test_fit_predict_cluster_give_what_linkage_run_gives(registries: dict[str, object]) -> None:
    settings, frames = registries["settings"], registries["frames"]
    assert isinstance(settings, dict) and isinstance(frames, dict)
    linker = Linker(settings)  # a dict: nothing is read
    assert linker.fit(frames) is linker
    pairs = linker.predict(frames)
    clusters = linker.cluster(pairs)
    assert isinstance(clusters, Clusters)

    out = Path(str(registries["root"])) / "run"
    assert main(["run", str(registries["config_path"]), "--out", str(out), "--quiet"]) == 0
    memberships = pd.read_csv(out / "memberships.csv", dtype=str)
    assert partition(clusters.memberships["uid"], clusters.memberships["entity_id"]) == partition(
        memberships["uid"], memberships["entity_id"]
    )
    assert len(clusters.entities) == len(pd.read_csv(out / "entities.csv", dtype=str))
    model = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert linker.model_.to_dict() == model
    assert linker.threshold_ == pytest.approx(model["parameters"]["threshold"])
    assert set(pairs["rules"]) <= {rule.name for rule in linker.rules_}
    written = pd.read_parquet(out / "pairs.parquet")
    assert len(pairs) == len(written)
    assert int(pairs["is_match"].sum()) == int(written["is_match"].sum())


IDENTIFIER_PARTS = ("_norm", "_valid", "_scheme", "_problem")


def record_of(frame: pd.DataFrame, uid: str) -> dict[str, object]:
    row = frame.loc[frame["uid"] == uid].iloc[0]
    fields = (
        "name",
        "address",
        "city",
        "postcode",
        "country",
        "phone",
        "representative",
        "founded",
    )
    record: dict[str, object] = {"source": row["source"]}
    for field in fields:
        if field in row and isinstance(row[field], str):
            record[field] = row[field]
    for column in row.index:
        identifier = column.startswith("id_") and not column.endswith(IDENTIFIER_PARTS)
        if identifier and column != "id_keys" and isinstance(row[column], str):
            record[column] = row[column]
    return record


def test_score_explains_a_pair_with_the_levels_predict_gave(
    registries: dict[str, object],
) -> None:
    settings, frames = registries["settings"], registries["frames"]
    assert isinstance(settings, dict) and isinstance(frames, dict)
    linker = Linker(settings).fit(frames)
    pairs = linker.predict(frames)
    records, _ = read_sources(linker.config, frames)  # the records, in canonical fields
    sample = pd.concat([pairs[pairs["is_match"]].head(5), pairs[~pairs["is_match"]].head(5)])
    assert len(sample) == 10
    for _, pair in sample.iterrows():
        a, b = record_of(records, pair["uid_l"]), record_of(records, pair["uid_r"])
        explained = linker.score(a, b)
        levels = {row["comparison"]: row["level"] for row in explained.rows}
        for comparison in linker.comparisons_:
            assert levels[comparison.name] == pair[f"{comparison.name}_level"]
    same = record_of(records, str(pairs["uid_l"].iloc[0]))
    assert linker.score(same, same).probability >= linker.threshold_
    other = {"name": "Zzyzx Quantum Pottery Collective", "address": "1 Nowhere Lane"}
    assert linker.score(same, other).probability < linker.threshold_


def test_a_saved_model_reloads_and_links_alike(
    registries: dict[str, object], tmp_path: Path
) -> None:
    settings, frames = registries["settings"], registries["frames"]
    assert isinstance(settings, dict) and isinstance(frames, dict)
    first = Linker(settings).fit(frames)
    saved = first.model_.save(tmp_path / "model.json")
    assert load_model(saved).to_dict() == first.model_.to_dict()
    again = Linker(settings, model=saved).fit(frames)
    assert again.model_.to_dict() == first.model_.to_dict()
    pairs_first, pairs_again = first.predict(frames), again.predict(frames)
    pd.testing.assert_frame_equal(pairs_first, pairs_again)
    one, two = first.cluster(pairs_first), again.cluster(pairs_again)
    pd.testing.assert_frame_equal(one.memberships, two.memberships)
    # the command line pins it too
    out = tmp_path / "pinned"
    config = str(registries["config_path"])
    assert main(["run", config, "--out", str(out), "--model", str(saved), "--quiet"]) == 0
    memberships = pd.read_csv(out / "memberships.csv", dtype=str)
    assert partition(memberships["uid"], memberships["entity_id"]) == partition(
        one.memberships["uid"], one.memberships["entity_id"]
    )


def test_misuse_gets_errors_to_act_on(registries: dict[str, object]) -> None:
    settings = registries["settings"]
    assert isinstance(settings, dict)
    linker = Linker(settings)
    with pytest.raises(UsageError, match="fit"):
        linker.predict()
    with pytest.raises(UsageError, match="predict"):
        linker.cluster(pd.DataFrame())
    with pytest.raises(UsageError, match="not fitted"):
        linker.score({"name": "a"}, {"name": "b"})
    frames = registries["frames"]
    assert isinstance(frames, dict)
    linker.fit(frames)
    with pytest.raises(UsageError, match="unknown field"):
        linker.score({"nmae": "Acme"}, {"name": "Acme"})
    assert Verdict("same") is Verdict.SAME and Verdict.SAME == "same"
    assert np.isfinite(linker.threshold_)


def test_two_unrelated_firms_alone_stay_apart() -> None:
    # their only candidate pair is unlikely (P(match) about 0.1): with a handful of pairs,
    # predicting no match at all has the best expected F1, so the cut-off stays above it
    frame = pd.DataFrame(
        {"id": ["1", "2"], "name": ["Acme Ltd", "Zebra Corp"], "city": ["London", "Leeds"]}
    )
    config = {"sources": [{"name": "a", "id": "id", "fields": {"name": "name", "city": "city"}}]}
    result = Linker(Config.from_dict(config), frames={"a": frame}).run()
    assert result.memberships["entity_id"].nunique() == 2
    pairs = result.pairs
    assert len(pairs) == 1 and not pairs["is_match"].any()
    assert pairs["probability"].iat[0] < result.model["parameters"]["threshold"]
