"""Chinese firms in Latin script, written with the habits of agencies (customs, trade lists).

Names: pinyin syllables grouped into words or split (``Huaxin`` / ``Hua Xin``), ``ü`` as ``u``,
``v`` or ``yu``, apostrophes or not (``Xi'an``); places romanised with an English unit word, a
pinyin one, glued (``Peixian``) or bare, kept, moved into brackets or dropped; industry words
translated with one of several synonyms or left in pinyin; forms and sub-unit words translated
(``支行`` -> ``Sub-branch``; ``第三门市部`` -> ``No. 3 Store`` / ``Store No.3``); sometimes in
upper case. Addresses: smallest part first (``Room 1302, No. 48 Ruijin Road, Qinhuai District,
Nanjing``). The translations come from this package's own table (``data/zh_terms.csv``).

Every decision is one draw of the caller's numpy Generator, in a fixed order per record, so a
seed fixes every byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from pypinyin import lazy_pinyin

from linkage.datasets.zh_anatomy import (
    PROVINCE_LATIN,
    ZONES,
    Anatomy,
    Gazetteer,
    Place,
    Tail,
    split_places,
    terms,
)

_HAN = "\u4e00-\u9fff"
_LEVEL_EN = {
    "province": "Province", "city": "City", "county": "County", "district": "District",
    "town": "Town", "township": "Township", "subdistrict": "Subdistrict",
}  # fmt: skip
_SUFFIX_PY = {"省": "sheng", "市": "shi", "县": "xian", "区": "qu", "镇": "zhen", "乡": "xiang",
              "街道": "jiedao"}  # fmt: skip
_DEFAULT_SUFFIX = {"city": "市", "county": "县", "district": "区", "town": "镇",
                   "township": "乡", "subdistrict": "街道"}  # fmt: skip
_ORDINALS = ("", "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth",
             "Ninth", "Tenth")  # fmt: skip
_DIRECTIONS = {"东": "East", "西": "West", "南": "South", "北": "North", "中": "Middle"}
_ROADS = {"大道": ("Avenue", "Ave.", "Dadao"), "路": ("Road", "Rd.", "Road", "Lu"),
          "街": ("Street", "St.", "Jie"), "巷": ("Lane", "Alley", "Xiang"),
          "弄": ("Lane", "Long")}  # fmt: skip
_ADDRESS_PART = re.compile(
    rf"(?P<road>[{_HAN}\d]{{1,6}}?)(?P<road_kind>大道|路|街|巷|弄)"
    rf"(?:(?P<road_no>\d+(?:[-－]\d+)?)号)?"
    rf"|(?P<building>\d+)(?:幢|栋|号楼)"
    rf"|(?P<room>[A-Za-z]?\d+(?:-\d+)?)室"
    rf"|(?P<village>[{_HAN}]{{2,4}}?)村(?:委会|委)?"
    rf"|(?P<number>\d+(?:[-－]\d+)?)号"
)
_HANZI_RUN = re.compile(rf"[{_HAN}]+")


@dataclass(frozen=True)
class Habit:
    """How one record's writer romanises: drawn once per record, used for all its words.

    Attributes:
        split: syllables as separate words (``Hua Xin``) instead of one (``Huaxin``).
        glue: consecutive pinyin words run together (``Shebeizhizao``).
        apostrophe: ``Xi'an`` style apostrophes before a, o, e syllables.
        umlaut: spelling of ``ü``: ``u``, ``v`` or ``yu``.
        suffix: place unit words: ``english`` (City), ``pinyin`` (Shi), ``glued``
            (Peixian) or ``none``.
        translate: probability that a known industry word is translated.
        upper: the whole name in upper case.
    """

    split: bool
    glue: bool
    apostrophe: bool
    umlaut: str
    suffix: str
    translate: float
    upper: bool


def draw_habit(rng: np.random.Generator) -> Habit:
    """A writer's habit: mostly joined words, English or no unit words, translated terms."""
    u = rng.random(7)
    return Habit(
        split=bool(u[0] < 0.2),
        glue=bool(u[1] < 0.12),
        apostrophe=bool(u[2] < 0.3),
        umlaut=("u", "v", "yu")[int(u[3] * 3)],
        suffix=("english", "none", "none", "pinyin", "glued")[int(u[4] * 5)],
        translate=0.55 + 0.4 * float(u[5]),
        upper=bool(u[6] < 0.2),
    )


