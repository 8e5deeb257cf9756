"""Keeping a run's memory down: compact text columns, and freed memory handed back."""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Iterable
from typing import Any

import pandas as pd
import pyarrow as pa


@functools.cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl)."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def release_unused_memory() -> None:
    """Return freed memory to the system: Arrow's pooled blocks and malloc's free pages.

    A stage frees gigabytes of temporaries on a million records, but glibc keeps freed heap
    pages (its mmap threshold rises after large frees, so big numpy arrays then come from
    the heap) and Arrow's allocator caches blocks: the resident size stays at the stage's
    peak, and its fragments are not always reusable by the next stage's large arrays.
    """
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def compact_text(frame: pd.DataFrame, columns: Iterable[object] | None = None) -> pd.DataFrame:
    """The frame with its text ``columns`` (default all) held by Arrow
    (``pd.ArrowDtype(pa.string())``, missing values NA); other columns are shared, not copied.

    A Python string carries about 50 bytes besides its text, an Arrow string 4. Object
    columns holding anything but text and missing values stay as they are.
    """
    chosen = set(frame.columns if columns is None else columns)
    out: dict[object, pd.Series] = {}
    for name in frame.columns:
        column = frame[name]
        if name in chosen and column.dtype == object:
            try:
                text = pa.array(column.to_numpy(), type=pa.string(), from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):  # not all text
                pass
            else:
                column = pd.Series(pd.arrays.ArrowExtensionArray(text), index=frame.index)
        out[name] = column
    return pd.DataFrame(out, index=frame.index, copy=False)
