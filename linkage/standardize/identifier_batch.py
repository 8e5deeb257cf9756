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

from linkage.standardize.identifiers import (
    ORG_CHECK,
    ORG_FORMAT,
    ORG_WEIGHTS,
    USCC_ALPHABET,
    USCC_FORMAT,
    USCC_WEIGHTS,
)

# per scheme: the whole-value pattern of a clean code (ASCII only: parse_identifier's own
# patterns after ``compact``), its length, and where its organisation code (GB 11714) lies
_CLEAN = {
    "uscc": (f"^{USCC_FORMAT.pattern}$", 18, 8),
    "cn_tax": (f"^[0-9]{{6}}{ORG_FORMAT.pattern}$", 15, 6),
    "cn_org": (f"^{ORG_FORMAT.pattern}$", 9, 0),
}
SCHEMES = tuple(_CLEAN)


def _lookup(alphabet: str) -> np.ndarray:
    """Each byte's value in ``alphabet`` (its position)."""
    table = np.zeros(256, dtype=np.int64)
    table[np.frombuffer(alphabet.encode("ascii"), dtype=np.uint8)] = np.arange(len(alphabet))
    return table


_USCC_CHAR = np.frombuffer(USCC_ALPHABET.encode("ascii"), dtype=np.uint8)
_USCC_VALUE = _lookup(USCC_ALPHABET)
_BASE36_VALUE = _lookup("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
# the check character by 11 - (sum % 11), 1..11 (0 unused)
_ORG_CHAR = np.frombuffer(("?" + "".join(ORG_CHECK[i] for i in range(1, 12))).encode(), np.uint8)


def _org_valid(org: np.ndarray) -> np.ndarray:
    """Rows of 9 bytes whose last is the GB 11714 check character of the first 8."""
    total = (_BASE36_VALUE[org[:, :8]] * np.array(ORG_WEIGHTS)).sum(axis=1)
    return org[:, 8] == _ORG_CHAR[11 - total % 11]


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
    if scheme == "uscc":  # valid by its own check character; its organisation code may not be
        total = (_USCC_VALUE[matrix[:, :17]] * np.array(USCC_WEIGHTS)).sum(axis=1)
        valid = matrix[:, 17] == _USCC_CHAR[(31 - total % 31) % 31]
    else:  # a tax number or an organisation code is valid when its organisation code is
        valid = org_ok
    kept = [c for c, v in zip(codes, valid.tolist(), strict=True) if v]
    if scheme == "uscc":
        keys = [
            f"cn_org:{c[8:17]} uscc:{c}" if ok else f"uscc:{c}"
            for c, ok in zip(kept, org_ok[valid].tolist(), strict=True)
        ]
    elif scheme == "cn_tax":
        keys = [f"cn_org:{c[6:]} cn_tax:{c}" for c in kept]
    else:
        keys = [f"cn_org:{c}" for c in kept]
    results = [(c, True, scheme, None, k, None) for c, k in zip(kept, keys, strict=True)]
    mask = np.zeros(len(texts), dtype=bool)
    mask[found[valid]] = True
    return mask, results