@lru_cache(maxsize=65536)
def _syllables(text: str) -> tuple[str, ...]:
    """Pinyin syllables of hanzi; other characters stay as chunks (``SMC``, ``16``)."""
    out = []
    for s in lazy_pinyin(text):
        s = re.sub(r"[()（）]", "", s)
        if s:
            out.append(s)
    return tuple(out)


def word(hanzi: str, habit: Habit) -> str:
    """Hanzi as one pinyin word (``Huaxin``, ``Xi'an``) or split syllables (``Hua Xin``)."""
    syl = [s.replace("v", habit.umlaut) if s.isascii() and s.islower() else s
           for s in _syllables(hanzi)]  # fmt: skip
    if not syl:
        return ""
    if habit.split:
        return " ".join(s.capitalize() for s in syl)
    out = syl[0]
    for s in syl[1:]:
        out += ("'" if habit.apostrophe and s[:1] in "aoe" else "") + s
    return out.capitalize()


def place(p: Place, habit: Habit, rng: np.random.Generator) -> str:
    """A place in Latin script: ``Changzhou`` / ``Changzhou City`` / ``Changzhou Shi`` /
    ``Peixian``; provinces by their usual English name; zones translated."""
    pick = rng.random()
    if p.level == "zone":
        options = ZONES[p.suffix]
        return options[int(pick * len(options))]
    if p.stem in PROVINCE_LATIN:
        latin = PROVINCE_LATIN[p.stem]
        return latin + (" Province" if p.level == "province" and pick < 0.25 else "")
    style = habit.suffix
    if len(p.stem) == 1 and style == "none":  # 沛县 is never just "Pei"
        style = "glued"
    stem = word(p.stem, habit)
    suffix = p.suffix or _DEFAULT_SUFFIX.get(p.level, "")
    if style == "english":
        return f"{stem} {_LEVEL_EN.get(p.level, 'City')}"
    if style == "pinyin" and suffix in _SUFFIX_PY:
        return f"{stem} {_SUFFIX_PY[suffix].capitalize()}"
    if style == "glued" and suffix in _SUFFIX_PY:
        return stem.replace(" ", "") + _SUFFIX_PY[suffix]
    return stem


def term(hanzi: str, habit: Habit, rng: np.random.Generator) -> str:
    """An industry word: one of its English synonyms, or pinyin."""
    options = terms().industry.get(hanzi) or terms().form.get(hanzi)
    pick, keep = rng.random(), rng.random()
    if options and keep < habit.translate:
        return options[int(pick * len(options))]
    return word(hanzi, habit)


def _choice(options: tuple[str, ...], rng: np.random.Generator) -> str:
    return options[int(rng.random() * len(options))]


def unit(marker: str, ordinal: int | None, rng: np.random.Generator) -> str:
    """A sub-unit word in English, with its number: ``No. 3 Store``, ``Store No.3``,
    ``Third Store``."""
    name = _choice(terms().unit.get(marker, ("Branch",)), rng)
    if ordinal is None:
        return name
    layout = rng.random()
    if layout < 0.35:
        return f"No. {ordinal} {name}"
    if layout < 0.65:
        return f"{name} No.{ordinal}"
    if layout < 0.85 and ordinal < len(_ORDINALS):
        return f"{_ORDINALS[ordinal]} {name}"
    return f"No.{ordinal} {name}"


def tail(t: Tail, habit: Habit, rng: np.random.Generator) -> str:
    """A sub-unit tail: its places and words romanised, its unit word translated."""
    parts = [place(p, habit, rng) for p in t.places]
    parts += [term(w, habit, rng) for w in t.words]
    parts.append(unit(t.marker, t.ordinal, rng))
    return " ".join(p for p in parts if p)


