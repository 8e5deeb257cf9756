"""Blocking on Spark: the candidate pairs of :func:`linkage.blocking.candidate_pairs`, made
with joins on the same keys.

Each record's keys come from :func:`linkage.blocking.rule_keys` run on its partition (a key is
a function of the record's own values), spelt as strings. Then, per rule, as the local engine
does: all pairs inside blocks within the cap; for an exact rule's block over the cap whose
records hold at most ``cap`` distinct names, each record with the next one of its name and
all pairs of the first records of each name; other blocks over the cap skipped and reported;
for a sorted neighbourhood, the records within ``window`` places of each other sorted by key
and row. No pair inside a unique source; a pair found by several rules belongs to the first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING

import pandas as pd

from linkage.blocking import BlockingReport, BlockingRule, rule_keys
from linkage.engines.spark.standardize import ROW

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

NAME_COLUMN = "name_norm"  # a block over its cap counts its records' distinct names
_KEYS_SCHEMA = "rule int, key string, row long, name string, source string"


def _keys(
    rules: Sequence[BlockingRule], columns: list[str], batches: Iterator[pd.DataFrame]
) -> Iterator[pd.DataFrame]:
    for batch in batches:
        features = batch[columns]
        rows = batch[ROW].to_numpy()
        names = batch[NAME_COLUMN] if NAME_COLUMN in batch else pd.Series(None, index=batch.index)
        sources = batch["source"].to_numpy(dtype=object)
        for i, rule in enumerate(rules):
            keys = rule_keys(features, rule)
            if not len(keys.idx):
                continue
            yield pd.DataFrame(
                {
                    "rule": i,
                    "key": keys.spell(keys.codes),
                    "row": rows[keys.idx],
                    "name": names.to_numpy(dtype=object)[keys.idx],
                    "source": sources[keys.idx],
                }
            )


def spark_candidate_pairs(
    features: DataFrame,
    rules: Sequence[BlockingRule],
    *,
    unique_sources: set[str],
    max_block_size: int,
) -> tuple[DataFrame, BlockingReport]:
    """Candidate pairs ``idx_l < idx_r`` (rows of the features table) and the index of the
    rule that found each, as a Spark DataFrame, and the blocking report (collected)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from linkage.blocking.pairs import block_cap

    spark = features.sparkSession
    wanted = {c for rule in rules for c in (*rule.columns, *rule.without)}
    columns = [c for c in features.columns if c in wanted]
    has_names = NAME_COLUMN in features.columns
    read = [
        ROW,
        "source",
        *columns,
        *([NAME_COLUMN] if has_names and NAME_COLUMN not in wanted else []),
    ]
    keys = (
        features.select(*read)
        .mapInPandas(partial(_keys, list(rules), columns), _KEYS_SCHEMA)
        .cache()
    )
    caps = [block_cap(rule, max_block_size) for rule in rules]
    table = spark.createDataFrame(
        [(i, r.kind, caps[i], r.window) for i, r in enumerate(rules)],
        "rule int, kind string, cap long, window int",
    )
    name_key = F.coalesce(F.col("name"), F.concat(F.lit("\u0000"), F.col("row").cast("string")))
    keyed = keys.withColumn("name_key", name_key)
    blocks = (
        keyed.groupBy("rule", "key")
        .agg(F.count("*").alias("size"), F.countDistinct("name_key").alias("names"))
        .join(F.broadcast(table), "rule")
        .withColumn("over", F.col("cap").isNotNull() & (F.col("size") > F.col("cap")))
        .withColumn(
            "reduced",
            F.col("over")
            & (F.col("kind") == "exact")
            & F.lit(has_names)
            & (F.col("names") <= F.col("cap")),
        )
        .cache()
    )
    in_blocks = keyed.join(blocks.select("rule", "key", "kind", "over", "reduced"), ["rule", "key"])

    def pairs_within(frame: DataFrame, by: list[str]) -> DataFrame:
        left = frame.select(*by, F.col("row").alias("l"), F.col("source").alias("sl"))
        right = frame.select(*by, F.col("row").alias("r"), F.col("source").alias("sr"))
        return (
            left.join(right, by).where(F.col("l") < F.col("r")).select("rule", "l", "r", "sl", "sr")
        )

    exact = in_blocks.where(F.col("kind") != "sorted_neighbourhood")
    found = [pairs_within(exact.where(~F.col("over")), ["rule", "key"])]
    # blocks over the cap holding few names: each record with the next of its name, and the
    # first record of each name with one another
    reduced = exact.where(F.col("reduced"))
    chain = Window.partitionBy("rule", "key", "name_key").orderBy("row")
    found.append(
        reduced.select(
            "rule",
            F.col("row").alias("l"),
            F.lead("row").over(chain).alias("r"),
            F.col("source").alias("sl"),
            F.lead("source").over(chain).alias("sr"),
        ).where(F.col("r").isNotNull())
    )
    firsts = reduced.groupBy("rule", "key", "name_key").agg(
        F.min(F.struct("row", "source")).alias("first")
    )
    found.append(
        pairs_within(firsts.select("rule", "key", "first.row", "first.source"), ["rule", "key"])
    )
    # sorted neighbourhoods: by key, then row; each record meets the next window - 1
    neighbours = in_blocks.where(F.col("kind") == "sorted_neighbourhood").withColumn(
        "place", F.row_number().over(Window.partitionBy("rule").orderBy("key", "row"))
    )
    ahead = neighbours.join(F.broadcast(table.select("rule", "window")), "rule").select(
        "rule",
        F.col("row").alias("a"),
        F.col("source").alias("sa"),
        F.explode(F.sequence(F.lit(1), F.col("window") - 1)).alias("offset"),
        "place",
    )
    behind = neighbours.select(
        "rule", F.col("row").alias("b"), F.col("source").alias("sb"), F.col("place").alias("at")
    )
    met = ahead.join(
        behind,
        (ahead["rule"] == behind["rule"]) & (behind["at"] == ahead["place"] + ahead["offset"]),
    ).select(ahead["rule"], "a", "b", "sa", "sb")
    found.append(
        met.select(
            "rule",
            F.least("a", "b").alias("l"),
            F.greatest("a", "b").alias("r"),
            F.when(F.col("a") < F.col("b"), F.col("sa")).otherwise(F.col("sb")).alias("sl"),
            F.when(F.col("a") < F.col("b"), F.col("sb")).otherwise(F.col("sa")).alias("sr"),
        )
    )
    union = found[0]
    for part in found[1:]:
        union = union.unionByName(part)
    inside_unique = (F.col("sl") == F.col("sr")) & F.col("sl").isin(sorted(unique_sources))
    pairs = (
        union.where(~inside_unique)
        .groupBy(F.col("l").alias("idx_l"), F.col("r").alias("idx_r"))
        .agg(F.min("rule").alias("rule"))
        .cache()  # counted for the report, then compared
    )
    return pairs, _report(rules, pairs, blocks)


