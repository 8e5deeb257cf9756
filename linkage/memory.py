"""Handing the memory a finished stage freed back to the operating system."""

from __future__ import annotations

import ctypes
import functools
from typing import Any

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
