"""The anatomy of real Chinese registered names, so the generator can write them as other
registries do.

A registered name is leading place prefixes (province, city, county or district, town), a trade
name (字号), industry words, an organisational form, and for a sub-unit one or more tails
naming the unit after its parent (``中国农业银行股份有限公司`` + ``宜兴城西支行``). The parse
here serves the benchmark generator only: it has its own term table
(``data/zh_terms.csv``) and learns place names from the registry's own addresses, so the
renderings it drives do not share tables with the matcher's standardisation.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TERMS_PATH = Path(__file__).with_name("data") / "zh_terms.csv"
_HAN = "\u4e00-\u9fff"

# Provinces and province-level cities: stem, usual suffix, Latin name as agencies write it.
PROVINCES: tuple[tuple[str, str, str], ...] = (
    ("北京", "市", "Beijing"), ("天津", "市", "Tianjin"), ("上海", "市", "Shanghai"),
    ("重庆", "市", "Chongqing"), ("河北", "省", "Hebei"), ("山西", "省", "Shanxi"),
    ("辽宁", "省", "Liaoning"), ("吉林", "省", "Jilin"), ("黑龙江", "省", "Heilongjiang"),
    ("江苏", "省", "Jiangsu"), ("浙江", "省", "Zhejiang"), ("安徽", "省", "Anhui"),
    ("福建", "省", "Fujian"), ("江西", "省", "Jiangxi"), ("山东", "省", "Shandong"),
    ("河南", "省", "Henan"), ("湖北", "省", "Hubei"), ("湖南", "省", "Hunan"),
    ("广东", "省", "Guangdong"), ("海南", "省", "Hainan"), ("四川", "省", "Sichuan"),
    ("贵州", "省", "Guizhou"), ("云南", "省", "Yunnan"), ("陕西", "省", "Shaanxi"),
    ("甘肃", "省", "Gansu"), ("青海", "省", "Qinghai"), ("内蒙古", "自治区", "Inner Mongolia"),
    ("广西", "壮族自治区", "Guangxi"), ("西藏", "自治区", "Tibet"),
    ("宁夏", "回族自治区", "Ningxia"), ("新疆", "维吾尔自治区", "Xinjiang"),
    ("中国", "", "China"),
)  # fmt: skip
PROVINCE_LATIN = {stem: latin for stem, _, latin in PROVINCES}
# Development zones written after a place (``南通开发区``), with their English renderings.
ZONES: dict[str, tuple[str, ...]] = {
    "经济技术开发区": ("Economic and Technological Development Zone", "ETDZ",
                 "Economic & Technical Development Zone"),
    "高新技术产业开发区": ("Hi-Tech Industrial Development Zone", "High-tech Zone"),
    "经济开发区": ("Economic Development Zone", "EDZ", "Economic Dev. Zone"),
    "工业园区": ("Industrial Park", "Industrial Zone"),
    "高新区": ("High-tech Zone", "Hi-Tech Zone", "New & High-tech District"),
    "开发区": ("Development Zone", "Dev. Zone", "Development Area"),
    "保税区": ("Free Trade Zone", "Bonded Zone"),
    "新区": ("New District", "New Area"),
}  # fmt: skip
_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")
# Suffixes of administrative units in addresses and names, and the level each one marks.
_LEVEL_OF_SUFFIX = {
    "省": "province", "自治区": "province", "市": "city", "县": "county", "区": "district",
    "镇": "town", "乡": "township", "街道": "subdistrict",
}  # fmt: skip
# A unit-suffixed place with the stem lengths each suffix takes (沛县 has one character).
_ADDRESS_PLACE = re.compile(
    rf"([{_HAN}]{{2,3}}?)(市)|([{_HAN}]{{1,3}}?)(县)|([{_HAN}]{{2}})(区)"
    rf"|([{_HAN}]{{2,3}}?)(镇|乡|街道)"
)
_NOT_IN_STEM = set("路街道村号巷弄室幢栋园厂公司省市县区镇乡第超城场")
_BRACKETS = str.maketrans({"（": "(", "）": ")"})
_ORDINAL = re.compile(r"第([零〇O一二三四五六七八九十百\d]{1,4})")
_CN_DIGITS = {"零": 0, "〇": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}  # fmt: skip
# Forms after which a sub-unit's tail may start (longest first, so 有限公司 wins over 公司).
_PARENT_FORMS = re.compile(
    "股份有限公司|有限责任公司|有限公司|集团公司|总公司|公司|合作社|联合社|联社|银行|总厂|厂"
)


@dataclass(frozen=True)
class Terms:
    """The generator's translation table: hanzi term -> English renderings, by kind."""

    industry: dict[str, tuple[str, ...]]
    form: dict[str, tuple[str, ...]]
    unit: dict[str, tuple[str, ...]]

    def longest_suffix(self, text: str, table: dict[str, tuple[str, ...]]) -> str:
        """The longest entry of ``table`` that ``text`` ends with ('' if none)."""
        for size in range(min(len(text), 7), 0, -1):
            if text[-size:] in table:
                return text[-size:]
        return ""


