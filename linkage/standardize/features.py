"""Table-level standardisation: the records table in, the features table out.

Each distinct raw value is standardised once and mapped back to its rows, so a column with
many repeated names, countries or identifiers costs one call per distinct value.
"""

from __future__ import annotations

from collections.abc import Callable
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
from linkage.standardize.distinctive import address_numbers, split_name
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
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None


class _Distinct:
    """A column factorised into one integer code per row (-1 = missing) and its distinct texts."""

    def __init__(self, records: pd.DataFrame, column: str) -> None:
        if column in records.columns:
            codes, uniques = pd.factorize(records[column], use_na_sentinel=True)
            texts = [_text(u) for u in uniques]
        else:
            codes, texts = np.full(len(records), -1, dtype=np.intp), []
        self.codes = codes
        self.texts: list[str | None] = texts

    def rows(self, values: list[Any]) -> np.ndarray:
        """Spread one value per distinct text back to the rows (missing rows get None)."""
        return _spread(self.codes, values)

    def map(self, func: Callable[[str], Any]) -> np.ndarray:
        """Apply func once per distinct non-blank text; one result per row."""
        return self.rows([None if t is None else func(t) for t in self.texts])

    def pair_codes(
        self, other: _Distinct, values: list[Any], func: Callable[[str, Any], Any]
    ) -> tuple[np.ndarray, list[Any]]:
        """Apply func(text, value of other) once per distinct (text, other) pair.

        Returns:
            One code per row and one result per code (None for rows missing this text).
        """
        width = len(other.texts) + 1
        combined = np.where(
            self.codes < 0, -1, self.codes.astype(np.int64) * width + other.codes + 1
        )
        codes, uniques = pd.factorize(combined)
        results = []
        for key in uniques.tolist():
            text = None if key < 0 else self.texts[key // width]
            code = key % width - 1
            results.append(
                None if text is None else func(text, values[code] if code >= 0 else None)
            )
        return codes, results

    def map_with(
        self, other: _Distinct, values: list[Any], func: Callable[[str, Any], Any]
    ) -> np.ndarray:
        """Like ``pair_codes`` but spread back to one result per row."""
        return _spread(*self.pair_codes(other, values, func))


def _codes_of(values: np.ndarray, func: Callable[[str], Any]) -> tuple[np.ndarray, list[Any]]:
    """Factorise already-standardised values and apply func once per distinct one."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    return codes, [func(u) for u in uniques]


def _spread(codes: np.ndarray, values: list[Any]) -> np.ndarray:
    table = np.empty(len(values) + 1, dtype=object)
    table[: len(values)] = values
    table[-1] = None
    return table[codes]


def _name_features(
    names: _Distinct, countries: _Distinct, country_codes: list[str | None]
) -> dict[str, np.ndarray]:
    if any(country_codes):
        codes, parsed = names.pair_codes(
            countries, country_codes, lambda n, c: normalize_name(n, country=c)
        )
    else:
        codes, parsed = names.codes, [None if t is None else normalize_name(t) for t in names.texts]

    def attr(get: Callable[[CompanyName], Any]) -> np.ndarray:
        return _spread(codes, [None if p is None else get(p) for p in parsed])

    return {
        "name_norm": attr(lambda p: p.norm),
        "name_tokens": attr(lambda p: " ".join(p.tokens)),
        "name_latin": attr(lambda p: p.latin),
        "legal_form_code": attr(lambda p: p.legal_form),
        "is_branch": attr(lambda p: p.is_branch).astype(bool),
        "branch_place": attr(lambda p: p.branch_place),
        "name_place": attr(lambda p: p.place),
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
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    out: dict[str, np.ndarray] = {}
    key_columns: list[np.ndarray] = []
    for column in columns:
        scheme = column[3:]
        values = _Distinct(records, column)
        parsed = [None if t is None else parse_identifier(t, scheme) for t in values.texts]
        out[f"{column}_norm"] = values.rows([p.value if p else None for p in parsed])
        out[f"{column}_valid"] = values.rows([bool(p and p.valid) for p in parsed]).astype(bool)
        out[f"{column}_scheme"] = values.rows([p.scheme if p else None for p in parsed])
        out[f"{column}_problem"] = values.rows(
            [("; ".join(p.problems) or None) if p else None for p in parsed]
        )
        key_columns.append(values.rows([" ".join(sorted(p.keys)) if p else "" for p in parsed]))
    keys = np.full(len(records), "", dtype=object)
    if len(key_columns) == 1:
        keys = np.where(pd.isna(key_columns[0]), "", key_columns[0])
    elif key_columns:
        for row, parts in enumerate(zip(*key_columns, strict=True)):
            words = {w for part in parts if part for w in part.split()}
            keys[row] = " ".join(sorted(words))
    return out, keys


def build_features(records: pd.DataFrame, *, default_region: str | None = None) -> pd.DataFrame:
    """Add standardised columns to the canonical records table.

    Args:
        records: Columns ``uid``, ``source``, ``record_id``, any canonical raw fields and
            identifier columns ``id_<scheme>`` (scheme may be ``auto``).
        default_region: ISO alpha-2 region for phone numbers of records without a country.

    Returns:
        A new frame, same rows and order, input columns untouched, plus ``name_norm``,
        ``name_tokens``, ``name_latin``, ``legal_form_code``, ``is_branch``, ``branch_place``,
        ``name_place``, ``name_core`` and ``name_generic`` (distinctive and generic words of
        the name, see :mod:`linkage.standardize.distinctive`), ``address_norm``,
        ``address_numbers``, ``postcode_norm``, ``phone_e164``, ``email_norm``,
        ``domain``, per identifier column ``id_<scheme>_norm``/``_valid``/``_scheme``/
        ``_problem``, and ``id_keys`` (sorted, space-joined crosswalk keys; "" when none).
        Missing values stay missing (None); blank strings count as missing.
    """
    countries = _Distinct(records, "country")
    country_codes = [None if t is None else country_code(t) for t in countries.texts]
    new = _name_features(_Distinct(records, "name"), countries, country_codes)
    raw_forms = _Distinct(records, "legal_form").map(legal_form_code)
    new["legal_form_code"] = np.where(pd.isna(raw_forms), new["legal_form_code"], raw_forms)
    new["address_norm"] = _Distinct(records, "address").map(normalize_address)
    codes, parts = _codes_of(new["name_tokens"], split_name)
    new["name_core"] = _spread(codes, [p[0] if p else None for p in parts])
    new["name_generic"] = _spread(codes, [p[1] if p else None for p in parts])
    new["address_numbers"] = _spread(*_codes_of(new["address_norm"], address_numbers))
    new["postcode_norm"] = _Distinct(records, "postcode").map_with(
        countries, country_codes, lambda p, c: normalize_postcode(p, c)
    )
    regions = [c or default_region for c in country_codes]
    new["phone_e164"] = _Distinct(records, "phone").map_with(
        countries, regions, lambda p, r: normalize_phone(p, region=r or default_region)
    )
    new["email_norm"] = _Distinct(records, "email").map(normalize_email)
    websites = _Distinct(records, "website").map(registrable_domain)
    email_domains = _spread(*_codes_of(new["email_norm"], registrable_domain))
    new["domain"] = np.where(pd.isna(websites), email_domains, websites)
    id_features, id_keys = _identifier_features(records, _identifier_columns(records))
    new.update(id_features)
    new["id_keys"] = id_keys
    frame = pd.DataFrame(new, index=records.index)
    return pd.concat([records, frame], axis=1)
