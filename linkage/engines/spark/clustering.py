"""Constrained clustering on Spark: connected components, then the local clustering on
buckets of whole components.

:func:`linkage.clustering.cluster` decides inside one connected component of its edge graph
(matched pairs, shared identifier keys, reviewers' "same" verdicts) from that component's
records, edges and judgements only (:mod:`linkage.clustering.local` relies on the same). So
the components are found on Spark (:func:`component_labels`), whole components are bucketed,
and each bucket is clustered by ``cluster`` in a Python worker. Two things are global and
settled first: the registration keys of identifier columns holding several schemes (a
source-wide choice, :func:`linkage.clustering.key_links`), sent as each record's full key
list; and the merge log's order, put back by the order ``cluster`` walks edges in (verdicts,
then identifier links, then matches by weight, name similarity and rows).
"""

from __future__ import annotations

from collections import Counter
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from linkage.clustering import Clustering, cluster, clustering_stats, normalise_judgements
from linkage.clustering.edges import matched_edges, name_similarity
from linkage.clustering.identifiers import key_links
from linkage.engines.spark.components import component_labels
from linkage.engines.spark.frames import to_spark
from linkage.engines.spark.standardize import ROW

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_OUT = (
    "part string, row long, entity_id string, confidence double, l long, r long, "
    "kind string, evidence string, weight double, log_confidence double, accepted boolean, "
    "reason string, entity_l string, entity_r string, order_weight double, alike double, "
    "tried string, tries long, entities long"
)
_LOGGED = ("kind", "evidence", "weight", "confidence", "accepted", "reason")


def _bucket_clusters(
    unique_sources: set[str],
    judgements: pd.DataFrame | None,
    columns: list[str],
    records: pd.DataFrame,
    edges: pd.DataFrame,
) -> pd.DataFrame:
    """``cluster`` of one bucket's records and edges, as rows of ``_OUT``."""
    records = records.sort_values(ROW, kind="stable").reset_index(drop=True)
    rows = records[ROW].to_numpy(dtype=np.int64)
    features = records[columns]
    edges = edges.assign(
        idx_l=np.searchsorted(rows, edges["idx_l"].to_numpy()),
        idx_r=np.searchsorted(rows, edges["idx_r"].to_numpy()),
        is_match=True,
    )
    done = cluster(features, edges, unique_sources=unique_sources, judgements=judgements)
    log, merges = done.log, done.merges
    members = done.memberships  # by uid, as the rows
    scored = np.isfinite(log["weight"])
    alike = np.zeros(len(merges))
    alike[scored] = name_similarity(features, log["l"][scored], log["r"][scored])
    parts = [
        pd.DataFrame(
            {
                "part": "member",
                "row": rows,
                "entity_id": members["entity_id"].to_numpy(dtype=object),
                "confidence": members["confidence"].to_numpy(dtype=np.float64),
            }
        ),
        pd.DataFrame(
            {
                "part": "merge",
                "l": rows[log["l"]],
                "r": rows[log["r"]],
                **{c: merges[c].to_numpy() for c in _LOGGED if c != "confidence"},
                "log_confidence": merges["confidence"].to_numpy(dtype=np.float64),
                "entity_l": merges["entity_l"].to_numpy(dtype=object),
                "entity_r": merges["entity_r"].to_numpy(dtype=object),
                "order_weight": log["weight"],
                "alike": alike,
            }
        ),
        pd.DataFrame(
            {
                "part": "tried",
                "tried": list(done.tried),
                "tries": np.array(list(done.tried.values()), dtype=np.int64),
            }
        ),
        pd.DataFrame({"part": ["entities"], "entities": [done.stats["entities"]]}),
    ]
    return pd.concat(parts, ignore_index=True)