@lru_cache(maxsize=1)
def terms() -> Terms:
    """Read ``data/zh_terms.csv`` once."""
    tables: dict[str, dict[str, tuple[str, ...]]] = {"industry": {}, "form": {}, "unit": {}}
    with TERMS_PATH.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            tables[row["kind"]][row["zh"]] = tuple(row["en"].split("|"))
    return Terms(**tables)


@dataclass(frozen=True)
class Place:
    """A place prefix as a name writes it.

    Attributes:
        stem: the place name without its unit suffix (``南通``).
        suffix: the suffix as written (``市``), '' when the name omits it.
        level: ``province``, ``city``, ``county``, ``district``, ``town``, ``township``,
            ``subdistrict``, ``country`` or ``zone`` (a development zone: stem '', suffix
            the zone word).
    """

    stem: str
    suffix: str
    level: str

    @property
    def text(self) -> str:
        """The place as written."""
        return self.stem + self.suffix


@dataclass(frozen=True)
class Gazetteer:
    """Place stems of one registry: the provinces, plus the cities, counties, districts and
    towns its names and addresses spell with a unit suffix.

    Attributes:
        suffix: stem -> its usual suffix.
    """

    suffix: dict[str, str]

    @classmethod
    def learn(
        cls, texts: Iterable[str], cities: Iterable[str] = (), min_count: int = 1
    ) -> Gazetteer:
        """Collect the places that open ``texts`` (addresses and names), in the order
        province, city, county or district, town, each seen at least ``min_count`` times.
        ``cities`` (a registry's city column, without ``市``) are taken as they are."""
        seen: Counter[tuple[str, str]] = Counter()
        for text in texts:
            for place in _leading_places(text.translate(_BRACKETS)):
                seen[(place.stem, place.suffix)] += 1
        by_stem: dict[str, Counter[str]] = {}
        for (stem, suffix), count in seen.items():
            # a one-off "城市" or "超市" must not become a city: units above towns need more
            if count >= (min_count if suffix in ("镇", "乡", "街道") else 3 * min_count):
                by_stem.setdefault(stem, Counter())[suffix] += count
        usual = {s: c.most_common(1)[0][0] for s, c in sorted(by_stem.items())}
        for city in cities:
            if city and city not in PROVINCE_LATIN:
                usual.setdefault(city, "市")
        for stem, suf, _ in PROVINCES:
            usual[stem] = suf
        return cls(usual)

    def level(self, stem: str) -> str:
        """The level of a known stem."""
        if stem == "中国":
            return "country"
        if stem in PROVINCE_LATIN:
            return "province"
        return _LEVEL_OF_SUFFIX.get(self.suffix.get(stem, ""), "city")

    def match(self, text: str, pos: int = 0) -> Place | None:
        """The longest known place starting at ``pos``, with its suffix when written.

        A one-character stem (``沛`` of ``沛县``) counts only with its suffix.
        """
        for size in (3, 2, 1):
            stem = text[pos : pos + size]
            if len(stem) < size or stem not in self.suffix:
                continue
            rest = text[pos + size :]
            written = next(
                (s for s in (*_PROVINCE_SUFFIXES, *_LEVEL_OF_SUFFIX) if rest.startswith(s)), ""
            )
            if not written and (size == 1 or stem in terms().industry):
                continue
            return Place(stem, written, self.level(stem))
        return None


