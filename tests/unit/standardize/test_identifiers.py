"""Identifier parsing: test vectors per scheme, auto-detection and crosswalk keys.

Check characters of the organisation-code vectors were worked out by hand (GB 11714: weights
3,7,9,10,5,8,4,2; A=10 ... Z=35; check = 11 - sum mod 11, 10 -> X, 11 -> 0):
- ``12345678``: 3+14+27+40+25+48+28+16 = 201; 201 mod 11 = 3; 11-3 = 8 -> ``123456788``.
- ``00000030``: 3*4 = 12; 12 mod 11 = 1; 11-1 = 10 -> ``00000030X``.
- ``00000B00``: B=11, 11*8 = 88; 88 mod 11 = 0; 11-0 = 11 -> ``00000B000``.
- ``60003734`` (inside USCC 91110000600037341L): 18+15+56+12+8 = 109; 109 mod 11 = 10 -> ``1``.
- ``M000100Y`` (inside USCC 91350100M000100Y43): 66+5+68 = 139; 139 mod 11 = 7 -> ``4``.
SIREN 732829320 and SIRET 73282932000074 pass the Luhn sum (40 and 50). The USCC, LEI, VAT and
EIN vectors are the published examples of their standards (as quoted in python-stdnum's docs).
"""

from __future__ import annotations

import pytest

from linkage.standardize import SCHEMES, parse_identifier

VECTORS = [
    # scheme, raw, compact value, valid
    ("cn_org", "123456788", "123456788", True),
    ("cn_org", "12345678-8", "123456788", True),
    ("cn_org", "00000030x", "00000030X", True),
    ("cn_org", "000000035", "000000035", True),  # 3*2 = 6; 11-6 = 5
    ("cn_org", "00000B000", "00000B000", True),
    ("cn_org", "１２３４５６７８－８", "123456788", True),
    ("cn_org", "123456789", "123456789", False),
    ("cn_org", "12345678", "12345678", False),
    ("uscc", "91110000600037341L", "91110000600037341L", True),
    ("uscc", "91110000600037341l", "91110000600037341L", True),
    ("uscc", "9111 0000 6000 3734 1L", "91110000600037341L", True),
    ("uscc", "９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43", True),
    ("uscc", "91110000600037341M", "91110000600037341M", False),
    ("uscc", "91110000600037341", "91110000600037341", False),
    ("cn_tax", "110000600037341", "110000600037341", True),
    ("cn_tax", "110000-60003734-1", "110000600037341", True),
    ("cn_tax", "110000600037342", "110000600037342", False),
    ("cn_tax", "11000060003734", "11000060003734", False),
    ("cn_regno", "110108012345670", "110108012345670", True),
    ("cn_regno", "110108012345678", "110108012345678", False),  # check digit
    ("cn_regno", "3202111100852", "3202111100852", True),  # the older 13 digits
    ("cn_regno", "11010801234567", "11010801234567", False),
    ("cn_regno", "企合苏镇分字第0010", "企合苏镇分字第0010", True),  # in the Jiangsu register
    ("cn_regno", "企独沪总字第012345号", "企独沪总字第012345", True),
    ("cn_regno", "企独沪总字012345號", "企独沪总字第012345", True),
    ("cn_regno", "企合苏字", "企合苏字", False),
    ("lei", "529900T8BM49AURSDO55", "529900T8BM49AURSDO55", True),
    ("lei", "529900t8bm49aursdo55", "529900T8BM49AURSDO55", True),
    ("lei", "529900T8BM49AURSDO56", "529900T8BM49AURSDO56", False),
    ("lei", "529900T8BM49AURSDO5", "529900T8BM49AURSDO5", False),
    ("vat", "DE136695976", "DE136695976", True),
    ("vat", "de 136 695 976", "DE136695976", True),
    ("vat", "DE136695977", "DE136695977", False),
    ("vat", "DE13669597", "DE13669597", False),
    ("gb_vat", "GB 980 7806 84", "980780684", True),
    ("gb_vat", "802311781", "802311781", False),
    ("gb_vat", "98078068", "98078068", False),
    ("ein", "04-2103594", "042103594", True),
    ("ein", "04-210359", "04210359", False),
    ("siren", "732 829 320", "732829320", True),
    ("siren", "732829321", "732829321", False),
    ("siren", "73282932", "73282932", False),
    ("siret", "732 829 320 00074", "73282932000074", True),
    ("siret", "73282932000075", "73282932000075", False),
    ("siret", "7328293200007", "7328293200007", False),
    ("gb_crn", "SC123456", "SC123456", True),
    ("gb_crn", "sc-123456", "SC123456", True),
    ("gb_crn", "445790", "00445790", True),
    ("gb_crn", "ZZ123456", "ZZ123456", False),
    ("gb_crn", "SC1234567", "SC1234567", False),
    ("de_hr", "HRB 12345", "HRB12345", True),
    ("de_hr", "Aachen HRA 11223", "AACHEN:HRA11223", True),
    ("de_hr", "12345", "12345", False),
]


