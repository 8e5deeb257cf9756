"""The distinctive part of a company name, and the numbers of an address.

Two firms in one city and one industry differ only in their trade name (字号): ``Shanghai Xunhong
Environmental Technology`` and ``Shanghai Junjun Environmental Technology`` are 80% alike as
strings but are two firms. ``name_core`` keeps what tells firms apart: the name tokens that are
neither places nor generic business words, romanised (pinyin) and glued, so that
``广州安睿供应链管理``, ``An Rui Supply Chain Management (Guangzhou)`` and ``Anrui Supply Chain``
all give ``anrui``. ``name_generic`` holds the industry words in canonical English, so a
namesake in another industry can be told apart. ``normalize_name`` gives both for a whole name
(``CompanyName.core``, ``CompanyName.generic``); ``split_name`` reads them from name tokens.

``address_numbers`` are the house, building and room numbers of an address (postcode-length
numbers left out), which agree across scripts: ``广州市番禺区迎宾大道944号2604室`` and
``Room 2604, 944 Yingbin Avenue, Panyu, Guangzhou`` both give ``944 2604`` sorted as ``2604 944``.
"""

from __future__ import annotations

import re

from linkage.standardize import chinese, latin_anatomy
from linkage.standardize.hanzi import romanise

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NUMBER = re.compile(r"(?<![a-z0-9])\d{1,4}(?![a-z0-9])|(?<=[\u3400-\u9fff])\d{1,4}")


def split_name(tokens: str) -> tuple[str | None, str | None]:
    """``(core, generic)`` of a space-separated ``name_tokens`` value.

    The core is the glued Latin form of the distinctive tokens (None when every token is a
    place or a generic word); generic is the sorted, space-joined set of the industry words in
    canonical English (Chinese terms translated), None when there are none. Chinese tokens are
    the parts ``normalize_name`` gives; Latin tokens are read as ``latin_anatomy`` reads a name
    (places at the start, industry words in English or pinyin).
    """
    if not _CJK.search(tokens):
        anatomy = latin_anatomy.analyse(tokens)
        words = {w for term in anatomy.industry for w in term.split()}
        return anatomy.core, (" ".join(sorted(words)) or None)
    places, industries = chinese.places(), chinese.industry_terms()
    core: list[str] = []
    kinds: set[str] = set()
    for token in tokens.split():
        if token in places:
            continue
        if token in industries:
            kinds.update(industries[token].split())
            continue
        core.append("".join(romanise(token).split()))
    glued = "".join(core)
    return (glued or None), (" ".join(sorted(kinds)) or None)


def address_numbers(address: str) -> str | None:
    """Sorted distinct 1-4 digit numbers of a normalised address, space-joined; None if none."""
    found = sorted(set(_NUMBER.findall(address.lower())), key=lambda n: (len(n), n))
    return " ".join(found) or None
