"""Write a run's outputs (DESIGN §4) so that the same inputs give the same bytes.

Rows are sorted by key, floats rounded, JSON keys sorted, and nothing time-dependent is written
except the manifest's ``timings_seconds``.
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from linkage._version import __version__
from linkage.config import Config

if TYPE_CHECKING:
    from linkage.blocking import BlockingReport
    from linkage.pipeline import RunResult
    from linkage.sources import SourceTable

PAIR_COLUMNS = (
    "uid_l",
    "uid_r",
    "rules",
    "match_weight",
    "probability",
    "score",
    "decided_by",
    "is_match",
)
"""Fixed columns of pairs.parquet; ``<comparison>_level`` and ``_weight`` follow ``rules``."""


def pair_columns(pairs: pd.DataFrame) -> list[str]:
    """The pairs.parquet columns: keys, rules, one level and weight per comparison, scores."""
    levels = [c for c in pairs.columns if str(c).endswith("_level")]
    weights = [c[: -len("_level")] + "_weight" for c in levels]
    dynamic = [c for pair in zip(levels, weights, strict=True) for c in pair if c in pairs]
    return list(PAIR_COLUMNS[:3]) + dynamic + list(PAIR_COLUMNS[3:])


LIBRARIES = ("pandas", "numpy", "pyarrow", "duckdb", "rapidfuzz", "python-stdnum", "pydantic")


def write_outputs(result: RunResult, out_dir: Path) -> Path:
    """Write memberships.csv, entities.csv/.parquet, pairs.parquet, merges.parquet, manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    result.memberships.to_csv(out_dir / "memberships.csv", index=False, lineterminator="\n")
    result.entities.to_csv(out_dir / "entities.csv", index=False, lineterminator="\n")
    write_parquet(result.entities, out_dir / "entities.parquet")
    write_parquet(result.pairs, out_dir / "pairs.parquet", pair_columns(result.pairs))
    write_parquet(result.features, out_dir / "features.parquet")
    if result.model is not None:
        model_text = json.dumps(result.model, indent=2, sort_keys=True, ensure_ascii=False)
        (out_dir / "model.json").write_text(model_text + "\n", encoding="utf-8")
    if result.merges is not None:
        write_parquet(result.merges, out_dir / "merges.parquet")
    text = json.dumps(result.manifest, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    (out_dir / "manifest.json").write_text(text + "\n", encoding="utf-8")
    return out_dir


def write_parquet(frame: pd.DataFrame, path: Path, columns: list[str] | None = None) -> None:
    """A frame as Parquet (zstd), without the index and without pandas metadata."""
    # no pandas copies of a large frame (pairs): Arrow reads the columns it writes
    index = frame.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
        frame = frame.reset_index(drop=True)
    table = pa.Table.from_pandas(frame, columns=columns, preserve_index=False)
    pq.write_table(table.replace_schema_metadata(None), path, compression="zstd")


def build_manifest(
    config: Config,
    tables: list[SourceTable],
    choices: dict[str, Any],
    blocking: BlockingReport,
    features: pd.DataFrame,
    scored: pd.DataFrame,
    entities: pd.DataFrame,
    timings: dict[str, float],
) -> dict[str, Any]:
    """The run manifest: versions, config and hash, inputs, choices, counts and timings."""
    warnings = [str(w) for t in tables for w in t.warnings]
    multi_source = entities["sources"].str.contains(r" \| ", regex=True)
    return {
        "linkage_version": __version__,
        "python": platform.python_version(),
        "libraries": {name: version(name) for name in LIBRARIES},
        "config": config.model_dump(mode="json"),
        "config_sha256": config.digest(),
        "inputs": [asdict(t.fingerprint) for t in tables],
        "choices": choices,
        "blocking": {
            "pairs_per_rule": blocking.pairs_per_rule,
            "skipped_blocks": blocking.skipped_blocks[:50],
            "skipped_block_count": len(blocking.skipped_blocks),
            "largest_blocks": blocking.largest_blocks,
        },
        "counts": {
            "records": len(features),
            "records_per_source": {t.fingerprint.source: t.fingerprint.rows for t in tables},
            "candidate_pairs": len(scored),
            "matched_pairs": int(scored["is_match"].sum()),
            "entities": len(entities),
            "entities_spanning_sources": int(multi_source.sum()),
            "input_warnings": len(warnings),
        },
        "input_warnings": warnings[:100],
        "timings_seconds": timings,
    }
