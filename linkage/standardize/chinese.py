"""Parse Chinese registered names: place + trade name (字号) + industry + organisational form.

``华信科技（深圳）有限公司``, ``深圳华信科技有限公司`` and ``深圳市华信科技有限公司`` all parse to
place 深圳, trade name 华信, industry 科技 and form ``cn_youxian``. The Latin key is the place's
romanised name, the trade name in pinyin and the industry terms in English, so the name can meet
``Shenzhen Huaxin Technology Co., Ltd.``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from itertools import chain
from typing import Any

from linkage.standardize import legal_forms
from linkage.standardize.text import fold, latin_key

_PLACE_SUFFIX = "(?:维吾尔自治区|壮族自治区|回族自治区|特别行政区|自治区|省|市|县|区)"
_SUFFIX_START = re.compile(f"^{_PLACE_SUFFIX}+(?!场)")
_BRANCH_MARKERS: tuple[str, ...] = (
    *("分公司", "分店", "办事处", "代表处", "分行", "支行", "分厂", "营业部", "分部"),
    *("分所", "分社", "分院"),
)
_BRANCH = re.compile(rf"(?:驻华|驻中国)?({'|'.join(_BRANCH_MARKERS)})$")
_BRANCH_ENDS = (*_BRANCH_MARKERS, "\n")  # "$" also matches before a final newline
_BRACKETS = re.compile(r"\(([^()]*)\)")
_CJK_OR_PAREN = r"[\u3000-\u9fff\uf900-\ufaff\U00020000-\U0003ffff()]"
# spaces next to a CJK character or a parenthesis (removed without rewriting the character)
_SPACE_NEAR_CJK = re.compile(rf"\s+(?={_CJK_OR_PAREN})|(?<={_CJK_OR_PAREN})\s+")
_DROP = re.compile(r"[^\w()\s]+")
_MIN_TRADE = 2


@dataclass(frozen=True)
class ChineseName:
    """The parts of a Chinese company name (all in simplified characters)."""

    place: str | None
    trade: str
    industry: tuple[str, ...]
    legal_form: str | None
    is_branch: bool
    branch_place: str | None
    latin: str

    @property
    def tokens(self) -> tuple[str, ...]:
        """The name's parts in canonical order, without legal form and branch marker."""
        parts = (self.place, self.trade, *self.industry)
        return tuple(p.strip() for p in parts if p and p.strip())


@cache
def _converter() -> Any:
    import opencc  # imported on first use: loading it costs every CLI call

    return opencc.OpenCC("t2s")


def _read(name: str) -> list[dict[str, str]]:
    path = resources.files("linkage.standardize") / "data" / name
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@cache
def places() -> dict[str, str]:
    """Chinese place names (without 省/市 suffix) mapped to their Latin names."""
    return {row["name"]: row["latin"] for row in _read("places_cn.csv")}


@cache
def _provinces() -> frozenset[str]:
    """Provinces and autonomous regions: the only places that may precede a city."""
    return frozenset(
        r["name"] for r in _read("places_cn.csv") if r["level"] in ("province", "region")
    )


@cache
def industry_terms() -> dict[str, str]:
    """Chinese industry terms mapped to English (科技 -> technology)."""
    return {row["zh"]: row["en"] for row in _read("industry_terms.csv")}


@cache
def _place_regex() -> tuple[re.Pattern[str], re.Pattern[str]]:
    names = "|".join(sorted(places(), key=len, reverse=True))
    return (
        re.compile(f"^({names}){_PLACE_SUFFIX}?"),
        re.compile(f"({names}){_PLACE_SUFFIX}?$"),
    )


@cache
def _industry_regex() -> re.Pattern[str]:
    terms = "|".join(sorted(industry_terms(), key=len, reverse=True))
    return re.compile(f"(?:{terms})$")


def to_simplified(text: str) -> str:
    """Convert traditional to simplified characters (OpenCC t2s), repeated until stable.

    A few rare characters convert in two steps; repeating keeps normalisation idempotent.
    """
    for _ in range(3):
        converted = _converter().convert(text)
        if converted == text:
            break
        text = converted
    return text


def canonical_place(text: str) -> str | None:
    """Return the canonical place of text such as ``深圳市`` or ``(深圳)``, else None."""
    match = _place_regex()[0].match(text.strip("()"))
    if match and match.end() == len(text.strip("()")):
        return match.group(1)
    return None


@cache
def _pinyin() -> tuple[Any, Any, Any]:
    """pypinyin's segmenter and the converter ``lazy_pinyin`` builds with its defaults."""
    from pypinyin import Style  # its phrase dictionary takes ~0.2 s to import
    from pypinyin.converter import UltimateConverter
    from pypinyin.core import Pinyin

    converter = UltimateConverter()
    return Pinyin(converter), converter, Style.NORMAL


@lru_cache(maxsize=1 << 16)
def _word_pinyin(word: str) -> str:
    """Toneless pinyin of one segment (a dictionary phrase, a character or a non-Chinese run)."""
    _, converter, normal = _pinyin()
    return "".join(chain.from_iterable(converter.convert(word, normal, False, "default", True)))


