"""Hostile inputs: whatever bytes a source holds, a run keeps every record (exit 0) or stops
naming the place (exit 2); never an internal error, never a record lost in silence."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from helpers import source_toml, write_config
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from linkage.cli import main

cells = st.text(alphabet=st.sampled_from([*'ab ,"\n\r\t;=+-@é华', "\x00", "\u2028"]), max_size=6)
ids = st.one_of(st.sampled_from(["1", "2", "3", "", " "]), st.text(max_size=3))


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    """A CSV of an id and a name column: written properly quoted, or joined raw (stray quotes,
    ragged rows), in UTF-8 or with bytes that are not."""
    names = draw(st.lists(cells, max_size=8))
    if draw(st.integers(0, 3)):  # mostly distinct ids, sometimes hostile ones
        keys = [str(i) for i in range(1, len(names) + 1)]
    else:
        keys = draw(st.lists(ids, min_size=len(names), max_size=len(names)))
    rows = list(zip(keys, names, strict=True))
    if draw(st.booleans()):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows(
            [("id", "name"), *rows]
        )
        text = buffer.getvalue()
    else:
        text = "\n".join(",".join(row) for row in [("id", "name"), *rows]) + "\n"
    data = text.encode("utf-8")
    if not draw(st.integers(0, 3)) and data:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b""])) + data[at:]
    return data


def expected_records(data: bytes) -> int | None:
    """The records Python's csv module reads after the header (None: not UTF-8)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    rows = [r for r in csv.reader(io.StringIO(text, newline=""))][1:]
    return sum(1 for r in rows if r)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=csv_bytes())
def test_any_csv_is_linked_whole_or_refused_with_its_place(
    data: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "case"
    folder.mkdir(exist_ok=True)
    (folder / "a.csv").write_bytes(data)
    config = write_config(folder, [source_toml("a", "a.csv", fields={"name": "name"})])
    out = folder / "out"
    code = main(["run", str(config), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    event(f"exit {code}")
    assert code in (0, 2), err
    if code == 2:
        assert "a.csv" in err or "config" in err, err
        return
    members = pd.read_csv(out / "memberships.csv", dtype=str, keep_default_na=False)
    expected = expected_records(data)
    assert expected is not None and len(members) == expected, (data, err)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["records"] == expected
