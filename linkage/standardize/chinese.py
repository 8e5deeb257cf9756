"""Parse Chinese registered names into their anatomy.

A registered name is place prefixes (province, city, county, town; nested, with or without
省/市/县/区/镇, or in brackets), maybe a development zone, a trade name (字号), industry words,
an organisational form (a legal form such as 有限公司, or an organisation noun such as 厂, 商店,
合作社) and, for sub-units, tails naming the units (see ``subunits.py``):

``江苏省南京市玄武区华信科技有限公司`` -> places 江苏 南京 玄武, trade 华信, industry 科技, form
``cn_youxian``; ``华信科技（深圳）有限公司`` -> place 深圳, trade 华信, industry 科技.

A bare county or town name (``东海``) may equally be a trade name: it counts as a place only when
a trade name remains after it (``连云港东海小松原饭店``: place 东海, trade 小松原; ``江苏东海药业``:
trade 东海). A name may have no trade name at all (``宿迁市建筑工程有限公司``).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache, partial
from typing import NamedTuple

from linkage.standardize import legal_forms, place_chain, subunits
from linkage.standardize.gazetteer import LEVEL_WORDS, PROVINCE, gazetteer
from linkage.standardize.hanzi import romanise, to_simplified
from linkage.standardize.text import latin_key
from linkage.standardize.vocabulary import ROADS, industry, org_forms, unit_words, zone_match

_BRACKETS = re.compile(r"\(([^()]*)\)")
_CJK_OR_PAREN = r"[\u3000-\u9fff\uf900-\ufaff\U00020000-\U0003ffff()]"
# spaces next to a CJK character or a parenthesis (removed without rewriting the character)
_SPACE_NEAR_CJK = re.compile(rf"\s+(?={_CJK_OR_PAREN})|(?<={_CJK_OR_PAREN})\s+")
_DROP = re.compile(r"[^\w()\s]+")
_COUNTRY = ("中国", "中华")
_FORMER = "原"
_INNER_PLACE_FROM = 2  # characters of brand before a place inside the trade name
_COUNTRY_LATIN = "china"
_LEVEL_WORDS = frozenset(w for words in LEVEL_WORDS.values() for w in words)
_LEVEL_FIRST_CHARS = frozenset(w[0] for w in _LEVEL_WORDS)
_MARKET = "市场"  # 深圳市场… is a market of Shenzhen, not 深圳市 + 场
_TOWN_LEVELS = frozenset("镇乡")
_MIN_TOWN_NAME = 2


class ChineseName(NamedTuple):
    """The parts of a Chinese company name (texts in simplified characters).

    Attributes:
        country: ``中国``/``中华`` written before the name, else "".
        places: Short names of the stated places for the comparison form: from the city down to
            the most specific place (``南通 如东`` for ``如东县``), see
            :func:`place_chain.norm_shorts`.
        place_ids: Candidate gazetteer ids of the most specific place (empty when none).
        place: Canonical Latin name of the city (``shenzhen``), None when none or ambiguous.
        place_path: Canonical Latin path of the most specific place, when it is pinned.
        stated: Canonical Latin names of the places as written, general to specific.
        zone: Development zone or park written after the places (``工业园区``), else None.
        trade: The trade name (字号), "" when the name has none (``宿迁市建筑工程``).
        industry: Industry words as written, in order (``石油化工``, ``设备``, ``制造``).
        legal_form: Legal-form code (``cn_youxian``) or None.
        org_form: Canonical English of the organisation noun ending the name (``factory``).
        org_word: That noun as written (``厂``), else "".
        units: Sub-units, outermost first.
        latin: Latin key of the organisation (city, trade pinyin, industry in English).
        town: Without a trade name, the canonical Latin name of the town the name states
            (``朱林镇供销合作社``: ``zhulin``), which tells the firm apart as a trade name would.
    """

    country: str
    places: tuple[str, ...]
    place_ids: tuple[int, ...]
    place: str | None
    place_path: str | None
    stated: tuple[str, ...]
    zone: str | None
    trade: str
    industry: tuple[str, ...]
    legal_form: str | None
    org_form: str | None
    org_word: str
    units: tuple[subunits.Unit, ...]
    latin: str
    town: str | None = None

    @property
    def tokens(self) -> tuple[str, ...]:
        """The name's parts in canonical order, without forms: places, trade, industry, units."""
        parts = (self.country, *self.places, self.trade, *self.industry)
        return tuple(p for p in parts if p) + tuple(u.text for u in self.units)

    @property
    def parent_norm(self) -> str:
        """Comparison form of the organisation without its units."""
        return "".join((self.country, *self.places, self.trade, *self.industry))

    @property
    def complete_mark(self) -> str:
        """What shows the organisation is complete before a unit word that needs one
        (``公司`` for a legal form, else the organisation noun: ``厂`` of ``…电器厂门市部``),
        kept in a sub-unit's form."""
        return "公司" if self.legal_form else self.org_word

    @property
    def industry_english(self) -> tuple[str, ...]:
        """The industry words in canonical English (``科技`` -> ``technology``)."""
        terms = industry().zh
        return tuple(terms[t] for t in self.industry)