def _leading_places(text: str) -> list[Place]:
    """The unit-suffixed places a text opens with (``江苏省南京市六合区雄州镇…``)."""
    places, pos = [], 0
    for stem, _, _ in PROVINCES:
        for suf in (*_PROVINCE_SUFFIXES, ""):
            if text.startswith(stem + suf) and stem != "中国":
                places.append(Place(stem, suf, "province"))
                pos = len(stem + suf)
                break
        if pos:
            break
    while m := _ADDRESS_PLACE.match(text, pos):
        stem = next(g for g in m.groups()[::2] if g)
        suffix = next(g for g in m.groups()[1::2] if g)
        if _NOT_IN_STEM & set(stem) or text.startswith("场", m.end()) or stem in terms().industry:
            break
        places.append(Place(stem, suffix, _LEVEL_OF_SUFFIX[suffix]))
        pos = m.end()
    return places


@dataclass(frozen=True)
class Tail:
    """A sub-unit's tail after its parent: ``宜兴城西支行``, ``第三门市部``.

    Attributes:
        text: the tail as written.
        places: place prefixes it opens with.
        words: the words between the places and the marker (industry terms or other words).
        ordinal: the number of a ``第N`` tail, else None.
        marker: the unit word it ends with (``支行``), found in the term table.
    """

    text: str
    places: tuple[Place, ...]
    words: tuple[str, ...]
    ordinal: int | None
    marker: str


@dataclass(frozen=True)
class Anatomy:
    """A registered name taken apart.

    Attributes:
        registered: the name as registered.
        places: leading place prefixes of the head firm.
        bracket_place: a place written in brackets inside the name (``百威(南京)啤酒``).
        trade: the trade name (字号), '' when the name has none.
        industry: industry words (terms of the table, or unknown words kept whole).
        form: the organisational form the head firm's name ends with ('' if none).
        tails: the sub-unit tails, outermost first; empty for a firm that is no sub-unit.
        remark: a trailing bracketed remark (``(普通合伙)``, ``(原…厂)``).
    """

    registered: str
    places: tuple[Place, ...]
    bracket_place: Place | None
    trade: str
    industry: tuple[str, ...]
    form: str
    tails: tuple[Tail, ...]
    remark: str

    @property
    def is_sub_unit(self) -> bool:
        """Whether the name names a unit of a parent (branch, sub-branch, outlet …)."""
        return bool(self.tails)

    @property
    def parent(self) -> str:
        """The registered name of the parent (the name without its last tail)."""
        if not self.tails:
            return ""
        text = self.registered.translate(_BRACKETS)
        cut = text.rfind(self.tails[-1].text)
        return text[:cut] if cut > 0 else ""


