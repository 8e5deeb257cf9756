"""The review queue: the record pairs where a person's answer helps most, most useful first.

Three kinds of pair are queued, each with an expected impact: how unsure the run was, times how
many records' entity an answer may change. How unsure is the odds ratio to the threshold:
``2 ** -|weight - threshold weight|`` (1 on the threshold, 1/2 one bit away, 1/16 four bits
away), so a pair far from the threshold never tops the queue on the size of its entities.

- ``near_threshold``: a pair the model decided. Records that may change: those of the smaller
  entity when the run kept the two apart (a "same" joins it to the other), one when it put
  them together (a "different" alone splits nothing unless the link is a bridge).
- ``bridge``: a scored union whose removal splits its entity in two (no other matching pair
  joins the two sides): the records of the smaller side.
- ``refused``: a pair the model matched but clustering kept apart (conflicting identifiers,
  branch and head office, ...): the records of the smaller entity, unsureness 1/2 (a reviewer
  confirms the refusal or overrules it).

One pair is queued per pair of entities (the most useful), pairs a reviewer has judged are
left out, and ties are broken by the uids, so the queue is the same for the same run.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from linkage.errors import UsageError
from linkage.graph import bridges
from linkage.outputs import SHOWN_FIELDS
from linkage.run_folder import check_run_folder
from linkage.scoring import weight_from_probability

READ_COLUMNS = [
    "uid_l",
    "uid_r",
    "match_weight",
    "probability",
    "decided_by",
    "is_match",
    "same_entity",
    "refused_by",
]
REASONS = {
    "near_threshold": "the model's weight is close to the threshold",
    "bridge": "the only link between two parts of an entity",
    "refused": "the model matched it, clustering kept the records apart ({refused_by})",
}


def review_queue(
    run_dir: str | Path, *, limit: int = 100, judged: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The first ``limit`` pairs of a run folder worth a reviewer's answer, most useful first.

    Args:
        run_dir: a folder written by ``linkage run``.
        limit: pairs at most.
        judged: judgements made already (``uid_a, uid_b``): those pairs are left out.

    Returns:
        One row per pair: ``rank, kind, impact, reason, uid_l, uid_r, entity_l, entity_r``,
        the run's scores and decisions, each record's shown fields side by side
        (``<field>_l``, ``<field>_r``) and empty ``verdict, note`` columns to fill in.
    """
    if limit < 1:
        raise UsageError(f"the review queue needs a limit of at least 1, got {limit}")
    run_dir = Path(run_dir)
    files = ["pairs.parquet", "memberships.csv", "manifest.json", "features.parquet"]
    check_run_folder(run_dir, files)
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    threshold = float(manifest.get("choices", {}).get("threshold", 0.5))
    pairs = pd.read_parquet(run_dir / "pairs.parquet", columns=READ_COLUMNS)
    members = pd.read_csv(run_dir / "memberships.csv", dtype=str, keep_default_na=False)
    entity = pd.Series(members["entity_id"].to_numpy(), index=members["uid"].to_numpy())
    size = entity.value_counts()
    pairs["entity_l"] = entity.reindex(pairs["uid_l"].to_numpy()).to_numpy()
    pairs["entity_r"] = entity.reindex(pairs["uid_r"].to_numpy()).to_numpy()
    size_l = size.reindex(pairs["entity_l"].to_numpy()).fillna(1).to_numpy()
    size_r = size.reindex(pairs["entity_r"].to_numpy()).fillna(1).to_numpy()
    together = pairs["same_entity"].to_numpy()
    smaller = np.minimum(size_l, size_r)
    cut = weight_from_probability(threshold)
    weights = pairs["match_weight"].to_numpy(dtype=np.float64)
    unsure = np.exp2(-np.minimum(np.abs(weights - cut), 1000.0))
    model = (pairs["decided_by"] == "model").to_numpy()
    near = np.where(model, unsure * np.where(together, 1.0, smaller), 0.0)
    refused = pairs["is_match"].to_numpy() & ~together
    refused_impact = np.where(refused, 0.5 * smaller, 0.0)
    bridge_impact = unsure * _bridge_sides(pairs)
    impacts = np.vstack([near, bridge_impact, refused_impact])
    kinds = np.array(["near_threshold", "bridge", "refused"], dtype=object)
    best = impacts.argmax(axis=0)
    pairs["impact"] = np.round(impacts.max(axis=0), 9)
    pairs["kind"] = kinds[best]
    queue = _most_useful(pairs, judged, limit)
    queue["reason"] = [
        REASONS[k].format(refused_by=r)
        for k, r in zip(queue["kind"], queue["refused_by"], strict=True)
    ]
    queue.insert(0, "rank", np.arange(1, len(queue) + 1))
    return _with_records(queue, run_dir / "features.parquet")


