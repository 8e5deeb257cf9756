"""Write a run's outputs (docs/architecture.md, Tables) so that the same inputs give the same
bytes.

Rows are sorted by key, floats rounded, JSON keys sorted, and nothing time-dependent is written
except the manifest's ``timings_seconds``.
"""

from __future__ import annotations

import ctypes
import json
import platform
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow._parquet as pa_parquet_lib
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linkage._version import __version__
from linkage.config import Config
from linkage.memory import is_arrow_text
from linkage.run_folder import MANIFEST, check_run_folder, output_sizes, writing

if TYPE_CHECKING:
    from linkage.blocking import BlockingReport, BlockingRule
    from linkage.compare import Comparison
    from linkage.scoring import FellegiSunter
    from linkage.sources import SourceTable


@dataclass
class RunResult:
    """Everything a run produced, as tables, plus the manifest that describes it.

    Text is held compactly: the features' standardised columns, and the entities' joined lists
    and provenance, are Arrow strings (``pd.ArrowDtype(pa.string())``, missing values NA); the
    read columns and values survived from them are Python strings (docs/architecture.md).
    """

    features: pd.DataFrame
    pairs: pd.DataFrame
    memberships: pd.DataFrame
    entities: pd.DataFrame
    manifest: dict[str, Any]
    sources: list[SourceTable] = field(default_factory=list)
    merges: pd.DataFrame | None = None
    model: dict[str, Any] | None = None
    report: str | None = None
    """The run report (``report.html``), built by :func:`linkage.report.build_report`."""

    def write(self, out_dir: str | Path) -> Path:
        """Write memberships, entities, pairs and manifest into ``out_dir``."""
        return write_outputs(self, Path(out_dir))

    @classmethod
    def read(cls, run_dir: str | Path) -> RunResult:
        """The tables of a run folder written by :meth:`write` (the sources are not kept
        there; ``report`` is left out)."""
        run_dir = Path(run_dir)
        files = ["memberships.csv", "entities.parquet", "pairs.parquet", "features.parquet"]
        check_run_folder(run_dir, files, optional=["merges.parquet", "model.json"])
        merges, model = run_dir / "merges.parquet", run_dir / "model.json"
        return cls(
            features=pd.read_parquet(run_dir / "features.parquet"),
            pairs=pd.read_parquet(run_dir / "pairs.parquet"),
            memberships=pd.read_csv(
                run_dir / "memberships.csv", dtype={"source": str, "record_id": str}
            ),
            entities=pd.read_parquet(run_dir / "entities.parquet"),
            manifest=json.loads((run_dir / MANIFEST).read_text(encoding="utf-8")),
            merges=pd.read_parquet(merges) if merges.exists() else None,
            model=json.loads(model.read_text(encoding="utf-8")) if model.exists() else None,
        )


SHOWN_FIELDS = ("name", "address", "city", "postcode", "phone", "email", "website", "founded")
"""The fields of a record shown beside another (the report's pairs, the review queue)."""

PAIR_COLUMNS = (
    "uid_l",
    "uid_r",
    "rules",
    "match_weight",
    "probability",
    "score",
    "decided_by",
    "is_match",
    "same_entity",
    "refused_by",
)
"""Fixed columns of pairs.parquet; ``<comparison>_level`` and ``_weight`` follow ``rules``.
``is_match`` is the model's (or the identifier's, or a reviewer's) decision on the pair;
``same_entity`` is where clustering put the two records, and ``refused_by`` why it refused
the pair's union (``identifier:<scheme>``, ``branch``, ``unit``, ``unique_source``,
``judgement``)."""


def pair_columns(pairs: pd.DataFrame) -> list[str]:
    """The pairs.parquet columns: keys, rules, one level and weight per comparison, scores."""
    levels = [c for c in pairs.columns if str(c).endswith("_level")]
    weights = [c[: -len("_level")] + "_weight" for c in levels]
    dynamic = [c for pair in zip(levels, weights, strict=True) for c in pair if c in pairs]
    return list(PAIR_COLUMNS[:3]) + dynamic + [c for c in PAIR_COLUMNS[3:] if c in pairs]


