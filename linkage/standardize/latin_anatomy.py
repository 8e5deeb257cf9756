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
from linkage.standardize.pinyin import is_pinyin, plain
from linkage.standardize.subunits import ORDINAL_WORDS, latin_ordinals
from linkage.standardize.vocabulary import ZONE_HEADS, industry, latin_zone, org_forms

# words that say nothing about which firm it is nor what it does
_FILLER = frozenset(
    {
        "and", "of", "the", "company", "companies", "co", "corp", "corporation", "joint",
        "stock", "shares", "share", "partners", "china", "chinese", "prc", "global", "asia",
        "pacific", "ltd", "limited", "inc",
    }
)  # fmt: skip
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
        core: The trade name, glued (``xianglan``), None when the name has none.
        industry: Canonical English industry terms in order (``petrochemical``, ...).
        org_form: Canonical English organisation noun at the end (``factory``), else None.
    """

    place_ids: tuple[int, ...]
    place: str | None
    place_path: str | None
    stated: tuple[str, ...]
    trade: str | None
    core: str | None
    industry: tuple[str, ...]
    org_form: str | None


def _drop_zone(tokens: list[str]) -> list[str]:
    """Remove a development zone (``Industrial Park``, ``Economic Development Zone``)."""
    span = latin_zone(tokens)
    return tokens if span is None else [*tokens[: span[0]], *tokens[span[1] :]]


_PINYIN_WORDS = 3  # words an industry word in pinyin may be written in (shi you hua gong)


@cache
def _pinyin_longest() -> int:
    return max(len(k) for k in industry().pinyin)


def _peel_pinyin(trade: list[str], all_of_it: bool) -> tuple[list[str], list[str]]:
    """Peel pinyin industry words off the end of the trade name's words: whole words first
    (``se zhi``), then inside the last word (``donghaishihua``), while a trade name remains,
    or down to nothing when ``all_of_it`` (a place came first: ``Suqian Jianzhu Gongcheng``).
    Returns the trade name's words left and the industry words in English."""
    table = industry().pinyin
    trade = list(trade)
    found: list[str] = []
    while trade:
        for size in range(min(_PINYIN_WORDS, len(trade)), 0, -1):
            tail = "".join(trade[-size:])
            if tail in table and (all_of_it or size < len(trade)):
                found.insert(0, table[tail])
                del trade[-size:]
                break
        else:
            last = trade[-1]
            for size in range(min(_pinyin_longest(), len(last) - 2), 3, -1):
                head, tail = last[:-size], last[-size:]
                if tail in table and is_pinyin(head):
                    found.insert(0, table[tail])
                    trade[-1] = head
                    break
            else:
                return trade, found
    return trade, found


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
    trade, core, terms, org_form = _trade_and_industry(rest, bool(steps))
    if core is None and place_chain.maybe_trade(steps):  # Jiangsu Donghai Pharmaceutical
        steps = place_chain.without_last(steps)
        rest = tokens[steps[-1].end :] if steps else tokens
        trade, core, terms, org_form = _trade_and_industry(rest, bool(steps))
    if not steps:
        return LatinAnatomy((), None, None, (), trade, core, terms, org_form)
    return LatinAnatomy(
        place_ids=steps[-1].ids,
        place=place_chain.city_latin(steps),
        place_path=place_chain.latin_path(steps),
        stated=place_chain.stated(steps),
        trade=trade,
        core=core,
        industry=terms,
        org_form=org_form,
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
) -> tuple[str | None, str | None, tuple[str, ...], str | None]:
    """(trade words, trade glued, industry terms, organisation noun) of the tokens after the
    places; ``after_place``: a place came first, so the name may have no trade name."""
    terms = industry()
    org_form = None
    forms = org_forms()
    if len(tokens) > 1 and tokens[-1] in forms.latin_last:
        found = forms.latin_suffix(tokens, len(tokens))
        if found is not None and found[1] > 0:
            org_form, tokens = found[0], tokens[: found[1]]
    english: list[str] = []
    trade: list[str] = []
    ordinal = False
    first, phrases = terms.latin_first, terms.latin
    position = 0
    while position < len(tokens):
        token = tokens[position]
        longest = first.get(token)
        if longest is not None:
            hit = (
                terms.latin_prefix(tokens, position)
                if longest > 1
                else ((phrases[(token,)], position + 1) if (token,) in phrases else None)
            )
            if hit is not None:
                english.append(hit[0])
                position = hit[1]
                continue
        position += 1
        if token not in _FILLER:
            trade.append(token)
            ordinal = ordinal or token[-1].isdigit() or token in ORDINAL_WORDS
    if ordinal:
        trade = latin_ordinals(trade)
    for token in trade:  # pinyin industry words only after a pinyin trade name (cached checks)
        if not is_pinyin(token):
            break
    else:
        trade = [plain(t) for t in trade]  # ü written u, as the Chinese side writes it
        if trade:
            trade, pinyin_terms = _peel_pinyin(trade, after_place)
            english += pinyin_terms
    return (" ".join(trade) or None), ("".join(trade) or None), tuple(english), org_form
