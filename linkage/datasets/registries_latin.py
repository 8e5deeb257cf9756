"""Latin-script (and mixed) registry profiles: the LEI register, a business directory with
duplicate listings, a customs register with capped upper-case names, and a VAT register."""

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
    with_duplicates,
)

_CITY_PY = np.array([c[1] for c in pools.CN_CITIES], dtype=object)
_CITY_ZH = np.array([c[0] for c in pools.CN_CITIES], dtype=object)
_TOWNS = np.array([[t[0] for t in c["cities"]] for c in pools.COUNTRIES], dtype=object)
_ISO = np.array(["CN"] + [c["code"] for c in pools.COUNTRIES], dtype=object)
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_NONE = np.array(None, dtype=object)  # a missing value for np.where


def _town(e: dict[str, np.ndarray]) -> np.ndarray:
    """City of the seat in Latin script."""
    city = np.clip(e["city"], 0, None)
    return np.where(
        e["country"] >= 0, _TOWNS[np.clip(e["country"], 0, None), city % 5], _CITY_PY[city]
    )


def gleif(ents: Entities, rng: np.random.Generator, noise: Noise) -> RegistryTable:
    """LEI register (GLEIF golden-copy columns): valid LEIs, legal names in English or hanzi,
    the USCC as registration-authority id of Chinese firms."""
    rows = shuffled(select(ents, rng, cn=0.2, foreign=0.7, branch=0.03), rng)
    e, n = ents.take(rows), len(rows)
    none = np.zeros(n, bool)
    cn = e["country"] < 0
    name = r.en_names(e, variants(rng, n, 0, noise.variant * 0.5, (1, 3)), none, rng)
    hanzi = cn & draw(rng, n, 0.35)
    name[hanzi] = r.zh_names(ents.take(rows[hanzi]), np.zeros(int(hanzi.sum()), int), none[hanzi])
    inactive = np.where(cn, e["status"] >= 2, e["status"] > 0)
    frame = pd.DataFrame(
        {
            "LEI": e["lei"],
            "Entity.LegalName": name,
            "Entity.LegalAddress.FirstAddressLine": r.en_addresses(e, none, draw(rng, n, 0.3)),
            "Entity.LegalAddress.City": _town(e),
            "Entity.LegalAddress.PostalCode": blank(e["postcode"], noise.missing, rng),
            "Entity.LegalAddress.Country": _ISO[e["country"] + 1],
            "Entity.EntityStatus": np.where(inactive, "INACTIVE", "ACTIVE").astype(object),
            "Entity.RegistrationAuthorityEntityID": mistype(e["uscc"], noise.id_mistype, rng)[0],
            "Entity.EntityCreationDate": r.dates(e["founded"], "%Y-%m-%dT%H:%M:%SZ"),
        }
    )
    spec = RegistrySpec(
        name="gleif",
        path="gleif.parquet",
        id="LEI",
        priority=2,
        unique=True,
        fields={
            "name": "Entity.LegalName",
            "address": "Entity.LegalAddress.FirstAddressLine",
            "city": "Entity.LegalAddress.City",
            "postcode": "Entity.LegalAddress.PostalCode",
            "country": "Entity.LegalAddress.Country",
            "status": "Entity.EntityStatus",
            "founded": "Entity.EntityCreationDate",
        },
        identifiers={"lei": "LEI", "uscc": "Entity.RegistrationAuthorityEntityID"},
        formats={"founded": "%Y-%m-%dT%H:%M:%SZ"},
    )
    return RegistryTable(spec, frame, rows)


def trade_directory(ents: Entities, rng: np.random.Generator, noise: Noise) -> RegistryTable:
    """B2B directory, mixed script: Chinese firms listed in hanzi or English, short names,
    abbreviations, casing habits, contact data, and the same firm listed more than once."""
    firms = select(ents, rng, cn=0.35, foreign=0.5, branch=0.3)
    rows = shuffled(with_duplicates(firms, noise.duplicate + 0.03, rng), rng)
    e, n = ents.take(rows), len(rows)
    cn = e["country"] < 0
    old = e["renamed"] & draw(rng, n, 0.3)
    hanzi = cn & draw(rng, n, 0.4)
    name = r.en_names(e, variants(rng, n, 0, noise.variant + 0.2, (1, 2, 3, 4)), old, rng)
    name = r.restyle_latin(name, np.where(draw(rng, n, 0.15), rng.integers(1, 4, n), 0))
    name[hanzi] = r.zh_names(
        ents.take(rows[hanzi]),
        variants(rng, int(hanzi.sum()), 0, noise.variant + 0.2, (1, 2, 4, 5)),
        old[hanzi],
    )
    moved = e["moved"] & draw(rng, n, 0.3)
    addr = r.en_addresses(e, moved, draw(rng, n, 0.5))
    addr[hanzi] = r.zh_addresses(
        ents.take(rows[hanzi]), moved[hanzi], draw(rng, int(hanzi.sum()), 0.3)
    )
    city = _town(e)
    city[hanzi] = _CITY_ZH[e["city"][hanzi]]
    domain = e["domain"]
    has = np.array([d is not None for d in domain])
    local = np.array(["info@", "sales@", "contact@"], dtype=object)[rng.integers(0, 3, n)]
    email = np.where(has, local + np.where(has, domain, ""), _NONE)
    site = np.where(draw(rng, n, 0.5), "www.", "http://www.") + np.where(has, domain, "")
    frame = pd.DataFrame(
        {
            "listing_id": record_ids(rng, n, "L", 9),
            "company": typos(name, noise.typo, rng),
            "address": blank(typos(addr, noise.typo, rng), noise.missing, rng),
            "city": blank(city, noise.missing, rng),
            "tel": blank(r.phones(e, rng.integers(0, 4, n)), noise.missing * 2, rng),
            "email": blank(email, noise.missing * 2, rng),
            "website": np.where(has, site, _NONE),
            "year_founded": blank(r.dates(e["founded"], "%Y"), noise.missing * 2, rng),
        }
    )
    spec = RegistrySpec(
        name="trade_directory",
        path="trade_directory.jsonl",
        id="listing_id",
        priority=5,
        unique=False,
        fields={
            "name": "company",
            "address": "address",
            "city": "city",
            "phone": "tel",
            "email": "email",
            "website": "website",
            "founded": "year_founded",
        },
        formats={"founded": "%Y"},
    )
    return RegistryTable(spec, frame, rows)


