"""pandas frames to Spark and back with the same columns, values and dtypes.

Only the dtypes the stages make are mapped: text (object), bool, integers and floats. Text
columns carry str or None; any other object value is sent as its ``str`` (the standardisers
read values as text all the same).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

_TYPES = {
    "bool": "boolean",
    "int8": "byte",
    "int16": "short",
    "int32": "int",
    "int64": "long",
    "float32": "float",
    "float64": "double",
}


def spark_type(dtype: Any) -> str:
    """The Spark SQL type name of a pandas dtype (text for object and string columns)."""
    name = str(dtype)
    if name in ("object", "string", "str") or name.startswith("string"):
        return "string"
    if name not in _TYPES:
        raise TypeError(f"no Spark type for the pandas dtype {name}")
    return _TYPES[name]


def schema_of(frame: pd.DataFrame) -> StructType:
    """The Spark schema of a frame's columns and dtypes (every column nullable)."""
    from pyspark.sql.types import StructType, _parse_datatype_string

    schema = StructType()
    for column, dtype in frame.dtypes.items():
        schema.add(str(column), _parse_datatype_string(spark_type(dtype)), nullable=True)
    return schema


def as_text(values: pd.Series) -> pd.Series:
    """A column as str or None per value (NaN, NA and None are missing)."""
    array = values.to_numpy(dtype=object)
    missing = pd.isna(array)
    out = np.empty(len(array), dtype=object)
    out[:] = [
        None if m else (v if isinstance(v, str) else str(v))
        for v, m in zip(array, missing, strict=True)
    ]
    return pd.Series(out, index=values.index, dtype=object)


def sendable(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its text columns as str or None (what Arrow sends as strings)."""
    columns = {
        c: as_text(frame[c]) if spark_type(frame[c].dtype) == "string" else frame[c]
        for c in frame.columns
    }
    return pd.DataFrame(columns, index=frame.index)


def to_spark(
    session: SparkSession, frame: pd.DataFrame, partitions: int | None = None
) -> DataFrame:
    """A Spark DataFrame of a pandas frame (its schema from the dtypes)."""
    df = session.createDataFrame(sendable(frame).reset_index(drop=True), schema=schema_of(frame))
    return df.repartition(partitions) if partitions else df


def to_pandas(df: DataFrame, like: pd.DataFrame | None = None) -> pd.DataFrame:
    """A Spark DataFrame collected; with ``like``, each column in its dtype (text as object
    with None for missing)."""
    frame: pd.DataFrame = df.toPandas()
    if like is None:
        return frame
    out = {}
    for column in frame.columns:
        values = frame[column]
        dtype = like[column].dtype if column in like else values.dtype
        if spark_type(dtype) == "string":
            array = values.to_numpy(dtype=object)
            out[column] = pd.Series(
                np.where(pd.isna(array), None, array), index=frame.index, dtype=object
            )
        else:
            out[column] = values.astype(dtype)
    return pd.DataFrame(out, index=frame.index)
