"""Keeping a run's memory down: compact text columns, and freed memory handed back."""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Iterable
from typing import Any

import pandas as pd
import pyarrow as pa

_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
_MAPPED_FROM = 1 << 20
_HEAP_BELOW = 32 << 20  # the most glibc's own threshold rises to (64-bit)


@functools.cache
def _glibc(name: str) -> Any:
    """A glibc function, or None where the C library has none (macOS, musl)."""
    try:
        return getattr(ctypes.CDLL("libc.so.6"), name)
    except (OSError, AttributeError):
        return None


def map_large_blocks(on: bool = True) -> None:
    """With ``on``, give every block of 1 MB or more its own mapping, handed back to the
    system when freed; off, serve blocks under 32 MB from the heap again.

    glibc raises its mmap threshold after each large free (up to 32 MB), so later large numpy
    arrays come from the heap, and the heap keeps their freed pages: the temporaries of one
    step stay resident through the next ones. Mapping costs page faults on every new block,
    though (a third more time for the comparisons' million-pair chunks). glibc cannot go back
    to its sliding threshold: off fixes it where it slides to. This applies to the process.
    """
    mallopt = _glibc("mallopt")
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, _MAPPED_FROM if on else _HEAP_BELOW)


def release_unused_memory() -> None:
    """Return freed memory to the system: Arrow's pooled blocks and malloc's free pages.

    A stage frees gigabytes of temporaries on a million records, but glibc keeps freed heap
    pages (its mmap threshold rises after large frees, so big numpy arrays then come from
    the heap) and Arrow's allocator caches blocks: the resident size stays at the stage's
    peak, and its fragments are not always reusable by the next stage's large arrays.
    """
    pa.default_memory_pool().release_unused()
    trim = _glibc("malloc_trim")
    if trim is not None:
        trim(0)


def is_arrow_text(dtype: object) -> bool:
    """Whether a column's dtype is Arrow text, as :func:`compact_text` makes it."""
    return isinstance(dtype, pd.ArrowDtype) and pa.types.is_string(dtype.pyarrow_dtype)


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
