"""Choosing the engine: the config key, the CLI flag, and clear errors without pyspark."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from linkage.cli import main
from linkage.config import Config
from linkage.engines.spark import require_pyspark
from linkage.errors import ConfigError, UsageError
from linkage.pipeline import Linker

SOURCE = {"name": "a", "path": "a.csv", "id": "id", "fields": {"name": "name"}}


def test_the_engine_is_local_unless_the_config_or_the_caller_says_spark() -> None:
    assert Config.from_dict({"sources": [SOURCE]}).engine == "local"
    config = Config.from_dict({"sources": [SOURCE], "engine": "spark"})
    assert config.engine == "spark" and config.spark.master is None
    assert Linker(config).engine == "spark"
    assert Linker(config, engine="local").engine == "local"


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(ConfigError, match="engine"):
        Config.from_dict({"sources": [SOURCE], "engine": "dask"})
    with pytest.raises(UsageError, match="unknown engine 'dask'"):
        Linker({"sources": [SOURCE]}, engine="dask")  # type: ignore[arg-type]


def test_without_pyspark_a_spark_run_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, three_formats: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark raises ImportError
    with pytest.raises(UsageError, match=r"registry-linkage\[spark\]"):
        require_pyspark()
    code = main(["run", str(three_formats), "--out", str(tmp_path / "out"), "--engine", "spark"])
    assert code == 2
    assert "engine 'spark' needs pyspark" in capsys.readouterr().err
