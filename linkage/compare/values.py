"""Prepared values and the helpers every comparison uses: distinct values with their codes,
term frequencies, masked similarity kernels, level assignment and lazy gathering of records."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import process

_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
NULL = -1
Prepared = dict[str, np.ndarray]
"""Per-record arrays a comparison derives from a features frame (same row order).

Keys starting with ``__`` are not per record (e.g. ``__values_<key>``: the value of each code
of a term-frequency key, see :func:`term_values`)."""


@dataclass(frozen=True)
class Level:
    """One comparison level: its integer value (as stored in ``<name>_level``) and label."""

    value: int
    label: str

    @property
    def is_null(self) -> bool:
        """True for the level of pairs where a side is missing."""
        return self.value == NULL


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def clean_text(value: Any) -> str | None:
    """NFKC, case-folded, single-spaced text; None when missing or blank.

    Used for custom fields, which the standardiser leaves raw.
    """
    if _missing(value):
        return None
    text = str(value)
    # NFKC leaves ASCII as it is, and ASCII case-folds as it lower-cases
    text = text.lower() if text.isascii() else unicodedata.normalize("NFKC", text).casefold()
    text = " ".join(text.split())
    return text or None


@dataclass(frozen=True)
class Distinct:
    """A column as an integer code per record (-1 = missing or blank) and its distinct values.

    Preparation works on the distinct values (a million records hold far fewer names), and
    equality and presence tests on the codes: each record column is factorised once.
    """

    codes: np.ndarray  # int64 per record
    values: np.ndarray  # object: the value of each code

    @classmethod
    def of(
        cls, raw: Sequence[Any] | np.ndarray, func: Callable[[Any], Any] | None = None
    ) -> Distinct:
        """Factorise ``raw``; ``func`` (once per distinct value) may clean or derive values.
        Missing values, blank strings and ``func`` results None or "" are missing."""
        codes, uniques = pd.factorize(pd.Series(raw, dtype=object), use_na_sentinel=True)
        column = cls(codes.astype(np.int64), np.asarray(uniques, dtype=object))
        return column.derive(func) if func is not None else column._without_blanks()

    @classmethod
    def column(cls, frame: pd.DataFrame, column: str, *, clean: bool = False) -> Distinct:
        """A features column (``clean``: NFKC, case-folded, single-spaced); all missing when
        the column is absent."""
        if column not in frame:
            return cls(np.full(len(frame), -1, dtype=np.int64), np.zeros(0, dtype=object))
        return cls.of(frame[column].to_numpy(dtype=object), clean_text if clean else None)

    def derive(self, func: Callable[[Any], Any]) -> Distinct:
        """``func`` of each value, re-coded so that equal results share a code."""
        results = pd.Series([func(v) for v in self.values.tolist()], dtype=object)
        codes, uniques = pd.factorize(results, use_na_sentinel=True)
        mapped = np.append(codes.astype(np.int64), -1)[self.codes]
        return Distinct(mapped, np.asarray(uniques, dtype=object))._without_blanks()

    def _without_blanks(self) -> Distinct:
        """Blank strings ("", "  ") made missing (values are distinct: nothing else merges)."""
        blank = np.array(
            [isinstance(v, str) and not v.strip() for v in self.values.tolist()], dtype=bool
        )
        if not blank.any():
            return self
        renumber = np.append(np.where(blank, -1, np.cumsum(~blank) - 1), -1)
        return Distinct(renumber[self.codes], self.values[~blank])

    def or_else(self, other: Distinct) -> Distinct:
        """This column's value where present, else ``other``'s (one code space)."""
        codes, uniques = pd.factorize(np.concatenate([self.values, other.values]))
        codes = codes.astype(np.int64)
        mine = np.append(codes[: len(self.values)], -1)[self.codes]
        theirs = np.append(codes[len(self.values) :], -1)[other.codes]
        return Distinct(np.where(self.codes >= 0, mine, theirs), np.asarray(uniques, dtype=object))

    def per_record(self) -> np.ndarray:
        """The value of each record (None where missing)."""
        return self.map(lambda v: v)

    def map(
        self, func: Callable[[Any], Any], dtype: Any = object, missing: Any = None
    ) -> np.ndarray:
        """``func`` of each record's value, computed once per distinct value."""
        out = np.empty(len(self.values) + 1, dtype=dtype)
        out[:-1] = [func(v) for v in self.values.tolist()]
        out[-1] = missing
        return out[self.codes]


