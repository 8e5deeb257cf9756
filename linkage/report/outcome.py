"""Report sections on what came out: clusters, entities with their merge trees, and sample
pairs near the threshold with the weights that decided them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from linkage import charts
from linkage.charts import escape
from linkage.outputs import SHOWN_FIELDS
from linkage.report.model import comparison_levels
from linkage.report.page import figure, frame_table, paragraph, section, table
from linkage.scoring import weight_from_probability

SIZE_BUCKETS = ((1, 1), (2, 2), (3, 3), (4, 5), (6, 10), (11, 20), (21, 50), (51, 100), (101, None))
ENTITIES_SHOWN = 3
PAIRS_SHOWN = 6


def clusters_section(entities: pd.DataFrame, stats: dict[str, Any]) -> tuple[str, str, str]:
    """Cluster sizes, refused unions by reason, and entities by confidence."""
    sizes = entities["member_count"].to_numpy(dtype=np.int64)
    labels, counts = [], []
    for low, high in SIZE_BUCKETS:
        upper = sizes.max(initial=0) if high is None else high
        labels.append(f"{low}" if low == high else f"{low}+" if high is None else f"{low}-{high}")
        counts.append(int(((sizes >= low) & (sizes <= upper)).sum()))
    refused = {str(k): int(v) for k, v in sorted(stats.get("refused", {}).items())}
    parts = [
        figure("cluster-sizes", charts.bars(labels, counts, title="Entities by member count")),
        figure(
            "refused-unions",
            charts.bars(list(refused), list(refused.values()), title="Refused unions by reason"),
            "Clustering refuses a union that would put two different valid identifiers, a "
            "branch and its head office, two sub-units, two records of a unique source, or a "
            "pair a reviewer judged different into one entity.",
        ),
    ]
    by_prefix = stats.get("refused_identifier_by_prefix", {})
    if by_prefix:
        rows = [[str(k), int(v)] for k, v in sorted(by_prefix.items())]
        parts.append(table(["identifier scheme (refusals)", "unions"], rows))
    confidence = _confidence(entities).to_numpy(dtype=np.float64)
    confidence = confidence[(sizes > 1) & np.isfinite(confidence)]
    if len(confidence):
        edges = np.round(np.linspace(0.0, 1.0, 21), 2)
        hist, _ = np.histogram(confidence, bins=edges)
        parts.append(
            figure(
                "entity-confidence",
                charts.histogram(
                    edges.tolist(),
                    hist.tolist(),
                    title="Entities of several records by confidence (their weakest link)",
                    x_label="confidence",
                    log=True,
                ),
            )
        )
    return section("clusters", "Clusters", parts)


def entities_section(
    features: pd.DataFrame, entities: pd.DataFrame, merges: pd.DataFrame | None
) -> tuple[str, str, str]:
    """The least confident and the largest entities, each with its merge tree."""
    several = pd.DataFrame(  # three columns of the entities of several records
        {"entity_id": entities["entity_id"], "member_count": entities["member_count"],
         "confidence": _confidence(entities)}
    )[entities["member_count"].to_numpy() > 1]  # fmt: skip
    least = several.nsmallest(ENTITIES_SHOWN, "confidence", keep="all")
    least = least.sort_values(["confidence", "entity_id"]).head(ENTITIES_SHOWN)
    largest = several.nlargest(ENTITIES_SHOWN, "member_count", keep="all")
    largest = largest.sort_values(["member_count", "entity_id"], ascending=[False, True])
    largest = largest.head(ENTITIES_SHOWN)
    least, largest = entities.loc[least.index], entities.loc[largest.index]
    shown = pd.concat([least, largest])["entity_id"].drop_duplicates().tolist()
    joins = _joins(merges, shown)
    names = _names(features, joins)
    parts = []
    for title, chosen in (("Least confident", least), ("Largest", largest)):
        parts.append(f"<h3>{title} entities</h3>")
        if chosen.empty:
            parts.append(paragraph("No entity holds more than one record."))
        for row in chosen.to_dict(orient="records"):
            entity_joins = joins[joins["entity_l"] == row["entity_id"]]
            parts.append(_entity(row, entity_joins, names))
    return section("entities", "Entities", parts)


def _joins(merges: pd.DataFrame | None, entity_ids: list[str]) -> pd.DataFrame:
    columns = ["step", "uid_l", "uid_r", "kind", "weight", "entity_l"]
    if merges is None or merges.empty:
        return pd.DataFrame(columns=columns)
    accepted = merges[merges["accepted"] & merges["entity_l"].isin(entity_ids)]
    return accepted[columns].sort_values("step")


def _names(features: pd.DataFrame, joins: pd.DataFrame) -> dict[str, str]:
    uids = set(joins["uid_l"]).union(joins["uid_r"])
    if "name" not in features or not uids:
        return {}
    rows = features.loc[features["uid"].isin(uids), ["uid", "name"]]
    return {str(u): "" if pd.isna(n) else str(n) for u, n in rows.itertuples(index=False)}


def _confidence(entities: pd.DataFrame) -> pd.Series:
    """The entities' confidence (NaN where a profile has none)."""
    if "confidence" not in entities:
        return pd.Series(np.nan, index=entities.index)
    return pd.to_numeric(entities["confidence"], errors="coerce")


