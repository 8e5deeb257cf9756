"""Sub-units of organisations: branches, sub-branches, offices, outlets, numbered stores.

A name ends in a sub-unit when it closes with a unit word (``data/subunits.csv``: 分公司, 支行,
门市部, 加油站, Branch, Sub-branch, Business Department, ...) and either what precedes the
unit is a complete organisation name (it ends in a legal or organisational form: 有限公司, 厂,
银行, 集团, 局, Co., Ltd., Bank, Factory, ...), or the unit word names a branch by itself
(分公司, 支行, 办事处, Branch, Representative Office). Otherwise the unit word is the firm's own
organisational form (``海门市服装门市部`` is a store, not a store of someone). Units nest
(``中国邮政集团公司江苏省如东县分公司古坝支局``); the text between the parent and the unit word
is what tells the unit apart from its siblings: places, words, an ordinal (第三, No. 3).

A unit's ``key`` is that distinguishing part romanised so that renderings agree: ``洪武支行``
and ``Hongwu Sub-branch`` give ``hongwu``; ``第三门市部`` and ``Store No. 3`` give ``3``;
``江苏省如东县分公司`` and ``Jiangsu Rudong Branch`` give ``rudong``.
"""

from __future__ import annotations

import re
from functools import cache, partial
from typing import NamedTuple

from linkage.standardize import legal_forms, place_chain
from linkage.standardize.gazetteer import gazetteer
from linkage.standardize.hanzi import romanise
from linkage.standardize.numerals import (
    CN_NUMERAL,
    CN_ORDINAL,
    ORDINAL_TOKEN,
    ORDINAL_WORDS,
    chinese_number,
)
from linkage.standardize.pinyin import plain
from linkage.standardize.vocabulary import (
    ROADS,
    industry,
    industry_english_words,
    latin_zone,
    latin_zone_kind,
    org_forms,
    unit_words,
    zone_kind,
    zone_match,
)

# tails longer than this are part of the name, not a unit's distinguishing part
_MAX_TAIL_CHARS = 12
_MAX_TAIL_TOKENS = 6
_CN_NUMBER_ONLY = re.compile(f"^({CN_NUMERAL})(?:号)?$")
# a number closing a unit's text before its unit word (化肥 + 一 + 门市: the first fertiliser store)
_CN_TRAILING_NUMBER = re.compile("([一二三四五六七八九十]{1,2}|[0-9]{1,3})号?$")
# an ordinal subsidiary named after its group (江苏大才建设集团 + 南京第六 + 有限公司)
_CN_ORDINAL_END = re.compile(f"第{CN_NUMERAL}$")
# Chinese organisation words that end a complete name, besides legal forms and unit words
_CN_ORG_ENDS = ("厂", "总厂", "银行", "集团", "局", "总局", "中心", "合作社", "联社", "信用社")
_LEVEL_CHARS = frozenset("省市县区镇乡")
_COMPANY = "公司"  # the unit word of a subsidiary named after its parent company
_COMPANY_KIND = "company"
_UNIT_KIND = "unit"  # a unit named by its business alone (…有限公司 + 参茸销售总汇)
# legal forms of a parent that names its subsidiaries after itself (Chinese limited companies)
_PARENT_CODES = frozenset({"ltd", "cn_youxian", "cn_gufen", "cn_gongsi"})
# Latin words that end a complete organisation name, besides legal forms
_LATIN_ORG_ENDS = frozenset(
    {
        "group", "bank", "factory", "plant", "works", "mill", "bureau", "institute",
        "hospital", "school", "college", "university", "center", "centre", "association",
        "administration", "corporation", "company",
    }
)  # fmt: skip
# a unit named by a number alone, in pinyin (二分厂: Er Branch Plant); one to three only, the
# others are as often a name (五: wu, also 吴, 武)
_PINYIN_NUMBERS = {"yi": 1, "er": 2, "san": 3}
# street words of unit names, as agencies translate them, back to their pinyin
_LATIN_STREET_WORDS = {
    "road": "lu", "rd": "lu", "street": "jie", "st": "jie", "avenue": "dadao", "ave": "dadao",
}  # fmt: skip


