"""The run report: one self-contained HTML file a person can read offline and mail.

Built from a run's tables in memory (:class:`linkage.outputs.RunResult`), not from files written
for it. Sections: inputs and data quality, blocking, the model, scores, clusters, entities with
their merge trees, pairs near the threshold as waterfalls and, with ground truth, precision and
recall against the threshold with examples of false merges and misses. Charts are inline SVG
(:mod:`linkage.charts`); nothing is fetched. Every table is bounded (counts, histograms and a
few examples), so the size does not grow with the records.
"""

from __future__ import annotations

import pandas as pd

from linkage.blocking import pair_completeness
from linkage.evaluation import true_pairs
from linkage.outputs import RunResult
from linkage.report.inputs import blocking_section, inputs_section
from linkage.report.model import model_section, scores_section
from linkage.report.outcome import clusters_section, entities_section, pairs_section
from linkage.report.page import page
from linkage.report.truth import truth_section

__all__ = ["build_report"]


def build_report(result: RunResult, truth: pd.DataFrame | None = None) -> str:
    """The report of a run as HTML text; ``truth`` (either form :mod:`linkage.evaluation`
    reads) adds the section against the truth and blocking's pair completeness."""
    manifest, model = result.manifest, result.model or {}
    clustering = manifest.get("clustering", {})
    threshold = float(manifest.get("choices", {}).get("threshold", 0.5))
    completeness, expected = None, None
    if truth is not None:
        expected = true_pairs(truth)
        completeness = pair_completeness(result.pairs, expected["uid_l"], expected["uid_r"])
    sections = [
        inputs_section(manifest),
        blocking_section(manifest, completeness),
        model_section(manifest, model),
        scores_section(result.pairs, threshold, clustering.get("edges_tried", {})),
        clusters_section(result.entities, clustering),
        entities_section(result.features, result.entities, result.merges),
        pairs_section(result.features, result.pairs, model, manifest),
    ]
    if truth is not None and expected is not None:
        sections.append(truth_section(truth, expected, result.pairs, result.memberships, threshold))
    counts = manifest.get("counts", {})
    subtitle = (
        f"{counts.get('records', 0):,} records -> {counts.get('entities', 0):,} entities; "
        f"{counts.get('candidate_pairs', 0):,} candidate pairs, "
        f"{counts.get('matched_pairs', 0):,} matched. linkage {manifest.get('linkage_version', '')}"
        f", config sha256 {str(manifest.get('config_sha256', ''))[:12]}."
    )
    return page("Linkage run report", subtitle, sections)