def _report(rules: Sequence[BlockingRule], pairs: DataFrame, blocks: DataFrame) -> BlockingReport:
    """The blocking report, as :func:`linkage.blocking.candidate_pairs` makes it."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from linkage.blocking.pairs import largest_blocks

    report = BlockingReport()
    counts: dict[int, int] = dict(pairs.groupBy("rule").count().collect())
    report.pairs_per_rule = {r.name: int(counts.get(i, 0)) for i, r in enumerate(rules)}
    over = sorted(
        (row.rule, not row.reduced, -row.size, row.key)
        for row in blocks.where("over").select("rule", "reduced", "size", "key").collect()
    )
    for rule, skipped, size, key in over:
        listed = report.skipped_blocks if skipped else report.reduced_blocks
        listed.append({"rule": rules[rule].name, "key": str(key), "size": -size})
    by_size = Window.partitionBy("rule").orderBy(F.desc("size"), "key")
    top = (
        blocks.where(~F.col("over") & (F.col("kind") != "sorted_neighbourhood"))
        .withColumn("rank", F.row_number().over(by_size))
        .where(F.col("rank") <= 5)
        .select("rule", "key", "size")
        .collect()
    )
    report.largest_blocks = largest_blocks(
        [{"rule": rules[row.rule].name, "key": str(row.key), "size": int(row.size)} for row in top]
    )
    return report
