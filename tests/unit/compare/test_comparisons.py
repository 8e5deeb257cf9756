"""Comparison levels: vectorised computation equals a slow per-pair reference."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz
from rapidfuzz.distance import Indel, JaroWinkler, Levenshtein, Prefix

from linkage.compare import (
    AddressComparison,
    CompanyNameComparison,
    Comparison,
    DateComparison,
    ExactMatch,
    IdentifierComparison,
    JaroWinklerAtThresholds,
    LevenshteinAtThresholds,
    PhoneComparison,
    clean_text,
    compare_indexed,
    compare_pairs,
    comparison_from_dict,
)
from linkage.standardize.names import normalize_name


def split_name(name: str) -> tuple[str | None, str | None]:
    """``(core, generic)`` of a name, as the features give them."""
    parsed = normalize_name(name)
    return parsed.core, parsed.generic


def parsed_names(values: list[str]) -> pd.DataFrame:
    """The name features the comparison reads, as ``normalize_name`` gives them."""
    parsed = [normalize_name(v) for v in values]
    return pd.DataFrame(
        {
            "name_norm": [p.norm for p in parsed],
            "name_tokens": [" ".join(p.tokens) for p in parsed],
            "name_latin": [p.latin for p in parsed],
            "name_core": [p.core for p in parsed],
            "name_generic": [p.generic for p in parsed],
        }
    )


WORDS = [
    "acme", "acne", "huaxin", "hua xin", "blue", "sky", "trading", "科技", "华信", "",
    "phillips", "philips", "华星",
]  # fmt: skip
text = st.one_of(st.none(), st.lists(st.sampled_from(WORDS), max_size=3).map(" ".join))


def frame(values: list[str | None], column: str = "v") -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(values, dtype=object)})


def at_least(score: float, threshold: float, scale: float = 1.0) -> bool:
    """``score / scale >= threshold`` as the kernels test it: scores in float32 (so a
    similarity of 0.7999999999999999 is at 0.8)."""
    return bool(np.float32(score) / np.float32(scale) >= np.float32(threshold))


def slow_jw(a: str | None, b: str | None, thresholds: tuple[float, ...]) -> int:
    a, b = clean_text(a), clean_text(b)
    if a is None or b is None:
        return -1
    top = len(thresholds) + 1
    if a == b:
        return top
    sim = JaroWinkler.normalized_similarity(a, b)
    for i, t in enumerate(thresholds):
        if at_least(sim, t):
            return top - 1 - i
    return 0


def slow_lev(a: str | None, b: str | None, thresholds: tuple[int, ...]) -> int:
    a, b = clean_text(a), clean_text(b)
    if a is None or b is None:
        return -1
    top = len(thresholds) + 1
    if a == b:
        return top
    d = Levenshtein.distance(a, b)
    for i, t in enumerate(thresholds):
        if d <= t:
            return top - 1 - i
    return 0


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(text, text), min_size=1, max_size=30))
def test_string_levels_equal_slow_reference(pairs: list[tuple[str | None, str | None]]) -> None:
    left = frame([a for a, _ in pairs])
    right = frame([b for _, b in pairs])
    jw = JaroWinklerAtThresholds("v", (0.92, 0.8)).compare(left, right)
    assert list(jw) == [slow_jw(a, b, (0.92, 0.8)) for a, b in pairs]
    lev = LevenshteinAtThresholds("v", (1, 2)).compare(left, right)
    assert list(lev) == [slow_lev(a, b, (1, 2)) for a, b in pairs]
    exact = ExactMatch("v").compare(left, right)
    expected = [
        -1
        if clean_text(a) is None or clean_text(b) is None
        else int(clean_text(a) == clean_text(b))
        for a, b in pairs
    ]
    assert list(exact) == expected


def slow_name(a: str | None, b: str | None, c: CompanyNameComparison) -> int:
    if not a or not b:
        return -1
    if a == b:
        return 9
    la, lb = a.replace(" ", ""), b.replace(" ", "")
    if la == lb:
        return 8
    (ca, ga), (cb, gb) = split_name(a), split_name(b)
    wa, wb = set((ga or "").split()), set((gb or "").split())
    cjk_a, cjk_b = bool(re.search("[\u3400-\u9fff]", a)), bool(re.search("[\u3400-\u9fff]", b))
    conflict = bool(wa) and bool(wb) and not (wa <= wb or wb <= wa)
    conflict = conflict and (cjk_a == cjk_b or not wa & wb)
    both, other = bool(ca and cb), bool(ca and cb and ca != cb)
    shared = Prefix.similarity(ca, cb) if both else 0
    prefix = other and shared >= 4 and shared >= min(len(ca), len(cb))
    if prefix and cjk_a and cjk_b and abs(len(ca) - len(cb)) >= 4:
        short_generic, long_generic = (wa, wb) if len(ca) < len(cb) else (wb, wa)
        if short_generic and not long_generic:  # the longer trade name runs on: an industry
            conflict, prefix = True, False
    only_a, only_b = set(a.split()) - set(b.split()), set(b.split()) - set(a.split())
    typo = (
        other
        and not prefix
        and not (cjk_a or cjk_b)
        and min(len(ca), len(cb)) >= 6
        and at_least(Indel.normalized_similarity(ca, cb), c.typo_threshold)
        and len(only_a) == len(only_b) == 1
        and min(len(w) for w in (*only_a, *only_b)) >= 5
        and Indel.normalized_similarity(*only_a, *only_b) >= 0.8
    )
    alike = prefix or typo
    jw = JaroWinkler.normalized_similarity(la, lb)
    similar = at_least(fuzz.token_set_ratio(a, b), c.token_threshold, 100.0) or at_least(
        jw, c.jw_thresholds[0]
    )
    inside = other and (ca in cb or cb in ca)
    cjk = cjk_a or cjk_b
    words_a, words_b = set(a.split()), set(b.split())
    small, large = (words_a, words_b) if len(words_a) <= len(words_b) else (words_b, words_a)
    words_inside = similar and not cjk and len(small) >= 2 and small <= large
    known_apart = other and not alike and not (((similar or cjk) and inside) or words_inside)
    apart = known_apart or conflict
    if cjk_a and cjk_b and apart:
        return 0
    if both:
        if ca == cb and not conflict:
            return 7
        if alike and not conflict:
            return 6
        if ca == cb:
            return 5
    apart_cjk = apart and (cjk_a or cjk_b)
    if similar and not known_apart and not apart_cjk:
        return 4
    if (similar or at_least(jw, c.jw_thresholds[-1])) and not apart_cjk:
        return 3
    ta, tb = a.split(), b.split()
    acr_a = "".join(t[0] for t in ta) if len(ta) > 1 and all(t[0].isascii() for t in ta) else None
    acr_b = "".join(t[0] for t in tb) if len(tb) > 1 and all(t[0].isascii() for t in tb) else None
    if (acr_a and acr_a == lb) or (acr_b and acr_b == la):
        return 2
    return 1


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(text, text), min_size=1, max_size=30))
def test_company_name_levels_equal_slow_reference(
    pairs: list[tuple[str | None, str | None]],
) -> None:
    def features(names: list[str | None]) -> pd.DataFrame:
        names = [" ".join(n.split()) if n else None for n in names]
        parts = [split_name(n) if n else (None, None) for n in names]
        return pd.DataFrame(
            {
                "name_norm": pd.Series(names, dtype=object),
                "name_tokens": pd.Series(names, dtype=object),
                "name_latin": pd.Series(
                    [n.replace(" ", "") if n else None for n in names], dtype=object
                ),
                "name_core": pd.Series([p[0] for p in parts], dtype=object),
                "name_generic": pd.Series([p[1] for p in parts], dtype=object),
            }
        )

    c = CompanyNameComparison()
    got = c.compare(features([a for a, _ in pairs]), features([b for _, b in pairs]))
    norm = [
        (" ".join(a.split()) or None if a else None, " ".join(b.split()) or None if b else None)
        for a, b in pairs
    ]
    assert list(got) == [slow_name(a, b, c) for a, b in norm]


def test_namesakes_in_one_city_and_industry_are_told_apart() -> None:
    names = [
        ("shanghai xunhong environmental technology", "shanghai junjun environmental technology"),
        ("上海 迅鸿 科技", "shanghai xunhong technology"),
        ("shanghai xunhong technology", "shanghai xunhong trading"),
        ("上海 迅鸿 科技", "上海 俊俊 科技"),  # two Chinese names, two trade names: two firms
        ("上海 迅鸿 科技", "上海 迅鸿 贸易"),  # a sister firm of another industry
        ("上海 迅鸿 科技", "迅鸿 科技"),  # the short name of the same firm
        ("electronics konink phillips", "electronics konink philips"),  # a misspelling
        ("applicant aa holding", "applicant ab holding"),  # another firm
        ("shanghai technology", "shanghai technologies"),  # no trade name: place and industry
        ("上海 电子", "上海 电子 科技"),  # no trade name, an industry inside the other
    ]

    def features(values: list[str]) -> pd.DataFrame:
        parts = [split_name(v) for v in values]
        return pd.DataFrame(
            {
                "name_norm": values,
                "name_tokens": values,
                "name_latin": [v.replace(" ", "") for v in values],
                "name_core": [p[0] for p in parts],
                "name_generic": [p[1] for p in parts],
                "name_place": ["shanghai"] * len(values),
            }
        )

    c = CompanyNameComparison()
    got = c.compare(features([a for a, _ in names]), features([b for _, b in names]))
    assert list(got) == [3, 7, 5, 0, 0, 7, 6, 3, 7, 4]


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(text, text), min_size=1, max_size=20))
def test_levels_are_symmetric(pairs: list[tuple[str | None, str | None]]) -> None:
    left = frame([a for a, _ in pairs])
    right = frame([b for _, b in pairs])
    for c in (JaroWinklerAtThresholds("v"), LevenshteinAtThresholds("v"), ExactMatch("v")):
        assert list(c.compare(left, right)) == list(c.compare(right, left))


def test_identifier_levels() -> None:
    rows = pd.DataFrame(
        {
            "id_keys": ["uscc:A cn_org:X", "cn_org:X", "uscc:B", "", "", "lei:L"],
            "id_auto": ["A", "X", "B", "bad", None, "L"],
        }
    )
    c = IdentifierComparison()
    prep = c.prepare(rows)
    from linkage.compare import gather

    left = gather(prep, np.array([0, 0, 0, 3, 4, 5]))
    right = gather(prep, np.array([1, 2, 3, 5, 1, 2]))
    got = list(c.compute(left, right))
    # shared org code; same scheme, different; one invalid; invalid vs valid; missing; other scheme
    assert got == [2, 0, 1, 1, -1, -1]
    assert next(lv.label for lv in c.levels()) == "null"


def test_identifier_presence_from_standardised_columns() -> None:
    """A standardised table says which raw identifiers are present by their compact form,
    as the raw column does (blank and missing ones are absent)."""
    from linkage.standardize.features import build_features

    raw = pd.DataFrame(
        {
            "uid": [f"u{i}" for i in range(6)],
            "source": "s",
            "record_id": [str(i) for i in range(6)],
            "id_uscc": ["91110000600037341L", "bad", "  ", None, "-", "91110000600037341l"],
        }
    )
    features = build_features(raw, workers=1)
    c = IdentifierComparison()
    standardised = c.prepare(features)
    raw_only = c.prepare(features[["id_keys", "id_uscc"]])
    assert list(standardised["invalid"]) == list(raw_only["invalid"])
    assert list(standardised["invalid"]) == [False, True, False, False, True, False]


def test_dates_phones_addresses() -> None:
    dates = DateComparison("d").compare(
        frame(["1990-01-02", "19900102", "1990-01-02", "1990-01-02", None], "d"),
        frame(["1990-01-02", "19900120", "1990-03-02", "2001-05-05", "x"], "d"),
    )
    assert list(dates) == [3, 2, 2, 0, -1]
    phones = PhoneComparison("p").compare(
        frame(["+8613800000000", "+8613800000000", "+12025550100"], "p"),
        frame(["+8613800000000", "+8613900000000", "+12025550199"], "p"),
    )
    assert list(phones) == [2, 1, 0]
    addr = AddressComparison("a", "z").compare(
        pd.DataFrame({"a": ["1 main st", "1 main st", None, "x"], "z": ["1", "1", "2", None]}),
        pd.DataFrame({"a": ["1 main st", "main st 1", "y", "q"], "z": ["9", "9", "2", None]}),
    )
    assert list(addr) == [5, 4, 1, 0]
    numbered = AddressComparison("a", None, numbers="n").compare(
        pd.DataFrame(
            {
                "a": ["广州市迎宾大道944号2604室", "广州市迎宾大道944号", "x"],
                "n": ["944 2604", "944", None],
            }
        ),
        pd.DataFrame(
            {
                "a": ["room 2604 944 yingbin avenue", "12 yingbin avenue", "y"],
                "n": ["944 2604", "12", None],
            }
        ),
    )
    # across scripts only the numbers compare; no numbers on a side -> null
    assert list(numbered) == [1, 0, 0]


@pytest.mark.parametrize(
    "comparison",
    [
        CompanyNameComparison(),
        JaroWinklerAtThresholds("given_name", (0.9,)),
        LevenshteinAtThresholds("soc", (1,)),
        DateComparison("dob", max_days=30),
        IdentifierComparison(),
        AddressComparison(postcode=None),
        PhoneComparison(),
        PhoneComparison(address="address"),
    ],
)
def test_round_trip_and_levels_are_ordered(comparison: Comparison) -> None:
    assert comparison_from_dict(comparison.to_dict()) == comparison
    levels = comparison.levels()
    assert levels[0].is_null and levels[-1].value == 0
    values = [lv.value for lv in levels[1:]]
    assert values == sorted(values, reverse=True) == list(range(len(values) - 1, -1, -1))


def test_a_phone_shared_at_another_address_says_nothing() -> None:
    # real records (Chicago early-childhood lists): one organisation's line at two of its
    # sites, and at one site written two ways
    features = pd.DataFrame(
        {
            "address_norm": [
                "212 south francisco avenue", "2114 west 22nd place",
                "1312 south racine avenue", "1312 south racine ave", "2114 west 22nd place",
            ],
            "address_numbers": ["212", "2114", "1312", "1312", "2114"],
            "phone_e164": ["+17227440", "+17227440", "+17466024", "+17466024", "+19990000"],
        }
    )  # fmt: skip
    pairs = pd.DataFrame({"idx_l": [0, 2, 0], "idx_r": [1, 3, 4]})
    address = AddressComparison(postcode=None, number_conflict=True, tf_adjust=False)
    phone = PhoneComparison(tf_adjust=True, address="address")
    out = compare_pairs(features, pairs, [address, phone])
    assert out["address_level"].tolist() == [0, 3, 0]
    # another address: the shared number is voided, a different number still counts against
    assert out["phone_level"].tolist() == [-1, 2, 0]
    assert np.isnan(out["phone_tf"].iat[0]) and not np.isnan(out["phone_tf"].iat[1])
    assert phone.label_of(-1) == "null, or the same number at another address"
    # without the address comparison in the run, nothing is voided; u's random pairs see
    # the agreement as it is (compare_indexed(void=False))
    assert compare_pairs(features, pairs, [phone])["phone_level"].tolist() == [2, 2, 0]
    prepared = [address.prepare(features), phone.prepare(features)]
    one = np.array([0]), np.array([1])
    levels, _ = compare_indexed([address, phone], prepared, *one, void=False)
    assert levels.tolist() == [[0, 2]]


def test_compare_pairs_and_recordlinkage_adapter() -> None:
    import recordlinkage

    features = pd.DataFrame({"v": ["acme", "acme", "acne", None]})
    pairs = pd.DataFrame({"idx_l": [0, 0, 0], "idx_r": [1, 2, 3]})
    out = compare_pairs(features, pairs, [JaroWinklerAtThresholds("v", (0.8,))], chunk_size=2)
    assert out["v_level"].tolist() == [2, 1, -1]
    index = pd.MultiIndex.from_arrays([[0, 0, 0], [1, 2, 3]])
    compare = recordlinkage.Compare()
    compare.add(JaroWinklerAtThresholds("v", (0.8,)).as_recordlinkage())
    vectors = compare.compute(index, features)
    assert vectors["v"].tolist() == [2, 1, -1]


def test_address_house_numbers_differ_level() -> None:
    comparison = AddressComparison("a", "z", numbers="n", number_conflict=True, tf_adjust=False)
    assert comparison_from_dict(comparison.to_dict()) == comparison
    assert comparison.tf_levels == {}
    assert comparison.label_of(0) == "else, or no house number shared"
    levels = comparison.compare(
        pd.DataFrame(
            {
                "a": ["5745 west division street", "1001 west roosevelt road 606", "9 a st"],
                "z": ["60651", "60607", "1"],
                "n": ["5745", "606 1001", "9"],
            }
        ),
        pd.DataFrame(
            {
                "a": ["5654 west division street", "1001 west roosevelt road", "9 a st"],
                "z": ["60651", "60607", "1"],
                "n": ["5654", "1001", "9"],
            }
        ),
    )
    # similar street and same postcode, but no number shared -> "else"
    assert list(levels) == [0, comparison._top() - 1, comparison._top()]


def test_address_numbers_across_scripts() -> None:
    """A Chinese address and its English rendering meet on their numbers only: the same ones,
    some shared (a rendering that left one out: not comparable), or none shared."""
    comparison = AddressComparison(postcode=None, number_conflict=True, tf_adjust=False)
    zh = "南京市栖霞区仙林大学城纬地路9号593室"
    english = [
        "room 593 9 lindaxuechengweidi road nanjing",
        "room 593 building 6 9 lindaxuechengweidi road nanjing",
        "room 27 12 zhongshan road nanjing",
    ]
    left = pd.DataFrame({"address_norm": [zh] * 3, "address_numbers": ["9 593"] * 3})
    right = pd.DataFrame(
        {"address_norm": english, "address_numbers": ["9 593", "6 9 593", "12 27"]}
    )
    same_numbers = comparison._top() - 1 - len(comparison.thresholds)
    assert list(comparison.compare(left, right)) == [same_numbers, -1, 0]  # -1: null


def test_a_chinese_trade_name_running_on_names_another_industry() -> None:
    """元上 with a known industry and 元上经济协作 (an industry the tables lack) are two
    registrations of the province's register; a shortened Latin name is not held against."""

    pairs = [
        ("宜兴市元上供销合作社", "宜兴市元上经济协作公司"),  # Jiangsu register: two firms
        ("常州东青工业搪瓷有限公司", "常州东青胶布有限公司"),  # Jiangsu register: two firms
        ("宜兴市元上供销合作社", "宜兴市元上供销有限公司"),  # one trade name, one industry
        ("Acme Trading", "Acme Trading Holdings Europe"),  # Latin names are not read so
        ("Catholic Charities-Grace Mission", "Catholic Charities of Chicago - Grace Mission"),
    ]
    c = CompanyNameComparison()
    got = c.compare(parsed_names([a for a, _ in pairs]), parsed_names([b for _, b in pairs]))
    assert list(got[:2]) == [0, 0]
    assert got[2] >= 7 and got[3] >= 4
    assert got[4] == 4  # one name inside the other, word by word


