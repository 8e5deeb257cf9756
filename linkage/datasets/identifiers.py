"""Vectorised generation of valid business identifiers, and of their typing errors.

Each scheme is built as an ``(n, length)`` array of character codes so that check characters are
computed for all rows at once; strings are made only at the end. Schemes: the Chinese USCC
(GB 32100-2015) with its embedded organisation code (GB 11714), the legacy 15-character tax
number, the LEI (ISO 17442, ISO 7064 mod 97-10) and VAT numbers of GB, DE, FR and NL.
"""

from __future__ import annotations

import numpy as np


def zero_pad(numbers: np.ndarray, width: int) -> np.ndarray:
    """Numbers as zero-padded text (object array); empty in, empty out.

    ``np.char.zfill`` fails on an empty array, which small data sets produce.
    """
    text = np.asarray(numbers).astype(str)
    if text.size == 0:
        return text.astype(object)
    return np.char.zfill(text, width).astype(object)


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])
_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)
_ALNUM = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
_USCC_CODES = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
_USCC_INDEX = np.full(128, -1, dtype=np.int64)
_USCC_INDEX[_USCC_CODES] = np.arange(len(USCC_ALPHABET))


def codes_to_str(codes: np.ndarray) -> np.ndarray:
    """Turn an ``(n, L)`` uint8 array of ASCII codes into an object array of ``str``."""
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    raw = codes.view(f"S{codes.shape[1]}").ravel()
    return raw.astype(f"U{codes.shape[1]}").astype(object)