def _graph_edges(
    features: pd.DataFrame, edges: pd.DataFrame, judgements: pd.DataFrame | None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The edges of the clustering graph as ``a, b`` rows (matches, each record to the first
    holder of each of its identifier keys, "same" verdicts), and per record all its
    identifier keys (``id_keys`` with the registration keys)."""
    n = len(features)
    key_rows, key_codes, names = key_links(features)
    first = np.full(len(names), n, dtype=np.int64)
    np.minimum.at(first, key_codes, key_rows)
    judged = normalise_judgements(judgements)
    position = pd.Index(features["uid"].astype(str))
    ja = position.get_indexer(judged["uid_a"].to_numpy(dtype=object))
    jb = position.get_indexer(judged["uid_b"].to_numpy(dtype=object))
    same = (ja >= 0) & (jb >= 0) & (judged["verdict"].to_numpy() == "same")
    graph = pd.DataFrame(
        {
            "a": np.concatenate([edges["idx_l"].to_numpy(np.int64), first[key_codes], ja[same]]),
            "b": np.concatenate([edges["idx_r"].to_numpy(np.int64), key_rows, jb[same]]),
        }
    )
    keys = np.full(n, "", dtype=object)
    if len(key_rows):
        texts = names.to_numpy(zero_copy_only=False)[key_codes]
        joined = pd.Series(texts).groupby(key_rows).agg(" ".join)
        keys[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
    return graph, keys


def spark_cluster(
    spark_features: DataFrame,
    features: pd.DataFrame,
    scored: pd.DataFrame,
    *,
    unique_sources: set[str],
    judgements: pd.DataFrame | None,
    buckets: int,
) -> Clustering:
    """``cluster(features, scored, ...)`` computed on Spark (the same memberships, merge log
    and counts).

    Args:
        spark_features: the Spark features (``_row`` and every features column).
        features: the features table on the driver (rows as ``_row``).
        scored: the scored pairs, judgements applied.
        buckets: how many groups of components to cluster apart.
    """
    from pyspark.sql import functions as F

    session = spark_features.sparkSession
    matched = scored["is_match"].astype(bool).to_numpy()
    edges = matched_edges(scored, matched) if len(scored) else scored
    edges = edges[[c for c in ("idx_l", "idx_r", "match_weight", "score", "probability",
                              "decided_by", "rules") if c in edges]]  # fmt: skip
    graph, keys = _graph_edges(features, edges, judgements)
    labels = component_labels(to_spark(session, graph))
    columns = [c for c in spark_features.columns if c != ROW]
    keyed = to_spark(session, pd.DataFrame({ROW: np.arange(len(features)), "all_keys": keys}))
    bucket = F.pmod(F.coalesce(F.col("label"), F.col(ROW)), F.lit(buckets)).alias("bucket")
    records = (
        spark_features.join(keyed, ROW)
        .withColumn("id_keys", F.col("all_keys"))
        .drop("all_keys")
        .join(labels.withColumnRenamed("node", ROW), ROW, "left")
        .select(ROW, *columns, bucket)
    )
    edge_frame = to_spark(session, edges).join(
        labels.select(F.col("node").alias("idx_l"), "label"), "idx_l"
    )
    edge_frame = edge_frame.withColumn("bucket", F.pmod(F.col("label"), F.lit(buckets))).drop(
        "label"
    )
    work = partial(_bucket_clusters, set(unique_sources), judgements, columns)
    out = (
        records.groupBy("bucket")
        .cogroup(edge_frame.groupBy("bucket"))
        .applyInPandas(lambda r, e: work(r.drop(columns="bucket"), e.drop(columns="bucket")), _OUT)
        .toPandas()
    )
    return _assembled(features, out)


def _assembled(features: pd.DataFrame, out: pd.DataFrame) -> Clustering:
    """One clustering from the buckets' rows: memberships by row, the merge log in the order
    ``cluster`` walks edges, the counts summed."""
    uids = features["uid"].astype(str).to_numpy(dtype=object)
    members = out[out["part"] == "member"].sort_values("row")
    rows = members["row"].to_numpy(dtype=np.int64)
    if not np.array_equal(rows, np.arange(len(features))):
        raise RuntimeError("spark clustering: not every record came back once")
    memberships = pd.DataFrame(
        {
            "source": features["source"].to_numpy(),
            "record_id": features["record_id"].to_numpy(),
            "uid": uids,
            "entity_id": members["entity_id"].to_numpy(dtype=object),
            "confidence": members["confidence"].to_numpy(dtype=np.float64),
        }
    )
    log = out[out["part"] == "merge"]
    weight = log["order_weight"].to_numpy(dtype=np.float64)
    scored = np.isfinite(weight)
    kind = log["kind"].to_numpy(dtype=object)
    phase = np.where(scored, 2, np.where(kind == "judgement", 0, 1))
    left, right = log["l"].to_numpy(dtype=np.int64), log["r"].to_numpy(dtype=np.int64)
    alike = log["alike"].to_numpy(dtype=np.float64)
    order = np.lexsort(
        (right, left, np.where(scored, -alike, 0.0), np.where(scored, -weight, 0.0), phase)
    )
    log = log.iloc[order]
    reason = log["reason"].to_numpy(dtype=object)
    merges = pd.DataFrame(
        {
            "step": np.arange(len(log), dtype=np.int64),
            "uid_l": uids[left[order]],
            "uid_r": uids[right[order]],
            "kind": log["kind"].to_numpy(dtype=object),
            "evidence": log["evidence"].to_numpy(dtype=object),
            "weight": log["weight"].to_numpy(dtype=np.float64),
            "confidence": log["log_confidence"].to_numpy(dtype=np.float64),
            "accepted": log["accepted"].to_numpy(dtype=bool),
            "reason": np.where(pd.isna(reason), None, reason),
            "entity_l": log["entity_l"].to_numpy(dtype=object),
            "entity_r": log["entity_r"].to_numpy(dtype=object),
        }
    )
    tried_rows = out[out["part"] == "tried"]
    tried: Counter[str] = Counter()
    for name, count in zip(tried_rows["tried"], tried_rows["tries"], strict=True):
        tried[str(name)] += int(count)
    entities = int(out.loc[out["part"] == "entities", "entities"].sum())
    stats = clustering_stats(merges, merges["accepted"].to_numpy(), tried, entities)
    return Clustering(memberships, merges, stats)