def frequencies(codes: np.ndarray, sources: np.ndarray | None = None) -> np.ndarray:
    """Per record, the chance that a record of *another* entity holds its value (nan if missing).

    ``codes``: the records' value codes (-1 = missing); ``sources``: their source codes (-1 =
    unknown). Counting a value over all records counts the entity's own duplicates in other
    registries (a name held by one firm in five registries is not common). So the number of
    entities holding a value is estimated as its smallest count within one source holding it
    (registries list a firm once or a few times), and the frequency is ``(entities - 1)`` over
    the average source size: 0 for a value of a single entity. Without sources,
    ``(count - 1) / (n - 1)``. The model uses it to lower the weight of agreement on common
    values only.
    """
    n = max(len(codes), 2)
    width = int(codes.max(initial=-1)) + 1
    live = codes >= 0
    per_value = np.full(width + 1, np.nan)  # the last: missing
    if sources is None:
        per_value[:width] = np.bincount(codes[live], minlength=width)
        counts = per_value[codes]
        return np.maximum(counts - 1.0, 0.0) / (n - 1)
    kinds = int(sources.max(initial=-1)) + 1
    held = live & (sources >= 0)
    pairs, sizes = np.unique(codes[held] * max(kinds, 1) + sources[held], return_counts=True)
    smallest = np.full(width, np.iinfo(np.int64).max)
    np.minimum.at(smallest, pairs // max(kinds, 1), sizes)
    known = smallest < np.iinfo(np.int64).max
    per_value[:width][known] = smallest[known]
    counts = per_value[codes]
    size = n / max(kinds, 1)
    return np.maximum(counts - 1.0, 0.0) / max(size, 1.0)


def source_codes(frame: pd.DataFrame) -> np.ndarray | None:
    """Source codes of the records (-1 = unknown), or None without a source column."""
    if "source" not in frame:
        return None
    return pd.factorize(frame["source"].to_numpy(dtype=object), use_na_sentinel=True)[0]


def null_exact(left: Prepared, right: Prepared, key: str) -> tuple[np.ndarray, np.ndarray]:
    """Pairs where a side lacks ``key`` (null), and pairs with equal values (exact)."""
    a, b = left[key + "_code"], right[key + "_code"]
    null = (a < 0) | (b < 0)
    return null, ~null & (a == b)


def _cutoff(threshold: float | None, scale: float) -> float | None:
    """A ``score_cutoff`` (in the scorer's units) just below ``threshold`` (in ours): scores
    under it come back 0, which changes no ``>= threshold`` test, and the kernels stop early."""
    if threshold is None:
        return None
    return max(threshold * scale - 1e-4 * scale, 0.0)


def similarity(
    a: np.ndarray,
    b: np.ndarray,
    scorer: Callable[..., float],
    mask: np.ndarray,
    scale: float,
    *,
    cutoff: float | None = None,
) -> np.ndarray:
    """``scorer`` over the masked pairs with ``cpdist`` (others 0), divided by ``scale``.

    With ``cutoff`` (in our units), scores below about ``cutoff`` may come back as 0: only use
    the result for ``>= t`` tests with ``t >= cutoff``.
    """
    out = np.zeros(len(a), dtype=np.float32)
    if mask.any():
        out[mask] = (
            process.cpdist(
                a[mask],
                b[mask],
                scorer=scorer,
                workers=-1,
                dtype=np.float32,
                score_cutoff=_cutoff(cutoff, scale),
            )
            / scale
        )
    return out


def assign_levels(
    conditions: list[tuple[int, np.ndarray]], null: np.ndarray, *, otherwise: int = 0
) -> np.ndarray:
    """int8 levels: the first true condition's value (in list order), else ``otherwise``;
    ``-1`` where null."""
    n = len(null)
    out = np.full(n, otherwise, dtype=np.int8)
    done = null.copy()
    for value, condition in conditions:
        take = condition & ~done
        out[take] = value
        done |= take
    out[null] = NULL
    return out


class _Gathered(Mapping[str, np.ndarray]):
    """The prepared arrays of the records at ``index``, each gathered when first read (a
    comparison's levels often read only some of its arrays); tables (``__`` keys, not per
    record) as prepared."""

    def __init__(self, prepared: Prepared, index: np.ndarray) -> None:
        self._prepared = {k: v for k, v in prepared.items() if not k.startswith("__")}
        self._tables = {k: v for k, v in prepared.items() if k.startswith("__")}
        self._index = index
        self._done: dict[str, np.ndarray] = {}

    def __getitem__(self, key: str) -> np.ndarray:
        if key.startswith("__"):  # not per record: as prepared
            return self._tables[key]
        values = self._done.get(key)
        if values is None:
            values = self._done[key] = self._prepared[key][self._index]
        return values

    def __contains__(self, key: object) -> bool:
        return key in self._prepared

    def __iter__(self) -> Iterator[str]:
        return iter(self._prepared)

    def __len__(self) -> int:
        return len(self._prepared)


def gather(prepared: Prepared, index: np.ndarray) -> Prepared:
    """The prepared arrays of the records at ``index`` (row positions), gathered lazily."""
    return _Gathered(prepared, index)  # type: ignore[return-value]


def has_cjk_char(value: Any) -> bool:
    """Tell whether a value (as text) holds a Chinese character."""
    return bool(_CJK_CHAR.search(str(value)))
