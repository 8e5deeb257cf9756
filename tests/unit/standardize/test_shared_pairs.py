"""Labelled company-name pairs from ../shared/data: how often normalisation alone decides them.

A true pair counts as joined when the two names get the same ``norm`` or the same ``latin`` key;
a false pair counts as kept apart when both differ. The bounds are the shares measured when the
test was written (nomenklatura: 82/171 true joined, 94/95 false apart; EMM: 4/10, 191/191), so
a change that loses ground fails here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from linkage.standardize import normalize_name

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
NOMENKLATURA = DATA / "opensanctions_nomenklatura_match_cases" / "name_bench_cases.csv"
EMM = DATA / "company_kvk_emm_namepairs" / "unittest_sample_namepairs.csv.gz"


def _same(left: str, right: str) -> bool:
    a, b = normalize_name(left), normalize_name(right)
    return a.norm == b.norm or a.latin == b.latin


def _shares(left: pd.Series, right: pd.Series, truth: pd.Series) -> tuple[float, float]:
    same = pd.Series([_same(a, b) for a, b in zip(left, right, strict=True)], index=truth.index)
    return float(same[truth].mean()), float((~same[~truth]).mean())


def test_nomenklatura_company_pairs() -> None:
    if not NOMENKLATURA.exists():
        pytest.skip(f"shared data not found at {NOMENKLATURA}")
    cases = pd.read_csv(NOMENKLATURA, dtype=str, keep_default_na=False)
    cases = cases[cases["schema"].isin(["Company", "Organization", "LegalEntity"])]
    joined, apart = _shares(cases["name1"], cases["name2"], cases["is_match"] == "true")
    assert joined >= 82 / 171 - 1e-9
    assert apart >= 94 / 95 - 1e-9


def test_emm_kvk_pairs() -> None:
    if not EMM.exists():
        pytest.skip(f"shared data not found at {EMM}")
    pairs = pd.read_csv(EMM)
    joined, apart = _shares(pairs["gt_name"], pairs["name"], pairs["correct"].astype(bool))
    assert joined >= 4 / 10 - 1e-9
    assert apart >= 1.0 - 1e-9
