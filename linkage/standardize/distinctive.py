"""The distinctive part of a company name, and the numbers of an address.

Two firms in one city and one industry differ only in their trade name (字号): ``Shanghai Xunhong
Environmental Technology`` and ``Shanghai Junjun Environmental Technology`` are 80% alike as
strings but are two firms. ``name_core`` keeps what tells firms apart: the name tokens that are
neither places nor generic business words, romanised (pinyin) and glued, so that
``广州安睿供应链管理``, ``An Rui Supply Chain Management (Guangzhou)`` and ``Anrui Supply Chain``
all give ``anrui``. ``name_generic`` holds the generic words (industry terms in English), so a
namesake in another industry can be told apart.

``address_numbers`` are the house, building and room numbers of an address (postcode-length
numbers left out), which agree across scripts: ``广州市番禺区迎宾大道944号2604室`` and
``Room 2604, 944 Yingbin Avenue, Panyu, Guangzhou`` both give ``944 2604`` sorted as ``2604 944``.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

from linkage.standardize import chinese

# generic English business words and their common abbreviations, beyond the industry terms
# and Latin variants of the data tables (which are read too)
_EXTRA_GENERIC = frozenset(
    [
        "and",
        "of",
        "the",
        "company",
        "companies",
        "co",
        "corp",
        "corporation",
        "group",
        "holding",
        "holdings",
        "international",
        "global",
        "china",
        "chinese",
        "asia",
        "pacific",
        "joint",
        "stock",
        "shares",
        "share",
        "enterprise",
        "enterprises",
        "partners",
        "products",
        "product",
        "industrial",
        "industries",
        "ind",
        "inv",
        "capital",
        "chem",
        "chemical",
        "chemicals",
        "constr",
        "elec",
        "electric",
        "electrical",
        "eng",
        "engg",
        "env",
        "environment",
        "environmental",
        "equip",
        "equipment",
        "instr",
        "instrument",
        "instruments",
        "it",
        "mach",
        "machinery",
        "mat",
        "materials",
        "motor",
        "motors",
        "pharm",
        "pharmaceutical",
        "power",
        "precision",
        "sales",
        "solution",
        "solutions",
        "sys",
        "system",
        "systems",
        "textile",
        "textiles",
        "food",
        "foods",
        "service",
        "services",
        "trading",
        "technology",
        "tech",
        "new",
        "development",
        "dev",
        "management",
        "mgmt",
        "supply",
        "chain",
    ]
)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NUMBER = re.compile(r"(?<![a-z0-9])\d{1,4}(?![a-z0-9])|(?<=[\u3400-\u9fff])\d{1,4}")


@cache
def generic_words() -> frozenset[str]:
    """Latin words that say what a firm does or where, not which firm it is."""
    words: set[str] = set(_EXTRA_GENERIC)
    for english in chinese.industry_terms().values():
        words.update(english.lower().split())
    path = resources.files("linkage.standardize") / "data" / "latin_terms.csv"
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            words.update(row["variant"].lower().split())
            words.update(row["canonical"].lower().split())
    return frozenset(words)


@cache
def _place_words() -> frozenset[str]:
    words = set(chinese.places().values())
    path = resources.files("linkage.standardize") / "data" / "places_latin.csv"
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            words.add(row["latin"])
            if " " not in row["name"]:
                words.add(row["name"])
    return frozenset(words)


def _romanise(token: str) -> str:
    return chinese.romanise(token)


def split_name(tokens: str) -> tuple[str | None, str | None]:
    """``(core, generic)`` of a space-separated ``name_tokens`` value.

    The core is the glued Latin form of the distinctive tokens (None when every token is a
    place or a generic word); generic is the sorted, space-joined set of generic English words
    (Chinese industry terms translated), None when there are none.
    """
    places, industries, generic = chinese.places(), chinese.industry_terms(), generic_words()
    core: list[str] = []
    kinds: set[str] = set()
    for token in tokens.split():
        if _CJK.search(token):
            if token in places:
                continue
            if token in industries:
                kinds.update(industries[token].lower().split())
                continue
            core.append(_romanise(token))
        elif token in _place_words():
            continue
        elif token in generic:
            kinds.add(token)
        else:
            core.append(token)
    glued = "".join(core)
    return (glued or None), (" ".join(sorted(kinds)) or None)


def address_numbers(address: str) -> str | None:
    """Sorted distinct 1-4 digit numbers of a normalised address, space-joined; None if none."""
    found = sorted(set(_NUMBER.findall(address.lower())), key=lambda n: (len(n), n))
    return " ".join(found) or None
