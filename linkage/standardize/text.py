"""Text folding shared by the name, legal-form and address normalisers.

One folding function keeps names and the legal-form table comparable: both go through
`fold_tokens`, so a variant such as ``S.p.A.`` in the table meets ``S. p. A.`` in a name.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import cache
from importlib import resources

CJK_CHAR = (
    r"[\u2e80-\u2fdf\u3005-\u3007\u3040-\u30ff\u3200-\u32ff\u3400-\u4dbf\u4e00-\u9fff"
    r"\uf900-\ufaff\U00020000-\U0003ffff]"
)
"""One CJK character (what :func:`has_cjk` looks for), for vectorised ``str.contains``."""
_CJK = re.compile(CJK_CHAR)
_NON_WORD = re.compile(r"[\W_]+")
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

_SPECIAL = {"æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "þ": "th", "ð": "d", "ı": "i"}
_CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяєіїґ"
_CYRILLIC_LATIN = (
    "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya ye i yi g"
)
_RUSSIAN = {
    c: ("" if r == "-" else r) for c, r in zip(_CYRILLIC, _CYRILLIC_LATIN.split(), strict=True)
}


def _build_fold_table() -> dict[int, str]:
    """Map accented Latin letters to their base letters and joining marks to spaces."""
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if base != char and base.isascii():
            table[code] = base
    for char, repl in _SPECIAL.items():
        table[ord(char)] = repl
    table[ord("&")] = " and "
    table[ord("+")] = " and "
    for apostrophe in "'’`´ʼ":
        table[ord(apostrophe)] = ""
    return table


FOLD_TABLE = _build_fold_table()
# the characters FOLD_TABLE maps: str.translate costs ~1 µs even when none is there
_FOLD_CHARS = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(FOLD_TABLE)) + "]")
_TRANSLIT_TABLE = {ord(k): v for k, v in _RUSSIAN.items()}


def has_cjk(text: str) -> bool:
    """Tell whether the text holds Chinese or Japanese characters."""
    return _CJK.search(text) is not None


def fold(text: str) -> str:
    """Return NFKC, case-folded text with Latin accents removed and ``&`` spelled ``and``.

    NFKC turns full-width forms into ASCII; stray combining marks are dropped and a second
    NFKC after case folding keeps the result stable when it is folded again.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    if not folded.isascii():
        folded = unicodedata.normalize("NFKC", _COMBINING.sub("", folded))
    return folded.translate(FOLD_TABLE) if _FOLD_CHARS.search(folded) else folded


def join_initials(tokens: list[str]) -> list[str]:
    """Join runs of single letters (``b v`` -> ``bv``, ``a s`` -> ``as``).

    Dotted and spaced abbreviations (``B.V.``, ``S. A.``, ``A/S``) then meet their plain form.
    """
    out: list[str] = []
    run = ""
    for token in tokens:
        if len(token) == 1 and token.isalpha():
            run += token
            continue
        if run:
            out.append(run)
            run = ""
        out.append(token)
    if run:
        out.append(run)
    return out


def fold_tokens(text: str) -> list[str]:
    """Split folded text into word tokens; punctuation separates words."""
    return join_initials(_NON_WORD.sub(" ", fold(text)).split())


@cache
def latin_terms() -> tuple[dict[str, str], dict[str, str]]:
    """Return the word maps from ``data/latin_terms.csv``: (abbreviation expansions, key synonyms).

    Expansions (``intl`` -> ``international``) apply to the comparison form; synonyms
    (``technologies`` -> ``technology``) only to the looser Latin key.
    """
    path = resources.files("linkage.standardize") / "data" / "latin_terms.csv"
    expand: dict[str, str] = {}
    synonyms: dict[str, str] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            target = expand if row["scope"] == "norm" else synonyms
            target[row["variant"]] = row["canonical"]
    return expand, synonyms


def latin_key(words: list[str]) -> str:
    """Build a Latin-script key: words romanised, synonyms unified, spaces and hyphens dropped.

    ``Hua Xin``, ``Huaxin`` and ``Hua-Xin`` all give ``huaxin``.
    """
    synonyms = latin_terms()[1]
    key = "".join([synonyms.get(w, w) for w in words])
    return key if key.isascii() else key.translate(_TRANSLIT_TABLE)  # the table maps Cyrillic
