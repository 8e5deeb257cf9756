"""Normalise street addresses and postcodes.

Latin addresses: folded, street-type and unit abbreviations expanded (``St`` -> ``street``,
``Rm`` -> ``room``, ``5/F`` -> ``floor 5``). Chinese addresses: half-width, simplified, without
spaces; ``split_chinese_address`` names the parts (省 市 区 路 号 室).
"""

from __future__ import annotations

import re
from functools import lru_cache

from linkage.standardize.hanzi import to_simplified
from linkage.standardize.text import fold, has_cjk

_ABBREVIATIONS = {
    "st": "street", "str": "strasse", "rd": "road", "ave": "avenue", "av": "avenue",
    "blvd": "boulevard", "dr": "drive", "ln": "lane", "ct": "court", "pl": "place",
    "sq": "square", "hwy": "highway", "pkwy": "parkway", "cres": "crescent", "ter": "terrace",
    "fl": "floor", "flr": "floor", "rm": "room", "ste": "suite", "apt": "apartment",
    "bldg": "building", "blk": "block", "no": "", "nr": "", "n": "north", "s": "south",
    "e": "east", "w": "west", "ne": "northeast", "nw": "northwest", "se": "southeast",
    "sw": "southwest", "bd": "boulevard", "ch": "chemin",
}  # fmt: skip
_NAME_TITLES = {"st": "saint", "dr": "doctor"}
_DIRECTIONS = frozenset(
    {"n", "s", "e", "w", "ne", "nw", "se", "sw", "north", "south", "east", "west"}
)
_STREET_TYPES = frozenset(
    {"st", "rd", "ave", "av", "blvd", "bd", "dr", "ln", "ct", "pl", "sq", "hwy", "pkwy", "cres"}
    | {"ter", "street", "road", "avenue", "boulevard", "drive", "lane", "court", "place"}
    | {"square", "highway", "parkway", "crescent", "terrace", "way"}
)
# street types written before the name (rue Saint-Denis, via San ...)
_TYPES_FIRST = frozenset({"rue", "av", "avenue", "bd", "boulevard", "place", "chemin", "quai"})
_FLOOR = re.compile(r"\b(\d+)\s*/\s*f\b|\bf\s*(\d+)\b|\b(\d+)(?:st|nd|rd|th)\s+floor\b")
_GLUED_STRASSE = re.compile(r"(\w)(?:str|straße|strasse)\b")
_NON_WORD = re.compile(r"[^\w/]+|_+")
_CN_ADDRESS = re.compile(
    r"^(?P<province>.+?(?:省|自治区|特别行政区))?"
    r"(?P<city>.+?市)?"
    r"(?P<district>.+?[区县旗])?"
    r"(?P<street>.+?(?:路|街|道|大道|巷|弄))?"
    r"(?P<number>[\d\-]+号)?"
    r"(?P<rest>.*)$"
)
_POSTCODES = {
    "GB": (re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$"), r"\1 \2"),
    "US": (re.compile(r"^(\d{5})(\d{4})?$"), r"\1"),
    "NL": (re.compile(r"^(\d{4})([A-Z]{2})$"), r"\1\2"),
    "CA": (re.compile(r"^([A-Z]\d[A-Z])(\d[A-Z]\d)$"), r"\1 \2"),
    "JP": (re.compile(r"^(\d{3})(\d{4})$"), r"\1-\2"),
    "CN": (re.compile(r"^(\d{6})$"), r"\1"),
    "DE": (re.compile(r"^(\d{5})$"), r"\1"),
    "FR": (re.compile(r"^(\d{5})$"), r"\1"),
    "IT": (re.compile(r"^(\d{5})$"), r"\1"),
    "ES": (re.compile(r"^(\d{5})$"), r"\1"),
    "RU": (re.compile(r"^(\d{6})$"), r"\1"),
    "SE": (re.compile(r"^(\d{5})$"), r"\1"),
}


def _floor(match: re.Match[str]) -> str:
    return f"floor {next(g for g in match.groups() if g)}"


@lru_cache(maxsize=1 << 16)
def normalize_address(value: str, *, country: str | None = None) -> str | None:
    """Return a comparison form of a street address, or None when nothing is left.

    Args:
        value: Raw address (any script).
        country: ISO alpha-2 code; Chinese addresses are detected by script regardless.
    """
    del country  # abbreviations are shared across English-speaking and continental formats
    folded = fold(value)
    if has_cjk(folded):
        return re.sub(r"\s+", "", to_simplified(folded)) or None
    if "str" in folded:  # every _GLUED_STRASSE match holds it (the test is much cheaper)
        folded = _GLUED_STRASSE.sub(r"\1 strasse", folded)
    text = _NON_WORD.sub(" ", folded)
    if "f" in text:  # likewise for _FLOOR
        text = _FLOOR.sub(_floor, text)
    tokens = text.replace("/", " ").split()
    words = [_expanded(tokens, i) for i in range(len(tokens))]
    return " ".join(w for w in words if w) or None


def _expanded(tokens: list[str], i: int) -> str:
    """One token with its abbreviation expanded. ``St`` and ``Dr`` before a name are Saint and
    Doctor: the next word is no direction or street type, and a street type follows the name
    (``2626 St Louis Ave``, ``5100 S Dr Martin Luther King Jr Dr``) or came before it (``rue
    St Denis``). Elsewhere they are Street and Drive (``123 Main St Chicago``, ``1200 N St
    NW``)."""
    token = tokens[i]
    if token in _NAME_TITLES and i + 1 < len(tokens):
        after = tokens[i + 1]
        if after.isalpha() and after not in _DIRECTIONS and after not in _STREET_TYPES:
            before = tokens[i - 1] if i else ""
            if before in _TYPES_FIRST or any(t in _STREET_TYPES for t in tokens[i + 2 :]):
                return _NAME_TITLES[token]
    return _ABBREVIATIONS.get(token, token)


def split_chinese_address(value: str) -> dict[str, str]:
    """Split a Chinese address into province, city, district, street, number and the rest."""
    text = normalize_address(value) or ""
    match = _CN_ADDRESS.match(text)
    return {k: v for k, v in (match.groupdict() if match else {}).items() if v}


def normalize_postcode(value: str, country: str | None = None) -> str | None:
    """Return the postcode in its country's standard form, else upper case without spaces.

    Args:
        value: Raw postcode.
        country: ISO alpha-2 code; GB, US, NL, CA, JP, CN, DE, FR, IT, ES, RU, SE are formatted.
    """
    compact = re.sub(r"[\s\-]+", "", fold(value)).upper()
    if not compact:
        return None
    rule = _POSTCODES.get((country or "").upper())
    if rule and rule[0].match(compact):
        return rule[0].sub(rule[1], compact)
    return compact
