"""The anatomy of real Chinese registered names, and their Latin renderings meeting them.

Each case is a failure class found on real registrations (names typed from the Jiangsu
registry): places at every level, trade names that look like places, names without a trade
name, sister firms, and the agencies' renderings (pinyin grouped or run together, translated).
"""

from __future__ import annotations

import pytest

from linkage.standardize import CompanyName, normalize_name
from linkage.standardize.anatomy_checks import paths_compatible


def _subset(a: str | None, b: str | None) -> bool:
    """One industry description holds the other (the comparisons' no-conflict test)."""
    left, right = set((a or "").split()), set((b or "").split())
    return left <= right or right <= left


@pytest.mark.parametrize(
    ("name", "places", "trade", "industry", "path"),
    [
        ("靖江市香兰色织有限公司", ("jingjiang",), "香兰", ("yarn dyed",),
         "jiangsu taizhou jingjiang"),
        ("连云港东海小松原饭店有限公司", ("lianyungang", "donghai"), "小松原",
         ("hotel restaurant",), "jiangsu lianyungang donghai"),
        ("玉环县东海石化设备制造厂", ("yuhuan",), "东海",
         ("petrochemical", "equipment facilities", "manufacturing"), "zhejiang taizhou yuhuan"),
        ("无锡市羊尖兴达电器厂", ("wuxi", "yangjian"), "兴达", ("electrical appliance",),
         "jiangsu wuxi xishan yangjian"),
        ("宿迁市建筑工程有限公司", ("suqian",), None,
         ("building construction", "engineering project"), "jiangsu suqian"),
        ("江苏东海药业有限公司", ("jiangsu",), "东海", ("pharmaceutical",), "jiangsu"),
        ("华信科技（苏州）有限公司", ("suzhou",), "华信", ("technology",), "jiangsu suzhou"),
    ],
)  # fmt: skip
def test_places_trade_and_industry(
    name: str, places: tuple[str, ...], trade: str | None, industry: tuple[str, ...], path: str
) -> None:
    parsed = normalize_name(name)
    assert (parsed.places, parsed.trade, parsed.industry) == (places, trade, industry)
    assert parsed.place_path == path
    assert not parsed.is_branch


def test_organisation_nouns_are_forms_not_industry() -> None:
    factory = normalize_name("玉环县东海石化设备制造厂")
    assert (factory.org_form, factory.legal_form) == ("factory", None)
    store = normalize_name("海门市服装门市部")  # a store, not a store of someone
    assert (store.org_form, store.is_branch, store.generic) == ("store", False, "garment")
    hotel = normalize_name("南京中山饭店")  # 饭店 is the business, not only a form
    assert hotel.generic == "hotel restaurant"


def test_same_place_different_industry_without_trade_names() -> None:
    a, b = normalize_name("宿迁市建筑工程有限公司"), normalize_name("宿迁市医药有限公司")
    assert a.core is None and b.core is None
    assert a.place_path == b.place_path == "jiangsu suqian"
    assert not _subset(a.generic, b.generic)
    assert a.norm != b.norm


def test_different_trade_names_in_one_place() -> None:
    a = normalize_name("连云港东海小松原饭店有限公司")
    b = normalize_name("连云港东行信息咨询有限公司")
    assert (a.core, b.core) == ("xiaosongyuan", "dongxing")


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("常州市华星防腐材料有限公司", "常州市华星防腐工程有限公司"),
        ("苏州物资控股(集团)有限责任公司", "苏州电子控股(集团)有限责任公司"),
    ],
)
def test_sister_firms_share_the_trade_name_not_the_industry(left: str, right: str) -> None:
    a, b = normalize_name(left), normalize_name(right)
    assert a.core == b.core
    assert a.place_path == b.place_path
    assert not _subset(a.generic, b.generic)
    assert a.norm != b.norm


def test_no_trade_name_keeps_a_norm() -> None:
    parsed = normalize_name("苏州物资控股(集团)有限责任公司")
    assert parsed.norm == "苏州物资控股集团" and parsed.core is None
    assert parsed.generic == "group holding material supply"


