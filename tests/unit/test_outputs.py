"""linkage.outputs writes safe CSV, and the Parquet bytes pyarrow wrote before it was made faster.

write_csv must equal the cell-by-cell reference (``tests/reference.py``: numbers as pandas spells
them, text defused against formulas and quoted where needed) and write_parquet must equal one
``pq.write_table`` of the whole frame, whichever way they get there.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import reference_csv

from linkage import outputs
from linkage.memory import compact_text

TRICKY = [
    "",
    '=HYPERLINK("http://x")',
    "+cmd|' /C calc'!A0",
    "-1+2",
    "@SUM(A1)",
    "+8613800000000",
    "+86 29 3587 4831",
    "+1 (555) 010-0199",
    "-12.5",
    "\tx",
    "\rx",
    "id\rwith a carriage return",
    ",",
    '"',
    "\n",
    "\r",
    "\r\n",
    "\t",
    " ",
    "a,b",
    'say "hi"',
    "é",
    "华信",
    "\x00",
    "\u2028",
]
text = st.one_of(
    st.sampled_from(TRICKY),
    st.text(alphabet=st.sampled_from([*",\"\n\r\t ab;|é华\\'=+-@1.", "\x85"]), max_size=8),
)
missing = st.sampled_from([None, np.nan, pd.NA])
floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, 0.1, 1e16, 1e-5, 123456789.123456789, 0.999926, np.nan]),
)


def expected_csv(frame: pd.DataFrame, path: Path) -> bytes:
    return reference_csv(frame)


def ours_csv(frame: pd.DataFrame, path: Path) -> bytes:
    outputs.write_csv(frame, path)
    return path.read_bytes()


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(0, 12))
    strings = st.lists(st.one_of(text, missing), min_size=rows, max_size=rows)
    columns = {
        "name": draw(strings),
        "other,label": draw(strings),
        "count": draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=rows, max_size=rows)),
        "weight": draw(st.lists(floats, min_size=rows, max_size=rows)),
        "flag": draw(st.lists(st.booleans(), min_size=rows, max_size=rows)),
        "empty": [None] * rows,
    }
    frame = pd.DataFrame(columns)
    frame["weight"] = frame["weight"].astype("float64")
    frame["small"] = np.arange(rows, dtype=np.uint8)
    frame["float32"] = np.linspace(0, 1, rows, dtype=np.float32)
    order = draw(st.permutations(list(frame.columns)))
    return frame[order]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frame=frames(), chunk=st.sampled_from([1, 3, 1 << 16]))
def test_csv_bytes_equal_the_reference(
    frame: pd.DataFrame, chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outputs, "CSV_CHUNK_ROWS", chunk)
    expected = expected_csv(frame, tmp_path / "pandas.csv")
    assert ours_csv(frame, tmp_path / "ours.csv") == expected
    # with the strings already converted for entities.parquet
    outputs.write_csv(frame, tmp_path / "ours.csv", outputs._to_arrow(frame, None, {}))
    assert (tmp_path / "ours.csv").read_bytes() == expected
    # with the text held by Arrow (as the entities' joined columns are)
    arrow = compact_text(frame, ["name", "other,label"])
    assert ours_csv(arrow, tmp_path / "ours.csv") == expected


def test_csv_formats_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The usual columns (strings with missing values, floats, ints, booleans) are formatted
    without pandas' row-by-row writer."""
    frame = pd.DataFrame(
        {"entity_id": ["E1", 'E"2', None], "confidence": [0.5, np.nan, 1e-7], "n": [1, 2, 3]}
    )
    frame["ok"] = [True, False, True]
    expected = expected_csv(frame, tmp_path / "pandas.csv")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("pandas wrote the CSV")

    monkeypatch.setattr(pd.DataFrame, "to_csv", refuse)
    assert ours_csv(frame, tmp_path / "ours.csv") == expected
    assert ours_csv(compact_text(frame), tmp_path / "ours.csv") == expected  # Arrow text too


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"only": ["", None, "x"]}),  # a lone empty field is quoted
        pd.DataFrame({0: ["a"], 1: ["b"]}),  # labels that are not strings
        pd.DataFrame({"a": ["x", 1, None], "b": [1.5, 2.5, 3.5]}),  # mixed objects
        pd.DataFrame({"a": pd.to_datetime(["2020-01-01", None]), "b": ["x", "y"]}),
        pd.DataFrame({"a": pd.array([1, None], dtype="Int64"), "b": ["x", "y"]}),
        pd.DataFrame({"a": pd.Categorical(["x", "y"]), "b": ["x", None]}),
        pd.DataFrame({"a": [b"x", None], "b": ["x", "y"]}),
        pd.DataFrame({"a": [], "b": []}),
    ],
)
def test_csv_other_frames_equal_the_reference(frame: pd.DataFrame, tmp_path: Path) -> None:
    assert ours_csv(frame, tmp_path / "ours.csv") == expected_csv(frame, tmp_path / "pandas.csv")


