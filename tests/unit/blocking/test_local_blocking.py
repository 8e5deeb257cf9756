"""Localised blocking equals blocking all records, per rule kind, with caps crossed both ways."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linkage.blocking import (
    BlockingRule,
    KeyState,
    cached_candidate_pairs,
    candidate_pairs,
    choose_rules,
    load_key_state,
    save_key_state,
)
from linkage.blocking import state as key_states
from linkage.config import load_config
from linkage.datasets import generate
from linkage.run_state import record_hashes
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
    old_rows = pd.Index(old["uid"].to_numpy(dtype=object)).get_indexer(new["uid"].to_numpy())
    return {
        "old": old_features,
        "new": new_features,
        "touched": ~same,
        "old_rows": old_rows,
        "unique": unique,
    }


def rule_sets(features: pd.DataFrame, cap: int) -> list[list[BlockingRule]]:
    auto = choose_rules(features, max_block_size=cap)
    kinds = {
        "exact": BlockingRule("latin", ("name_latin",), max_block_size=cap),
        "prefix": BlockingRule("pc", ("postcode_norm", "name_latin"), prefix=2, max_block_size=cap),
        "tokens": BlockingRule("tok", ("name_tokens",), "tokens", min_length=2, max_block_size=cap),
        "ids": BlockingRule("ids", ("id_keys",), "tokens"),
        "ids_capped": BlockingRule("ids_capped", ("id_keys",), "tokens", max_block_size=cap),
        "sn3": BlockingRule("sn3", ("name_latin",), "sorted_neighbourhood", window=3),
        "sn6": BlockingRule("sn6", ("name_core",), "sorted_neighbourhood", window=6),
    }
    return [
        auto,
        [kinds["exact"]],
        [kinds["prefix"]],
        [kinds["tokens"]],
        [kinds["ids"]],
        [kinds["ids_capped"]],
        [kinds["sn3"]],
        # a sorted neighbourhood before other rules, and rules whose pairs overlap
        [kinds["sn6"], kinds["tokens"], kinds["exact"], kinds["sn3"], kinds["prefix"]],
    ]


def previous_pairs(old: pd.DataFrame, rules, unique: set[str], cap: int) -> pd.DataFrame:
    pairs, _ = candidate_pairs(old, rules, unique_sources=unique, max_block_size=cap)
    return as_previous(pairs, rules)


def as_previous(pairs: pd.DataFrame, rules) -> pd.DataFrame:
    """A run's candidate pairs as the cache keeps them: rows and the index of the rule."""
    index = {r.name: i for i, r in enumerate(rules)}
    return pairs.assign(rule=pairs["rules"].map(index))[["idx_l", "idx_r", "rule"]]


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


def versions_of(versions: dict[str, object]) -> tuple[pd.DataFrame, pd.DataFrame, set[str]]:
    old, new, unique = versions["old"], versions["new"], versions["unique"]
    assert isinstance(old, pd.DataFrame) and isinstance(new, pd.DataFrame)
    assert isinstance(unique, set)
    return old, new, unique


def saved_and_loaded(state: KeyState | None, folder: Path) -> KeyState:
    assert state is not None
    folder.mkdir(parents=True, exist_ok=True)
    save_key_state(folder, state)
    loaded = load_key_state(folder)
    assert loaded is not None
    return loaded


def assert_same_state(got: KeyState, expected: KeyState) -> None:
    """Key states are canonical: the keys held now, ordered by hash (or by key for a sorted
    neighbourhood), whichever run built them."""
    assert got.rules == expected.rules and got.records == expected.records
    for a, b in zip(got.per_rule, expected.per_rule, strict=True):
        np.testing.assert_array_equal(a.rows, b.rows)
        np.testing.assert_array_equal(a.codes, b.codes)
        assert a.spell(np.arange(a.count)).tolist() == b.spell(np.arange(b.count)).tolist()
        if b.hashes is None:
            assert a.hashes is None
        else:
            np.testing.assert_array_equal(a.hashes, b.hashes)


