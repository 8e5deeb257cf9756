"""Parse, validate and crosswalk company identifiers (USCC, organisation code, LEI, VAT, ...).

Every value is kept: invalid ones come back with ``valid=False`` and the reasons in ``problems``.
Valid identifiers yield crosswalk ``keys`` shared by identifiers that name the same registered
entity: a USCC, the organisation code inside it and a legacy 15-character tax number all give
``cn_org:<organisation code>``.

Schemes: ``uscc`` (China unified social credit code), ``cn_org`` (China organisation code,
GB 11714), ``cn_tax`` (legacy 15-character tax number), ``cn_regno`` (15-digit business
registration number), ``lei``, ``vat`` (EU or other VAT with country prefix), ``gb_vat``, ``ein``
(US), ``siren`` and ``siret`` (France), ``de_hr`` (German Handelsregister), ``gb_crn`` (UK Companies
House number).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from operator import mul
from types import MappingProxyType

from stdnum import lei as std_lei
from stdnum import vatin
from stdnum.cn import uscc as std_uscc
from stdnum.exceptions import ValidationError
from stdnum.fr import siren as std_siren
from stdnum.fr import siret as std_siret
from stdnum.gb import vat as std_gb_vat
from stdnum.iso7064 import mod_11_10
from stdnum.us import ein as std_ein

SCHEMES = (
    "uscc",
    "cn_org",
    "cn_tax",
    "cn_regno",
    "lei",
    "vat",
    "gb_vat",
    "ein",
    "siren",
    "siret",
    "de_hr",
    "gb_crn",
)

ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_FORMAT = re.compile(r"[0-9A-Z]{8}[0-9X]")
_SEPARATORS = re.compile(r"[\s\-./,_:]+")
_DE_HR = re.compile(
    r"^(?P<court>.*?)\s*(?P<register>HRA|HRB|GNR|PR|VR|GSR)\s*(?P<number>\d+\s*[A-Z]?)$"
)
_GB_CRN = re.compile(r"^(?:\d{8}|(?:SC|NI|OC|SO|NC|R0|LP|SL|NL|FC|SF|NF|IP|SP|RS|SE|GE|ES)\d{6})$")
_USCC_AUTHORITY = {
    "1": "organisation establishment administration (机构编制)",
    "5": "civil affairs (民政)",
    "9": "market regulation / industry and commerce (工商)",
    "Y": "other (其他)",
}
_USCC_TYPE_9 = {
    "1": "enterprise (企业)",
    "2": "individual business (个体工商户)",
    "3": "farmer cooperative",
}


@dataclass(frozen=True)
class Identifier:
    """A parsed identifier.

    Attributes:
        scheme: Scheme name (one of ``SCHEMES``), detected when parsed with ``auto``.
        value: Compact form (upper case, half-width, no separators); kept even when invalid.
        valid: Whether format and check characters are right.
        problems: Human-readable reasons why it is invalid (or notes on a valid value).
        keys: Crosswalk keys (``scheme:value``) shared with other identifiers of the same entity;
            empty when invalid.
        details: Decoded parts (USCC authority, entity type, admin division, organisation code;
            a SIRET's parent SIREN).
    """

    scheme: str
    value: str
    valid: bool
    problems: tuple[str, ...] = ()
    keys: frozenset[str] = frozenset()
    details: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def compact(value: str) -> str:
    """Half-width, upper case, without spaces, hyphens, dots or slashes."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value)).upper()


_BASE36_VALUE = {c: int(c, 36) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
ORG_CHECK = {check: {10: "X", 11: "0"}.get(check, str(check)) for check in range(1, 12)}


def org_code_check(body: str) -> str:
    """Return the GB 11714 check character for an 8-character organisation-code body."""
    if len(body) == len(ORG_WEIGHTS) and _BASE36_VALUE.keys() >= set(body):  # the usual case
        total = sum(map(mul, map(_BASE36_VALUE.__getitem__, body), ORG_WEIGHTS))
    else:  # lower case, other digits, a wrong length (ValueError): as int() and zip() say
        total = sum(int(c, 36) * w for c, w in zip(body, ORG_WEIGHTS, strict=True))
    return ORG_CHECK[11 - total % 11]


def _result(
    scheme: str,
    value: str,
    problems: list[str],
    keys: list[str] | None = None,
    details: dict[str, str] | None = None,
) -> Identifier:
    valid = not problems
    return Identifier(
        scheme=scheme,
        value=value,
        valid=valid,
        problems=tuple(problems),
        keys=frozenset(keys or ()) if valid else frozenset(),
        details=MappingProxyType(details or {}),
    )


def _org_problems(code: str) -> list[str]:
    if not ORG_FORMAT.fullmatch(code):
        return [f"organisation code must be 8 digits/letters and a check character, got {code!r}"]
    if org_code_check(code[:8]) != code[8]:
        return [f"organisation code check character should be {org_code_check(code[:8])}"]
    return []


def _parse_cn_org(value: str) -> Identifier:
    return _result("cn_org", value, _org_problems(value), [f"cn_org:{value}"])


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_INDEX = {c: i for i, c in enumerate(USCC_ALPHABET)}
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_FORMAT = re.compile(r"[0-9]{8}[0-9A-HJ-NP-RTUWXY]{10}")


def _uscc_valid(value: str) -> bool:
    """Fast check of a compact USCC, the same test as ``stdnum.cn.uscc.validate``."""
    if not USCC_FORMAT.fullmatch(value):
        return False
    total = sum(map(mul, map(_USCC_INDEX.__getitem__, value[:17]), USCC_WEIGHTS))
    return value[-1] == USCC_ALPHABET[(31 - total) % 31]


def _parse_uscc(value: str) -> Identifier:
    # valid values skip stdnum (same test); the others take it for its error messages
    problems = [] if _uscc_valid(value) else _stdnum_problems(std_uscc.validate, value, "USCC", 18)
    org = value[8:17]
    details = {"organisation_code": org}
    if len(value) == 18:
        details["authority"] = _USCC_AUTHORITY.get(value[0], value[0])
        details["entity_type"] = (
            _USCC_TYPE_9.get(value[1], value[1]) if value[0] == "9" else value[1]
        )
        details["admin_division"] = value[2:8]
    keys = [f"uscc:{value}"]
    if not problems and not _org_problems(org):
        keys.append(f"cn_org:{org}")
    return _result("uscc", value, problems, keys, details)


def _parse_cn_tax(value: str) -> Identifier:
    if not re.fullmatch(r"\d{6}[0-9A-Z]{8}[0-9X]", value):
        problems = [
            f"tax number must be a 6-digit area code and a 9-char organisation code, got {value!r}"
        ]
    else:
        problems = _org_problems(value[6:])
    details = {"admin_division": value[:6], "organisation_code": value[6:]}
    return _result("cn_tax", value, problems, [f"cn_org:{value[6:]}", f"cn_tax:{value}"], details)


_REGNO_CERTIFICATE = re.compile(r"(企[合独作股外][\u4e00-\u9fff]{1,4}字)第?(\d{1,8})[号號]?")
"""The licence numbers of foreign-invested firms before 2007: 企 + the kind of investment
(合 joint venture, 独 wholly foreign-owned, 作 co-operative, 股 joint stock, 外 foreign) + the
issuing province and city (苏镇: Jiangsu, Zhenjiang) + 总 or 分 (head office or branch) + 字第
+ a serial number + 号."""


def _parse_cn_regno(value: str) -> Identifier:
    """A business registration number (注册号): 15 digits with an ISO 7064 MOD 11,10 check
    digit (GB/T 17710, since 2007), the older 13 digits without one, or a foreign-invested
    firm's licence number (企合苏镇分字第0010号, kept as 企合苏镇分字第0010: with 第, without
    号, the serial as written; ``字0010`` and ``第10`` read as the same number)."""
    details = {"admin_division": value[:6]}
    key = value
    if re.fullmatch(r"\d{15}", value):
        valid = mod_11_10.is_valid(value)
        problems = [] if valid else ["registration number: check digit (ISO 7064 MOD 11,10)"]
    elif re.fullmatch(r"\d{13}", value):
        problems = []
    elif certificate := _REGNO_CERTIFICATE.fullmatch(value):
        head, serial = certificate.groups()
        value, key, problems = f"{head}第{serial}", f"{head}{int(serial)}", []
        details = {"form": "licence number of a foreign-invested firm (企…字第…号)"}
    else:
        problems = ["registration number must be 13 or 15 digits, or 企…字第…号"]
    return _result("cn_regno", value, problems, [f"cn_regno:{key}"], details)


def _stdnum_problems(
    validate: Callable[[str], str], value: str, label: str, length: int | None
) -> list[str]:
    try:
        validate(value)
    except ValidationError as error:
        hint = (
            f" (expected {length} characters, got {len(value)})"
            if length and length != len(value)
            else ""
        )
        return [f"{label}: {error}{hint}"]
    return []


_ALNUM = re.compile(r"[0-9A-Z]+")
_BASE36 = str.maketrans({c: str(int(c, 36)) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})


def _lei_valid(value: str) -> bool:
    """Fast ISO 7064 mod 97-10 check, the same test as ``stdnum.lei.validate``."""
    return _ALNUM.fullmatch(value) is not None and int(value.translate(_BASE36)) % 97 == 1


def _parse_lei(value: str) -> Identifier:
    # valid values skip stdnum (same test); the others take it for its error messages
    problems = [] if _lei_valid(value) else _stdnum_problems(std_lei.validate, value, "LEI", 20)
    return _result("lei", value, problems, [f"lei:{value}"])


def _parse_vat(value: str) -> Identifier:
    problems = _stdnum_problems(vatin.validate, value, "VAT", None)
    if not problems:
        value = vatin.compact(value)
    return _result("vat", value, problems, [f"vat:{value}"])


def _parse_gb_vat(value: str) -> Identifier:
    number = value[2:] if value.startswith("GB") else value
    problems = _stdnum_problems(std_gb_vat.validate, number, "GB VAT", None)
    return _result("gb_vat", number, problems, [f"vat:GB{number}"])


def _parse_ein(value: str) -> Identifier:
    problems = _stdnum_problems(std_ein.validate, value, "EIN", 9)
    return _result("ein", value, problems, [f"ein:{value}"])


def _parse_siren(value: str) -> Identifier:
    problems = _stdnum_problems(std_siren.validate, value, "SIREN", 9)
    return _result("siren", value, problems, [f"siren:{value}"])


def _parse_siret(value: str) -> Identifier:
    problems = _stdnum_problems(std_siret.validate, value, "SIRET", 14)
    details = {"siren": value[:9], "nic": value[9:]} if len(value) == 14 else {}
    return _result("siret", value, problems, [f"siret:{value}"], details)


def _parse_gb_crn(value: str) -> Identifier:
    value = value.zfill(8) if value.isdigit() and len(value) < 8 else value
    problems = (
        []
        if _GB_CRN.fullmatch(value)
        else ["Companies House number must be 8 digits or a 2-letter prefix and 6 digits"]
    )
    return _result("gb_crn", value, problems, [f"gb_crn:{value}"])


def _parse_de_hr(raw: str) -> Identifier:
    text = " ".join(unicodedata.normalize("NFKC", raw).split())
    match = _DE_HR.match(text.upper())
    if not match:
        return _result("de_hr", compact(raw), ["Handelsregister number must look like 'HRB 12345'"])
    register, number = match["register"], match["number"].replace(" ", "")
    value = f"{register}{number}"
    court = text[: match.end("court")].strip()
    details = {"register": register, "number": number}
    if court:
        details["court"] = court
        value = f"{compact(court)}:{value}"
    return _result("de_hr", value, [], [f"de_hr:{value}"], details)


_PARSERS: dict[str, Callable[[str], Identifier]] = {
    "uscc": _parse_uscc,
    "cn_org": _parse_cn_org,
    "cn_tax": _parse_cn_tax,
    "cn_regno": _parse_cn_regno,
    "lei": _parse_lei,
    "vat": _parse_vat,
    "gb_vat": _parse_gb_vat,
    "ein": _parse_ein,
    "siren": _parse_siren,
    "siret": _parse_siret,
    "gb_crn": _parse_gb_crn,
}


CHINESE_SCHEMES = ("uscc", "cn_regno", "cn_tax", "cn_org")
"""Codes of one firm in Chinese registers, tried in this order when a declared one fails."""


def _candidates(raw: str, value: str) -> list[str]:
    """Schemes a value's shape allows, most likely first."""
    stripped = unicodedata.normalize("NFKC", raw).strip()
    if re.search(r"\bHR[AB]\b|\bGNR\b|\bVR\b", stripped.upper()):
        return ["de_hr"]
    if value.startswith("企"):
        return ["cn_regno"]
    length = len(value)
    if length == 18:
        return ["uscc"]
    if length == 20:
        return ["lei"]
    if length == 14 and value.isdigit():
        return ["siret"]
    if length == 15:
        return ["cn_tax", "cn_regno"] if value.isdigit() else ["cn_tax"]
    if length == 9:
        if re.fullmatch(r"\d{2}-\d{7}", stripped):
            return ["ein"]
        return ["cn_org", "siren", "ein"] if value.isdigit() else ["cn_org"]
    if length == 8 and _GB_CRN.fullmatch(value):
        return ["gb_crn"]
    if value[:2].isalpha() and value[2:3].isalnum():
        return ["gb_vat", "vat"] if value.startswith("GB") else ["vat"]
    return ["cn_org"] if length == 9 else []


@lru_cache(maxsize=1 << 16)
def parse_identifier(value: str, scheme: str = "auto") -> Identifier:
    """Parse one identifier value.

    Args:
        value: Raw text; full-width digits, lower case, spaces and hyphens are normalised.
        scheme: One of ``SCHEMES``, or ``auto`` to detect the scheme from the value's shape
            (the first scheme under which the value is valid, else the most likely one).

    Raises:
        ValueError: For an unknown scheme name; the message lists the known ones.
    """
    if scheme != "auto" and scheme not in SCHEMES:
        raise ValueError(f"unknown identifier scheme {scheme!r}; known: auto, {', '.join(SCHEMES)}")
    value_c = compact(value)
    if scheme == "de_hr":
        return _parse_de_hr(value)
    if scheme != "auto":
        result = _PARSERS[scheme](value_c)
        if not result.valid and scheme in CHINESE_SCHEMES:
            # a Chinese register's code column holds whichever code the firm had: the USCC,
            # or before it the registration number, organisation code or tax number
            for other in CHINESE_SCHEMES:
                if other != scheme and (found := _PARSERS[other](value_c)).valid:
                    return found
        return result
    results = [
        _parse_de_hr(value) if name == "de_hr" else _PARSERS[name](value_c)
        for name in _candidates(value, value_c)
    ]
    for result in results:
        if result.valid:
            return result
    if results:
        return results[0]
    return Identifier("unknown", value_c, False, ("no known identifier scheme has this format",))
