"""The compare stage given the previous run's compare equals ``compare_pairs`` over every
record, exactly.

It prepares only the records it compares, plus the new and changed ones, and takes the term
frequencies of every pair from the stored value codes of the unchanged records
(:func:`linkage.compare.compare_stage`). Random generations of records (new,
changed and removed records, values growing or shrinking in frequency, values never seen
before, missing and blank values, sources appearing and vanishing) check levels and term
frequencies against a full ``compare_pairs``, over several generations of caches.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from linkage.compare import (
    AddressComparison,
    CompanyNameComparison,
    CompareState,
    Comparison,
    EmailComparison,
    ExactMatch,
    IdentifierComparison,
    JaroWinklerAtThresholds,
    PhoneComparison,
    PreviousComparisons,
    TermCodes,
    compare_pairs,
    compare_stage,
)
from linkage.run_state import record_hashes

COMPARISONS: list[Comparison] = [
    CompanyNameComparison(),
    EmailComparison(),
    AddressComparison(),
    JaroWinklerAtThresholds("city", tf_adjust=True),
    PhoneComparison(tf_adjust=True, address="address"),
    IdentifierComparison(),
]

POOLS: dict[str, list[Any]] = {
    "name_norm": [
        "acme trading",
        "acme",
        "blue sky",
        "huaxin tech",
        "hua xin",
        "北京科技",
        None,
        " ",
    ],
    "name_latin": ["acme trading", "huaxin", "beijing keji", None, None],
    "name_core": ["acme", "huaxin", "sky", "keji", None],
    "name_generic": ["trading", "tech", "trading tech", None],
    "name_place": ["beijing", "shanghai", None],
    "email_norm": ["a@acme.com", "b@acme.com", "x@sky.org", None],
    "domain": ["acme.com", "ACME.com ", "sky.org", "mail.cn", None, "  "],
    "address_norm": ["1 main st", "main st 1", "2 main st", "上海路1号", None],
    "postcode_norm": ["100", "200", None],
    "address_numbers": ["1", "2", "1 2", None],
    "city": ["berlin", "berlin ", "Berlín", "london", "londen", None],
    "phone_e164": ["+8613800000000", "+8613900000000", "+12025550100", None],
    "id_keys": ["uscc:A", "uscc:B", "lei:L", "", None],
    "id_raw": ["A", "B", "bad", None],
}
SOURCES = ["enterprise", "gleif", "tax", None]


def _value(rng: np.random.Generator, column: str, generation: int) -> Any:
    """A value of ``column``: usually from its pool, sometimes one of three never seen before
    this generation."""
    if rng.random() < 0.15:
        return f"{column[:4]} new{generation} {rng.integers(3)}"
    pool = POOLS[column]
    return pool[rng.integers(len(pool))]


def _record(
    rng: np.random.Generator, uid: str, generation: int, sources: list[Any]
) -> dict[str, Any]:
    row = {column: _value(rng, column, generation) for column in POOLS}
    row["name_tokens"] = row["name_norm"]
    row["source"] = sources[rng.integers(len(sources))]
    row["uid"] = uid
    return row


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    columns = ["uid", "source", *POOLS, "name_tokens"]
    return pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) for c in columns})


def _pairs(
    rng: np.random.Generator, features: pd.DataFrame, count: int, keep: list[tuple[int, int]]
) -> pd.DataFrame:
    """``keep`` (rows now of previous pairs), the pairs of records sharing a name, domain or
    city (as blocking would find them), and random pairs; each once, in random order."""
    n = len(features)
    found = set(keep)
    for column in ("name_norm", "domain", "city"):
        rows = features.groupby(column, dropna=True).indices.values()
        for group in rows:
            found.update((int(a), int(b)) for a in group for b in group if a < b)
    while len(found) < min(count + len(keep), n * (n - 1) // 2):
        a, b = sorted(rng.integers(n, size=2).tolist())
        if a != b:
            found.add((a, b))
    ordered = sorted(found)
    # sorted as candidate_pairs makes them, or not
    order = rng.permutation(len(ordered)) if rng.random() < 0.5 else np.arange(len(ordered))
    il = np.array([ordered[i][0] for i in order], dtype=np.int64)
    ir = np.array([ordered[i][1] for i in order], dtype=np.int64)
    return pd.DataFrame({"idx_l": il, "idx_r": ir})


def _previous(
    old: pd.DataFrame,
    compared: pd.DataFrame,
    comparisons: list[Comparison],
    terms: TermCodes | None,
    new: pd.DataFrame,
) -> PreviousComparisons:
    """What a run over ``old`` left for the next one over ``new``: its levels, and its term
    codes compacted as they are saved (None when they cannot be)."""
    columns = [f"{c.name}_level" for c in comparisons]
    where = pd.Index(old["uid"]).get_indexer(new["uid"])
    old_hashes, new_hashes = record_hashes(old), record_hashes(new)
    unchanged = (where >= 0) & (old_hashes[where] == new_hashes)
    return PreviousComparisons(
        compared[["idx_l", "idx_r", *columns]],
        columns,
        None if terms is None else terms.compacted(),
        unchanged,
        where,
        len(old),
    )


def _next_generation(
    rng: np.random.Generator, rows: list[dict[str, Any]], generation: int
) -> list[dict[str, Any]]:
    """Remove, change, add and reorder records; sometimes a source vanishes or appears."""
    uids = {r["uid"] for r in rows}
    sources = list(SOURCES)
    if rng.random() < 0.3:
        sources = [*sources[:2], f"source{generation}"]
    kept = [dict(r) for r in rows if rng.random() > 0.12]
    if rng.random() < 0.2 and kept:  # every record of one source goes
        gone = kept[0]["source"]
        kept = [r for r in kept if r["source"] != gone]
    for row in kept:
        if rng.random() < 0.12:
            column = list(POOLS)[rng.integers(len(POOLS))] if rng.random() < 0.8 else "source"
            if column == "source":
                row["source"] = sources[rng.integers(len(sources))]
            else:
                row[column] = _value(rng, column, generation)
                row["name_tokens"] = row["name_norm"]
    for i in range(int(rng.integers(0, 12))):
        kept.append(_record(rng, f"g{generation}-{i}", generation, sources))
        if rng.random() < 0.4 and len(kept) > 1:  # an existing value becomes more frequent
            other = kept[rng.integers(len(kept) - 1)]
            for column in ("name_norm", "name_latin", "name_core", "domain", "address_norm"):
                kept[-1][column] = other[column]
            kept[-1]["name_tokens"] = kept[-1]["name_norm"]
    if rng.random() < 0.5:  # shuffled
        return [kept[i] for i in rng.permutation(len(kept))]
    # the records kept in their order, the new ones among them (previous pairs stay sorted)
    old, new = [r for r in kept if r["uid"] in uids], [r for r in kept if r["uid"] not in uids]
    for row in new:
        old.insert(int(rng.integers(len(old) + 1)), row)
    return old


def _assert_exact(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    for column in expected.columns:
        a, b = got[column].to_numpy(), expected[column].to_numpy()
        assert a.dtype == b.dtype, column
        if a.dtype.kind == "f":
            assert np.array_equal(a, b, equal_nan=True), column
            # the same float64 bits, not merely equal values
            assert np.array_equal(np.isnan(a), np.isnan(b)), column
            assert (a[~np.isnan(a)].view(np.int64) == b[~np.isnan(b)].view(np.int64)).all()
        else:
            assert np.array_equal(a, b), column


def _run_generations(
    seed: int, comparisons: list[Comparison], generations: int = 3
) -> tuple[list[dict[str, Any]], CompareState]:
    """Stats of each generation compared given the one before, and the last state."""
    rng = np.random.default_rng(seed)
    rows = [_record(rng, f"r{i}", 0, SOURCES) for i in range(int(rng.integers(25, 70)))]
    features = _frame(rows)
    pairs = _pairs(rng, features, 4 * len(features), [])
    compared, state = compare_stage(features, pairs, comparisons)
    all_stats = []
    for generation in range(2, 2 + generations):
        rows = _next_generation(rng, rows, generation)
        new_features = _frame(rows)
        previous = _previous(features, compared, comparisons, state.terms, new_features)
        # previous pairs whose records are still here, plus random ones
        uid_now = {u: i for i, u in enumerate(new_features["uid"])}
        old_uids = features["uid"].tolist()
        keep = []
        for a, b in zip(compared["idx_l"], compared["idx_r"], strict=True):
            ua, ub = old_uids[a], old_uids[b]
            if ua in uid_now and ub in uid_now and rng.random() < 0.9:
                keep.append((uid_now[ua], uid_now[ub]))
        new_pairs = _pairs(rng, new_features, len(new_features), keep)
        got, state = compare_stage(new_features, new_pairs, comparisons, previous=previous)
        expected = compare_pairs(new_features, new_pairs, comparisons)
        _assert_exact(got, expected)
        all_stats.append({"records": len(new_features), **state.stats})
        features, compared = new_features, got
    return all_stats, state


@pytest.mark.parametrize("seed", range(40))
def test_compare_given_the_previous_run_equals_compare_pairs(seed: int) -> None:
    stats, _ = _run_generations(seed, COMPARISONS)
    for s in stats:
        # the term frequencies came from the cached codes: not every record was prepared
        assert s["prepared_records"] <= s["records"]
        assert s["reused_pairs"] + s["scored_pairs"] > 0


def test_the_saved_codes_hold_every_term_key_and_only_values_in_use() -> None:
    terms = _run_generations(7, COMPARISONS, generations=2)[1].terms
    assert terms is not None
    records = len(terms.codes[0])
    terms = terms.compacted()
    assert terms is not None
    assert terms.keys == [
        ("name", "norm"),
        ("name", "latin"),
        ("name", "core"),
        ("email", "domain"),
        ("address", "address"),
        ("city", "value"),
        ("phone", "value"),
    ]
    for codes, values in zip(terms.codes, terms.values, strict=True):
        assert len(codes) == records
        # compacted: every value is held by a record, once
        assert sorted(set(codes[codes >= 0].tolist())) == list(range(len(values)))
        assert len(set(values.to_pylist())) == len(values)


def test_few_records_are_prepared_when_little_changed() -> None:
    rng = np.random.default_rng(3)
    rows = [_record(rng, f"r{i}", 0, SOURCES) for i in range(300)]
    features = _frame(rows)
    pairs = _pairs(rng, features, 600, [])
    compared, state = compare_stage(features, pairs, COMPARISONS)
    rows = [*rows, _record(rng, "new", 1, SOURCES)]
    new_features = _frame(rows)
    new_pairs = pd.concat(
        [pairs, pd.DataFrame({"idx_l": [0, 5], "idx_r": [300, 300]})], ignore_index=True
    )
    previous = _previous(features, compared, COMPARISONS, state.terms, new_features)
    got, state = compare_stage(new_features, new_pairs, COMPARISONS, previous=previous)
    assert state.stats["prepared_records"] == 3  # the new record and its two partners
    assert state.stats["scored_pairs"] == 2
    assert state.prepared is None  # not every record was prepared
    _assert_exact(got, compare_pairs(new_features, new_pairs, COMPARISONS))


def test_values_that_are_not_strings_fall_back_to_preparing_every_record() -> None:
    """Term values that are not strings are not cached: the next run prepares every record
    and is still exact."""
    features = pd.DataFrame(
        {
            "uid": [f"r{i}" for i in range(6)],
            "source": ["a", "a", "b", "b", "a", None],
            "code": pd.Series([1, 1, 2, None, 1, 2], dtype=object),
        }
    )
    pairs = pd.DataFrame({"idx_l": [0, 0, 1, 2], "idx_r": [1, 4, 4, 5]})
    new_pairs = pd.DataFrame({"idx_l": [0, 0, 1, 2, 2], "idx_r": [1, 4, 4, 5, 6]})
    _rerun_prepares_every_record(
        features,
        pairs,
        {"uid": "r6", "source": "b", "code": 2},
        new_pairs,
        terms_cached=False,
    )


def _rerun_prepares_every_record(
    features: pd.DataFrame,
    pairs: pd.DataFrame,
    added: dict[str, Any],
    new_pairs: pd.DataFrame,
    terms_cached: bool,
) -> None:
    """Cache a run of ``ExactMatch("code")`` over ``features``/``pairs`` (its term codes
    cached or not, as ``terms_cached`` says), then run again with the record ``added``: every
    record is prepared and the result equals ``compare_pairs``."""
    comparisons: list[Comparison] = [ExactMatch("code", clean=False, tf_adjust=True)]
    compared, state = compare_stage(features, pairs, comparisons)
    new = pd.concat([features, pd.DataFrame({k: [v] for k, v in added.items()})], ignore_index=True)
    previous = _previous(features, compared, comparisons, state.terms, new)
    assert (previous.terms is not None) == terms_cached
    got, state = compare_stage(new, new_pairs, comparisons, previous=previous)
    assert state.stats["prepared_records"] == len(new)
    assert state.prepared is not None  # every record prepared: the model fit may read them
    _assert_exact(got, compare_pairs(new, new_pairs, comparisons))


def test_a_value_that_is_not_a_string_in_a_later_run_prepares_every_record() -> None:
    features = pd.DataFrame(
        {
            "uid": [f"r{i}" for i in range(5)],
            "source": ["a", "a", "b", "b", "a"],
            "code": pd.Series(["x", "x", "y", None, "x"], dtype=object),
        }
    )
    pairs = pd.DataFrame({"idx_l": [0, 0, 1, 2], "idx_r": [1, 4, 4, 3]})
    new_pairs = pd.DataFrame({"idx_l": [0, 0, 1, 2, 2], "idx_r": [1, 4, 4, 3, 5]})
    _rerun_prepares_every_record(
        features,
        pairs,
        {"uid": "r5", "source": "b", "code": 7},
        new_pairs,
        terms_cached=True,
    )
