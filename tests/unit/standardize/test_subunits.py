"""Sub-units: branches, sub-branches, offices and numbered stores are their own entities."""

from __future__ import annotations

import pytest

from linkage.standardize import normalize_name
from linkage.standardize.numerals import chinese_number
from linkage.standardize.subunits import keys_alike, names_unit


@pytest.mark.parametrize(
    ("left", "right", "parent", "keys"),
    [
        ("南京银行股份有限公司洪武支行", "南京银行股份有限公司钟山支行", "南京银行",
         ("hongwu", "zhongshan")),
        ("中国邮政集团公司江苏省如东县分公司古坝支局",
         "中国邮政集团公司江苏省如东县分公司饮泉支局",
         "中国邮政集团公司江苏如东分公司", ("guba", "yinquan")),
        ("南京贤丰石油化工有限公司银桥分公司", "南京贤丰石油化工有限公司金桥分公司",
         "南京贤丰石油化工", ("yinqiao", "jinqiao")),
    ],
)  # fmt: skip
def test_siblings_share_the_parent_and_differ_by_unit(
    left: str, right: str, parent: str, keys: tuple[str, str]
) -> None:
    a, b = normalize_name(left), normalize_name(right)
    assert a.is_branch and b.is_branch
    assert a.parent == b.parent == parent
    assert (a.unit_key, b.unit_key) == keys
    assert len({a.norm, b.norm, parent}) == 3  # a unit is neither its sibling nor its parent


def test_a_unit_is_never_its_parent() -> None:
    parent = normalize_name("南京银行股份有限公司")
    unit = normalize_name("南京银行股份有限公司洪武支行")
    assert not parent.is_branch and parent.unit_key is None
    assert unit.parent == parent.norm != unit.norm


def test_nested_units_keep_the_innermost_as_the_unit() -> None:
    parsed = normalize_name("中国邮政集团公司江苏省如东县分公司古坝支局")
    assert (parsed.unit, parsed.unit_key) == ("古坝支局", "guba")
    assert parsed.place_path == "jiangsu nantong rudong"
    outer = normalize_name("中国邮政集团公司江苏省如东县分公司")
    assert (outer.unit_key, outer.branch_place, outer.parent) == (
        "rudong",
        "rudong",
        "中国邮政集团",
    )


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("南京天龙综合经营公司第三门市部", "3"),
        ("南京天龙综合经营公司第3门市部", "3"),
        ("南京天龙综合经营公司第一百零一门市部", "101"),
        ("湖熟中心供销合作社周岗第一百货门市部", "1 department store zhougang"),  # 第一 + 百货
        ("江苏武进建工集团有限公司八分公司", "8"),
        ("常州市武进食品总公司郑陆分公司", "zhenglu"),  # a town of Wujin
        ("中国银行股份有限公司泰州济川路支行", "jichuanlu"),  # a road, not the town 济川
        ("中国工商银行股份有限公司南京溧水经济开发区支行", "economiczone lishui"),
        ("华为技术有限公司北京分公司", "beijing"),
    ],
)
def test_unit_keys(name: str, key: str) -> None:
    parsed = normalize_name(name)
    assert parsed.is_branch
    assert parsed.unit_key == key


@pytest.mark.parametrize(
    "name",
    ["海门市服装门市部", "苏州市新区加油站", "江苏悦达集团纺织有限公司", "南京市中山饭店"],
)
def test_unit_words_of_a_firm_itself_make_no_unit(name: str) -> None:
    parsed = normalize_name(name)
    assert not parsed.is_branch
    assert parsed.unit_key is None and parsed.parent is None


def test_a_weak_unit_word_needs_a_complete_organisation_before_it() -> None:
    assert normalize_name("南京天龙综合经营公司新门口经营部").unit_key == "xinmenkou"
    assert not normalize_name("南京天龙新门口经营部").is_branch


def test_a_subsidiary_named_after_its_parent_company() -> None:
    zh = normalize_name("江苏盐阜公路运输集团有限公司劳动服务公司")
    latin = normalize_name("Jiangsu Yanfu Highway Transport Group Co., Ltd. Labour Service Company")
    assert zh.is_branch and latin.is_branch
    assert zh.unit_key == latin.unit_key == "labor service"
    assert zh.core == latin.core == "yanfu"


