"""Recognise company legal forms (Ltd, GmbH, 有限公司, ООО, ...) and map them to canonical codes.

The table lives in ``data/legal_forms.csv`` (code, variant, source). Latin and Cyrillic
variants are matched as whole token sequences at the end or the start of a name; Chinese and
Japanese variants are matched as glued suffixes or prefixes (``华为技术有限公司``).
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

from linkage.standardize.text import fold, fold_tokens, has_cjk

# Codes whose variants may stand before the name (``ООО Ромашка``, ``PT Astra``, ``株式会社X``).
PREFIX_CODES = frozenset({"ooo", "ao", "pao", "pt", "kk", "jp_yk", "jp_gk", "ab", "srl"})
# Spelled-out forms this long are legal forms wherever they stand (``Limited Liability Company X``).
_PREFIX_MIN_TOKENS = 3
# Prefix forms that are also common words; stripped in front only for these countries.
_PREFIX_COUNTRIES = {"pt": frozenset({"ID"}), "ab": frozenset({"SE", "FI"})}


@cache
def load_table() -> tuple[tuple[str, str, str], ...]:
    """Return the legal-form table rows as (code, variant, source)."""
    path = resources.files("linkage.standardize") / "data" / "legal_forms.csv"
    with path.open(encoding="utf-8") as handle:
        return tuple((r["code"], r["variant"], r["source"]) for r in csv.DictReader(handle))


@cache
def _token_index() -> tuple[dict[tuple[str, ...], str], int]:
    """Map each Latin/Cyrillic variant's token sequence to its code; also the longest length."""
    index: dict[tuple[str, ...], str] = {}
    for code, variant, _ in load_table():
        if not has_cjk(variant):
            index.setdefault(tuple(fold_tokens(variant)), code)
    return index, max(len(k) for k in index)


@cache
def _cjk_patterns() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str]]:
    """Compile suffix and prefix patterns for the glued Chinese/Japanese variants."""
    variants = {fold(v): c for c, v, _ in load_table() if has_cjk(v)}
    alternation = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
    prefix_alt = "|".join(
        re.escape(v)
        for v, c in sorted(variants.items(), key=lambda i: -len(i[0]))
        if c in PREFIX_CODES
    )
    return re.compile(f"(?:{alternation})$"), re.compile(f"^(?:{prefix_alt})"), variants


def _prefix_allowed(code: str, country: str | None) -> bool:
    allowed = _PREFIX_COUNTRIES.get(code)
    return code in PREFIX_CODES and (allowed is None or country is None or country in allowed)


def strip_tokens(tokens: list[str], country: str | None = None) -> tuple[list[str], str | None]:
    """Remove legal forms from the end (or, for prefix forms, the start) of a token list.

    Repeats until nothing more can be removed, so ``Acme AG Ltd`` loses both forms and the
    result is stable when normalised again. A form that would leave no tokens is kept.

    Returns:
        The remaining tokens and the code of the outermost form removed (None if none).
    """
    index, longest = _token_index()
    if tuple(tokens) in index:  # the name is only a legal form: keep it whole
        return tokens, None
    code: str | None = None
    while True:
        found = False
        for size in range(min(longest, len(tokens) - 1), 0, -1):
            hit = index.get(tuple(tokens[-size:]))
            if hit is not None:
                tokens, code, found = tokens[:-size], code or hit, True
                break
        if not found:
            for size in range(min(longest, len(tokens) - 1), 0, -1):
                hit = index.get(tuple(tokens[:size]))
                if hit is not None and (
                    size >= _PREFIX_MIN_TOKENS or _prefix_allowed(hit, country)
                ):
                    tokens, code, found = tokens[size:], code or hit, True
                    break
        if not found:
            return tokens, code


def strip_glued(text: str) -> tuple[str, str | None]:
    """Remove one glued Chinese/Japanese legal form from the end or start of folded text."""
    suffix, prefix, variants = _cjk_patterns()
    match = suffix.search(text)
    if match and match.start() > 0:
        return text[: match.start()], variants[match.group()]
    match = prefix.match(text)
    if match and match.end() < len(text):
        return text[match.end() :], variants[match.group()]
    return text, None


def last_glued(text: str) -> re.Match[str] | None:
    """Find the last glued legal form inside folded text (to split ``…有限公司北京分公司``)."""
    _, _, variants = _cjk_patterns()
    best: re.Match[str] | None = None
    for match in _any_glued().finditer(text):
        if variants.get(match.group()) and (best is None or match.end() >= best.end()):
            best = match
    return best


@cache
def _any_glued() -> re.Pattern[str]:
    variants = _cjk_patterns()[2]
    return re.compile("|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True)))


def legal_form_code(raw: str | None) -> str | None:
    """Map a raw legal-form field (``Gesellschaft mit beschränkter Haftung``) to its code."""
    if raw is None or not raw.strip():
        return None
    folded = fold(raw).replace(" ", "")
    variants = _cjk_patterns()[2]
    if folded in variants:
        return variants[folded]
    return _token_index()[0].get(tuple(fold_tokens(raw)))
