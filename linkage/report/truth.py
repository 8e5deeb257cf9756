"""The report's section with ground truth: scores, precision and recall against the threshold,
and examples of false merges and misses."""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage import charts, evaluation
from linkage.report.page import figure, frame_table, paragraph, section, table

EXAMPLES = 10


def truth_section(
    truth: pd.DataFrame,
    expected: pd.DataFrame,
    pairs: pd.DataFrame,
    memberships: pd.DataFrame,
    threshold: float,
) -> tuple[str, str, str]:
    """Scores of the memberships against ``truth`` (either form; ``expected``: its true
    pairs), the candidate pairs' precision, recall and F1 per threshold, and the first false
    merges and misses."""
    scores = evaluation.evaluate_memberships(truth, memberships)
    rows = [
        ["pairwise", scores.pairwise.precision, scores.pairwise.recall, scores.pairwise.f1],
        ["B-cubed", scores.bcubed.precision, scores.bcubed.recall, scores.bcubed.f1],
    ]
    parts = [
        table(["entities", "precision", "recall", "F1"], rows),
        paragraph(
            f"{scores.n_records:,} records scored; {scores.missing_from_prediction:,} records "
            f"of the truth are not in the run, {scores.missing_from_truth:,} records of the run "
            "are not in the truth."
        ),
    ]
    grid = np.round(np.arange(0.02, 1.0, 0.02), 2)
    sweep = evaluation.threshold_sweep(truth, pairs, thresholds=grid)
    parts.append(
        figure(
            "precision-recall",
            charts.lines(
                grid.tolist(),
                {
                    "precision": [p.scores.precision for p in sweep],
                    "recall": [p.scores.recall for p in sweep],
                    "F1": [p.scores.f1 for p in sweep],
                },
                title="Candidate pairs against the truth, by threshold (before clustering)",
                x_label="threshold P(match)",
                y_range=(0.0, 1.0),
                marker=("threshold", threshold),
            ),
            "Every candidate pair at or above the threshold called a match; recall counts the "
            "true pairs blocking missed too.",
        )
    )
    hit = evaluation.is_true_pair(truth, pairs["uid_l"], pairs["uid_r"])
    columns = ["uid_l", "uid_r", "match_weight", "probability", "decided_by"]
    false_merges = pairs.loc[pairs["same_entity"].to_numpy() & ~hit, columns]
    false_merges = false_merges.sort_values(["match_weight", "uid_l"], ascending=[False, True])
    parts.append(f"<h3>False merges ({len(false_merges):,} candidate pairs in one entity)</h3>")
    parts.append(_examples(false_merges))
    apart = evaluation.pairs_apart(expected, memberships)
    parts.append(f"<h3>Misses ({len(apart):,} true pairs kept apart)</h3>")
    parts.append(_examples(_misses(apart, pairs)))
    return section("truth", "Against the truth", parts)


def _misses(apart: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """The first true pairs kept apart, with what the run made of them."""
    apart = apart.sort_values(["uid_l", "uid_r"]).head(EXAMPLES)
    known = pairs[["uid_l", "uid_r", "match_weight", "probability", "refused_by"]]
    found = apart.merge(known, on=["uid_l", "uid_r"], how="left")
    found["candidate"] = found["match_weight"].notna()
    return found


def _examples(frame: pd.DataFrame) -> str:
    if frame.empty:
        return paragraph("None.")
    shown = frame.head(EXAMPLES)
    return frame_table(shown.astype(object).where(shown.notna()))
