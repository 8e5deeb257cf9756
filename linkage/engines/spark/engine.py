"""The Spark engine: one run's stages on Spark, the tables kept there between stages.

The :class:`~linkage.pipeline.Linker` wires the stages as for the local engine and calls these
methods instead of the local stage functions. The driver holds what the local engine's later
steps read: the features table, the level matrix the model is fitted on, the scored pairs and
the clustering.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from linkage.blocking import BlockingReport, BlockingRule
from linkage.clustering import Clustering
from linkage.compare import Comparison, Prepared, prepare_all
from linkage.engines.spark.blocking import spark_candidate_pairs
from linkage.engines.spark.clustering import spark_cluster
from linkage.engines.spark.compare import (
    collect_pairs,
    compared_like,
    record_frequencies,
    spark_compare,
    spark_score,
)
from linkage.engines.spark.session import spark_session
from linkage.engines.spark.standardize import spark_features
from linkage.scoring import score_pairs

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class SparkEngine:
    """Runs the stages of one run on Spark.

    Args:
        master: the Spark master (default ``SPARK_MASTER``, else ``local[*]``); a session
            already active (``spark-submit``) is used as it is.
        conf: Spark settings for a new session.
    """

    def __init__(self, master: str | None = None, conf: dict[str, str] | None = None) -> None:
        self.session = spark_session(master, conf)
        context = self.session.sparkContext
        self.partitions = max(
            int(self.session.conf.get("spark.sql.shuffle.partitions") or 0),
            context.defaultParallelism,
            1,
        )
        self._features: DataFrame | None = None
        self._pairs: DataFrame | None = None
        self._compared: DataFrame | None = None
        self._cached: list[DataFrame] = []

    def standardize(self, records: pd.DataFrame) -> pd.DataFrame:
        """The features table (``build_features(records)``), standardised on Spark."""
        self._features, features = spark_features(self.session, records, self.partitions)
        self._cached.append(self._features)
        return features

    def candidate_pairs(
        self, rules: Sequence[BlockingRule], *, unique_sources: set[str], max_block_size: int
    ) -> tuple[int, BlockingReport]:
        """Block on Spark (the pairs stay there); how many pairs, and the report."""
        pairs, report = spark_candidate_pairs(
            self._spark_features(),
            rules,
            unique_sources=unique_sources,
            max_block_size=max_block_size,
        )
        self._pairs = pairs
        self._cached.append(self._pairs)
        self._rule_names = [r.name for r in rules]
        return sum(report.pairs_per_rule.values()), report

    def compare(
        self, features: pd.DataFrame, comparisons: Sequence[Comparison]
    ) -> tuple[pd.DataFrame, list[Prepared]]:
        """Compare the pairs on Spark; the compared pairs' uids, rows and levels collected
        (what the model fit reads) and the comparisons' prepared arrays of every record
        (their term frequencies went to Spark; the fit reads them too)."""
        if self._pairs is None:
            raise RuntimeError("candidate_pairs() first")
        prepared = prepare_all(comparisons, features)
        frequencies = record_frequencies(comparisons, prepared, len(features))
        compared = spark_compare(
            self._spark_features(), self._pairs, comparisons, frequencies, self._rule_names
        )
        self._compared = compared.cache()
        self._cached.append(self._compared)
        self._like = compared_like(comparisons)
        levels = ["uid_l", "uid_r", "idx_l", "idx_r", *[f"{c.name}_level" for c in comparisons]]
        collected = collect_pairs(self._compared.select(*levels), self._like[levels])
        return collected, prepared

    def score(self, model: Any) -> pd.DataFrame:
        """The scored pairs (``score_pairs`` with the fitted model), scored on Spark and
        collected in the local engine's order."""
        if self._compared is None:
            raise RuntimeError("compare() first")
        scored = spark_score(self._compared, model, self._like)
        return collect_pairs(scored, score_pairs(self._like, model))

    def cluster(
        self,
        features: pd.DataFrame,
        scored: pd.DataFrame,
        *,
        unique_sources: set[str],
        judgements: pd.DataFrame | None,
    ) -> Clustering:
        """``cluster(features, scored, ...)``: components and their clustering on Spark."""
        return spark_cluster(
            self._spark_features(),
            features,
            scored,
            unique_sources=unique_sources,
            judgements=judgements,
            buckets=self.partitions,
        )

    def close(self) -> None:
        """Drop the run's cached tables (the session stays for the next run)."""
        for frame in self._cached:
            frame.unpersist()
        self._cached = []

    def _spark_features(self) -> DataFrame:
        if self._features is None:
            raise RuntimeError("standardize() first")
        return self._features
