"""Explain why two records match or not: per comparison level, m, u and partial weight.

Reads a run directory (``model.json``, ``features.parquet``, ``pairs.parquet``). A pair that
blocking never proposed is still explained: its levels are computed on the fly from the
features, exactly as the compare stage would have.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from linkage import charts
from linkage.compare import compare_indexed, prepare_all
from linkage.errors import UsageError
from linkage.run_folder import check_run_folder
from linkage.scoring import (
    FellegiSunter,
    SupervisedModel,
    agreement,
    load_model,
    probability_from_weight,
)

CHART_SUFFIXES = (".png", ".svg")
"""The chart formats :meth:`Explanation.waterfall` writes."""


@dataclass
class Explanation:
    """The decomposition of one pair's score.

    Attributes:
        uid_l, uid_r: the two records (``uid_l < uid_r``).
        rows: one dict per comparison: ``comparison, level, label, m, u, weight`` (+ values).
        prior_weight: the model's prior in bits.
        match_weight: prior + sum of partial weights.
        probability: P(match).
        threshold: the model's probability cut-off.
        candidate: whether blocking proposed this pair (else levels were computed now).
        agreed: the names agree once standardised and nothing speaks against
            (:func:`linkage.scoring.agreement`): a match whatever the probability.
        clustering: what clustering made of the pair in the run (one entity, or kept apart
            and why), when the run's pairs say it; else None.
    """

    uid_l: str
    uid_r: str
    rows: list[dict[str, Any]]
    prior_weight: float
    match_weight: float
    probability: float
    threshold: float
    candidate: bool
    agreed: bool = False
    clustering: str | None = None

    def table(self) -> pd.DataFrame:
        """The rows as a DataFrame (prior first, then one row per comparison)."""
        prior = {"comparison": "prior", "level": None, "label": "", "weight": self.prior_weight}
        return pd.DataFrame([prior, *self.rows])

    def to_text(self) -> str:
        """A plain-text table, as ``linkage explain`` prints it."""
        lines = [
            f"{self.uid_l}  vs  {self.uid_r}"
            + ("" if self.candidate else "  (not a candidate pair; levels computed now)"),
            "",
            f"{'comparison':<16} {'lvl':>3}  {'label':<44} {'m':>9} {'u':>10} {'weight':>8}",
            f"{'prior':<16} {'':>3}  {'':<44} {'':>9} {'':>10} {self.prior_weight:>8.3f}",
        ]
        for row in self.rows:
            m = "" if row["m"] is None else f"{row['m']:.4g}"
            u = "" if row["u"] is None else f"{row['u']:.4g}"
            lines.append(
                f"{row['comparison']:<16} {row['level']:>3}  {row['label'][:44]:<44} "
                f"{m:>9} {u:>10} {row['weight']:>8.3f}"
            )
        decision = "match" if self.probability >= self.threshold else "no match"
        if self.agreed:
            decision = "match: the names agree once standardised and nothing speaks against"
        lines += [
            "",
            f"match weight {self.match_weight:.3f} bits = prior + partial weights; "
            f"probability {self.probability:.6f} (threshold {self.threshold:.6g}: {decision})",
        ]
        if self.clustering is not None:
            lines.append(f"clustering: {self.clustering}")
        for row in self.rows:
            if row.get("values"):
                lines.append(f"  {row['comparison']}: {row['values']}")
        return "\n".join(lines)

    def waterfall(self, path: str | Path) -> Path:
        """Save a waterfall chart: SVG (drawn here), or PNG (needs the ``plot`` extra)."""
        path = Path(path)
        if path.suffix.lower() not in CHART_SUFFIXES:
            raise UsageError(
                f"{path}: a chart is written as {' or '.join(CHART_SUFFIXES)} (by the suffix)"
            )
        title = f"{self.uid_l} vs {self.uid_r}: probability {self.probability:.4f}"
        steps = [("prior", self.prior_weight)]
        steps += [(f"{r['comparison']}: {r['label']}", r["weight"]) for r in self.rows]
        if path.suffix.lower() == ".svg":
            path.write_text(charts.waterfall(steps, title=title) + "\n", encoding="utf-8")
            return path
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise UsageError(
                "a PNG chart needs matplotlib: pip install 'registry-linkage[plot]' (or save "
                "it as .svg)"
            ) from exc
        labels = ["prior"] + [r["comparison"] for r in self.rows] + ["total"]
        values = [value for _, value in steps]
        starts = np.concatenate([[0.0], np.cumsum(values)[:-1]])
        fig, ax = plt.subplots(figsize=(1.2 * len(labels) + 2, 4))
        colours = ["#2a9d8f" if s >= 0 else "#e76f51" for s in values]
        ax.bar(labels[:-1], values, bottom=starts, color=colours)
        ax.bar(labels[-1], self.match_weight, color="#264653")
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_ylabel("match weight (bits)")
        ax.set_title(title)
        ax.tick_params(axis="x", rotation=30)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)
        return path


def explain_pair(
    model: FellegiSunter | SupervisedModel,
    features: pd.DataFrame,
    uid_a: str,
    uid_b: str,
    pairs: pd.DataFrame | None = None,
    *,
    term_frequencies: bool = True,
) -> Explanation:
    """Explain one pair of records (given by uid, in either order); with
    ``term_frequencies=False``, without the adjustments for common values."""
    uid_l, uid_r = sorted((uid_a, uid_b))
    uids = features["uid"].astype(str)
    where = {u: np.flatnonzero(uids.to_numpy() == u) for u in (uid_l, uid_r)}
    missing = [u for u, found in where.items() if len(found) == 0]
    if missing:
        raise UsageError(f"no record with uid {', '.join(map(repr, missing))} in this run")
    if uid_l == uid_r:
        raise UsageError("give two different records")
    il, ir = where[uid_l][:1], where[uid_r][:1]
    comparisons = model.comparisons
    prepared = prepare_all(comparisons, features)
    levels, tf = compare_indexed(comparisons, prepared, il, ir, term_frequencies=term_frequencies)
    weights = model.partial_weights(levels, tf if term_frequencies else None)[0]
    candidate = False
    if pairs is not None and len(pairs):
        hit = (pairs["uid_l"] == uid_l) & (pairs["uid_r"] == uid_r)
        candidate = bool(hit.any())
    rows = []
    for j, c in enumerate(comparisons):
        level = int(levels[0, j])
        null = level < 0
        m = None if null else model.m_of(j, level)
        u = None if null else model.u_of(j, level)
        values = {
            col: [_show(features[col].iloc[il[0]]), _show(features[col].iloc[ir[0]])]
            for col in c.columns
            if col in features
        }
        rows.append(
            {
                "comparison": c.name,
                "level": level,
                "label": c.label_of(level),
                "m": m,
                "u": u,
                "weight": float(weights[j]),
                "values": "; ".join(f"{k}: {a!r} | {b!r}" for k, (a, b) in values.items()),
            }
        )
    total = float(model.prior_weight_ + weights.sum())
    compared = {f"{c.name}_level": levels[:, j] for j, c in enumerate(comparisons)}
    compared |= {f"{c.name}_weight": weights[j : j + 1] for j, c in enumerate(comparisons)}
    agreed = bool(agreement(pd.DataFrame(compared), comparisons)[0])
    return Explanation(
        uid_l,
        uid_r,
        rows,
        float(model.prior_weight_),
        total,
        float(probability_from_weight(np.array([total]))[0]),
        float(model.threshold_),
        candidate,
        agreed,
    )


def _show(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


OUTCOME_COLUMNS = ("is_match", "same_entity", "refused_by")
"""The columns of pairs.parquet that say what became of a pair."""


def explain_run(run_dir: str | Path, uid_a: str, uid_b: str) -> Explanation:
    """Explain a pair from a run directory written by ``linkage run``."""
    run_dir = Path(run_dir)
    check_run_folder(run_dir, ["model.json", "features.parquet"], optional=["pairs.parquet"])
    model = load_model(run_dir / "model.json")
    # text as object columns, as the run compared it (the file holds it as Arrow strings)
    features = pq.read_table(run_dir / "features.parquet").to_pandas(ignore_metadata=True)
    pairs_path = run_dir / "pairs.parquet"
    pairs = None
    if pairs_path.exists():  # read once: the candidate pairs and, when written, their outcome
        names = set(pq.read_schema(pairs_path).names)
        columns = ["uid_l", "uid_r", *[c for c in OUTCOME_COLUMNS if c in names]]
        pairs = pd.read_parquet(pairs_path, columns=columns)
    explanation = explain_pair(model, features, uid_a, uid_b, pairs)
    if pairs is not None and set(OUTCOME_COLUMNS) <= set(pairs.columns):
        explanation.clustering = _clustering_outcome(pairs, explanation)
    return explanation


def _clustering_outcome(pairs: pd.DataFrame, explanation: Explanation) -> str | None:
    """What the run's clustering made of the pair, from its pairs (None: not a pair of them)."""
    found = pairs[(pairs["uid_l"] == explanation.uid_l) & (pairs["uid_r"] == explanation.uid_r)]
    if not len(found):
        return None
    row = found.iloc[0]
    if row["same_entity"]:
        return "the two records are in one entity"
    if isinstance(row["refused_by"], str):
        decided = "they match, but" if row["is_match"] else "and"
        return f"{decided} clustering refused to join them ({row['refused_by']}): two entities"
    return "the two records are in different entities"
