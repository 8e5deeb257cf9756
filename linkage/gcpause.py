"""Pausing Python's cyclic garbage collector around allocation-heavy loops."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector; restore its state after.

    The standardisers and the union-find allocate millions of small tuples, dicts and sets
    without reference cycles; in a process that already holds large tables, each full
    collection walks every live container again and frees nothing (about a quarter of the
    standardisation time on a million records). Forked workers inherit the pause.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
