"""Connected components on Spark by min-label propagation with pointer jumping."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

MAX_ROUNDS = 100


def component_labels(edges: DataFrame) -> DataFrame:
    """``node, label`` for every node of the undirected ``a, b`` edges (long ids): the
    smallest node of its connected component.

    Each round a node takes the smallest label among its own and its neighbours', then the
    label of its label (pointer jumping, so long chains shrink fast); it stops when no label
    changes. Nodes without edges are left out (their component is themselves).
    """
    from pyspark.sql import functions as F

    both = edges.select("a", "b").unionByName(
        edges.select(F.col("b").alias("a"), F.col("a").alias("b"))
    )
    both = both.where(F.col("a") != F.col("b")).distinct().localCheckpoint()
    labels = both.groupBy(F.col("a").alias("node")).agg(
        F.least(F.min("b"), F.first("a")).alias("label")
    )
    labels = labels.localCheckpoint()
    for _ in range(MAX_ROUNDS):
        heard = both.join(labels.withColumnRenamed("node", "b"), "b").select(
            F.col("a").alias("node"), "label"
        )
        lowest = labels.unionByName(heard).groupBy("node").agg(F.min("label").alias("label"))
        jumped = (
            lowest.alias("n")
            .join(lowest.alias("p"), F.col("n.label") == F.col("p.node"), "left")
            .select(
                F.col("n.node").alias("node"),
                F.least(F.col("n.label"), F.coalesce(F.col("p.label"), F.col("n.label"))).alias(
                    "label"
                ),
            )
            .localCheckpoint()
        )
        changed = (
            jumped.join(labels.withColumnRenamed("label", "before"), "node")
            .where(F.col("label") != F.col("before"))
            .limit(1)
            .count()
        )
        labels = jumped
        if not changed:
            return labels
    raise RuntimeError(f"connected components did not settle in {MAX_ROUNDS} rounds")