def _bridge_sides(pairs: pd.DataFrame) -> np.ndarray:
    """Per pair: the records on the smaller side when it is a bridge of its entity's graph of
    matching pairs, else 0."""
    inside = pairs["same_entity"].to_numpy() & pairs["is_match"].to_numpy()
    rows = np.flatnonzero(inside)
    sides = np.zeros(len(pairs))
    if not len(rows):
        return sides
    codes, _ = pd.factorize(pd.concat([pairs["uid_l"].iloc[rows], pairs["uid_r"].iloc[rows]]))
    a, b = codes[: len(rows)], codes[len(rows) :]
    sides[rows] = bridges(a, b, int(codes.max()) + 1)[1]
    scored = (pairs["decided_by"] != "identifier").to_numpy()  # a shared identifier: no doubt
    return np.where(scored, sides, 0.0)


def _most_useful(pairs: pd.DataFrame, judged: pd.DataFrame | None, limit: int) -> pd.DataFrame:
    """The ``limit`` unjudged pairs of the largest impact, the best one per pair of entities.
    Only the pairs of the largest impacts are sorted (ties at the edge included), a wider
    circle when judged pairs and repeated pairs of entities leave too few."""
    impact = pairs["impact"].to_numpy()
    candidates = np.flatnonzero(impact > 0)
    wanted = 16 * limit
    while True:
        rows = candidates
        if wanted < len(candidates):
            edge = len(candidates) - wanted
            rows = candidates[impact[candidates] >= np.partition(impact[candidates], edge)[edge]]
        queue = pairs.iloc[rows]
        queue = queue[~_judged(queue, judged)]
        queue = queue.sort_values(["impact", "uid_l", "uid_r"], ascending=[False, True, True])
        sides = np.sort(queue[["entity_l", "entity_r"]].astype(str).to_numpy(), axis=1)
        queue = queue[~pd.DataFrame(sides).duplicated().to_numpy()]
        if len(queue) >= limit or len(rows) == len(candidates):
            return queue.head(limit).reset_index(drop=True)
        wanted *= 16


def _judged(queue: pd.DataFrame, judged: pd.DataFrame | None) -> np.ndarray:
    """Whether a reviewer has judged each pair (in either order)."""
    if judged is None or judged.empty:
        return np.zeros(len(queue), dtype=bool)
    a, b = judged["uid_a"].astype(str).to_numpy(), judged["uid_b"].astype(str).to_numpy()
    done = pd.MultiIndex.from_arrays([np.minimum(a, b), np.maximum(a, b)])
    asked = pd.MultiIndex.from_arrays([queue["uid_l"], queue["uid_r"]])
    return np.asarray(asked.isin(done), dtype=bool)


def _with_records(queue: pd.DataFrame, features_path: Path) -> pd.DataFrame:
    """Both records' shown fields beside the pair, and the columns a reviewer fills in."""
    import pyarrow.parquet as pq

    present = set(pq.read_schema(features_path).names)
    fields = [f for f in SHOWN_FIELDS if f in present]
    uids = sorted(set(queue["uid_l"]).union(queue["uid_r"])) or [""]
    records = pd.read_parquet(
        features_path, columns=["uid", *fields], filters=[("uid", "in", uids)]
    ).set_index("uid")
    for side in ("l", "r"):
        chosen = records.reindex(queue[f"uid_{side}"].to_numpy())
        for name in fields:
            queue[f"{name}_{side}"] = chosen[name].to_numpy()
    order = ["rank", "kind", "impact", "reason", "uid_l", "uid_r", "entity_l", "entity_r"]
    order += ["match_weight", "probability", "decided_by", "is_match", "same_entity", "refused_by"]
    order += [f"{name}_{side}" for name in fields for side in ("l", "r")]
    queue = queue[order].copy()
    queue["verdict"] = ""
    queue["note"] = ""
    return queue