def test_industries_across_scripts_conflict_exactly_when_they_share_no_word() -> None:
    """A rendering of a chemical machinery plant and a supply co-operative of one town share
    the trade name only (堰桥, real Jiangsu firms). Industry words are compared as sets: when
    they were hashed into 63 bits, "supply" and "dyeing" took one bit and the two read as
    one firm."""

    rendering = "Wuxi Shi Yanqiao Jiedao Chemical Dyeing & Finishing Machinery Plant"
    pairs = [
        (rendering, "无锡市堰桥供销合作社"),  # supply and marketing: another industry
        (rendering, "无锡市堰桥化工染整设备厂"),  # chemical dyeing equipment: the same firm
    ]
    c = CompanyNameComparison()
    got = c.compare(parsed_names([a for a, _ in pairs]), parsed_names([b for _, b in pairs]))
    assert list(got) == [5, 7]


def test_translations_of_one_industry_word_do_not_conflict_across_scripts() -> None:
    """设备 is rendered Equipment or Machinery (real Jiangsu firm and a rendering of it); two
    Chinese registrations, one 机械 and one 设备, stay two firms."""

    pairs = [
        ("Changzhoushi Haihuachechuan Machinery Fty", "常州海华车船设备厂"),
        ("常州海华车船机械厂", "常州海华车船设备厂"),
    ]
    c = CompanyNameComparison()
    got = c.compare(parsed_names([a for a, _ in pairs]), parsed_names([b for _, b in pairs]))
    assert list(got) == [7, 0]


def test_a_place_read_as_the_trade_name_meets_the_name_without_one() -> None:
    """The automatic name comparison reads ``name_head``: the trade name, or the most
    specific place of a name without one (泰州市姜堰区饮食服务公司, real, and a rendering that
    dropped the city and so read 姜堰 as the trade name, as a Chinese name would)."""
    from linkage.compare import choose_comparisons
    from linkage.standardize import build_features

    names = ["Jiangyan Yinshi Fuwu Company", "泰州市姜堰区饮食服务公司"]
    records = pd.DataFrame(
        {"uid": ["s:0", "s:1"], "source": "s", "record_id": ["0", "1"], "name": names}
    )
    f = build_features(records, workers=1)
    c = next(c for c in choose_comparisons(f) if isinstance(c, CompanyNameComparison))
    assert c.core == "name_head"
    assert list(c.compare(f.iloc[[0]], f.iloc[[1]])) == [7]
    assert list(CompanyNameComparison().compare(f.iloc[[0]], f.iloc[[1]])) == [1]
