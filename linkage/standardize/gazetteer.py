"""Chinese administrative places down to towns, with their hierarchy and Latin names.

The table ``data/gazetteer_cn.csv`` (about 43,000 places: provinces, prefectures, counties and
districts, towns, townships and streets) is built by ``data/build_places.py`` from JioNLP 1.5.31
(Apache-2.0). Lookups go by text, never by a regular expression over all names: each place is
indexed by its short name (``玄武``), its full name (``玄武区``) and former names, and a text
is matched by trying the few possible lengths at one position.

A short name may be followed by any level word of its level (``如东`` + 县, 市 or 区), so names
registered before a county became a city or a district (``吴江县``, ``吴江市``, ``吴江区``)
find the same place.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import resources
from typing import NamedTuple

from linkage.standardize.pinyin import is_pinyin, syllable_count

PROVINCE, PREFECTURE, COUNTY, TOWN = 0, 1, 2, 3
# level words that may follow a short name, per depth (longest first when matching)
LEVEL_WORDS: dict[int, tuple[str, ...]] = {
    PROVINCE: ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市"),
    PREFECTURE: ("自治州", "地区", "市", "州", "盟"),
    COUNTY: ("自治县", "自治旗", "新区", "林区", "县", "市", "区", "旗"),
    # 区 too: many streets bear the name of the district they replaced (金阊区 -> 金阊街道)
    TOWN: ("街道办事处", "办事处", "街道", "苏木", "镇", "乡", "区"),
}
_MUNICIPALITIES = ("11", "12", "31", "50")  # adcode prefixes: 市 is their province level word
_INDEX_FROM = 12  # candidate lists longer than this are indexed by ancestor
_LATIN_SPAN = 4  # tokens a romanised place name may be written in (zhang jia gang)
# Latin level words (English and pinyin) that may follow a romanised place name
LATIN_LEVEL_WORDS: dict[int, frozenset[str]] = {
    PROVINCE: frozenset({"province", "sheng", "municipality", "shi", "city", "region"}),
    PREFECTURE: frozenset({"city", "shi", "prefecture", "diqu", "zhou", "league", "meng"}),
    COUNTY: frozenset({"county", "xian", "district", "qu", "city", "shi", "banner", "qi"}),
    # zhen and xiang only after a town's name (elsewhere often a syllable of a name: 香兰, 振华)
    TOWN: frozenset(
        {
            "town",
            "township",
            "street",
            "subdistrict",
            "subdistict",
            "jiedao",
            "sumu",
            "zhen",
            "xiang",
            "district",  # a former district, now a street (Pingjiang District: 平江街道)
        }
    ),
}

_ALL_LATIN_LEVEL_WORDS = frozenset().union(*LATIN_LEVEL_WORDS.values())
_LEVEL_FIRST_CHARS = frozenset(w[0] for words in LEVEL_WORDS.values() for w in words)
# the longest level word starting with each character (市: 1, 自: 3 for 自治州)
_LEVEL_LENGTH = {
    c: max(len(w) for ws in LEVEL_WORDS.values() for w in ws if w[0] == c)
    for c in _LEVEL_FIRST_CHARS
}


class Place(NamedTuple):
    """One administrative place."""

    id: int
    depth: int
    name: str
    short: str
    latin: str
    parent: int  # -1 for provinces


class Match(NamedTuple):
    """Places whose name starts a text: the candidate ids (general places first), their
    depths, the end, and whether a level word (县, 市, 镇, ...) was written."""

    ids: tuple[int, ...]
    depths: tuple[int, ...]
    end: int
    suffixed: bool


class Gazetteer:
    """The place table with its text and Latin indexes (built once, on first use)."""

    def __init__(self, lines: list[str]) -> None:
        """Build the indexes from the CSV lines of ``gazetteer_cn.csv`` (header first)."""
        places: list[Place] = []
        stack: list[Place] = []  # the current path
        by_text: dict[str, list[int]] = {}
        by_latin: dict[str, list[int]] = {}
        self._codes: dict[int, str] = {}
        for line in lines[1:]:
            depth_text, name, short, code, latin, alt, old = line.split(",")
            depth = int(depth_text)
            levels = LEVEL_WORDS[depth]
            while stack and stack[-1].depth >= depth:
                stack.pop()
            place = Place(len(places), depth, name, short, latin, stack[-1].id if stack else -1)
            places.append(place)
            stack.append(place)
            if code:
                self._codes[place.id] = code
            if len(short) < 2 or not (name.startswith(short) and name[len(short) :] in levels):
                by_text.setdefault(name, []).append(place.id)  # else found as short + level
            if short != name and len(short) >= 2:
                by_text.setdefault(short, []).append(place.id)
            if old:
                for former in old.split("|"):
                    for text in {former, _stem(former, depth)}:
                        by_text.setdefault(text, []).append(place.id)
            by_latin.setdefault(latin, []).append(place.id)
            if alt:
                for spelling in alt.split("|"):
                    by_latin.setdefault(spelling, []).append(place.id)
        self.places = places
        self._text_ids = by_text
        self._by_text: dict[str, tuple[tuple[tuple[str, ...], Match, bool], ...]] = {}
        self._by_latin = {k: tuple(dict.fromkeys(v)) for k, v in by_latin.items()}
        sizes: dict[str, set[int]] = {}
        for name in by_text:  # the name lengths to try, by first two characters
            sizes.setdefault(name[:2], set()).add(len(name))
        self._sizes = {k: tuple(sorted(v, reverse=True)) for k, v in sizes.items()}
        paths: list[tuple[int, ...]] = []
        for place in places:  # a parent comes before its children
            paths.append((*paths[place.parent], place.id) if place.parent >= 0 else (place.id,))
        self.paths = paths
        self._under: dict[int, tuple[tuple[int, ...], dict[int, list[int]]]] = {}
        self._merged: dict[tuple[int, ...], Match] = {}
        self._latin_paths: dict[int, str] = {}
        self._latin_window = lru_cache(maxsize=1 << 14)(self._latin_match_start)
        self._window_matches = lru_cache(maxsize=1 << 15)(self._match_window)
        self._ordered = lru_cache(maxsize=1 << 14)(self._order)

    def _groups(self, name: str) -> tuple[tuple[tuple[str, ...], Match, bool], ...] | None:
        """The places of one name grouped by level words (``_by_level``), built when first
        asked for: most names of the table never are."""
        groups = self._by_text.get(name)
        if groups is None:
            ids = self._text_ids.get(name)
            if ids is None:
                return None
            groups = self._by_text[name] = self._by_level(name, ids)
        return groups

    def _by_level(
        self, name: str, ids: list[int]
    ) -> tuple[tuple[tuple[str, ...], Match, bool], ...]:
        """Group the places of one name by the level words that may follow it: (level words,
        the places as a ``Match``, general places first, and whether the name ends in one)."""
        groups: dict[tuple[str, ...], list[int]] = {}
        for place_id in dict.fromkeys(ids):
            depth = self.places[place_id].depth
            words = LEVEL_WORDS[depth]
            if depth == PROVINCE and not self._codes.get(place_id, "").startswith(_MUNICIPALITIES):
                words = tuple(w for w in words if w != "市")
            groups.setdefault(words, []).append(place_id)
        return tuple(
            (words, self._match(group, 0, False), any(_ends_in(name, w) for w in words))
            for words, group in groups.items()
        )

    def match(self, text: str, start: int = 0) -> list[Match]:
        """All place names that start at ``start`` in ``text``, longest first.

        A short name followed by a level word of its depth ends after the level word.
        """
        sizes = self._sizes.get(text[start : start + 2])
        if sizes is None:
            return []
        window = 0  # what the match looks at: the names, and a level word after each
        for size in sizes:
            after = start + size
            window = max(window, size + _LEVEL_LENGTH.get(text[after : after + 1], 0))
        found = self._window_matches(text[start : start + window])
        return [m._replace(end=m.end + start) for m in found] if start else found

    def _match_window(self, text: str) -> list[Match]:
        """``match(text, 0)`` of the text one match looks at; cached (places repeat)."""
        found: list[tuple[int, bool, Match]] = []
        for end in self._sizes.get(text[:2], ()):
            groups = self._groups(text[:end]) if end <= len(text) else None
            if groups is None:
                continue
            for words, places, written in groups:
                after = end
                if not written and text[end : end + 1] in _LEVEL_FIRST_CHARS:
                    for word in words:
                        if text.startswith(word, end):
                            after += len(word)
                            break
                found.append((after, written or after > end, places))
        if len(found) == 1:
            after, suffixed, places = found[0]
            return [Match(places.ids, places.depths, after, suffixed)]
        merged: dict[tuple[int, bool], list[Match]] = {}
        for after, suffixed, places in found:
            merged.setdefault((after, suffixed), []).append(places)
        matches = [self._merge(group, end, suffixed) for (end, suffixed), group in merged.items()]
        matches.sort(key=lambda m: (-m.end, -m.suffixed))
        return matches

    def _merge(self, found: list[Match], end: int, suffixed: bool) -> Match:
        """One match of the places of several names (or of one) that end at ``end``."""
        if len(found) == 1:
            return Match(found[0].ids, found[0].depths, end, suffixed)
        key = tuple(id(m.ids) for m in found)  # the groups are long-lived: merge them once
        merged = self._merged.get(key)
        if merged is None:
            merged = self._match([i for m in found for i in m.ids], 0, False)
            self._merged[key] = merged
        return Match(merged.ids, merged.depths, end, suffixed)

    def latin_match(self, tokens: list[str], start: int) -> list[Match]:
        """All places whose Latin name is spelt by ``tokens[start:]``, longest first.

        A name may be written in one token or several (``zhangjiagang``, ``zhang jia gang``); a
        level word of its depth may follow (``Rudong County``, ``Rudong Xian``).
        """
        if start >= len(tokens) or not self.may_start_latin(tokens[start]):
            return []
        span = [tokens[start]]  # a name spelt over several tokens is pinyin in each
        for token in tokens[start + 1 : start + _LATIN_SPAN]:
            if not is_pinyin(token):
                break
            span.append(token)
        after = tokens[start + len(span)] if start + len(span) < len(tokens) else ""
        span.append(after if after in _ALL_LATIN_LEVEL_WORDS else "")
        found = self._latin_window(tuple(span))
        return [m._replace(end=m.end + start) for m in found] if start else found

    def _latin_match_start(self, tokens: tuple[str, ...]) -> list[Match]:
        """``latin_match(tokens, 0)`` of the tokens it looks at: the first, the pinyin ones
        after it, and a level word after those ("" if none); cached (place names repeat)."""
        groups: dict[tuple[int, bool], list[int]] = {}
        glued = ""
        for end in range(1, len(tokens)):
            glued += tokens[end - 1]
            ids = self._by_latin.get(glued, ())
            # one syllable (xiang: also xi'ang) names a province or city only (xian: Xi'an)
            short = bool(ids) and syllable_count(glued) < 2
            for place_id in ids:
                if short and self.places[place_id].depth > PREFECTURE:
                    continue
                level = (
                    end < len(tokens)
                    and tokens[end] in LATIN_LEVEL_WORDS[self.places[place_id].depth]
                )
                group = groups.setdefault((end + level, level), [])
                if place_id not in group:
                    group.append(place_id)
        found = [self._match(ids, end, suffixed) for (end, suffixed), ids in groups.items()]
        found.sort(key=lambda m: (-m.end, -m.suffixed))
        return found

    def _match(self, ids: list[int], end: int, suffixed: bool) -> Match:
        ordered, depths = self._ordered(tuple(ids))
        return Match(ordered, depths, end, suffixed)

    def _order(self, ids: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Places by depth, then id, with their depths (cached: the same groups recur)."""
        ordered = tuple(sorted(set(ids), key=lambda i: (self.places[i].depth, i)))
        return ordered, tuple(self.places[i].depth for i in ordered)

    def may_start_latin(self, token: str) -> bool:
        """Tell whether a romanised place name may start with this token: it is one, or it is
        pinyin (a name spelt over several tokens, or glued to the next word)."""
        return token in self._by_latin or is_pinyin(token)

    def latin_ids(self, latin: str) -> tuple[int, ...]:
        """Places whose Latin name (or another usual spelling) is ``latin``."""
        return self._by_latin.get(latin, ())

    def city(self, place_id: int) -> int:
        """The city a place belongs to: its prefecture, a municipality, or a county-level
        place directly under its province; a province is its own."""
        path = self.path(place_id)
        if self._codes.get(path[0], "").startswith(_MUNICIPALITIES):
            return path[0]
        return path[1] if len(path) > 1 else path[0]

    def path(self, place_id: int) -> tuple[int, ...]:
        """The ids from the province down to the place."""
        return self.paths[place_id]

    def latin_path(self, place_id: int) -> str:
        """The canonical Latin path, general to specific: ``jiangsu nanjing xuanwu``."""
        found = self._latin_paths.get(place_id)
        if found is None:
            found = " ".join(self.places[i].latin for i in self.path(place_id))
            self._latin_paths[place_id] = found
        return found

    def inside(self, ids: tuple[int, ...], ancestor: int) -> list[int]:
        """The positions in ``ids`` of the places inside ``ancestor``. Long candidate lists
        (a common town name: 新城, 城关) are indexed by ancestor on first use."""
        paths = self.paths
        if len(ids) <= _INDEX_FROM:
            return [k for k, i in enumerate(ids) if ancestor in paths[i] and i != ancestor]
        found = self._under.get(id(ids))
        if found is None or found[0] is not ids:
            index: dict[int, list[int]] = {}
            for k, i in enumerate(ids):
                for above in paths[i][:-1]:
                    index.setdefault(above, []).append(k)
            found = (ids, index)
            self._under[id(ids)] = found
        return found[1].get(ancestor, [])

    def within(self, place_id: int, ancestor: int) -> bool:
        """Tell whether the place lies inside ``ancestor`` (a place is not inside itself)."""
        return place_id != ancestor and ancestor in self.paths[place_id]


def _ends_in(name: str, word: str) -> bool:
    """Tell whether the name ends in the level word and keeps two characters before it."""
    return name.endswith(word) and len(name) - len(word) >= 2


def _stem(name: str, depth: int) -> str:
    """The name without a level word of its depth (unchanged when that would leave < 2 chars)."""
    for word in LEVEL_WORDS.get(depth, ()):
        if name.endswith(word) and len(name) - len(word) >= 2:
            return name[: -len(word)]
    return name


@cache
def gazetteer() -> Gazetteer:
    """The Chinese gazetteer, loaded on first use."""
    path = resources.files("linkage.standardize") / "data" / "gazetteer_cn.csv"
    return Gazetteer(path.read_text(encoding="utf-8").splitlines())
