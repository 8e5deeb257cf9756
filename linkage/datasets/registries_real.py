"""Five registries that are views of the same real firms, each with the habits of its kind.

- ``enterprise``: the enterprise register (hanzi, USCC, registered name, representative,
  founding date, type, city, address), as the source registry has them;
- ``tax``: a tax register in GB18030: the legacy 15-character tax number (6-digit area code +
  the organisation code at USCC positions 9-17) or the USCC, names with or without province or
  city, the place in brackets, ``有限公司`` / ``有限责任公司``, homophones and slips;
- ``customs``: a customs register in Latin script (``zh_latin``) with an English address and
  the USCC as ``credit_code``;
- ``court``: parties of judgments, one row per case (a firm sued twice is listed twice), names
  as judgments write them (short names), no identifier;
- ``suppliers``: a supplier list of mixed hanzi and English names with phones and addresses,
  where a firm is sometimes entered twice.

Each profile takes the drawn ``Firms`` and the run's Generator and returns a
``RegistryTable`` whose ``entity`` is the firm's position; its spec maps the identifier
columns, which the names-only config leaves out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage.datasets.identifiers import mistype, zero_pad
from linkage.datasets.noise import blank, typos
from linkage.datasets.real_firms import Firms
from linkage.datasets.registries_zh import tax_register_spec
from linkage.datasets.registry import RegistrySpec, RegistryTable, draw, record_ids, shuffled
from linkage.datasets.zh_latin import latin_address, latin_name
from linkage.datasets.zh_variants import (
    draw_layouts,
    full_width,
    hanzi_name,
    homophone_table,
    homophones,
)

_O = object
# Long-distance codes of Jiangsu's cities (the shared registry's province) and of the largest
# cities elsewhere; firms of other cities get mobile numbers.
AREA_CODES = {
    "南京": "025", "苏州": "0512", "无锡": "0510", "常州": "0519", "南通": "0513",
    "盐城": "0515", "扬州": "0514", "镇江": "0511", "泰州": "0523", "徐州": "0516",
    "连云港": "0518", "淮安": "0517", "宿迁": "0527", "北京": "010", "上海": "021",
    "天津": "022", "重庆": "023", "广州": "020", "深圳": "0755", "杭州": "0571",
    "宁波": "0574", "温州": "0577", "武汉": "027", "成都": "028", "西安": "029",
}  # fmt: skip
# First two digits of an administrative code -> the province's one-character abbreviation.
PROVINCE_ABBR = {
    "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉",
    "23": "黑", "31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣",
    "37": "鲁", "41": "豫", "42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼",
    "50": "渝", "51": "川", "52": "贵", "53": "云", "54": "藏", "61": "陕", "62": "甘",
    "63": "青", "64": "宁", "65": "新",
}  # fmt: skip


def _arr(values) -> np.ndarray:
    return np.array(values, dtype=_O)


def cover(firms: Firms, rng: np.random.Generator, rate: float, sub_unit_rate: float) -> np.ndarray:
    """Positions of the firms a registry lists: independent draws, one rate for sub-units."""
    p = np.where(firms.is_sub_unit, sub_unit_rate, rate)
    return np.flatnonzero(rng.random(firms.n) < p)


def firm_phones(firms: Firms, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One phone per firm, the same in every registry: (area code or '' for a mobile, the
    subscriber number)."""
    city = firms.column("city")
    area = _arr([AREA_CODES.get(c, "") for c in city])
    mobile = (area == "") | (rng.random(firms.n) < 0.25)
    area[mobile] = ""
    land = rng.integers(5, 9, firms.n) * 10_000_000 + rng.integers(0, 10_000_000, firms.n)
    cell = rng.choice([130, 133, 135, 138, 139, 150, 158, 186], firms.n) * 10**8 + rng.integers(
        0, 10**8, firms.n
    )
    number = np.where(mobile, zero_pad(cell, 11), zero_pad(land, 8))
    return area, number


