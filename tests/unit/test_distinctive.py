"""Numbers of addresses (a matching feature)."""

from __future__ import annotations

from linkage.standardize.distinctive import address_numbers


def test_address_numbers_agree_across_scripts() -> None:
    zh = address_numbers("广州市番禺区迎宾大道944号2604室")
    en = address_numbers("room 2604 944 yingbin avenue panyu dist guangzhou guangdong china")
    assert zh == en == "944 2604"
    assert address_numbers("683 main street san francisco ca 94167") == "683"
    assert address_numbers("high street") is None


def test_a_lettered_building_in_a_chinese_address() -> None:
    zh = address_numbers("南京市栖霞区仙林大学城纬地路9号f6幢593室")
    en = address_numbers("room 593 building 6 f 9 lindaxuechengweidi road xian qixia district")
    assert zh == en == "6 9 593"