def test_csv_reads_back_cell_for_cell(tmp_path: Path) -> None:
    """Ids with line breaks, quotes and commas read back as written (no extra rows); formulas
    come back defused; plain numbers, phone numbers included, unchanged."""
    ids = ["a\rb", "c\r\nd", 'e"f', "g,h", "=1+1", "+8613800000000", "-3", "@x", "\tt", "ok"]
    frame = pd.DataFrame({"uid": ids, "n": range(len(ids))})
    outputs.write_csv(frame, tmp_path / "out.csv")
    back = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert len(back) == len(ids)
    defused = ["a\rb", "c\r\nd", 'e"f', "g,h", "'=1+1", "+8613800000000", "-3", "'@x", "'\tt", "ok"]
    assert back["uid"].tolist() == defused


def single_write(frame: pd.DataFrame, path: Path, columns: list[str] | None = None) -> bytes:
    """What write_parquet wrote before: one table, one write_table call."""
    table = pa.Table.from_pandas(
        frame.reset_index(drop=True), columns=columns, preserve_index=False
    )
    pq.write_table(
        table.replace_schema_metadata(None),
        path,
        compression="zstd",
        row_group_size=outputs.ROW_GROUP_ROWS,
    )
    return path.read_bytes()


def test_default_row_group_size() -> None:
    assert outputs.ROW_GROUP_ROWS == 1024 * 1024


@pytest.mark.parametrize("rows", [0, 5, 8, 9, 23])
def test_parquet_row_groups_equal_one_write(
    rows: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outputs, "ROW_GROUP_ROWS", 4)
    rng = np.random.default_rng(rows)
    frame = pd.DataFrame(
        {
            "uid": [f"u{i}" for i in rng.integers(0, 5, rows)],
            "note": [None if i % 3 else f"n{i}" for i in range(rows)],
            "level": rng.integers(-1, 5, rows).astype(np.int8),
            "weight": rng.normal(size=rows),
            "is_match": rng.random(rows) < 0.5,
        },
        index=pd.RangeIndex(10, 10 + rows),
    )
    frame.loc[frame.index[::4], "weight"] = np.nan
    columns = ["weight", "uid", "is_match", "level"]
    outputs.write_parquet(frame, tmp_path / "ours.parquet", columns)
    assert (tmp_path / "ours.parquet").read_bytes() == single_write(
        frame, tmp_path / "one.parquet", columns
    )
    outputs.write_parquet(frame, tmp_path / "all.parquet")
    assert (tmp_path / "all.parquet").read_bytes() == single_write(frame, tmp_path / "one.parquet")


@pytest.mark.parametrize(
    "later",
    [
        ["x", None, "y", "z"],  # all missing in the first row group, strings later
        [1.5, 2.0, None, 3.0],  # integers first, floats later
        [b"x", b"y", b"z", b"w"],  # strings first, bytes later
    ],
)
def test_parquet_types_changing_between_row_groups(
    later: list[object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outputs, "ROW_GROUP_ROWS", 4)
    first: list[object] = [None] * 4 if later[0] == "x" else [1, 2, 3, 4]
    if isinstance(later[0], bytes):
        first = ["a", "b", "c", "d"]
    frame = pd.DataFrame({"value": pd.Series(first + later, dtype=object), "n": range(8)})
    try:
        expected = single_write(frame, tmp_path / "one.parquet")
    except pa.ArrowException:
        with pytest.raises(pa.ArrowException):
            outputs.write_parquet(frame, tmp_path / "ours.parquet")
        assert not (tmp_path / "ours.parquet").exists()
        return
    outputs.write_parquet(frame, tmp_path / "ours.parquet")
    assert (tmp_path / "ours.parquet").read_bytes() == expected


@pytest.mark.parametrize("row_group_rows", [3, 1024 * 1024])
def test_pair_uids_taken_from_features(
    row_group_rows: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outputs, "ROW_GROUP_ROWS", row_group_rows)
    uid = np.array([f"s:{i}" for i in range(6)], dtype=object)
    features = pd.DataFrame({"uid": uid})
    idx_l = np.array([0, 0, 1, 2, 3, 4, 5, 1])
    idx_r = np.array([1, 2, 3, 4, 5, 5, 0, 2])
    pairs = pd.DataFrame(
        {
            "uid_l": uid[idx_l],  # the same objects
            "uid_r": [f"s:{i}" for i in idx_r],  # equal strings, other objects
            "idx_l": idx_l,
            "idx_r": idx_r,
            "score": np.linspace(0, 1, len(idx_l)),
        }
    )
    converted = outputs._pair_uids(pairs, features)
    assert converted is not None
    assert set(converted(0, len(pairs))) == {"uid_l", "uid_r"}
    outputs.write_parquet(pairs, tmp_path / "ours.parquet", None, converted)
    expected = single_write(pairs, tmp_path / "one.parquet")
    assert (tmp_path / "ours.parquet").read_bytes() == expected
    for i in range(len(pairs)):
        # one uid that is not the features' uid at its index: its row group is converted
        wrong = pairs.copy()
        wrong.loc[i, "uid_l"] = "other"
        converted = outputs._pair_uids(wrong, features)
        assert converted is not None
        assert "uid_l" not in converted(0, len(pairs))
        outputs.write_parquet(wrong, tmp_path / "ours.parquet", None, converted)
        assert (tmp_path / "ours.parquet").read_bytes() == single_write(
            wrong, tmp_path / "one.parquet"
        )
