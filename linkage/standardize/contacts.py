"""Normalise phones (E.164), e-mail addresses and web domains.

Domains use tldextract with its bundled public-suffix snapshot only: no network, no cache files.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

import tldextract

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_COUNTRY_NAMES = {
    "china": "CN",
    "中国": "CN",
    "prc": "CN",
    "people's republic of china": "CN",
    "hong kong": "HK",
    "香港": "HK",
    "taiwan": "TW",
    "台湾": "TW",
    "台灣": "TW",
    "macau": "MO",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "united states": "US",
    "usa": "US",
    "united states of america": "US",
    "us": "US",
    "germany": "DE",
    "deutschland": "DE",
    "france": "FR",
    "netherlands": "NL",
    "the netherlands": "NL",
    "nederland": "NL",
    "italy": "IT",
    "italia": "IT",
    "spain": "ES",
    "españa": "ES",
    "sweden": "SE",
    "norway": "NO",
    "denmark": "DK",
    "finland": "FI",
    "japan": "JP",
    "日本": "JP",
    "russia": "RU",
    "russian federation": "RU",
    "россия": "RU",
    "singapore": "SG",
    "switzerland": "CH",
    "austria": "AT",
    "belgium": "BE",
    "ireland": "IE",
    "canada": "CA",
    "australia": "AU",
    "india": "IN",
    "south korea": "KR",
    "korea": "KR",
}
_ISO3 = {
    "CHN": "CN", "HKG": "HK", "TWN": "TW", "MAC": "MO", "GBR": "GB", "USA": "US", "DEU": "DE",
    "FRA": "FR", "NLD": "NL", "ITA": "IT", "ESP": "ES", "SWE": "SE", "NOR": "NO", "DNK": "DK",
    "FIN": "FI", "JPN": "JP", "RUS": "RU", "SGP": "SG", "CHE": "CH", "AUT": "AT", "BEL": "BE",
    "IRL": "IE", "CAN": "CA", "AUS": "AU", "IND": "IN", "KOR": "KR",
}  # fmt: skip


def country_code(value: str | None) -> str | None:
    """Map a country field (``CN``, ``CHN``, ``China``, ``中国``) to ISO 3166 alpha-2, else None."""
    if not value or not value.strip():
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    upper = text.upper()
    if len(upper) == 2 and upper.isalpha() and upper.isascii():
        return "GB" if upper == "UK" else upper
    if upper in _ISO3:
        return _ISO3[upper]
    return _COUNTRY_NAMES.get(text.casefold())


@lru_cache(maxsize=1 << 16)
def normalize_phone(value: str, *, region: str | None = None) -> str | None:
    """Return the phone number in E.164 (``+8675512345678``), or None if it is not a number.

    Args:
        value: Raw number, with or without country code.
        region: ISO alpha-2 region for numbers written without a country code.
    """
    import phonenumbers  # imported on first use: its metadata is slow to load

    try:
        number = phonenumbers.parse(unicodedata.normalize("NFKC", value), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(value: str) -> str | None:
    """Lower-case, trimmed e-mail address without ``mailto:``; None when it is not an address."""
    text = unicodedata.normalize("NFKC", value).strip().casefold()
    text = text.removeprefix("mailto:").strip("<>").strip()
    return text if _EMAIL.match(text) else None


@cache
def _extractor() -> tldextract.TLDExtract:
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


@lru_cache(maxsize=1 << 16)
def registrable_domain(url_or_email: str) -> str | None:
    """Return the registrable domain (``example.co.uk``) of a URL, host or e-mail address."""
    text = unicodedata.normalize("NFKC", url_or_email).strip().casefold()
    if "@" in text and "://" not in text:
        text = text.rsplit("@", 1)[1]
    if not text:
        return None
    domain = _extractor()(text).top_domain_under_public_suffix
    return domain or None
