"""Comparisons: per candidate pair, one integer level per field comparison.

Each comparison is a small declarative object named like a sentence (``JaroWinklerAtThresholds``)
holding an ordered, inspectable list of levels: the null level first (``-1``: a side is
missing), then the levels from most to least alike, ``else`` last (``0``). Levels are computed
column-wise: a comparison first *prepares* per-record arrays once (cleaned values, derived keys,
term frequencies), then turns gathered left/right arrays into ``int8`` levels with numpy and
``rapidfuzz.process.cpdist``. No per-pair Python loop; similarity kernels only run on the pairs
that are neither missing nor exactly equal.

A comparison can also be used as a ``recordlinkage.Compare`` feature through
:meth:`Comparison.as_recordlinkage`.
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel, JaroWinkler, Levenshtein, Prefix

from linkage.standardize.vocabulary import industry_synonyms

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


# --------------------------------------------------------------------------- helpers


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


def term_keys(comparison: Comparison) -> list[str]:
    """The prepared keys whose term frequencies ``comparison`` uses (each once, in order)."""
    return list(dict.fromkeys(comparison.tf_levels.values()))


def term_values(prepared: Prepared, key: str) -> tuple[np.ndarray, np.ndarray] | None:
    """A term-frequency key's per-record codes (-1 = missing) and the value of each code, or
    None when the comparison does not say its values.

    The value of a record is a function of that record's features alone, so two records hold
    equal codes in one frame exactly when they hold equal values: a term frequency
    (:func:`frequencies`) depends on the records only through these values and their sources.
    """
    values = prepared.get("__values_" + key)
    codes = prepared.get(key + "_code")
    if values is None or codes is None:
        return None
    return codes, values


def term_prepared(codes: Mapping[str, np.ndarray], sources: np.ndarray | None) -> Prepared:
    """What :func:`pair_term_frequencies` reads (``<key>_code``, ``<key>_freq``), from each
    term-frequency key's codes over every record of the run (codes need only be equal where
    the values are: any numbering of the values gives the same frequencies)."""
    out: Prepared = {}
    for key, column in codes.items():
        out[key + "_code"] = column
        out[key + "_freq"] = frequencies(column, sources)
    return out


def _null_exact(left: Prepared, right: Prepared, key: str) -> tuple[np.ndarray, np.ndarray]:
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


# --------------------------------------------------------------------------- base class


class Comparison:
    """Base class: a named comparison of one or more features columns into levels.

    Subclasses set ``self.name`` and ``self.columns`` in ``__init__`` (storing their arguments as
    given, for :meth:`to_dict`), and implement :meth:`prepare`, :meth:`levels` and
    :meth:`compute`. ``tf_levels`` maps a level value to the prepared key whose term frequency
    adjusts the weight of pairs at that level that share the key.
    """

    kind: ClassVar[str] = "comparison"
    name: str
    columns: tuple[str, ...]
    # a free-text or category field (a sector, patent classes): weak evidence, see default_m
    descriptive: bool = False
    tf_levels: dict[int, str]
    """Level value -> prepared key. For each key, :meth:`prepare` makes ``<key>_code`` (int
    codes, -1 = missing; a function of the record's own features), ``<key>_freq``
    (:func:`frequencies` of those codes) and ``__values_<key>`` (the value of each code)."""

    def prepare(self, frame: pd.DataFrame) -> Prepared:
        """Per-record arrays needed by :meth:`compute` (computed once per run)."""
        raise NotImplementedError

    def levels(self) -> list[Level]:
        """The ordered levels: null first, then best to worst, ``else`` last."""
        raise NotImplementedError

    def compute(self, left: Prepared, right: Prepared) -> np.ndarray:
        """int8 levels of aligned left/right prepared arrays."""
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        """Constructor arguments, as given (what :meth:`to_dict` saves)."""
        raise NotImplementedError

    # shared behaviour -------------------------------------------------------------------

    def compare(self, left: pd.DataFrame, right: pd.DataFrame) -> np.ndarray:
        """Levels of row-aligned left and right frames (e.g. the two sides of pairs)."""
        # prepared together, so value codes and frequencies are shared by both sides
        both = pd.concat([left, right], ignore_index=True)
        prepared = self.prepare(both)
        n = len(left)
        index_l, index_r = np.arange(n), np.arange(n, n + len(right))
        return self.compute(gather(prepared, index_l), gather(prepared, index_r))

    def label_of(self, value: int) -> str:
        """The label of a level value."""
        for level in self.levels():
            if level.value == value:
                return level.label
        raise KeyError(f"{self.name}: no level {value}")

    @property
    def n_levels(self) -> int:
        """Number of non-null levels (values 0 .. n_levels - 1)."""
        return len(self.levels()) - 1

    @property
    def agreement_levels(self) -> frozenset[int]:
        """Levels that mean "the same value once standardised" (the top one by default)."""
        return frozenset({self.n_levels - 1})

    @property
    def against_levels(self) -> frozenset[int]:
        """Levels that are evidence against a match by their meaning (a namesake, a sister
        firm): the model never lets their m exceed their u."""
        return frozenset()

    @property
    def differ_levels(self) -> frozenset[int]:
        """Levels where what identifies differs although the values look alike (another
        distinctive word in similar names): evidence against in the knowledge-based fallback,
        while EM may learn that the data says otherwise."""
        return frozenset()

    @property
    def else_level(self) -> int:
        """The level of pairs that have nothing in common."""
        return 0

    def default_m(self) -> np.ndarray:
        """Knowledge-based P(level | same entity), indexed by level value.

        Used when EM cannot be trusted (see :mod:`linkage.plausibility`): most true matches
        agree exactly, a tenth disagree outright, the levels between share the rest.
        """
        n = self.n_levels
        if n == 1:
            return np.ones(1)
        m = np.full(n, 0.2 / max(n - 2, 1))
        m[0], m[-1] = 0.1, 0.7 if n > 2 else 0.9
        return m / m.sum()

    def to_dict(self) -> dict[str, Any]:
        """The comparison as JSON-ready settings (type + constructor arguments)."""
        return {"type": type(self).__name__, **self.params()}

    def describe(self) -> dict[str, Any]:
        """Settings plus the level labels, for manifests and documentation."""
        return {
            **self.to_dict(),
            "levels": {str(level.value): level.label for level in self.levels()},
        }

    def as_recordlinkage(self, label: str | None = None) -> Any:
        """This comparison as a ``recordlinkage`` compare feature (``Compare().add(...)``)."""
        from recordlinkage.base import BaseCompareFeature

        comparison = self
        columns = list(self.columns)

        class _Feature(BaseCompareFeature):  # type: ignore[misc]
            def _compute_vectorized(self, *series: pd.Series) -> np.ndarray:
                half = len(series) // 2
                left = pd.DataFrame(
                    {c: s.to_numpy() for c, s in zip(columns, series[:half], strict=False)}
                )
                right = pd.DataFrame(
                    {c: s.to_numpy() for c, s in zip(columns, series[half:], strict=False)}
                )
                return comparison.compare(left, right)

        return _Feature(columns, columns, label=label or self.name)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Comparison) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(repr(self))


class _SingleColumn(Comparison):
    """A comparison of one column, cleaned (custom fields) or as standardised."""

    def __init__(
        self,
        column: str,
        *,
        name: str | None = None,
        clean: bool = True,
        tf_adjust: bool = False,
        descriptive: bool = False,
    ) -> None:
        self.column = column
        self.name = name or column
        self.clean = clean
        self.tf_adjust = tf_adjust
        self.descriptive = descriptive
        self.columns = (column,)

    def default_m(self) -> np.ndarray:
        """As :meth:`Comparison.default_m`; a ``descriptive`` field (free text, a category:
        patent classes, a sector) often differs between records of one firm, so its
        disagreement is weak evidence: most true matches fall in "else"."""
        if not self.descriptive:
            return super().default_m()
        n = self.n_levels
        m = np.full(n, 0.2 / max(n - 2, 1))
        m[0], m[-1] = 0.5, 0.3
        return m / m.sum()

    @property
    def tf_levels(self) -> dict[int, str]:  # type: ignore[override]
        return {self.n_levels - 1: "value"} if self.tf_adjust else {}

    def prepare(self, frame: pd.DataFrame) -> Prepared:
        return self._prepared(Distinct.column(frame, self.column, clean=self.clean), frame)

    def _prepared(self, column: Distinct, frame: pd.DataFrame) -> Prepared:
        out = {"value": column.per_record(), "value_code": column.codes}
        if self.tf_adjust:
            out["value_freq"] = frequencies(column.codes, source_codes(frame))
            out["__values_value"] = column.values
        return out

    def base_params(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "name": self.name,
            "clean": self.clean,
            "tf_adjust": self.tf_adjust,
            **({"descriptive": True} if self.descriptive else {}),
        }


class ExactMatch(_SingleColumn):
    """Exact match of one (cleaned) column: null, exact, else."""

    def levels(self) -> list[Level]:
        return [Level(NULL, "null"), Level(1, "exact match"), Level(0, "else")]

    def compute(self, left: Prepared, right: Prepared) -> np.ndarray:
        null, exact = _null_exact(left, right, "value")
        return assign_levels([(1, exact)], null)

    def params(self) -> dict[str, Any]:
        return self.base_params()


class JaroWinklerAtThresholds(_SingleColumn):
    """Exact match, then Jaro–Winkler similarity at or above each threshold, else."""

    def __init__(
        self,
        column: str,
        thresholds: Sequence[float] = (0.92, 0.8),
        *,
        name: str | None = None,
        clean: bool = True,
        tf_adjust: bool = False,
        descriptive: bool = False,
    ) -> None:
        super().__init__(
            column, name=name, clean=clean, tf_adjust=tf_adjust, descriptive=descriptive
        )
        self.thresholds = tuple(float(t) for t in thresholds)

    def levels(self) -> list[Level]:
        top = len(self.thresholds) + 1
        out = [Level(NULL, "null"), Level(top, "exact match")]
        out += [Level(top - 1 - i, f"Jaro-Winkler >= {t:g}") for i, t in enumerate(self.thresholds)]
        return [*out, Level(0, "else")]

    def compute(self, left: Prepared, right: Prepared) -> np.ndarray:
        a, b = left["value"], right["value"]
        null, exact = _null_exact(left, right, "value")
        sim = similarity(
            a,
            b,
            JaroWinkler.normalized_similarity,
            ~null & ~exact,
            1.0,
            cutoff=min(self.thresholds, default=None),
        )
        top = len(self.thresholds) + 1
        conditions = [(top, exact)]
        conditions += [(top - 1 - i, sim >= t) for i, t in enumerate(self.thresholds)]
        return assign_levels(conditions, null)

    def params(self) -> dict[str, Any]:
        return {**self.base_params(), "thresholds": list(self.thresholds)}


class LevenshteinAtThresholds(_SingleColumn):
    """Exact match, then Levenshtein distance at or below each threshold, else."""

    def __init__(
        self,
        column: str,
        thresholds: Sequence[int] = (1, 2),
        *,
        name: str | None = None,
        clean: bool = True,
        tf_adjust: bool = False,
        descriptive: bool = False,
    ) -> None:
        super().__init__(
            column, name=name, clean=clean, tf_adjust=tf_adjust, descriptive=descriptive
        )
        self.thresholds = tuple(int(t) for t in thresholds)

    def levels(self) -> list[Level]:
        top = len(self.thresholds) + 1
        out = [Level(NULL, "null"), Level(top, "exact match")]
        out += [Level(top - 1 - i, f"Levenshtein <= {t}") for i, t in enumerate(self.thresholds)]
        return [*out, Level(0, "else")]

    def compute(self, left: Prepared, right: Prepared) -> np.ndarray:
        a, b = left["value"], right["value"]
        null, exact = _null_exact(left, right, "value")
        mask = ~null & ~exact
        dist = np.full(len(a), np.iinfo(np.int32).max, dtype=np.int32)
        if mask.any():
            dist[mask] = process.cpdist(
                a[mask], b[mask], scorer=Levenshtein.distance, workers=-1, dtype=np.int32
            )
        top = len(self.thresholds) + 1
        conditions = [(top, exact)]
        conditions += [(top - 1 - i, dist <= t) for i, t in enumerate(self.thresholds)]
        return assign_levels(conditions, null)

    def params(self) -> dict[str, Any]:
        return {**self.base_params(), "thresholds": list(self.thresholds)}


_NON_DIGIT = re.compile(r"\D+")


def _date_digits(value: Any) -> str | None:
    text = clean_text(value)
    if text is None:
        return None
    digits = _NON_DIGIT.sub("", text)
    return digits or None


def _days_of(digits: np.ndarray) -> np.ndarray:
    """Days since 1970 of distinct ``YYYYMMDD`` strings (nan otherwise)."""
    text = pd.Series(digits, dtype=object)
    eight = text.str.len() == 8
    stamps = pd.to_datetime(text.where(eight, None), format="%Y%m%d", errors="coerce")
    return (stamps - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype=np.float64)


class DateComparison(_SingleColumn):
    """Dates (ISO or ``YYYYMMDD``): exact, one typo, within ``max_days``, else."""

    def __init__(
        self,
        column: str,
        *,
        max_days: int = 365,
        name: str | None = None,
        clean: bool = True,
        tf_adjust: bool = False,
    ) -> None:
        super().__init__(column, name=name, clean=clean, tf_adjust=tf_adjust)
        self.max_days = int(max_days)

    def levels(self) -> list[Level]:
        return [
            Level(NULL, "null"),
            Level(3, "exact date"),
            Level(2, "one digit differs or transposed (Levenshtein <= 1)"),
            Level(1, f"within {self.max_days} days"),
            Level(0, "else"),
        ]

    def prepare(self, frame: pd.DataFrame) -> Prepared:
        digits = Distinct.column(frame, self.column).derive(_date_digits)
        out = self._prepared(digits, frame)
        out["days"] = np.append(_days_of(digits.values), np.nan)[digits.codes]
        return out

    def compute(self, left: Prepared, right: Prepared) -> np.ndarray:
        a, b = left["value"], right["value"]
        null, exact = _null_exact(left, right, "value")
        mask = ~null & ~exact
        dist = np.full(len(a), 99, dtype=np.int32)
        if mask.any():
            dist[mask] = process.cpdist(
                a[mask], b[mask], scorer=Levenshtein.distance, workers=-1, dtype=np.int32
            )
        transposed = _transposition(a, b, mask)
        with np.errstate(invalid="ignore"):
            close = np.abs(left["days"] - right["days"]) <= self.max_days
        return assign_levels([(3, exact), (2, (dist <= 1) | transposed), (1, close)], null)

    def params(self) -> dict[str, Any]:
        return {**self.base_params(), "max_days": self.max_days}


def _transposition(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """True where two equal-length strings differ by one swap of adjacent characters."""
    out = np.zeros(len(a), dtype=bool)
    if mask.any():
        osa = process.cpdist(a[mask], b[mask], scorer=_osa_distance(), workers=-1, dtype=np.int32)
        out[mask] = osa <= 1
    return out


def _osa_distance() -> Callable[..., int]:
    from rapidfuzz.distance import OSA

    return OSA.distance


class PhoneComparison(_SingleColumn):
    """Phone numbers (E.164): exact, same last ``digits`` digits, else."""

    def __init__(
        self,
        column: str = "phone_e164",
        *,
        digits: int = 7,
        name: str | None = "phone",
        clean: bool = True,
        tf_adjust: bool = False,
    ) -> None:
        super().__init__(column, name=name, clean=clean, tf_adjust=tf_adjust)
        self.digits = int(digits)

    def levels(self) -> list[Level]:
        return [
            Level(NULL, "null"),
            Level(2, "exact number"),
            Level(1, f"same last {self.digits} digits"),
            Level(0, "else"),
        ]

    def prepare(self, frame: pd.DataFrame) -> Prepared:
        column = Distinct.column(frame, self.column, clean=self.clean)
        out = self._prepared(column, frame)
        digits = self.digits
        out["tail_code"] = column.derive(lambda v: _NON_DIGIT.sub("", str(v))[-digits:]).codes
        return out

    def compute(self, left: Prepared, right: Prepared) -> np.ndarray:
        null, exact = _null_exact(left, right, "value")
        _, tail = _null_exact(left, right, "tail")
        return assign_levels([(2, exact), (1, tail)], null)

    def params(self) -> dict[str, Any]:
        return {**self.base_params(), "digits": self.digits}


class EmailComparison(Comparison):
    """E-mail: exact address, same registrable domain, else (null when a side has neither)."""

    def __init__(
        self, email: str = "email_norm", domain: str = "domain", *, name: str = "email"
    ) -> None:
        self.email = email
        self.domain = domain
        self.name = name
        self.columns = (email, domain)
        self.tf_levels = {1: "domain"}

    def levels(self) -> list[Level]:
        return [
            Level(NULL, "null"),
            Level(2, "exact e-mail"),
            Level(1, "same web/e-mail domain"),
            Level(0, "else"),
        ]

    def prepare(self, frame: pd.DataFrame) -> Prepared:
        domain = Distinct.column(frame, self.domain, clean=True)
        return {
            "email_code": Distinct.column(frame, self.email, clean=True).codes,
            "domain_code": domain.codes,
            "domain_freq": frequencies(domain.codes, source_codes(frame)),
            "__values_domain": domain.values,
        }

    def compute(self, left: Prepared, right: Prepared) -> np.ndarray:
        no_email, same_email = _null_exact(left, right, "email")
        no_domain, same_domain = _null_exact(left, right, "domain")
        return assign_levels([(2, same_email), (1, same_domain)], no_email & no_domain)

    def params(self) -> dict[str, Any]:
        return {"email": self.email, "domain": self.domain, "name": self.name}


class AddressComparison(Comparison):
    """Addresses: exact, token-sort similarity at thresholds, same numbers, same postcode, else.

    Addresses in different scripts (a Chinese and an English address) are compared by their
    house, building and room numbers only (``numbers`` column). Null when neither the address
    nor the postcode can be compared. An exact address shared by many firms (a registered
    agent's) weighs less through its term frequency.

    With ``number_conflict`` (the automatic configuration turns it on), two addresses whose
    numbers share none ("5745 west division street" / "5654 west division street": two sites
    of one street) are at "else" instead of a similarity or same-postcode level: a similar
    street says little when the house numbers disagree. (A level of their own was tried: EM
    then gave "else" much less weight, and generated data lost precision.) ``tf_adjust=False``
    keeps exact addresses at the level's weight (the automatic configuration's choice: the
    frequency of an address counts the duplicates of one site as other firms).
    """

    def __init__(
        self,
        address: str = "address_norm",
        postcode: str | None = "postcode_norm",
        thresholds: Sequence[float] = (0.9, 0.75),
        *,
        numbers: str | None = "address_numbers",
        name: str = "address",
        number_conflict: bool = False,
        tf_adjust: bool = True,
    ) -> None:
        self.address = address
        self.postcode = postcode
        self.numbers = numbers
        self.number_conflict = bool(number_conflict) and numbers is not None
        self.tf_adjust = bool(tf_adjust)
        self.thresholds = tuple(float(t) for t in thresholds)
        self.name = name
        self.columns = (
            (address,) + ((postcode,) if postcode else ()) + ((numbers,) if numbers else ())
        )

    @property
    def tf_levels(self) -> dict[int, str]:  # type: ignore[override]
        return {self._top(): "address"} if self.tf_adjust else {}

    def _top(self) -> int:
        return len(self.thresholds) + 1 + (1 if self.postcode else 0) + (1 if self.numbers else 0)

    def levels(self) -> list[Level]:
        top = self._top()
        out = [Level(NULL, "null"), Level(top, "exact address")]
        out += [
            Level(top - 1 - i, f"token-sort similarity >= {t:g}")
            for i, t in enumerate(self.thresholds)
        ]
        level = top - 1 - len(self.thresholds)
        if self.numbers:
            out.append(Level(level, "same house and room numbers"))
            level -= 1
        if self.postcode:
            out.append(Level(level, "same postcode"))
        other = "else, or no house number shared" if self.number_conflict else "else"
        return [*out, Level(0, other)]

    def prepare(self, frame: pd.DataFrame) -> Prepared:
        address = Distinct.column(frame, self.address, clean=True)
        out = {
            "address_code": address.codes,
            "address_freq": frequencies(address.codes, source_codes(frame)),
            "cjk": address.map(_has_cjk, dtype=bool, missing=False),
            # words sorted once per address: token-sort similarity is then a plain ratio
            "address_sorted": address.map(lambda a: " ".join(sorted(a.split()))),
            "__implied": np.array(["address_sorted", "cjk"], dtype=object),  # of address_code
            "__values_address": address.values,
        }
        if self.postcode:
            out["postcode_code"] = Distinct.column(frame, self.postcode, clean=True).codes
        if self.numbers:
            numbers = Distinct.column(frame, self.numbers)
            out["numbers_code"] = numbers.codes
            if self.number_conflict:
                out.update(_word_columns("numbers", numbers))
        return out

    def compute(self, left: Prepared, right: Prepared) -> np.ndarray:
        a, b = left["address_code"], right["address_code"]
        both = (a >= 0) & (b >= 0)
        same_script = left["cjk"] == right["cjk"]
        exact = both & (a == b)
        sim = similarity(
            left["address_sorted"],
            right["address_sorted"],
            fuzz.ratio,
            both & ~exact & same_script,
            100.0,
            cutoff=min(self.thresholds, default=None),
        )
        top = self._top()
        conditions = [(top, exact)]
        if self.number_conflict:
            # numbers on both sides, none shared
            na, nb = left["numbers_code"], right["numbers_code"]
            counted = (na >= 0) & (nb >= 0)
            shared = word_relations(left, right, "numbers").shared
            conditions.append((0, both & ~exact & counted & ~shared))
        conditions += [(top - 1 - i, both & (sim >= t)) for i, t in enumerate(self.thresholds)]
        null = ~both | ~same_script
        level = top - 1 - len(self.thresholds)
        if self.numbers:
            na, nb = left["numbers_code"], right["numbers_code"]
            counted = (na >= 0) & (nb >= 0)
            same_numbers = counted & (na == nb)
            conditions.append((level, same_numbers))
            comparable = counted & both
            if self.number_conflict:
                # across scripts the numbers are all there is: some shared and some not (a room
                # one rendering left out) is neither the same address nor another
                comparable &= same_script | same_numbers | ~shared
            null &= ~comparable
            level -= 1
        if self.postcode:
            pa, pb = left["postcode_code"], right["postcode_code"]
            codes = (pa >= 0) & (pb >= 0)
            conditions.append((level, codes & (pa == pb)))
            null &= ~codes
        return assign_levels(conditions, null)

    def params(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "postcode": self.postcode,
            "thresholds": list(self.thresholds),
            "numbers": self.numbers,
            "name": self.name,
            **({"number_conflict": True} if self.number_conflict else {}),
            **({} if self.tf_adjust else {"tf_adjust": False}),
        }


_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CJK_ONLY = re.compile(r"[\u3400-\u9fff\uf900-\ufaff ]+")


def _acronym(tokens: Any) -> str | None:
    parts = str(tokens).split()
    if len(parts) < 2 or not all(p[:1].isascii() and p[:1].isalpha() for p in parts):
        return None
    return "".join(p[0] for p in parts)


class CompanyNameComparison(Comparison):
    """Company names on standardised features, with the distinctive words kept apart.

    Two firms of one city and industry differ only in their trade name, so string similarity
    of whole names ("Shanghai Xunhong Environmental Technology" vs "Shanghai Junjun
    Environmental Technology") says little. Levels, best first: exact normalised name; equal
    Latin key (hanzi vs pinyin/English); same distinctive words (``name_core``: the trade
    name) with compatible places (one place path inside the other) and industries; distinctive
    words alike (one a prefix of the other, "zexing" / "zexingdianli"; for two Latin-script
    names also a typo: indel similarity >= ``typo_threshold`` on words of 6 letters or more,
    "phillips" / "philips"; or Jaro–Winkler >= ``core_threshold`` when below 1, off by
    default) with nothing in conflict; same distinctive words but another place or industry
    (namesakes and sister firms); similar names (token-set >= ``token_threshold`` or
    Latin-key Jaro–Winkler >= the first of ``jw_thresholds``) where the distinctive words
    cannot be compared or one holds the other; similar names (Jaro–Winkler >= the last
    threshold) whose distinctive words differ; one name is the acronym of the other; else.

    A Chinese registered name is its places, trade name (字号) and industry: two Chinese names
    that differ in any of them (another trade name in one town, a sister firm of another
    industry, a namesake in another county) name two firms unless strong other evidence says
    otherwise (a renamed firm). Such pairs get the lowest level, strong evidence against: its
    knowledge-based m is a thousandth. Where only one side is Chinese, such a difference only
    keeps the pair out of the "similar" levels. Exact names, Latin keys and distinctive words
    get term-frequency adjustments (common values weigh less).
    """

    def __init__(
        self,
        norm: str = "name_norm",
        latin: str = "name_latin",
        tokens: str = "name_tokens",
        *,
        core: str = "name_core",
        generic: str = "name_generic",
        place: str = "name_place",
        place_path: str = "name_place_path",
        token_threshold: float = 0.9,
        jw_thresholds: Sequence[float] = (0.92, 0.85),
        core_threshold: float = 1.0,
        typo_threshold: float = 0.9,
        name: str = "name",
    ) -> None:
        self.norm = norm
        self.latin = latin
        self.tokens = tokens
        self.core = core
        self.generic = generic
        self.place = place
        self.place_path = place_path
        self.token_threshold = float(token_threshold)
        self.jw_thresholds = tuple(float(t) for t in jw_thresholds)
        self.core_threshold = float(core_threshold)
        self.typo_threshold = float(typo_threshold)
        self.name = name
        self.columns = (norm, latin, tokens, core, generic, place, place_path)

    @property
    def tf_levels(self) -> dict[int, str]:  # type: ignore[override]
        return {9: "norm", 8: "latin", 7: "core"}

    @property
    def agreement_levels(self) -> frozenset[int]:
        return frozenset({9, 8, 7})

    @property
    def against_levels(self) -> frozenset[int]:
        return frozenset({5, 1, 0})

    @property
    def differ_levels(self) -> frozenset[int]:
        return frozenset({3})

    @property
    def else_level(self) -> int:
        return 1

    def default_m(self) -> np.ndarray:
        # level:     0      1     2     3     4     5     6     7     8     9
        m = np.array([0.001, 0.05, 0.01, 0.04, 0.07, 0.03, 0.05, 0.10, 0.10, 0.55])
        return m / m.sum()

    def levels(self) -> list[Level]:
        first, last = self.jw_thresholds[0], self.jw_thresholds[-1]
        alike = (
            "distinctive words: one a prefix of the other, or a typo "
            f"(Latin script, indel similarity >= {self.typo_threshold:g})"
        )
        if self.core_threshold < 1.0:
            alike += f" or Jaro-Winkler >= {self.core_threshold:g}"
        return [
            Level(NULL, "null"),
            Level(9, "exact normalised name"),
            Level(8, "equal Latin key"),
            Level(
                7,
                "same distinctive words, places and industries compatible (or no distinctive "
                "words, one place and the same industry)",
            ),
            Level(6, alike),
            Level(5, "same distinctive words, another place or industry"),
            Level(
                4,
                f"similar (token-set >= {self.token_threshold:g} or Jaro-Winkler >= {first:g}),"
                " distinctive words unknown or one inside the other",
            ),
            Level(3, f"similar (Jaro-Winkler >= {last:g}), distinctive words differ"),
            Level(2, "acronym of the other name"),
            Level(1, "else"),
            Level(0, "two Chinese names of different firms: another place, trade name or industry"),
        ]

    def prepare(self, frame: pd.DataFrame) -> Prepared:
        norm = Distinct.column(frame, self.norm)
        latin = Distinct.column(frame, self.latin).or_else(norm)
        tokens = Distinct.column(frame, self.tokens).or_else(norm)
        core = Distinct.column(frame, self.core)
        generic = Distinct.column(frame, self.generic)
        sources = source_codes(frame)
        return {
            "norm_code": norm.codes,
            "latin_code": latin.codes,
            "core_code": core.codes,
            "place_path": _place_paths(frame, self.place_path, self.place),
            "cjk": norm.map(_has_cjk, dtype=bool, missing=False),
            "norm_freq": frequencies(norm.codes, sources),
            "latin": latin.per_record(),
            "latin_freq": frequencies(latin.codes, sources),
            "tokens": tokens.per_record(),
            "cjk_only": tokens.map(_cjk_only, dtype=bool, missing=False),
            "tokens_code": tokens.codes,
            "words": tokens.map(lambda t: len(set(t.split())), dtype=np.int32, missing=0),
            "core": core.per_record(),
            "core_len": core.map(len, dtype=np.float32, missing=0),
            "core_freq": frequencies(core.codes, sources),
            **_word_columns("generic", generic),
            **_word_columns("industry", generic.derive(_translated_industries)),
            **_acronym_codes(tokens),
            "__values_norm": norm.values,
            "__values_latin": latin.values,
            "__values_core": core.values,
        }

    def compute(self, left: Prepared, right: Prepared) -> np.ndarray:
        ln, rn = left["norm_code"], right["norm_code"]
        null = (ln < 0) | (rn < 0)
        exact = ~null & (ln == rn)
        la, ra = left["latin_code"], right["latin_code"]
        latin_ok = (la >= 0) & (ra >= 0) & ~null
        latin_eq = latin_ok & (la == ra)
        rest = ~null & ~exact & ~latin_eq
        lc, rc = left["core_code"], right["core_code"]
        core_ok = (lc >= 0) & (rc >= 0) & rest
        core_eq = core_ok & (lc == rc)
        gl, gr = left["generic_code"], right["generic_code"]
        known = (gl >= 0) & (gr >= 0)
        words = word_relations(left, right, "generic")
        alike = words.left_inside | words.right_inside  # one industry's words in the other's
        lp, rp = left["place_path"], right["place_path"]
        # industries conflict when neither holds the other; across scripts (a translation
        # picks its own synonyms: 销售 "sales" / "marketing", 设备 "machinery" / "equipment")
        # only when they share no word, synonyms counted as one
        across = left["cjk"] != right["cjk"]
        translated = word_relations(left, right, "industry")
        industries = known & np.where(across, ~translated.shared, ~alike)
        conflict = _places_conflict(lp, rp) | industries
        # two Chinese names with another place or industry get the lowest level whatever
        # their similarities: those are not worked out for them (a third of the pairs)
        open_pair = ~(conflict & left["cjk"] & right["cjk"])
        # no trade name on either side: a place and an industry are the whole name (盐城中药饮片,
        # "Nanjing Liuhe Seeds Corp."), and one place cannot register it twice
        bare = rest & (lc < 0) & (rc < 0) & (gl >= 0) & (gl == gr) & ~conflict
        bare &= (lp[:, 0] >= 0) & (rp[:, 0] >= 0)
        cjk = left["cjk"] | right["cjk"]
        open_core = core_ok & ~core_eq & open_pair
        shared = similarity(left["core"], right["core"], Prefix.similarity, open_core, 1.0)
        shorter = np.zeros(len(null), dtype=np.float32)
        if open_core.any():
            shorter[open_core] = np.minimum(
                left["core_len"][open_core], right["core_len"][open_core]
            )
        prefix = open_core & (shared >= 4) & (shared >= shorter)
        # 元上 供销 and 元上经济协作: the shorter Chinese name's industry is known and the longer
        # one's trade name runs on by two syllables or more where its industry should be, so it
        # names another industry the tables lack (were it the same, it would have been read)
        runs_on = prefix & left["cjk"] & right["cjk"]
        if runs_on.any():
            longer = np.abs(left["core_len"] - right["core_len"]) >= _RUN_ON_LETTERS
            left_short = left["core_len"] < right["core_len"]
            known_short = np.where(left_short, (gl >= 0) & (gr < 0), (gr >= 0) & (gl < 0))
            runs_on &= longer & known_short
            conflict = conflict | runs_on
            prefix &= ~runs_on
        typo = open_core & ~prefix & ~cjk & (shorter >= _TYPO_MIN_LENGTH)
        typo &= (
            similarity(
                left["core"], right["core"], Indel.normalized_similarity, typo, 1.0,
                cutoff=self.typo_threshold,
            )
            >= self.typo_threshold
        )  # fmt: skip
        typo[typo] = _one_word_misspelt(left["tokens"][typo], right["tokens"][typo])
        core_alike = prefix | typo
        if self.core_threshold < 1.0:  # at 1, only equal words (core_eq) would reach it
            core_jw = similarity(
                left["core"],
                right["core"],
                JaroWinkler.normalized_similarity,
                open_core,
                1.0,
                cutoff=self.core_threshold,
            )
            core_alike = core_alike | (core_jw >= self.core_threshold)
        # levels 4-6 do not depend on the name similarities below: skip their pairs
        rest = rest & ~core_eq & ~(core_alike & ~conflict) & ~bare & open_pair
        # words all Chinese against words without any share no character but spaces: their
        # token-set ratio stays below 0.5, so it is not worked out
        scripts_apart = (left["cjk_only"] & ~right["cjk"]) | (right["cjk_only"] & ~left["cjk"])
        token = similarity(
            left["tokens"],
            right["tokens"],
            fuzz.token_set_ratio,
            rest & ~scripts_apart,
            100.0,
            cutoff=self.token_threshold,
        )
        jw = similarity(
            left["latin"],
            right["latin"],
            JaroWinkler.normalized_similarity,
            rest & latin_ok,
            1.0,
            cutoff=min(self.jw_thresholds),
        )
        similar = (token >= self.token_threshold) | (jw >= self.jw_thresholds[0])
        # one name's distinctive words inside the other's ("hamline" in "chicago public
        # schools hamline"): similar names, or Chinese ones, that may well be one firm
        contained = similarity(
            left["core"],
            right["core"],
            fuzz.partial_ratio,
            open_core & (similar | cjk) & ~core_alike,
            100.0,
            cutoff=1.0,
        )
        # or word by word, in any order, two words at least: "catholic charities grace
        # mission" in "catholic charities of the archdiocese of chicago grace mission" (the
        # token-set ratio is 100 exactly when one word set holds the other)
        words_inside = (token >= 1.0) & (np.minimum(left["words"], right["words"]) >= 2) & ~cjk
        inside = (contained >= 1.0) | (words_inside & open_core & similar & ~core_alike)
        known_apart = open_core & ~core_alike & ~inside
        # a Chinese name is its places, trade name and industry: another of any, another firm
        apart = ~null & ~exact & ~latin_eq & (known_apart | conflict)
        acronym = _acronym_match(left, right, rest & ~similar)
        conditions = [
            (9, exact),
            (8, latin_eq),
            (0, apart & left["cjk"] & right["cjk"]),
            (7, (core_eq & ~conflict) | bare),
            (6, core_alike & ~conflict),
            (5, core_eq),
            (4, similar & ~known_apart & ~(apart & cjk)),
            (3, (similar | (jw >= self.jw_thresholds[-1])) & ~(apart & cjk)),
            (2, acronym),
        ]
        return assign_levels(conditions, null, otherwise=1)

    def params(self) -> dict[str, Any]:
        return {
            "norm": self.norm,
            "latin": self.latin,
            "tokens": self.tokens,
            "core": self.core,
            "generic": self.generic,
            "place": self.place,
            "place_path": self.place_path,
            "token_threshold": self.token_threshold,
            "jw_thresholds": list(self.jw_thresholds),
            "core_threshold": self.core_threshold,
            "typo_threshold": self.typo_threshold,
            "name": self.name,
        }


_RUN_ON_LETTERS = 4  # pinyin letters of two syllables, at the least
_TYPO_MIN_LENGTH = 6
"""Distinctive words shorter than this are never a typo of each other ("hughesc" and
"hughesl" stay apart by the similarity bound; short ones by this)."""
_TYPO_MIN_WORD, _TYPO_WORD_SIMILARITY = 5, 0.8
"""The one word two names differ in is a misspelling when both spellings are this long and
this alike."""
_PLACE_DEPTH = 4
"""Levels of a place path: province, city, county or district, town or street."""


def _has_cjk(text: Any) -> bool:
    return bool(_CJK_CHAR.search(str(text)))


def _cjk_only(text: Any) -> bool:
    """Every character but spaces is a CJK one."""
    return bool(_CJK_ONLY.fullmatch(str(text)))


def _place_paths(frame: pd.DataFrame, paths: str, place: str) -> np.ndarray:
    """Per record the codes of its place path's prefixes, general to specific, (n, depth)
    int64, -1 past the path's end. Without a path column, the place itself is a path of one."""
    column = Distinct.column(frame, paths if paths in frame else place)
    prefixes = [str(v).split()[:_PLACE_DEPTH] for v in column.values.tolist()]
    table = np.full((len(prefixes) + 1, _PLACE_DEPTH), -1, dtype=np.int64)  # last: missing
    for depth in range(_PLACE_DEPTH):
        keys = [" ".join(p[: depth + 1]) if len(p) > depth else None for p in prefixes]
        codes, _ = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=True)
        table[: len(prefixes), depth] = codes
    return table[column.codes]


def _one_word_misspelt(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Per pair of token texts: they differ in one word each, a misspelling of a long word
    ("phillips" / "philips"), not in a short one ("applicant aa" / "applicant ab")."""
    out = np.zeros(len(left), dtype=bool)
    seen: dict[tuple[str, str], bool] = {}
    for i, pair in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        found = seen.get(pair)
        if found is None:
            a, b = set(str(pair[0]).split()), set(str(pair[1]).split())
            only_a, only_b = a - b, b - a
            found = seen[pair] = (
                len(only_a) == len(only_b) == 1
                and min(len(w) for w in (*only_a, *only_b)) >= _TYPO_MIN_WORD
                and Indel.normalized_similarity(*only_a, *only_b) >= _TYPO_WORD_SIMILARITY
            )
        out[i] = found
    return out


def _places_conflict(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Neither place path inside the other: they differ at the depth both reach."""
    depth = np.minimum((left >= 0).sum(axis=1), (right >= 0).sum(axis=1))
    rows = np.flatnonzero(depth > 0)
    out = np.zeros(len(left), dtype=bool)
    at = depth[rows] - 1
    out[rows] = left[rows, at] != right[rows, at]
    return out


def _acronym_codes(tokens: Distinct) -> Prepared:
    """Per record, codes of its name's acronym and of its name without spaces, in one code
    space (-1 = none), so "one name is the acronym of the other" is an integer test."""
    acronym = tokens.derive(_acronym)
    compact = tokens.derive(lambda t: str(t).replace(" ", ""))
    codes, _ = pd.factorize(np.concatenate([acronym.values, compact.values]))
    codes = codes.astype(np.int64)
    return {
        "acronym_code": np.append(codes[: len(acronym.values)], -1)[acronym.codes],
        "compact_code": np.append(codes[len(acronym.values) :], -1)[compact.codes],
    }


def _acronym_match(left: Prepared, right: Prepared, mask: np.ndarray) -> np.ndarray:
    """Where ``mask``: is one name the acronym of the other?"""
    la, ra = left["acronym_code"], right["acronym_code"]
    lc, rc = left["compact_code"], right["compact_code"]
    return mask & (((la >= 0) & (la == rc)) | ((ra >= 0) & (ra == lc)))


def _translated_industries(generic: str) -> str:
    """Industry words with each group of translation synonyms as one (``machinery`` and
    ``equipment``: ``equipment``), sorted."""
    synonyms = industry_synonyms()
    return " ".join(sorted({synonyms.get(w, w) for w in generic.split()}))


def _word_columns(name: str, column: Distinct) -> Prepared:
    """What :func:`word_relations` reads of a column of space-separated words: per record the
    value's code (``<name>_code``) and hashed word bits (``<name>_bits``), and the words of
    each value as a frozenset, an empty one last for code -1 (``__<name>_words``)."""
    words = np.empty(len(column.values) + 1, dtype=object)
    words[:] = [frozenset(str(v).split()) for v in column.values.tolist()] + [frozenset()]
    return {
        f"{name}_code": column.codes,
        f"{name}_bits": _word_bits(column),
        f"__{name}_words": words,
    }


class WordRelations(NamedTuple):
    """How the word sets of the two records of each pair relate (False where a side is
    missing)."""

    shared: np.ndarray  # a word in common
    left_inside: np.ndarray  # every word of the left one in the right one
    right_inside: np.ndarray


def word_relations(left: Prepared, right: Prepared, name: str) -> WordRelations:
    """Exact relations of the word sets of a column (:func:`_word_columns` ``name``) per pair.

    The hashed bits never miss a shared word but may invent one (two words on one bit:
    "supply" and "dyeing" did): the pairs whose bits meet are checked on the sets, once per
    distinct pair of values."""
    lc, rc = left[f"{name}_code"], right[f"{name}_code"]
    words = left[f"__{name}_words"]
    known = (lc >= 0) & (rc >= 0)
    same = known & (lc == rc)
    shared, left_inside, right_inside = same.copy(), same.copy(), same.copy()
    check = np.flatnonzero(known & ~same & ((left[f"{name}_bits"] & right[f"{name}_bits"]) != 0))
    if len(check):
        key = (lc[check].astype(np.int64) << 32) | rc[check].astype(np.int64)
        inverse, distinct = pd.factorize(key)
        sets = zip(
            words[distinct >> 32].tolist(), words[distinct & 0xFFFFFFFF].tolist(), strict=True
        )
        flags = np.array(
            [(not a.isdisjoint(b), a <= b, b <= a) for a, b in sets], dtype=bool
        ).reshape(-1, 3)[inverse]
        shared[check], left_inside[check], right_inside[check] = flags.T
    return WordRelations(shared, left_inside, right_inside)


def _word_bits(column: Distinct) -> np.ndarray:
    """Space-separated words per record -> a 63-bit set of word hashes (0 = no words)."""
    codes, uniques = column.codes, column.values
    words = [str(text).split() for text in uniques.tolist()]
    flat = [w for ws in words for w in ws]
    per_value = np.zeros(len(uniques) + 1, dtype=np.int64)  # last: missing
    if flat:
        # one hash per word (a word's hash does not depend on the other words hashed with it)
        hashes = pd.util.hash_array(np.array(flat, dtype=object)) % np.uint64(63)
        word_bits = np.left_shift(np.int64(1), hashes.astype(np.int64))
        owner = np.repeat(np.arange(len(words)), [len(ws) for ws in words])
        np.bitwise_or.at(per_value, owner, word_bits)
    return per_value[codes]


def _key_matrix(keys: Distinct) -> np.ndarray:
    """Space-separated keys per record -> (n, k) int64 hash matrix, 0 = no key."""
    # built once per distinct value (the last row: missing)
    return _key_rows(np.append(keys.values, None))[keys.codes]


def _key_rows(keys: np.ndarray) -> np.ndarray:
    lists = [str(k).split() if isinstance(k, str) and k else [] for k in keys]
    width = max((len(x) for x in lists), default=0)
    out = np.zeros((len(lists), max(width, 1)), dtype=np.int64)
    flat = [k for x in lists for k in x]
    if not flat:
        return out
    hashes = pd.util.hash_array(np.array(flat, dtype=object)).view(np.int64)
    hashes = np.where(hashes == 0, 1, hashes)
    rows = np.repeat(np.arange(len(lists)), [len(x) for x in lists])
    cols = np.concatenate([np.arange(len(x)) for x in lists if x])
    out[rows, cols] = hashes
    return out


def _any_shared(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise: do two (n, k) hash matrices share a non-zero entry?"""
    out = np.zeros(len(a), dtype=bool)
    for i in range(a.shape[1]):
        col = a[:, i]
        live = col != 0
        for j in range(b.shape[1]):
            out |= live & (col == b[:, j])
    return out


class IdentifierComparison(Comparison):
    """Registry identifiers through their crosswalk keys (``scheme:value``).

    Levels: share a crosswalk key; an identifier on a side is invalid (weak evidence); both
    valid of one scheme and different (strong evidence against). Null when a side has no
    identifier, or when both sides' valid identifiers are of different schemes.
    """

    def __init__(self, keys: str = "id_keys", *, name: str = "identifier") -> None:
        self.keys = keys
        self.name = name
        self.columns = (keys,)
        self.tf_levels = {}

    def default_m(self) -> np.ndarray:
        return np.array([0.02, 0.08, 0.90])

    def levels(self) -> list[Level]:
        return [
            Level(NULL, "null"),
            Level(2, "share a crosswalk key"),
            Level(1, "an identifier is invalid"),
            Level(0, "both valid, same scheme, different"),
        ]

    def prepare(self, frame: pd.DataFrame) -> Prepared:
        keys = Distinct.column(frame, self.keys)
        spaces = keys.derive(
            lambda k: " ".join(sorted({p.split(":", 1)[0] for p in str(k).split()}))
        )
        raw_columns = [
            c
            for c in frame.columns
            if isinstance(c, str)
            and c.startswith("id_")
            and c != self.keys
            and not c.endswith(("_norm", "_valid", "_scheme", "_problem"))
        ]
        has_raw = np.zeros(len(frame), dtype=bool)
        for column in raw_columns:
            has_raw |= Distinct.column(frame, column).codes >= 0
        has_keys = keys.codes >= 0
        return {
            "keys": _key_matrix(keys),
            "spaces": _key_matrix(spaces),
            "valid": has_keys,
            "invalid": has_raw & ~has_keys,
        }

    def compute(self, left: Prepared, right: Prepared) -> np.ndarray:
        shared = _any_shared(left["keys"], right["keys"])
        same_space = _any_shared(left["spaces"], right["spaces"])
        invalid = (left["invalid"] & (right["valid"] | right["invalid"])) | (
            right["invalid"] & left["valid"]
        )
        conflict = left["valid"] & right["valid"] & same_space & ~shared
        null = ~(shared | invalid | conflict)
        return assign_levels([(2, shared), (1, invalid), (0, conflict)], null)

    def params(self) -> dict[str, Any]:
        return {"keys": self.keys, "name": self.name}


COMPARISON_TYPES: dict[str, type[Comparison]] = {
    cls.__name__: cls
    for cls in (
        ExactMatch,
        JaroWinklerAtThresholds,
        LevenshteinAtThresholds,
        DateComparison,
        PhoneComparison,
        EmailComparison,
        AddressComparison,
        CompanyNameComparison,
        IdentifierComparison,
    )
}


def comparison_from_dict(data: Mapping[str, Any]) -> Comparison:
    """Rebuild a comparison from :meth:`Comparison.to_dict` output."""
    data = dict(data)
    kind = data.pop("type")
    if kind not in COMPARISON_TYPES:
        raise ValueError(f"unknown comparison type {kind!r}; known: {sorted(COMPARISON_TYPES)}")
    cls = COMPARISON_TYPES[kind]
    if "thresholds" in data and data["thresholds"] is not None:
        data["thresholds"] = tuple(data["thresholds"])
    positional = {k: data.pop(k) for k in ("column",) if k in data}
    return cls(*positional.values(), **data)  # type: ignore[call-arg]


# --------------------------------------------------------------------------- the stage


_PREPARED: list[Any] = []  # one slot: (weakref to features, shape, comparison reprs, prepared)


def prepare_all(comparisons: Sequence[Comparison], features: pd.DataFrame) -> list[Prepared]:
    """Prepared per-record arrays for every comparison.

    The result for the last features frame is kept (one slot, weakly referenced), so the
    compare stage and the model fit (and explain) prepare each comparison once per run. A
    frame changed in place after a call must not be passed again (the pipeline never does).
    """
    names = tuple(repr(c) for c in comparisons)
    if _PREPARED:
        ref, shape, cached_names, cached = _PREPARED[0]
        if ref() is features and shape == features.shape and cached_names == names:
            return list(cached)
    prepared = [c.prepare(features) for c in comparisons]
    _PREPARED[:] = [(weakref.ref(features), features.shape, names, prepared)]
    return list(prepared)


def release_prepared() -> None:
    """Drop the kept prepared arrays (per record and per distinct value: hundreds of MB on a
    million records) once a run compares no more."""
    _PREPARED.clear()


def _factor(values: np.ndarray) -> tuple[np.ndarray, int]:
    """int64 codes of a 1-D array (missing values share one code) and how many there are."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    codes = codes.astype(np.int64)
    if (codes < 0).any():
        codes = np.where(codes < 0, len(uniques), codes)
        return codes, len(uniques) + 1
    return codes, max(len(uniques), 1)


def _record_codes(prepared: Prepared) -> tuple[np.ndarray, np.ndarray]:
    """Per record, a code of everything :meth:`Comparison.compute` reads (all prepared arrays
    but the ``_freq`` ones): records with equal codes get equal levels against any record.
    Also one record per code (its first). Cached in the prepared dict."""
    cached = prepared.get("__record_codes")
    if cached is not None:
        return cached, prepared["__representatives"]
    columns: list[np.ndarray] = []
    n = 0
    implied = set(prepared.get("__implied", ()))  # functions of another prepared array
    for key, values in prepared.items():
        if key.startswith("__") or key.endswith("_freq") or key in implied:
            continue
        if values.dtype == object and key + "_code" in prepared:
            continue  # its codes say the same, and factorising integers is much cheaper
        n = len(values)
        if values.ndim == 2:
            columns += [values[:, i] for i in range(values.shape[1])]
        else:
            columns.append(values)
    codes = np.zeros(n, dtype=np.int64)
    for column in columns:
        part, size = _factor(column)
        codes, _ = _factor(codes * size + part)
    _, first = np.unique(codes, return_index=True)
    prepared["__record_codes"] = codes
    prepared["__representatives"] = first.astype(np.int64)
    return codes, prepared["__representatives"]


def _value_codes_of(prepared: Prepared, key: str) -> np.ndarray:
    """Integer codes of a prepared key (``<key>_code`` when the comparison made them)."""
    if key + "_code" in prepared:
        return prepared[key + "_code"]
    cached = prepared.get("__code_" + key)
    if cached is None:
        cached = _factor(prepared[key])[0]
        prepared["__code_" + key] = cached
    return cached


def _levels_distinct(
    comparison: Comparison, prepared: Prepared, il: np.ndarray, ir: np.ndarray
) -> np.ndarray:
    """``comparison.compute`` run once per distinct pair of record codes, spread to the pairs."""
    codes, representatives = _record_codes(prepared)
    width = np.int64(len(representatives))
    keys = codes[il] * width + codes[ir]
    inverse, distinct = pd.factorize(keys)
    left = gather(prepared, representatives[distinct // width])
    right = gather(prepared, representatives[distinct % width])
    return comparison.compute(left, right)[inverse]


def pair_term_frequencies(
    comparison: Comparison, prepared: Prepared, il: np.ndarray, ir: np.ndarray, lv: np.ndarray
) -> np.ndarray:
    """Per pair of records ``(il, ir)`` at levels ``lv``: the frequency of the shared value
    where the level is term-frequency adjusted and the two records hold the same value (nan
    otherwise). Compared on integer codes; only the frequency arrays are gathered."""
    out = np.full(len(lv), np.nan)
    for value, key in comparison.tf_levels.items():
        at = np.flatnonzero(lv == value)
        if not len(at):
            continue
        codes = _value_codes_of(prepared, key)
        li, ri = il[at], ir[at]
        same = at[codes[li] == codes[ri]]
        out[same] = prepared[key + "_freq"][il[same]]
    return out


def compare_columns(
    comparisons: Sequence[Comparison],
    prepared: Sequence[Prepared],
    idx_l: np.ndarray,
    idx_r: np.ndarray,
    *,
    chunk_size: int = 1_000_000,
    term_frequencies: bool = True,
) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """Per comparison, int8 levels and shared-value term frequencies (None for comparisons
    without term frequencies, or for all with ``term_frequencies=False``) of the index pairs.

    Levels are computed once per distinct pair of records' prepared values (candidate pairs
    repeat them: a firm's records meet the same namesakes, phones and cities), then spread.
    Comparisons run on two threads (the kernels and numpy release the GIL), chunk by chunk.
    """
    n = len(idx_l)
    levels = [np.empty(n, dtype=np.int8) for _ in comparisons]
    tf: list[np.ndarray | None] = [
        np.full(n, np.nan) if c.tf_levels and term_frequencies else None for c in comparisons
    ]

    def run(j: int, start: int, stop: int) -> None:
        comparison, prep = comparisons[j], prepared[j]
        il, ir = idx_l[start:stop], idx_r[start:stop]
        lv = _levels_distinct(comparison, prep, il, ir)
        levels[j][start:stop] = lv
        column = tf[j]
        if column is not None:
            column[start:stop] = pair_term_frequencies(comparison, prep, il, ir, lv)

    k = len(comparisons)
    with ThreadPoolExecutor(max_workers=2) as pool:
        for start in range(0, n, chunk_size):
            stop = min(start + chunk_size, n)
            list(pool.map(run, range(k), [start] * k, [stop] * k))
    return levels, tf


def compare_indexed(
    comparisons: Sequence[Comparison],
    prepared: Sequence[Prepared],
    idx_l: np.ndarray,
    idx_r: np.ndarray,
    *,
    chunk_size: int = 1_000_000,
    term_frequencies: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Levels (n, k) int8 and shared-value term frequencies (n, k) for index pairs (all nan
    with ``term_frequencies=False``)."""
    levels, tf = compare_columns(
        comparisons,
        prepared,
        idx_l,
        idx_r,
        chunk_size=chunk_size,
        term_frequencies=term_frequencies,
    )
    n, k = len(idx_l), len(comparisons)
    level_matrix = np.empty((n, k), dtype=np.int8)
    tf_matrix = np.full((n, k), np.nan)
    for j in range(k):
        level_matrix[:, j] = levels[j]
        column = tf[j]
        if column is not None:
            tf_matrix[:, j] = column
    return level_matrix, tf_matrix


def compare_pairs(
    features: pd.DataFrame,
    pairs: pd.DataFrame,
    comparisons: Sequence[Comparison],
    *,
    chunk_size: int = 1_000_000,
) -> pd.DataFrame:
    """The pairs plus ``<name>_level`` (int8) and ``<name>_tf`` (float) per comparison.

    Args:
        features: the features table (row positions match ``idx_l`` / ``idx_r``).
        pairs: candidate pairs with ``idx_l`` and ``idx_r``.
        comparisons: the comparisons to compute.
        chunk_size: pairs per chunk (bounds the memory of intermediate arrays).
    """
    levels, tf = compare_columns(
        comparisons,
        prepare_all(comparisons, features),
        pairs["idx_l"].to_numpy(dtype=np.int64),
        pairs["idx_r"].to_numpy(dtype=np.int64),
        chunk_size=chunk_size,
    )
    data: dict[Any, Any] = {c: pairs[c] for c in pairs}
    for j, comparison in enumerate(comparisons):
        data[f"{comparison.name}_level"] = pd.Series(levels[j], index=pairs.index)
    for j, comparison in enumerate(comparisons):
        column = tf[j]
        if column is not None:
            data[f"{comparison.name}_tf"] = pd.Series(column, index=pairs.index)
    return pd.DataFrame(data, index=pairs.index, copy=False)
