"""The word tables (industry terms, organisation nouns, sub-units) and the pinyin syllables."""

from __future__ import annotations

import pytest

from linkage.standardize import chinese
from linkage.standardize.pinyin import is_pinyin, segment, syllable_count
from linkage.standardize.text import fold_tokens
from linkage.standardize.vocabulary import industry, org_forms, unit_words


def test_industry_table_is_large_and_consistent() -> None:
    table = industry()
    assert len(table.zh) >= 700
    for english in set(table.zh.values()):  # a canonical rendering reads back as itself
        assert table.latin[tuple(fold_tokens(english))] == english


@pytest.mark.parametrize(
    "name",
    ["色织", "防腐材料", "饭店", "信息咨询", "医药", "建筑工程", "物资", "电子", "控股", "石油化工",
     "设备制造", "服装", "机械", "纺织", "印染", "五金", "化工", "塑料", "农机", "建材"],
)  # fmt: skip
def test_industry_words_of_real_names_are_known(name: str) -> None:
    trade, terms = chinese.split_industry(f"华星{name}")
    assert (trade, "".join(terms)) == ("华星", name)


@pytest.mark.parametrize(
    "rendering", ["Technology", "Tech", "Science and Technology", "Sci-Tech", "S&T", "keji"]
)
def test_renderings_of_one_industry_word_agree(rendering: str) -> None:
    tokens = fold_tokens(rendering)
    table = industry()
    found = table.pinyin.get("".join(tokens)) or table.latin.get(tuple(tokens))
    assert found == table.zh["科技"] == "technology"


@pytest.mark.parametrize(
    "word",
    ["分公司", "分厂", "分店", "支行", "分行", "分理处", "储蓄所", "营业部", "营业所",
     "门市部", "经营部", "连锁店", "专卖店", "加油站", "报刊亭", "支局", "办事处", "服务站",
     "车间", "代表处"],
)  # fmt: skip
def test_sub_unit_words(word: str) -> None:
    assert word in unit_words().table.zh


def test_branch_words_are_the_strong_ones() -> None:
    words = unit_words()
    assert {"分公司", "支行", "分行", "分理处", "分店", "分厂", "支局", "办事处"} <= words.branch
    assert "门市部" not in words.branch
    assert ("sub", "branch") in words.strong_latin and ("office",) not in words.strong_latin
    assert org_forms().zh["厂"] == "factory"


@pytest.mark.parametrize(
    ("word", "syllables"),
    [("donghaishihua", 4), ("xianglan", 2), ("xian", 1), ("jingjiang", 2), ("lv", 1)],
)
def test_pinyin_words_and_their_syllables(word: str, syllables: int) -> None:
    assert is_pinyin(word)
    assert syllable_count(word) == syllables
    assert len(segment(word)) == syllables and "".join(segment(word)) == word


@pytest.mark.parametrize("word", ["alpha", "technology", "london", "", "x1", "shenzhen1"])
def test_other_words_are_not_pinyin(word: str) -> None:
    assert not is_pinyin(word)
    assert segment(word) == ()
