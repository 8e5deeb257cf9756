"""Mine a registry of Chinese firm names for the vocabulary the name parse needs (dev-time).

Usage: ``python benchmarks/mine_name_parts.py [REGISTRY.csv] [--top 150]``

Prints, with counts, the endings that grow ``linkage/standardize/data/subunits.csv`` and
``industry_terms.csv``:

- unit tails: the last two and three characters of what follows a complete organisation name
  inside a name (``…有限公司`` + ``古坝`` + ``支局``), the words that make sub-units;
- industry endings: the last two to four characters of what remains once the parse has taken
  the places, forms and known industry words off, the words it does not know yet.

Only counts of word endings are printed (vocabulary, which holds for other registries); no row
of the registry is written anywhere. The default registry is the Jiangsu set of
``../shared/data`` (CC BY-NC-SA: for development only).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

import pandas as pd

from linkage.standardize import normalize_name

DEFAULT = (
    Path(__file__).resolve().parents[1].parent
    / "shared/data/cn_enterprise_registry_jiangsu/registry.csv"
)
_COMPLETE = re.compile(
    r"(有限责任公司|股份有限公司|有限公司|集团公司|总公司|公司|总厂|厂|合作社|银行|集团|局)"
)


def unit_tails(names: list[str]) -> Counter[str]:
    """Endings (two and three characters) of the text after the last complete organisation."""
    counts: Counter[str] = Counter()
    for name in names:
        ends = [m.end() for m in _COMPLETE.finditer(name) if m.end() < len(name)]
        if ends:
            tail = name[ends[-1] :]
            counts.update(tail[-size:] for size in (2, 3) if len(tail) > size)
    return counts


def unknown_endings(names: list[str]) -> Counter[str]:
    """Endings of the trade names the parse found that are longer than usual (4+ characters):
    the industry words it does not know yet."""
    counts: Counter[str] = Counter()
    for name in names:
        trade = normalize_name(name).trade
        if trade and len(trade) >= 4:
            counts.update(trade[-size:] for size in (2, 3, 4) if len(trade) > size)
    return counts


def main() -> None:
    """Print the most frequent unit tails and unknown industry endings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("registry", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--column", default="name")
    parser.add_argument("--top", type=int, default=150)
    args = parser.parse_args()
    names = pd.read_csv(args.registry, dtype=str, usecols=[args.column])[args.column]
    unique = names.dropna().unique().tolist()
    for title, counts in (("unit tails", unit_tails(unique)), ("unknown", unknown_endings(unique))):
        print(f"{title}: " + " ".join(f"{w}:{n}" for w, n in counts.most_common(args.top)))


if __name__ == "__main__":
    main()
