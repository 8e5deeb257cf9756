"""Read registries and map their columns to the canonical records table.

Every value is read as text and kept as written; standardisation happens later, next to it.
Each input is fingerprinted (sha256, bytes, rows) for the run manifest. Anything that stops a
source from being read as declared raises InputError naming file, row and column; nothing is
dropped silently.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from linkage.config import Config, SourceConfig
from linkage.errors import ConfigError, ConfigProblem, InputError, InputProblem

KEY_COLUMNS = ("uid", "source", "record_id")


@dataclass(frozen=True)
class Fingerprint:
    """What was read: enough to tell later whether an input changed."""

    source: str
    path: str
    sha256: str
    bytes: int
    rows: int


@dataclass(frozen=True)
class SourceTable:
    """One source mapped to canonical columns, with its fingerprint and soft problems."""

    records: pd.DataFrame
    fingerprint: Fingerprint
    warnings: tuple[InputProblem, ...] = ()


def read_sources(
    config: Config, frames: dict[str, pd.DataFrame] | None = None
) -> tuple[pd.DataFrame, list[SourceTable]]:
    """Read every source of the config into one records table, sorted by uid.

    Args:
        config: the validated run config.
        frames: DataFrames for sources given in memory, by source name (their ``path`` is unset).

    Returns:
        The records table and the per-source tables (fingerprints and warnings; their
        ``records`` are emptied, keeping the columns).

    Raises:
        InputError: listing the problems of every source that could not be read.
    """
    frames = frames or {}
    tables: list[SourceTable] = []
    problems: list[InputProblem] = []
    for index, source in enumerate(config.sources):
        if source.name not in frames and source.path is None:
            raise ConfigError(
                [
                    ConfigProblem(
                        f"sources[{index}].path",
                        "required (or pass the source as a DataFrame: Linker(frames={name: df}))",
                    )
                ]
            )
        try:
            if source.name in frames:
                tables.append(read_dataframe(frames[source.name], source))
            else:
                tables.append(read_file(config.source_path(source), source))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    records = pd.concat([t.records for t in tables], ignore_index=True)
    # the rows now live in ``records``: the per-source tables keep their fingerprints and
    # warnings, not a second copy of every row for the whole run
    tables = [replace(t, records=t.records.iloc[:0].copy()) for t in tables]
    records = records.take(uid_order(records["uid"]))
    records.index = pd.RangeIndex(len(records))  # in place: reset_index would copy every column
    return records, tables


def uid_order(uids: pd.Series) -> np.ndarray:
    """Row order that sorts ``uids`` (stable; code point order, as Python compares str).

    Arrow sorts UTF-8 bytes, whose order is the code point order, several times faster than
    pandas compares Python strings.
    """
    import pyarrow.compute as pc

    return pc.sort_indices(pa.array(uids.astype(str).to_numpy(), type=pa.string())).to_numpy()


def read_file(path: Path, source: SourceConfig) -> SourceTable:
    """Read one source file (CSV, Parquet or JSON Lines) and map it to canonical columns."""
    label = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            [InputProblem(label, f"file not found (source {source.name!r})")]
        ) from None
    except OSError as exc:
        raise InputError([InputProblem(label, f"cannot read: {exc.strerror}")]) from None
    if not data.strip():
        raise InputError([InputProblem(label, "file is empty")])
    fmt = source.resolved_format()
    if fmt == "csv":
        raw, first_row = _parse_csv(data, label, source), 2
    elif fmt == "parquet":
        raw, first_row = _parse_parquet(data, label), 1
    else:
        raw, first_row = _parse_jsonl(data, label), 1
    if raw.empty:
        raise InputError([InputProblem(label, "holds a header but no records")])
    digest = hashlib.sha256(data).hexdigest()
    return _map_columns(raw, source, label, first_row, digest, len(data))


def read_dataframe(frame: pd.DataFrame, source: SourceConfig) -> SourceTable:
    """Map an in-memory DataFrame to canonical columns; rows are numbered from 1."""
    label = f"<DataFrame {source.name}>"
    if frame.empty:
        raise InputError([InputProblem(label, "DataFrame has no rows")])
    raw = frame.astype(object).where(frame.notna(), None)
    raw = raw.apply(lambda col: col.map(_as_text))
    hashed = pd.util.hash_pandas_object(raw.astype(str), index=False).to_numpy().tobytes()
    digest = hashlib.sha256(hashed).hexdigest()
    return _map_columns(raw, source, label, 1, digest, 0)


def _parse_csv(data: bytes, label: str, source: SourceConfig) -> pd.DataFrame:
    encoding = (
        "utf-8-sig"
        if source.encoding.lower().replace("_", "-") in ("utf-8", "utf8")
        else (source.encoding)
    )
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            [
                InputProblem(
                    label,
                    f"bytes not valid {source.encoding} at byte {exc.start}; declare the "
                    "file's encoding with `encoding = ...` (e.g. gb18030)",
                    row=line,
                )
            ]
        ) from None
    if not text.strip():
        raise InputError([InputProblem(label, "file is empty")])
    header = next(csv.reader(io.StringIO(text), delimiter=source.resolved_delimiter()), [])
    problems = [
        InputProblem(label, f"header has duplicate column {name!r}", row=1, column=name)
        for name in sorted({c for c in header if header.count(c) > 1})
    ]
    if problems:
        raise InputError(problems)
    ragged: list[InputProblem] = []

    def on_bad_row(row: pacsv.InvalidRow) -> str:
        ragged.append(
            InputProblem(
                label,
                f"has {row.actual_columns} fields where the header has {row.expected_columns}",
                row=row.number,
            )
        )
        return "skip"

    table = pacsv.read_csv(
        io.BytesIO(text.encode("utf-8")),
        read_options=pacsv.ReadOptions(use_threads=False, column_names=header, skip_rows=1),
        parse_options=pacsv.ParseOptions(
            delimiter=source.resolved_delimiter(),
            newlines_in_values=True,
            invalid_row_handler=on_bad_row,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    if ragged:
        raise InputError(ragged)
    frame = table.to_pandas().astype(object).where(lambda df: df.notna(), None)
    lines = text.count("\n") + (not text.endswith("\n"))
    if lines != len(frame) + 1:  # a quoted line break, or a blank line: count records' lines
        frame.attrs["row_numbers"] = _record_lines(text, source.resolved_delimiter())
    return frame


def _record_lines(text: str, delimiter: str) -> list[int]:
    """The line each record of a CSV text starts on (the header is line 1; blank lines hold
    no record), as csv.reader reads it."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(reader, None)
    starts, last = [], reader.line_num
    for row in reader:
        if row:
            starts.append(last + 1)
        last = reader.line_num
    return starts


