"""The comparison base class: a named comparison of feature columns into ordered levels."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from linkage.compare.values import Distinct, Level, Prepared, frequencies, gather, source_codes


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
    void_when: tuple[str, int] | None = None
    """``(name, level)`` of another comparison of the run: where that one is at that level,
    an agreement of this one says nothing (null; a disagreement stays; see
    :class:`~linkage.compare.library.PhoneComparison`)."""
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

        class _Feature(BaseCompareFeature):
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


class SingleColumn(Comparison):
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
