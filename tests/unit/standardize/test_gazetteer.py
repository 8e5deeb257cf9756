"""The Chinese gazetteer: lookups by text and Latin, level words, nesting, paths."""

from __future__ import annotations

from functools import partial
from importlib import resources

import pytest

from linkage.standardize import place_chain
from linkage.standardize.gazetteer import COUNTY, PREFECTURE, gazetteer


def _chain(text: str) -> list[place_chain.Step]:
    return place_chain.walk(partial(gazetteer().match, text), 0)


def _latin_chain(text: str) -> list[place_chain.Step]:
    return place_chain.walk(partial(gazetteer().latin_match, text.split()), 0)


def test_table_is_small_and_parents_come_first() -> None:
    path = resources.files("linkage.standardize") / "data" / "gazetteer_cn.csv"
    assert len(path.read_bytes()) < 2_000_000
    places = gazetteer().places
    assert len(places) > 40_000  # towns and streets of all China, not only big cities
    assert all(
        p.parent < p.id and places[p.parent].depth < p.depth for p in places[1:] if p.parent >= 0
    )


@pytest.mark.parametrize("written", ["吴江县", "吴江市", "吴江区", "吴江"])
def test_level_words_of_any_era_find_one_county(written: str) -> None:
    steps = _chain(f"江苏省苏州市{written}华信")
    assert place_chain.latin_path(steps) == "jiangsu suzhou wujiang"
    assert steps[-1].end == len(f"江苏省苏州市{written}")


def test_renamed_place_is_found_by_its_former_name() -> None:
    assert place_chain.latin_path(_chain("襄樊市")) == "hubei xiangyang"


@pytest.mark.parametrize(
    ("chinese", "latin"),
    [("苏州市金阊区天和", "Suzhou City Jinchang District Tianhe"),
     ("苏州市平江区机电", "Suzhou City Pingjiang District M&E")],
)  # fmt: skip
def test_a_former_district_is_read_as_the_street_named_after_it(chinese: str, latin: str) -> None:
    # 金阊区 and 平江区 merged into 姑苏区 in 2012; their streets keep the names
    steps, latin_steps = (
        _chain(chinese),
        _latin_chain(latin.lower().replace(".", "").replace("&", "")),
    )
    assert place_chain.latin_path(steps) == place_chain.latin_path(latin_steps)
    assert place_chain.latin_path(steps).startswith("jiangsu suzhou gusu ")
    assert chinese[steps[-1].end - 1] == "区"  # the level word is the place's, not the trade's
    assert latin_steps[-1].end == 4  # after "district"


@pytest.mark.parametrize("name", ["南京玄武", "江苏省南京市玄武区", "南京市玄武区", "江苏南京玄武"])
def test_path_is_completed_from_the_gazetteer(name: str) -> None:
    assert place_chain.latin_path(_chain(name)) == "jiangsu nanjing xuanwu"


def test_later_places_must_lie_inside_earlier_ones() -> None:
    assert place_chain.latin_path(_chain("连云港东海")) == "jiangsu lianyungang donghai"
    assert place_chain.latin_path(_chain("玉环县东海")) == "zhejiang taizhou yuhuan"  # not inside


def test_a_bare_town_needs_a_place_around_it() -> None:
    assert _chain("羊尖兴达") == []  # a town name alone may be a trade name
    assert place_chain.latin_path(_chain("无锡羊尖")) == "jiangsu wuxi xishan yangjian"
    assert _chain("安徽省羊尖") == _chain("安徽省")  # a bare town name skips one level at most


def test_shared_names_stay_ambiguous_until_narrowed() -> None:
    assert place_chain.latin_path(_chain("鼓楼区")) is None  # Nanjing, Xuzhou, Fuzhou, Kaifeng
    assert place_chain.latin_path(_chain("徐州市鼓楼区")) == "jiangsu xuzhou gulou"


def test_conventional_spellings_only_for_provinces_and_cities() -> None:
    places = gazetteer()
    assert places.places[_chain("陕西")[-1].ids[0]].latin == "shaanxi"
    assert place_chain.latin_path(_chain("常州市新北区")) == "jiangsu changzhou xinbei"
    assert places.places[_chain("新北市")[-1].ids[0]].depth == PREFECTURE


@pytest.mark.parametrize(
    "text",
    ["rudong county", "rudong xian", "rudong", "nantong rudong", "jiangsu province rudong county"],
)
def test_latin_names_and_level_words(text: str) -> None:
    assert place_chain.latin_path(_latin_chain(f"{text} huaxin")) == "jiangsu nantong rudong"


def test_latin_name_spelt_over_several_tokens() -> None:
    steps = _latin_chain("zhang jia gang huaxin")
    assert place_chain.latin_path(steps) == "jiangsu suzhou zhangjiagang"
    assert steps[-1].end == 3


def test_one_syllable_latin_names_only_for_cities() -> None:
    matches = gazetteer().latin_match(["xiang", "lan"], 0)
    assert [m.end for m in matches] == [2]  # 香兰 (a town), not a town xi'ang + lan
    assert gazetteer().places[_latin_chain("xian")[-1].ids[0]].depth <= PREFECTURE  # Xi'an
    assert all(gazetteer().places[i].depth <= COUNTY for i in _latin_chain("jingjiang")[-1].ids)
