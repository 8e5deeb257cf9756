"""The build_features contract: same rows and order, input untouched, documented columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage.standardize import build_features

NEW_COLUMNS = [
    "name_norm", "name_tokens", "name_latin", "legal_form_code", "is_branch", "branch_place",
    "name_place", "name_core", "name_head", "name_generic", "name_unit", "name_parent",
    "name_place_path",
    "address_norm", "postcode_norm", "phone_e164", "email_norm", "domain",
]  # fmt: skip


def _records() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "uid": ["a:1", "a:2", "b:1", "b:2"],
            "source": ["a", "a", "b", "b"],
            "record_id": ["1", "2", "1", "2"],
            "name": ["深圳市华信科技有限公司", None, "Shenzhen Huaxin Technology Co., Ltd.", "  "],
            "country": ["CN", "China", None, "GB"],
            "phone": ["0755 1234 5678", None, "+86 755 1234 5678", np.nan],
            "email": ["Info@HuaXin.com.cn", None, "not an email", None],
            "website": [None, None, "https://www.huaxin.com.cn/en", None],
            "postcode": ["518000", None, None, "sw1a1aa"],
            "address": ["广东省深圳市南山区科技园路1号", None, "12 High St., 5/F", None],
            "legal_form": [None, None, None, "Public Limited Company"],
            "id_auto": ["91350100M000100Y43", "350100M000100Y4", None, "12345"],
            "id_uscc": [None, "91350100M000100Y44", None, None],
        },
        index=[10, 11, 12, 13],
    )


def _named(names: list[str]) -> pd.DataFrame:
    """Records of one source holding only names."""
    return pd.DataFrame(
        {
            "uid": [f"s:{i}" for i in range(len(names))],
            "source": "s",
            "record_id": [str(i) for i in range(len(names))],
            "name": names,
        }
    )


def test_columns_rows_and_input_untouched() -> None:
    records = _records()
    before = records.copy()
    features = build_features(records)
    pd.testing.assert_frame_equal(records, before)
    pd.testing.assert_frame_equal(features[list(records.columns)], before)
    assert list(features.index) == [10, 11, 12, 13]
    for column in [*NEW_COLUMNS, "id_keys"]:
        assert column in features.columns
    for scheme in ("auto", "uscc"):
        for suffix in ("norm", "valid", "scheme", "problem"):
            assert f"id_{scheme}_{suffix}" in features.columns
    assert features["is_branch"].dtype == bool
    assert features["id_auto_valid"].dtype == bool


def test_values() -> None:
    f = build_features(_records())
    assert f.loc[10, "name_latin"] == f.loc[12, "name_latin"] == "shenzhenhuaxintechnology"
    assert f.loc[10, "legal_form_code"] == "cn_youxian"
    assert f.loc[13, "legal_form_code"] == "plc"  # from the raw legal_form field
    assert f.loc[11, "name_norm"] is None and f.loc[13, "name_norm"] is None
    assert f.loc[10, "phone_e164"] == f.loc[12, "phone_e164"] == "+8675512345678"
    assert f.loc[10, "domain"] == f.loc[12, "domain"] == "huaxin.com.cn"
    assert f.loc[12, "email_norm"] is None
    assert f.loc[13, "postcode_norm"] == "SW1A 1AA"
    assert f.loc[10, "id_keys"] == "cn_org:M000100Y4 uscc:91350100M000100Y43"
    assert f.loc[11, "id_keys"] == "cn_org:M000100Y4 cn_tax:350100M000100Y4"
    assert f.loc[11, "id_auto_scheme"] == "cn_tax"
    assert not f.loc[11, "id_uscc_valid"] and "check" in f.loc[11, "id_uscc_problem"]
    assert f.loc[11, "id_uscc_norm"] == "91350100M000100Y44"
    assert f.loc[12, "id_keys"] == "" and f.loc[12, "id_auto_norm"] is None
    assert not f.loc[13, "id_auto_valid"]


def test_empty_table() -> None:
    empty = pd.DataFrame({"uid": [], "source": [], "record_id": [], "name": []}, dtype=object)
    features = build_features(empty)
    assert len(features) == 0
    assert "name_norm" in features.columns


def test_normaliser_caches_are_emptied_after_a_table() -> None:
    from linkage.standardize.features import normalize_address, normalize_name

    normalize_name("Warm Cache Ltd")  # a call outside a table is memoised as usual
    assert normalize_name.cache_info().currsize > 0
    build_features(_records())
    assert normalize_name.cache_info().currsize == 0
    assert normalize_address.cache_info().currsize == 0


def test_name_parts_of_sub_units_meet_across_scripts() -> None:
    names = [
        "南京银行股份有限公司洪武支行",
        "Bank of Nanjing Co., Ltd. Hongwu Sub-branch",
        "南京银行股份有限公司钟山支行",
        "南京银行股份有限公司",
        "靖江市香兰色织有限公司",
        "JINGJIANG XIANGLAN SEZHI CO LTD",
    ]
    f = build_features(_named(names), workers=1)
    assert f["is_branch"].tolist() == [True, True, True, False, False, False]
    assert f["name_unit"].tolist() == ["hongwu", "hongwu", "zhongshan", None, None, None]
    assert f.loc[0, "name_parent"] == f.loc[2, "name_parent"] == f.loc[3, "name_norm"]
    assert len({f.loc[0, "name_norm"], f.loc[2, "name_norm"], f.loc[3, "name_norm"]}) == 3
    assert f.loc[4, "name_core"] == f.loc[5, "name_core"] == "xianglan"
    assert f.loc[4, "name_generic"] == f.loc[5, "name_generic"] == "dyed yarn"
    assert f.loc[4, "name_place_path"] == f.loc[5, "name_place_path"]
    assert f.loc[4, "name_place_path"] == "jiangsu taizhou jingjiang"


def test_the_head_of_a_name_is_its_trade_name_or_else_its_most_specific_place() -> None:
    # a rendering read the town 虎丘 as a trade name; the Chinese name has none (real firm)
    names = ["苏州市虎丘摩托车配件厂", "Suzhou City Huqiu Town Motorbike Spare Parts Plant",
             "深圳市华信科技有限公司", "科技有限公司"]  # fmt: skip
    f = build_features(_named(names), workers=1)
    assert f["name_core"].tolist() == [None, "huqiu", "huaxin", None]
    assert f["name_head"].tolist() == ["huqiu", "huqiu", "huaxin", None]