def _entity(row: dict[str, Any], joins: pd.DataFrame, names: dict[str, str]) -> str:
    members = sorted(set(joins["uid_l"]).union(joins["uid_r"]))
    index = {uid: i for i, uid in enumerate(members)}
    leaves = [f"{uid}  {names.get(uid, '')}".strip() for uid in members]
    unions = [
        (index[j.uid_l], index[j.uid_r], f"step {j.step}: {j.kind}, weight {j.weight:.2f}")
        for j in joins.itertuples(index=False)
    ]
    entity_id, confidence = str(row["entity_id"]), row.get("confidence")
    title = f"{entity_id}: {row['member_count']} records"
    if isinstance(confidence, float) and not np.isnan(confidence):
        title += f", confidence {confidence:.3f}"
    tree = charts.merge_tree(leaves, unions, title=f"Merge tree of {entity_id}")
    caption = "Each vertical line is a union, left to right in the order clustering made them."
    name, sources = row.get("name"), row.get("sources")
    said = [f"{label}: {value}" for label, value in (("Name", name), ("sources", sources))
            if isinstance(value, str) and value]  # fmt: skip
    return (
        f"<h4>{escape(title)}</h4>"
        + (paragraph("; ".join(said)) if said else "")
        + figure(f"merge-tree-{entity_id}", tree, caption)
    )


def pairs_section(
    features: pd.DataFrame, pairs: pd.DataFrame, model: dict[str, Any], manifest: dict[str, Any]
) -> tuple[str, str, str]:
    """The model-decided pairs nearest the threshold, each as a waterfall of its weights and
    its two records side by side."""
    choices = manifest.get("choices", {})
    levels = comparison_levels(manifest)
    cut = weight_from_probability(float(choices.get("threshold", 0.5)))
    prior = float(model.get("parameters", {}).get("prior_weight", 0.0))
    near = _nearest(pairs, cut)
    uids = set(near["uid_l"]).union(near["uid_r"])
    fields = [c for c in SHOWN_FIELDS if c in features] + [
        c for c in features.columns if _raw_identifier(str(c))
    ]
    records = features.loc[features["uid"].isin(uids), ["uid", *fields]].set_index("uid")
    parts = [
        paragraph(
            f"The {len(near)} pairs the model decided whose match weight is nearest the "
            f"threshold ({cut:+.2f} bits): the pairs a reviewer's answer helps most."
        )
    ]
    for pair in near.itertuples(index=False):
        steps, missing = [("prior", prior)], []
        for name, by_level in levels.items():
            level = int(getattr(pair, f"{name}_level"))
            if level < 0:
                missing.append(name)
                continue
            weight = float(getattr(pair, f"{name}_weight"))
            steps.append((f"{name}: {by_level.get(str(level), str(level))}", weight))
        verdict = "match" if pair.is_match else "no match"
        outcome = "one entity" if pair.same_entity else "kept apart"
        if isinstance(pair.refused_by, str) and pair.refused_by:
            outcome += f" (refused: {pair.refused_by})"
        title = f"{pair.uid_l} vs {pair.uid_r}: {verdict}, {outcome}"
        chart = charts.waterfall(steps, title=title)
        side = records.reindex([pair.uid_l, pair.uid_r]).T.dropna(how="all")
        side.columns = [str(pair.uid_l), str(pair.uid_r)]
        caption = f"Missing on a side (weight 0): {', '.join(missing)}." if missing else ""
        parts.append(figure(f"waterfall-{pair.uid_l}-{pair.uid_r}", chart, caption))
        parts.append(frame_table(side.reset_index(names="field").astype(object)))
    return section("pairs", "Pairs near the threshold", parts)


def _nearest(pairs: pd.DataFrame, cut: float) -> pd.DataFrame:
    """The model-decided pairs whose weight is nearest ``cut`` (ties by uids). Only the
    pairs nearest the cut are looked at for how they were decided, a wider circle when too
    few of them were the model's."""
    distance = np.abs(pairs["match_weight"].to_numpy(dtype=np.float64) - cut)
    decided = pairs["decided_by"].to_numpy(dtype=object)
    wanted = 64 * PAIRS_SHOWN
    while True:
        if wanted < len(distance):  # every pair tied with the wanted-th nearest
            kth = np.partition(distance, wanted - 1)[wanted - 1]
            rows = np.flatnonzero(distance <= kth)
        else:
            rows = np.arange(len(distance))
        rows = rows[decided[rows] == "model"]
        if len(rows) >= PAIRS_SHOWN or wanted >= len(distance):
            break
        wanted *= 16
    near = pairs.iloc[rows].assign(_distance=distance[rows])
    near = near.sort_values(["_distance", "uid_l", "uid_r"], kind="stable")
    return near.head(PAIRS_SHOWN)


IDENTIFIER_DERIVED = ("_norm", "_scheme", "_problem", "_valid", "_primary")


def _raw_identifier(column: str) -> bool:
    """An ``id_<scheme>`` column as read (not one derived from it, nor the keys)."""
    return (
        column.startswith("id_") and column != "id_keys" and not column.endswith(IDENTIFIER_DERIVED)
    )
