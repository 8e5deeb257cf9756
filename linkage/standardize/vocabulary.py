"""The word tables of registered names: industry terms, organisational forms and sub-units.

Each table maps Chinese words to one canonical English rendering and lists the other English
renderings agencies use (``data/industry_terms.csv``, ``data/org_forms.csv``,
``data/subunits.csv``; see docs/standardisation.md for where they come from). Both scripts meet
on the canonical English: ``科技``, ``keji``, ``Tech``, ``Sci-Tech`` and ``Science &
Technology`` all give ``technology``. Where two entries share an English rendering, the first
row of the table wins; a pinyin spelling shared by several words (``税务``/``水务``: ``shuiwu``)
means all of them (``tax water``), so that it holds the one meant.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from linkage.standardize.hanzi import romanise
from linkage.standardize.text import fold_tokens

# Latin unit words that name a branch by themselves, whatever precedes them (Latin branch
# markers of other languages included); other unit words need a complete organisation before
_STRONG_UNIT_WORDS = frozenset({"branch", "branches", "representative", "rep", "liaison"})
_OTHER_BRANCH_MARKERS = ("zweigniederlassung", "niederlassung", "succursale", "sucursal", "filiale")


# road words: a bare place name before one names a road (济川路), not the place
ROADS = ("路", "街", "巷", "弄", "大道", "道")
LATIN_ROADS = frozenset({"road", "rd", "street", "st", "avenue", "ave", "lane", "lu", "jie"})


# development zones and parks (开发区, Industrial Park): where a firm is, not which firm it is
_ZONE_WORDS = (
    "高新技术产业开发区", "经济技术开发区", "高新技术开发区", "技术开发区", "经济开发区",
    "出口加工区", "综合保税区", "工业集中区", "保税港区", "开发区", "工业园区", "高新区",
    "工业园", "科技园", "产业园", "物流园", "创业园", "园区", "工业区", "保税区", "新区",
    "度假区", "旅游区", "示范区",
)  # fmt: skip
_ZONE = re.compile(f"^(.{{0,6}}?)({'|'.join(_ZONE_WORDS)})")
ZONE_HEADS = frozenset({"zone", "park", "area", "district"})
"""Words that end a zone's name; ``district`` only after ``new`` (新区: ``New District``), as
any other district is an administrative one (``Wujin District``)."""
_LATIN_ZONE_WORDS = frozenset(
    {
        "economic", "technological", "technology", "tech", "hi", "high", "new", "development",
        "industrial", "science", "free", "trade", "bonded", "export", "processing",
        "comprehensive", "software", "logistics", "district",
    }
)  # fmt: skip


# the kind of a zone, as Chinese zone words and agencies' English renderings both say it
_ZONE_KINDS = (
    (("高新", "高科技"), "hightech"),
    (("经济技术", "技术开发"), "etdz"),
    (("经济开发", "经济区"), "economic"),
    (("保税", "综合保税"), "bonded"),
    (("出口加工",), "export"),
    (("工业",), "industrial"),
    (("科技园",), "science"),
    (("新区",), "new"),
    (("度假", "旅游"), "tourism"),
)
_LATIN_ZONE_KINDS = (
    (("high", "hi", "hitech", "hightech"), "hightech"),
    (("technological", "technical"), "etdz"),
    (("economic",), "economic"),
    (("bonded", "free"), "bonded"),
    (("export",), "export"),
    (("industrial",), "industrial"),
    (("science", "technology", "tech"), "science"),
    (("new",), "new"),
)


def zone_kind(word: str) -> str:
    """The kind of a Chinese zone word (高新区: ``hightech``; 开发区: ``development``)."""
    return next((k for keys, k in _ZONE_KINDS if any(w in word for w in keys)), "development")


def latin_zone_kind(tokens: list[str]) -> str:
    """The kind of a zone written in Latin (``economic and technological development zone``
    -> ``etdz``), the same as ``zone_kind`` of the Chinese word."""
    return next(
        (k for keys, k in _LATIN_ZONE_KINDS if any(t in keys for t in tokens)), "development"
    )


def zone_match(text: str) -> re.Match[str] | None:
    """A development zone at the start of the text, with up to six characters of its own
    name before the zone word (``金桥开发区``), else None."""
    if "区" not in text and "园" not in text:  # every zone word ends in one of them
        return None
    return _ZONE.match(text)


def latin_zone(tokens: list[str]) -> tuple[int, int] | None:
    """The token span of a development zone (``economic development zone``), else None."""
    for index, token in enumerate(tokens):
        if (
            token in ZONE_HEADS
            and index
            and tokens[index - 1] in _LATIN_ZONE_WORDS
            and (token != "district" or tokens[index - 1] == "new")
        ):
            start = index - 1
            while start and tokens[start - 1] in _LATIN_ZONE_WORDS:
                start -= 1
            return start, index + 1
    return None


def read_table(name: str) -> list[dict[str, str]]:
    """The rows of a CSV file in ``linkage/standardize/data``."""
    path = resources.files("linkage.standardize") / "data" / name
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class WordTable:
    """Chinese words and Latin phrases mapped to a canonical English rendering.

    Attributes:
        zh: Chinese word -> canonical English.
        zh_longest: Length of the longest Chinese word.
        latin: Folded Latin token sequence of an English rendering -> canonical English.
        latin_longest: Tokens in the longest Latin phrase.
        pinyin: Toneless glued pinyin of each Chinese word -> canonical English.
        latin_first: The first token of each Latin phrase -> the most tokens of a phrase it
            starts (most tokens start none: one lookup instead of trying every length).
        latin_last: The last token of each Latin phrase -> the most tokens of a phrase it ends.
        zh_last: The last character of each Chinese word -> the lengths of the words it ends,
            longest first.
    """

    zh: dict[str, str]
    zh_longest: int
    latin: dict[tuple[str, ...], str]
    latin_longest: int
    pinyin: dict[str, str]
    latin_first: dict[str, int]
    latin_last: dict[str, int]
    zh_last: dict[str, tuple[int, ...]]

    def zh_suffix(self, text: str, end: int, start: int = 0) -> str | None:
        """The longest word of the table ending at ``end`` and starting at or after ``start``."""
        sizes = self.zh_last.get(text[end - 1]) if end else None
        if sizes is None:
            return None
        for size in sizes:
            if size <= end - start and (word := text[end - size : end]) in self.zh:
                return word
        return None

    def latin_prefix(self, tokens: list[str], start: int) -> tuple[str, int] | None:
        """The longest Latin phrase of the table at ``tokens[start:]``: (English, end)."""
        longest = self.latin_first.get(tokens[start], 0)
        for size in range(min(longest, len(tokens) - start), 0, -1):
            found = self.latin.get(tuple(tokens[start : start + size]))
            if found is not None:
                return found, start + size
        return None

    def latin_suffix(self, tokens: list[str], end: int) -> tuple[str, int] | None:
        """The longest Latin phrase of the table ending at ``tokens[:end]``: (English, start)."""
        longest = self.latin_last.get(tokens[end - 1], 0) if end else 0
        for size in range(min(longest, end), 0, -1):
            found = self.latin.get(tuple(tokens[end - size : end]))
            if found is not None:
                return found, end - size
        return None


def _word_table(
    rows: list[tuple[str, str, str]],
    with_pinyin: bool,
    latin_only: tuple[str, ...] = (),
    shortest: int = 1,
) -> WordTable:
    """Build a table from (Chinese, canonical English, '|'-joined English variants) rows and
    Latin-only rows (``|``-joined Latin phrases, canonical English); a one-word Latin phrase
    needs ``shortest`` letters."""
    zh: dict[str, str] = {}
    latin: dict[tuple[str, ...], str] = {}
    pinyin: dict[str, str] = {}
    for word, english, variants in rows:
        zh.setdefault(word, english)
        for phrase in (english, *variants.split("|")):
            tokens = tuple(fold_tokens(phrase))
            if tokens and (len(tokens) > 1 or len(tokens[0]) >= shortest):
                latin.setdefault(tokens, english)
        if with_pinyin:  # one spelling of several words (电器, 电气: dianqi) means all of them
            spelling = romanise(word)
            known = pinyin.get(spelling, "").split()
            pinyin[spelling] = " ".join([*known, *(w for w in english.split() if w not in known)])
    for row in latin_only:
        phrases, english = row.split(",")
        for phrase in phrases.split("|"):
            latin.setdefault(tuple(fold_tokens(phrase)), english)
    return WordTable(
        zh=zh,
        zh_longest=max(len(w) for w in zh),
        latin=latin,
        latin_longest=max(len(t) for t in latin),
        pinyin=pinyin,
        latin_first=_longest_by(latin, 0),
        latin_last=_longest_by(latin, -1),
        zh_last=_lengths_by_last(zh),
    )


def _lengths_by_last(words: dict[str, str]) -> dict[str, tuple[int, ...]]:
    """The lengths of the words ending in each character, longest first."""
    lengths: dict[str, set[int]] = {}
    for word in words:
        lengths.setdefault(word[-1], set()).add(len(word))
    return {c: tuple(sorted(n, reverse=True)) for c, n in lengths.items()}


def _longest_by(phrases: dict[tuple[str, ...], str], edge: int) -> dict[str, int]:
    """The most tokens of a phrase, by its first (``edge`` 0) or last (-1) token."""
    longest: dict[str, int] = {}
    for phrase in phrases:
        longest[phrase[edge]] = max(longest.get(phrase[edge], 0), len(phrase))
    return longest


@cache
def industry() -> WordTable:
    """Industry and business words (``科技`` -> ``technology``), with their pinyin. English
    abbreviations of two letters are left out: in names they are initials (``AD Holding``)
    as often as ``ad`` (advertising) or ``ic`` (integrated circuit)."""
    rows = read_table("industry_terms.csv")
    return _word_table(
        [(r["zh"], r["en"], r["variants"]) for r in rows], with_pinyin=True, shortest=3
    )


@cache
def industry_synonyms() -> dict[str, str]:
    """Canonical industry words that translations of one Chinese word use in turn, mapped to
    the first of their group (``data/industry_synonyms.csv``: 设备 is rendered Equipment or
    Machinery, 建设 Construction or Building, 百货 Goods or Commodities): across scripts, one
    industry."""
    return {
        synonym: row["word"]
        for row in read_table("industry_synonyms.csv")
        for synonym in (row["word"], *row["synonyms"].split("|"))
    }


@cache
def industry_english_words() -> frozenset[str]:
    """The words of the industry terms' canonical English (``real estate``: real, estate)."""
    return frozenset(w for english in industry().zh.values() for w in english.split())


