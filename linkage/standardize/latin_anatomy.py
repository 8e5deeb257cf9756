"""The anatomy of a company name in Latin script, as agencies write Chinese firms.

Customs, trade and foreign registries write ``玉环县东海石化设备制造厂`` as ``Yuhuan Donghai Shihua
Shebei Zhizao Factory``, ``Yuhuan County Donghai Petrochemical Equipment Manufacturing Factory``
or ``DONGHAISHIHUA``: places romanised (with or without County/Xian/Shi, or glued to the next
word) or dropped, industry words translated or left in pinyin, forms translated. The parts are
read so that they meet those of the Chinese name:

- places: a chain of romanised gazetteer places at the start (nested as in Chinese names), a
  place after ``of`` (``Bank of Nanjing``) or in brackets (read by ``names.py``);
- industry: English renderings anywhere (``Import & Export``, ``Sci-Tech``), pinyin ones at
  the end (``shebei zhizao``, also glued: ``donghaishihua``) while a trade name remains;
- the trade name: what is left, glued (``donghai``), as the Chinese side romanises its 字号.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import NamedTuple

from linkage.standardize import place_chain
from linkage.standardize.gazetteer import gazetteer
from linkage.standardize.latin_words import (
    DESCRIPTOR,
    INDUSTRY,
    PLACE,
    PROPER,
    latin_words,
    misspelt,
)
from linkage.standardize.numerals import ORDINAL_WORDS, latin_ordinals
from linkage.standardize.pinyin import is_pinyin, plain, syllable_count
from linkage.standardize.vocabulary import ZONE_HEADS, industry, latin_zone, org_forms

# words that say nothing about which firm it is nor what it does (business words are in
# data/latin_words.csv)
_FILLER = frozenset({"and", "of", "the", "ltd", "limited", "inc", "by", "for", "und", "et"})
_CHINA = "china"  # the country of the Chinese registries: never a trade name, as 中国 is not
_TRADE = "trade"  # the role of a word of the trade name
_LEVEL_SYLLABLES = frozenset(
    {"sheng", "shi", "xian", "qu", "zhen", "xiang", "jiedao", "qi"}
)  # a glued prefix of one syllable (xian, hua) is not split off


class LatinAnatomy(NamedTuple):
    """Places, trade name and industry of a Latin-script name.

    Attributes:
        place_ids: Candidate gazetteer ids of the most specific Chinese place (empty if none).
        place: Canonical Latin name of the city of that place, None when none or ambiguous.
        place_path: Canonical Latin path of the most specific place when it is pinned.
        stated: Canonical Latin names of the places as written, general to specific.
        trade: The trade name's words (``xiang lan``), None when the name has none.
        core: The trade name, glued (``xianglan``); without one, the town the name states
            (``Zhulin Town Supply and Marketing Co-op``: ``zhulin``); else None.
        industry: Canonical English industry terms in order (``petrochemical``, ...).
        org_form: Canonical English organisation noun at the end (``factory``), else None.
        chinese: The name reads as a rendering of a Chinese name (a Chinese place, a trade
            name in pinyin, or China named): its industry words are kept as a Chinese
            name's are (``Group``, ``Development``: 集团, 开发).
    """

    place_ids: tuple[int, ...]
    place: str | None
    place_path: str | None
    stated: tuple[str, ...]
    trade: str | None
    core: str | None
    industry: tuple[str, ...]
    org_form: str | None
    chinese: bool = False


def _drop_zone(tokens: list[str]) -> list[str]:
    """Remove a development zone (``Industrial Park``, ``Economic Development Zone``)."""
    span = latin_zone(tokens)
    return tokens if span is None else [*tokens[: span[0]], *tokens[span[1] :]]


_PINYIN_WORDS = 4  # words an industry word in pinyin may be written in (yi liao qi xie)
_MIN_TRADE_SYLLABLES = 2  # a trade name keeps two syllables or none, as it keeps two characters


@cache
def _pinyin_longest() -> int:
    return max(len(k) for k in industry().pinyin)


def _peel_pinyin(trade: list[str], all_of_it: bool) -> tuple[list[str], list[str]]:
    """Peel pinyin industry words off the end of the trade name's words: whole words first
    (``se zhi``), then inside the last word (``donghaishihua``), while a trade name of two
    syllables remains (``zhaoshangcheng``: 招商城 keeps 商城), or down to nothing when
    ``all_of_it`` (a place came first: ``Suqian Jianzhu Gongcheng``). Returns the trade
    name's words left and the industry words in English."""
    table = industry().pinyin
    trade = list(trade)
    found: list[str] = []
    while trade:
        for size in range(min(_PINYIN_WORDS, len(trade)), 0, -1):
            tail = "".join(trade[-size:])
            if tail in table and _may_leave(trade[:-size], all_of_it):
                found.insert(0, table[tail])
                del trade[-size:]
                break
        else:
            last = trade[-1]
            for size in range(min(_pinyin_longest(), len(last) - 2), 3, -1):
                head, tail = last[:-size], last[-size:]
                if tail in table and is_pinyin(head) and _may_leave([*trade[:-1], head], False):
                    found.insert(0, table[tail])
                    trade[-1] = head
                    break
            else:
                return trade, found
    return trade, found


