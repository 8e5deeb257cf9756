"""Numbers of addresses (a matching feature)."""

from __future__ import annotations

from linkage.standardize.distinctive import address_numbers


def test_address_numbers_agree_across_scripts() -> None:
    zh = address_numbers("广州市番禺区迎宾大道944号2604室")
    en = address_numbers("room 2604 944 yingbin avenue panyu dist guangzhou guangdong china")
    assert zh == en == "944 2604"
    assert address_numbers("683 main street san francisco ca 94167") == "683"
    assert address_numbers("high street") is None
