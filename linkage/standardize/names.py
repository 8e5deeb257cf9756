"""Normalise company names into comparison forms, legal forms, sub-units, places and Latin keys.

``normalize_name`` is the single entry point: Chinese and Japanese names take the parse in
``chinese.py``; all others are folded into tokens, their sub-units split off (``subunits.py``),
their legal form removed (``legal_forms.py``), places recorded, common abbreviations expanded,
and their anatomy read (``latin_anatomy.py``) so that they meet the Chinese names agencies
romanise.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import NamedTuple

from linkage.standardize import chinese, latin_anatomy, legal_forms, numerals, place_chain, subunits
from linkage.standardize.gazetteer import COUNTY, gazetteer
from linkage.standardize.hanzi import romanise
from linkage.standardize.latin_words import latin_words
from linkage.standardize.pinyin import plain
from linkage.standardize.text import fold, has_cjk, join_initials, latin_key, latin_terms
from linkage.standardize.vocabulary import (
    industry_english_words,
    latin_zone,
    read_table,
    unit_words,
)

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
_CO_WORDS = frozenset({"op", "ops", "operative", "operatives", "operation"})


class CompanyName(NamedTuple):
    """A company name split into the parts that matching uses.

    For a sub-unit (a branch, sub-branch, office, outlet, numbered store, ...) ``norm``,
    ``tokens`` and ``latin`` include the unit, so that it differs from its parent and its
    siblings; the other fields describe the parent organisation unless they say otherwise.

    Attributes:
        original: The input text, untouched.
        norm: Comparison form: folded, legal form removed, places canonical and first; for a
            sub-unit the parent's form followed by the unit (``南京银行洪武支行``).
        legal_form: Canonical legal-form code (``ltd``, ``gmbh``, ``cn_youxian``) or None.
        is_branch: True for every sub-unit (never merge with the parent).
        branch_place: Where the sub-unit is (canonical Latin place when known).
        place: The city of the place written in or around the name (canonical Latin name:
            ``南京市玄武区`` -> ``nanjing``), or another known place (``london``).
        tokens: The words of ``norm`` (for Chinese: places, trade name, industry terms, units).
        latin: Latin-script key without spaces (pinyin + English industry terms for Chinese).
        places: Canonical Latin names of the Chinese places the name states, general to
            specific, the parent's then the units' (``("jiangsu", "rudong", "guba")``).
        place_path: Full canonical Latin path of the most specific place stated, completed from
            the gazetteer (``jiangsu nanjing xuanwu``); None when there is none or it is
            ambiguous. Two names' places are compatible when one path is a prefix of the other.
        zone: Development zone or park named after the places (``工业园区``), else None.
        trade: The trade name (字号) as written (``香兰``, ``xianglan``), None when none.
        core: The trade name romanised and glued (``xianglan``): equal for a Chinese name and
            its pinyin or translated rendering; None when the name has no trade name.
        industry: The industry terms in canonical English, in name order.
        generic: Sorted distinct words of ``industry`` (``chemical petroleum``), None if none.
        org_form: Canonical English organisation noun ending the name (``factory``), or None.
        unit: Comparison form of the (innermost) sub-unit (``洪武支行``, ``no 3 store``).
        unit_key: Script-independent key of the unit's distinguishing part (``hongwu``, ``3``).
        parent: ``norm`` of the organisation the unit belongs to.
    """

    original: str
    norm: str
    legal_form: str | None
    is_branch: bool
    branch_place: str | None
    place: str | None
    tokens: tuple[str, ...]
    latin: str
    places: tuple[str, ...] = ()
    place_path: str | None = None
    zone: str | None = None
    trade: str | None = None
    core: str | None = None
    industry: tuple[str, ...] = ()
    generic: str | None = None
    org_form: str | None = None
    unit: str | None = None
    unit_key: str | None = None
    parent: str | None = None


@cache
def _western_places() -> dict[tuple[str, ...], str]:
    """Latin place names outside the Chinese gazetteer and usual spellings (``peking``)."""
    table: dict[tuple[str, ...], str] = {}
    for row in read_table("places_latin.csv"):
        table[tuple(row["name"].split())] = row["latin"]
        table[(row["latin"],)] = row["latin"]
    return table


def _tokens(text: str) -> list[str]:
    """The words of folded text: initials joined, ``co op`` and ``co operative`` (Co-op) one
    word, ordinals in pinyin as digits (``di er`` -> ``2``), pinyin legal forms glued."""
    tokens = join_initials(_NON_WORD.sub(" ", text).split())
    if "co" in tokens:
        tokens = _join_co(tokens)
    return legal_forms.join_pinyin_forms(numerals.pinyin_ordinals(tokens))


def _join_co(tokens: list[str]) -> list[str]:
    """``co op``, ``co operative(s)`` (written Co-op, Co-operative) -> one word."""
    out: list[str] = []
    for token in tokens:
        if out and out[-1] == "co" and token in _CO_WORDS:
            out[-1] = "co" + token
        else:
            out.append(token)
    return out


def _place_of(tokens: list[str]) -> str | None:
    """The canonical Latin name of a place written in these tokens (a county or above, or a
    known place abroad), else None."""
    if not 0 < len(tokens) <= _MAX_PLACE_TOKENS:
        return None
    found = _western_places().get(tuple(tokens))
    if found is not None:
        return found
    places = gazetteer()
    ids = [i for i in places.latin_ids("".join(tokens)) if places.places[i].depth <= COUNTY]
    names = {places.places[i].latin for i in ids}
    return names.pop() if len(names) == 1 else None


def _leading_place(tokens: list[str]) -> str | None:
    """A known place abroad in front of the name (Chinese ones are read by the anatomy)."""
    places = _western_places()
    for size in (2, 1):
        if len(tokens) > size and (place := places.get(tuple(tokens[:size]))):
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


def _split_marker(tokens: list[str]) -> tuple[list[str], list[str], bool, str] | None:
    """A branch marker inside the name, not at its end: (head tokens, the branch's words,
    whether the marker came before them, the marker).

    ``Beijing Branch of Acme Ltd`` -> (``acme ltd``, ``beijing``, False, ``branch``);
    ``Deutsche Bank AG Zweigniederlassung Hamburg`` -> (``deutsche bank ag``, ``hamburg``,
    True, ``zweigniederlassung``).
    """
    found = _find_marker(tokens)
    if found is None:
        return None
    before, after = tokens[: found[0]], tokens[found[1] :]
    marker = " ".join(tokens[found[0] : found[1]])
    if after[:1] == ["of"] and len(after) > 1:
        return after[1:], before, False, marker
    after = after[1:] if after[:1] and after[0] in _PLACE_LINKS else after
    if after and len(after) <= _MAX_PLACE_TOKENS and before:
        return before, after, True, marker
    return None


def _bracket_parts(
    folded: str,
) -> tuple[list[str], list[subunits.Unit], str | None, list[str]]:
    """Read brackets: a unit (``(Representative Office)``), a zone (dropped), a place (moved to
    the front, as written in front), else their words stay. Returns (tokens, units, bracket
    place, the tokens put in front for it)."""
    units: list[subunits.Unit] = []
    if "(" not in folded and "[" not in folded and "{" not in folded:
        return _tokens(folded), units, None, []
    place: str | None = None
    front: list[str] = []
    kept: list[str] = []
    kinds = unit_words().table.latin
    for inner in _BRACKET.findall(folded):
        inner_tokens = _tokens(inner)
        kind = kinds.get(tuple(inner_tokens))
        if kind is not None and tuple(inner_tokens) in unit_words().strong_latin:
            units.append(subunits.parse_latin_tail([], " ".join(inner_tokens), None, (), True))
        elif (split := _split_marker(inner_tokens)) is not None or (
            inner_tokens and _find_marker(inner_tokens) == (0, len(inner_tokens))
        ):
            words, first, marker = (
                (split[1], split[2], split[3]) if split else ([], False, " ".join(inner_tokens))
            )
            units.append(subunits.parse_latin_tail(words, marker, None, (), True, kind_first=first))
        elif inner_tokens and latin_zone(inner_tokens) == (0, len(inner_tokens)):
            continue  # (New District): where the firm is, not which firm
        elif place is None and (found := _bracket_place(inner_tokens)):
            place, front = found[0], list(found[1])
        else:
            kept.extend(inner_tokens)
    tokens = _tokens(" ".join([_BRACKET.sub(" ", folded), *kept]))
    return [*front, *tokens], units, place, front


def _bracket_place(tokens: list[str]) -> tuple[str, tuple[str, ...]] | None:
    """A place that fills a bracket: its canonical name and the words to put in front
    (``(Kunshan City)``, ``(Suzhoushi)`` -> ``kunshan``; ``(Hong Kong)`` -> ``hongkong``).
    Cached: the same bracketed places come back."""
    return _bracket_place_of(tuple(tokens))


@lru_cache(maxsize=1 << 12)
def _bracket_place_of(written: tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
    split, steps = place_chain.latin_chain(list(written))
    if steps and steps[-1].end == len(split):
        names = place_chain.stated(steps)
        return (place_chain.city_latin(steps) or names[-1], names) if names else None
    found = _place_of(list(written))
    return (found, (found,)) if found else None


def _parse_latin(text: str, country: str | None) -> CompanyName:
    tokens, units, bracket_place, front = _bracket_parts(fold(text))
    tokens, tails = subunits.split_latin(tokens)
    kind_first = False
    if not tails and (split := _split_marker(tokens)) is not None:
        tokens, words, kind_first, marker = split
        tails = [(words, marker, None, True)]
    tokens, code = legal_forms.strip_tokens(tokens, country)  # strips until stable
    expand = latin_terms()[0]
    tokens = [expand.get(t, t) for t in tokens if t not in _STOPWORDS] or tokens
    if not tokens:
        return _fallback(text)
    parent = " ".join(tokens)
    if front and tokens[: len(front)] == front:  # read after the places written in front
        anatomy = latin_anatomy.analyse(" ".join(tokens[len(front) :]), " ".join(front))
    else:
        anatomy = latin_anatomy.analyse(parent)
    if not tails and not units:
        return CompanyName(
            text, parent, code, False, None,
            anatomy.place or bracket_place or _leading_place(tokens),
            tuple(tokens), latin_key(tokens), anatomy.stated, anatomy.place_path, None,
            anatomy.trade, anatomy.core, anatomy.industry,
            _generic(anatomy.industry, chinese=anatomy.chinese),
            anatomy.org_form,
        )  # fmt: skip
    context = anatomy.place_ids
    for tail, phrase, ordinal, strong in tails:
        unit = subunits.parse_latin_tail(
            tail, phrase, ordinal, context, strong, kind_first=kind_first
        )
        units.append(unit)
        context = unit.place_ids or context
    branch_place = next((u.place for u in reversed(units) if u.place), None)
    if branch_place is None and tails:
        branch_place = _place_of(tails[-1][0]) or (" ".join(tails[-1][0]) or None)
    return _assemble(
        text,
        tokens=None,
        parent=parent,
        unit_texts=[u.text for u in units],
        latin=latin_key(tokens),
        legal_form=code,
        place=anatomy.place or bracket_place or _leading_place(tokens),
        branch_place=branch_place,
        stated=anatomy.stated,
        parent_path=anatomy.place_path,
        units=units,
        trade=anatomy.trade,
        core=anatomy.core,
        industry=anatomy.industry,
        org_form=anatomy.org_form,
        zone=None,
        mark="ltd" if code else (anatomy.org_form or ""),
        separator=" ",
        chinese=anatomy.chinese,
    )


def _assemble(
    text: str,
    *,
    tokens: tuple[str, ...] | None,
    parent: str,
    unit_texts: list[str],
    latin: str,
    legal_form: str | None,
    place: str | None,
    branch_place: str | None,
    stated: tuple[str, ...],
    parent_path: str | None,
    units: list[subunits.Unit],
    trade: str | None,
    core: str | None,
    industry: tuple[str, ...],
    org_form: str | None,
    zone: str | None,
    mark: str,
    separator: str,
    chinese: bool,
) -> CompanyName:
    """Put the parts of an organisation and its units together into a ``CompanyName``.

    ``tokens`` are the words of the comparison form (None: its space-separated words).
    ``mark`` shows that the organisation is complete (``厂``, ``公司``, ``ltd``): it stays in
    a sub-unit's comparison form before the unit, so that the form parses into the same
    parent and unit again (a unit word such as 门市部 or Store needs it to be a unit at all).
    ``chinese``: a Chinese name or a rendering of one (its generic words as a Chinese name's).
    """
    generic = _generic(industry, chinese=chinese)
    if not units:
        return CompanyName(
            text, parent, legal_form, False, branch_place, place,
            tuple(parent.split()) if tokens is None else tokens, latin,
            stated, parent_path, zone, trade, core, industry, generic, org_form,
        )  # fmt: skip
    head = separator.join([parent, mark]) if mark else parent
    norm = separator.join([head, *unit_texts])
    place_path = parent_path
    places = stated
    for unit in units:
        places += unit.stated
        if len(unit.place_ids) == 1:
            place_path = gazetteer().latin_path(unit.place_ids[0])
    return CompanyName(
        original=text,
        norm=norm,
        legal_form=legal_form,
        is_branch=True,
        branch_place=branch_place,
        place=place,
        tokens=tuple(norm.split()) if tokens is None else tokens,
        latin=latin + "".join(u.key.replace(" ", "") for u in units),
        places=places,
        place_path=place_path,
        zone=zone,
        trade=trade,
        core=core,
        industry=industry,
        generic=generic,
        org_form=org_form,
        unit=units[-1].text,
        unit_key=units[-1].key,
        parent=separator.join([head, *unit_texts[:-1]]) if len(units) > 1 else parent,
    )


@lru_cache(maxsize=1 << 12)
def _generic(industry: tuple[str, ...], chinese: bool = False) -> str | None:
    """Sorted distinct words of the industry terms (``chemical petroleum``), None if none.

    In a Latin name, words that never tell two industries apart (``group``, ``international``,
    ``modern``: ``latin_words.never_conflict``) are left out, so that only industries can
    conflict: ``Philips Electronics`` and ``Philips International`` are one firm. A Chinese
    registration keeps them: 三房巷集团 and 三房巷宾馆 are two registered firms, a group and
    one of its hotels. Neutral words (``welfare``, ``collective``, ``modern``) never conflict.
    """
    never = latin_words().neutral if chinese else latin_words().never_conflict
    singular = _singulars()
    words = {singular.get(w, w) for term in industry for w in term.split() if w not in never}
    return " ".join(sorted(words)) or None


@cache
def _singulars() -> dict[str, str]:
    """Plural canonical words whose singular is one too (``materials``: ``material``): one
    word for both, so that two renderings of one industry share it."""
    words = industry_english_words()
    return {w: w[:-1] for w in words if w.endswith("s") and w[:-1] in words}


def _fallback(text: str) -> CompanyName:
    """Keep a name with no word characters as its folded self; a norm is never empty."""
    norm = _SPACES.sub(" ", fold(text)).strip() or text.strip()
    return CompanyName(text, norm, None, False, None, None, (norm,), norm.replace(" ", ""))


def _parse_cjk(text: str, country: str | None, folded: str) -> CompanyName:
    parsed = chinese.parse_folded(folded)  # folded = fold(text)
    tokens = parsed.tokens  # a property that builds the tuple on each access
    if not tokens:
        return _fallback(text)
    if (
        not has_cjk(parsed.trade)
        and not parsed.industry
        and not parsed.places
        and not parsed.units
        and parsed.trade
    ):
        latin = _parse_latin(parsed.trade, country)  # a Latin name with a Chinese legal form
        return latin._replace(original=text, legal_form=parsed.legal_form or latin.legal_form)
    trade = numerals.ordinals_to_digits(parsed.trade)
    core = plain("".join(romanise(trade).split())) or None if trade else parsed.town
    if not parsed.units:
        english = parsed.industry_english
        return CompanyName(
            text, parsed.parent_norm, parsed.legal_form, False, None, parsed.place, tokens,
            parsed.latin, parsed.stated, parsed.place_path, parsed.zone, parsed.trade or None,
            core, english, _generic(english, chinese=True), parsed.org_form,
        )  # fmt: skip
    units = list(parsed.units)
    branch_place = next((u.place for u in reversed(units) if u.place), None)
    return _assemble(
        text,
        tokens=tokens,
        parent=parsed.parent_norm,
        unit_texts=[u.text for u in units],
        latin=parsed.latin,
        legal_form=parsed.legal_form,
        place=parsed.place,
        branch_place=branch_place,
        stated=parsed.stated,
        parent_path=parsed.place_path,
        units=units,
        trade=parsed.trade or None,
        core=core,
        industry=parsed.industry_english,
        org_form=parsed.org_form,
        zone=parsed.zone,
        mark=parsed.complete_mark,
        separator="",
        chinese=True,
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
