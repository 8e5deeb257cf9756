"""Report sections on what went in: the sources and their data quality, and blocking."""

from __future__ import annotations

from typing import Any

from linkage import charts
from linkage.report.page import figure, paragraph, section, table

PERCENT = "{:.1f}%"


def inputs_section(manifest: dict[str, Any]) -> tuple[str, str, str]:
    """Records, fill rate per field, invalid identifiers, unparsed dates and warnings, per
    source (the manifest's ``data_quality`` and ``input_warnings``)."""
    quality: dict[str, Any] = manifest.get("data_quality", {})
    inputs = {str(i.get("source")): i for i in manifest.get("inputs", [])}
    rows, fill_labels, fill_values = [], [], []
    for source, q in sorted(quality.items()):
        records = int(q.get("records", 0))
        filled = q.get("filled", {})
        empty_names = records - int(filled.get("name", 0))
        rows.append([source, inputs.get(source, {}).get("path", ""), records, empty_names])
        for field_name, count in sorted(filled.items()):
            fill_labels.append(f"{source} · {field_name}")
            fill_values.append(100.0 * int(count) / max(records, 1))
    parts = [
        table(["source", "file", "records", "records without a name"], rows),
        figure(
            "fill-rate",
            charts.bars(fill_labels, fill_values, title="Fill rate per field (%)", number=PERCENT),
            "Share of each source's records with a value in the field.",
        ),
    ]
    problems = [
        [source, scheme, int(i.get("values", 0)), int(i.get("unusable", 0)), problem, int(n)]
        for source, q in sorted(quality.items())
        for scheme, i in sorted(q.get("identifiers", {}).items())
        for problem, n in sorted(i.get("problems", {}).items())
    ]
    parts.append("<h3>Invalid identifiers</h3>")
    header = ["source", "scheme", "values", "unusable", "problem", "count"]
    parts.append(table(header, problems) if problems else paragraph("None found."))
    dates = [
        [source, name, int(d.get("values", 0)), int(d.get("unusable", 0))]
        for source, q in sorted(quality.items())
        for name, d in sorted(q.get("dates", {}).items())
    ]
    if dates:
        parts.append("<h3>Dates</h3>")
        parts.append(table(["source", "field", "values", "not parsed"], dates))
    warnings = manifest.get("input_warnings", [])
    parts.append("<h3>Input warnings</h3>")
    if warnings:
        shown = [[str(w)] for w in warnings[:50]]
        parts.append(table(["warning (first 50)"], shown))
    else:
        parts.append(paragraph("None."))
    return section("inputs", "Inputs and data quality", parts)


def blocking_section(
    manifest: dict[str, Any], completeness: dict[str, Any] | None
) -> tuple[str, str, str]:
    """Pairs per rule, the largest blocks kept and the generic keys skipped; with truth, the
    share of true pairs each rule found (``completeness``, from
    :func:`linkage.blocking.pair_completeness`)."""
    blocking: dict[str, Any] = manifest.get("blocking", {})
    counted = blocking.get("pairs_per_rule", {})
    order = [r["name"] for r in manifest.get("choices", {}).get("blocking_rules", [])]
    per_rule = {name: int(counted[name]) for name in order if name in counted}
    per_rule |= {name: int(n) for name, n in sorted(counted.items()) if name not in per_rule}
    total = sum(int(v) for v in per_rule.values())
    parts = [
        paragraph(f"{total:,} candidate pairs, each counted for the first rule that found it."),
        figure(
            "pairs-per-rule",
            charts.bars(list(per_rule), list(per_rule.values()), title="Candidate pairs per rule"),
        ),
        "<h3>Largest blocks kept</h3>",
        _blocks(blocking.get("largest_blocks", [])),
        f"<h3>Blocks skipped as too generic ({int(blocking.get('skipped_block_count', 0)):,})</h3>",
        paragraph(
            "A key shared by more records than the rule's cap is skipped (when its names are "
            "many) or reduced to neighbours (when few names repeat)."
        ),
        _blocks(blocking.get("skipped_blocks", [])),
        f"<h3>Blocks reduced to neighbours ({int(blocking.get('reduced_block_count', 0)):,})</h3>",
        _blocks(blocking.get("reduced_blocks", [])),
    ]
    if completeness is not None:
        found = completeness["per_rule"]
        parts += [
            "<h3>Pair completeness (with truth)</h3>",
            paragraph(
                f"Blocking found {completeness['found']:,} of {completeness['true_pairs']:,} "
                f"true pairs ({completeness['pair_completeness']:.2%})."
            ),
            figure(
                "completeness-per-rule",
                charts.bars(
                    list(found),
                    [100.0 * v for v in found.values()],
                    title="Share of the true pairs found, by the rule that found them (%)",
                    number=PERCENT,
                ),
            ),
        ]
    return section("blocking", "Blocking", parts)


def _blocks(blocks: list[dict[str, Any]]) -> str:
    if not blocks:
        return paragraph("None.")
    rows = [[b["rule"], _readable(str(b["key"])), b["size"]] for b in blocks]
    return table(["rule", "key", "records"], rows)


def _readable(key: str) -> str:
    """A blocking key with the separator of its columns (a control character) shown."""
    return "".join(" | " if ch < " " else ch for ch in key)
