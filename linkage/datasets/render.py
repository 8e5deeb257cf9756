"""Render entity columns as a registry writes them: names, addresses, phones and dates.

Every function takes the entity columns of the rows to render (``Entities.take``) plus per-row
variant codes drawn by the caller, and returns an object array of strings, all vectorised.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import opencc
import pandas as pd

from linkage.datasets import pools
from linkage.datasets.entities import BRANCH
from linkage.datasets.identifiers import zero_pad

_O = object


def _arr(values) -> np.ndarray:
    return np.array(values, dtype=_O)


_CITY_ZH = _arr([c[0] for c in pools.CN_CITIES])
_CITY_PY = _arr([c[1] for c in pools.CN_CITIES])
_PROV_ZH = _arr([c[2] for c in pools.CN_CITIES])
_PROV_PY = _arr([c[3] for c in pools.CN_CITIES])
_AREA = _arr([c[4] for c in pools.CN_CITIES])
_DIST_ZH = _arr([[d[0] for d in c[6]] for c in pools.CN_CITIES])
_DIST_PY = _arr([[d[1] for d in c[6]] for c in pools.CN_CITIES])
_IND_ZH = _arr([i[0] for i in pools.INDUSTRIES])
_IND_EN = _arr([i[1] for i in pools.INDUSTRIES])
_IND_AB = _arr([i[2] for i in pools.INDUSTRIES])
_FIND_EN = _arr([i[0] for i in pools.FOREIGN_INDUSTRIES])
_FIND_AB = _arr([i[1] for i in pools.FOREIGN_INDUSTRIES])
_FORM_ZH = _arr([f[0] for f in pools.CN_FORMS])
_ROAD_ZH = _arr([r[0] for r in pools.ROADS])
_ROAD_EN = _arr([r[1] for r in pools.ROADS])
_AGENT_ZH = _arr([a[1] for a in pools.CN_AGENT_ADDRESSES])
_AGENT_EN = _arr([a[2] for a in pools.CN_AGENT_ADDRESSES])
_AREA_NO_TRUNK = _arr([c[4][1:] for c in pools.CN_CITIES])
_CC = _arr([c["cc"] for c in pools.COUNTRIES])
_FAREA = _arr([[t[2] for t in c["cities"]] for c in pools.COUNTRIES])


def _cn_form_en(form: np.ndarray, variant: np.ndarray) -> np.ndarray:
    """English rendering of a Chinese legal form; ``variant`` indexes its spellings (wraps)."""
    out = np.full(len(form), "", dtype=_O)
    for k, (_, spellings, _w) in enumerate(pools.CN_FORMS):
        sel = form == k
        out[sel] = _arr(spellings)[variant[sel] % len(spellings)]
    return out


def _foreign_form(country: np.ndarray, form: np.ndarray, variant: np.ndarray) -> np.ndarray:
    """A spelling of a foreign legal form (``Ltd``/``Limited``, ``GmbH``, ``S.A.`` ...)."""
    out = np.full(len(form), "", dtype=_O)
    for k, spec in enumerate(pools.COUNTRIES):
        for f, (_, spellings) in enumerate(spec["forms"]):
            sel = (country == k) & (form == f)
            out[sel] = _arr(spellings)[variant[sel] % len(spellings)]
    return out


def zh_names(e: dict[str, np.ndarray], variant: np.ndarray, old: np.ndarray) -> np.ndarray:
    """Hanzi names of Chinese firms in one of six layouts.

    Variants: 0 ``深圳市华信科技有限公司``, 1 ``深圳华信科技有限公司``,
    2 ``华信科技（深圳）有限公司``, 3 ``华信科技(深圳)有限公司``,
    4 ``华信科技有限公司``, 5 ``华信科技`` (short name). Branches get ``<city>分公司``
    appended; ``old`` rows use the name before a renaming.
    """
    city = _CITY_ZH[np.clip(e["name_city"], 0, None)]
    trade = np.where(old, e["old_trade_zh"], e["trade_zh"])
    core = trade + _IND_ZH[e["industry"] % len(_IND_ZH)]
    form = _FORM_ZH[e["form"] % len(_FORM_ZH)]
    out = np.empty(len(city), dtype=_O)
    layouts = (
        city + "市" + core + form,
        city + core + form,
        core + "（" + city + "）" + form,
        core + "(" + city + ")" + form,
        core + form,
        core,
    )
    for k, text in enumerate(layouts):
        sel = variant == k
        out[sel] = text[sel]
    branch = e["role"] == BRANCH
    out[branch] = out[branch] + _CITY_ZH[e["city"][branch]] + "分公司"
    return out


def en_names(
    e: dict[str, np.ndarray], variant: np.ndarray, old: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Latin-script names: English renderings of Chinese firms and names of foreign firms.

    Variants: 0 canonical (``Shenzhen Huaxin Technology Co., Ltd.``), 1 city in brackets
    (``Huaxin Technology (Shenzhen) Co., Ltd.``), 2 without the city, 3 abbreviated industry
    with another legal-form spelling, 4 syllables split (``Hua Xin``). Foreign firms use the
    variant to pick a legal-form spelling and the abbreviation.
    """
    n = len(variant)
    foreign = e["country"] >= 0
    trade = np.where(old, e["old_trade_en"], e["trade_en"])
    form_pick = np.where(variant >= 3, 1 + rng.integers(0, 4, n), 0)
    ind = np.where(
        variant == 3, _IND_AB[e["industry"] % len(_IND_AB)], _IND_EN[e["industry"] % len(_IND_EN)]
    )
    city = _CITY_PY[np.clip(e["name_city"], 0, None)]
    split = variant == 4
    trade_cn = trade.copy()
    trade_cn[split & ~foreign] = _arr([_split_pinyin(t) for t in trade[split & ~foreign]])
    form_cn = _cn_form_en(e["form"], form_pick)
    cn = np.where(
        variant == 1,
        trade_cn + " " + ind + " (" + city + ") " + form_cn,
        np.where(
            variant == 2,
            trade_cn + " " + ind + " " + form_cn,
            city + " " + trade_cn + " " + ind + " " + form_cn,
        ),
    )
    branch = e["role"] == BRANCH
    cn[branch] = cn[branch] + " " + _CITY_PY[e["city"][branch]] + " Branch"
    find = np.where(
        variant == 3,
        _FIND_AB[e["industry"] % len(_FIND_AB)],
        _FIND_EN[e["industry"] % len(_FIND_EN)],
    )
    ff = _foreign_form(e["country"], e["form"], np.where(variant >= 2, variant - 1, 0))
    fo = trade + " " + find + " " + ff
    return np.where(foreign, fo, cn)


