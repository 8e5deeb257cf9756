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
import contextlib
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


def splink_records(
    records: pd.DataFrame,
    two_sources: bool,
    threshold: float = 0.95,
    max_rule_comparisons: int | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """The same documented Splink recipe on any canonical ``records`` table (the input of
    ``baselines.recordlinkage_ecm``): Jaro-Winkler on name/address/city (term frequencies on
    name and address), exact postcode and phone, e-mail, exact match on each identifier
    column; blocking on name, its first 4 letters, postcode, phone, the address's first 6 and
    each identifier; EM on name and on postcode or phone blocks. Two sources are linked
    (``link_only``), one is deduplicated.

    Args:
        records: canonical records (``uid, source, record_id`` and field columns).
        two_sources: link two sources instead of deduplicating one.
        threshold: cluster threshold on the match probability.
        max_rule_comparisons: drop a prediction blocking rule that alone makes more pairs
            than this (counted exactly by Splink's blocking analysis), so that one crowded
            rule (the first 4 characters of 53k names of one province) cannot run for an hour.

    Returns:
        The memberships and the blocking rules dropped by the cap (as Splink prints them).
    """
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    logging.getLogger("splink").setLevel(logging.ERROR)
    frame = records.reset_index(drop=True)
    df = pd.DataFrame({"unique_id": frame["uid"].astype(str)})
    if two_sources:
        df["source_dataset"] = frame["source"].astype(str).to_numpy()

    def has(column: str) -> bool:
        return column in df and df[column].notna().any()

    for column in ("name", "address", "city", "postcode", "email"):
        if column in frame:
            df[column] = _clean(frame[column]).to_numpy()
    if "phone" in frame:
        digits = frame["phone"].astype("string").str.replace(r"\D", "", regex=True)
        df["phone"] = digits.where(digits.str.len() >= 7, None).astype(object).to_numpy()
    derived = ("_norm", "_valid", "_scheme", "_problem", "_keys")
    ids = [c for c in frame.columns if c.startswith("id_") and not c.endswith(derived)]
    for column in ids:
        key = frame[column].astype("string").str.upper().str.replace(r"[^0-9A-Z]", "", regex=True)
        df[column] = key.where(key.str.len() > 0, None).astype(object).to_numpy()
    comparisons = []
    for column in ("name", "address", "city"):
        if has(column):
            comparison = cl.JaroWinklerAtThresholds(column, [0.9, 0.7])
            if column != "city":
                comparison = comparison.configure(term_frequency_adjustments=True)
            comparisons.append(comparison)
    comparisons += [cl.ExactMatch(c) for c in ("postcode", "phone", *ids) if has(c)]
    if has("email"):
        comparisons.append(cl.EmailComparison("email"))
    if not comparisons:
        raise ValueError("no comparable column for Splink")
    blocking = [block_on("name"), block_on("substr(name, 1, 4)")] if has("name") else []
    blocking += [block_on(c) for c in ("postcode", "phone", *ids) if has(c)]
    if has("address"):
        blocking.append(block_on("substr(address, 1, 6)"))
    db_api = DuckDBAPI()
    link_type = "link_only" if two_sources else "dedupe_only"
    if two_sources:
        first = df["source_dataset"].iloc[0]
        tables = [
            db_api.register(df[df["source_dataset"] == first]),
            db_api.register(df[df["source_dataset"] != first]),
        ]
    else:
        tables = [db_api.register(df)]
    dropped: list[str] = []
    if max_rule_comparisons is not None:
        kept = []
        for rule in blocking:
            count = count_comparisons_from_blocking_rules(
                tables if two_sources else tables[0],
                blocking_rules=[rule],
                link_type=link_type,
                source_dataset_column_name="source_dataset" if two_sources else None,
                record_sample_proportion=1.0,
            )[0]
            if count["cumulative_comparison_count"] > max_rule_comparisons:
                dropped.append(count["blocking_rule"])
            else:
                kept.append(rule)
        blocking = kept
    settings = SettingsCreator(
        link_type=link_type,
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(tables if two_sources else tables[0], settings, log_level=logging.WARNING)
    deterministic = [block_on("name")] if has("name") else blocking[:1]
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    em_rules = [block_on(c) for c in ("postcode", "phone") if has(c)][:1] + deterministic
    # with one comparison a training block fixes it and nothing is left to train (Splink
    # would then predict without it): its m values stay Splink's defaults
    for rule in em_rules if len(comparisons) > 1 else []:
        with contextlib.suppress(Exception):  # a rule leaving nothing to train is skipped
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    result = clusters.as_pandas_dataframe()
    cluster_of = dict(
        zip(result["unique_id"].astype(str), result["cluster_id"].astype(str), strict=True)
    )
    uids = frame["uid"].astype(str)
    memberships = pd.DataFrame(
        {
            "source": frame["source"].to_numpy(),
            "record_id": frame["record_id"].to_numpy(),
            "entity_id": [cluster_of.get(u, u) for u in uids],
        }
    )
    return memberships, dropped


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
