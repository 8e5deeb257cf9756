"""How well the name parse reads real Chinese names and agencies' Latin renderings of them.

Usage: ``python benchmarks/name_parts_real.py [--data ../shared/data] [--firms 3000]``

1. On the real Jiangsu registry (52,969 names): the share of organisations whose trade name is
   found, of names whose place is pinned to one gazetteer place, of names with industry words,
   of sub-units recognised after a branch word or after a complete organisation name, and the
   share of sibling sub-units of one parent that share a unit key and a compatible place.
2. On registries built from real firms (``linkage.datasets.generate_from_registry``): for each
   firm's registered name and its customs rendering in Latin script, the share of pairs whose
   ``name_core`` are equal, whose ``name_generic`` hold one another, whose place paths are
   compatible, whose ``is_branch`` and ``name_unit`` agree.

Only shares are printed, no name.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd

from linkage.datasets.from_registry import generate_from_registry
from linkage.standardize import normalize_name
from linkage.standardize.anatomy_checks import (
    BRANCH_WORD,
    COMPLETE_THEN_UNIT,
    paths_compatible,
    sibling_clashes,
)


def _share(flags: list[bool]) -> str:
    return f"{sum(flags) / len(flags):.3f} ({sum(flags):,}/{len(flags):,})"


def _holds(a: str | None, b: str | None) -> bool:
    left, right = set((a or "").split()), set((b or "").split())
    return left <= right or right <= left


def registry_quality(registry: Path) -> None:
    """Print the parse-quality shares on the real registry."""
    names = pd.read_csv(registry, dtype=str, usecols=["name"])["name"].dropna().unique()
    parsed = [normalize_name(n) for n in names]
    organisations = [p for p in parsed if not p.is_branch]
    print(f"registry names: {len(parsed):,}, sub-units {sum(p.is_branch for p in parsed):,}")
    print(
        "  trade name found (organisations):", _share([p.core is not None for p in organisations])
    )
    print("  place pinned:", _share([p.place_path is not None for p in parsed]))
    print("  industry words:", _share([p.generic is not None for p in parsed]))
    print(
        "  units after a branch word:",
        _share([p.is_branch for p in parsed if BRANCH_WORD.search(p.original)]),
    )
    print(
        "  units after a complete organisation:",
        _share([p.is_branch for p in parsed if COMPLETE_THEN_UNIT.search(p.original)]),
    )
    clashes, pairs = sibling_clashes(parsed)
    print(f"  sibling sub-unit pairs with one key and a compatible place: {clashes:,}/{pairs:,}")


def cross_script(registry: Path, firms: int) -> None:
    """Print the agreement of registered names and their customs renderings."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        generate_from_registry(registry, out, firms=firms, seed=0)
        truth = pd.read_csv(out / "truth.csv", dtype=str)
        enterprise = pd.read_csv(out / "enterprise.csv", dtype=str)
        customs = pd.read_csv(out / "customs.csv", dtype=str, sep=";")
    entity = truth.set_index(["source", "record_id"])["entity_id"]
    left = dict(
        zip(
            [entity.get(("enterprise", r)) for r in enterprise.iloc[:, 0]],
            enterprise.iloc[:, 1],
            strict=True,
        )
    )
    pairs = [
        (normalize_name(left[e]), normalize_name(name))
        for e, name in zip(
            [entity.get(("customs", r)) for r in customs.iloc[:, 0]],
            customs.iloc[:, 1],
            strict=True,
        )
        if e in left and isinstance(name, str)
    ]
    print(f"registered name and customs rendering, {len(pairs):,} pairs ({firms:,} firms):")
    print("  name_core equal:", _share([a.core == b.core for a, b in pairs]))
    print(
        "  name_generic hold one another:", _share([_holds(a.generic, b.generic) for a, b in pairs])
    )
    print(
        "  places compatible:",
        _share([paths_compatible(a.place_path, b.place_path) for a, b in pairs]),
    )
    print("  is_branch equal:", _share([a.is_branch == b.is_branch for a, b in pairs]))
    print("  name_unit equal:", _share([a.unit_key == b.unit_key for a, b in pairs]))


def main() -> None:
    """Print both measures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data"
    )
    parser.add_argument("--firms", type=int, default=3000)
    args = parser.parse_args()
    registry = args.data / "cn_enterprise_registry_jiangsu" / "registry.csv"
    registry_quality(registry)
    cross_script(registry, args.firms)


if __name__ == "__main__":
    main()
