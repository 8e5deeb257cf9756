"""Standardise on Spark: :func:`build_features` on partitions of records.

Every standardised value is a function of its own record's raw values (see
:func:`linkage.standardize.features.build_features`), so standardising partitions apart gives
the table standardising them together gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from linkage.engines.spark.frames import schema_of, to_pandas, to_spark
from linkage.standardize.features import build_features

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

ROW = "_row"
"""A record's position in the features table (records sorted by uid): pairs refer to it."""

_SAMPLE = 64  # records standardised on the driver to learn the columns and their types


def _standardised(columns: list[str], batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    for batch in batches:
        records = batch.drop(columns=[ROW])
        features = build_features(records, workers=1)  # the executor is the parallelism
        yield pd.concat([batch, features[columns]], axis=1)


def spark_features(
    session: SparkSession, records: pd.DataFrame, partitions: int
) -> tuple[DataFrame, pd.DataFrame]:
    """The features table standardised on Spark.

    Args:
        records: the records table, sorted by uid (row ``i`` becomes ``_row = i``).
        partitions: how many partitions to cut the records into.

    Returns:
        The Spark features (``_row``, the record columns and the standardised ones, cached)
        and the features table on the driver: the records plus the standardised columns
        collected, exactly what ``build_features(records)`` returns.
    """
    sample = build_features(records.head(_SAMPLE), workers=1)
    added = [c for c in sample.columns if c not in records.columns]
    indexed = records.assign(**{ROW: np.arange(len(records), dtype=np.int64)})
    like = pd.concat([indexed.head(0), sample[added].head(0)], axis=1)
    spark = (
        to_spark(session, indexed, partitions)
        .mapInPandas(partial(_standardised, added), schema_of(like))
        .cache()
    )
    collected = to_pandas(spark.select(ROW, *added).orderBy(ROW), like=sample)
    collected.index = records.index
    features = pd.concat([records, collected[added]], axis=1)
    return spark, features
