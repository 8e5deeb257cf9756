"""The true businesses behind the generated registries, built column by column with numpy.

An entity is a Chinese firm (``country == -1``) or a foreign one. Hard negatives are made from a
parent entity: a branch (same name plus ``…分公司``/``Branch``, its own identifiers), a namesake in
another city or country, a namesake in another industry, and a subsidiary that shares the
parent's address and representative. Some firms were renamed or moved; some sit at a
registered-agent address shared with many others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pypinyin import lazy_pinyin

from linkage.datasets import identifiers as ids
from linkage.datasets import pools
from linkage.datasets.noise import Noise, choose

NORMAL, BRANCH, OTHER_CITY, OTHER_INDUSTRY, SUBSIDIARY = range(5)
_ROLE_WEIGHTS = (0.35, 0.25, 0.2, 0.2)  # of the hard-negative share: branch, city, industry, sub
_EPOCH_2016 = int(np.datetime64("2015-10-01", "D").astype(np.int64))
_FIRST_DAY = int(np.datetime64("1992-01-01", "D").astype(np.int64))
_LAST_DAY = int(np.datetime64("2023-12-31", "D").astype(np.int64))
_LOU = {-1: "3003", 0: "2138", 1: "3912", 2: "9695", 3: "7245", 4: "5493"}
_CITY_WEIGHTS = (8, 8, 3, 3, 6, 7, 5, 3, 4, 4, 3, 4, 3, 2, 3, 2, 2, 2, 2, 2, 2, 2, 2)

_NONE = np.array(None, dtype=object)  # a missing value for np.where
TRADE_PY = tuple(lazy_pinyin(ch)[0] for ch in pools.TRADE_CHARS)
_NT = len(pools.TRADE_CHARS)
_NW = len(pools.FOREIGN_WORDS)


@dataclass(frozen=True)
class Entities:
    """Column arrays of the true entities; ``cols[name][i]`` describes entity ``i``."""

    cols: dict[str, np.ndarray]

    @property
    def n(self) -> int:
        """Number of entities."""
        return len(self.cols["entity_id"])

    def take(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """The columns restricted to ``rows`` (an integer array, repeats allowed)."""
        return {k: v[rows] for k, v in self.cols.items()}


def _trade_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Trade-name codes: two hanzi (70%) or three; code = c0*NT^2 + c1*NT + (c2+1)."""
    c = rng.integers(0, _NT, (n, 3))
    two = rng.random(n) < 0.7
    return c[:, 0] * _NT * (_NT + 1) + c[:, 1] * (_NT + 1) + np.where(two, 0, c[:, 2] + 1)