def places() -> dict[str, str]:
    """Chinese place names (short and full) mapped to their canonical Latin names."""
    return _place_names()


@cache
def _place_names() -> dict[str, str]:
    table: dict[str, str] = {}
    for place in gazetteer().places:
        for name in (place.short, place.name):
            table.setdefault(name, place.latin)
    return table


def industry_terms() -> dict[str, str]:
    """Chinese industry terms mapped to canonical English (科技 -> technology)."""
    return industry().zh


def _balance(text: str) -> str:
    """Drop parentheses that do not close a ``(...)`` group, so brackets parse the same twice."""
    if "(" not in text and ")" not in text:
        return text
    spans = [m.span() for m in _BRACKETS.finditer(text)]
    keep = {i for start, end in spans for i in (start, end - 1)}
    return "".join(c for i, c in enumerate(text) if c not in "()" or i in keep)


def _clean(folded: str) -> str:
    """Simplified characters, brackets unified and balanced, no spaces next to CJK text."""
    text = to_simplified(folded)
    text = _DROP.sub(" ", text.replace("[", "(").replace("]", ")"))
    text = _SPACE_NEAR_CJK.sub("", " ".join(text.split()))
    return _balance(text.strip())


@lru_cache(maxsize=1 << 12)
def _is_place(text: str) -> bool:
    """Tell whether a place chain covers all of ``text`` (``深圳``, ``苏州市``); cached: the
    same bracketed places come back."""
    steps = place_chain.walk(partial(gazetteer().match, text), 0)
    return bool(steps) and steps[-1].end == len(text)


def _bracket_place(text: str) -> str:
    """Move the first bracketed place (or ``(中国)``) to the front (``华信科技(深圳)`` ->
    ``深圳华信科技``), as it would be written there; other brackets keep their text."""
    if "(" not in text:
        return text
    parts: list[str] = []
    place = ""
    end = 0
    for match in _BRACKETS.finditer(text):
        found = not place and (match.group(1) in _COUNTRY or _is_place(match.group(1)))
        former = match.group(1).startswith(_FORMER)  # (原…): a former name, not this one
        parts += [text[end : match.start()], "" if found or former else match.group(1)]
        place = match.group(1) if found else place
        end = match.end()
    return "".join([place, *parts, text[end:]])


def _strip_level_words(text: str, place: str) -> str:
    """Drop level words left after the last place (深圳市市…, (深圳)市…, 镇江 + 镇…): after the
    place's short name in the comparison form they would join it. 市场 (a market) stays."""
    while text[:1] in _LEVEL_FIRST_CHARS and not text.startswith(_MARKET):
        longest = max((m.end for m in gazetteer().match(place + text)), default=0)
        word = text[: longest - len(place)]
        if word not in _LEVEL_WORDS:
            break
        text = text[len(word) :]
    return text


def _strip_legal(text: str) -> tuple[str, str | None]:
    """Strip glued legal forms until none is left (keeps the parse stable); the 公司 of a
    unit word (分公司) stays."""
    code: str | None = None
    while True:
        stripped, form = legal_forms.strip_glued(text)
        unit = unit_words().table.zh_suffix(text, len(text)) if form else None
        if form is None or (unit is not None and len(unit) > len(text) - len(stripped)):
            return text, code
        text, code = stripped, code or form


def _strip_org_form(text: str) -> tuple[str, str]:
    """Strip the organisation noun ending the name (厂, 商店, 门市部, 中心) when at least two
    characters remain: (rest, noun). A noun made of an industry word and a shorter noun
    (服务中心) loses the shorter noun only; an industry word at least as long (饭店, 大药房)
    stays an industry word."""
    if not text or (
        text[-1] not in org_forms().zh_last and text[-1] not in unit_words().table.zh_last
    ):
        return text, ""
    nouns, units, terms = org_forms().zh, unit_words().table.zh, industry()
    longest = max(org_forms().zh_longest, unit_words().table.zh_longest)
    term = terms.zh_suffix(text, len(text))
    for size in range(min(longest, len(text) - 2), 0, -1):
        word = text[-size:]
        if (word not in nouns and word not in units) or any(
            word[:i] in terms.zh for i in range(2, len(word))
        ):
            continue
        if term is not None and len(term) >= size:
            return text, ""
        return text[:-size], word
    return text, ""