LIBRARIES = ("pandas", "numpy", "pyarrow", "duckdb", "rapidfuzz", "python-stdnum", "pydantic")


def write_outputs(result: RunResult, out_dir: Path) -> Path:
    """Write memberships.csv, entities.csv/.parquet, pairs.parquet, features.parquet,
    model.json, merges.parquet, report.html and the manifest (with every file's size) into
    ``out_dir``, whole or marked incomplete (:mod:`linkage.run_folder`)."""
    with writing(out_dir) as staging:
        _write_files(result, staging)
        result.manifest["outputs"] = output_sizes(staging)
        text = json.dumps(
            result.manifest, indent=2, sort_keys=True, ensure_ascii=False, default=str
        )
        (staging / MANIFEST).write_text(text + "\n", encoding="utf-8")
    return out_dir


WRITE_THREADS = 2
"""Files written at once: Arrow converts, encodes and compresses without the GIL, so two
files on two threads take about the time of the larger (the bytes do not depend on it)."""


def _write_files(result: RunResult, out_dir: Path) -> None:
    """Every output file, the largest first, on ``WRITE_THREADS`` threads."""
    jobs: list[Callable[[], None]] = [
        lambda: write_parquet(result.features, out_dir / "features.parquet"),
        lambda: _write_pairs(result, out_dir),
        lambda: _write_entities(result.entities, out_dir),
        lambda: write_csv(result.memberships, out_dir / "memberships.csv"),
    ]
    if result.merges is not None:
        merges = result.merges
        jobs.append(lambda: write_parquet(merges, out_dir / "merges.parquet"))
    with ThreadPoolExecutor(max_workers=WRITE_THREADS) as pool:
        for done in [pool.submit(job) for job in jobs]:
            done.result()  # the first error, raised here
    if result.model is not None:
        model_text = json.dumps(result.model, indent=2, sort_keys=True, ensure_ascii=False)
        (out_dir / "model.json").write_text(model_text + "\n", encoding="utf-8")
    if result.report is not None:
        (out_dir / "report.html").write_text(result.report, encoding="utf-8")


def _write_entities(entities: pd.DataFrame, out_dir: Path) -> None:
    entities = _plain_index(entities)
    if len(entities) > ROW_GROUP_ROWS:
        write_csv(entities, out_dir / "entities.csv")
        write_parquet(entities, out_dir / "entities.parquet")
        return
    table = _to_arrow(entities, None, {})  # one row group, all in Arrow: converted once for both
    try:
        write_csv(entities, out_dir / "entities.csv", table)
        _write_table(table, out_dir / "entities.parquet")
    finally:
        del table
        pa.default_memory_pool().release_unused()


def _write_pairs(result: RunResult, out_dir: Path) -> None:
    uids = _pair_uids(result.pairs, result.features)  # the features' uids in Arrow
    write_parquet(result.pairs, out_dir / "pairs.parquet", pair_columns(result.pairs), uids)


ROW_GROUP_ROWS: int = getattr(pa_parquet_lib, "_DEFAULT_ROW_GROUP_SIZE", 1024 * 1024)
"""Rows per Parquet row group: pyarrow's default for ``write_table``, which wrote the files."""

Columns = Callable[[int, int], dict[str, pa.Array]]
"""Arrow arrays for some columns of rows ``[start, stop)``, converted some faster way."""

# as pq.write_table opens its ParquetWriter, so that row groups written one by one are the same
_WRITER_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "coerce_timestamps": None,
    "allow_truncated_timestamps": False,
    "data_page_size": None,
}


