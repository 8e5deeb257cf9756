"""Speed of the matching core: compare + score throughput and end-to-end runs.

Usage: python benchmarks/matching_speed.py [--entities N ...] [--repeat R]
Prints, per generated data set (medium difficulty, 4 registries, seed 1): records, candidate
pairs, end-to-end seconds and peak RSS of the run, then compare+score pairs/s with the automatic
comparisons and with the first six of them (``--comparisons``), each next to raw
rapidfuzz.process.cpdist Jaro-Winkler pairs/s on the same pairs' names measured in the same
loop (the anchor: how fast the similarity kernel alone is on this machine right now).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from linkage.blocking import candidate_pairs, rules_for
from linkage.compare import compare_pairs, comparisons_for, prepare_all
from linkage.config import load_config
from linkage.datasets import generate
from linkage.pipeline import Linker
from linkage.scoring import fit_model, score_pairs
from linkage.sources import read_sources
from linkage.standardize.features import build_features


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, nargs="+", default=[10_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--comparisons",
        type=int,
        nargs="+",
        default=[0, 6],
        help="how many of the automatic comparisons to time (0 = all)",
    )
    parser.add_argument("--no-end-to-end", action="store_true", help="skip the full runs")
    args = parser.parse_args()
    for entities in args.entities:
        out = Path(tempfile.mkdtemp(prefix=f"speed{entities}_"))
        data = generate(out / "data", entities=entities, registries=4, seed=1, difficulty="medium")
        config = load_config(data.config_path)
        runs = []
        for _ in range(0 if args.no_end_to_end else args.repeat):
            started = time.perf_counter()
            result = Linker(config).run(out / "run")
            runs.append(time.perf_counter() - started)
        if runs:
            timings = result.manifest["timings_seconds"]
            print(
                f"{entities:,} entities: {len(result.features):,} records, "
                f"{len(result.pairs):,} candidate pairs; end to end median "
                f"{statistics.median(runs):.2f}s of {[round(r, 2) for r in runs]} "
                f"(stages of last run {timings}); peak RSS {peak_rss_gb():.2f} GB",
                flush=True,
            )
        records, _ = read_sources(config)
        features = build_features(records)
        unique = {s.name for s in config.sources if s.unique}
        pairs, _ = candidate_pairs(
            features,
            rules_for(config, features),
            unique_sources=unique,
            max_block_size=config.matching.max_block_size,
        )
        names = features["name_latin"].fillna("").to_numpy(dtype=object)
        a, b = names[pairs["idx_l"].to_numpy()], names[pairs["idx_r"].to_numpy()]
        automatic = comparisons_for(config, features)
        for count in args.comparisons:
            comparisons = automatic[:count] if count else automatic
            prepared = prepare_all(comparisons, features)
            compared = compare_pairs(features, pairs, comparisons, prepared=prepared)
            model = fit_model(config, features, compared, comparisons, unique, None, prepared)
            warm, cold, raw = [], [], []
            for _ in range(args.repeat):
                started = time.perf_counter()
                score_pairs(compare_pairs(features, pairs, comparisons, prepared=prepared), model)
                warm.append(len(pairs) / (time.perf_counter() - started))
                # with the per-record preparation (once per run) included
                started = time.perf_counter()
                score_pairs(compare_pairs(features, pairs, comparisons), model)
                cold.append(len(pairs) / (time.perf_counter() - started))
                started = time.perf_counter()
                process.cpdist(a, b, scorer=JaroWinkler.normalized_similarity, workers=-1)
                raw.append(len(pairs) / (time.perf_counter() - started))
            print(
                f"  compare+score of {len(pairs):,} pairs with {len(comparisons)} comparisons "
                f"({', '.join(c.name for c in comparisons)}): median "
                f"{statistics.median(warm):,.0f} pairs/s with records prepared, "
                f"{statistics.median(cold):,.0f} pairs/s including the preparation of "
                f"{len(features):,} records; raw cpdist Jaro-Winkler on name_latin in the same "
                f"loop: median {statistics.median(raw):,.0f} pairs/s",
                flush=True,
            )


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
