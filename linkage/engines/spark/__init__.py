"""The Spark engine (docs/spark.md): the stages as Spark jobs calling the local stage code.

:mod:`~linkage.engines.spark.session` (the session, and the error without pyspark),
:mod:`~linkage.engines.spark.frames` (pandas to Spark and back),
:mod:`~linkage.engines.spark.standardize`, :mod:`~linkage.engines.spark.blocking`,
:mod:`~linkage.engines.spark.compare` (compare and score),
:mod:`~linkage.engines.spark.components` (connected components),
:mod:`~linkage.engines.spark.clustering` and :mod:`~linkage.engines.spark.engine` (the stages
of one run). Nothing here imports pyspark at import time.
"""

from linkage.engines.spark.engine import SparkEngine
from linkage.engines.spark.session import require_pyspark, spark_session

__all__ = ["SparkEngine", "require_pyspark", "spark_session"]
