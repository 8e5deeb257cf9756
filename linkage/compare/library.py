"""The comparison library: exact, string-similarity, date, phone, e-mail, address and identifier
comparisons, and rebuilding any comparison from its dict."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler, Levenshtein

from linkage.compare.base import Comparison, SingleColumn
from linkage.compare.names import CompanyNameComparison
from linkage.compare.values import (
    NULL,
    Distinct,
    Level,
    Prepared,
    assign_levels,
    clean_text,
    frequencies,
    has_cjk_char,
    null_exact,
    similarity,
    source_codes,
)
from linkage.compare.words import word_columns, word_relations


class ExactMatch(SingleColumn):
    """Exact match of one (cleaned) column: null, exact, else."""

    def levels(self) -> list[Level]:
        return [Level(NULL, "null"), Level(1, "exact match"), Level(0, "else")]

    def compute(self, left: Prepared, right: Prepared) -> np.ndarray:
        null, exact = null_exact(left, right, "value")
        return assign_levels([(1, exact)], null)

    def params(self) -> dict[str, Any]:
        return self.base_params()


class JaroWinklerAtThresholds(SingleColumn):
    """Exact match, then Jaro–Winkler similarity at or above each threshold, else."""

    def __init__(
        self,
        column: str,
        thresholds: Sequence[float] = (0.92, 0.8),
        *,
        name: str | None = None,
        clean: bool = True,
        tf_adjust: bool = False,
        descriptive: bool = False,
    ) -> None:
        super().__init__(
            column, name=name, clean=clean, tf_adjust=tf_adjust, descriptive=descriptive
        )
        self.thresholds = tuple(float(t) for t in thresholds)

    def levels(self) -> list[Level]:
        top = len(self.thresholds) + 1
        out = [Level(NULL, "null"), Level(top, "exact match")]
        out += [Level(top - 1 - i, f"Jaro-Winkler >= {t:g}") for i, t in enumerate(self.thresholds)]
        return [*out, Level(0, "else")]

    def compute(self, left: Prepared, right: Prepared) -> np.ndarray:
        a, b = left["value"], right["value"]
        null, exact = null_exact(left, right, "value")
        sim = similarity(
            a,
            b,
            JaroWinkler.normalized_similarity,
            ~null & ~exact,
            1.0,
            cutoff=min(self.thresholds, default=None),
        )
        top = len(self.thresholds) + 1
        conditions = [(top, exact)]
        conditions += [(top - 1 - i, sim >= t) for i, t in enumerate(self.thresholds)]
        return assign_levels(conditions, null)

    def params(self) -> dict[str, Any]:
        return {**self.base_params(), "thresholds": list(self.thresholds)}


class LevenshteinAtThresholds(SingleColumn):
    """Exact match, then Levenshtein distance at or below each threshold, else."""

    def __init__(
        self,
        column: str,
        thresholds: Sequence[int] = (1, 2),
        *,
        name: str | None = None,
        clean: bool = True,
        tf_adjust: bool = False,
        descriptive: bool = False,
    ) -> None:
        super().__init__(
            column, name=name, clean=clean, tf_adjust=tf_adjust, descriptive=descriptive
        )
        self.thresholds = tuple(int(t) for t in thresholds)

    def levels(self) -> list[Level]:
        top = len(self.thresholds) + 1
        out = [Level(NULL, "null"), Level(top, "exact match")]
        out += [Level(top - 1 - i, f"Levenshtein <= {t}") for i, t in enumerate(self.thresholds)]
        return [*out, Level(0, "else")]

    def compute(self, left: Prepared, right: Prepared) -> np.ndarray:
        a, b = left["value"], right["value"]
        null, exact = null_exact(left, right, "value")
        mask = ~null & ~exact
        dist = np.full(len(a), np.iinfo(np.int32).max, dtype=np.int32)
        if mask.any():
            dist[mask] = process.cpdist(
                a[mask], b[mask], scorer=Levenshtein.distance, workers=-1, dtype=np.int32
            )
        top = len(self.thresholds) + 1
        conditions = [(top, exact)]
        conditions += [(top - 1 - i, dist <= t) for i, t in enumerate(self.thresholds)]
        return assign_levels(conditions, null)

    def params(self) -> dict[str, Any]:
        return {**self.base_params(), "thresholds": list(self.thresholds)}


_NON_DIGIT = re.compile(r"\D+")


def _date_digits(value: Any) -> str | None:
    text = clean_text(value)
    if text is None:
        return None
    digits = _NON_DIGIT.sub("", text)
    return digits or None


def _days_of(digits: np.ndarray) -> np.ndarray:
    """Days since 1970 of distinct ``YYYYMMDD`` strings (nan otherwise)."""
    text = pd.Series(digits, dtype=object)
    eight = text.str.len() == 8
    stamps = pd.to_datetime(text.where(eight, None), format="%Y%m%d", errors="coerce")
    return (stamps - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype=np.float64)


class DateComparison(SingleColumn):
    """Dates (ISO or ``YYYYMMDD``): exact, one typo, within ``max_days``, else."""

    def __init__(
        self,
        column: str,
        *,
        max_days: int = 365,
        name: str | None = None,
        clean: bool = True,
        tf_adjust: bool = False,
    ) -> None:
        super().__init__(column, name=name, clean=clean, tf_adjust=tf_adjust)
        self.max_days = int(max_days)

    def levels(self) -> list[Level]:
        return [
            Level(NULL, "null"),
            Level(3, "exact date"),
            Level(2, "one digit differs or transposed (Levenshtein <= 1)"),
            Level(1, f"within {self.max_days} days"),
            Level(0, "else"),
        ]

    def prepare(self, frame: pd.DataFrame) -> Prepared:
        digits = Distinct.column(frame, self.column).derive(_date_digits)
        out = self._prepared(digits, frame)
        out["days"] = np.append(_days_of(digits.values), np.nan)[digits.codes]
        return out

    def compute(self, left: Prepared, right: Prepared) -> np.ndarray:
        a, b = left["value"], right["value"]
        null, exact = null_exact(left, right, "value")
        mask = ~null & ~exact
        dist = np.full(len(a), 99, dtype=np.int32)
        if mask.any():
            dist[mask] = process.cpdist(
                a[mask], b[mask], scorer=Levenshtein.distance, workers=-1, dtype=np.int32
            )
        transposed = _transposition(a, b, mask)
        with np.errstate(invalid="ignore"):
            close = np.abs(left["days"] - right["days"]) <= self.max_days
        return assign_levels([(3, exact), (2, (dist <= 1) | transposed), (1, close)], null)

    def params(self) -> dict[str, Any]:
        return {**self.base_params(), "max_days": self.max_days}


def _transposition(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """True where two equal-length strings differ by one swap of adjacent characters."""
    out = np.zeros(len(a), dtype=bool)
    if mask.any():
        osa = process.cpdist(a[mask], b[mask], scorer=_osa_distance(), workers=-1, dtype=np.int32)
        out[mask] = osa <= 1
    return out


def _osa_distance() -> Callable[..., int]:
    from rapidfuzz.distance import OSA

    return OSA.distance


class PhoneComparison(SingleColumn):
    """Phone numbers (E.164): exact, same last ``digits`` digits, else.

    Given ``address`` (the name of the run's address comparison), a number the two records
    share says nothing where their addresses are at that comparison's "else" level: one
    line at two sites is an organisation's switchboard, not evidence of one site (in the
    Chicago early-childhood lists such pairs were false merges 103 times and true 27; on
    registries built from real firms, fewer false merges and no pair lost). EM cannot learn
    this, since random pairs almost never share a number at all.
    """

    def __init__(
        self,
        column: str = "phone_e164",
        *,
        digits: int = 7,
        name: str | None = "phone",
        clean: bool = True,
        tf_adjust: bool = False,
        address: str | None = None,
    ) -> None:
        super().__init__(column, name=name, clean=clean, tf_adjust=tf_adjust)
        self.digits = int(digits)
        self.address = address
        self.void_when = (address, 0) if address else None

    def levels(self) -> list[Level]:
        null = "null, or the same number at another address" if self.address else "null"
        return [
            Level(NULL, null),
            Level(2, "exact number"),
            Level(1, f"same last {self.digits} digits"),
            Level(0, "else"),
        ]

    def prepare(self, frame: pd.DataFrame) -> Prepared:
        column = Distinct.column(frame, self.column, clean=self.clean)
        out = self._prepared(column, frame)
        digits = self.digits
        out["tail_code"] = column.derive(lambda v: _NON_DIGIT.sub("", str(v))[-digits:]).codes
        return out

    def compute(self, left: Prepared, right: Prepared) -> np.ndarray:
        null, exact = null_exact(left, right, "value")
        _, tail = null_exact(left, right, "tail")
        return assign_levels([(2, exact), (1, tail)], null)

    def params(self) -> dict[str, Any]:
        extra = {"address": self.address} if self.address else {}
        return {**self.base_params(), "digits": self.digits, **extra}


class EmailComparison(Comparison):
    """E-mail: exact address, same registrable domain, else (null when a side has neither)."""

    def __init__(
        self, email: str = "email_norm", domain: str = "domain", *, name: str = "email"
    ) -> None:
        self.email = email
        self.domain = domain
        self.name = name
        self.columns = (email, domain)
        self.tf_levels = {1: "domain"}

    def levels(self) -> list[Level]:
        return [
            Level(NULL, "null"),
            Level(2, "exact e-mail"),
            Level(1, "same web/e-mail domain"),
            Level(0, "else"),
        ]

    def prepare(self, frame: pd.DataFrame) -> Prepared:
        domain = Distinct.column(frame, self.domain, clean=True)
        return {
            "email_code": Distinct.column(frame, self.email, clean=True).codes,
            "domain_code": domain.codes,
            "domain_freq": frequencies(domain.codes, source_codes(frame)),
            "__values_domain": domain.values,
        }

    def compute(self, left: Prepared, right: Prepared) -> np.ndarray:
        no_email, same_email = null_exact(left, right, "email")
        no_domain, same_domain = null_exact(left, right, "domain")
        return assign_levels([(2, same_email), (1, same_domain)], no_email & no_domain)

    def params(self) -> dict[str, Any]:
        return {"email": self.email, "domain": self.domain, "name": self.name}


class AddressComparison(Comparison):
    """Addresses: exact, token-sort similarity at thresholds, same numbers, same postcode, else.

    Addresses in different scripts (a Chinese and an English address) are compared by their
    house, building and room numbers only (``numbers`` column). Null when neither the address
    nor the postcode can be compared. An exact address shared by many firms (a registered
    agent's) weighs less through its term frequency.

    With ``number_conflict`` (the automatic configuration turns it on), two addresses whose
    numbers share none ("5745 west division street" / "5654 west division street": two sites
    of one street) are at "else" instead of a similarity or same-postcode level: a similar
    street says little when the house numbers disagree. (A level of their own was tried: EM
    then gave "else" much less weight, and generated data lost precision.) ``tf_adjust=False``
    keeps exact addresses at the level's weight (the automatic configuration's choice: the
    frequency of an address counts the duplicates of one site as other firms).
    """

    def __init__(
        self,
        address: str = "address_norm",
        postcode: str | None = "postcode_norm",
        thresholds: Sequence[float] = (0.9, 0.75),
        *,
        numbers: str | None = "address_numbers",
        name: str = "address",
        number_conflict: bool = False,
        tf_adjust: bool = True,
    ) -> None:
        self.address = address
        self.postcode = postcode
        self.numbers = numbers
        self.number_conflict = bool(number_conflict) and numbers is not None
        self.tf_adjust = bool(tf_adjust)
        self.thresholds = tuple(float(t) for t in thresholds)
        self.name = name
        self.columns = (
            (address,) + ((postcode,) if postcode else ()) + ((numbers,) if numbers else ())
        )

    @property
    def tf_levels(self) -> dict[int, str]:  # type: ignore[override]
        return {self._top(): "address"} if self.tf_adjust else {}

    def _top(self) -> int:
        return len(self.thresholds) + 1 + (1 if self.postcode else 0) + (1 if self.numbers else 0)

    def levels(self) -> list[Level]:
        top = self._top()
        out = [Level(NULL, "null"), Level(top, "exact address")]
        out += [
            Level(top - 1 - i, f"token-sort similarity >= {t:g}")
            for i, t in enumerate(self.thresholds)
        ]
        level = top - 1 - len(self.thresholds)
        if self.numbers:
            out.append(Level(level, "same house and room numbers"))
            level -= 1
        if self.postcode:
            out.append(Level(level, "same postcode"))
        other = "else, or no house number shared" if self.number_conflict else "else"
        return [*out, Level(0, other)]

    def prepare(self, frame: pd.DataFrame) -> Prepared:
        address = Distinct.column(frame, self.address, clean=True)
        out = {
            "address_code": address.codes,
            "address_freq": frequencies(address.codes, source_codes(frame)),
            "cjk": address.map(has_cjk_char, dtype=bool, missing=False),
            # words sorted once per address: token-sort similarity is then a plain ratio
            "address_sorted": address.map(lambda a: " ".join(sorted(a.split()))),
            "__implied": np.array(["address_sorted", "cjk"], dtype=object),  # of address_code
            "__values_address": address.values,
        }
        if self.postcode:
            out["postcode_code"] = Distinct.column(frame, self.postcode, clean=True).codes
        if self.numbers:
            numbers = Distinct.column(frame, self.numbers)
            out["numbers_code"] = numbers.codes
            if self.number_conflict:
                out.update(word_columns("numbers", numbers))
        return out

    def compute(self, left: Prepared, right: Prepared) -> np.ndarray:
        a, b = left["address_code"], right["address_code"]
        both = (a >= 0) & (b >= 0)
        same_script = left["cjk"] == right["cjk"]
        exact = both & (a == b)
        sim = similarity(
            left["address_sorted"],
            right["address_sorted"],
            fuzz.ratio,
            both & ~exact & same_script,
            100.0,
            cutoff=min(self.thresholds, default=None),
        )
        top = self._top()
        conditions = [(top, exact)]
        if self.number_conflict:
            # numbers on both sides, none shared
            na, nb = left["numbers_code"], right["numbers_code"]
            counted = (na >= 0) & (nb >= 0)
            shared = word_relations(left, right, "numbers").shared
            conditions.append((0, both & ~exact & counted & ~shared))
        conditions += [(top - 1 - i, both & (sim >= t)) for i, t in enumerate(self.thresholds)]
        null = ~both | ~same_script
        level = top - 1 - len(self.thresholds)
        if self.numbers:
            na, nb = left["numbers_code"], right["numbers_code"]
            counted = (na >= 0) & (nb >= 0)
            same_numbers = counted & (na == nb)
            conditions.append((level, same_numbers))
            comparable = counted & both
            if self.number_conflict:
                # across scripts the numbers are all there is: some shared and some not (a room
                # one rendering left out) is neither the same address nor another
                comparable &= same_script | same_numbers | ~shared
            null &= ~comparable
            level -= 1
        if self.postcode:
            pa, pb = left["postcode_code"], right["postcode_code"]
            codes = (pa >= 0) & (pb >= 0)
            conditions.append((level, codes & (pa == pb)))
            null &= ~codes
        return assign_levels(conditions, null)

    def params(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "postcode": self.postcode,
            "thresholds": list(self.thresholds),
            "numbers": self.numbers,
            "name": self.name,
            **({"number_conflict": True} if self.number_conflict else {}),
            **({} if self.tf_adjust else {"tf_adjust": False}),
        }


def _key_matrix(keys: Distinct) -> np.ndarray:
    """Space-separated keys per record -> (n, k) int64 hash matrix, 0 = no key."""
    # built once per distinct value (the last row: missing)
    return _key_rows(np.append(keys.values, [None]))[keys.codes]


def _key_rows(keys: np.ndarray) -> np.ndarray:
    lists = [str(k).split() if isinstance(k, str) and k else [] for k in keys]
    width = max((len(x) for x in lists), default=0)
    out = np.zeros((len(lists), max(width, 1)), dtype=np.int64)
    flat = [k for x in lists for k in x]
    if not flat:
        return out
    hashes = pd.util.hash_array(np.array(flat, dtype=object)).view(np.int64)
    hashes = np.where(hashes == 0, 1, hashes)
    counts = np.array([len(x) for x in lists], dtype=np.int64)
    rows = np.repeat(np.arange(len(lists)), counts)
    cols = np.arange(len(flat)) - np.repeat(np.cumsum(counts) - counts, counts)
    out[rows, cols] = hashes
    return out


def _any_shared(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise: do two (n, k) hash matrices share a non-zero entry?"""
    out = np.zeros(len(a), dtype=bool)
    for i in range(a.shape[1]):
        col = a[:, i]
        live = col != 0
        for j in range(b.shape[1]):
            out |= live & (col == b[:, j])
    return out