def _parse_parquet(data: bytes, label: str) -> pd.DataFrame:
    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError([InputProblem(label, f"not a readable Parquet file: {exc}")]) from None
    frame = table.to_pandas()
    return frame.astype(object).where(frame.notna(), None).apply(lambda c: c.map(_as_text))


def _parse_jsonl(data: bytes, label: str) -> pd.DataFrame:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError([InputProblem(label, "bytes not valid UTF-8", row=line)]) from None
    fast = _parse_jsonl_text_only(data)
    if fast is not None:
        return fast
    rows: list[dict[str, object]] = []
    problems = []
    for number, line_text in enumerate(text.splitlines(), start=1):
        if not line_text.strip():
            continue
        try:
            value = json.loads(line_text)
        except json.JSONDecodeError as exc:
            problems.append(InputProblem(label, f"not valid JSON: {exc.msg}", row=number))
            continue
        if not isinstance(value, dict):
            problems.append(InputProblem(label, "a line must hold one JSON object", row=number))
            continue
        rows.append({"__line__": number, **value})
    if problems:
        raise InputError(problems)
    frame = pd.DataFrame(rows)
    lines = frame.pop("__line__") if "__line__" in frame else pd.Series(dtype=int)
    frame = frame.astype(object).where(frame.notna(), None).apply(lambda c: c.map(_as_text))
    frame.attrs["row_numbers"] = lines.tolist()
    return frame


def _parse_jsonl_text_only(data: bytes) -> pd.DataFrame | None:
    """The common case, read by Arrow (~20x faster than ``json.loads`` per line): one object
    per ``\\n``-terminated line, no blank line, every value a string or null. Then each row
    is the line of the same number and no value needs ``_as_text``. Anything else (numbers,
    nested values, blank lines, bad JSON) gives None: the line-by-line reader handles it and
    names the rows of any problem. The bytes must already have decoded as UTF-8 (Arrow does
    not check)."""
    try:
        table = pajson.read_json(io.BytesIO(data.removeprefix(b"\xef\xbb\xbf")))
    except (pa.ArrowException, ValueError):
        return None
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    simple = all(pa.types.is_string(t) or pa.types.is_null(t) for t in table.schema.types)
    if table.num_rows != lines or not simple or not table.num_columns:
        return None
    return table.to_pandas().astype(object).where(lambda df: df.notna(), None)