class Unit(NamedTuple):
    """One sub-unit of a name.

    Attributes:
        text: Comparison form of the unit (``洪武支行``, ``第3门市部``, ``hongwu sub branch``).
        kind: Canonical English kind of the unit word (``branch``, ``store``, ``station``).
        key: The distinguishing part, romanised and script-independent (``hongwu``, ``3``,
            ``rudong``); the kind when the unit states nothing else.
        place_ids: Candidates of the most specific place the unit states (empty if none).
        place: Canonical Latin name of that place (None if none or ambiguous).
        stated: Canonical Latin names of the places the unit states, general to specific.
        strong: The unit word names a branch by itself (分公司, Branch); other unit words
            (门市部, Store) make a unit only after a complete organisation name.
    """

    text: str
    kind: str
    key: str
    place_ids: tuple[int, ...] = ()
    place: str | None = None
    stated: tuple[str, ...] = ()
    strong: bool = False


# ---- Chinese


@cache
def _cn_org_end() -> re.Pattern[str]:
    """Words that end a complete organisation name: glued legal forms, organisation nouns
    and unit words of two or more characters."""
    words = {v for _, v, _ in legal_forms.load_table() if not v.isascii()}
    words.update(_CN_ORG_ENDS)
    words.update(w for w in unit_words().table.zh if len(w) >= 2)
    words.update(w for w in org_forms().zh if len(w) >= 2)
    # two-character words ending in a level word read across place names (海门市, 江门市)
    words = {w for w in words if len(w) > 2 or w[-1] not in _LEVEL_CHARS}
    ordered = sorted(words, key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in ordered))


