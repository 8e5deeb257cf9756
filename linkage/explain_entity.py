"""Why an entity holds its members: the unions that built it and the ones it refused.

Reads a run folder: ``memberships.csv``, ``merges.parquet`` (every union clustering tried, in
processing order), ``entities.parquet`` and, for the evidence of scored edges, ``pairs.parquet``.
The accepted unions inside an entity form its merge tree (a spanning tree: each joined two
components); refusals involving a member say which rule stopped a larger entity.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from linkage import charts
from linkage.errors import UsageError
from linkage.run_folder import check_run_folder

REASON_TEXT = {
    "identifier": "the two sides hold different valid identifiers under '{detail}'",
    "branch": "one side holds a branch and the other a non-branch record, with no shared "
    "identifier (a branch is another entity than its head office)",
    "unit": "the two sides hold different sub-units (another branch, outlet or office of a "
    "parent), with no shared identifier",
    "unique_source": "both sides hold records of one source declared unique = true",
    "judgement": "a reviewer judged records of the two sides 'different'",
}
KIND_TEXT = {
    "judgement": "a reviewer judged them 'same'",
    "identifier": "they share the valid identifier key {evidence}",
}


@dataclass
class EntityExplanation:
    """An entity's members, the unions that joined them, and the unions refused around it."""

    entity_id: str
    profile: dict[str, Any]
    members: pd.DataFrame
    joins: pd.DataFrame
    refusals: pd.DataFrame
    judged: pd.DataFrame | None = None

    def merge_tree(self, path: str | Path) -> Path:
        """Save the entity's merge tree as an SVG chart (each union a vertical line, in the
        order clustering made them)."""
        path = Path(path)
        if path.suffix.lower() != ".svg":
            raise UsageError(f"{path}: a merge tree is drawn as .svg")
        uids = self.members["uid"].astype(str).tolist()
        names = self.members["name"] if "name" in self.members else pd.Series([""] * len(uids))
        leaves = [
            f"{uid}  {name}" if isinstance(name, str) else uid
            for uid, name in zip(uids, names, strict=True)
        ]
        index = {uid: i for i, uid in enumerate(uids)}
        unions = [
            (index[str(j.uid_l)], index[str(j.uid_r)], f"step {j.step}: {_why_joined(j)}")
            for j in self.joins.itertuples(index=False)
        ]
        title = f"Merge tree of {self.entity_id} ({len(uids)} records)"
        path.write_text(charts.merge_tree(leaves, unions, title=title) + "\n", encoding="utf-8")
        return path

    def to_text(self) -> str:
        """A readable account, one line per member and per union."""
        size = len(self.members)
        confidence = self.profile.get("confidence")
        lines = [f"entity {self.entity_id}: {size} member(s)"]
        if confidence is not None and pd.notna(confidence):
            lines[0] += f", confidence {float(confidence):.3f} (its weakest link)"
        if self.profile.get("name"):
            lines.append(f"name: {self.profile['name']}")
        lines.append("members:")
        for row in self.members.itertuples(index=False):
            name = getattr(row, "name", None)
            lines.append(f"  {row.uid}" + (f"  {name}" if isinstance(name, str) else ""))
        if size > 1:
            lines.append("joined by (strongest evidence first, as clustering processed it):")
        for row in self.joins.itertuples(index=False):
            lines.append(f"  step {row.step}: {row.uid_l} + {row.uid_r}: {_why_joined(row)}")
        if len(self.refusals):
            lines.append("refused unions (would have joined another entity):")
        for row in self.refusals.itertuples(index=False):
            other = row.entity_r if row.entity_l == self.entity_id else row.entity_l
            lines.append(
                f"  step {row.step}: {row.uid_l} x {row.uid_r} ({_why_joined(row)}) with "
                f"{other!s} refused: {_why_refused(str(row.reason))}"
            )
        judged = self.judged if self.judged is not None else pd.DataFrame()
        if len(judged):
            lines.append("pairs a reviewer's judgement decided (instead of the model):")
        for row in judged.itertuples(index=False):
            verdict = "same: joined" if row.is_match else "different: kept apart"
            lines.append(f"  {row.uid_l} x {row.uid_r}: {verdict}")
        return "\n".join(lines)