def _org_kind(word: str) -> str | None:
    """Canonical English of an organisation noun (厂 -> factory)."""
    return org_forms().zh.get(word) or unit_words().table.zh.get(word) if word else None


def _split_zone(text: str) -> tuple[str | None, str]:
    match = zone_match(text)
    if match is None or len(text) - match.end() < 2:
        return None, text
    return match.group(), text[match.end() :]


def split_industry(text: str) -> tuple[str, tuple[str, ...]]:
    """Peel industry terms off the end: (trade name, terms). The trade may end up empty
    (``建筑工程``) but never a single character (``宏电子`` keeps ``宏电子``)."""
    terms: list[str] = []
    table = industry()
    while (term := table.zh_suffix(text, len(text))) is not None:
        if len(text) - len(term) == 1:
            break
        terms.insert(0, term)
        text = text[: -len(term)]
    return text, tuple(terms)


def _trade_of(rest: str) -> tuple[str, tuple[str, ...]]:
    """The trade name and industry words of what follows the places. An organisation noun
    does not name a firm: a trade name made of one is none, one ending in one loses it
    (湖熟中心供销合作社: 湖熟); 镇 or 乡 ending one of two
    characters or more is the level word of a town the gazetteer lacks (三跃镇电器配件厂:
    三跃), as agencies write it apart (``Sanyue Zhen``)."""
    trade, terms = split_industry(rest)
    while (
        len(trade) > _MIN_TOWN_NAME
        and trade[-1] in _TOWN_LEVELS
        and trade[-2] not in _form_last_chars()  # the form was stripped before: keep it so
    ):
        trade = trade[:-1]
    if terms and (trade in org_forms().zh or trade in unit_words().table.zh):
        return "", terms
    noun = org_forms().zh_suffix(trade, len(trade))
    if noun is not None and len(noun) >= 2 and len(trade) - len(noun) >= 2:  # 湖熟中心: 湖熟
        trade = trade[: -len(noun)]
    return trade, terms


def _leading_places(text: str) -> list[place_chain.Step]:
    """The place chain at the start; a level word 市 followed by 场 belongs to a market."""
    steps = place_chain.walk(partial(gazetteer().match, text), 0)
    steps = place_chain.before_road(steps, bool(steps) and text.startswith(ROADS, steps[-1].end))
    for index, step in enumerate(steps if _MARKET in text else ()):
        if step.suffixed and text[step.end - 1 : step.end + 1] == _MARKET:
            return [*steps[:index], place_chain.Step(step.start, step.end - 1, step.ids, False)]
    return steps


@cache
def _form_last_chars() -> frozenset[str]:
    """The last characters of glued legal forms, organisation nouns and unit words."""
    return frozenset(
        [*legal_forms.edge_glued()[0], *org_forms().zh_last, *unit_words().table.zh_last]
    )


@cache
def _form_first_chars() -> frozenset[str]:
    """The first characters of the legal forms written in front (株式会社)."""
    return frozenset(legal_forms.edge_glued()[1])


def _strip_forms(text: str) -> tuple[str, str | None, str]:
    """Strip legal forms and organisation nouns off the end until none is left, so that the
    comparison form (which has none) parses the same: (rest, legal form, last noun)."""
    code: str | None = None
    noun = ""
    while True:
        if text[-1:] not in _form_last_chars() and text[:1] not in _form_first_chars():
            return text, code, noun  # most names: the forms went before the places
        text, form = _strip_legal(text)
        text, found = _strip_org_form(text)
        code, noun = code or form, noun or found
        if form is None and not found:
            return text, code, noun


def _split_zones(text: str) -> tuple[str | None, str]:
    """Take development zones off the start, all of them (the comparison form has none)."""
    zone = None
    while True:
        found, text = _split_zone(text)
        if found is None:
            return zone, text
        zone = zone or found


def _after_places(
    core: str, steps: list[place_chain.Step]
) -> tuple[str | None, str, str, str | None]:
    """What follows the places: (zone, trade and industry words, organisation noun, legal
    form)."""
    rest = core[steps[-1].end :] if steps else core
    zone, rest = _split_zones(rest)
    rest, form, noun = _strip_forms(rest)
    return zone, rest, noun, form