def format_phones(area: np.ndarray, number: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Phones in the habit ``style`` picks (0 national ``0512-68123456``, 1 bracketed, 2 with
    spaces, 3 international ``+86 512 6812 3456``, 4 run together ``8651268123456``)."""
    out = np.empty(len(area), dtype=_O)
    for i, (a, s, k) in enumerate(zip(area, number, style, strict=True)):
        if not a:  # mobile
            groups = f"{s[:3]} {s[3:7]} {s[7:]}"
            out[i] = (s, groups, f"{s[:3]}-{s[3:7]}-{s[7:]}", f"+86 {groups}", f"86{s}")[k]
        else:
            out[i] = (
                f"{a}-{s}", f"({a}){s}", f"{a} {s[:4]} {s[4:]}", f"+86 {a[1:]} {s[:4]} {s[4:]}",
                f"86{a[1:]}{s}",
            )[k]  # fmt: skip
    return out


def _dates(iso: np.ndarray, fmt: str) -> np.ndarray:
    """ISO dates re-written with ``fmt``; empty or unreadable ones stay None."""
    parsed = pd.to_datetime(pd.Series(iso), format="%Y-%m-%d", errors="coerce")
    text = parsed.dt.strftime(fmt).to_numpy(dtype=_O)
    text[parsed.isna().to_numpy()] = None
    return text


def _present(values: np.ndarray) -> np.ndarray:
    """Empty strings as None (missing), so writers leave the cell empty."""
    out = values.copy()
    out[out == ""] = None
    return out


def _names(firms: Firms, rows: np.ndarray, layouts: np.ndarray) -> np.ndarray:
    region = firms.column("region")
    return _arr(
        [hanzi_name(firms.anatomy[r], k, region[r]) for r, k in zip(rows, layouts, strict=True)]
    )


def enterprise(firms: Firms, rng: np.random.Generator) -> RegistryTable:
    """The enterprise register: the source registry's own rows, as registered."""
    rows = shuffled(cover(firms, rng, 0.9, 0.9), rng)
    f = firms.frame.iloc[rows]
    uscc = f["uscc"].to_numpy(dtype=_O)
    area = _arr([u[2:8] for u in uscc])
    frame = pd.DataFrame(
        {
            "注册号": area + record_ids(rng, len(rows), "", 9),
            "企业名称": f["name"].to_numpy(dtype=_O),
            "统一社会信用代码": mistype(uscc, 0.003, rng)[0],
            "法定代表人": _present(f["representative"].to_numpy(dtype=_O)),
            "成立日期": _present(f["founded"].to_numpy(dtype=_O)),
            "企业类型": _present(f["type"].to_numpy(dtype=_O)),
            "所在城市": _present(f["city"].to_numpy(dtype=_O)),
            "住所": _present(f["address"].to_numpy(dtype=_O)),
        }
    )
    spec = RegistrySpec(
        name="enterprise",
        path="enterprise.csv",
        id="注册号",
        priority=1,
        unique=True,
        fields={
            "name": "企业名称",
            "representative": "法定代表人",
            "founded": "成立日期",
            "city": "所在城市",
            "address": "住所",
        },
        identifiers={"uscc": "统一社会信用代码"},
        formats={"founded": "%Y-%m-%d"},
        country="CN",
    )
    return RegistryTable(spec, frame, rows)


TAX_LAYOUTS = {"registered": 0.4, "no_province": 0.08, "with_province": 0.07,
               "bare_suffix": 0.12, "bracket": 0.1, "form_swap": 0.1, "no_place": 0.08}  # fmt: skip


def tax(
    firms: Firms, rng: np.random.Generator, phones: tuple[np.ndarray, np.ndarray]
) -> RegistryTable:
    """The tax register: legacy tax numbers, name variants, slips of the ear and the hand."""
    rows = shuffled(cover(firms, rng, 0.75, 0.6), rng)
    n = len(rows)
    f = firms.frame.iloc[rows]
    uscc = f["uscc"].to_numpy(dtype=_O)
    legacy = draw(rng, n, 0.7)
    tax_no = np.where(legacy, _arr([u[2:8] + u[8:17] for u in uscc]), uscc)
    names = _names(firms, rows, draw_layouts(rng, n, TAX_LAYOUTS))
    trades = _arr([firms.anatomy[r].trade for r in rows])
    names = homophones(names, trades, 0.02, rng, homophone_table(firms.column("name")))
    names = full_width(typos(names, 0.01, rng), 0.5, rng)
    address = f["address"].to_numpy(dtype=_O).copy()
    province = f["region"].to_numpy(dtype=_O)
    add = draw(rng, n, 0.3) & np.array(
        [not a.startswith(p) for a, p in zip(address, province, strict=True)]
    )
    address[add] = province[add] + "省" + address[add]
    area, number = phones
    frame = pd.DataFrame(
        {
            "档案编号": record_ids(rng, n, "SW", 10),
            "纳税人名称": names,
            "纳税人识别号": blank(mistype(tax_no, 0.01, rng)[0], 0.03, rng),
            "注册地址": blank(_present(address), 0.05, rng),
            "联系电话": blank(
                format_phones(area[rows], number[rows], rng.integers(0, 5, n)), 0.4, rng
            ),
            "法人代表": blank(_present(f["representative"].to_numpy(dtype=_O)), 0.15, rng),
            "登记日期": _dates(f["founded"].to_numpy(dtype=_O), "%Y年%m月%d日"),
        }
    )
    return RegistryTable(tax_register_spec("tax", priority=3, country="CN"), frame, rows)


def customs(
    firms: Firms, rng: np.random.Generator, phones: tuple[np.ndarray, np.ndarray]
) -> RegistryTable:
    """The customs register in Latin script: agencies' renderings, English addresses."""
    rows = shuffled(cover(firms, rng, 0.38, 0.12), rng)
    n = len(rows)
    f = firms.frame.iloc[rows]
    gaz = firms.gazetteer
    names = _arr([latin_name(firms.anatomy[r], rng) for r in rows])
    addresses = _arr([latin_address(a, gaz, rng) if a else None for a in f["address"]])
    uscc = f["uscc"].to_numpy(dtype=_O)
    area, number = phones
    frame = pd.DataFrame(
        {
            "customs_code": _arr([u[2:6] for u in uscc]) + record_ids(rng, n, "", 6),
            "company_name": typos(names, 0.01, rng),
            "credit_code": blank(mistype(uscc, 0.01, rng)[0], 0.1, rng),
            "address": blank(addresses, 0.1, rng),
            "tel": blank(format_phones(area[rows], number[rows], rng.integers(3, 5, n)), 0.6, rng),
        }
    )
    spec = RegistrySpec(
        name="customs",
        path="customs.csv",
        id="customs_code",
        priority=4,
        unique=True,
        fields={"name": "company_name", "address": "address", "phone": "tel"},
        identifiers={"uscc": "credit_code"},
        delimiter=";",
        country="CN",
    )
    return RegistryTable(spec, frame, rows)


COURT_LAYOUTS = {"registered": 0.5, "short": 0.2, "no_place": 0.15, "bare_suffix": 0.15}


def court(firms: Firms, rng: np.random.Generator) -> RegistryTable:
    """Parties of judgments, one row per case, named as judgments write them."""
    listed = cover(firms, rng, 0.15, 0.1)
    rows = shuffled(np.repeat(listed, rng.geometric(0.55, len(listed))), rng)
    n = len(rows)
    f = firms.frame.iloc[rows]
    names = typos(_names(firms, rows, draw_layouts(rng, n, COURT_LAYOUTS)), 0.01, rng)
    admin = _arr([u[2:8] for u in f["uscc"]])
    year = 2014 + rng.integers(0, 10, n)
    case_no = _arr([
        f"({y}){PROVINCE_ABBR.get(a[:2], '苏')}{a[2:]}民初{k}号"
        for y, a, k in zip(year, admin, rng.integers(1, 30000, n), strict=True)
    ])  # fmt: skip
    judged = pd.to_datetime(year.astype(str), format="%Y") + pd.to_timedelta(
        rng.integers(0, 365, n), unit="D"
    )
    hexid = rng.integers(0, 2**63, (n, 2))
    frame = pd.DataFrame(
        {
            "文书ID": _arr([f"{a:016x}{b:016x}" for a, b in hexid]),
            "案号": case_no,
            "当事人": names,
            "法定代表人": blank(_present(f["representative"].to_numpy(dtype=_O)), 0.3, rng),
            "住所地": blank(_present(f["address"].to_numpy(dtype=_O)), 0.5, rng),
            "裁判日期": judged.strftime("%Y-%m-%d").to_numpy(dtype=_O),
        }
    )
    spec = RegistrySpec(
        name="court",
        path="court.csv",
        id="文书ID",
        priority=5,
        unique=False,
        fields={"name": "当事人", "representative": "法定代表人", "address": "住所地"},
        country="CN",
    )
    return RegistryTable(spec, frame, rows)


SUPPLIER_LAYOUTS = {"registered": 0.45, "bare_suffix": 0.2, "no_place": 0.15, "bracket": 0.1,
                    "short": 0.1}  # fmt: skip


def suppliers(
    firms: Firms, rng: np.random.Generator, phones: tuple[np.ndarray, np.ndarray]
) -> RegistryTable:
    """A supplier list: hanzi or English names, phones, addresses, a few firms twice."""
    listed = cover(firms, rng, 0.3, 0.2)
    rows = shuffled(np.concatenate([listed, listed[draw(rng, len(listed), 0.04)]]), rng)
    n = len(rows)
    f = firms.frame.iloc[rows]
    latin = draw(rng, n, 0.45)
    names = _names(firms, rows, draw_layouts(rng, n, SUPPLIER_LAYOUTS))
    names[latin] = _arr([latin_name(firms.anatomy[r], rng) for r in rows[latin]])
    addresses = f["address"].to_numpy(dtype=_O).copy()
    addresses[latin] = _arr(
        [latin_address(a, firms.gazetteer, rng) if a else "" for a in addresses[latin]]
    )
    area, number = phones
    frame = pd.DataFrame(
        {
            "supplier_no": record_ids(rng, n, "V", 7),
            "supplier_name": typos(names, 0.01, rng),
            "address": blank(_present(addresses), 0.15, rng),
            "phone": blank(
                format_phones(area[rows], number[rows], rng.integers(0, 5, n)), 0.2, rng
            ),
        }
    )
    spec = RegistrySpec(
        name="suppliers",
        path="suppliers.jsonl",
        id="supplier_no",
        priority=6,
        unique=False,
        fields={"name": "supplier_name", "address": "address", "phone": "phone"},
        country="CN",
    )
    return RegistryTable(spec, frame, rows)
