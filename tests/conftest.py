"""Shared test helpers: write small registries and configs in a temporary folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from helpers import source_toml, write_config
from hypothesis import settings

# property tests draw the same examples on every run, so CI's verdict on a commit does not
# depend on luck; a new search for counterexamples is a deliberate run with another profile
# (HYPOTHESIS_PROFILE=explore)
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def three_formats(tmp_path: Path) -> Path:
    """A config over a CSV, a Parquet and a JSON Lines registry naming overlapping firms."""
    pd.DataFrame(
        {
            "reg_no": ["A1", "A2", "A3"],
            "company_name": ["Acme Trading Ltd", "Huaxin Technology Co., Ltd.", "Blue Sky GmbH"],
            "city": ["London", "Shenzhen", "Berlin"],
        }
    ).to_csv(tmp_path / "a.csv", index=False)
    pd.DataFrame(
        {"key": [10, 11], "firm": ["ACME TRADING LIMITED", "Northwind Foods Inc"]}
    ).to_parquet(tmp_path / "b.parquet")
    rows = [
        {"rid": "x", "title": "Blue Sky GmbH", "place": "Berlin"},
        {"rid": "y", "title": "Zeta Holdings PLC", "place": None},
    ]
    (tmp_path / "c.jsonl").write_text(
        "\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8"
    )
    return write_config(
        tmp_path,
        [
            source_toml(
                "alpha", "a.csv", "reg_no", fields={"name": "company_name", "city": "city"}
            ),
            source_toml("beta", "b.parquet", "key", fields={"name": "firm"}),
            source_toml("gamma", "c.jsonl", "rid", fields={"name": "title", "city": "place"}),
        ],
    )