def _inner_places(trade: str, terms: tuple[str, ...]) -> tuple[str, list[place_chain.Step], str]:
    """A province, or a place written with its level word, inside a trade name after a
    national brand (``国网`` + ``江苏省`` + ``电力``): taken out and put first, as a place
    written there. Returns the trade and industry text without it, its chain, and the text
    the chain was read from."""
    places = gazetteer()
    for start in range(_INNER_PLACE_FROM, len(trade) - 1):
        steps = place_chain.walk(partial(places.match, trade), start)
        if steps and (steps[0].suffixed or places.places[steps[0].ids[0]].depth == PROVINCE):
            written = trade[start : steps[-1].end]
            rest = trade[:start] + trade[steps[-1].end :] + "".join(terms)
            shifted = [s._replace(start=s.start - start, end=s.end - start) for s in steps]
            return rest, shifted, written + rest
    return trade + "".join(terms), [], trade + "".join(terms)


def _parse_organisation(text: str) -> ChineseName:
    """The anatomy of a name without sub-units."""
    text, code = _strip_legal(text)  # a bracketed form first: 精达电器厂(普通合伙)
    core = _bracket_place(text)
    if core != text:
        core, inner = _strip_legal(core)
        code = code or inner
    core = _balance(core.replace("(", "").replace(")", ""))
    first_zone, after = _split_zones(core)
    if first_zone is not None and not _leading_places(core):  # 开发区 before the places
        core = after
    country = core[:2] if core[:2] in _COUNTRY and len(core) > 2 else ""
    core = core[len(country) :]
    steps = _leading_places(core)
    zone, rest, noun, form = _after_places(core, steps)
    zone = zone or (first_zone if core == after else None)
    trade, terms = _trade_of(rest)
    if not trade and place_chain.maybe_trade(steps):  # 江苏东海药业: 东海 is the trade name
        steps = place_chain.without_last(steps)
        zone, rest, noun, form = _after_places(core, steps)
        trade, terms = _trade_of(rest)
    if not steps and len(trade) >= _INNER_PLACE_FROM + 2:  # 国网江苏省电力, 移动通信集团江苏
        trade, steps, core = _inner_places(trade, terms)
        inner_zone, trade = _split_zones(trade)  # as the moved form parses
        trade, inner_form, inner_noun = _strip_forms(trade)
        zone = zone or inner_zone
        form, noun = form or inner_form, noun or inner_noun
        trade, terms = _trade_of(trade)
    code = code or form
    if not steps:
        if not trade and not terms:  # nothing but a place-like word: keep it whole
            trade = core
        words = [_COUNTRY_LATIN if country else "", romanise(trade)]
        words += [industry().zh[t] for t in terms]
        return ChineseName(
            country, (), (), None, None, (), zone, trade, terms, code, _org_kind(noun), noun, (),
            latin_key(" ".join(words).split()),
        )  # fmt: skip
    places = place_chain.summary(steps, core)
    if trade or terms:
        stripped = _strip_level_words(trade, places.shorts[-1])
        if stripped != trade:  # a legal form in front may show now (县株式会社…)
            trade = _strip_legal(stripped)[0]
    words = [places.city or places.place or (_COUNTRY_LATIN if country else ""), romanise(trade)]
    words += [industry().zh[t] for t in terms]
    return ChineseName(
        country, places.shorts, steps[-1].ids, places.city, places.path, places.stated, zone,
        trade, terms, code, _org_kind(noun), noun, (), latin_key(" ".join(words).split()),
        None if trade else place_chain.town_name(steps),
    )  # fmt: skip


def parse_folded(folded: str) -> ChineseName:
    """Split a Chinese (or Japanese kanji) company name, already passed through ``fold``,
    into its registered parts."""
    cleaned = _clean(folded)
    head, tails = subunits.split_chinese(cleaned)
    parsed = _parse_organisation(head)
    if not tails:
        return parsed
    if parsed.legal_form is None:  # a subsidiary's own form (…集团南京第六有限公司)
        parsed = parsed._replace(legal_form=_strip_legal(cleaned)[1])
    units: list[subunits.Unit] = []
    context = parsed.place_ids
    for tail, word in tails:
        unit = subunits.parse_chinese_tail(tail, word, context)
        units.append(unit)
        context = unit.place_ids or context
    return parsed._replace(units=tuple(units))
