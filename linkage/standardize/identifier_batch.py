"""Chinese registry codes checked a whole column at a time.

A registry column of USCCs, tax numbers or organisation codes holds mostly clean, valid codes,
one distinct value per firm: at a million records, ``parse_identifier`` value by value is a
quarter of standardisation. Here the clean, valid ones are found with numpy (format by Arrow's
regex, check characters by table lookups and weighted sums over a byte matrix); everything else
(separators, lower case, full-width digits, a wrong check character) is left to
``parse_identifier``, which gives the same answer for the values found here.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# per scheme: the whole-value pattern of a clean code, its length, and where its organisation
# code (GB 11714) lies
_CLEAN = {
    "uscc": (r"^[0-9]{8}[0-9A-HJ-NP-RTUWXY]{10}$", 18, 8),
    "cn_tax": (r"^[0-9]{6}[0-9A-Z]{8}[0-9X]$", 15, 6),
    "cn_org": (r"^[0-9A-Z]{8}[0-9X]$", 9, 0),
}
SCHEMES = tuple(_CLEAN)

_USCC_ALPHABET = b"0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])
_ORG_CHECK = np.frombuffer(b"?123456789X0", dtype=np.uint8)  # by 11 - (sum % 11): 1..11


def _lookup(alphabet: bytes) -> np.ndarray:
    table = np.zeros(256, dtype=np.int64)
    table[np.frombuffer(alphabet, dtype=np.uint8)] = np.arange(len(alphabet))
    return table


_USCC_VALUE = _lookup(_USCC_ALPHABET)
_BASE36_VALUE = _lookup(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _org_valid(org: np.ndarray) -> np.ndarray:
    """Rows of 9 bytes whose last is the GB 11714 check character of the first 8."""
    total = (_BASE36_VALUE[org[:, :8]] * _ORG_WEIGHTS).sum(axis=1)
    return org[:, 8] == _ORG_CHECK[11 - total % 11]


def clean_valid_codes(
    texts: list[str], scheme: str
) -> tuple[np.ndarray, list[tuple[str, bool, str, None, str, None]]]:
    """The texts that are clean, valid codes of ``scheme`` (one of ``SCHEMES``), and their
    results as ``features._identifier_item`` spells them: (value, valid, scheme, problem,
    keys, keys alone).

    Returns:
        A boolean mask over ``texts`` and one result per True in it, in order.
    """
    pattern, length, org_at = _CLEAN[scheme]
    if not texts:
        return np.zeros(0, dtype=bool), []
    shaped = pc.match_substring_regex(pa.array(texts, type=pa.string()), pattern)
    found = np.flatnonzero(shaped.to_numpy(zero_copy_only=False))
    codes = [texts[i] for i in found.tolist()]
    matrix = np.frombuffer("".join(codes).encode("ascii"), dtype=np.uint8).reshape(-1, length)
    org_ok = _org_valid(matrix[:, org_at : org_at + 9])
    if scheme == "uscc":
        total = (_USCC_VALUE[matrix[:, :17]] * _USCC_WEIGHTS).sum(axis=1)
        check = np.frombuffer(_USCC_ALPHABET, dtype=np.uint8)[(31 - total % 31) % 31]
        valid = matrix[:, 17] == check
        results = [
            (c, True, scheme, None, f"cn_org:{c[8:17]} uscc:{c}" if ok else f"uscc:{c}", None)
            for c, ok in zip(
                (c for c, v in zip(codes, valid.tolist(), strict=True) if v),
                org_ok[valid].tolist(),
                strict=True,
            )
        ]
    else:  # a tax number or an organisation code is valid when its organisation code is
        valid = org_ok
        kept = [c for c, v in zip(codes, valid.tolist(), strict=True) if v]
        keys = (
            [f"cn_org:{c[6:]} cn_tax:{c}" for c in kept]
            if scheme == "cn_tax"
            else [f"cn_org:{c}" for c in kept]
        )
        results = [(c, True, scheme, None, k, None) for c, k in zip(kept, keys, strict=True)]
    mask = np.zeros(len(texts), dtype=bool)
    mask[found[valid]] = True
    return mask, results
