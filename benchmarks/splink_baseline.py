"""Splink baseline on the Chicago early-childhood dedupe set, configured the way Splink's own
documentation shows a user (DuckDB backend, its comparison library, u by random sampling, m by
EM over training blocking rules, predict, cluster at a threshold), evaluated with linkage's
metrics on the same records and truth as ``benchmarks/matching_accuracy.py chicago``.

Usage: python benchmarks/splink_baseline.py [--threshold 0.9]

Needs the ``bench`` extra (``pip install splink``). Nothing here is tuned on the labels: the
settings follow Splink's dedupe tutorial (name/address Jaro-Winkler with term frequencies,
exact postcode/phone/e-mail, blocking on name, postcode and phone) and the cluster threshold is
the tutorials' 0.95 unless given.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matching_accuracy import chicago

from linkage.evaluation import evaluate_memberships


def _clean(series: pd.Series) -> pd.Series:
    """Lower case, punctuation to spaces, single spaces (Splink's tutorials' light cleaning)."""
    text = series.astype("string").str.lower().str.replace(r"[^\w\s]", " ", regex=True)
    text = text.str.split().str.join(" ")
    return text.where(text.str.len() > 0, None).astype(object)


def splink_chicago(threshold: float) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    _, frames, truth = chicago()
    raw = frames["chicago"]
    df = pd.DataFrame(
        {
            "unique_id": raw["Id"].astype(str),
            "name": _clean(raw["Site name"]),
            "address": _clean(raw["Address"]),
            "zip": _clean(raw["Zip"]),
            "phone": raw["Phone"].astype("string").str.replace(r"\D", "", regex=True),
            "director": _clean(raw["Director"]),
            "email": _clean(raw["Email Address"]),
        }
    )
    df["phone"] = df["phone"].where(df["phone"].str.len() >= 7, None).astype(object)
    started = time.perf_counter()
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.9, 0.7]).configure(
                term_frequency_adjustments=True
            ),
            cl.JaroWinklerAtThresholds("address", [0.9, 0.7]).configure(
                term_frequency_adjustments=True
            ),
            cl.ExactMatch("zip"),
            cl.ExactMatch("phone"),
            cl.JaroWinklerAtThresholds("director", [0.9, 0.7]),
            cl.EmailComparison("email"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("name"),
            block_on("zip"),
            block_on("phone"),
            block_on("substr(name, 1, 4)"),
            block_on("substr(address, 1, 6)"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    table = db_api.register(df)
    linker = Linker(table, settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("name"), block_on("phone")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("zip"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    result = clusters.as_pandas_dataframe()
    seconds = time.perf_counter() - started
    memberships = pd.DataFrame(
        {
            "source": "chicago",
            "record_id": result["unique_id"].astype(str),
            "uid": "chicago:" + result["unique_id"].astype(str),
            "entity_id": result["cluster_id"].astype(str),
        }
    )
    return memberships, truth, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threshold", type=float, default=0.95)
    args = parser.parse_args()
    import splink

    memberships, truth, seconds = splink_chicago(args.threshold)
    report = evaluate_memberships(truth, memberships)
    pw, b3 = report.pairwise, report.bcubed
    print(
        f"splink {splink.__version__} chicago (threshold {args.threshold}): records "
        f"{len(memberships):,} | pairwise P {pw.precision:.4f} R {pw.recall:.4f} F1 {pw.f1:.4f}"
        f" | B3 F1 {b3.f1:.4f} | {seconds:.1f}s"
    )


if __name__ == "__main__":
    main()
