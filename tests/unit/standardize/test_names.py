"""Examples for company names: legal forms, Chinese parts, places, branches and Latin keys."""

from __future__ import annotations

import pytest

from linkage.standardize import normalize_name


@pytest.mark.parametrize(
    ("name", "norm", "legal_form"),
    [
        ("Acme Ltd", "acme", "ltd"),
        ("ACME LIMITED", "acme", "ltd"),
        ("Acme Co., Ltd.", "acme", "ltd"),
        ("Acme PLC", "acme", "plc"),
        ("Acme L.L.C.", "acme", "llc"),
        ("Acme Incorporated", "acme", "inc"),
        ("Müller GmbH & Co. KG", "muller", "gmbh_co_kg"),
        ("Siemens Aktiengesellschaft", "siemens", "ag"),
        ("Amnesty e.V.", "amnesty", "ev"),
        ("Danone S. A.", "danone", "sa"),
        ("Dassault SAS", "dassault", "sas"),
        ("Shell B.V.", "shell", "bv"),
        ("Fiat S.p.A.", "fiat", "spa"),
        ("Volvo AB", "volvo", "ab"),
        ("Maersk A/S", "maersk", "as"),
        ("Nokia Oyj", "nokia", "oy"),
        ("ООО Ромашка", "ромашка", "ooo"),
        ("Limited Liability Company Iskusstvo Krasoty", "iskusstvo krasoty", "llc"),
        ("华为技术有限公司", "华为技术", "cn_youxian"),
        ("中国平安保险(集团)股份有限公司", "中国平安保险集团", "cn_gufen"),
        ("北京某某投资合伙企业（有限合伙）", "北京某某投资", "cn_hehuo"),
        ("株式会社トヨタ", "トヨタ", "kk"),
        ("Ltd.", "ltd", None),
        ("有限公司", "有限公司", None),
    ],
)
def test_legal_forms_are_moved_out_of_the_name(name: str, norm: str, legal_form: str) -> None:
    parsed = normalize_name(name)
    assert (parsed.norm, parsed.legal_form) == (norm, legal_form)


def test_chinese_place_positions_give_one_norm() -> None:
    names = [
        "华信科技（深圳）有限公司",
        "深圳华信科技有限公司",
        "深圳市华信科技有限公司",
        "廣東省深圳市華信科技有限公司",
    ]
    parsed = [normalize_name(n) for n in names]
    assert {p.norm for p in parsed} == {"深圳华信科技"}
    assert {p.place for p in parsed} == {"shenzhen"}
    assert parsed[0].tokens == ("深圳", "华信", "科技")


def test_chinese_and_english_names_share_a_latin_key() -> None:
    chinese = normalize_name("深圳华信科技有限公司")
    for english in (
        "Shenzhen Huaxin Technology Co., Ltd.",
        "Shenzhen Hua-Xin Technologies Ltd",
        "Huaxin Technology (Shenzhen) Co Ltd",
        "SHENZHEN HUA XIN TECHNOLOGY LIMITED",
    ):
        assert normalize_name(english).latin == chinese.latin == "shenzhenhuaxintechnology"


def test_other_city_keeps_names_apart() -> None:
    assert (
        normalize_name("北京华信科技有限公司").norm != normalize_name("深圳华信科技有限公司").norm
    )


@pytest.mark.parametrize(
    ("name", "head", "place"),
    [
        ("华为技术有限公司北京分公司", "华为技术", "beijing"),
        ("中国银行股份有限公司上海市分行", "中国银行", "shanghai"),
        ("Acme Ltd Beijing Branch", "acme", "beijing"),
        ("Beijing Branch of Acme Ltd", "acme", "beijing"),
        ("Deutsche Bank AG Zweigniederlassung Hamburg", "deutsche bank", "hamburg"),
        ("Acme Trading (Representative Office)", "acme trading", None),
        ("BNP Paribas succursale de Londres", "bnp paribas", "londres"),
    ],
)
def test_branches_are_flagged_with_their_place(name: str, head: str, place: str | None) -> None:
    parsed = normalize_name(name)
    assert parsed.is_branch
    assert (parsed.parent, parsed.branch_place) == (head, place)
    assert parsed.norm.startswith(head) and parsed.norm != head


def test_head_office_is_not_a_branch() -> None:
    assert not normalize_name("华为技术有限公司").is_branch
    assert not normalize_name("Acme Ltd").is_branch


def test_abbreviations_expand() -> None:
    assert normalize_name("First Bank Int'l Ltd").norm == "first bank international"
    assert normalize_name("Acme Mfg Co").norm == "acme manufacturing"
