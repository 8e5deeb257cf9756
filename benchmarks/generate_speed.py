"""Time the fragmented-registry generator: records per second at a given size.

Usage: python benchmarks/generate_speed.py --records 1000000 [--registries 4] [--out DIR]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

from linkage.datasets import generate
from linkage.datasets.generator import PROFILES

# Records per entity at each registry count, measured at seed 0, medium difficulty; used to
# pick the entity count that gives about the requested number of records.
_RECORDS_PER_ENTITY = {3: 1.36, 4: 1.79, 5: 1.96, 6: 2.26, 7: 2.38, 8: 2.56}


def main() -> None:
    """Generate once and print size, wall time, records per second and peak RSS."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--registries", type=int, default=4, choices=range(3, len(PROFILES) + 1))
    parser.add_argument("--difficulty", default="medium", choices=("easy", "medium", "hard"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="output folder (default: a temp folder)")
    args = parser.parse_args()
    entities = int(args.records / _RECORDS_PER_ENTITY[args.registries])
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        ds = generate(
            args.out or tmp,
            entities=entities,
            registries=args.registries,
            seed=args.seed,
            difficulty=args.difficulty,
        )
        wall = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"entities={entities:,} registries={args.registries} difficulty={args.difficulty} "
        f"records={ds.n_records:,} wall={wall:.1f}s records/s={ds.n_records / wall:,.0f} "
        f"peak_rss={peak_mb:,.0f}MB"
    )


if __name__ == "__main__":
    main()
