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
from linkage.standardize.distinctive import address_numbers


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


def test_saint_and_doctor_open_a_street_name_street_and_drive_close_it() -> None:
    # real addresses of the Chicago early childhood file
    assert normalize_address("2626 St Louis Ave") == "2626 saint louis avenue"
    assert normalize_address("5100 S Dr. Martin Luther King Jr Dr") == (
        "5100 south doctor martin luther king jr drive"
    )
    assert normalize_address("123 Main St, Chicago") == "123 main street chicago"
    assert normalize_address("St. Mary Church, 5 Main St") == "saint mary church 5 main street"
    assert normalize_address("12 rue St Denis") == "12 rue saint denis"
    assert normalize_address("10 Downing St") == "10 downing street"
    assert normalize_address("1200 N St NW") == "1200 north street northwest"
    assert normalize_address("100 W 5 St Chicago") == "100 west 5 street chicago"


def test_a_five_digit_number_opening_a_latin_address_is_its_house_number() -> None:
    assert address_numbers(normalize_address("11025 S Halsted St")) == "11025"
    assert address_numbers(normalize_address("123 Main St, Springfield, IL 62704")) == "123"
    assert address_numbers(normalize_address("10115 Berlin Mitte")) is None  # a postcode
    assert address_numbers("广州市番禺区迎宾大道944号2604室") == "944 2604"


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