def _glue(parts: list[tuple[str, bool]]) -> list[str]:
    """Run consecutive pinyin words together (``Shebei Zhizao`` -> ``Shebeizhizao``)."""
    out: list[str] = []
    last_pinyin = False
    for text, is_pinyin in parts:
        if is_pinyin and last_pinyin and out:
            out[-1] += text.replace(" ", "").lower()
        else:
            out.append(text)
        last_pinyin = is_pinyin
    return out


def latin_name(a: Anatomy, rng: np.random.Generator) -> str:
    """A Chinese firm's name as an agency writes it in Latin script (see the module doc)."""
    habit = draw_habit(rng)
    layout = rng.random()
    places = [place(p, habit, rng) for p in a.places]
    if layout < 0.15 and len(places) > 1:  # without the province or the country
        places = places[1:] if a.places[0].level in ("province", "country") else places[-1:]
    elif 0.15 <= layout < 0.3 and a.trade:
        places = []  # dropped: only the trade name and the industry words are left
    bracket = []
    if a.bracket_place is not None:
        bracket = [place(a.bracket_place, habit, rng)]
    elif 0.3 <= layout < 0.45 and places and a.trade and a.form:
        bracket, places = places[-1:], places[:-1]  # Huaxin Technology (Suzhou) Co., Ltd.
    words = [(p, False) for p in places]
    if a.trade:
        words.append((word(a.trade, habit), True))
    for w in a.industry:
        text = term(w, habit, rng)
        words.append((text, text == word(w, habit)))
    parts = _glue(words) if habit.glue else [text for text, _ in words]
    parts += [f"({b})" for b in bracket]
    if a.form:
        parts.append(_choice(terms().form[a.form], rng))
    parts += [tail(t, habit, rng) for t in a.tails]
    name = re.sub(r"\s+", " ", " ".join(p for p in parts if p)).strip()
    return name.upper() if habit.upper else name


def _road(m: re.Match, habit: Habit, rng: np.random.Generator) -> str:
    stem, kind = m.group("road"), m.group("road_kind")
    direction = ""
    if len(stem) > 2 and stem[-1] in _DIRECTIONS:
        stem, direction = stem[:-1], stem[-1]
    pick = rng.random()
    name = word(stem, habit)
    if direction:
        name = (f"{name} {_DIRECTIONS[direction]}" if pick < 0.6
                else name + word(direction, habit).lower())  # fmt: skip
    road = f"{name} {_choice(_ROADS[kind], rng)}"
    number = m.group("road_no")
    if not number:
        return road
    return f"No. {number} {road}" if rng.random() < 0.6 else f"{number} {road}"


def latin_address(address: str, gaz: Gazetteer, rng: np.random.Generator) -> str:
    """A Chinese address in English order, smallest part first; places romanised."""
    habit = draw_habit(rng)
    habit = Habit(habit.split, False, habit.apostrophe, habit.umlaut, "english", 1.0, False)
    text = re.sub(r"\([^()]*\)", "", address.replace("（", "(").replace("）", ")"))
    places, rest = split_places(text, gaz, bare=False)
    local: list[str] = []
    pos = 0
    for m in _ADDRESS_PART.finditer(rest):
        local += _leftover(rest[pos : m.start()], habit)
        pos = m.end()
        if m.group("road_kind"):
            local.append(_road(m, habit, rng))
        elif m.group("building"):
            local.append(f"Building {m.group('building')}")
        elif m.group("room"):
            local.append(f"Room {m.group('room')}")
        elif m.group("village"):
            local.append(f"{word(m.group('village'), habit)} Village")
        else:
            local.append(f"No. {m.group('number')}")
    local += _leftover(rest[pos:], habit)
    big = [place(p, habit, rng) for p in places]
    parts = [*reversed(local), *reversed(big)]
    if rng.random() < 0.3:
        parts.append("China")
    return ", ".join(p for p in parts if p)


def _leftover(text: str, habit: Habit) -> list[str]:
    """Text between the recognised address parts: hanzi runs romanised, the rest kept."""
    out = []
    for chunk in re.split(rf"([{_HAN}]+)", text):
        chunk = chunk.strip(" ,，、()")
        if not chunk:
            continue
        out.append(word(chunk, habit) if _HANZI_RUN.fullmatch(chunk) else chunk)
    return out