@lru_cache(maxsize=4096)
def _split_pinyin(word: str) -> str:
    """``Huaxin`` -> ``Hua Xin`` using the syllables of the trade-name pool."""
    from linkage.datasets.entities import TRADE_PY

    syllables = sorted(set(TRADE_PY), key=len, reverse=True)
    parts, rest = [], word.lower()
    while rest:
        syl = next((s for s in syllables if rest.startswith(s)), rest)
        parts.append(syl.capitalize())
        rest = rest[len(syl) :]
    return " ".join(parts)


def restyle_latin(names: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Registry habits: 0 as is, 1 UPPER CASE, 2 upper case without punctuation, 3 lower case."""
    out = names.copy()
    sel = style == 1
    out[sel] = _arr([s.upper() for s in names[sel]])
    sel = style == 2
    out[sel] = _arr([re.sub(r"[.,]", "", s.upper()).replace("  ", " ") for s in names[sel]])
    sel = style == 3
    out[sel] = _arr([s.lower() for s in names[sel]])
    return out


def truncate(values: np.ndarray, length: int) -> np.ndarray:
    """Cut values to ``length`` characters, like a fixed-width registry field."""
    return _arr([v[:length].rstrip() if isinstance(v, str) else v for v in values])


def to_traditional(values: np.ndarray) -> np.ndarray:
    """Simplified to traditional characters (OpenCC ``s2t``); each distinct value once."""
    conv = opencc.OpenCC("s2t")
    uniq, inv = np.unique(values.astype(str), return_inverse=True)
    return _arr([conv.convert(u) for u in uniq])[inv]


def zh_addresses(e: dict[str, np.ndarray], old: np.ndarray, province: np.ndarray) -> np.ndarray:
    """``广东省深圳市南山区科技路123号1501室``; ``old`` gives the pre-move address."""
    city = np.clip(e["city"], 0, None)
    dist = np.where(old, e["old_district"], e["district"])
    road = np.where(old, e["old_road"], e["road"])
    house = np.where(old, e["old_house"], e["house"]).astype(str).astype(_O)
    room = np.where((e["room"] > 0) & ~old, e["room"].astype(str).astype(_O) + "室", "")
    prov = np.where(province, _PROV_ZH[city], "")
    out = prov + _CITY_ZH[city] + "市" + _DIST_ZH[city, dist] + _ROAD_ZH[road] + house + "号" + room
    agent = (e["agent"] >= 0) & (e["country"] < 0) & ~old
    out[agent] = _AGENT_ZH[e["agent"][agent]]
    return out


def en_addresses(e: dict[str, np.ndarray], old: np.ndarray, short: np.ndarray) -> np.ndarray:
    """Latin addresses: Chinese seats in English (``No. 123 Keji Road, Nanshan District,
    Shenzhen``), foreign seats in their country's layout. ``short`` abbreviates Road/District.
    """
    city = np.clip(e["city"], 0, None)
    dist = np.where(old, e["old_district"], e["district"])
    road = np.where(old, e["old_road"], e["road"])
    house = np.where(old, e["old_house"], e["house"]).astype(str).astype(_O)
    room = np.where((e["room"] > 0) & ~old, "Room " + e["room"].astype(str).astype(_O) + ", ", "")
    cn = (
        room
        + "No. "
        + house
        + " "
        + _ROAD_EN[road]
        + ", "
        + _DIST_PY[city, dist]
        + " District, "
        + _CITY_PY[city]
        + ", "
        + np.where(_PROV_PY[city] == "", "", _PROV_PY[city] + ", ")
        + "China"
    )
    cn[short] = _arr([s.replace(" Road", " Rd.").replace(" District", " Dist.") for s in cn[short]])
    agent = (e["agent"] >= 0) & (e["country"] < 0) & ~old
    cn[agent] = _AGENT_EN[e["agent"][agent]] + ", China"
    out = cn
    for k, spec in enumerate(pools.COUNTRIES):
        sel = e["country"] == k
        if not sel.any():
            continue
        streets = _arr(spec["streets"])[road[sel] % len(spec["streets"])]
        towns = _arr([c[0] for c in spec["cities"]])[city[sel] % 5]
        h, p = house[sel], e["postcode"][sel]
        if spec["code"] in ("DE", "NL"):
            text = streets + " " + h + ", " + p + " " + towns
        elif spec["code"] == "FR":
            text = h + " " + streets + ", " + p + " " + towns
        else:
            text = h + " " + streets + ", " + towns + " " + p
        ag = (e["agent"][sel] >= 0) & ~old[sel]
        text[ag] = spec["agent"]
        out[sel] = text
    return out


def phones(e: dict[str, np.ndarray], style: np.ndarray) -> np.ndarray:
    """Phone numbers in one of four habits (national, bracketed, international, run together)."""
    num = e["phone_sub"]
    sub = num.astype(str).astype(_O)
    foreign = e["country"] >= 0
    city = np.clip(e["city"], 0, None)
    area, a = _AREA[city], _AREA_NO_TRUNK[city]
    land = _pick(
        style,
        (
            area + "-" + sub,
            "(" + area + ")" + sub,
            "+86 " + a + " " + _groups(num, 4, 4),
            "86" + a + sub,
        ),
    )
    mob = _pick(
        style, (_groups(num, 3, 4, 4), sub, "+86 " + _groups(num, 3, 4, 4, sep="-"), "+86" + sub)
    )
    cc, farea = (
        _CC[np.clip(e["country"], 0, None)],
        _FAREA[np.clip(e["country"], 0, None), city % 5],
    )
    trunk = np.where(cc == "1", "", "0")
    fo = _pick(
        style,
        (
            "+" + cc + " " + farea + " " + sub,
            trunk + farea + " " + sub,
            "+" + cc + "-" + farea + "-" + sub,
            "00" + cc + farea + sub,
        ),
    )
    return np.where(foreign, fo, np.where(e["phone_mobile"], mob, land))


def _pick(style: np.ndarray, options: tuple[np.ndarray, ...]) -> np.ndarray:
    out = np.empty(len(style), dtype=_O)
    for k, opt in enumerate(options):
        sel = style % len(options) == k
        out[sel] = opt[sel]
    return out


def _groups(values: np.ndarray, *sizes: int, sep: str = " ") -> np.ndarray:
    """Digit groups of fixed-width numbers: ``_groups(x, 3, 4, 4)`` gives ``138 1234 5678``."""
    out, rest = None, values
    for k, size in enumerate(sizes):
        tail = sum(sizes[k + 1 :])
        part = zero_pad(rest // 10**tail, size)
        rest = rest % 10**tail
        out = part if out is None else out + sep + part
    assert out is not None  # sizes is never empty
    return out


def dates(days: np.ndarray, fmt: str) -> np.ndarray:
    """Format day numbers (days since 1970-01-01) with a strftime pattern, once per day."""
    uniq, inv = np.unique(days, return_inverse=True)
    text = pd.to_datetime(uniq, unit="D").strftime(fmt).to_numpy(dtype=_O)
    return text[inv]