def _why_joined(row: Any) -> str:
    kind = str(row.kind)
    if kind in KIND_TEXT:
        return KIND_TEXT[kind].format(evidence=row.evidence)
    if kind == "agreement":
        kind = "agreement (the names agree once standardised and nothing speaks against)"
    text = f"{kind}, weight {row.weight:.3f}"
    probability = getattr(row, "probability", None)
    if probability is not None and pd.notna(probability):
        text += f", probability {float(probability):.4f}"
    if isinstance(row.evidence, str) and row.evidence:
        text += f", blocked by {row.evidence}"
    partial = getattr(row, "partial", None)
    if isinstance(partial, str) and partial:
        text += f"; partial weights: {partial}"
    return text


def _why_refused(reason: str) -> str:
    head, _, detail = reason.partition(":")
    return REASON_TEXT.get(head, reason).format(detail=detail)


def explain_entity(run_dir: str | Path, entity_id: str) -> EntityExplanation:
    """Explain one entity of a run folder written by ``linkage run``."""
    run_dir = Path(run_dir)
    optional = ["entities.parquet", "features.parquet", "pairs.parquet"]
    check_run_folder(run_dir, ["memberships.csv", "merges.parquet"], optional=optional)
    members = pd.read_csv(run_dir / "memberships.csv", dtype=str, keep_default_na=False)
    members = members[members["entity_id"] == entity_id]
    if members.empty:
        raise UsageError(f"entity {entity_id!r} is not in {run_dir / 'memberships.csv'}")
    profile: dict[str, Any] = {}
    entities_path = run_dir / "entities.parquet"
    if entities_path.exists():
        entities = pd.read_parquet(entities_path)
        row = entities[entities["entity_id"] == entity_id]
        if len(row):
            profile = {str(k): v for k, v in row.iloc[0].to_dict().items()}
    features_path = run_dir / "features.parquet"
    if features_path.exists() and "name" in pq.read_schema(features_path).names:
        names = pd.read_parquet(features_path, columns=["uid", "name"])
        members = members.merge(names, on="uid", how="left")
    merges = pd.read_parquet(run_dir / "merges.parquet")
    inside = (merges["entity_l"] == entity_id) | (merges["entity_r"] == entity_id)
    pairs_path = run_dir / "pairs.parquet"
    pairs = None
    if pairs_path.exists():
        uids = members["uid"].tolist()
        touching = [[("uid_l", "in", uids)], [("uid_r", "in", uids)]]
        pairs = pd.read_parquet(pairs_path, filters=touching)
    merges = _with_evidence(merges[inside], pairs)
    joins = merges[merges["accepted"]].sort_values("step")
    judged = None
    if pairs is not None:
        judged = pairs[pairs["decided_by"] == "judgement"]
        judged = judged[["uid_l", "uid_r", "decided_by", "is_match"]].reset_index(drop=True)
    refusals = merges[~merges["accepted"]].sort_values("step")
    return EntityExplanation(
        entity_id,
        profile,
        members.sort_values("uid").reset_index(drop=True),
        joins.reset_index(drop=True),
        refusals.reset_index(drop=True),
        judged,
    )


def _with_evidence(merges: pd.DataFrame, pairs: pd.DataFrame | None) -> pd.DataFrame:
    """Add the scored pair's probability and partial weights to scored edges."""
    if merges.empty or pairs is None:
        return merges
    keys = merges[["uid_l", "uid_r"]]
    pairs = pairs.merge(keys, on=["uid_l", "uid_r"])
    weights = [c for c in pairs.columns if str(c).endswith("_weight") and c != "match_weight"]
    if weights:
        partial = pairs[weights].round(2).astype(str)
        labels = [c.removesuffix("_weight") for c in weights]
        pairs["partial"] = [
            ", ".join(f"{label} {value}" for label, value in zip(labels, row, strict=True))
            for row in partial.itertuples(index=False)
        ]
    keep = ["uid_l", "uid_r"] + [c for c in ("probability", "partial") if c in pairs]
    return merges.merge(pairs[keep], on=["uid_l", "uid_r"], how="left")