class IdentifierComparison(Comparison):
    """Registry identifiers through their crosswalk keys (``scheme:value``).

    Levels: share a crosswalk key; an identifier on a side is invalid (weak evidence); both
    valid of one scheme and different (strong evidence against). Null when a side has no
    identifier, or when both sides' valid identifiers are of different schemes.
    """

    def __init__(self, keys: str = "id_keys", *, name: str = "identifier") -> None:
        self.keys = keys
        self.name = name
        self.columns = (keys,)
        self.tf_levels = {}

    def default_m(self) -> np.ndarray:
        return np.array([0.02, 0.08, 0.90])

    def levels(self) -> list[Level]:
        return [
            Level(NULL, "null"),
            Level(2, "share a crosswalk key"),
            Level(1, "an identifier is invalid"),
            Level(0, "both valid, same scheme, different"),
        ]

    def prepare(self, frame: pd.DataFrame) -> Prepared:
        keys = Distinct.column(frame, self.keys)
        spaces = keys.derive(
            lambda k: " ".join(sorted({p.split(":", 1)[0] for p in str(k).split()}))
        )
        raw_columns = [
            c
            for c in frame.columns
            if isinstance(c, str)
            and c.startswith("id_")
            and c != self.keys
            and not c.endswith(("_norm", "_valid", "_scheme", "_problem"))
        ]
        has_raw = np.zeros(len(frame), dtype=bool)
        for column in raw_columns:  # standardised, a present raw value has a compact form
            norm = f"{column}_norm"
            if norm in frame:
                has_raw |= frame[norm].notna().to_numpy()
            else:
                has_raw |= Distinct.column(frame, column).codes >= 0
        has_keys = keys.codes >= 0
        return {
            "keys": _key_matrix(keys),
            "spaces": _key_matrix(spaces),
            "valid": has_keys,
            "invalid": has_raw & ~has_keys,
        }

    def compute(self, left: Prepared, right: Prepared) -> np.ndarray:
        shared = _any_shared(left["keys"], right["keys"])
        same_space = _any_shared(left["spaces"], right["spaces"])
        invalid = (left["invalid"] & (right["valid"] | right["invalid"])) | (
            right["invalid"] & left["valid"]
        )
        conflict = left["valid"] & right["valid"] & same_space & ~shared
        null = ~(shared | invalid | conflict)
        return assign_levels([(2, shared), (1, invalid), (0, conflict)], null)

    def params(self) -> dict[str, Any]:
        return {"keys": self.keys, "name": self.name}


COMPARISON_TYPES: dict[str, type[Comparison]] = {
    cls.__name__: cls
    for cls in (
        ExactMatch,
        JaroWinklerAtThresholds,
        LevenshteinAtThresholds,
        DateComparison,
        PhoneComparison,
        EmailComparison,
        AddressComparison,
        CompanyNameComparison,
        IdentifierComparison,
    )
}


def comparison_from_dict(data: Mapping[str, Any]) -> Comparison:
    """Rebuild a comparison from :meth:`Comparison.to_dict` output."""
    data = dict(data)
    kind = data.pop("type")
    if kind not in COMPARISON_TYPES:
        raise ValueError(f"unknown comparison type {kind!r}; known: {sorted(COMPARISON_TYPES)}")
    cls = COMPARISON_TYPES[kind]
    if "thresholds" in data and data["thresholds"] is not None:
        data["thresholds"] = tuple(data["thresholds"])
    positional = {k: data.pop(k) for k in ("column",) if k in data}
    return cls(*positional.values(), **data)
