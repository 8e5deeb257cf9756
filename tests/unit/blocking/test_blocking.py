"""Blocking rules: union of rules, first rule owns a pair, generic keys skipped and reported."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.blocking import BlockingRule, candidate_pairs, choose_rules, pair_completeness
from linkage.blocking import pairs as blocking_pairs
from linkage.standardize.names import normalize_name
from linkage.standardize.syllables import syllable_pairs


def features() -> pd.DataFrame:
    rows = [
        ("a:1", "a", "acme trading", "acmetrading", "+1555", "k1"),
        ("a:2", "a", "acme trading", "acmetrading", None, None),
        ("b:1", "b", "acme trade", "acmetrade", "+1555", None),
        ("b:2", "b", "blue sky trading", "blueskytrading", None, "k1"),
        ("b:3", "b", "sky blue", "skyblue", None, None),
        ("c:1", "c", "zeta trading", "zetatrading", None, None),
    ]
    return pd.DataFrame(
        rows, columns=["uid", "source", "name_norm", "name_latin", "phone_e164", "id_keys"]
    )


RULES = [
    BlockingRule("identifier", ("id_keys",), "tokens"),
    BlockingRule("name_exact", ("name_norm",)),
    BlockingRule("phone", ("phone_e164",)),
    BlockingRule("token", ("name_norm",), "tokens", min_length=2, max_block_size=3),
]


def brute_force(frame: pd.DataFrame, unique: set[str]) -> set[tuple[str, str]]:
    out = set()
    for (_, lt), (_, r) in itertools.combinations(frame.iterrows(), 2):
        l = lt  # noqa: E741
        if l["source"] == r["source"] and l["source"] in unique:
            continue
        tokens = lambda s: {t for t in (s or "").split() if len(t) >= 2}  # noqa: E731
        generic = {"trading"}
        if (
            (set((l["id_keys"] or "").split()) & set((r["id_keys"] or "").split()))
            or l["name_norm"] == r["name_norm"]
            or (l["phone_e164"] and l["phone_e164"] == r["phone_e164"])
            or ((tokens(l["name_norm"]) & tokens(r["name_norm"])) - generic)
        ):
            out.add((l["uid"], r["uid"]))
    return out


def test_union_of_rules_each_pair_once_with_first_rule() -> None:
    frame = features()
    pairs, report = candidate_pairs(frame, RULES, unique_sources=set())
    found = set(zip(pairs["uid_l"], pairs["uid_r"], strict=True))
    assert len(found) == len(pairs)
    assert found == brute_force(frame, set())
    rule = dict(zip(zip(pairs["uid_l"], pairs["uid_r"], strict=True), pairs["rules"], strict=True))
    assert rule[("a:1", "b:2")] == "identifier"
    assert rule[("a:1", "a:2")] == "name_exact"
    assert rule[("a:1", "b:1")] == "phone"  # also shares "acme", but phone came first
    assert rule[("b:2", "b:3")] == "token"
    assert sum(report.pairs_per_rule.values()) == len(pairs)
    assert {"rule": "token", "key": "trading", "size": 4} in report.skipped_blocks
    assert (pairs["uid_l"] < pairs["uid_r"]).all()


def test_unique_sources_give_no_pairs_inside() -> None:
    frame = features()
    pairs, _ = candidate_pairs(frame, RULES, unique_sources={"a", "b"})
    assert set(zip(pairs["uid_l"], pairs["uid_r"], strict=True)) == brute_force(frame, {"a", "b"})
    sources = pairs["uid_l"].str[0] + pairs["uid_r"].str[0]
    assert not sources.isin(["aa", "bb"]).any()


def test_sorted_neighbourhood_and_completeness() -> None:
    frame = features()
    rules = [BlockingRule("sn", ("name_latin",), "sorted_neighbourhood", window=2)]
    pairs, _ = candidate_pairs(frame, rules, unique_sources=set())
    ordered = frame.sort_values("name_latin")["uid"].tolist()
    expected = {tuple(sorted(p)) for p in itertools.pairwise(ordered)}
    assert set(zip(pairs["uid_l"], pairs["uid_r"], strict=True)) == expected
    report = pair_completeness(pairs, ["a:1", "b:2"], ["a:2", "c:1"])
    assert report["true_pairs"] == 2 and 0 <= report["pair_completeness"] <= 1


def test_automatic_rules_follow_the_fields_present() -> None:
    names = [r.name for r in choose_rules(features())]
    assert names[:2] == ["identifier", "name_exact"]
    assert "phone" in names and "domain" not in names


def test_hanzi_names_and_their_renderings_block_on_rare_syllable_pairs() -> None:
    # a real Jiangsu firm and an agency's rendering of it: their trade names parse apart
    # (xinanguofeng / changzhouguofeng), two adjacent syllables of it do not
    names = {
        "reg:1": "常州市新安国峰彩印包装有限公司",
        "cus:1": "Changzhou Guofeng Colour Printing Baozhuang (Xinan) Co.,Ltd",
        "cus:2": "Wuxi Huaxin Chemical Co., Ltd.",
    }
    parsed = {uid: normalize_name(name) for uid, name in names.items()}
    frame = pd.DataFrame(
        {
            "uid": list(names),
            "source": [uid.split(":")[0] for uid in names],
            "name_norm": [p.norm for p in parsed.values()],
            "name_syllables": [syllable_pairs(p.norm) for p in parsed.values()],
        }
    ).sort_values("uid", ignore_index=True)
    keys = dict(zip(frame["uid"], frame["name_syllables"].str.split(), strict=True))
    assert set(keys["reg:1"]) & set(keys["cus:1"]) >= {"guofeng", "xinan"}
    rules = [r for r in choose_rules(frame) if r.name == "syllable_pairs"]
    pairs, _ = candidate_pairs(frame, rules, unique_sources=set())
    uids = frame["uid"].to_numpy()
    assert list(zip(uids[pairs["idx_l"]], uids[pairs["idx_r"]], strict=True)) == [
        ("cus:1", "reg:1")
    ]
    # one script only (Latin names; hanzi): the other rules find what the syllables would
    assert "syllable_pairs" not in [r.name for r in choose_rules(frame.iloc[:2])]
    assert "syllable_pairs" not in [r.name for r in choose_rules(frame.iloc[2:])]


words = st.sampled_from(["acme", "blue", "sky", "zeta", "co", "x", ""])
record = st.tuples(st.sampled_from("abc"), st.lists(words, max_size=3), st.sampled_from("pqr "))


def records_frame(rows: list[tuple[str, list[str], str]]) -> pd.DataFrame:
    """Features of drawn records (source, name words, phone), sorted by uid."""
    return pd.DataFrame(
        {
            "uid": [f"{s}:{i:03d}" for i, (s, _, _) in enumerate(rows)],
            "source": [s for s, _, _ in rows],
            "name_norm": [" ".join(w) or None for _, w, _ in rows],
            "phone_e164": [p.strip() or None for _, _, p in rows],
        }
    ).sort_values("uid", ignore_index=True)


@settings(max_examples=200, deadline=None)
@given(st.lists(record, max_size=25), st.integers(1, 6), st.booleans())
def test_pairs_equal_a_brute_force_union_on_random_records(rows, cap, unique_a) -> None:  # type: ignore[no-untyped-def]
    frame = records_frame(rows)
    rules = [
        BlockingRule("phone", ("phone_e164",), max_block_size=cap),
        BlockingRule("token", ("name_norm",), "tokens", min_length=2, max_block_size=cap),
        BlockingRule("near", ("name_norm",), "sorted_neighbourhood", window=3),
    ]
    unique = {"a"} if unique_a else set()
    pairs, report = candidate_pairs(frame, rules, unique_sources=unique)
    # the slow reference: every rule's pairs, then the first rule of each pair
    # keys are case-folded and single-spaced
    cleaned = frame.assign(
        name_norm=[" ".join((s or "").split()) or None for s in frame["name_norm"]]
    )
    live = cleaned.dropna(subset=["name_norm"]).sort_values(["name_norm", "uid"])
    ranked = live["uid"].tolist()
    near = {
        tuple(sorted(p))
        for i in range(len(ranked))
        for p in zip(ranked[i : i + 1] * 2, ranked[i + 1 : i + 3], strict=False)
    }
    # a phone block over the cap whose records hold at most ``cap`` distinct names is reduced:
    # the first record of each name meets the others', each record meets the next of its name
    name_of = [
        n if n is not None else f"\x00{u}"
        for n, u in zip(frame["name_norm"], frame["uid"], strict=True)
    ]
    reduced_pairs: set[tuple[str, str]] = set()
    for _, block in frame.groupby("phone_e164"):
        names = [name_of[i] for i in block.index]
        if len(block) > cap and len(set(names)) <= cap:
            firsts, last_of = [], {}
            for i, name in zip(block.index, names, strict=True):
                uid = frame.at[i, "uid"]
                if name in last_of:
                    reduced_pairs.add((last_of[name], uid))
                else:
                    firsts.append(uid)
                last_of[name] = uid
            reduced_pairs |= set(itertools.combinations(firsts, 2))
    expected: dict[tuple[str, str], str] = {}
    for (_, l), (_, r) in itertools.combinations(frame.iterrows(), 2):  # noqa: E741
        if l["source"] == r["source"] and l["source"] in unique:
            continue
        key = (l["uid"], r["uid"])
        phone = frame["phone_e164"].value_counts()
        tokens = lambda s: {t for t in (s or "").split() if len(t) >= 2}  # noqa: E731
        counts = pd.Series([t for s in frame["name_norm"] for t in tokens(s)]).value_counts()
        if (
            l["phone_e164"] and l["phone_e164"] == r["phone_e164"] and phone[l["phone_e164"]] <= cap
        ) or key in reduced_pairs:
            expected[key] = "phone"
        elif any(counts[t] <= cap for t in tokens(l["name_norm"]) & tokens(r["name_norm"])):
            expected[key] = "token"
        elif key in near:
            expected[key] = "near"
    got = dict(zip(zip(pairs["uid_l"], pairs["uid_r"], strict=True), pairs["rules"], strict=True))
    assert got == expected
    assert report.pairs_per_rule == {
        name: sum(v == name for v in expected.values()) for name in ("phone", "token", "near")
    }


@settings(max_examples=50, deadline=None)
@given(st.lists(record, max_size=25), st.integers(1, 4))
def test_pairs_made_in_small_chunks_equal_one_chunk(rows, chunk) -> None:  # type: ignore[no-untyped-def]
    frame = records_frame(rows)
    rules = [
        BlockingRule("phone", ("phone_e164",)),
        BlockingRule("token", ("name_norm",), "tokens"),
        BlockingRule("near", ("name_norm",), "sorted_neighbourhood", window=3),
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blocking_pairs, "CHUNK_PAIRS", chunk)
        small, small_report = candidate_pairs(frame, rules, unique_sources={"a"})
    whole, whole_report = candidate_pairs(frame, rules, unique_sources={"a"})
    pd.testing.assert_frame_equal(small, whole)
    assert small_report == whole_report
    assert whole.dtypes.astype(str).tolist() == ["object"] * 3 + ["int64"] * 2


def test_a_trade_name_meets_the_place_of_a_name_without_one() -> None:
    # 泰州市姜堰区饮食服务公司 (real) and a rendering that dropped the city, so that 姜堰 reads
    # as its trade name; its industry words are not the Chinese name's either
    from linkage.standardize import build_features

    names = ["Jiangyan Yinshi Company", "泰州市姜堰区饮食服务公司", "泰州市海陵区饮食服务公司"]
    records = pd.DataFrame(
        {
            "uid": [f"s:{i}" for i in range(3)],
            "source": "s",
            "record_id": [str(i) for i in range(3)],
            "name": names,
        }
    )
    f = build_features(records, workers=1)
    assert f["name_generic"].nunique() == 2 and f["name_core"].iloc[1] is None
    rules = [r for r in choose_rules(f) if r.name.startswith("head_")]
    assert [r.name for r in rules] == ["head_generic", "head_exact"]
    pairs, _ = candidate_pairs(f, rules, unique_sources=set())
    assert list(zip(pairs["uid_l"], pairs["uid_r"], strict=True)) == [("s:0", "s:1")]
