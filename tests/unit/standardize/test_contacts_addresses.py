"""Phones, e-mails, domains, addresses and postcodes."""

from __future__ import annotations

from linkage.standardize import (
    normalize_address,
    normalize_email,
    normalize_phone,
    normalize_postcode,
    registrable_domain,
)
from linkage.standardize.addresses import split_chinese_address


def test_phone_e164() -> None:
    assert normalize_phone("020 7946 0958", region="GB") == "+442079460958"
    assert normalize_phone("+86 (755) 1234-5678") == "+8675512345678"
    assert normalize_phone("not a number", region="GB") is None


def test_email_and_domain() -> None:
    assert normalize_email(" mailto:Info@Example.CO.UK ") == "info@example.co.uk"
    assert normalize_email("nobody") is None
    assert registrable_domain("https://shop.example.co.uk/path?q=1") == "example.co.uk"
    assert registrable_domain("info@mail.huaxin.com.cn") == "huaxin.com.cn"
    assert registrable_domain("localhost") is None


def test_latin_address_abbreviations() -> None:
    assert normalize_address("12 High St., Rm 5, 3/F") == "12 high street room 5 floor 3"
    assert normalize_address("Hauptstr. 5") == normalize_address("Hauptstraße 5")
    assert normalize_address("5th Floor, 1 Main Rd") == "floor 5 1 main road"


def test_chinese_address() -> None:
    assert normalize_address("廣東省 深圳市 南山區 科技園路１號") == "广东省深圳市南山区科技园路1号"
    parts = split_chinese_address("广东省深圳市南山区科技园路1号1203室")
    assert parts == {
        "province": "广东省",
        "city": "深圳市",
        "district": "南山区",
        "street": "科技园路",
        "number": "1号",
        "rest": "1203室",
    }


def test_postcodes() -> None:
    assert normalize_postcode("sw1a1aa", "GB") == "SW1A 1AA"
    assert normalize_postcode("1234 ab", "NL") == "1234AB"
    assert normalize_postcode("12345-6789", "US") == "12345"
    assert normalize_postcode("1000001", "JP") == "100-0001"
    assert normalize_postcode("   ") is None
