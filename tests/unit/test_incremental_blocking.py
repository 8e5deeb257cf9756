"""Localised blocking equals blocking all records, per rule kind, with caps crossed both ways."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linkage.blocking import BlockingRule, candidate_pairs, choose_rules
from linkage.config import load_config
from linkage.datasets import generate
from linkage.incremental import record_hashes
from linkage.incremental_blocking import local_candidate_pairs
from linkage.sources import read_sources
from linkage.standardize.features import build_features


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Old and new features of a generated data set: the new one adds records, removes
    records and renames a few (so that blocks grow, shrink and move)."""
    root = tmp_path_factory.mktemp("localblocking")
    generate(root, entities=400, registries=4, seed=5, difficulty="medium")
    config = load_config(root / "config.toml")
    records, _ = read_sources(config)
    rng = np.random.default_rng(3)
    n = len(records)
    in_old = rng.random(n) > 0.08  # 8% of the records are new
    in_new = rng.random(n) > 0.03  # 3% are removed
    in_new |= ~in_old  # a new record is not also removed
    old = records[in_old].reset_index(drop=True)
    new = records[in_new].reset_index(drop=True)
    renamed = rng.choice(len(new), size=15, replace=False)
    name = new.columns.get_loc("name")
    for row in renamed:
        new.iat[row, name] = f"{new.iat[row, name]} Holdings"
    # a few records get the name of another record (joining its blocks)
    for row, other in zip(rng.choice(len(new), 10), rng.choice(len(new), 10), strict=True):
        new.iat[row, name] = new.iat[other, name]
    old_features, new_features = build_features(old), build_features(new)
    old_hash = pd.Series(record_hashes(old), index=old["uid"].to_numpy())
    same = old_hash.reindex(new["uid"].to_numpy()).to_numpy() == record_hashes(new)
    unique = {s.name for s in config.sources if s.unique}
    return {"old": old_features, "new": new_features, "touched": ~same, "unique": unique}


def rule_sets(features: pd.DataFrame, cap: int) -> list[list[BlockingRule]]:
    auto = choose_rules(features, max_block_size=cap)
    kinds = {
        "exact": BlockingRule("latin", ("name_latin",), max_block_size=cap),
        "prefix": BlockingRule("pc", ("postcode_norm", "name_latin"), prefix=2, max_block_size=cap),
        "tokens": BlockingRule("tok", ("name_tokens",), "tokens", min_length=2, max_block_size=cap),
        "ids": BlockingRule("ids", ("id_keys",), "tokens"),
        "sn3": BlockingRule("sn3", ("name_latin",), "sorted_neighbourhood", window=3),
        "sn6": BlockingRule("sn6", ("name_core",), "sorted_neighbourhood", window=6),
    }
    return [
        auto,
        [kinds["exact"]],
        [kinds["prefix"]],
        [kinds["tokens"]],
        [kinds["ids"]],
        [kinds["sn3"]],
        # a sorted neighbourhood before other rules, and rules whose pairs overlap
        [kinds["sn6"], kinds["tokens"], kinds["exact"], kinds["sn3"], kinds["prefix"]],
    ]


def previous_pairs(old: pd.DataFrame, rules, unique: set[str], cap: int) -> pd.DataFrame:
    pairs, _ = candidate_pairs(old, rules, unique_sources=unique, max_block_size=cap)
    index = {r.name: i for i, r in enumerate(rules)}
    return pairs.assign(rule=pairs["rules"].map(index))[["idx_l", "idx_r", "rule"]]


@pytest.mark.parametrize("cap", [2, 4, 200])
def test_local_blocking_equals_blocking_all_records(versions: dict[str, object], cap: int):
    old, new = versions["old"], versions["new"]
    assert isinstance(old, pd.DataFrame) and isinstance(new, pd.DataFrame)
    touched = versions["touched"]
    unique = versions["unique"]
    assert isinstance(touched, np.ndarray) and isinstance(unique, set)
    assert touched.sum() > 20
    for unique_sources in (unique, set()):
        for rules in rule_sets(new, cap):
            expected, report = candidate_pairs(
                new, rules, unique_sources=unique_sources, max_block_size=cap
            )
            got, got_report = local_candidate_pairs(
                new,
                rules,
                unique_sources=unique_sources,
                max_block_size=cap,
                touched=touched,
                old_features=old,
                old_pairs=previous_pairs(old, rules, unique_sources, cap),
            )
            names = [r.name for r in rules]
            pd.testing.assert_frame_equal(got, expected, obj=str(names))
            assert got_report == report, names


def test_caps_are_crossed_both_ways(versions: dict[str, object]):
    """The data exercise what makes blocking non-local: blocks over the cap now and not
    before, and the other way round."""
    old, new = versions["old"], versions["new"]
    assert isinstance(old, pd.DataFrame) and isinstance(new, pd.DataFrame)

    def sizes(frame: pd.DataFrame) -> pd.Series:
        return frame["name_latin"].dropna().str.casefold().value_counts()

    before, after = sizes(old).align(sizes(new), fill_value=0)
    assert ((before <= 2) & (after > 2)).any()
    assert ((before > 2) & (after <= 2)).any()


def test_nothing_touched_gives_the_previous_pairs(versions: dict[str, object]):
    new = versions["new"]
    unique = versions["unique"]
    assert isinstance(new, pd.DataFrame) and isinstance(unique, set)
    rules = choose_rules(new, max_block_size=4)
    expected, report = candidate_pairs(new, rules, unique_sources=unique, max_block_size=4)
    got, got_report = local_candidate_pairs(
        new,
        rules,
        unique_sources=unique,
        max_block_size=4,
        touched=np.zeros(len(new), dtype=bool),
        old_features=new,
        old_pairs=previous_pairs(new, rules, unique, 4),
    )
    pd.testing.assert_frame_equal(got, expected)
    assert got_report == report


def test_empty_previous_run(versions: dict[str, object], tmp_path: Path):
    new = versions["new"]
    assert isinstance(new, pd.DataFrame)
    rules = choose_rules(new, max_block_size=200)
    expected, _ = candidate_pairs(new, rules, unique_sources=set(), max_block_size=200)
    got, _ = local_candidate_pairs(
        new,
        rules,
        unique_sources=set(),
        max_block_size=200,
        touched=np.ones(len(new), dtype=bool),
        old_features=new.iloc[:0],
        old_pairs=pd.DataFrame({"idx_l": [], "idx_r": [], "rule": []}, dtype=np.int64),
    )
    pd.testing.assert_frame_equal(got, expected)
