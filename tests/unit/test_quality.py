"""Data quality per source: identifiers that fail their checks are counted by problem, and a
large share of them stops a run unless accepted."""

from __future__ import annotations

import pandas as pd
import pytest

from linkage.errors import InputError
from linkage.quality import MIN_BAD, check_quality, data_quality, quality_lines
from linkage.sources import Fingerprint, SourceTable
from linkage.standardize import build_features

VALID_USCC = "91350100M000100Y43"


def tables_and_features(ids: dict[str, list[str | None]]) -> tuple[list[SourceTable], pd.DataFrame]:
    rows = [
        {"uid": f"{s}:{i}", "source": s, "record_id": str(i), "name": f"Firm {i}", "id_uscc": v}
        for s, values in ids.items()
        for i, v in enumerate(values)
    ]
    records = pd.DataFrame(rows).sort_values("uid").reset_index(drop=True)
    tables = [
        SourceTable(records.iloc[:0], Fingerprint(s, f"{s}.csv", "", 0, len(v)))
        for s, v in ids.items()
    ]
    return tables, build_features(records, workers=1)


def test_invalid_identifiers_are_counted_by_source_and_problem() -> None:
    tables, features = tables_and_features(
        {"a": [VALID_USCC, "91350100M000100Y44", None], "b": ["12345", VALID_USCC]}
    )
    quality = data_quality(tables, features)
    a, b = quality["a"]["identifiers"]["uscc"], quality["b"]["identifiers"]["uscc"]
    assert (a["values"], a["unusable"]) == (2, 1) and sum(a["problems"].values()) == 1
    assert (b["values"], b["unusable"]) == (2, 1)
    assert quality["a"]["records"] == 3 and quality["a"]["filled"]["name"] == 3
    lines = quality_lines(quality)
    assert len(lines) == 2 and lines[0].startswith("a: 1 of 2 uscc identifiers are invalid")
    check_quality(quality)  # a few bad values: the run goes on


def test_a_column_of_mostly_invalid_identifiers_stops_the_run() -> None:
    tables, features = tables_and_features({"a": ["LEI0000000000000000"] * MIN_BAD + [VALID_USCC]})
    with pytest.raises(InputError, match=r"10 of 11 values \(91%\) of the identifier 'uscc'"):
        check_quality(data_quality(tables, features))