def write_parquet(
    frame: pd.DataFrame,
    path: Path,
    columns: list[str] | None = None,
    converted: Columns | None = None,
) -> None:
    """A frame as Parquet (zstd), without the index and without pandas metadata.

    The bytes are those of ``pq.write_table(pa.Table.from_pandas(frame[columns]))`` with the
    schema metadata dropped, but a frame longer than a row group is converted one row group at a
    time, so that Arrow only ever holds one row group; ``converted`` may supply some columns'
    arrays (per row group) instead of converting them from the frame.
    """
    frame = _plain_index(frame)
    if len(frame) > ROW_GROUP_ROWS and _sliceable(frame, columns):
        try:
            _write_row_groups(frame, path, columns, converted)
            return
        except _SchemaChanged:
            pass  # a column's type differs between row groups: convert the frame in one piece
    table = _to_arrow(frame, columns, converted(0, len(frame)) if converted else {})
    try:
        _write_table(table, path)
    finally:
        del table
        pa.default_memory_pool().release_unused()


def _plain_index(frame: pd.DataFrame) -> pd.DataFrame:
    # no pandas copies of a large frame (pairs): Arrow reads the columns it writes
    index = frame.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
        frame = frame.reset_index(drop=True)
    return frame


def _write_table(table: pa.Table, path: Path) -> None:
    """One table as Parquet. The caller releases Arrow's freed memory once it has dropped the
    table: released here, the caller's reference would keep the table's memory (~0.5 GB for the
    features at 907k records) held by Arrow's allocator until some later write."""
    rows = min(len(table), ROW_GROUP_ROWS) or None  # None: as pyarrow picks for no rows
    pq.write_table(table, path, row_group_size=rows, **_WRITER_OPTIONS)


class _SchemaChanged(Exception):
    """Row groups converted apart got different Arrow types (e.g. all-null in the first)."""


def _sliceable(frame: pd.DataFrame, columns: list[str] | None) -> bool:
    # plain numpy columns only: extension and categorical columns are converted in one piece
    names = set(frame.columns if columns is None else columns)
    return frame.columns.is_unique and all(
        isinstance(dtype, np.dtype) and dtype.kind in "biufO"
        for name, dtype in frame.dtypes.items()
        if name in names
    )


def _to_arrow(
    frame: pd.DataFrame, columns: list[str] | None, arrays: dict[str, pa.Array]
) -> pa.Table:
    if not arrays:
        table = pa.Table.from_pandas(frame, columns=columns, preserve_index=False)
        return table.replace_schema_metadata(None)
    names = [str(c) for c in frame.columns] if columns is None else columns
    rest = [c for c in names if c not in arrays]
    table = pa.Table.from_pandas(frame, columns=rest, preserve_index=False)
    for position, name in enumerate(names):
        if name in arrays:
            table = table.add_column(position, name, arrays[name])
    return table.replace_schema_metadata(None)


def _write_row_groups(
    frame: pd.DataFrame, path: Path, columns: list[str] | None, converted: Columns | None
) -> None:
    # Types are inferred per row group; when all agree, converting the whole frame infers the
    # same ones (inference depends on the kinds of values seen), so the bytes are the same.
    writer = None
    done = False
    try:
        for start in range(0, len(frame), ROW_GROUP_ROWS):
            stop = min(start + ROW_GROUP_ROWS, len(frame))
            arrays = converted(start, stop) if converted else {}
            table = _to_arrow(frame.iloc[start:stop], columns, arrays)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, **_WRITER_OPTIONS)
            elif not table.schema.equals(writer.schema):
                raise _SchemaChanged
            writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
            del table, arrays
        done = True
    finally:
        if writer is not None:
            writer.close()
        if not done:
            path.unlink(missing_ok=True)
        pa.default_memory_pool().release_unused()


CSV_CHUNK_ROWS = 8192
"""Rows formatted at a time by :func:`write_csv`."""

# a field holding one of these is quoted (RFC 4180: the delimiter, the quote, CR and LF)
_QUOTED_PATTERN = '[,"\\r\\n]'  # RE2
# a text cell a spreadsheet would run as a formula (OWASP, "CSV injection") gets a leading
# apostrophe, unless it holds only a sign, digits, spaces and ( ) . / - (a phone number, an
# amount): without letters or other operators it cannot call anything
_FORMULA = "^[=+\\-@\\t\\r]"
_PLAIN_NUMBER = "^[+-]?[0-9][0-9 ()./-]*$"


