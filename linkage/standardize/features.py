"""Table-level standardisation: the records table in, the features table out.

Each distinct raw value is standardised once and mapped back to its rows, so a column with
many repeated names, countries or identifiers costs one call per distinct value.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd

from linkage.standardize.addresses import normalize_address, normalize_postcode
from linkage.standardize.contacts import (
    country_code,
    normalize_email,
    normalize_phone,
    registrable_domain,
)
from linkage.standardize.identifiers import parse_identifier
from linkage.standardize.legal_forms import legal_form_code
from linkage.standardize.names import CompanyName, normalize_name

ID_SUFFIXES = ("_norm", "_valid", "_scheme", "_problem")
NAME_COLUMNS = (
    "name_norm",
    "name_tokens",
    "name_latin",
    "legal_form_code",
    "is_branch",
    "branch_place",
    "name_place",
)


def _text(value: Any) -> str | None:
    """Return the value as text, or None when it is missing or blank."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None


def _map_distinct(keys: list[Hashable], func: Callable[[Any], Any]) -> list[Any]:
    """Apply func once per distinct key (None stays None) and return one result per row."""
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=True)
    results = np.empty(len(uniques) + 1, dtype=object)
    results[:-1] = [func(u) for u in uniques]
    results[-1] = None
    return list(results[codes])


def _column(records: pd.DataFrame, name: str) -> list[str | None]:
    if name not in records.columns:
        return [None] * len(records)
    return [_text(v) for v in records[name].tolist()]


def _name_features(names: list[str | None], countries: list[str | None]) -> dict[str, list[Any]]:
    keys = [None if n is None else (n, c) for n, c in zip(names, countries, strict=True)]
    parsed: list[CompanyName | None] = _map_distinct(
        keys, lambda key: normalize_name(key[0], country=key[1])
    )
    return {
        "name_norm": [p.norm if p else None for p in parsed],
        "name_tokens": [" ".join(p.tokens) if p else None for p in parsed],
        "name_latin": [p.latin if p else None for p in parsed],
        "legal_form_code": [p.legal_form if p else None for p in parsed],
        "is_branch": [bool(p and p.is_branch) for p in parsed],
        "branch_place": [p.branch_place if p else None for p in parsed],
        "name_place": [p.place if p else None for p in parsed],
    }


def _identifier_columns(records: pd.DataFrame) -> list[str]:
    return [
        c
        for c in records.columns
        if isinstance(c, str)
        and c.startswith("id_")
        and c != "id_keys"
        and not c.endswith(ID_SUFFIXES)
    ]


def _identifier_features(
    records: pd.DataFrame, columns: list[str]
) -> tuple[dict[str, list[Any]], list[str]]:
    out: dict[str, list[Any]] = {}
    row_keys: list[list[str]] = [[] for _ in range(len(records))]
    for column in columns:
        scheme = column[3:]
        parsed = _map_distinct(_column(records, column), lambda v, s=scheme: parse_identifier(v, s))
        out[f"{column}_norm"] = [p.value if p else None for p in parsed]
        out[f"{column}_valid"] = [bool(p and p.valid) for p in parsed]
        out[f"{column}_scheme"] = [p.scheme if p else None for p in parsed]
        out[f"{column}_problem"] = [("; ".join(p.problems) or None) if p else None for p in parsed]
        for keys, p in zip(row_keys, parsed, strict=True):
            if p is not None and p.keys:
                keys.extend(p.keys)
    return out, [" ".join(sorted(set(k))) for k in row_keys]


def build_features(records: pd.DataFrame, *, default_region: str | None = None) -> pd.DataFrame:
    """Add standardised columns to the canonical records table.

    Args:
        records: Columns ``uid``, ``source``, ``record_id``, any canonical raw fields and
            identifier columns ``id_<scheme>`` (scheme may be ``auto``).
        default_region: ISO alpha-2 region for phone numbers of records without a country.

    Returns:
        A new frame, same rows and order, input columns untouched, plus ``name_norm``,
        ``name_tokens``, ``name_latin``, ``legal_form_code``, ``is_branch``, ``branch_place``,
        ``name_place``, ``address_norm``, ``postcode_norm``, ``phone_e164``, ``email_norm``,
        ``domain``, per identifier column ``id_<scheme>_norm``/``_valid``/``_scheme``/
        ``_problem``, and ``id_keys`` (sorted, space-joined crosswalk keys; "" when none).
        Missing values stay missing (None); blank strings count as missing.
    """
    countries = _map_distinct(_column(records, "country"), country_code)
    new: dict[str, list[Any]] = _name_features(_column(records, "name"), countries)
    raw_forms = _map_distinct(_column(records, "legal_form"), legal_form_code)
    new["legal_form_code"] = [
        r or n for r, n in zip(raw_forms, new["legal_form_code"], strict=True)
    ]
    new["address_norm"] = _map_distinct(_column(records, "address"), normalize_address)
    postcode_keys = [
        None if p is None else (p, c)
        for p, c in zip(_column(records, "postcode"), countries, strict=True)
    ]
    new["postcode_norm"] = _map_distinct(postcode_keys, lambda k: normalize_postcode(*k))
    phone_keys = [
        None if p is None else (p, c or default_region)
        for p, c in zip(_column(records, "phone"), countries, strict=True)
    ]
    new["phone_e164"] = _map_distinct(phone_keys, lambda k: normalize_phone(k[0], region=k[1]))
    new["email_norm"] = _map_distinct(_column(records, "email"), normalize_email)
    websites = _map_distinct(_column(records, "website"), registrable_domain)
    email_domains = _map_distinct(new["email_norm"], registrable_domain)
    new["domain"] = [w or e for w, e in zip(websites, email_domains, strict=True)]
    id_features, id_keys = _identifier_features(records, _identifier_columns(records))
    new.update(id_features)
    new["id_keys"] = id_keys
    frame = pd.DataFrame(new, index=records.index)
    frame["is_branch"] = frame["is_branch"].astype(bool)
    for column in id_features:
        if column.endswith("_valid"):
            frame[column] = frame[column].astype(bool)
    return pd.concat([records, frame], axis=1)
