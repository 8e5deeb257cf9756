"""The Spark session a run uses: pyspark imported only here, with a clear error without it."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from linkage.errors import UsageError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

MASTER_ENV = "SPARK_MASTER"
DEFAULT_MASTER = "local[*]"
LOCAL_MEMORY = {"spark.driver.memory": "4g", "spark.driver.maxResultSize": "2g"}
"""Heap and result size of a local-mode session unless the config's ``[spark] conf`` says."""


def require_pyspark() -> Any:
    """The ``pyspark`` module, or a :class:`UsageError` saying how to install it."""
    try:
        import pyspark
    except ImportError:
        raise UsageError(
            "engine 'spark' needs pyspark: pip install 'registry-linkage[spark]' "
            "(and Java 17 or later on the PATH), or run with --engine local"
        ) from None
    return pyspark


def spark_session(master: str | None = None, conf: dict[str, str] | None = None) -> SparkSession:
    """The active Spark session, else a new one.

    Args:
        master: the Spark master URL; default the ``SPARK_MASTER`` environment variable, else
            ``local[*]``. Ignored when a session is active (``spark-submit`` made it).
        conf: Spark settings (``spark.sql.shuffle.partitions`` ...) for a new session.
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    # executors in local mode run this interpreter (the one with linkage installed)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    url = master or os.environ.get(MASTER_ENV) or DEFAULT_MASTER
    builder = SparkSession.builder.appName("linkage").master(url)
    settings = {
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.showConsoleProgress": "false",
        # in local mode the executors live in the driver's JVM, and the run collects its
        # tables there: Spark's default 1 GB heap lost task results at 100k records
        **(LOCAL_MEMORY if url.startswith("local") else {}),
        **(conf or {}),
    }
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # no Java, a bad master URL: say so, not a JVM traceback
        raise UsageError(f"could not start Spark ({type(exc).__name__}: {exc})") from exc
    session.sparkContext.setLogLevel("ERROR")
    return session