def customs(ents: Entities, rng: np.random.Generator, noise: Noise) -> RegistryTable:
    """Customs trader register: upper-case names without punctuation, capped at 30 characters,
    a registration number that is a USCC or a VAT number, an optional LEI, `;`-separated."""
    rows = shuffled(select(ents, rng, cn=0.3, foreign=0.3, branch=0.1), rng)
    e, n = ents.take(rows), len(rows)
    none = np.zeros(n, bool)
    name = r.en_names(e, variants(rng, n, 0, noise.variant, (1, 2, 3, 4)), none, rng)
    name = typos(name, noise.typo, rng)  # typed first, then the system upper-cases and cuts
    name = r.truncate(r.restyle_latin(name, np.where(draw(rng, n, 0.8), 2, 1)), 30)
    reg = np.where(e["country"] < 0, e["uscc"], e["vat"])
    addr = r.en_addresses(e, none, draw(rng, n, 0.7))
    lei = np.where(draw(rng, n, 0.4), e["lei"], _NONE)
    frame = pd.DataFrame(
        {
            "decl_code": record_ids(rng, n, "", 10),
            "company_name": name,
            "reg_no": blank(mistype(reg, noise.id_mistype, rng)[0], noise.missing, rng),
            "lei": mistype(lei, noise.id_mistype, rng, _LETTERS)[0],
            "addr": blank(np.array([a.upper() for a in addr], dtype=object), noise.missing, rng),
            "tel": blank(r.phones(e, np.where(draw(rng, n, 0.6), 3, 2)), noise.missing, rng),
            "reg_date": r.dates(e["founded"], "%d/%m/%Y"),
        }
    )
    spec = RegistrySpec(
        name="customs",
        path="customs.csv",
        id="decl_code",
        priority=6,
        unique=True,
        fields={"name": "company_name", "address": "addr", "phone": "tel", "founded": "reg_date"},
        identifiers={"auto": "reg_no", "lei": "lei"},
        formats={"founded": "%d/%m/%Y"},
        delimiter=";",
    )
    return RegistryTable(spec, frame, rows)


def eu_vat(ents: Entities, rng: np.random.Generator, noise: Noise) -> RegistryTable:
    """VAT register of EU/UK traders (VIES-like): names often upper case, multi-line addresses."""
    eu = np.isin(ents.cols["country"], [0, 1, 2, 3])
    rows = shuffled(select(ents, rng, cn=0.0, foreign=0.75, allow=eu), rng)
    e, n = ents.take(rows), len(rows)
    none = np.zeros(n, bool)
    name = r.en_names(e, variants(rng, n, 0, noise.variant, (2, 3)), none, rng)
    name = r.restyle_latin(name, np.where(draw(rng, n, 0.5), 1, 0))
    addr = r.en_addresses(e, e["moved"] & draw(rng, n, 0.3), none)
    lines = draw(rng, n, 0.3)
    addr[lines] = np.array([a.replace(", ", "\n", 1) for a in addr[lines]], dtype=object)
    frame = pd.DataFrame(
        {
            "trader_id": record_ids(rng, n, "T", 9),
            "vat_number": mistype(e["vat"], noise.id_mistype, rng)[0],
            "name": typos(name, noise.typo, rng),
            "address": blank(addr, noise.missing, rng),
            "country_code": _ISO[e["country"] + 1],
            "date_of_registration": r.dates(e["founded"], "%d.%m.%Y"),
        }
    )
    spec = RegistrySpec(
        name="eu_vat",
        path="eu_vat.csv",
        id="trader_id",
        priority=8,
        unique=True,
        fields={
            "name": "name",
            "address": "address",
            "country": "country_code",
            "founded": "date_of_registration",
        },
        identifiers={"vat": "vat_number"},
        formats={"founded": "%d.%m.%Y"},
    )
    return RegistryTable(spec, frame, rows)
