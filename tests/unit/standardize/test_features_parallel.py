"""build_features in worker processes equals build_features in process, value for value."""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linkage.config import load_config
from linkage.datasets.generator import generate
from linkage.sources import read_sources
from linkage.standardize import features

needs_fork = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods() or sys.platform == "darwin",
    reason="the worker pool needs the fork start method",
)


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Generated registries with every kind of field (names in several scripts, ids, contacts)."""
    folder = tmp_path_factory.mktemp("generated")
    data = generate(folder, entities=900, registries=8, seed=5, difficulty="hard")
    table, _ = read_sources(load_config(data.config_path))
    table["legal_form"] = np.where(np.arange(len(table)) % 7 == 0, "GmbH", None)
    return table


class _CountingPool(features.ProcessPoolExecutor):
    created = 0

    def __init__(self, *args: object, **kwargs: object) -> None:
        type(self).created += 1
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def _assert_identical(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(left, right)
    for column in left.columns:  # same Python types too (None stays None, bools stay bools)
        assert [type(v) for v in left[column]] == [type(v) for v in right[column]], column


@needs_fork
@pytest.mark.parametrize("workers", [2, 3])
def test_pool_equals_in_process(
    records: pd.DataFrame, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = features.build_features(records, workers=1)
    monkeypatch.setattr(features, "MIN_PARALLEL_VALUES", 0)  # force the pool on
    monkeypatch.setattr(features, "_MIN_CHUNK", 64)  # many chunks: order must survive
    monkeypatch.setattr(features, "ProcessPoolExecutor", _CountingPool)
    before = _CountingPool.created
    parallel = features.build_features(records, workers=workers)
    assert _CountingPool.created == before + 1
    _assert_identical(parallel, serial)


@needs_fork
def test_cold_caches_in_workers(records: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers forked with empty caches compute what a warm in-process run returns."""
    serial = features.build_features(records, workers=1)
    monkeypatch.setattr(features, "MIN_PARALLEL_VALUES", 0)
    features.normalize_name.cache_clear()
    features.parse_identifier.cache_clear()
    _assert_identical(features.build_features(records, workers=2), serial)


def test_small_input_stays_in_process(
    records: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(features, "ProcessPoolExecutor", _CountingPool)
    before = _CountingPool.created
    small = records.head(50)
    _assert_identical(
        features.build_features(small, workers=2), features.build_features(small, workers=1)
    )
    assert _CountingPool.created == before


def test_worker_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(features.WORKERS_ENV, raising=False)
    assert 1 <= features.worker_count() <= 2
    assert features.worker_count(3) == 3
    monkeypatch.setenv(features.WORKERS_ENV, "1")
    assert features.worker_count() == 1
    assert features.worker_count(2) == 2  # the keyword wins
    monkeypatch.setenv(features.WORKERS_ENV, "two")
    with pytest.raises(ValueError, match=features.WORKERS_ENV):
        features.worker_count()
    with pytest.raises(ValueError, match="at least 1"):
        features.worker_count(0)


def test_blank_and_missing_values(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Blank strings, NaN and None are missing in both paths; several id columns merge keys."""
    frame = pd.DataFrame(
        {
            "uid": [f"s:{i}" for i in range(6)],
            "source": "s",
            "record_id": [str(i) for i in range(6)],
            "name": ["Acme Ltd", " ", None, np.nan, "华信科技(深圳)有限公司", "Acme Ltd"],
            "country": ["GB", "CN", None, "  ", "China", "UK"],
            "id_uscc": ["91350100M000100Y43", None, "", "x", None, "91350100M000100Y43"],
            "id_cn_org": ["M000100Y4", None, None, None, "M000100Y4", "12345678X"],
        }
    )
    serial = features.build_features(frame, workers=1)
    monkeypatch.setattr(features, "MIN_PARALLEL_VALUES", 0)
    if "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin":
        _assert_identical(features.build_features(frame, workers=2), serial)
    assert serial["id_keys"].tolist() == [
        "cn_org:M000100Y4 uscc:91350100M000100Y43",
        "",
        "",
        "",
        "cn_org:M000100Y4",
        serial["id_keys"][5],
    ]
    assert serial["name_norm"][1] is None and serial["name_norm"][3] is None


def test_collector_state_restored(records: pd.DataFrame) -> None:
    import gc

    small = records.head(20)
    assert gc.isenabled()
    features.build_features(small, workers=1)
    assert gc.isenabled()
    gc.disable()
    try:
        features.build_features(small, workers=1)
        assert not gc.isenabled()
    finally:
        gc.enable()
