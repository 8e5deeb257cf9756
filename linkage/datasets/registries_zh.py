"""Hanzi-script registry profiles: the national enterprise register, a legacy tax register, a
court judgement list (one row per case) and a traditional-character filing register."""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage.datasets import pools
from linkage.datasets import render as r
from linkage.datasets.entities import Entities
from linkage.datasets.identifiers import mistype
from linkage.datasets.noise import Noise, blank, typos
from linkage.datasets.registry import (
    RegistrySpec,
    RegistryTable,
    draw,
    record_ids,
    select,
    shuffled,
    variants,
)

_CN_STATUS = np.array(pools.CN_STATUS, dtype=object)
_DAY_2019 = int(np.datetime64("2019-01-01", "D").astype(np.int64))
_DAY_2015_10 = int(np.datetime64("2015-10-01", "D").astype(np.int64))
_PROVINCE_ABBR = {
    "11": "京",
    "12": "津",
    "31": "沪",
    "50": "渝",
    "44": "粤",
    "33": "浙",
    "32": "苏",
    "42": "鄂",
    "51": "川",
    "61": "陕",
    "35": "闽",
    "37": "鲁",
    "43": "湘",
    "41": "豫",
    "21": "辽",
    "34": "皖",
    "53": "云",
}


def enterprise(ents: Entities, rng: np.random.Generator, noise: Noise) -> RegistryTable:
    """National enterprise credit register (SAMR): current names, USCC, authoritative but typed."""
    rows = shuffled(select(ents, rng, cn=0.92, foreign=0.0, branch=0.9), rng)
    e, n = ents.take(rows), len(rows)
    name = r.zh_names(e, variants(rng, n, 0, noise.variant * 0.3, (1,)), np.zeros(n, bool))
    frame = pd.DataFrame(
        {
            "reg_no": e["admin"].astype(str).astype(object) + record_ids(rng, n, "", 9),
            "企业名称": typos(name, noise.typo * 0.5, rng),
            "统一社会信用代码": mistype(e["uscc"], noise.id_mistype, rng)[0],
            "法定代表人": blank(e["rep_zh"], noise.missing * 0.5, rng),
            "成立日期": r.dates(e["founded"], "%Y-%m-%d"),
            "住所": typos(r.zh_addresses(e, np.zeros(n, bool), draw(rng, n, 0.8)), noise.typo, rng),
            "登记状态": _CN_STATUS[e["status"]],
        }
    )
    spec = RegistrySpec(
        name="enterprise",
        path="enterprise.csv",
        id="reg_no",
        priority=1,
        unique=True,
        fields={
            "name": "企业名称",
            "address": "住所",
            "representative": "法定代表人",
            "founded": "成立日期",
            "status": "登记状态",
        },
        identifiers={"uscc": "统一社会信用代码"},
        formats={"founded": "%Y-%m-%d"},
    )
    return RegistryTable(spec, frame, rows)


def tax_legacy(ents: Entities, rng: np.random.Generator, noise: Noise) -> RegistryTable:
    """A provincial tax register frozen in 2018, in GB18030: old names, old addresses, and the
    15-character tax number (admin code + organisation code) of firms registered before the USCC.
    """
    old_enough = ents.cols["founded"] < _DAY_2019
    rows = shuffled(select(ents, rng, cn=0.65, foreign=0.0, branch=0.5, allow=old_enough), rng)
    e, n = ents.take(rows), len(rows)
    old_name = e["renamed"] & draw(rng, n, 0.85)
    moved = e["moved"] & draw(rng, n, 0.8)
    name = r.zh_names(e, variants(rng, n, 1, noise.variant + 0.3, (0, 2, 3)), old_name)
    legacy = (e["founded"] < _DAY_2015_10) & draw(rng, n, 0.85)
    admin = e["admin"].astype(str).astype(object)
    tax_no = np.where(legacy, admin + e["org"], e["uscc"])
    frame = pd.DataFrame(
        {
            "档案编号": record_ids(rng, n, "SW", 10),
            "纳税人名称": typos(name, noise.typo, rng),
            "纳税人识别号": blank(
                mistype(tax_no, noise.id_mistype, rng)[0], noise.missing * 0.3, rng
            ),
            "注册地址": blank(
                typos(r.zh_addresses(e, moved, np.zeros(n, bool)), noise.typo, rng),
                noise.missing,
                rng,
            ),
            "联系电话": blank(r.phones(e, rng.integers(0, 4, n)), noise.missing * 2, rng),
            "法人代表": blank(e["rep_zh"], noise.missing, rng),
            "登记日期": r.dates(e["founded"], "%Y年%m月%d日"),
        }
    )
    return RegistryTable(tax_register_spec("tax_legacy", priority=4), frame, rows)