@pytest.mark.parametrize(("scheme", "raw", "value", "valid"), VECTORS)
def test_vectors(scheme: str, raw: str, value: str, valid: bool) -> None:
    parsed = parse_identifier(raw, scheme)
    assert (parsed.scheme, parsed.value, parsed.valid) == (scheme, value, valid)
    assert bool(parsed.problems) is not valid
    assert bool(parsed.keys) is valid


def test_every_scheme_has_valid_and_invalid_vectors() -> None:
    for scheme in SCHEMES:
        assert {v for s, _, _, v in VECTORS if s == scheme} == {True, False}, scheme


@pytest.mark.parametrize(
    ("raw", "scheme"),
    [
        ("91110000600037341L", "uscc"),
        ("60003734-1", "cn_org"),
        ("110000600037341", "cn_tax"),
        ("110108012345670", "cn_regno"),
        ("企合苏镇分字第0010号", "cn_regno"),
        ("529900T8BM49AURSDO55", "lei"),
        ("DE136695976", "vat"),
        ("GB980780684", "gb_vat"),
        ("04-2103594", "ein"),
        ("732829320", "siren"),
        ("73282932000074", "siret"),
        ("SC123456", "gb_crn"),
        ("HRB 12345", "de_hr"),
    ],
)
def test_auto_detects_scheme(raw: str, scheme: str) -> None:
    parsed = parse_identifier(raw)
    assert parsed.scheme == scheme
    assert parsed.valid


def test_uscc_org_code_and_tax_number_share_a_key() -> None:
    uscc = parse_identifier("91110000600037341L")
    org = parse_identifier("60003734-1")
    tax = parse_identifier("110000600037341")
    assert "cn_org:600037341" in uscc.keys & org.keys & tax.keys
    assert uscc.details["organisation_code"] == "600037341"
    assert uscc.details["admin_division"] == "110000"
    assert uscc.details["entity_type"].startswith("enterprise")


def test_siret_is_an_establishment_not_its_company() -> None:
    siret = parse_identifier("73282932000074", "siret")
    assert siret.keys == frozenset({"siret:73282932000074"})
    assert siret.details["siren"] == "732829320"


def test_invalid_values_are_kept_with_problems_and_no_keys() -> None:
    parsed = parse_identifier("91110000600037341M", "uscc")
    assert parsed.value == "91110000600037341M"
    assert not parsed.valid
    assert "check" in parsed.problems[0].lower()
    assert parsed.keys == frozenset()


def test_unknown_scheme_lists_known_ones() -> None:
    with pytest.raises(ValueError, match="known: auto, uscc"):
        parse_identifier("123", "ssn")


def test_gb_vat_meets_eu_style_vat_key() -> None:
    assert parse_identifier("GB980780684", "gb_vat").keys == frozenset({"vat:GB980780684"})


@pytest.mark.parametrize(
    ("raw", "declared", "detected"),
    [
        ("320683000202661", "uscc", "cn_regno"),  # real: a registration number in a USCC column
        ("3202111100852", "uscc", "cn_regno"),
        ("60003734-1", "uscc", "cn_org"),
        ("91110000600037341L", "cn_regno", "uscc"),
    ],
)
def test_a_declared_chinese_code_falls_back_to_the_code_the_value_is(
    raw: str, declared: str, detected: str
) -> None:
    parsed = parse_identifier(raw, declared)
    assert parsed.valid and parsed.scheme == detected


def test_an_invalid_chinese_code_stays_under_its_declared_scheme() -> None:
    parsed = parse_identifier("91110000600037341M", "uscc")
    assert not parsed.valid and parsed.scheme == "uscc"


def test_a_licence_number_has_one_key_however_it_is_written() -> None:
    forms = ["企合苏镇分字第0010号", "企合苏镇分字0010", "企合苏镇分字第10", "企合苏镇分字第0010號"]
    keys = {parse_identifier(form).keys for form in forms}
    assert keys == {frozenset({"cn_regno:企合苏镇分字10"})}
    assert parse_identifier("企合苏镇分字第0011").keys != parse_identifier(forms[0]).keys