@pytest.mark.parametrize(
    ("chinese", "renderings"),
    [
        ("玉环县东海石化设备制造厂", [
            "Yuhuan Donghai Shihua Shebei Zhizao Factory",
            "Yuhuan County Donghai Petrochemical Equipment Manufacturing Factory",
            "DONGHAISHIHUA SHEBEI ZHIZAO FACTORY",
            "Yuhuanxian Donghai Shihua Equipment Mfg. Plant",
        ]),
        ("靖江市香兰色织有限公司", [
            "JINGJIANG XIANGLAN SEZHI CO LTD",
            "Jingjiang City Xianglan Yarn-dyed Co., Ltd.",
            "Xiang Lan Se Zhi (Jingjiang) Co Ltd",
            "Jingjiangxianglan Sezhi Co Ltd",
        ]),
        ("江苏华信科技有限公司", [
            "Jiangsu Huaxin Keji Co., Ltd.",
            "Jiangsu Huaxin Science & Technology Co Ltd",
            "JIANGSU HUAXIN TECH CO LTD",
            "Huaxin Sci-Tech (Jiangsu) Co., Ltd.",
        ]),
        ("连云港东海小松原饭店有限公司", [
            "Lianyungang Donghai Xiaosongyuan Restaurant Co., Ltd.",
            "Lianyungang Donghai County Xiaosongyuan Hotel Co Ltd",
        ]),
        ("常州市华星防腐材料有限公司", [
            "Changzhou Huaxing Anticorrosion Materials Co., Ltd.",
            "Changzhou Huaxing Fangfu Cailiao Co Ltd",
        ]),
        ("宿迁市建筑工程有限公司", [
            "Suqian Construction Engineering Co., Ltd.",
            "Suqian City Jianzhu Gongcheng Co Ltd",
        ]),
        ("无锡市羊尖兴达电器厂", [
            "Wuxi City Yangjian Town Xingda Electrical Appliances Factory",
            "Xingda Electric Appliance Factory",
        ]),
        # an industry word left in pinyin beside translated ones, after the place: the trade
        # name is what remains, or none (保安 is security)
        ("扬中市保安服务公司", ["Yangzhong City Baoan Service Corporation"]),
        ("南通市通州区文教印刷包装有限公司", [
            "Nantong Shi Tongzhou Qu Wenjiao Yinshua Packaging Limited",
        ]),
        ("常州新区意隆物资有限公司", ["Changzhou City New District Yilong Materials Ltd."]),
        # a rendering keeps the words a Chinese name keeps (集团, 开发: Group, Development)
        ("江苏省铁路置业集团有限公司", ["Jiangsu Railway Real Estate Group Co., Ltd."]),
        ("南京仙林经济开发有限公司", ["Nanjing Xianlin Economic Development Co., Ltd."]),
    ],
)  # fmt: skip
def test_latin_renderings_meet_the_chinese_name(chinese: str, renderings: list[str]) -> None:
    zh = normalize_name(chinese)
    for rendering in renderings:
        latin = normalize_name(rendering)
        assert latin.core == zh.core, rendering
        assert _subset(latin.generic, zh.generic) and latin.generic is not None, rendering
        assert paths_compatible(latin.place_path, zh.place_path), rendering
        assert latin.is_branch == zh.is_branch, rendering


@pytest.mark.parametrize(
    ("chinese", "rendering"),
    [
        ("江苏省铁路置业集团有限公司", "Jiangsu Railway Real Estate Group Co., Ltd."),
        ("南京仙林经济开发有限公司", "Nanjing Xianlin Economic Development Co., Ltd."),
        # 总公司: General Corp. is a form, not 综合 (general)
        ("扬州市皮革塑料工业总公司", "Yangzhou City Leather Plastic Industry General Corp."),
        # 设计院: design is an industry word in both scripts
        ("连云港交通规划设计院有限公司", "Lianyungang Jiaotong Guihua Design Institute Co., Ltd."),
    ],
)
def test_a_rendering_keeps_the_industry_words_of_the_chinese_name(
    chinese: str, rendering: str
) -> None:
    # a Western name drops them (Philips Electronics International: electronics only)
    assert normalize_name(rendering).generic == normalize_name(chinese).generic
    assert normalize_name("Philips Electronics International").generic == "electronics"


@pytest.mark.parametrize(
    "rendering",
    ["Yangzhong City Yangzi Plastics Sci. & Tech. Company Limited",
     "Yangzhong Yangzi Plastics Science and Technology Co., Ltd."],
)  # fmt: skip
def test_sci_and_tech_is_one_industry_word(rendering: str) -> None:
    zh = normalize_name("扬中市扬子塑料科技有限公司")
    latin = normalize_name(rendering)
    assert (latin.core, latin.generic) == (zh.core, zh.generic) == ("yangzi", "plastic technology")


@pytest.mark.parametrize(
    ("chinese", "rendering"),
    [("常州市武进东安交通运输有限公司",
      "CHANGZHOU CITY WUJIN DISTRICT DONGAN TOWN COMMUNICATIONS HAULAGE LTD."),
     ("常熟市金陵无纺布有限公司", "Chang Shu City Jin Ling Township Wu Fang Bu Ltd."),
     ("徐州市复兴锻压机床有限公司", "Xuzhou City Fuxing Town Duanya Machine Tool Ltd.")],
)  # fmt: skip
def test_a_trade_name_rendered_as_a_town(chinese: str, rendering: str) -> None:
    # the agency took the trade name for a town and wrote Town after it
    assert normalize_name(rendering).core == normalize_name(chinese).core
    assert normalize_name("Old Town Trading Ltd").core == "oldtown"  # a Western name keeps it


def test_a_trade_name_that_is_a_county_elsewhere() -> None:
    zh = normalize_name("玉环县东海石化设备制造厂")
    assert zh.core == "donghai" and zh.place_path == "zhejiang taizhou yuhuan"
    alone = normalize_name("东海石化设备制造厂")  # nothing but industry after it: a trade name
    assert alone.core == "donghai" and alone.place_path is None


def test_ordinals_in_trade_names_read_as_digits() -> None:
    assert normalize_name("常州市金坛尧塘第二建筑公司").core == "yaotang2"
    assert normalize_name("Changzhou Jintan Yaotang No. 2 Construction Co").core == "yaotang2"


def test_company_name_keeps_its_fields_for_non_sub_units() -> None:
    parsed = normalize_name("深圳市华信科技有限公司")
    assert isinstance(parsed, CompanyName)
    assert (parsed.norm, parsed.place, parsed.latin) == (
        "深圳华信科技",
        "shenzhen",
        "shenzhenhuaxintechnology",
    )
    assert parsed.tokens == ("深圳", "华信", "科技")
    assert (parsed.unit, parsed.unit_key, parsed.parent) == (None, None, None)


@pytest.mark.parametrize("name", ["Jingjiangxianglan Co Ltd", "JINGJIANGXIANGLAN TEXTILE LTD"])
def test_a_place_glued_to_the_trade_name(name: str) -> None:
    parsed = normalize_name(name)
    assert (parsed.core, parsed.place_path) == ("xianglan", "jiangsu taizhou jingjiang")