@pytest.mark.parametrize("cap", [2, 4, 200])
def test_cached_keys_equal_blocking_all_records(
    versions: dict[str, object], cap: int, tmp_path: Path
):
    """The previous run's keys, saved and loaded, give this run's pairs, report and keys."""
    old, new, unique = versions_of(versions)
    touched, old_rows = versions["touched"], versions["old_rows"]
    assert isinstance(touched, np.ndarray) and isinstance(old_rows, np.ndarray)
    assert touched.sum() > 20
    assert (old_rows < 0).sum() > 10 and (touched & (old_rows >= 0)).sum() > 10  # new, changed
    assert len(old) - (old_rows >= 0).sum() > 10  # removed
    for u, unique_sources in enumerate((unique, set())):
        for r, rules in enumerate(rule_sets(new, cap)):
            old_pairs, old_report = candidate_pairs(
                old, rules, unique_sources=unique_sources, max_block_size=cap, keep_keys=True
            )
            expected, report = candidate_pairs(
                new, rules, unique_sources=unique_sources, max_block_size=cap, keep_keys=True
            )
            state = saved_and_loaded(old_report.key_state, tmp_path / f"{u}-{r}")
            got = cached_candidate_pairs(
                new,
                rules,
                unique_sources=unique_sources,
                max_block_size=cap,
                touched=touched,
                old_rows=old_rows,
                old_pairs=as_previous(old_pairs, rules),
                state=state,
            )
            assert got is not None
            pairs, got_report, new_state = got
            names = [r.name for r in rules]
            pd.testing.assert_frame_equal(pairs, expected, obj=str(names))
            assert got_report == report, names
            assert got_report.key_state is new_state
            assert_same_state(new_state, report.key_state)


def test_cached_keys_carry_over_runs(versions: dict[str, object], tmp_path: Path):
    """A run's updated keys, saved, serve the run after it: old -> new -> old again (records
    come back, new ones go, keys appear and disappear)."""
    old, new, unique = versions_of(versions)
    cap = 3
    rules = choose_rules(new, max_block_size=cap)
    rules.append(BlockingRule("sn", ("name_core",), "sorted_neighbourhood", window=4))
    _, first = candidate_pairs(
        old, rules, unique_sources=unique, max_block_size=cap, keep_keys=True
    )
    state = saved_and_loaded(first.key_state, tmp_path / "1")
    steps = [(old, new), (new, old)]
    for step, (before, after) in enumerate(steps):
        where = pd.Index(before["uid"].to_numpy(dtype=object)).get_indexer(after["uid"].to_numpy())
        touched = where < 0
        columns = [c for c in after.columns if c != "uid"]
        same = after[columns].iloc[~touched].reset_index(drop=True)
        other = before[columns].iloc[where[~touched]].reset_index(drop=True)
        touched[~touched] = ~(same.fillna("\0") == other.fillna("\0")).all(axis=1).to_numpy()
        expected, report = candidate_pairs(
            after, rules, unique_sources=unique, max_block_size=cap, keep_keys=True
        )
        got = cached_candidate_pairs(
            after,
            rules,
            unique_sources=unique,
            max_block_size=cap,
            touched=touched,
            old_rows=where,
            old_pairs=previous_pairs(before, rules, unique, cap),
            state=state,
        )
        assert got is not None
        pd.testing.assert_frame_equal(got[0], expected)
        assert got[1] == report
        assert report.key_state is not None
        assert_same_state(got[2], report.key_state)
        # keys appeared and disappeared on the way
        before_keys = set(state.per_rule[1].spell(np.arange(state.per_rule[1].count)).tolist())
        after_keys = set(got[2].per_rule[1].spell(np.arange(got[2].per_rule[1].count)).tolist())
        assert before_keys - after_keys and after_keys - before_keys
        state = saved_and_loaded(got[2], tmp_path / f"step{step}")


@pytest.mark.parametrize("saved", [False, True])
def test_nothing_touched_gives_the_previous_pairs(
    versions: dict[str, object], saved: bool, tmp_path: Path
):
    _, new, unique = versions_of(versions)
    rules = choose_rules(new, max_block_size=4)
    expected, report = candidate_pairs(
        new, rules, unique_sources=unique, max_block_size=4, keep_keys=True
    )
    assert report.key_state is not None
    # in memory (object arrays of keys) or saved and loaded (Arrow strings)
    state = saved_and_loaded(report.key_state, tmp_path) if saved else report.key_state
    got = cached_candidate_pairs(
        new,
        rules,
        unique_sources=unique,
        max_block_size=4,
        touched=np.zeros(len(new), dtype=bool),
        old_rows=np.arange(len(new)),
        old_pairs=previous_pairs(new, rules, unique, 4),
        state=state,
    )
    assert got is not None
    pd.testing.assert_frame_equal(got[0], expected)
    assert got[1] == report
    assert_same_state(got[2], report.key_state)