def digit_codes(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers as an ``(n, width)`` code array."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (_DIGITS[0] + (values[:, None] // powers) % 10).astype(np.uint8)


def unique_ints(
    rng: np.random.Generator, n: int, low: int, high: int, exclude: np.ndarray | None = None
) -> np.ndarray:
    """``n`` distinct random integers in ``[low, high)``, none of them in ``exclude``."""
    out = rng.integers(low, high, n)
    while True:
        seen = out if exclude is None else np.concatenate([exclude, out])
        _, first = np.unique(seen, return_index=True)
        keep = np.zeros(len(seen), dtype=bool)
        keep[first] = True
        bad = ~keep[len(seen) - n :]
        if not bad.any():
            return out
        out[bad] = rng.integers(low, high, int(bad.sum()))


def _gb11714_value(codes: np.ndarray) -> np.ndarray:
    """GB 11714 character values: digits 0-9, letters A=10 ... Z=35."""
    return np.where(codes <= ord("9"), codes - ord("0"), codes - ord("A") + 10).astype(np.int64)


def org_codes(rng: np.random.Generator, new_style: np.ndarray) -> np.ndarray:
    """Unique 9-character organisation codes with their GB 11714 check character.

    Old-style codes are 8 digits; codes issued with a USCC after 2015 start with ``MA`` followed
    by six USCC characters (as real ones do). Returned as an ``(n, 9)`` code array.
    """
    n = len(new_style)
    body = np.empty((n, 8), dtype=np.uint8)
    todo = np.arange(n)
    while len(todo):
        old = ~new_style[todo]
        fresh = np.empty((len(todo), 8), dtype=np.uint8)
        fresh[old] = digit_codes(rng.integers(10_000_000, 100_000_000, old.sum()), 8)
        k = int((~old).sum())
        fresh[~old, 0], fresh[~old, 1] = ord("M"), ord("A")
        fresh[~old, 2:] = _USCC_CODES[rng.integers(0, len(USCC_ALPHABET), (k, 6))]
        body[todo] = fresh
        _, first = np.unique(body.view("S8").ravel(), return_index=True)
        keep = np.zeros(n, dtype=bool)
        keep[first] = True
        todo = np.flatnonzero(~keep)
    check = 11 - (_gb11714_value(body) * _ORG_WEIGHTS).sum(axis=1) % 11
    check_code = np.where(check == 10, ord("X"), np.where(check == 11, ord("0"), ord("0") + check))
    return np.concatenate([body, check_code[:, None].astype(np.uint8)], axis=1)


def uscc_codes(admin: np.ndarray, org: np.ndarray) -> np.ndarray:
    """USCC ``9 1 <admin code> <org code> <check>`` as an ``(n, 18)`` code array."""
    n = len(admin)
    head = np.empty((n, 2), dtype=np.uint8)
    head[:, 0], head[:, 1] = ord("9"), ord("1")
    body = np.concatenate([head, digit_codes(admin, 6), org], axis=1)
    total = (_USCC_INDEX[body] * _USCC_WEIGHTS).sum(axis=1)
    check = _USCC_CODES[(31 - total % 31) % 31]
    return np.concatenate([body, check[:, None]], axis=1)


def _mod97(codes: np.ndarray) -> np.ndarray:
    """ISO 7064 mod 97 of alphanumeric codes (letters expand to two digits, A=10)."""
    r = np.zeros(len(codes), dtype=np.int64)
    for j in range(codes.shape[1]):
        c = codes[:, j].astype(np.int64)
        is_digit = c <= ord("9")
        r = np.where(is_digit, (r * 10 + c - ord("0")) % 97, (r * 100 + c - ord("A") + 10) % 97)
    return r


def lei_codes(rng: np.random.Generator, prefixes: np.ndarray) -> np.ndarray:
    """LEIs: 4-character LOU prefix, ``00``, 12 random characters, two mod 97-10 check digits."""
    n = len(prefixes)
    lou = np.frombuffer("".join(prefixes).encode(), dtype=np.uint8).reshape(n, 4)
    zeros = np.full((n, 2), ord("0"), dtype=np.uint8)
    digits_only = rng.random(n) < 0.5
    picks = rng.integers(0, len(_ALNUM), (n, 12))
    picks[digits_only] %= 10
    body = np.concatenate([lou, zeros, _ALNUM[picks]], axis=1)
    check = 98 - (_mod97(body) * 100) % 97
    return np.concatenate([body, digit_codes(check, 2)], axis=1)


def vat_numbers(rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
    """Valid VAT numbers (``GB``, ``DE``, ``FR``, ``NL``) per ISO country code; None elsewhere."""
    n = len(country)
    out = np.full(n, None, dtype=object)
    serial = unique_ints(rng, n, 10_000_000, 100_000_000)  # 8 digits, first one non-zero
    d = digit_codes(serial, 8).astype(np.int64) - ord("0")
    sel = country == "GB"
    if sel.any():  # 7 digits weighted 8..2, then two digits making the sum 0 mod 97
        s = (d[sel, :7] * np.arange(8, 1, -1)).sum(axis=1)
        last = (-s) % 97
        out[sel] = "GB" + (serial[sel] // 10 * 100 + last).astype(str).astype(object)
    sel = country == "DE"
    if sel.any():  # ISO 7064 mod 11,10 over 8 digits
        c = np.full(sel.sum(), 5)
        for j in range(8):
            c = ((np.where(c == 0, 10, c) * 2) % 11 + d[sel, j]) % 10
        check = (1 - (np.where(c == 0, 10, c) * 2) % 11) % 10
        out[sel] = "DE" + (serial[sel] * 10 + check).astype(str).astype(object)
    sel = country == "FR"
    if sel.any():  # Luhn-valid SIREN, key = (SIREN * 100 + 12) mod 97
        dd = d[sel]
        dbl = dd[:, 1::2] * 2
        s = dd[:, ::2].sum(axis=1) + (dbl // 10 + dbl % 10).sum(axis=1)
        siren = serial[sel] * 10 + (10 - s % 10) % 10
        key = (siren * 100 + 12) % 97
        out[sel] = "FR" + zero_pad(key, 2) + siren.astype(str)
    sel = np.flatnonzero(country == "NL")
    base = serial[sel]
    while True:  # eleven test: sum(weights 9..2) == last digit mod 11; redraw when that is 10
        s = ((digit_codes(base, 8).astype(np.int64) - ord("0")) * np.arange(9, 1, -1)).sum(1) % 11
        bad = s == 10
        if not bad.any():
            break
        base[bad] = unique_ints(rng, int(bad.sum()), 10_000_000, 100_000_000, exclude=base)
    out[sel] = "NL" + (base * 10 + s).astype(str).astype(object) + "B01"
    return out


def mistype(
    values: np.ndarray, rate: float, rng: np.random.Generator, alphabet: str = USCC_ALPHABET
) -> tuple[np.ndarray, np.ndarray]:
    """Replace one character in a ``rate`` share of the non-null values by another of its class.

    Digits become other digits and letters other letters from ``alphabet``, so that every
    substitution breaks the check character of the weighted-sum schemes used here.

    Returns:
        The new values and a boolean mask of the rows that were changed.
    """
    values = values.copy()
    hit = (rng.random(len(values)) < rate) & np.array([v is not None for v in values], dtype=bool)
    idx = np.flatnonzero(hit)
    pos_u, pick_u = rng.random(len(idx)), rng.random(len(idx))
    digits = "0123456789"
    letters = "".join(ch for ch in alphabet if not ch.isdigit())
    for i, pu, ku in zip(idx, pos_u, pick_u, strict=True):
        v = values[i]
        p = int(pu * len(v))
        pool = digits if v[p].isdigit() else letters
        others = pool.replace(v[p], "")
        values[i] = v[:p] + others[int(ku * len(others))] + v[p + 1 :]
    return values, hit
