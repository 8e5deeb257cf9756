"""Execution engines: where the stages run.

``local`` (the default) is the :class:`~linkage.pipeline.Linker` calling the stages in process.
``spark`` (:mod:`linkage.engines.spark`) runs standardise, block, compare, score and the
clustering of connected components as Apache Spark jobs that call the same stage code on
partitions, so both engines give the same entities (docs/spark.md).

Engines import the stages; no stage imports an engine.
"""

from typing import Literal

EngineName = Literal["local", "spark"]
ENGINES: tuple[EngineName, ...] = ("local", "spark")

__all__ = ["ENGINES", "EngineName"]