@pytest.mark.parametrize(
    ("chinese", "renderings"),
    [
        ("南京银行股份有限公司洪武支行", [
            "Bank of Nanjing Co., Ltd. Hongwu Sub-branch",
            "Bank of Nanjing Hongwu Sub-Branch",
            "Nanjing Bank Co Ltd Hongwu Branch",
        ]),
        ("南京贤丰石油化工有限公司银桥分公司", [
            "Nanjing Xianfeng Petrochemical Co., Ltd. Yinqiao Branch",
            "Nanjing Xianfeng Shiyou Huagong Co Ltd Yinqiao Branch",
            "Xianfeng Petrochemical Co Ltd (Nanjing) Yinqiao Branch",
        ]),
        ("南京天龙综合经营公司第三门市部", [
            "Nanjing Tianlong General Business Co. No. 3 Store",
            "Nanjing Tianlong Zonghe Jingying Company Store No. 3",
            "Nanjing Tianlong General Business Company Third Store",
        ]),
        ("中国邮政集团公司江苏省如东县分公司古坝支局", [
            "China Post Group Corporation Jiangsu Rudong Branch Guba Sub-office",
            "China Post Group Co Jiangsu Province Rudong County Branch Guba Post Office",
        ]),
        ("中国农业银行股份有限公司宜兴城西支行", [
            "Agricultural Bank of China Co., Ltd. Yixing Chengxi Sub-branch",
            "Agricultural Bank of China Chengxi Sub-branch",
        ]),
        ("中国银行股份有限公司泰州济川路支行", ["Bank of China Taizhou Jichuan Road Sub-branch"]),
        ("中国工商银行股份有限公司南京溧水经济开发区支行", [
            "Industrial and Commercial Bank of China Nanjing Lishui Economic Development Zone"
            " Sub-branch",
        ]),
    ],
)  # fmt: skip
def test_unit_keys_agree_across_scripts(chinese: str, renderings: list[str]) -> None:
    zh = normalize_name(chinese)
    for rendering in renderings:
        latin = normalize_name(rendering)
        assert latin.is_branch, rendering
        assert latin.unit_key == zh.unit_key, rendering
        assert latin.core == zh.core, rendering


@pytest.mark.parametrize(
    ("chinese", "latin", "alike"),
    [
        ("beilu", "beilumonopoly", True),  # 中山北路专卖店 / Zhongshanbeilu Monopoly Store
        ("teyue", "repair zongzhuangftyteyue", True),
        ("agricultural liliu materials", "agriculture liliuinputs", True),
        ("hongwu", "zhongshan", False),  # 洪武支行 / Zhongshan Sub-branch
        ("agricultural materials", "agriculture material", False),  # industry words only
        ("3 lianhe", "4 lianhe", False),  # another ordinal
    ],
)
def test_unit_keys_alike_across_scripts(chinese: str, latin: str, alike: bool) -> None:
    assert keys_alike(chinese, latin) is alike


@pytest.mark.parametrize(
    ("branch", "other", "named"),
    [
        ("Chicago Commons Association - Nia Family Center", "Chicago Commons Nia Family", True),
        ("Marcy Newberry Association - Marcy Center", "Marcy Newberry Marcy Center", True),
        ("Marcy Newberry Association Newberry Center", "Marcy Newberry Association", False),
        ("Chicago Commons Association - Nia Family Center", "Chicago Commons Association", False),
        ("Acme Co Ltd Store No 3", "Acme Store 4", False),  # another ordinal
    ],
)
def test_a_name_without_a_unit_may_name_one(branch: str, other: str, named: bool) -> None:
    unit = normalize_name(branch)
    assert unit.is_branch and not normalize_name(other).is_branch
    assert names_unit(unit.unit_key, unit.parent, normalize_name(other).latin) is named


def test_latin_units() -> None:
    parsed = normalize_name("Acme Trading Co Ltd Shanghai Representative Office")
    assert (parsed.is_branch, parsed.unit_key, parsed.parent) == (True, "shanghai", "acme trading")
    assert not normalize_name("Acme Home Office").is_branch  # no complete organisation before
    assert not normalize_name("Office Depot").is_branch
    assert not normalize_name("The Workshop Ltd").is_branch


def test_sub_unit_norms_parse_back_to_the_same_unit() -> None:
    for name in (
        "南京天龙综合经营公司第三门市部",
        "中国邮政集团公司江苏省如东县分公司古坝支局",
        "XX Co Ltd No. 3 Store",
        "Nanjing Xianfeng Petrochemical Co., Ltd. Yinqiao Branch",
    ):
        parsed = normalize_name(name)
        again = normalize_name(parsed.norm)
        assert (again.norm, again.unit_key, again.parent) == (
            parsed.norm,
            parsed.unit_key,
            parsed.parent,
        )


@pytest.mark.parametrize(
    ("text", "number"),
    [("三", 3), ("十", 10), ("十二", 12), ("二十一", 21), ("一百零五", 105), ("两", 2), ("12", 12)],
)
def test_chinese_numbers(text: str, number: int) -> None:
    assert chinese_number(text) == number
