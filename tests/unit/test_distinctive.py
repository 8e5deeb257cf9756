"""Distinctive words of company names and numbers of addresses (matching features)."""

from __future__ import annotations

from linkage.standardize.distinctive import address_numbers, split_name


def test_core_is_script_independent_and_drops_places_and_industry() -> None:
    assert split_name("广州 安睿 供应链 管理") == ("anrui", "chain management supply")
    assert split_name("guangzhou an rui supply chain management")[0] == "anrui"
    assert split_name("shanghai xunhong environmental technology") == (
        "xunhong",
        "environmental technology",
    )
    assert split_name("shanghai technology") == (None, "technology")


def test_address_numbers_agree_across_scripts() -> None:
    zh = address_numbers("广州市番禺区迎宾大道944号2604室")
    en = address_numbers("room 2604 944 yingbin avenue panyu dist guangzhou guangdong china")
    assert zh == en == "944 2604"
    assert address_numbers("683 main street san francisco ca 94167") == "683"
    assert address_numbers("high street") is None