def split_chinese(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Split sub-units off the end of a cleaned Chinese name.

    Returns:
        The parent name and its units, outermost first, each as (tail, unit word):
        ``中国邮政集团公司江苏省如东县分公司古坝支局`` -> (``中国邮政集团公司``,
        [(``江苏省如东县``, ``分公司``), (``古坝``, ``支局``)]).
    """
    units: list[tuple[str, str]] = []
    while (found := _last_chinese_unit(text)) is not None:
        text, tail, word = found
        units.insert(0, (tail, word))
    return text, units


def _last_chinese_unit(text: str) -> tuple[str, str, str] | None:
    words = unit_words()
    word = words.table.zh_suffix(text, len(text))
    if word is None:
        return _chinese_subsidiary(text) or _after_legal_form(text)
    if len(text) == len(word):
        return None
    before = text[: -len(word)]
    end = None
    for match in _cn_org_end().finditer(before):
        end = match.end()
    if end is not None and len(before) - end <= _MAX_TAIL_CHARS:
        return before[:end], before[end:], word
    if word not in words.branch:
        return None
    cut = _branch_cut(before)
    return before[:cut], before[cut:], word


@cache
def _cn_legal_form() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Glued Chinese legal forms: at the end of a text, and anywhere in it."""
    forms = sorted({v for c, v, _ in legal_forms.load_table() if c.startswith("cn_")}, key=len)
    alternation = "|".join(re.escape(v) for v in reversed(forms))
    return re.compile(f"(?:{alternation})$"), re.compile(alternation)


def _chinese_subsidiary(text: str) -> tuple[str, str, str] | None:
    """A company named after the company it belongs to: ``…运输集团有限公司`` + ``劳动服务`` +
    ``公司``, or a numbered one named after its group: ``江苏大才建设集团`` + ``南京第六`` +
    ``有限公司``. The unit word is written ``公司`` whatever the form, so renderings agree."""
    if "公司" not in text and "合伙" not in text:  # every Chinese legal form has one
        return None
    at_end, anywhere = _cn_legal_form()
    if (match := at_end.search(text)) is None or match.start() == 0:
        return None
    before = text[: match.start()]
    if "第" in before and (ordinal := _CN_ORDINAL_END.search(before)) is not None:
        end = None
        for inner in _cn_org_end().finditer(before, 0, ordinal.start()):
            end = inner.end()
        if end is not None and 0 < len(before) - end <= _MAX_TAIL_CHARS:
            return before[:end], before[end:], _COMPANY
    if text.count("公司") + text.count("合伙") < 2:
        return None
    end = None
    for inner in anywhere.finditer(before):
        end = inner.end()
    tail = before[end:].replace("(", "").replace(")", "") if end is not None else ""
    if not 2 <= len(tail) <= _MAX_TAIL_CHARS:
        return None
    return before[:end], before[end:], _COMPANY


def _after_legal_form(text: str) -> tuple[str, str, str] | None:
    """A unit after a complete company that names itself by its business or its own noun
    (``…有限公司`` + ``参茸销售总汇``, ``…有限公司`` + ``开明大戏院``): a registered name is
    complete at its legal form, so what follows it names a unit. The tail must end in an
    organisation noun or an industry word; the unit word is that noun, else "" (a unit)."""
    if "公司" not in text and "合伙" not in text:
        return None
    end = None
    for match in _cn_legal_form()[1].finditer(text):
        end = match.end()
    if end is None or end == len(text) or end < 2:
        return None
    tail = text[end:]
    if not 2 <= len(tail) <= _MAX_TAIL_CHARS or "(" in tail or ")" in tail:
        return None
    noun = org_forms().zh_suffix(tail, len(tail))
    if noun is not None and len(noun) < len(tail):
        return text[:end], tail[: -len(noun)], noun
    if industry().zh_suffix(tail, len(tail)) is not None:
        return text[:end], tail, ""
    return None


def _branch_cut(text: str) -> int:
    """Where the parent ends in ``华为技术北京`` + 分公司 (no legal form before the unit):
    before a trailing place (or a place and a zone: ``南京溧水经济开发区``), else after the last
    industry word, else at the end."""
    places = gazetteer()
    for start in range(2, len(text) - 1):
        steps = place_chain.walk(partial(places.match, text), start)
        if steps and (
            steps[-1].end == len(text)
            or (
                (zone := zone_match(text[steps[-1].end :]))
                and zone.end() + steps[-1].end == len(text)
            )
        ):
            return start
    terms = industry()
    for end in range(len(text), 1, -1):
        if terms.zh_suffix(text, end, 0) is not None:
            return end
    return len(text)


def parse_chinese_tail(tail: str, word: str, context: tuple[int, ...]) -> Unit:
    """The unit made of ``tail`` + ``word``, its places read inside ``context``."""
    kind = _chinese_kind(word)
    places = gazetteer()
    tail = tail.replace("(", "").replace(")", "")
    ordinal = None
    if match := CN_ORDINAL.search(tail):  # the first ordinal counts
        ordinal = chinese_number(match.group(1))
        tail = CN_ORDINAL.sub("", tail)
    steps = place_chain.walk(partial(places.match, tail), 0, context)
    steps = place_chain.before_road(steps, bool(steps) and tail.startswith(ROADS, steps[-1].end))
    rest = tail[steps[-1].end :] if steps else tail
    if ordinal is None and (match := _CN_NUMBER_ONLY.match(rest)):
        ordinal, rest = chinese_number(match.group(1)), ""
    elif ordinal is None and (match := _CN_TRAILING_NUMBER.search(rest)):
        ordinal, rest = _trailing_number(rest, match)
    written = rest
    if zone := zone_match(rest):  # 溧水经济开发区支行: the zone's own name counts, not its kind
        rest = zone.group(1) + rest[zone.end() :]
    terms = industry()
    english: list[str] = []
    while (term := terms.zh_suffix(rest, len(rest))) is not None:
        english.insert(0, terms.zh[term])
        rest = rest[: -len(term)]
    shorts = [places.places[s.ids[0]].short for s in steps]
    number = "" if ordinal is None else f"第{ordinal}"
    return Unit(
        text="".join([*shorts, written, number, word]),
        kind=kind,
        key=_key(
            plain(romanise(rest)) if rest else "",
            english,
            None if zone is None else zone_kind(zone.group(2)),
            steps,
            ordinal,
            kind,
        ),
        place_ids=steps[-1].ids if steps else (),
        place=place_chain.place_latin(steps),
        stated=place_chain.stated(steps),
        strong=word in unit_words().branch,
    )


def _chinese_kind(word: str) -> str:
    """The kind of a Chinese unit word or organisation noun ending a unit (支行: ``branch``,
    院: ``institute``); ``company`` for a subsidiary, ``unit`` when the unit has no word."""
    if not word:
        return _UNIT_KIND
    return unit_words().table.zh.get(word) or org_forms().zh.get(word) or _COMPANY_KIND


def _trailing_number(rest: str, match: re.Match[str]) -> tuple[int | None, str]:
    """A number closing a unit's text read as its ordinal (``化肥一`` + 门市: 1) when what
    precedes it is an industry word: a number after a name is part of it (``天一``)."""
    before = rest[: match.start()]
    if industry().zh_suffix(before, len(before)) is None:
        return None, rest
    return chinese_number(match.group(1)), before


def _key(
    words: str,
    english: list[str],
    zone: str | None,
    steps: list[place_chain.Step],
    ordinal: int | None,
    kind: str,
) -> str:
    """The unit's key: its own words (pinyin) and its industry words (English), or, when it
    has no words of its own, its industry words and its most specific place (agencies drop
    places in unit names more often than in names), the kind of a development zone
    (``hightechzone``) and the ordinal, sorted; else the kind. Industry words stay in the key:
    sister units of one parent often differ in them alone (鹏程商贸分公司, 鹏程广告装璜分公司)."""
    parts = ([words] if words else []) + [w for e in english for w in e.split()]
    if not words and steps:
        parts.append(place_chain.place_latin(steps) or gazetteer().places[steps[-1].ids[0]].latin)
    if zone is not None:
        parts.append(f"{zone}zone")
    if ordinal is not None:
        parts.append(str(ordinal))
    return " ".join(sorted(set(parts))) or kind


_OWN_WORD = 4  # letters of a unit's own word that may meet one an agency glued more onto


def _own_words_and_ordinals(key: str) -> tuple[list[str], set[str]]:
    """A unit key's own words of ``_OWN_WORD`` letters or more (not industry English, not an
    ordinal) and its ordinals."""
    words = key.split()
    english = industry_english_words()
    own = [w for w in words if len(w) >= _OWN_WORD and w not in english and not w.isdigit()]
    return own, {w for w in words if w.isdigit()}


def keys_alike(left: str, right: str) -> bool:
    """Tell whether the unit keys of a Chinese name and of its Latin rendering may name one
    unit although they differ: a pinyin word of one holds a pinyin word of the other
    (``beilu`` / ``beilumonopoly``, ``teyue`` / ``zongzhuangftyteyue``: the rendering glued
    a unit word to it) and their ordinals, if both have one, are the same."""
    own_l, ordinals_l = _own_words_and_ordinals(left)
    own_r, ordinals_r = _own_words_and_ordinals(right)
    if ordinals_l and ordinals_r and ordinals_l != ordinals_r:
        return False
    return any(a in b or b in a for a in own_l for b in own_r)


def names_unit(key: str, parent: str | None, latin: str) -> bool:
    """Tell whether a Latin name read without a unit (its glued ``latin`` form) names the unit
    of ``key`` under ``parent`` all the same: it holds each own word of the key more often than
    the parent does, and the key's ordinals. ``Chicago Commons - Nia Family Center`` names the
    unit ``niafamily`` of ``Chicago Commons Association - Nia Family Center`` (a weak unit word
    needs a complete organisation before it to be read as a unit); ``Marcy Newberry
    Association`` does not name ``Newberry Center`` of itself: it is the parent."""
    own, ordinals = _own_words_and_ordinals(key)
    glued = "".join((parent or "").split())
    return (
        bool(own)
        and all(latin.count(word) > glued.count(word) for word in own)
        and all(number in latin for number in ordinals)
    )


# ---- Latin


def split_latin(
    tokens: list[str],
) -> tuple[list[str], list[tuple[list[str], str, int | None, bool]]]:
    """Split sub-units off the end of a folded Latin token list.

    Returns:
        The parent's tokens and the units, outermost first, each as (tail tokens, unit word
        as written, ordinal, strong): ``nanjing xianfeng petrochemical co ltd yinqiao branch`` ->
        (``nanjing xianfeng petrochemical co ltd``, [([``yinqiao``], ``branch``, None, True)]).
    """
    units: list[tuple[list[str], str, int | None, bool]] = []
    while (found := _last_latin_unit(tokens)) is not None:
        tokens, tail, phrase, ordinal, strong = found
        units.insert(0, (tail, phrase, ordinal, strong))
    return tokens, units


def _ordinal(tokens: list[str]) -> tuple[int | None, int]:
    """An ordinal at the end of the tokens (``no 3``, ``3``, ``no3``, ``third``): (value, size)."""
    if not tokens:
        return None, 0
    last = tokens[-1]
    if last in ORDINAL_WORDS:
        return ORDINAL_WORDS[last], 1
    if match := ORDINAL_TOKEN.match(last):
        size = 2 if len(tokens) > 1 and tokens[-2] in ("no", "number") else 1
        return int(match.group(1)), size
    return None, 0


def _last_latin_unit(
    tokens: list[str],
) -> tuple[list[str], list[str], str, int | None, bool] | None:
    words = unit_words()
    if tokens and tokens[-1] not in words.table.latin_last and not tokens[-1][-1:].isdigit():
        return _latin_subsidiary(tokens)
    ordinal, size = _ordinal(tokens)
    end = len(tokens) - size
    hit = words.table.latin_suffix(tokens, end)
    if hit is None and ordinal is not None:  # "Branch 3" read as a unit; "Acme 3" is not one
        return None
    if hit is None:
        return _latin_subsidiary(tokens)
    start = hit[1]
    phrase = " ".join(tokens[start:end])  # as written: the comparison form keeps it
    before = tokens[:start]
    if ordinal is None:
        ordinal, size = _ordinal(before)
        before = before[: len(before) - size]
    if len(before) < 1:
        return None
    strong = tuple(tokens[start:end]) in words.strong_latin
    org_end = _latin_org_end(before)
    if org_end is not None and len(before) - org_end <= _MAX_TAIL_TOKENS:
        return before[:org_end], before[org_end:], phrase, ordinal, strong
    if not strong:
        return None
    cut = _latin_branch_cut(before)
    return before[:cut], before[cut:], phrase, ordinal, strong


def _latin_subsidiary(
    tokens: list[str],
) -> tuple[list[str], list[str], str, int | None, bool] | None:
    """``… Group Co., Ltd. Labour Service Company``: a company named after the (Chinese-style)
    limited company it belongs to."""
    index, longest = legal_forms._token_index()
    last, first = legal_forms.edge_tokens()
    if not tokens or tokens[-1] not in last or last.isdisjoint(tokens[1:-3]):
        return None  # no legal form at the end, or none inside: most names
    for size in range(min(longest, len(tokens) - 1), 0, -1):
        if tuple(tokens[-size:]) in index:
            before = tokens[:-size]
            break
    else:
        return None
    for end in range(len(before) - 2, 0, -1):  # the unit keeps two tokens at least
        for form in range(min(longest, end), 0, -1):
            code = index.get(tuple(before[end - form : end]))
            if code is not None and end - form > 0:
                tail = before[end:]
                if (
                    code not in _PARENT_CODES
                    or len(tail) > _MAX_TAIL_TOKENS
                    or any(t in last or t in first for t in tail)
                ):
                    return None
                return before[:end], tail, " ".join(tokens[len(before) :]), None, False
    return None


def _latin_org_end(tokens: list[str]) -> int | None:
    """The end of the last complete organisation name in the tokens (after a legal form or an
    organisation word; ``Bank of Nanjing`` ends after the place), None if none."""
    index, longest = legal_forms._token_index()
    units = unit_words()
    longest = max(longest, units.table.latin_longest)
    for end in range(len(tokens), 0, -1):
        if tokens[end - 1] not in _LATIN_ORG_ENDS and not any(
            (phrase := tuple(tokens[end - size : end])) in index or phrase in units.strong_latin
            for size in range(1, min(longest, end - 1) + 1)
        ):
            continue
        if tokens[end : end + 1] != ["of"]:
            return end
        steps = place_chain.walk(lambda i: gazetteer().latin_match(tokens, i), end + 1)
        if steps:
            return steps[0].end
        if tokens[end + 1 : end + 2] == ["china"]:
            return end + 2
    return None


def _latin_branch_cut(tokens: list[str]) -> int:
    """Where the parent ends before a branch word with no complete organisation before it:
    before a trailing place (``Acme Beijing Branch``) or a place and a zone, else at the end."""
    places = gazetteer()
    for start in range(1, len(tokens)):
        steps = place_chain.walk(partial(places.latin_match, tokens), start)
        if steps and (
            steps[-1].end == len(tokens)
            or (
                (zone := latin_zone(tokens[steps[-1].end :]))
                and zone == (0, len(tokens) - steps[-1].end)
            )
        ):
            return start
    return len(tokens)


def parse_latin_tail(
    tail: list[str],
    phrase: str,
    ordinal: int | None,
    context: tuple[int, ...],
    strong: bool,
    *,
    kind_first: bool = False,
) -> Unit:
    """The unit made of ``tail`` tokens and its unit word ``phrase`` (``sub branch``), its
    places read inside ``context``; ``strong`` when its word names a branch by itself;
    ``kind_first`` when the unit word was written before its place (``Zweigniederlassung
    Hamburg``), as its form keeps it. A unit word that is a legal form makes a company."""
    kind = unit_words().table.latin.get(tuple(phrase.split()), _COMPANY_KIND)
    split, steps = place_chain.latin_chain(tail, context)
    rest = split[steps[-1].end :] if steps else list(tail)
    if ordinal is None and len(rest) == 1 and rest[0] in _PINYIN_NUMBERS:  # Er Branch Plant
        ordinal, rest = _PINYIN_NUMBERS[rest[0]], []
    zone = latin_zone(rest)
    zone_of = None
    if zone is not None:
        zone_of = latin_zone_kind(rest[zone[0] : zone[1]])
        rest = [*rest[: zone[0]], *rest[zone[1] :]]
    terms = industry()
    english: list[str] = []
    words: list[str] = []
    position = 0
    while position < len(rest):
        token = rest[position]
        hit = None if token in _LATIN_STREET_WORDS else terms.latin_prefix(rest, position)
        if hit is None and token in terms.pinyin:  # an industry word left in pinyin
            hit = terms.pinyin[token], position + 1
        if hit is not None:
            english.append(hit[0])
            position = hit[1]
            continue
        words.append(plain(_LATIN_STREET_WORDS.get(token, token)))
        position += 1
    number = [] if ordinal is None else ["no", str(ordinal)]
    words_of = [*phrase.split(), *tail] if kind_first else [*tail, *number, *phrase.split()]
    return Unit(
        text=" ".join(words_of),
        kind=kind,
        key=_key("".join(words), english, zone_of, steps, ordinal, kind),
        place_ids=steps[-1].ids if steps else (),
        place=place_chain.place_latin(steps),
        stated=place_chain.stated(steps),
        strong=strong,
    )