@pytest.mark.parametrize(("cap", "no_unique", "saved"), [(4, False, False), (200, True, True)])
def test_empty_previous_run(
    versions: dict[str, object], cap: int, no_unique: bool, saved: bool, tmp_path: Path
):
    """Every record is new."""
    _, new, unique = versions_of(versions)
    unique_sources = set() if no_unique else unique
    rules = choose_rules(new, max_block_size=cap)
    expected, report = candidate_pairs(
        new, rules, unique_sources=unique_sources, max_block_size=cap, keep_keys=True
    )
    _, empty = candidate_pairs(
        new.iloc[:0], rules, unique_sources=unique_sources, max_block_size=cap, keep_keys=True
    )
    assert empty.key_state is not None and empty.key_state.records == 0
    state = saved_and_loaded(empty.key_state, tmp_path) if saved else empty.key_state
    got = cached_candidate_pairs(
        new,
        rules,
        unique_sources=unique_sources,
        max_block_size=cap,
        touched=np.ones(len(new), dtype=bool),
        old_rows=np.full(len(new), -1),
        old_pairs=pd.DataFrame({"idx_l": [], "idx_r": [], "rule": []}, dtype=np.int64),
        state=state,
    )
    assert got is not None
    pd.testing.assert_frame_equal(got[0], expected)
    assert got[1] == report
    assert_same_state(got[2], report.key_state)


def test_cached_keys_that_do_not_fit_are_not_used(versions: dict[str, object], tmp_path: Path):
    old, new, unique = versions_of(versions)
    touched, old_rows = versions["touched"], versions["old_rows"]
    assert isinstance(touched, np.ndarray) and isinstance(old_rows, np.ndarray)
    rules = choose_rules(new, max_block_size=4)
    _, report = candidate_pairs(old, rules, unique_sources=unique, max_block_size=4, keep_keys=True)
    state = report.key_state
    assert state is not None
    arguments = {
        "unique_sources": unique,
        "max_block_size": 4,
        "touched": touched,
        "old_rows": old_rows,
        "old_pairs": previous_pairs(old, rules, unique, 4),
    }
    assert cached_candidate_pairs(new, rules[:-1], state=state, **arguments) is None  # type: ignore[arg-type]
    other = [*rules[:-1], BlockingRule("x", ("name_latin",), "sorted_neighbourhood", window=9)]
    assert cached_candidate_pairs(new, other, state=state, **arguments) is None  # type: ignore[arg-type]
    assert load_key_state(tmp_path) is None  # nothing saved there


def test_hash_collisions_fall_back(versions: dict[str, object], monkeypatch: pytest.MonkeyPatch):
    """Keys are found by their 64-bit hash and checked against their text: two keys with one
    hash mean no key state (a full run) rather than a wrong pair."""
    old, new, unique = versions_of(versions)
    touched, old_rows = versions["touched"], versions["old_rows"]
    assert isinstance(touched, np.ndarray) and isinstance(old_rows, np.ndarray)
    rules = [BlockingRule("latin", ("name_latin",), max_block_size=4)]
    real = key_states.hash_keys

    def constant(strings: np.ndarray) -> np.ndarray:
        return np.zeros(len(strings), dtype=np.uint64)

    monkeypatch.setattr(key_states, "hash_keys", constant)
    _, report = candidate_pairs(old, rules, unique_sources=unique, max_block_size=4, keep_keys=True)
    assert report.key_state is None
    # a new key whose hash is an old key's
    monkeypatch.setattr(key_states, "hash_keys", real)
    _, report = candidate_pairs(old, rules, unique_sources=unique, max_block_size=4, keep_keys=True)
    state = report.key_state
    assert state is not None
    held = set(state.per_rule[0].spell(np.arange(state.per_rule[0].count)).tolist())

    def colliding(strings: np.ndarray) -> np.ndarray:
        hashes = real(strings)
        unseen = np.array([s not in held for s in strings.tolist()], dtype=bool)
        hashes[unseen] = state.per_rule[0].hashes[0]
        return hashes

    monkeypatch.setattr(key_states, "hash_keys", colliding)  # new keys are looked up there
    got = cached_candidate_pairs(
        new,
        rules,
        unique_sources=unique,
        max_block_size=4,
        touched=touched,
        old_rows=old_rows,
        old_pairs=previous_pairs(old, rules, unique, 4),
        state=state,
    )
    assert got is None
