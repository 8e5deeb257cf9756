"""Nested place prefixes of a name, in either script: ``江苏省南京市玄武区``, ``Nanjing Xuanwu``.

A name may start at any level (province, prefecture, county, town) and each later place must
lie inside the one before. A name's first place must be a province, prefecture or county, or a
town written with its level word (``古坝镇``): a bare two-character town name is as likely a
trade name. A place name shared by several places stays ambiguous until a later place narrows
it (``鼓楼`` is a district of Nanjing, Xuzhou and Fuzhou).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial
from typing import NamedTuple

from linkage.standardize.gazetteer import (
    COUNTY,
    LATIN_LEVEL_WORDS,
    PREFECTURE,
    TOWN,
    Match,
    gazetteer,
)
from linkage.standardize.pinyin import is_pinyin, syllable_count
from linkage.standardize.vocabulary import LATIN_ROADS

_MAX_BARE_STEP = 2  # levels a place written without its level word may lie below the last
_MIN_PLACE_SYLLABLES = 2  # a glued prefix of one syllable (xian, hua) is not split off
# level words glued to a place name (``kunshanshi``, ``hetaxiang``), read as the English ones
_LEVEL_SYLLABLES = {
    "sheng": "province", "shi": "city", "xian": "county", "qu": "district", "zhen": "town",
    "xiang": "township", "jiedao": "street", "qi": "banner",
}  # fmt: skip
_ALL_LATIN_LEVEL_WORDS = frozenset().union(*LATIN_LEVEL_WORDS.values())
# level syllables that agencies may glue to the next word (``Dantu Quguyang``: 区 + 谷阳); these
# two rarely start a name, so they are split off whatever follows
_FORWARD_LEVELS = frozenset({"qu", "jiedao"})


class Step(NamedTuple):
    """One place of a chain: where it is written and which places it may be."""

    start: int
    end: int
    ids: tuple[int, ...]
    suffixed: bool
    wide: tuple[int, ...] = ()  # the candidates before a later place narrowed them

    @property
    def bare(self) -> bool:
        """A county or town written without its level word (``东海``): maybe a trade name."""
        return not self.suffixed and min(gazetteer().places[i].depth for i in self.ids) >= COUNTY


def walk(
    match_at: Callable[[int], list[Match]], start: int, context: tuple[int, ...] = ()
) -> list[Step]:
    """The longest chain of nested places from ``start``.

    Args:
        match_at: The place names starting at a position (``Gazetteer.match`` of a text or
            ``Gazetteer.latin_match`` of a token list), longest first.
        start: Where the chain may begin.
        context: Places the name stated before (a sub-unit's parent): a first place inside
            one of them is preferred, and then counts as nested.
    """
    steps: list[Step] = []
    current = context
    position = start
    while True:
        step = _next(match_at(position), position, current, first=not steps)
        if step is None:
            break
        steps.append(step)
        current, position = step.ids, step.end
    return _narrow(steps)


def _next(
    options: list[Match], position: int, current: tuple[int, ...], first: bool
) -> Step | None:
    places = gazetteer()
    for option in options:
        ids, depths = option.ids, option.depths  # general places first
        if current:
            if len(current) == 1:
                keep = places.inside(ids, current[0])
            else:
                keep = sorted({k for c in current for k in places.inside(ids, c)})
            if not option.suffixed:  # a bare name skips one level at most (no town under 安徽)
                lowest = max(places.places[c].depth for c in current) + _MAX_BARE_STEP
                keep = [k for k in keep if depths[k] <= lowest]
            if keep:
                top = depths[keep[0]]
                inside = tuple(ids[k] for k in keep if depths[k] == top)
                return Step(position, option.end, inside, option.suffixed)
        # a first place outside the stated context must be a city or above, or written with
        # its level word; without a context, a county may be bare too
        if first and (depths[0] < (PREFECTURE + 1 if current else TOWN) or option.suffixed):
            return Step(position, option.end, ids[: depths.count(depths[0])], option.suffixed)
    return None


def _narrow(steps: list[Step]) -> list[Step]:
    """Keep, for each place, only the candidates that contain the next place's candidates."""
    if len(steps) < 2:
        return steps
    places = gazetteer()
    for index in range(len(steps) - 2, -1, -1):
        step, after = steps[index], steps[index + 1]
        kept = tuple(i for i in step.ids if any(places.within(a, i) for a in after.ids))
        if kept and kept != step.ids:
            steps[index] = Step(step.start, step.end, kept, step.suffixed, step.wide or step.ids)
    return steps


def inside(step: Step, outer: Step) -> bool:
    """Tell whether a place lies inside another (some candidate of each)."""
    places = gazetteer()
    return any(places.within(i, o) for i in step.ids for o in outer.ids)


def without_last(steps: list[Step]) -> list[Step]:
    """The chain without its last place, the place before it no longer narrowed by it."""
    if len(steps) < 2:
        return []
    before = steps[-2]
    return [*steps[:-2], before._replace(ids=before.wide or before.ids, wide=())]


def maybe_trade(steps: list[Step]) -> bool:
    """Tell whether the last place may be the trade name instead, when nothing but industry
    words follows it: written bare, and a town, or the first place, or not directly inside
    the place before (``江苏东海药业``: 东海, a county of Lianyungang, is the trade name;
    ``连云港市赣榆客运``: 赣榆, a district of Lianyungang, is the place)."""
    if not steps or not steps[-1].bare:
        return False
    places = gazetteer()
    if len(steps) == 1 or min(places.places[i].depth for i in steps[-1].ids) >= TOWN:
        return True
    return not any(places.places[i].parent in steps[-2].ids for i in steps[-1].ids)


def town_name(steps: list[Step]) -> str | None:
    """The canonical Latin name of the last place when it is a town (镇, 乡, 街道), else None:
    a firm named by its town and industry alone (``朱林供销合作社``, ``Zhulin Town Supply and
    Marketing Co-op``) is told apart from other towns' firms by it, as by a trade name."""
    if not steps or min(gazetteer().places[i].depth for i in steps[-1].ids) < TOWN:
        return None
    return place_latin(steps)


def before_road(steps: list[Step], road: bool) -> list[Step]:
    """Drop a bare last place that names a road (济川路, ``Jichuan Road``): ``road`` tells
    whether a road word follows it."""
    if road and steps and not steps[-1].suffixed:
        return steps[:-1]
    return steps


def unique(steps: list[Step]) -> int | None:
    """The id of the most specific place when the chain pins it to one place, else None."""
    if steps and len(steps[-1].ids) == 1:
        return steps[-1].ids[0]
    return None


def latin_path(steps: list[Step]) -> str | None:
    """The canonical Latin path of the most specific place (``jiangsu nanjing xuanwu``)."""
    place = unique(steps)
    return None if place is None else gazetteer().latin_path(place)


def city_latin(steps: list[Step]) -> str | None:
    """The canonical Latin name of the city of the most specific place, when all its
    candidates share one (``南京玄武`` -> ``nanjing``; a province alone -> the province)."""
    return _city_latin(steps[-1].ids) if steps else None


@lru_cache(maxsize=1 << 14)
def _city_latin(ids: tuple[int, ...]) -> str | None:
    places = gazetteer()
    cities = {places.places[places.city(i)].latin for i in ids}
    return cities.pop() if len(cities) == 1 else None


def place_latin(steps: list[Step]) -> str | None:
    """The canonical Latin name of the most specific place, when its candidates share one."""
    return _place_latin(steps[-1].ids) if steps else None


@lru_cache(maxsize=1 << 14)
def _place_latin(ids: tuple[int, ...]) -> str | None:
    names = {gazetteer().places[i].latin for i in ids}
    return names.pop() if len(names) == 1 else None


def stated(steps: list[Step]) -> tuple[str, ...]:
    """Canonical Latin names of the places as written, general to specific (a place whose
    candidates disagree on their name is left out)."""
    names = [_place_latin(step.ids) for step in steps]
    return tuple(n for n in names if n is not None)


def norm_shorts(steps: list[Step], written: str) -> list[str]:
    """The places for a comparison form: short names from the city down to the most specific
    place, completed from the gazetteer when the chain pins the place (``如东`` -> ``南通如东``);
    else the places as written in ``written``, the text the chain was read from (``鼓楼``,
    ``东海镇``)."""
    place = unique(steps)
    if place is not None:
        return list(_shorts_from_city(place))
    return [written[s.start : s.end] for s in steps]


@lru_cache(maxsize=1 << 14)
def _shorts_from_city(place: int) -> tuple[str, ...]:
    places = gazetteer()
    path = places.path(place)
    return tuple(places.places[i].short for i in path[path.index(places.city(place)) :])


class Summary(NamedTuple):
    """What a name's places give its parts (see the functions above)."""

    shorts: tuple[str, ...]
    city: str | None
    place: str | None
    path: str | None
    stated: tuple[str, ...]


def summary(steps: list[Step], written: str) -> Summary:
    """``norm_shorts``, ``city_latin``, ``place_latin``, ``latin_path`` and ``stated`` of a
    chain at once (cached by the chain's places: names repeat their places)."""
    if unique(steps) is not None:
        return _summary(tuple(s.ids for s in steps), ())
    return _summary(tuple(s.ids for s in steps), tuple(norm_shorts(steps, written)))


@lru_cache(maxsize=1 << 15)
def _summary(ids: tuple[tuple[int, ...], ...], written: tuple[str, ...]) -> Summary:
    steps = [Step(0, 0, i, False) for i in ids]
    return Summary(
        written or _shorts_from_city(ids[-1][0]),
        city_latin(steps),
        place_latin(steps),
        latin_path(steps),
        stated(steps),
    )


# ---- Latin: places spelt over several tokens or glued to the next word


@lru_cache(maxsize=1 << 16)
def _place_prefix(token: str) -> tuple[str, str] | None:
    """Split a glued token at a romanised place name (``yuhuanxian`` -> ``yuhuan``,
    ``county``) when the rest is a level word or pinyin of two or more syllables; the longest
    place name of two or more syllables wins (``shihua`` is no ``shihu`` + ``a``)."""
    places = gazetteer()
    for size in range(len(token) - 1, 3, -1):
        head, rest = token[:size], token[size:]
        if (
            places.latin_ids(head)
            and is_pinyin(rest)
            and syllable_count(head) >= _MIN_PLACE_SYLLABLES
            and (syllable_count(rest) >= _MIN_PLACE_SYLLABLES or rest in _LEVEL_SYLLABLES)
        ):
            return head, _LEVEL_SYLLABLES.get(rest, rest)
    return None


def _latin_walk(tokens: list[str], context: tuple[int, ...]) -> tuple[list[str], list[Step]]:
    """The place chain at the start, splitting glued place names off as it goes."""
    places = gazetteer()
    while True:
        steps = walk(partial(places.latin_match, tokens), 0, context)
        road = bool(steps) and tokens[steps[-1].end : steps[-1].end + 1] in (
            [r] for r in LATIN_ROADS
        )
        steps = before_road(steps, road)
        position = steps[-1].end if steps else 0
        if position >= len(tokens) or not is_pinyin(tokens[position]):
            return tokens, steps
        split = _place_prefix(tokens[position])
        forward = split is None and steps and _level_first(tokens[position], steps[-1])
        if forward:
            split = forward
        if split is None:
            return tokens, steps
        trial = [*tokens[:position], *split, *tokens[position + 1 :]]
        longer = walk(partial(places.latin_match, trial), 0, context)
        if not longer or longer[-1].end <= position:
            if forward and forward[0] in _FORWARD_SPLIT:
                return trial, walk(partial(places.latin_match, trial), 0, context)
            return tokens, steps
        tokens = trial


_FORWARD_SPLIT = frozenset(_LEVEL_SYLLABLES[s] for s in _FORWARD_LEVELS)


def _level_first(token: str, last: Step) -> tuple[str, str] | None:
    """A level syllable of the last place's level glued to the next word (``quguyang`` after a
    district: ``district`` + ``guyang``), when the rest is a place or, for ``qu`` and
    ``jiedao``, pinyin of two syllables or more: (level word, rest)."""
    places = gazetteer()
    depth = min(places.places[i].depth for i in last.ids)
    for syllable, english in _LEVEL_SYLLABLES.items():
        if not token.startswith(syllable) or english not in LATIN_LEVEL_WORDS[depth]:
            continue
        rest = token[len(syllable) :]
        if syllable_count(rest) >= _MIN_PLACE_SYLLABLES and (
            syllable in _FORWARD_LEVELS or places.latin_ids(rest)
        ):
            return english, rest
    return None


def _ends_latin_chain(token: str) -> bool:
    """Tell whether a token after a first place ends the chain there: it can start no place
    name, is no level word and no road word."""
    return (
        not gazetteer().may_start_latin(token)
        and token not in _ALL_LATIN_LEVEL_WORDS
        and token not in LATIN_ROADS
    )


def latin_chain(tokens: list[str], context: tuple[int, ...] = ()) -> tuple[list[str], list[Step]]:
    """The place chain at the start of Latin tokens (``zhang jia gang``, ``rudong county``,
    glued: ``yuhuanxian``, ``jingjiangxianglan``), and the tokens with glued names split."""
    if not tokens or not gazetteer().may_start_latin(tokens[0]):
        return tokens, []  # most names abroad
    places = gazetteer()
    if (
        not context
        and places.latin_ids(tokens[0])
        and (len(tokens) == 1 or _ends_latin_chain(tokens[1]))
    ):
        return tokens, list(_first_place(tokens[0]))  # Shenzhen Alpha …: one place, cached
    return _latin_walk(tokens, context)


@lru_cache(maxsize=1 << 12)
def _first_place(token: str) -> tuple[Step, ...]:
    """The chain of a name whose first token is followed by a token that ends the chain."""
    return tuple(_latin_walk([token, ""], ())[1])
