"""The numbers of an address, which agree across scripts (a matching feature).

``address_numbers`` are the house, building and room numbers of an address (postcode-length
numbers left out): ``广州市番禺区迎宾大道944号2604室`` and ``Room 2604, 944 Yingbin Avenue,
Panyu, Guangzhou`` both give ``944 2604``, sorted by length then value. The distinctive part of
a name (``name_core``) and its industry words (``name_generic``) come from ``normalize_name``
(``CompanyName.core``, ``CompanyName.generic``).
"""

from __future__ import annotations

import re

_NUMBER = re.compile(
    r"(?<![a-z0-9])\d{1,4}(?![a-z0-9])|(?<=[\u3400-\u9fff])\d{1,4}"
    r"|(?<=[\u3400-\u9fff][a-z])\d{1,4}"  # a lettered building in Chinese: 纬地路9号F6幢
)


_LEADING_HOUSE = re.compile(
    r"^(\d{5}) (?:(?:north|south|east|west) |[a-z ]*\b(?:street|avenue|road|boulevard|drive|lane"
    r"|court|place|square|highway|parkway|crescent|terrace|way)\b)"
)
"""A five-digit number opening a normalised Latin address, before a direction or a street
name with its type, is the house number (``11025 south halsted street``), not a postcode
(``10115 berlin mitte``)."""


def address_numbers(address: str) -> str | None:
    """Sorted distinct 1-4 digit numbers of a normalised address, and a five-digit house number
    that opens it, space-joined; None if none."""
    text = address.lower()
    found = set(_NUMBER.findall(text))
    if leading := _LEADING_HOUSE.match(text):
        found.add(leading.group(1))
    return " ".join(sorted(found, key=lambda n: (len(n), n))) or None
