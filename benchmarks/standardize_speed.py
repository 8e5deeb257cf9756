"""Throughput of ``build_features`` on generated company names (median of 3 runs).

Usage: ``python benchmarks/standardize_speed.py [--rows 1000000] [--distinct 0.5] [--workers 2]``

Names are built from random words, a legal form and sometimes a city, so that ``--distinct``
of the rows are distinct names (the rest repeat earlier ones, as registries overlap). Every run
starts with cold caches. Latin and Chinese names are timed separately, in process
(``workers=1``) and with ``--workers`` processes (default 2), and the two tables are checked
equal.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import pandas as pd

from linkage.standardize import (
    addresses,
    build_features,
    contacts,
    hanzi,
    identifiers,
    latin_anatomy,
    names,
    pinyin,
    place_chain,
)

WORDS = [
    "alpha",
    "beta",
    "global",
    "united",
    "pacific",
    "northern",
    "star",
    "river",
    "stone",
    "bright",
    "green",
    "blue",
    "golden",
    "royal",
    "prime",
    "summit",
    "delta",
    "apex",
    "nova",
    "orion",
    "atlas",
    "vertex",
    "zenith",
    "harbor",
    "coastal",
    "metro",
    "capital",
    "trust",
    "allied",
    "general",
    "national",
    "modern",
    "smart",
    "digital",
    "dynamic",
    "quantum",
]
INDUSTRY = [
    "Technology",
    "Trading",
    "Holdings",
    "Logistics",
    "Engineering",
    "Foods",
    "Consulting",
    "Industries",
]
FORMS = ["Ltd", "Limited", "Co., Ltd.", "Inc.", "GmbH", "S.A.", "B.V.", "LLC", "PLC", "AG", ""]
CITIES = ["", "", "", "Shenzhen ", "London ", "(Shanghai) "]
CN_TRADE = "华信宏达恒通金源瑞丰鑫盛天宇新世纪东方明珠长城海纳百川泰和安康永兴"
CN_PLACES = ["", "深圳市", "北京", "上海市", "广州", "杭州市", "(深圳)"]
CN_INDUSTRY = ["科技", "贸易", "实业", "电子", "投资", "物流", "信息技术", "食品"]
CN_FORMS = ["有限公司", "股份有限公司", "有限责任公司", "集团有限公司"]


def latin_names(count: int, rng: random.Random) -> list[str]:
    """Generate company names in Latin script."""
    return [
        f"{rng.choice(CITIES)}{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} "
        f"{rng.choice(INDUSTRY)} {rng.choice(FORMS)}".strip()
        for _ in range(count)
    ]


def chinese_names(count: int, rng: random.Random) -> list[str]:
    """Generate Chinese registered names (place + trade name + industry + form)."""
    out = []
    for _ in range(count):
        trade = "".join(rng.sample(CN_TRADE, 2))
        place = rng.choice(CN_PLACES)
        if place.startswith("("):
            out.append(f"{trade}{rng.choice(CN_INDUSTRY)}{place}{rng.choice(CN_FORMS)}")
        else:
            out.append(f"{place}{trade}{rng.choice(CN_INDUSTRY)}{rng.choice(CN_FORMS)}")
    return out


def table(pool: list[str], rows: int, rng: random.Random) -> pd.DataFrame:
    """A records table of ``rows`` names drawn from ``pool`` (all pool names appear)."""
    picks = pool + [rng.choice(pool) for _ in range(rows - len(pool))]
    rng.shuffle(picks)
    ids = [str(i) for i in range(rows)]
    return pd.DataFrame(
        {"uid": ["s:" + i for i in ids], "source": "s", "record_id": ids, "name": picks}
    )


def clear_caches() -> None:
    """Empty the per-value caches, so that every run does all the work."""
    for cached in (
        names.normalize_name,
        hanzi.romanise,
        hanzi._word_pinyin,
        latin_anatomy.analyse,
        place_chain._place_prefix,
        pinyin.is_pinyin,
        identifiers.parse_identifier,
        addresses.normalize_address,
        contacts.normalize_phone,
        contacts.registrable_domain,
    ):
        cached.cache_clear()


def measure(frame: pd.DataFrame, workers: int) -> tuple[float, pd.DataFrame]:
    """Names per second of one cold-cache ``build_features`` run, and its table."""
    clear_caches()
    start = time.perf_counter()
    features = build_features(frame, workers=workers)
    return len(frame) / (time.perf_counter() - start), features


def main() -> None:
    """Print names/s (median of 3) for Latin and Chinese names, in process and in workers."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=float, default=0.5, help="share of distinct names")
    parser.add_argument("--chinese-rows", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2, help="processes of the parallel runs")
    args = parser.parse_args()
    rng = random.Random(0)
    for label, make, rows in (
        ("latin", latin_names, args.rows),
        ("chinese", chinese_names, args.chinese_rows),
    ):
        pool = list(dict.fromkeys(make(int(rows * args.distinct * 1.3), rng)))
        pool = pool[: int(rows * args.distinct)]
        frame = table(pool, rows, rng)
        tables = {}
        for workers in (1, args.workers):
            runs = []
            for _ in range(3):
                speed, tables[workers] = measure(frame, workers)
                runs.append(speed)
            print(
                f"{label}: {rows:,} rows, {len(pool):,} distinct names, workers={workers}: "
                f"{statistics.median(runs):,.0f} names/s (median of 3; runs "
                + ", ".join(f"{r:,.0f}" for r in runs)
                + ")",
                flush=True,
            )
        pd.testing.assert_frame_equal(tables[1], tables[args.workers])


if __name__ == "__main__":
    main()