@lru_cache(maxsize=1 << 17)
def romanise(text: str) -> str:
    """Pinyin without tones or spaces; non-Chinese characters pass through lower-cased.

    Equals ``"".join(pypinyin.lazy_pinyin(text)).lower()``: the text is segmented as
    ``lazy_pinyin`` does and each segment converted once (segments repeat across names).
    """
    return "".join([_word_pinyin(w) for w in _pinyin()[0].seg(text)]).lower()


def _balance(text: str) -> str:
    """Drop parentheses that do not close a ``(...)`` group, so brackets parse the same twice."""
    if "(" not in text and ")" not in text:
        return text
    spans = [m.span() for m in _BRACKETS.finditer(text)]
    keep = {i for start, end in spans for i in (start, end - 1)}
    return "".join(c for i, c in enumerate(text) if c not in "()" or i in keep)


def _bracket_place(text: str) -> tuple[str | None, str]:
    """Take the first bracketed place out (``华信科技(深圳)``); other brackets keep their text."""
    place = None
    parts: list[str] = []
    end = 0
    for match in _BRACKETS.finditer(text):
        found = canonical_place(match.group(1))
        parts += [text[end : match.start()], "" if found and place is None else match.group(1)]
        place = place or found
        end = match.end()
    return place, "".join([*parts, text[end:]])


def _split_branch(text: str) -> tuple[str, bool, str | None]:
    """Remove a branch marker and return (head name, is_branch, branch place)."""
    if not text.endswith(_BRANCH_ENDS):  # cheap test first: _BRANCH only matches at the end
        return text, False, None
    match = _BRANCH.search(text)
    if not match or match.start() == 0:
        return text, False, None
    head = text[: match.start()]
    form = legal_forms.last_glued(head)
    raw_place = ""
    if form is not None and form.end() < len(head):
        head, raw_place = head[: form.end()], head[form.end() :]
    else:
        place_match = _place_regex()[1].search(head)
        if place_match and place_match.start() >= _MIN_TRADE:
            head, raw_place = head[: place_match.start()], place_match.group()
    raw_place = raw_place.strip("()")
    place = canonical_place(raw_place) or (raw_place or None)
    return head, True, place


def _strip_forms(text: str) -> tuple[str, str | None, bool, str | None]:
    """Strip branch markers and legal forms until none is left (keeps the parse stable)."""
    code: str | None = None
    is_branch, branch_place = False, None
    while True:
        text, branch, place = _split_branch(text)
        if branch:
            is_branch, branch_place = True, branch_place or place
        text, form = legal_forms.strip_glued(text)
        code = code or form
        if not branch and form is None:
            return text, code, is_branch, branch_place


def _leading_places(text: str) -> tuple[str | None, str]:
    """Take a leading place, or a province then a place; return the most specific."""
    place = None
    for _ in range(2):
        match = _place_regex()[0].match(text)
        if not match or (place is not None and place not in _provinces()):
            break
        end = match.end()
        if text[end - 1 : end + 1] == "市场":  # 深圳市场… is a market, not 深圳市
            end -= 1
        if len(text) - end < _MIN_TRADE:
            break
        place, text = match.group(1), text[end:]
    return place, text


def _split_industry(text: str) -> tuple[str, tuple[str, ...]]:
    """Peel industry terms off the end while at least a two-character trade name remains."""
    terms: list[str] = []
    pattern = _industry_regex()
    while True:
        match = pattern.search(text)
        if not match or match.start() < _MIN_TRADE:
            return text, tuple(reversed(terms))
        terms.append(match.group())
        text = text[: match.start()]


def parse_chinese(text: str) -> ChineseName:
    """Split a Chinese (or Japanese kanji) company name into its registered parts."""
    return parse_folded(fold(text))


def parse_folded(folded: str) -> ChineseName:
    """``parse_chinese`` of a text already passed through ``fold``."""
    folded = to_simplified(folded)
    folded = _DROP.sub(" ", folded.replace("[", "(").replace("]", ")"))
    folded = _SPACE_NEAR_CJK.sub("", " ".join(folded.split()))
    folded = _balance(folded.strip())
    core, code, is_branch, branch_place = _strip_forms(folded)
    place, core = _bracket_place(core)
    core, inner_code, inner_branch, inner_place = _strip_forms(core)
    # a form stripped from inside brackets can leave one unmatched: "(一公司)分公司" -> "(一"
    core = _balance(core)
    code, is_branch = code or inner_code, is_branch or inner_branch
    branch_place = branch_place or inner_place
    lead, rest = _leading_places(core)
    place, core = (place or lead, rest) if rest else (None, place or core)
    if (
        place is not None
    ):  # 深圳市市… or (深圳)市…: a stray suffix would re-parse as part of the place
        core = _SUFFIX_START.sub("", core) or place
        place = place if core != place else None
    trade, industry = _split_industry(core)
    words = [places()[place]] if place else []
    words.append(romanise(trade))
    words += [industry_terms()[t] for t in industry]
    return ChineseName(
        place=place,
        trade=trade,
        industry=industry,
        legal_form=code,
        is_branch=is_branch,
        branch_place=branch_place,
        latin=latin_key(" ".join(words).split()),
    )
