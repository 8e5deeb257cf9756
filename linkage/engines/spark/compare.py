"""Compare and score on Spark: the levels, term frequencies and scores of the candidate
pairs, computed on partitions of pairs by the local compare and scoring code.

A pair's levels are a function of its two records' features, so a partition of pairs is
compared after preparing only the records it holds (as an incremental run does). Term
frequencies count values over every record: they are taken from the driver's
:func:`linkage.compare.prepare_all` of the whole table (which the model fit reads as well)
and sent along with each record.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from linkage.compare import Comparison, Prepared, compare_columns, prepare_all, term_keys
from linkage.engines.spark.frames import schema_of, to_pandas, to_spark
from linkage.engines.spark.standardize import ROW
from linkage.scoring import score_pairs

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

PAIR_COLUMNS = ["uid_l", "uid_r", "rules", "idx_l", "idx_r"]


def _term_columns(comparisons: Sequence[Comparison]) -> list[tuple[int, str, str]]:
    """``(comparison index, key, column)`` of every term-frequency key."""
    return [
        (j, key, f"_tf{j}_{i}")
        for j, c in enumerate(comparisons)
        for i, key in enumerate(term_keys(c))
    ]


def record_frequencies(
    comparisons: Sequence[Comparison], prepared: Sequence[Prepared], rows: int
) -> pd.DataFrame:
    """Per record (``_row``) the frequency of its value of each term-frequency key."""
    columns = {ROW: np.arange(rows, dtype=np.int64)}
    for j, key, column in _term_columns(comparisons):
        columns[column] = np.asarray(prepared[j][key + "_freq"], dtype=np.float64)
    return pd.DataFrame(columns)


def _compared(
    comparisons: list[Comparison],
    columns: list[str],
    rule_names: list[str],
    like: pd.DataFrame,
    batches: Iterator[pd.DataFrame],
) -> Iterator[pd.DataFrame]:
    terms = _term_columns(comparisons)
    carried = columns + [column for _, _, column in terms]
    for batch in batches:
        sides = [
            pd.DataFrame({c: batch[f"{side}{c}"].to_numpy() for c in [ROW, *carried]})
            for side in ("l_", "r_")
        ]
        records = pd.concat(sides, ignore_index=True).drop_duplicates(ROW)
        records = records.sort_values(ROW, kind="stable").reset_index(drop=True)
        prepared = prepare_all(comparisons, records[columns])
        for j, key, column in terms:  # the frequencies over every record, not this batch's
            prepared[j][key + "_freq"] = records[column].to_numpy(dtype=np.float64)
        rows = records[ROW].to_numpy()
        il = np.searchsorted(rows, batch["l_" + ROW].to_numpy())
        ir = np.searchsorted(rows, batch["r_" + ROW].to_numpy())
        levels, tf = compare_columns(comparisons, prepared, il, ir)
        out: dict[str, Any] = {
            "uid_l": batch["l_uid"].to_numpy(dtype=object),
            "uid_r": batch["r_uid"].to_numpy(dtype=object),
            "rules": np.asarray(rule_names, dtype=object)[batch["rule"].to_numpy()],
            "idx_l": batch["l_" + ROW].to_numpy(dtype=np.int64),
            "idx_r": batch["r_" + ROW].to_numpy(dtype=np.int64),
        }
        for j, c in enumerate(comparisons):
            out[f"{c.name}_level"] = levels[j]
        for j, c in enumerate(comparisons):
            if tf[j] is not None:
                out[f"{c.name}_tf"] = tf[j]
        yield pd.DataFrame(out)[list(like.columns)]


def compared_like(comparisons: Sequence[Comparison]) -> pd.DataFrame:
    """An empty compared-pairs table: its columns and dtypes."""
    columns: dict[str, Any] = {c: pd.Series(dtype=object) for c in ("uid_l", "uid_r", "rules")}
    columns |= {c: pd.Series(dtype=np.int64) for c in ("idx_l", "idx_r")}
    columns |= {f"{c.name}_level": pd.Series(dtype=np.int8) for c in comparisons}
    columns |= {f"{c.name}_tf": pd.Series(dtype=np.float64) for c in comparisons if c.tf_levels}
    return pd.DataFrame(columns)


def spark_compare(
    features: DataFrame,
    pairs: DataFrame,
    comparisons: Sequence[Comparison],
    frequencies: pd.DataFrame,
    rule_names: list[str],
) -> DataFrame:
    """The compared pairs (``compare_pairs``' columns) of the candidate pairs, on Spark.

    Args:
        features: the Spark features (``_row`` and the columns the comparisons read).
        pairs: ``idx_l``, ``idx_r`` and ``rule`` (an index into ``rule_names``).
        frequencies: :func:`record_frequencies` of the whole table.
    """
    from pyspark.sql import functions as F

    comparisons = list(comparisons)
    read = {c for comparison in comparisons for c in comparison.columns}
    # besides the columns a comparison names: the identifier comparison tells an invalid
    # identifier from none by the raw ``id_<scheme>`` columns
    columns = [c for c in features.columns if c in read or c.startswith("id_")]
    session = features.sparkSession
    records = features.select(ROW, "uid", *columns).join(to_spark(session, frequencies), ROW)
    carried = records.columns

    def side(prefix: str) -> DataFrame:
        return records.select(*[records[c].alias(prefix + c) for c in carried])

    joined = (
        pairs.join(side("l_"), pairs["idx_l"] == F.col("l_" + ROW))
        .join(side("r_"), pairs["idx_r"] == F.col("r_" + ROW))
        .drop("idx_l", "idx_r")
    )
    like = compared_like(comparisons)
    return joined.mapInPandas(
        partial(_compared, comparisons, columns, rule_names, like), schema_of(like)
    )


def _scored(model: Any, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    for batch in batches:
        yield score_pairs(batch, model)


def spark_score(compared: DataFrame, model: Any, like: pd.DataFrame) -> DataFrame:
    """``score_pairs`` of the compared pairs with the fitted model, on Spark (``like``: an
    empty compared table, for the scored table's columns and dtypes)."""
    return compared.mapInPandas(partial(_scored, model), schema_of(score_pairs(like, model)))


def collect_pairs(df: DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """Pairs collected to the driver in the local engine's order (by ``idx_l``, ``idx_r``)."""
    return to_pandas(df.orderBy("idx_l", "idx_r"), like=like)