def tax_register_spec(name: str, *, priority: int, country: str | None = None) -> RegistrySpec:
    """The layout of a provincial tax register (``{name}.csv`` in GB18030): taxpayer name,
    registered address, phone, legal representative, registration date (``%Y年%m月%d日``) and
    the taxpayer number."""
    return RegistrySpec(
        name=name,
        path=f"{name}.csv",
        id="档案编号",
        priority=priority,
        unique=True,
        fields={
            "name": "纳税人名称",
            "address": "注册地址",
            "phone": "联系电话",
            "representative": "法人代表",
            "founded": "登记日期",
        },
        identifiers={"cn_tax": "纳税人识别号"},
        formats={"founded": "%Y年%m月%d日"},
        encoding="gb18030",
        country=country,
    )


def court_cases(ents: Entities, rng: np.random.Generator, noise: Noise) -> RegistryTable:
    """Court judgement list: one row per case, so a firm appears as often as it was sued;
    parties named loosely (short names, old names), organisation codes with or without hyphen."""
    firms = select(ents, rng, cn=0.12, foreign=0.0, branch=0.1)
    cases = rng.geometric(0.45, len(firms))
    rows = shuffled(np.repeat(firms, cases), rng)
    e, n = ents.take(rows), len(rows)
    old_name = e["renamed"] & draw(rng, n, 0.5)
    name = r.zh_names(e, variants(rng, n, 0, noise.variant + 0.2, (1, 4, 5)), old_name)
    org = mistype(e["org"], noise.id_mistype, rng)[0]
    hyphen = draw(rng, n, 0.6)
    org[hyphen] = np.array([o[:8] + "-" + o[8:] for o in org[hyphen]], dtype=object)
    year = 2014 + rng.integers(0, 10, n)
    admin = e["admin"].astype(str)
    abbr = np.array([_PROVINCE_ABBR[a[:2]] for a in admin], dtype=object)
    case_no = (
        "("
        + year.astype(str).astype(object)
        + ")"
        + abbr
        + np.array([a[2:] for a in admin], dtype=object)
        + "民初"
        + rng.integers(1, 30000, n).astype(str).astype(object)
        + "号"
    )
    judged = ((year - 1970) * 365.25 + rng.integers(0, 365, n)).astype(np.int64)  # days
    hexid = rng.integers(0, 2**63, (n, 2))
    frame = pd.DataFrame(
        {
            "文书ID": np.array([f"{a:016x}{b:016x}" for a, b in hexid], dtype=object),
            "案号": case_no,
            "当事人": typos(name, noise.typo, rng),
            "组织机构代码": blank(org, noise.missing + 0.15, rng),
            "住所地": blank(
                r.zh_addresses(e, e["moved"] & draw(rng, n, 0.5), draw(rng, n, 0.5)),
                noise.missing + 0.1,
                rng,
            ),
            "法定代表人": blank(e["rep_zh"], noise.missing + 0.25, rng),
            "裁判日期": r.dates(judged, "%Y-%m-%d"),
        }
    )
    spec = RegistrySpec(
        name="court_cases",
        path="court_cases.csv",
        id="文书ID",
        priority=7,
        unique=False,
        fields={"name": "当事人", "address": "住所地", "representative": "法定代表人"},
        identifiers={"cn_org": "组织机构代码"},
    )
    return RegistryTable(spec, frame, rows)


def hk_filings(ents: Entities, rng: np.random.Generator, noise: Noise) -> RegistryTable:
    """Register of non-local companies (Hong Kong style): traditional characters for Chinese
    firms, English for foreign ones, an English name column beside, no identifiers."""
    rows = shuffled(select(ents, rng, cn=0.12, foreign=0.15, branch=0.05), rng)
    e, n = ents.take(rows), len(rows)
    foreign = e["country"] >= 0
    none = np.zeros(n, bool)
    zh = r.zh_names(e, variants(rng, n, 0, noise.variant, (1, 2)), none)
    en = r.en_names(e, variants(rng, n, 0, noise.variant, (1, 3)), none, rng)
    name = en.copy()
    name[~foreign] = r.to_traditional(zh[~foreign])
    addr = r.en_addresses(e, none, draw(rng, n, 0.3))
    addr[~foreign] = r.to_traditional(
        r.zh_addresses(
            ents.take(rows[~foreign]), none[~foreign], draw(rng, int((~foreign).sum()), 0.7)
        )
    )
    frame = pd.DataFrame(
        {
            "company_no": record_ids(rng, n, "F", 7),
            "公司名稱": typos(name, noise.typo, rng),
            "英文名稱": np.where(foreign, np.array(None, dtype=object), blank(en, 0.3, rng)),
            "註冊地址": blank(addr, noise.missing, rng),
            "成立日期": r.dates(e["founded"], "%Y/%m/%d"),
            "狀態": np.where(e["status"] >= 2, "已告解散", "仍註冊").astype(object),
        }
    )
    spec = RegistrySpec(
        name="hk_filings",
        path="hk_filings.parquet",
        id="company_no",
        priority=3,
        unique=True,
        fields={"name": "公司名稱", "address": "註冊地址", "founded": "成立日期", "status": "狀態"},
        formats={"founded": "%Y/%m/%d"},
    )
    return RegistryTable(spec, frame, rows)