@cache
def org_forms() -> WordTable:
    """Organisational nouns that end a firm's name (``厂`` -> ``factory``)."""
    rows = read_table("org_forms.csv")
    return _word_table([(r["zh"], r["en"], r["variants"]) for r in rows], with_pinyin=False)


@dataclass(frozen=True)
class UnitWords:
    """Words ending the name of a sub-unit (``支行``, ``门市部``, ``Sub-branch``).

    Attributes:
        table: Chinese words and Latin phrases -> the unit's kind (``branch``, ``store``, ...).
        branch: Chinese words that name a branch by themselves (``分公司``, ``支行``).
        strong_latin: Latin phrases that name a branch by themselves (``branch``, ``sub-branch``,
            ``representative office``).
    """

    table: WordTable
    branch: frozenset[str]
    strong_latin: frozenset[tuple[str, ...]]


@cache
def unit_words() -> UnitWords:
    """The sub-unit words of ``data/subunits.csv`` and the Latin branch markers."""
    rows = read_table("subunits.csv")
    table = _word_table(
        [(r["zh"], r["kind"], r["variants"]) for r in rows],
        with_pinyin=False,
        latin_only=("|".join(_OTHER_BRANCH_MARKERS) + ",branch",),
    )
    strong = frozenset(
        phrase
        for phrase in table.latin
        if _STRONG_UNIT_WORDS.intersection(phrase)
        or phrase[0].startswith("sub")
        or phrase[0] in _OTHER_BRANCH_MARKERS
    )
    return UnitWords(
        table=table,
        branch=frozenset(r["zh"] for r in rows if r["branch"] == "1"),
        strong_latin=strong,
    )