def _may_leave(trade: list[str], all_of_it: bool) -> bool:
    """Tell whether a trade name may be left as these words (two syllables, or none)."""
    if not trade:
        return all_of_it
    return syllable_count("".join(trade)) >= _MIN_TRADE_SYLLABLES


@lru_cache(maxsize=1 << 16)
def analyse(text: str, bracket: str = "") -> LatinAnatomy:
    """Read the parts of a name given as its space-joined folded tokens (forms removed);
    ``bracket``: a place the name wrote in brackets (``Guomei Decoration (Lishui)``), read
    inside the places written in front when it lies there."""
    tokens = text.split()
    if not ZONE_HEADS.isdisjoint(tokens):
        tokens = _drop_zone(tokens)
    if bracket:
        tokens, steps = _with_bracket(tokens, bracket.split())
    else:
        tokens, steps = place_chain.latin_chain(tokens)
    rest = tokens[steps[-1].end :] if steps and steps[-1].end else tokens
    if not steps and "of" in rest:
        steps, rest = _place_after_of(rest)
    trade, core, terms, org_form, chinese = _trade_and_industry(rest, bool(steps))
    if core is None and place_chain.maybe_trade(steps):  # Jiangsu Donghai Pharmaceutical
        steps = place_chain.without_last(steps)
        rest = tokens[steps[-1].end :] if steps else tokens
        trade, core, terms, org_form, chinese = _trade_and_industry(rest, bool(steps))
    if not steps:
        return LatinAnatomy((), None, None, (), trade, core, terms, org_form, chinese)
    if core is None:
        core = place_chain.town_name(steps)
    return LatinAnatomy(
        place_ids=steps[-1].ids,
        place=place_chain.city_latin(steps),
        place_path=place_chain.latin_path(steps),
        stated=place_chain.stated(steps),
        trade=trade,
        core=core,
        industry=terms,
        org_form=org_form,
        chinese=True,
    )


def _with_bracket(
    tokens: list[str], bracket: list[str]
) -> tuple[list[str], list[place_chain.Step]]:
    """The places of a name with a place in brackets (``Guomei Decoration (Lishui)``): the
    places written in front and the bracket's, when one lies inside the other; else the
    bracket's only, the words in front being the trade name (``Shangzhi Zaoqi (Kunshan)``).
    The bracket's steps end at 0: they take no token of the name."""
    inner = [s._replace(start=0, end=0) for s in place_chain.latin_chain(bracket)[1]]
    split, front = place_chain.latin_chain(tokens)
    if not inner:
        return split, front
    if front and any(place_chain.inside(b, front[-1]) for b in inner[:1]):
        outer = front[-1].ids
        narrowed = tuple(i for i in inner[-1].ids if any(gazetteer().within(i, o) for o in outer))
        return split, [*front, inner[-1]._replace(ids=narrowed or inner[-1].ids, end=front[-1].end)]
    if front and place_chain.inside(front[-1], inner[-1]):
        return split, [*inner, front[-1]]
    return tokens, inner


def _place_after_of(tokens: list[str]) -> tuple[list[place_chain.Step], list[str]]:
    """A place written after ``of`` (``Bank of Nanjing``): its chain and the other tokens."""
    places = gazetteer()
    for index, token in enumerate(tokens[:-1]):
        if token == "of":
            steps = place_chain.walk(lambda i: places.latin_match(tokens, i), index + 1)
            if steps:
                return steps, [*tokens[:index], *tokens[steps[-1].end :]]
    return [], tokens


