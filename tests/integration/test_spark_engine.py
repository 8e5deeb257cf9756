"""The Spark engine gives the local engine's entities: the demo through the CLI and 100k
generated records through the API, each run with both engines on Spark ``local[2]``.

Skipped without pyspark or Java, unless ``LINKAGE_REQUIRE_SPARK=1`` (then it fails).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from linkage.cli import main
from linkage.datasets import generate
from linkage.datasets.demo import write_demo
from linkage.errors import UsageError
from linkage.pipeline import Linker

REQUIRE_ENV = "LINKAGE_REQUIRE_SPARK"
OUTPUTS = ("memberships.csv", "entities.csv", "entities.parquet", "pairs.parquet", "merges.parquet")


def missing() -> str | None:
    """Why Spark cannot run here, or None."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install 'registry-linkage[spark]')"
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and Path(java_home, "bin", "java").exists()):
        return "no Java on the PATH nor in JAVA_HOME (pyspark needs Java 17)"
    return None


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """A Spark session on ``local[2]`` with few shuffle partitions, stopped after the module."""
    reason = missing()
    if reason is not None:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 but Spark cannot run: {reason}")
        pytest.skip(reason)
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from linkage.engines.spark import spark_session

    session = spark_session(
        "local[2]", {"spark.sql.shuffle.partitions": "4", "spark.ui.enabled": "false"}
    )
    yield session
    session.stop()


def assert_same_run(local: Path, spark: Path) -> None:
    for name in OUTPUTS:
        assert (local / name).read_bytes() == (spark / name).read_bytes(), name


def test_demo_gives_the_same_entities_on_both_engines(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_demo(tmp_path / "data").config_path
    for engine in ("local", "spark"):
        code = main(["run", str(config), "--out", str(tmp_path / engine), "--engine", engine])
        assert code == 0, capsys.readouterr().err
    assert_same_run(tmp_path / "local", tmp_path / "spark")
    members = pd.read_csv(tmp_path / "spark" / "memberships.csv")
    assert members["entity_id"].nunique() < len(members)  # records were linked


@pytest.mark.slow
def test_100k_generated_records_give_the_same_entities(spark: Any, tmp_path: Path) -> None:
    data = generate(tmp_path / "data", entities=56_000, seed=7)
    results = {
        engine: Linker(data.config_path, engine=engine).run(tmp_path / engine)
        for engine in ("local", "spark")
    }
    local, on_spark = results["local"], results["spark"]
    assert len(local.memberships) > 95_000
    pd.testing.assert_frame_equal(on_spark.memberships, local.memberships)
    pd.testing.assert_frame_equal(on_spark.entities, local.entities)
    assert_same_run(tmp_path / "local", tmp_path / "spark")
    assert on_spark.manifest["engine"] == "spark"
    assert on_spark.manifest["blocking"] == local.manifest["blocking"]


def test_an_incremental_run_on_spark_is_refused(spark: Any, tmp_path: Path) -> None:
    config = write_demo(tmp_path / "data").config_path
    store = tmp_path / "store.duckdb"
    Linker(config, store=store).run(tmp_path / "first")
    linker = Linker(config, store=store, incremental=True, engine="spark")
    with pytest.raises(UsageError, match="does not run incrementally"):
        linker.run(tmp_path / "second")
