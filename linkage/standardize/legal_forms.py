"""Recognise company legal forms (Ltd, GmbH, 有限公司, ООО, ...) and map them to canonical codes.

The table lives in ``data/legal_forms.csv`` (code, variant, source). Latin and Cyrillic
variants are matched as whole token sequences at the end or the start of a name; Chinese and
Japanese variants are matched as glued suffixes or prefixes (``华为技术有限公司``).
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

from linkage.standardize.pinyin import SYLLABLES
from linkage.standardize.text import fold, fold_tokens, has_cjk

# Codes whose variants may stand before the name (``ООО Ромашка``, ``PT Astra``, ``株式会社X``).
PREFIX_CODES = frozenset({"ooo", "ao", "pao", "pt", "kk", "jp_yk", "jp_gk", "ab", "srl"})
# Spelled-out forms this long are legal forms wherever they stand (``Limited Liability Company X``).
_PREFIX_MIN_TOKENS = 3
# Prefix forms that are also common words; stripped in front only for these countries.
_PREFIX_COUNTRIES = {"pt": frozenset({"ID"}), "ab": frozenset({"SE", "FI"})}
# Chinese legal forms written in pinyin, glued (``Gu Fen You Xian Gong Si``, ``Youxian Gongsi``)
_PINYIN_FORMS = frozenset(
    {"gongsi", "youxiangongsi", "gufenyouxiangongsi", "youxianzerengongsi", "gufengongsi"}
)
_PINYIN_FORM_TOKENS = 6  # syllables a pinyin legal form may be written in


@cache
def load_table() -> tuple[tuple[str, str, str], ...]:
    """Return the legal-form table rows as (code, variant, source)."""
    path = resources.files("linkage.standardize") / "data" / "legal_forms.csv"
    with path.open(encoding="utf-8") as handle:
        return tuple((r["code"], r["variant"], r["source"]) for r in csv.DictReader(handle))


@cache
def edge_tokens() -> tuple[frozenset[str], frozenset[str]]:
    """The last and the first tokens of the Latin/Cyrillic variants: a name whose last (first)
    token is none of them has no form at its end (start), without trying every length."""
    index = _token_index()[0]
    return frozenset(k[-1] for k in index), frozenset(k[0] for k in index)


@cache
def _token_index() -> tuple[dict[tuple[str, ...], str], int]:
    """Map each Latin/Cyrillic variant's token sequence to its code; also the longest length."""
    index: dict[tuple[str, ...], str] = {}
    for code, variant, _ in load_table():
        if not has_cjk(variant):
            index.setdefault(tuple(fold_tokens(variant)), code)
    return index, max(len(k) for k in index)


@cache
def _cjk_variants() -> dict[str, str]:
    """The glued Chinese/Japanese variants (folded) and their codes."""
    return {fold(v): c for c, v, _ in load_table() if has_cjk(v)}


@cache
def edge_glued() -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
    """The lengths of the glued variants by their last character, and of the prefix ones by
    their first character, longest first (a text that ends and starts with none has none)."""
    last: dict[str, set[int]] = {}
    first: dict[str, set[int]] = {}
    for variant, code in _cjk_variants().items():
        last.setdefault(variant[-1], set()).add(len(variant))
        if code in PREFIX_CODES:
            first.setdefault(variant[0], set()).add(len(variant))
    return (
        {c: tuple(sorted(n, reverse=True)) for c, n in last.items()},
        {c: tuple(sorted(n, reverse=True)) for c, n in first.items()},
    )


def _prefix_allowed(code: str, country: str | None) -> bool:
    allowed = _PREFIX_COUNTRIES.get(code)
    return code in PREFIX_CODES and (allowed is None or country is None or country in allowed)


def join_pinyin_forms(tokens: list[str]) -> list[str]:
    """Glue a Chinese legal form written in pinyin, however it is spaced, into one token
    (``gu fen you xian gong si``, ``youxian gongsi`` -> ``gufenyouxiangongsi``), so that the
    table's glued variants find it, at the end of a name or before a unit."""
    if not any(t.endswith("si") for t in tokens):  # every such form ends in 司 (si)
        return tokens
    out = list(tokens)
    end = len(out)
    while end > 0:
        for start in range(max(0, end - _PINYIN_FORM_TOKENS), end - 1):
            if "".join(out[start:end]) in _PINYIN_FORMS:
                out[start:end] = ["".join(out[start:end])]
                end = start + 1
                break
        end -= 1
    return out


def strip_tokens(tokens: list[str], country: str | None = None) -> tuple[list[str], str | None]:
    """Remove legal forms from the end (or, for prefix forms, the start) of a token list.

    Repeats until nothing more can be removed, so ``Acme AG Ltd`` loses both forms and the
    result is stable when normalised again. A form that would leave no tokens is kept.

    Returns:
        The remaining tokens and the code of the outermost form removed (None if none).
    """
    index, longest = _token_index()
    last, first = edge_tokens()
    if not tokens or (tokens[-1] not in last and tokens[0] not in first):
        return tokens, None
    if tuple(tokens) in index:  # the name is only a legal form: keep it whole
        return tokens, None
    code: str | None = None
    while True:
        found = False
        for size in range(min(longest, len(tokens) - 1) if tokens[-1] in last else 0, 0, -1):
            hit = index.get(tuple(tokens[-size:]))
            if hit is not None and not (size == 1 and _pinyin_pair(tokens)):
                tokens, code, found = tokens[:-size], code or hit, True
                break
        if not found and tokens[0] in first:
            for size in range(min(longest, len(tokens) - 1), 0, -1):
                hit = index.get(tuple(tokens[:size]))
                if hit is not None and (
                    size >= _PREFIX_MIN_TOKENS or _prefix_allowed(hit, country)
                ):
                    tokens, code, found = tokens[size:], code or hit, True
                    break
        if not found:
            return tokens, code


def _pinyin_pair(tokens: list[str]) -> bool:
    """Tell whether the last two tokens are pinyin syllables: a one-token form is then the
    end of a name spelt in syllables (``zhi zao`` + Co., Ltd.: 制造, not ЗАО)."""
    return len(tokens) > 1 and tokens[-1] in SYLLABLES and tokens[-2] in SYLLABLES


def strip_glued(text: str) -> tuple[str, str | None]:
    """Remove one glued Chinese/Japanese legal form from the end or start of folded text: the
    longest at the end, else the longest prefix form (``株式会社``) at the start."""
    variants = _cjk_variants()
    last, first = edge_glued()
    for size in last.get(text[-1:], ()):
        if size <= len(text) and (code := variants.get(text[-size:])) is not None:
            if size < len(text):  # a name that is only a legal form keeps it
                return text[:-size], code
            break
    for size in first.get(text[:1], ()):
        if size <= len(text) and (code := variants.get(text[:size])) in PREFIX_CODES:
            if size < len(text):
                return text[size:], code
            break
    return text, None


def legal_form_code(raw: str | None) -> str | None:
    """Map a raw legal-form field (``Gesellschaft mit beschränkter Haftung``) to its code."""
    if raw is None or not raw.strip():
        return None
    folded = fold(raw).replace(" ", "")
    variants = _cjk_variants()
    if folded in variants:
        return variants[folded]
    return _token_index()[0].get(tuple(fold_tokens(raw)))
