"""The failure classes seen on real registries, pinned with small real examples, end to end.

Names are real registrations of Jiangsu firms (../shared/data/cn_enterprise_registry_jiangsu,
typed in here) and real PATSTAT applicant names; the other values are made up so that each
wrong merge has the evidence that produced it on the real set (sub-units and sister firms often
share their representative and founding date).
"""

from __future__ import annotations

import pandas as pd

from linkage.config import Config
from linkage.pipeline import Linker

# (name, representative, founded, address): pairs of different registrations, then one firm
# listed twice
REGISTRATIONS = [
    ("南京银行股份有限公司洪武支行", "王力", "1998-03-02", "南京市洪武路12号"),
    ("南京银行股份有限公司钟山支行", "王力", "1998-03-02", "南京市中山门外8号"),
    ("中国邮政集团公司江苏省如东县分公司古坝支局", "陈明", "1999-12-10", "如东县古坝镇"),
    ("中国邮政集团公司江苏省如东县分公司饮泉支局", "陈明", "1999-12-10", "如东县饮泉镇"),
    ("南京贤丰石油化工有限公司银桥分公司", "李军", "1996-05-01", "南京市银桥市场"),
    ("南京贤丰石油化工有限公司金桥分公司", "李军", "1996-05-01", "南京市金桥市场"),
    ("宿迁市建筑工程有限公司", "张平", "1990-01-15", "宿迁市人民路1号"),
    ("宿迁市医药有限公司", "张平", "1990-01-15", "宿迁市幸福中路48号"),
    ("连云港东海小松原饭店有限公司", "刘洋", "1997-07-07", "东海县牛山镇"),
    ("连云港东行信息咨询有限公司", "刘洋", "1997-07-07", "连云港市新浦区"),
    ("常州市华星防腐材料有限公司", "周克", "1999-01-03", "常州市武进区湖塘镇"),
    ("常州市华星防腐工程有限公司", "周克", "1999-01-03", "常州市武进区湖塘镇"),
    ("苏州物资控股(集团)有限责任公司", "吴强", "1993-06-30", "苏州市人民路100号"),
    ("苏州电子控股(集团)有限责任公司", "吴强", "1993-06-30", "苏州市人民路200号"),
    ("徐州运通公路有限公司", "马训", "1999-09-21", "徐州市解放路5号"),
    ("徐州广通公路有限公司", "马训", "1999-09-21", "徐州市解放路7号"),
    ("靖江市香兰色织有限公司", "卢辉南", "1978-08-17", "红光镇利珠村"),
    ("江苏省靖江市香兰色织有限公司", "卢辉南", "1978-08-17", "红光镇利珠村"),
]
DIFFERENT = [(i, i + 1) for i in range(0, 16, 2)]
SAME = [(16, 17)]


def _entities(config: dict, frames: dict[str, pd.DataFrame]) -> pd.Series:
    result = Linker(Config.from_dict(config), frames=frames).run()
    return result.memberships.set_index("record_id")["entity_id"]


def test_sub_units_sister_firms_and_other_trade_names_stay_apart() -> None:
    frame = pd.DataFrame(REGISTRATIONS, columns=["name", "rep", "founded", "address"])
    frame.insert(0, "rid", [f"r{i:02d}" for i in range(len(frame))])
    fields = {"name": "name", "representative": "rep", "founded": "founded", "address": "address"}
    config = {"sources": [{"name": "registry", "id": "rid", "fields": fields}]}
    entity = _entities(config, {"registry": frame})
    for a, b in DIFFERENT:
        assert entity[f"r{a:02d}"] != entity[f"r{b:02d}"], (REGISTRATIONS[a], REGISTRATIONS[b])
    for a, b in SAME:
        assert entity[f"r{a:02d}"] == entity[f"r{b:02d}"], (REGISTRATIONS[a], REGISTRATIONS[b])


def test_a_firm_listed_hundreds_of_times_under_one_name_is_one_entity() -> None:
    # PATSTAT applicants: names only, one firm holding most records
    names = (
        ["ELECTRONICS KONINK PHILIPS"] * 292
        + ["AKZO NOBEL"] * 148
        + ["UNILEVER"] * 77
        + [f"{a}{b}{c} HOLDING" for a in ("KOR", "MEL", "TAV", "BRU") for b in
           ("VAN", "DIS", "OMA", "ELT", "ISK") for c in ("EN", "ART", "UMO", "IPS", "OLD",
           "AXE", "URN", "ELL", "IMA", "OTH")]
    )  # fmt: skip
    frame = pd.DataFrame({"pid": [str(i) for i in range(len(names))], "name": names})
    config = {"sources": [{"name": "patstat", "id": "pid", "fields": {"name": "name"}}]}
    result = Linker(Config.from_dict(config), frames={"patstat": frame}).run()
    entity = result.memberships.set_index("record_id")["entity_id"].reindex(frame["pid"])
    for first, size in ((0, 292), (292, 148), (440, 77)):
        assert entity.iloc[first : first + size].nunique() == 1
    assert entity.iloc[[0, 292, 440]].nunique() == 3
    assert entity.iloc[517:].nunique() == 200  # the rest stay single
    parameters = result.model["parameters"]
    assert parameters["estimation"] == "fallback"
    assert any("comparison(s) carry information" in p for p in parameters["problems"])
    assert result.manifest["blocking"]["reduced_blocks"]


def test_an_old_licence_number_in_the_uscc_column_links_its_records() -> None:
    # the Jiangsu register's one true pair without a USCC: two sub-units that carry the same
    # pre-2007 licence number of a foreign-invested firm instead; another record carries a
    # valid USCC and a third a 15-digit registration number
    frame = pd.DataFrame({
        "rid": ["a", "b", "c", "d"],
        "name": ["镇江永高食品有限公司镇江经营分公司", "镇江天宝生物工程有限公司镇江销售部",
                 "南京银行股份有限公司洪武支行", "宿迁市医药有限公司"],
        "code": ["企合苏镇分字第0010", "企合苏镇分字第0010号", "91320100134881221Y",
                 "320800000031851"],
    })  # fmt: skip
    config = {
        "sources": [
            {"name": "registry", "id": "rid", "fields": {"name": "name"},
             "identifiers": {"uscc": "code"}},
        ]
    }  # fmt: skip
    entity = _entities(config, {"registry": frame})
    assert entity["a"] == entity["b"]
    assert entity["c"] != entity["a"] and entity["d"] != entity["a"]