def write_csv(frame: pd.DataFrame, path: Path, table: pa.Table | None = None) -> None:
    """Write ``frame`` as CSV (a header, one line per row, ``\n`` line ends), formatted with
    Arrow a chunk of rows at a time (pandas' ``to_csv`` goes row by row through csv.writer:
    ~7.6 s for entities.csv at 907k records).

    Numbers are spelled as pandas spells them (floats as numpy does, integers and booleans as
    ``str``), missing values are empty, other values are text (``str``). A field is quoted when
    it holds a comma, a quote (doubled), or a line break, CR included. Text that a spreadsheet
    would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or CR) gets a
    leading apostrophe, as OWASP recommends, unless it is a number or a phone number (a sign,
    digits, spaces and ``( ) . / -`` only); Parquet outputs keep the raw value. ``table``, the
    frame converted by Arrow (:func:`_to_arrow`), saves converting its strings again.
    """
    labels = [str(label) for label in frame.columns]
    values = [_column_values(frame.iloc[:, i]) for i in range(len(labels))]
    if table is not None and table.num_columns == len(values):  # strings already converted
        values = [
            t if isinstance(v, np.ndarray) and v.dtype == object else v
            for v, t in zip(values, table.columns, strict=True)
        ]
    header = ",".join(_csv_text(pa.array(labels, type=pa.string())).to_pylist())
    if len(labels) == 1 and not header:
        header = '""'
    with open(path, "wb") as handle:
        handle.write(header.encode("utf-8") + b"\n")
        for start in range(0, len(frame), CSV_CHUNK_ROWS):
            fields = [_csv_field(_rows(v, start, CSV_CHUNK_ROWS)) for v in values]
            if len(fields) == 1:  # a lone empty field must not read as an empty line
                fields = [pc.if_else(pc.equal(fields[0], ""), '""', fields[0])]
            rows = pc.binary_join_element_wise(*fields, ",")
            rows = pc.binary_join_element_wise(rows, "", "\n")
            handle.write(_string_bytes(rows))


def _column_values(column: pd.Series) -> np.ndarray | pa.ChunkedArray:
    """A column as write_csv formats it: Arrow text as it is, numpy numbers and objects, and
    other types (dates, categories, nullable integers) as objects."""
    if is_arrow_text(column.dtype):
        return pa.chunked_array(pa.array(column.array))
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "biufO":
        return column.to_numpy()
    return column.astype(object).to_numpy()


def _rows(values: np.ndarray | pa.ChunkedArray, start: int, count: int) -> np.ndarray | pa.Array:
    if isinstance(values, np.ndarray):
        return values[start : start + count]
    return values.slice(start, count).combine_chunks()


def _csv_field(values: np.ndarray | pa.Array) -> pa.Array:
    """One column's fields: numbers as pandas' to_csv spells them, anything else as text."""
    if isinstance(values, pa.Array):
        return _csv_text(values)
    kind = values.dtype.kind
    if kind == "f":  # numpy's spelling (values.astype(str)), missing values empty
        return pa.array(values.astype(str), mask=pd.isna(values)).fill_null("")
    if kind in "iu":  # Python ints through str()
        return pa.array(values).cast(pa.string())
    if kind == "b":
        return pc.if_else(pa.array(values), "True", "False")
    try:
        text = pa.array(values, from_pandas=True)
    except (pa.ArrowException, UnicodeError):
        text = None
    if text is None or not (pa.types.is_string(text.type) or pa.types.is_null(text.type)):
        missing = pd.isna(values)
        objects = values.astype(object)
        text = pa.array(
            ["" if gone else str(v) for v, gone in zip(objects.tolist(), missing, strict=True)],
            type=pa.string(),
        )
    return _csv_text(text)