def _trade_and_industry(
    tokens: list[str], after_place: bool
) -> tuple[str | None, str | None, tuple[str, ...], str | None, bool]:
    """(trade words, trade glued, industry terms, organisation noun, read as Chinese) of the
    tokens after the places; ``after_place``: a place came first, so the name may have no
    trade name.

    A name read as a rendering of a Chinese name (a place came first, or its own words are
    pinyin) loses its organisation noun, its industry words in English or pinyin and its
    business words; a Western name keeps the nouns that belong to proper names (``Chicago
    Academy``, ``Hull House``), and its country when nothing else is left (``Deutsche Bank``).
    """
    org = _org_noun(tokens)
    body = tokens[: org[1]] if org is not None else tokens
    words = _read_words(tuple(body))
    chinese = after_place or _pinyin_trade(words)
    if not chinese and org is not None and tokens[-1] in latin_words().proper:
        org, body = None, tokens  # Chicago Academy: the noun is part of the name
        words = _read_words(tuple(body))
    if chinese and len(words) > 1 and words[-1][0] in _HEAD_OFFICE_WORDS:
        words = words[:-1]  # General Corp., Head Company: 总公司, a form, not 综合 (general)
    english = [e for _, kind, e in words if kind == INDUSTRY or (chinese and kind == PROPER and e)]
    trade = [t for t, kind, _ in words if kind == _TRADE or (kind == PROPER and not chinese)]
    if len(trade) > 1 and any(len(t) > 1 and t.isalpha() for t in trade):
        trade = [t for t in trade if len(t) > 1 or t.isdigit()]  # what a form left: Philips N V
    if not trade and not chinese:  # Deutsche Bank, Japan Synthetic Rubber
        trade = [t for t, kind, e in words if kind == PLACE and e != _CHINA]
    if any(t[-1].isdigit() or t in ORDINAL_WORDS for t in trade):
        trade = latin_ordinals(trade)
    if trade and all(is_pinyin(t) or t in _LEVEL_WORDS_APART for t in trade):
        trade = _without_level_words([plain(t) for t in trade])  # ü written u, as in Chinese
        if trade:  # pinyin industry words only after a pinyin trade name
            trade, pinyin_terms = _peel_pinyin(trade, after_place)
            english += pinyin_terms
    org_form = org[0] if org is not None else None
    return (" ".join(trade) or None), ("".join(trade) or None), tuple(english), org_form, chinese


def _org_noun(tokens: list[str]) -> tuple[str, int] | None:
    """The organisation noun ending the name (``Factory``, ``Co-operative``): (English, start)."""
    forms = org_forms()
    if len(tokens) > 1 and tokens[-1] in forms.latin_last:
        found = forms.latin_suffix(tokens, len(tokens))
        if found is not None and found[1] > 0:
            return found
    return None


@lru_cache(maxsize=1 << 14)
def _read_words(tokens: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """Each token's role: (token, role, English): an industry word (English, in any of the
    tables' languages, or misspelt by one letter), a word that belongs to a proper name in
    Western names (with its industry English, if any), a country or region, a business word
    or filler (dropped), else a word of the trade name. Cached: word sequences repeat."""
    terms, words = industry(), latin_words()
    first, phrases = terms.latin_first, terms.latin
    out: list[tuple[str, str, str]] = []
    position = 0
    while position < len(tokens):
        token = tokens[position]
        longest = first.get(token)
        if longest is not None:
            hit = (
                terms.latin_prefix(list(tokens), position)
                if longest > 1
                else ((phrases[(token,)], position + 1) if (token,) in phrases else None)
            )
            if hit is not None:
                end = hit[1]
                proper = end == position + 1 and token in words.proper
                out.extend(
                    (t, PROPER if proper else INDUSTRY, hit[0]) for t in tokens[position:end]
                )
                position = end
                continue
        position += 1
        role = words.roles.get(token) or (None if token in _FILLER else misspelt(token))
        if token in _FILLER or (role is not None and role[0] == DESCRIPTOR):
            continue
        if role is not None:
            out.append((token, role[0], role[1]))
        else:
            out.append((token, PROPER if token in words.proper else _TRADE, ""))
    return _merge_phrases(out)


def _merge_phrases(words: list[tuple[str, str, str]]) -> tuple[tuple[str, str, str], ...]:
    """An industry phrase of several tokens counts once in English (``import and export``)."""
    out: list[tuple[str, str, str]] = []
    for index, (token, kind, english) in enumerate(words):
        if kind == INDUSTRY and index and words[index - 1][1:] == (kind, english):
            out.append((token, kind, ""))
        else:
            out.append((token, kind, english))
    return tuple(out)


def _pinyin_trade(words: tuple[tuple[str, str, str], ...]) -> bool:
    """Tell whether a name renders a Chinese name: its own words are all pinyin, or it names
    China (``China Post Group``)."""
    if any(kind == PLACE and english == _CHINA for _, kind, english in words):
        return True
    trade = [t for t, kind, _ in words if kind == _TRADE]
    return bool(trade) and all(is_pinyin(t) for t in trade)


_HEAD_OFFICE_WORDS = frozenset({"general", "head"})  # 总 of 总公司, 总厂 before the form
# 镇, 乡 written apart after a name, in pinyin or English
_LEVEL_WORDS_APART = frozenset({"zhen", "xiang", "town", "township"})


def _without_level_words(trade: list[str]) -> list[str]:
    """Drop 镇/乡 written apart after a name of two syllables or more (``Dong Yang Xiang``:
    the township 东阳; ``Hai He Zhen``, ``Dongan Town``), as the Chinese side drops them after
    a trade name; ``Xiang Lan`` (香兰) keeps its first syllable."""
    if _LEVEL_WORDS_APART.isdisjoint(trade):
        return trade
    out: list[str] = []
    for token in trade:
        if token in _LEVEL_WORDS_APART and syllable_count("".join(out)) >= 2:
            continue
        out.append(token)
    if out and out[-1] in _LEVEL_WORDS_APART and len(out) == 1 and len(trade) > 1:
        return []
    return out