def _trade_strings(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hanzi and capitalised pinyin (``Huaxin``) of trade-name codes."""
    c0, rest = np.divmod(codes, _NT * (_NT + 1))
    c1, c2 = np.divmod(rest, _NT + 1)
    zh_pool = np.array([*list(pools.TRADE_CHARS), ""], dtype=object)
    py_pool = np.array([*list(TRADE_PY), ""], dtype=object)
    zh = zh_pool[c0] + zh_pool[c1] + zh_pool[c2 - 1]
    py = py_pool[c0] + py_pool[c1] + py_pool[c2 - 1]
    return zh, np.array([s.capitalize() for s in py], dtype=object)


def _word_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Foreign trade names: one word (25%) or two; code = w0 * (NW+1) + (w1+1)."""
    w = rng.integers(0, _NW, (n, 2))
    return w[:, 0] * (_NW + 1) + np.where(rng.random(n) < 0.25, 0, w[:, 1] + 1)


def _word_strings(codes: np.ndarray) -> np.ndarray:
    pool = np.array(pools.FOREIGN_WORDS, dtype=object)
    w0, w1 = np.divmod(codes, _NW + 1)
    two = w1 > 0
    out = pool[w0].copy()
    out[two] = out[two] + " " + pool[w1[two] - 1]
    return out


def _assign_roles(rng: np.random.Generator, foreign: np.ndarray, noise: Noise) -> tuple:
    """Role per entity and, for hard negatives, a parent of the same kind with a normal role."""
    n = len(foreign)
    role = np.where(rng.random(n) < noise.hard_negative, 1 + choose(rng, n, _ROLE_WEIGHTS), 0)
    role[foreign & (role == BRANCH)] = OTHER_CITY  # branches are modelled for Chinese firms
    parent = np.full(n, -1)
    for kind in (False, True):
        normal = np.flatnonzero((foreign == kind) & (role == NORMAL))
        child = np.flatnonzero((foreign == kind) & (role != NORMAL))
        if len(normal) == 0:
            role[child] = NORMAL
            continue
        parent[child] = normal[rng.integers(0, len(normal), len(child))]
    return role.astype(np.int8), parent


def _name_keys(c: dict[str, np.ndarray]) -> np.ndarray:
    """An integer per entity that two firms may not share (registries refuse identical names)."""
    key = c["trade"] * 64 + c["industry"]
    key = key * 8 + c["form"]
    key = key * 32 + c["name_city"] + 1
    key = key * 8 + c["country"] + 1
    return key * 32 + np.where(c["role"] == BRANCH, c["city"] + 1, 0)


def _resolve_name_clashes(rng: np.random.Generator, c: dict[str, np.ndarray]) -> None:
    """Redraw the part that distinguishes an entity until every name key is unique."""
    ncity = len(pools.CN_CITIES)
    for attempt in range(100):
        _, first = np.unique(_name_keys(c), return_index=True)
        keep = np.zeros(len(c["trade"]), dtype=bool)
        keep[first] = True
        bad = np.flatnonzero(~keep)
        if len(bad) == 0:
            return
        role, foreign = c["role"][bad], c["country"][bad] >= 0
        if attempt >= 30:  # the namesake's name space is full: give it a fresh trade name
            role = np.zeros_like(role)
        redraw = bad[(role == NORMAL) & ~foreign]
        c["trade"][redraw] = _trade_codes(rng, len(redraw))
        redraw = bad[(role == NORMAL) & foreign]
        c["trade"][redraw] = _word_codes(rng, len(redraw))
        redraw = bad[(role == OTHER_INDUSTRY) | (role == SUBSIDIARY)]
        nind = np.where(foreign, len(pools.FOREIGN_INDUSTRIES), len(pools.INDUSTRIES))
        c["industry"][redraw] = (c["industry"][redraw] + 1) % nind[
            (role == OTHER_INDUSTRY) | (role == SUBSIDIARY)
        ]
        redraw = bad[(role == BRANCH) | ((role == OTHER_CITY) & ~foreign)]
        shift = 1 + rng.integers(0, ncity - 1, len(redraw))
        c["city"][redraw] = (c["city"][redraw] + shift) % ncity
        c["name_city"][redraw] = np.where(
            c["role"][redraw] == BRANCH, c["name_city"][redraw], c["city"][redraw]
        )
        redraw = bad[(role == OTHER_CITY) & foreign]
        c["trade"][redraw] = _word_codes(rng, len(redraw))  # namesake abroad collided: rename
    raise RuntimeError("could not make entity names unique; use fewer entities")


def make_entities(n: int, rng: np.random.Generator, noise: Noise) -> Entities:
    """Draw ``n`` true entities with their names, places, people, dates and identifiers."""
    foreign = rng.random(n) < 0.3
    role, parent = _assign_roles(rng, foreign, noise)
    ncity = len(pools.CN_CITIES)
    country = np.where(foreign, choose(rng, n, pools.COUNTRY_WEIGHTS), -1)
    nforms = np.array([len(pools.COUNTRIES[k]["forms"]) if k >= 0 else 1 for k in range(-1, 5)])
    c: dict[str, np.ndarray] = {
        "role": role,
        "parent": parent,
        "country": country,
        "city": np.where(foreign, rng.integers(0, 5, n), choose(rng, n, _CITY_WEIGHTS)),
        "trade": np.where(foreign, _word_codes(rng, n), _trade_codes(rng, n)),
        "industry": np.where(
            foreign,
            rng.integers(0, len(pools.FOREIGN_INDUSTRIES), n),
            rng.integers(0, len(pools.INDUSTRIES), n),
        ),
        "form": np.where(
            foreign,
            np.where(rng.random(n) < 0.8, 0, (rng.integers(1, 3, n) % nforms[country + 1])),
            choose(rng, n, tuple(f[2] for f in pools.CN_FORMS)),
        ),
    }
    agent = np.where((role == NORMAL) & (rng.random(n) < noise.agent), rng.integers(0, 3, n), -1)
    agent[foreign & (agent >= 0)] = 0  # foreign firms: the one agent address of their country
    cn_agent = (agent >= 0) & ~foreign
    c["city"][cn_agent] = np.array([a[0] for a in pools.CN_AGENT_ADDRESSES])[agent[cn_agent]]
    c["city"][foreign & (agent >= 0)] = 0
    # Hard negatives copy their parent's name parts, then change one of them.
    kid = np.flatnonzero(role != NORMAL)
    par = parent[kid]
    for col in ("trade", "industry", "form", "city", "country"):
        c[col][kid] = c[col][par]
    r = role[kid]
    shift = 1 + rng.integers(0, ncity - 1, len(kid))
    move = (r == BRANCH) | ((r == OTHER_CITY) & ~foreign[kid])
    c["city"][kid[move]] = (c["city"][kid[move]] + shift[move]) % ncity
    abroad = kid[(r == OTHER_CITY) & foreign[kid]]
    c["country"][abroad] = (c["country"][abroad] + rng.integers(1, 5, len(abroad))) % 5
    c["form"][abroad] = 0
    nind = np.where(foreign[kid], len(pools.FOREIGN_INDUSTRIES), len(pools.INDUSTRIES))
    other = (r == OTHER_INDUSTRY) | (r == SUBSIDIARY)
    c["industry"][kid[other]] = (c["industry"][kid[other]] + rng.integers(1, 5, other.sum())) % (
        nind[other]
    )
    c["name_city"] = np.where(
        role == BRANCH, np.where(parent >= 0, c["city"][parent], -1), c["city"]
    )
    c["name_city"][foreign] = -1
    _resolve_name_clashes(rng, c)

    renamed = (role == NORMAL) & (rng.random(n) < noise.renamed)
    old_trade = np.where(foreign, _word_codes(rng, n), _trade_codes(rng, n))
    c["renamed"] = renamed
    trade_zh, trade_py = _trade_strings(np.where(foreign, 0, c["trade"]))
    old_zh, old_py = _trade_strings(np.where(foreign, 0, old_trade))
    trade_en, old_en = _word_strings(c["trade"] * foreign), _word_strings(old_trade * foreign)
    c["trade_zh"], c["old_trade_zh"] = (
        np.where(foreign, "", trade_zh),
        np.where(foreign, "", old_zh),
    )
    c["trade_en"] = np.where(foreign, trade_en, trade_py)
    c["old_trade_en"] = np.where(foreign, old_en, old_py)

    _add_places(c, rng, n, noise, foreign, agent)
    _add_people_dates(c, rng, n, foreign)
    _add_identifiers(c, rng, n, foreign)
    c["agent"] = agent
    c["entity_id"] = np.array([f"E{i:07d}" for i in range(n)], dtype=object)
    return Entities(c)


def _add_places(c, rng, n, noise, foreign, agent) -> None:
    """Seat address parts (current and, for movers, former), postcode, phone and domain."""
    c["district"] = rng.integers(0, 3, n)
    c["road"] = rng.integers(0, len(pools.ROADS), n)
    c["house"] = rng.integers(1, 1000, n)
    c["room"] = np.where(
        rng.random(n) < 0.5, rng.integers(1, 30, n) * 100 + rng.integers(1, 20, n), -1
    )
    c["moved"] = rng.random(n) < noise.moved
    c["old_district"] = rng.integers(0, 3, n)
    c["old_road"] = rng.integers(0, len(pools.ROADS), n)
    c["old_house"] = rng.integers(1, 1000, n)
    sub = np.flatnonzero(c["role"] == SUBSIDIARY)
    for col in ("district", "road", "house", "room", "city"):
        c[col][sub] = c[col][c["parent"][sub]]
    agent[sub] = agent[c["parent"][sub]]
    cn_post = np.array([x[5] for x in pools.CN_CITIES], dtype=object)
    tail = rng.integers(0, 1000, n)
    post = cn_post[np.clip(c["city"], 0, None)] + ids.zero_pad(tail, 3)
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"), dtype=object)
    l1, l2 = letters[rng.integers(0, 20, n)], letters[rng.integers(0, 20, n)]
    for k, spec in enumerate(pools.COUNTRIES):
        sel = c["country"] == k
        prefix = np.array([x[1] for x in spec["cities"]], dtype=object)[c["city"][sel]]
        t = tail[sel]
        if spec["code"] == "GB":
            post[sel] = prefix + " " + (t % 10).astype(str).astype(object) + l1[sel] + l2[sel]
        elif spec["code"] == "NL":
            two = ids.zero_pad(t % 100, 2)
            post[sel] = prefix + two + " " + l1[sel] + l2[sel]
        elif spec["code"] == "DE":
            post[sel] = prefix + ids.zero_pad(t, 3)
        else:
            post[sel] = prefix + ids.zero_pad(t % 100, 2)
    c["postcode"] = post
    c["phone_mobile"] = ~foreign & (rng.random(n) < 0.3)
    sub_no = rng.integers(20_000_000, 90_000_000, n)
    mobile = rng.integers(13_000_000_000, 19_999_999_999, n)
    c["phone_sub"] = np.where(c["phone_mobile"], mobile, np.where(foreign, sub_no // 10, sub_no))
    c["phone_sub"][sub] = np.where(
        rng.random(len(sub)) < 0.5, c["phone_sub"][c["parent"][sub]], c["phone_sub"][sub]
    )
    ind_short = np.array([i[2].split()[0].lower() for i in pools.INDUSTRIES], dtype=object)
    find_short = np.array([i[1].lower() for i in pools.FOREIGN_INDUSTRIES], dtype=object)
    tld = np.array([".com.cn", ".co.uk", ".de", ".fr", ".nl", ".com"], dtype=object)
    base = np.array(
        [s.lower().replace(" ", "").replace("è", "e") for s in c["trade_en"]], dtype=object
    )
    short = np.where(
        foreign,
        find_short[c["industry"] % len(find_short)],
        ind_short[c["industry"] % len(ind_short)],
    )
    domain = base + short + tld[c["country"] + 1]
    branch = np.flatnonzero(c["role"] == BRANCH)
    domain[branch] = domain[c["parent"][branch]]  # a branch shows its head office's website
    c["domain"] = np.where(rng.random(n) < 0.6, domain, None)


def _add_people_dates(c, rng, n, foreign) -> None:
    """Legal representative (hanzi and pinyin, or a Latin name), founding day and status."""
    sur, giv = pools.SURNAMES, pools.GIVEN_CHARS
    s, g1, g2 = (
        rng.integers(0, len(sur), n),
        rng.integers(0, len(giv), n),
        rng.integers(0, len(giv), n),
    )
    one = rng.random(n) < 0.4
    sur_zh, giv_zh = np.array(list(sur), dtype=object), np.array([*list(giv), ""], dtype=object)
    sur_py = np.array([lazy_pinyin(ch)[0].capitalize() for ch in sur], dtype=object)
    giv_py = np.array([lazy_pinyin(ch)[0] for ch in giv] + [""], dtype=object)
    g2 = np.where(one, len(giv), g2)
    rep_zh = sur_zh[s] + giv_zh[g1] + giv_zh[g2]
    rep_py = (
        sur_py[s] + " " + np.array([x.capitalize() for x in giv_py[g1] + giv_py[g2]], dtype=object)
    )
    first, last = (
        np.array(pools.FIRST_NAMES, dtype=object),
        np.array(pools.LAST_NAMES, dtype=object),
    )
    latin = first[rng.integers(0, len(first), n)] + " " + last[rng.integers(0, len(last), n)]
    c["rep_zh"] = np.where(foreign, None, rep_zh)
    c["rep_en"] = np.where(foreign, latin, rep_py)
    sub = np.flatnonzero(c["role"] == SUBSIDIARY)
    c["rep_zh"][sub], c["rep_en"][sub] = (
        c["rep_zh"][c["parent"][sub]],
        c["rep_en"][c["parent"][sub]],
    )
    span = _LAST_DAY - _FIRST_DAY
    founded = _FIRST_DAY + (span * rng.beta(2.0, 1.3, n)).astype(np.int64)
    kid = np.flatnonzero(c["parent"] >= 0)
    later = c["role"][kid] == BRANCH
    start = founded[c["parent"][kid[later]]]
    founded[kid[later]] = start + ((_LAST_DAY - start) * rng.random(later.sum())).astype(np.int64)
    c["founded"] = founded
    c["status"] = np.where(foreign, rng.random(n) < 0.05, choose(rng, n, pools.CN_STATUS_WEIGHTS))


def _add_identifiers(c, rng, n, foreign) -> None:
    """USCC, organisation code and admin code (Chinese firms), VAT (EU firms), LEI (all)."""
    admin_pool = np.array([[int(d[2]) for d in city[6]] for city in pools.CN_CITIES])
    admin = admin_pool[np.clip(c["city"], 0, None), c["district"]]
    org = ids.org_codes(rng, c["founded"] >= _EPOCH_2016)
    c["admin"] = admin
    c["org"] = np.where(foreign, _NONE, ids.codes_to_str(org))
    c["uscc"] = np.where(foreign, _NONE, ids.codes_to_str(ids.uscc_codes(admin, org)))
    codes = np.array([pools.COUNTRIES[k]["code"] if k >= 0 else "CN" for k in range(-1, 5)])
    c["vat"] = ids.vat_numbers(rng, codes[c["country"] + 1])
    lou = np.array([_LOU[k] for k in range(-1, 5)], dtype=object)[c["country"] + 1]
    c["lei"] = ids.codes_to_str(ids.lei_codes(rng, lou))
