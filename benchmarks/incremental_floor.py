"""What every run pays however little changed: start-up, reading and hashing every input record,
and writing complete outputs.

Under the output contract (docs/architecture.md: a run writes complete ``memberships.csv``,
``entities.csv``/``.parquet``, ``pairs.parquet``, ``features.parquet``, ``merges.parquet``)
an incremental run cannot take less than this, whatever its stages reuse. Run in a fresh process
by ``benchmarks/incremental.py``; prints one JSON object of seconds:

    python benchmarks/incremental_floor.py CONFIG RUN_DIR STORE

``RUN_DIR`` holds the outputs of a run of ``CONFIG`` (they are read back, untimed, to have
tables of the right size to write) and ``STORE`` the store it used (its cache says which
columns are the read ones).
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import linkage.pipeline  # noqa: E402  (what `linkage run` imports)
from linkage.config import load_config  # noqa: E402
from linkage.outputs import write_outputs  # noqa: E402
from linkage.run_state import cache_dir, record_hashes  # noqa: E402
from linkage.sources import read_sources  # noqa: E402


def read_back(run_dir: Path, store: Path) -> linkage.pipeline.RunResult:
    """The run's tables from its output files, typed as the pipeline holds them: read columns
    as Python strings, standardised and entity text as Arrow strings, pair uids shared with
    the features' uids."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    text = pd.ArrowDtype(pa.string())
    read_columns = json.loads((cache_dir(store) / "meta.json").read_text())["record_columns"]
    table = pq.read_table(run_dir / "features.parquet")
    features = table.to_pandas(ignore_metadata=True, types_mapper={pa.string(): text}.get)
    for column in read_columns:
        features[column] = features[column].to_numpy(dtype=object, na_value=None)
    pairs = pq.read_table(run_dir / "pairs.parquet").to_pandas(ignore_metadata=True)
    position = pd.Index(features["uid"].to_numpy(dtype=object))
    uids = features["uid"].to_numpy(dtype=object)
    for side in "lr":
        rows = position.get_indexer(pairs[f"uid_{side}"].to_numpy(dtype=object))
        pairs[f"idx_{side}"] = rows.astype(np.int64)
        pairs[f"uid_{side}"] = uids[rows]
    entities = pq.read_table(run_dir / "entities.parquet")
    return linkage.pipeline.RunResult(
        features=features,
        pairs=pairs,
        memberships=pd.read_csv(run_dir / "memberships.csv", dtype={"entity_id": object}),
        entities=entities.to_pandas(types_mapper={pa.string(): text}.get),
        manifest=json.loads((run_dir / "manifest.json").read_text(encoding="utf-8")),
        merges=pq.read_table(run_dir / "merges.parquet").to_pandas(),
        model=json.loads((run_dir / "model.json").read_text(encoding="utf-8")),
    )


def main() -> None:
    config_path, run_dir, store = (Path(a) for a in sys.argv[1:4])
    seconds = {"imports": time.perf_counter() - STARTED}
    started = time.perf_counter()
    records, _ = read_sources(load_config(config_path))
    seconds["read"] = time.perf_counter() - started
    started = time.perf_counter()
    record_hashes(records)
    seconds["hash"] = time.perf_counter() - started
    del records
    started = time.perf_counter()
    result = read_back(run_dir, store)
    seconds["untimed_read_back"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        write_outputs(result, Path(out))
        seconds["write"] = time.perf_counter() - started
    print(json.dumps({k: round(v, 3) for k, v in seconds.items()}))


if __name__ == "__main__":
    main()
