"""Report sections on the model: its parameters, how it was estimated, and the scores it gave."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from linkage import charts
from linkage.report.page import figure, paragraph, section, table
from linkage.scoring import weight_from_probability

THRESHOLD_TEXT = {
    "config": "set in the config",
    "expected_f1": "chosen automatically: the best expected F1 of the candidate pairs under "
    "the model (no labels)",
    "expected_f1_clusters": "chosen automatically: raised to the best expected F1 of the "
    "clusters (no labels)",
}


def judgements_text(judged: dict[str, Any]) -> str:
    """What the model learned from reviewers' judgements, in a sentence."""
    if not judged:
        return "none of the candidate pairs is judged"
    counts = f"{judged['same']:,} same, {judged['different']:,} different"
    if not judged.get("learned"):
        return f"{counts}; applied to their pairs, not learned from: {judged.get('why_not', '')}"
    text = f"{counts}; EM fitted with their classes known"
    if "largest_m_change" in judged:
        text += f" (m moved by up to {judged['largest_m_change']:.3g})"
    if "m" in judged:
        text += f"; m {judged['m']}"
    return text


def level_weights(model: dict[str, Any], comparison: str) -> list[float]:
    """Partial weight (bits) of each level of a comparison, level 0 first."""
    params = model.get("parameters", {})
    if "weights" in params:  # the supervised model's coefficients
        return [float(w) for w in params["weights"][comparison]]
    m, u = params["m"][comparison], params["u"][comparison]
    return [math.log2(a / b) if a > 0 and b > 0 else 0.0 for a, b in zip(m, u, strict=True)]


def comparison_levels(manifest: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Level labels per comparison, in the order of the comparisons (the manifest file sorts
    its keys; the comparisons' list keeps their order)."""
    choices = manifest.get("choices", {})
    levels = choices.get("comparison_levels", {})
    names = [str(c["name"]) for c in choices.get("comparisons", []) if c.get("name") in levels]
    return {name: levels[name] for name in names or sorted(levels)}


def model_section(manifest: dict[str, Any], model: dict[str, Any]) -> tuple[str, str, str]:
    """m and u per comparison level, the level weights as a chart, EM's convergence, the
    prior and the threshold with how it was chosen."""
    choices = manifest.get("choices", {})
    levels = comparison_levels(manifest)
    params = model.get("parameters", {})
    threshold = float(choices.get("threshold", params.get("threshold", 0.5)))
    source = str(choices.get("threshold_source", ""))
    kind = str(model.get("model", ""))
    parts = [
        table(
            ["", ""],
            [
                ["model", kind],
                ["estimation", params.get("estimation", "labels" if kind == "supervised" else "")],
                ["prior (bits)", float(params.get("prior_weight", 0.0))],
                ["prior P(match) of two random records", params.get("prior")],
                ["match share of the candidate pairs (EM)", params.get("lambda")],
                ["threshold P(match)", threshold],
                ["threshold (bits)", weight_from_probability(threshold)],
                ["threshold chosen", THRESHOLD_TEXT.get(source, source)],
                ["reviewer judgements", judgements_text(params.get("judgements", {}))],
            ],
        )
    ]
    problems = params.get("problems", [])
    if problems:
        parts.append(
            paragraph(
                "EM's estimate was set aside for a safe fallback: " + "; ".join(problems), "warn"
            )
        )
    labels, weights, rows = [], [], []
    for name, by_level in levels.items():
        values = level_weights(model, name)
        for level, weight in enumerate(values):
            label = by_level.get(str(level), str(level))
            labels.append(f"{name} {level}: {label}")
            weights.append(weight)
            m = params.get("m", {}).get(name, [None] * len(values))[level]
            u = params.get("u", {}).get(name, [None] * len(values))[level]
            rows.append([name, level, label, m, u, weight])
    parts.append(
        figure(
            "level-weights",
            charts.bars(labels, weights, title="Match weight per level (bits)", number="{:+.2f}"),
            "log2(m / u): what agreeing at the level adds to a pair's weight; a missing value "
            "adds 0.",
        )
    )
    parts.append(table(["comparison", "level", "meaning", "m", "u", "weight (bits)"], rows))
    trace = params.get("em_trace", {})
    shares = trace.get("match_share", [])
    if shares:
        changes = [math.log10(max(c, 1e-12)) for c in trace.get("largest_change", [])]
        steps = list(range(1, len(shares) + 1))
        parts.append(
            figure(
                "em-convergence",
                charts.lines(
                    steps,
                    {"match share": shares},
                    title=f"EM: match share per iteration ({len(shares)} iterations)",
                    x_label="iteration",
                ),
            )
        )
        parts.append(
            figure(
                "em-change",
                charts.lines(
                    steps,
                    {"log10 largest change": changes},
                    title="EM: largest parameter change per iteration (log10)",
                    x_label="iteration",
                ),
                "EM stops when no parameter moves more than the tolerance.",
            )
        )
    return section("model", "The model", parts)


def scores_section(
    pairs: pd.DataFrame, threshold: float, edges_tried: dict[str, int]
) -> tuple[str, str, str]:
    """The match-weight histogram of the candidate pairs, with the threshold, and how many
    matched pairs each kind of evidence decided (clustering's ``edges_tried``)."""
    weights = pairs["match_weight"].to_numpy(dtype=np.float64)
    parts = []
    if np.isfinite(weights).any():
        lo = math.floor(max(float(np.nanmin(weights)), -40.0))
        hi = math.ceil(min(float(np.nanmax(weights)), 40.0))
        edges = np.arange(lo, max(hi, lo + 1) + 1, 1.0)
        # one-bit bins: each weight's bin is its offset from the first edge, rounded down
        # (the ends clipped into the first and last bin), counted in one pass
        clipped = np.clip(weights[np.isfinite(weights)], edges[0], edges[-1] - 0.5)
        counts = np.bincount((clipped - edges[0]).astype(np.int64), minlength=len(edges) - 1)
        parts.append(
            figure(
                "match-weight-histogram",
                charts.histogram(
                    edges.tolist(),
                    counts.tolist(),
                    title="Candidate pairs by match weight",
                    x_label="match weight (bits; clipped to ±40)",
                    marker=("threshold", weight_from_probability(threshold)),
                    log=True,
                ),
                "Heights are log10(1 + pairs): most candidate pairs are far below the threshold.",
            )
        )
    tried = {str(k): int(v) for k, v in sorted(edges_tried.items())}
    rows = [[kind, n] for kind, n in tried.items()]
    parts.append(paragraph("Matched pairs by the evidence that decided them:"))
    parts.append(table(["decided by", "matched pairs"], rows))
    return section("scores", "Scores", parts)