def _as_text(value: object) -> str | None:
    """Text form of a cell: None stays None; whole floats lose '.0'; nested values become JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        if value != value:
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _map_columns(
    raw: pd.DataFrame,
    source: SourceConfig,
    label: str,
    first_row: int,
    digest: str,
    size: int,
) -> SourceTable:
    # taken out of attrs, which pandas would deep-copy into every frame derived from raw
    lines = raw.attrs.pop("row_numbers", None)
    row_numbers = pd.Series(lines or range(first_row, first_row + len(raw)), index=raw.index)
    wanted = {"id": source.id}
    wanted |= {f"fields.{k}": v for k, v in source.fields.items()}
    wanted |= {f"identifiers.{k}": v for k, v in source.identifiers.items()}
    missing = [
        InputProblem(
            label,
            f"column not found (mapped by {key} of source {source.name!r}); "
            f"columns are: {', '.join(map(str, raw.columns))}",
            column=column,
        )
        for key, column in wanted.items()
        if column not in raw.columns
    ]
    if missing:
        raise InputError(missing)
    ids = raw[source.id].str.strip().replace("", None)  # ids compare as trimmed text
    problems = [
        InputProblem(label, "record id is empty", row=int(row_numbers[i]), column=source.id)
        for i in ids.index[ids.isna()]
    ]
    duplicated = ids.notna() & ids.duplicated(keep=False)
    for record_id, group in ids[duplicated].groupby(ids[duplicated], sort=True):
        rows = ", ".join(str(int(row_numbers[i])) for i in group.index[:10])
        problems.append(
            InputProblem(
                label,
                f"record id {record_id!r} is not unique (rows {rows}); ids must be unique "
                "within a source",
                column=source.id,
            )
        )
    if problems:
        raise InputError(problems)
    records = pd.DataFrame(
        {
            "uid": source.name + ":" + ids,
            "source": source.name,
            "record_id": ids,
        }
    )
    for field, column in source.fields.items():
        records[field] = raw[column]
    for scheme, column in source.identifiers.items():
        records[f"id_{scheme}"] = raw[column]
    unparsed = complete_records(records, source)
    warnings = [
        InputProblem(
            label,
            f"value {records.at[i, field]!r} does not match format "
            f"{source.formats[field]!r}; kept as text",
            row=int(row_numbers[i]),
            column=source.fields[field],
        )
        for field, bad in unparsed.items()
        for i in bad
    ]
    fingerprint = Fingerprint(source.name, label, digest, size, len(records))
    return SourceTable(records.reset_index(drop=True), fingerprint, tuple(warnings))


def complete_records(records: pd.DataFrame, source: SourceConfig) -> dict[str, list[int]]:
    """Add what a source's settings say of its records, in place: its ``country`` where a
    record has none, and ``<field>_date`` (ISO) for each field with a date format. Returns,
    per such field, the index labels of the non-empty values that do not match it."""
    if source.country is not None:
        known = records["country"] if "country" in records else pd.Series(None, index=records.index)
        records["country"] = known.where(known.notna(), source.country)
    unparsed = {}
    for field, fmt in source.formats.items():
        if field not in records:
            continue
        records[f"{field}_date"], unparsed[field] = _parse_dates(records[field], fmt)
    return unparsed


def _parse_dates(values: pd.Series, fmt: str) -> tuple[pd.Series, list[int]]:
    """ISO dates for values matching ``fmt``; the indices of non-empty values that do not."""
    text = values.fillna("").astype(str).str.strip()
    dates = pd.to_datetime(text.where(text != ""), format=fmt, errors="coerce")
    # numpy spells days as YYYY-MM-DD (pandas' years are 1677-2262), without strftime per row
    days = dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(str)
    iso = pd.Series(days, index=values.index, dtype=object).where(dates.notna(), None)
    bad = text.index[(text != "") & dates.isna()]
    return iso, [int(i) for i in bad]


def read_table(path: str | Path, required: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a UTF-8 CSV the library itself writes or reads (truth, memberships) as text.

    Raises:
        InputError: the file is missing, empty, or lacks a required column.
    """
    label = str(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError([InputProblem(label, "file not found")]) from None
    except pd.errors.EmptyDataError:
        raise InputError([InputProblem(label, "file is empty")]) from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError([InputProblem(label, f"not a readable UTF-8 CSV: {exc}")]) from None
    missing = [
        InputProblem(
            label, f"required column missing; columns are: {', '.join(frame.columns)}", column=name
        )
        for name in required
        if name not in frame.columns
    ]
    if missing:
        raise InputError(missing)
    return frame
