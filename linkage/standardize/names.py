"""Normalise company names into comparison forms, legal forms, branches, places and Latin keys.

``normalize_name`` is the single entry point: Chinese and Japanese names take the parse in
``chinese.py``; all others are folded into tokens, their legal form removed (``legal_forms.py``),
branch markers and places recorded, and common abbreviations expanded.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from linkage.standardize import chinese, legal_forms
from linkage.standardize.text import fold, has_cjk, join_initials, latin_key, latin_terms

_BRACKET = re.compile(r"[(\[{]([^()\[\]{}]*)[)\]}]")
_NON_WORD = re.compile(r"[\W_]+")
_SPACES = re.compile(r"\s+")
_BRANCH_MARKERS = tuple(
    tuple(m.split())
    for m in (
        "representative office",
        "rep office",
        "liaison office",
        "branch office",
        "branch",
        "zweigniederlassung",
        "niederlassung",
        "succursale",
        "sucursal",
        "filiale",
    )
)
_MARKER_HEADS = frozenset(m[0] for m in _BRANCH_MARKERS)
_PLACE_LINKS = frozenset({"de", "du", "in", "of", "at", "la", "le", "en"})
_MAX_PLACE_TOKENS = 3
_STOPWORDS = frozenset({"the"})


@dataclass(frozen=True)
class CompanyName:
    """A company name split into the parts that matching uses.

    Attributes:
        original: The input text, untouched.
        norm: Comparison form: folded, legal form and branch marker removed, place first.
        legal_form: Canonical legal-form code (``ltd``, ``gmbh``, ``cn_youxian``) or None.
        is_branch: True for branches and representative offices (never merge with the parent).
        branch_place: Where the branch is (canonical Latin place when known).
        place: City or region written in or around the name (canonical Latin name).
        tokens: The words of ``norm`` (for Chinese: place, trade name, industry terms).
        latin: Latin-script key without spaces (pinyin + English industry terms for Chinese).
    """

    original: str
    norm: str
    legal_form: str | None
    is_branch: bool
    branch_place: str | None
    place: str | None
    tokens: tuple[str, ...]
    latin: str


@cache
def _latin_places() -> dict[tuple[str, ...], str]:
    """Latin place names as token tuples mapped to their canonical Latin name."""
    table: dict[tuple[str, ...], str] = {(v,): v for v in chinese.places().values()}
    path = resources.files("linkage.standardize") / "data" / "places_latin.csv"
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            table[tuple(row["name"].split())] = row["latin"]
            table[(row["latin"],)] = row["latin"]
    return table


def _tokens(text: str) -> list[str]:
    return join_initials(_NON_WORD.sub(" ", text).split())


def _place_of(tokens: list[str]) -> str | None:
    return _latin_places().get(tuple(tokens)) if 0 < len(tokens) <= _MAX_PLACE_TOKENS else None


def _leading_place(tokens: list[str]) -> str | None:
    for size in (2, 1):
        if len(tokens) > size and (place := _place_of(tokens[:size])):
            return place
    return None


def _find_marker(tokens: list[str]) -> tuple[int, int] | None:
    """Return (start, end) of the last branch marker in the tokens."""
    if _MARKER_HEADS.isdisjoint(tokens):
        return None
    for start in range(len(tokens) - 1, -1, -1):
        for marker in _BRANCH_MARKERS:
            if tuple(tokens[start : start + len(marker)]) == marker:
                return start, start + len(marker)
    return None


def _split_branch(tokens: list[str]) -> tuple[list[str], bool, str | None]:
    """Remove a branch marker; return (head tokens, is_branch, branch place)."""
    found = _find_marker(tokens)
    if found is None:
        return tokens, False, None
    before, after = tokens[: found[0]], tokens[found[1] :]
    if after[:1] == ["of"] and len(after) > 1:  # "Beijing Branch of Acme Ltd"
        return after[1:], True, _place_of(before) or (" ".join(before) or None)
    after = after[1:] if after[:1] and after[0] in _PLACE_LINKS else after
    if (
        after and len(after) <= _MAX_PLACE_TOKENS and before
    ):  # "Acme GmbH Zweigniederlassung Hamburg"
        return before, True, _place_of(after) or " ".join(after)
    for size in range(min(_MAX_PLACE_TOKENS, len(before) - 1), 0, -1):
        head, tail = before[:-size], before[-size:]
        place = _place_of(tail)
        if place or legal_forms.strip_tokens(head)[1] is not None:
            return head, True, place or " ".join(tail)
    if not before:
        return tokens, False, None
    return before, True, None


def _parse_latin(text: str, country: str | None) -> CompanyName:
    folded = fold(text)
    is_branch, branch_place, place = False, None, None
    kept: list[str] = []
    for inner in _BRACKET.findall(folded):
        inner_tokens = _tokens(inner)
        head, branch, where = _split_branch(inner_tokens)
        if branch or (inner_tokens and _find_marker(inner_tokens) == (0, len(inner_tokens))):
            is_branch, branch_place = True, branch_place or where or _place_of(head)
        elif (found := _place_of(inner_tokens)) and place is None:
            place = found
        else:
            kept.extend(inner_tokens)
    tokens = _tokens(" ".join([_BRACKET.sub(" ", folded), *kept]))
    if place is not None:  # a bracketed place leads, as it would when written in front
        tokens = [place, *tokens]
    code = None
    while True:  # strip until stable, so the result normalises to itself
        tokens, branch, where = _split_branch(tokens)
        if branch:
            is_branch, branch_place = True, branch_place or where
        size = len(tokens)
        tokens, form = legal_forms.strip_tokens(tokens, country)
        code = code or form
        if not branch and len(tokens) == size:
            break
    expand = latin_terms()[0]
    tokens = [expand.get(t, t) for t in tokens if t not in _STOPWORDS] or tokens
    if place is None:
        place = _leading_place(tokens)
    if not tokens:
        return _fallback(text)
    return CompanyName(
        original=text,
        norm=" ".join(tokens),
        legal_form=code,
        is_branch=is_branch,
        branch_place=branch_place,
        place=place,
        tokens=tuple(tokens),
        latin=latin_key(tokens),
    )


def _fallback(text: str) -> CompanyName:
    """Keep a name with no word characters as its folded self; a norm is never empty."""
    norm = _SPACES.sub(" ", fold(text)).strip() or text.strip()
    return CompanyName(text, norm, None, False, None, None, (norm,), norm.replace(" ", ""))


def _parse_cjk(text: str, country: str | None, folded: str) -> CompanyName:
    parsed = chinese.parse_folded(folded)  # folded = fold(text)
    tokens = parsed.tokens  # a property that builds the tuple on each access
    if not tokens:
        return _fallback(text)
    if not has_cjk(parsed.trade) and not parsed.industry:
        latin = _parse_latin(parsed.trade, country)  # a Latin name with a Chinese legal form
        return CompanyName(
            text,
            latin.norm,
            parsed.legal_form or latin.legal_form,
            parsed.is_branch or latin.is_branch,
            parsed.branch_place or latin.branch_place,
            latin.place,
            latin.tokens,
            latin.latin,
        )
    place = chinese.places()[parsed.place] if parsed.place else None
    branch_place = parsed.branch_place
    if branch_place in chinese.places():
        branch_place = chinese.places()[branch_place]
    return CompanyName(
        original=text,
        norm="".join(tokens),
        legal_form=parsed.legal_form,
        is_branch=parsed.is_branch,
        branch_place=branch_place,
        place=place,
        tokens=tokens,
        latin=parsed.latin,
    )


@lru_cache(maxsize=1 << 16)
def normalize_name(text: str, *, country: str | None = None) -> CompanyName:
    """Normalise a company name for matching.

    Args:
        text: The raw name, in any script.
        country: ISO 3166 alpha-2 code of the record, used to allow ambiguous prefix forms
            (``PT`` only in front of Indonesian names).

    Returns:
        The parsed name; ``norm`` is never empty for a name with any non-space character and
        ``normalize_name(x.norm).norm == x.norm``.
    """
    if not text.strip():
        return CompanyName(text, "", None, False, None, None, (), "")
    if not text.isascii() and has_cjk(folded := fold(text)):
        return _parse_cjk(text, country, folded)
    return _parse_latin(text, country)
