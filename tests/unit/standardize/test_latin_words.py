"""Business words of European-language names (data/latin_words.csv) and what they leave."""

from __future__ import annotations

import pytest

from linkage.standardize.latin_words import misspelt
from linkage.standardize.names import normalize_name


@pytest.mark.parametrize(
    "name",
    [
        "ELECTRONICS KONINK PHILIPS",
        "KONINKLIJKE PHILIPS ELECTRONICS N.V.",
        "PHILIPS INTERNAT BV",
        "Philips Res Lab",
        "ELECTONICS KONINKLIKE PHILIPS",  # two misspelt words
        "ELECTRNICS KONINK PHILIPS",  # electronics or electrics: a letter left out
        "ELECTRONICS KONINK PHILIPS V",  # what N.V. left
    ],
)  # PATSTAT's renderings of one applicant
def test_dutch_business_words_leave_the_firm_s_own_name(name: str) -> None:
    assert normalize_name(name).core == "philips"


def test_descriptors_never_make_an_industry_of_a_latin_name() -> None:
    assert normalize_name("Philips International Group Holding").generic is None
    assert normalize_name("Akzo Nobel Chemicals International").generic == "chemical"


def test_misspelt_long_words_only() -> None:
    assert misspelt("maatschppij") == ("descriptor", "company")
    assert misspelt("koninklike") == ("descriptor", "royal")
    assert misspelt("electrnics") == ("industry", "electronics")
    assert misspelt("philps") is None  # short, and not a business word
    assert misspelt("huaxing") is None  # pinyin is a name's own syllables


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("Chicago Academy", "chicago"),  # a Western name keeps its place when nothing else
        ("Hull House Association", "hullhouse"),  # proper nouns stay in the name
        ("Deutsche Bank AG", "deutsche"),
        ("3 M Co", "3m"),  # initials are joined, not dropped
        ("Jiangsu Huaxi Gufen Youxian Gongsi", "huaxi"),  # a pinyin legal form
        ("Zhulin Town Supply and Marketing Co-op", "zhulin"),  # no trade name: the town
    ],
)
def test_what_stays_the_name(name: str, core: str) -> None:
    assert normalize_name(name).core == core