def cn_number(text: str) -> int | None:
    """``三`` -> 3, ``十二`` -> 12, ``二十`` -> 20, ``七O三`` -> 703, ``12`` -> 12."""
    if text.isdigit():
        return int(text)
    if all(ch in _CN_DIGITS for ch in text):
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    if "百" in text:
        return None
    tens, _, units = text.partition("十")
    if "十" not in text or any(ch not in _CN_DIGITS for ch in tens + units):
        return None
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Words of ``text`` read off its end: the longest industry term or company form, else
    one character joined to the unknown run before it; ``(word, known)`` in text order."""
    known_words = terms().industry.keys() | {f for f in terms().form if len(f) > 1} | {"厂"}
    out: list[tuple[str, bool]] = []
    while text:
        word = next(
            (text[-k:] for k in range(min(len(text), 7), 1, -1) if text[-k:] in known_words),
            text[-1] if text[-1] in known_words else "",
        )
        if word:
            out.insert(0, (word, True))
        elif out and not out[0][1]:
            out[0] = (text[-1] + out[0][0], False)
        else:
            out.insert(0, (text[-1], False))
        text = text[: len(text) - max(len(word), 1)]
    return out


def _segment(text: str) -> tuple[str, tuple[str, ...]]:
    """Split the middle of a name into its trade name and industry words.

    The trade name is the leading unknown run, with a first known word joined to it when an
    unknown one follows (``人寿`` + ``天`` in ``人寿天医药``): ``冠银玻璃制造`` -> (``冠银``,
    (``玻璃``, ``制造``)); ``消防器材厂`` -> ('', (``消防``, ``器材``, ``厂``)).
    """
    tokens = _tokens(text)
    trade, i = "", 0
    while i < len(tokens):
        word, known = tokens[i]
        if known and not (i == 0 and i + 1 < len(tokens) and not tokens[i + 1][1]):
            break
        trade, i = trade + word, i + 1
    return trade, tuple(word for word, _ in tokens[i:])


def split_places(
    text: str, gaz: Gazetteer, keep: int = 0, bare: bool = True
) -> tuple[tuple[Place, ...], str]:
    """Leading places of ``text`` and the rest, taken while at least ``keep`` characters stay
    behind. ``bare=False`` takes only places written with their unit suffix (addresses,
    where ``红梅街道红梅村`` holds the town name twice)."""
    places: list[Place] = []
    while (place := gaz.match(text) or _zone(text)) is not None and len(text) - len(
        place.text
    ) >= keep:
        if not bare and not place.suffix:
            break
        places.append(place)
        text = text[len(place.text) :]
    return tuple(places), text


def _zone(text: str) -> Place | None:
    """A development zone opening ``text`` (``开发区伟达工贸`` -> 开发区)."""
    zone = next((z for z in ZONES if text.startswith(z)), None)
    return Place("", zone, "zone") if zone else None


def _tail(text: str, gaz: Gazetteer) -> Tail:
    """Parse one sub-unit tail: places, ``第N``, words, and the unit word it ends with."""
    table = terms().unit
    marker = terms().longest_suffix(text, table)
    head = text[: len(text) - len(marker)]
    places, head = split_places(head, gaz, keep=0)
    ordinal = None
    if m := _ORDINAL.search(head):
        ordinal = cn_number(m.group(1))
        if ordinal is not None:
            head = head[: m.start()] + head[m.end() :]
    rest, words = _segment(head)
    return Tail(text, places, ((rest,) if rest else ()) + words, ordinal, marker)


def _ends_with_unit(text: str) -> bool:
    """Whether ``text`` ends with a unit word of the term table (``支行``, ``店`` …)."""
    return bool(terms().longest_suffix(text, terms().unit))


def _split_tails(text: str) -> tuple[str, list[str]]:
    """Split a name into its head firm and sub-unit tails (outermost first).

    The split is at the last parent form (a multi-character one if any, else ``厂``) whose
    rest is a unit: it ends with a unit word, starts with no form, and holds no further
    company form except inside ``分公司``.
    """
    candidates = []
    for m in _PARENT_FORMS.finditer(text):
        rest = text[m.end() :]
        if not rest or not _ends_with_unit(rest) or _PARENT_FORMS.match(rest):
            continue
        if re.search("有限公司|有限责任公司|(?<!分)公司|合作社|银行", rest):
            continue
        candidates.append(m)
    if not candidates:
        return text, []
    multi = [m for m in candidates if len(m.group()) > 1]
    cut = (multi or candidates)[-1].end()
    head, tails = _split_tails(text[:cut])
    return head, [*tails, text[cut:]]


def parse(name: str, gaz: Gazetteer) -> Anatomy:
    """Take a registered name apart (see ``Anatomy``); never fails, parts may stay empty."""
    text = name.translate(_BRACKETS).strip().rstrip(".。")
    remark = ""
    if (m := re.search(r"\(([^()]*)\)$", text)) and m.start() > 0:
        remark, text = m.group(0), text[: m.start()]
    text = text.replace("(集团)", "集团")
    head, tails = _split_tails(text)
    bracket_place = None
    if m := re.search(r"\(([^()]+)\)", head):
        inner = gaz.match(m.group(1))
        if inner is not None and inner.text == m.group(1):
            bracket_place = inner
        head = head[: m.start()] + ("" if bracket_place else m.group(1)) + head[m.end() :]
    form = terms().longest_suffix(head, terms().form)
    middle = head[: len(head) - len(form)]
    places, middle = split_places(middle, gaz, keep=2)
    trade, industry = _segment(middle)
    if len(trade) == 1 and places and not places[-1].suffix:  # 太平 of 太平洋 is no town here
        middle, places = places[-1].text + middle, places[:-1]
        trade, industry = _segment(middle)
    if len(trade) > 4:  # an industry word the table does not know: keep it whole
        trade, industry = trade[:2], (trade[2:], *industry)
    return Anatomy(
        registered=name,
        places=places,
        bracket_place=bracket_place,
        trade=trade,
        industry=industry,
        form=form,
        tails=tuple(_tail(t, gaz) for t in tails),
        remark=remark,
    )