def _csv_text(text: pa.Array) -> pa.Array:
    """Text fields, defused and quoted where needed; missing values empty."""
    if pa.types.is_null(text.type):
        return pa.nulls(len(text), pa.string()).fill_null("")
    formula = pc.and_kleene(
        pc.match_substring_regex(text, _FORMULA),
        pc.invert(pc.match_substring_regex(text, _PLAIN_NUMBER)),
    )
    if pc.any(formula).as_py():
        defused = pc.binary_join_element_wise("'", text.filter(formula), "")
        text = pc.replace_with_mask(text, formula.fill_null(False), defused)
    needs = pc.match_substring_regex(text, _QUOTED_PATTERN)
    if pc.any(needs).as_py():
        quoted = pc.replace_substring(text.filter(needs), '"', '""')
        wrapped = pc.binary_join_element_wise('"', quoted, '"', "")
        text = pc.replace_with_mask(text, needs.fill_null(False), wrapped)
    return text.fill_null("")


def _string_bytes(text: pa.Array) -> memoryview:
    """The UTF-8 bytes of all values of a string array, one after another."""
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)
    start, stop = int(offsets[text.offset]), int(offsets[text.offset + len(text)])
    data = text.buffers()[2]
    return memoryview(data)[start:stop] if data is not None else memoryview(b"")


def _pair_uids(pairs: pd.DataFrame, features: pd.DataFrame) -> Columns | None:
    """``uid_l``/``uid_r`` taken from the features' uids by ``idx_l``/``idx_r`` where equal.

    Converting 2 x 9.6M scattered Python strings costs ~2.7 s at 907k records; taking them from
    the 907k converted uids costs ~0.2 s. They are the same string objects (the pipeline takes
    them from the features), which is checked by address without touching the strings; other
    objects are compared by value, and a row group where any differs is converted as usual.
    """
    needed = {"uid": features, "uid_l": pairs, "uid_r": pairs, "idx_l": pairs, "idx_r": pairs}
    if any(name not in frame.columns for name, frame in needed.items()):
        return None
    values = {name: np.ascontiguousarray(frame[name].to_numpy()) for name, frame in needed.items()}
    if any(values[f"uid{s}"].dtype != object for s in ("", "_l", "_r")) or any(
        values[f"idx_{s}"].dtype.kind not in "iu" for s in "lr"
    ):
        return None
    try:
        uid = pa.array(values["uid"], from_pandas=True)
    except pa.ArrowException:
        return None
    if not pa.types.is_string(uid.type):
        return None
    uid_addresses = _addresses(values["uid"])

    def arrays(start: int, stop: int) -> dict[str, pa.Array]:
        out = {}
        for side in ("l", "r"):
            index = values[f"idx_{side}"][start:stop]
            if len(index) and (index.min() < 0 or index.max() >= len(uid)):
                continue
            given = values[f"uid_{side}"][start:stop]
            differ = uid_addresses[index] != _addresses(given)
            if differ.any() and not (values["uid"][index[differ]] == given[differ]).all():
                continue
            out[f"uid_{side}"] = uid.take(pa.array(index))
        return out

    return arrays


def _addresses(objects: np.ndarray) -> np.ndarray:
    """The object pointers a contiguous object array holds (no reference counts touched)."""
    if not len(objects):
        return np.empty(0, dtype=np.uintp)
    pointers = (ctypes.c_size_t * len(objects)).from_address(objects.ctypes.data)
    return np.ctypeslib.as_array(pointers).copy()


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
            "reduced_blocks": blocking.reduced_blocks[:50],
            "reduced_block_count": len(blocking.reduced_blocks),
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


def matching_choices(
    rules: list[BlockingRule], comparisons: list[Comparison], model: FellegiSunter
) -> dict[str, Any]:
    """Every automatic (or pinned) matching choice, in the form the config accepts."""
    return {
        "blocking_rules": [r.to_dict() for r in rules],
        "comparisons": [c.to_dict() for c in comparisons],
        "comparison_levels": {c.name: c.describe()["levels"] for c in comparisons},
        "threshold": model.threshold_,
        "threshold_source": (
            "config"
            if model.threshold is not None
            else getattr(model, "threshold_source_", "expected_f1")
        ),
        "model": model.to_dict().get("parameters", {}),
    }
