"""Review files: the queue exported for reviewers (CSV or JSON Lines), their answers read back.

An answer file is any CSV or JSON Lines file with ``uid_l``, ``uid_r`` (or ``uid_a``,
``uid_b``) and ``verdict`` (``same``, ``different``, ``unsure``; an empty verdict skips the
row), and optionally ``note``, ``judged_by`` and ``judged_at`` (ISO 8601). A queue exported by
``linkage review --export`` is one, ready to fill in.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd

from linkage.clustering.judgements import Verdict
from linkage.errors import InputError, InputProblem, UsageError
from linkage.outputs import write_csv

SUFFIXES = (".csv", ".jsonl")
VERDICTS = tuple(v.value for v in Verdict)


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(f"{path}: review files are {' or '.join(SUFFIXES)} (by the suffix)")
    return suffix


def export_queue(queue: pd.DataFrame, path: str | Path) -> Path:
    """Write the queue as CSV (formula-safe) or JSON Lines, by the file's suffix."""
    path = Path(path)
    if _suffix(path) == ".csv":
        write_csv(queue, path)
    else:
        rows = queue.astype(object).where(queue.notna(), None).to_dict(orient="records")
        text = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)
        path.write_text(text, encoding="utf-8")
    return path


def read_answers(path: str | Path, known_uids: set[str] | None = None) -> pd.DataFrame:
    """The answered rows of a review file as ``uid_a, uid_b, verdict, note, judged_by,
    judged_at`` (missing who and when are empty / NaT), every row checked first.

    Raises:
        InputError: naming the file and row of every bad verdict, missing uid, uid pair of one
            record, unknown record (not in ``known_uids``) or unreadable time; nothing is
            returned when any row is bad.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"answer file not found: {path}")
    try:
        if _suffix(path) == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        else:
            frame = _read_lines(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError([InputProblem(str(path), f"cannot be read: {exc}")]) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    frame = frame.rename(columns={"uid_l": "uid_a", "uid_r": "uid_b"})
    missing = [c for c in ("uid_a", "uid_b", "verdict") if c not in frame]
    if missing:
        named = ", ".join({"uid_a": "uid_l", "uid_b": "uid_r"}.get(c, c) for c in missing)
        message = f"needs columns uid_l, uid_r (or uid_a, uid_b) and verdict; missing {named}"
        raise InputError([InputProblem(str(path), message)])
    for column in ("note", "judged_by", "judged_at"):
        if column not in frame:
            frame[column] = ""
    text = frame.astype(object).where(frame.notna(), "").astype(str)
    text = text.apply(lambda column: column.str.strip())
    answered = text[text["verdict"] != ""].copy()
    answered["verdict"] = answered["verdict"].str.lower()
    problems: list[InputProblem] = []
    first_data_row = 2 if path.suffix.lower() == ".csv" else 1  # the CSV header is line 1
    for position, row in zip(answered.index, answered.to_dict(orient="records"), strict=True):
        line = int(position) + first_data_row

        def problem(column: str, message: str, line: int = line) -> None:
            problems.append(InputProblem(str(path), message, row=line, column=column))

        if row["verdict"] not in VERDICTS:
            problem("verdict", f"verdict {row['verdict']!r} is not one of {', '.join(VERDICTS)}")
        for column in ("uid_a", "uid_b"):
            uid = row[column]
            if not uid:
                problem(column, "empty")
            elif known_uids is not None and uid not in known_uids:
                problem(column, f"{uid!r} is not a record of the store's latest run")
        if row["uid_a"] and row["uid_a"] == row["uid_b"]:
            problem("uid_b", "a judgement needs two different records")
        if row["judged_at"] and _time(row["judged_at"]) is None:
            problem("judged_at", f"{row['judged_at']!r} is not an ISO 8601 time")
    if problems:
        raise InputError(problems)
    answered["judged_at"] = [_time(t) for t in answered["judged_at"]]
    columns = ["uid_a", "uid_b", "verdict", "note", "judged_by", "judged_at"]
    return answered[columns].reset_index(drop=True)


def _read_lines(path: Path) -> pd.DataFrame:
    """A JSON Lines file as text values, one row per non-empty line (its line number kept)."""
    rows, lines = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {number} is not JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise ValueError(f"line {number} is not a JSON object")
        rows.append({k: "" if v is None else str(v) for k, v in row.items()})
        lines.append(number - 1)  # read_answers adds the first data row's number
    return pd.DataFrame(rows, index=lines)


def _time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
