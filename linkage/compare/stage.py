"""The compare stage: every candidate pair's levels and term frequencies, and what the next run
reuses of them.

A pair's levels are a function of its two records' features, so given the previous run's
compare (:class:`PreviousComparisons`), a pair of two unchanged records that was compared then
keeps its levels, and only the other pairs' records are prepared. Term frequencies count values
over all records: a pair's is the frequency of its left record's value of the level's key, a
function of that record's own features, so each record's value code per key is kept
(:class:`TermCodes`): unchanged records keep their codes, new and changed ones are looked up
(unseen values get new codes), and the frequencies are counted afresh over every current
record's code. The result equals :func:`compare_pairs` on all records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkage.compare.base import Comparison
from linkage.compare.engine import (
    compare_columns,
    compare_pairs,
    pair_term_frequencies,
    prepare_all,
    term_keys,
    term_prepared,
    term_values,
)
from linkage.compare.values import Prepared, source_codes


@dataclass
class TermCodes:
    """Per term-frequency key of a run's comparisons (``(comparison name, key)``, in the
    comparisons' order): each record's value code (int64, -1 = missing; rows as the run's
    features) and the value of each code (strings; unused codes allowed)."""

    keys: list[tuple[str, str]]
    codes: list[np.ndarray]
    values: list[Any]  # pa.Array of strings, or an object ndarray of str

    @staticmethod
    def keys_of(comparisons: Sequence[Comparison]) -> list[tuple[str, str]]:
        """The (comparison name, key) of every term-frequency key of ``comparisons``."""
        return [(c.name, key) for c in comparisons for key in term_keys(c)]

    @classmethod
    def of(
        cls, comparisons: Sequence[Comparison], prepared: Sequence[Prepared]
    ) -> TermCodes | None:
        """From the comparisons' prepared arrays over every record; None when a comparison
        does not say its values."""
        codes, values = [], []
        for comparison, arrays in zip(comparisons, prepared, strict=True):
            for key in term_keys(comparison):
                found = term_values(arrays, key)
                if found is None:
                    return None
                codes.append(found[0])
                values.append(found[1])
        return cls(cls.keys_of(comparisons), codes, values)

    def compacted(self) -> TermCodes | None:
        """Only the values some record holds, renumbered in their order, as Arrow strings;
        None when a value is not a string."""
        codes, values = [], []
        for column, dictionary in zip(self.codes, self.values, strict=True):
            try:
                if isinstance(dictionary, pa.Array):
                    dictionary = dictionary.cast(pa.string())
                else:
                    dictionary = pa.array(dictionary, type=pa.string())
            except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
                return None
            held = column >= 0
            used = np.zeros(len(dictionary) + 1, dtype=bool)
            used[column[held]] = True
            used = used[:-1]
            renumber = np.append(np.cumsum(used) - 1, -1)
            codes.append(renumber[column].astype(np.int32))
            values.append(dictionary.filter(pa.array(used)))
        return TermCodes(self.keys, codes, values)


@dataclass
class PreviousComparisons:
    """What the previous run's compare left for this one.

    Attributes:
        levels: its pairs: ``idx_l``, ``idx_r`` (its rows) and ``<name>_level`` per comparison.
        level_columns: the level columns it computed, in order.
        terms: its term-frequency value codes (None: not kept; every record is prepared).
        unchanged: per record now, whether its raw values hash as in the previous run.
        old_rows: per record now, its row in the previous run (-1: new).
        records: how many records the previous run had.
    """

    levels: pd.DataFrame
    level_columns: list[str]
    terms: TermCodes | None
    unchanged: np.ndarray
    old_rows: np.ndarray
    records: int


@dataclass
class CompareState:
    """What the compare stage leaves besides the compared pairs.

    Attributes:
        prepared: every record's prepared arrays, when it prepared them all (the model fit
            reads them; drop them once fitted), else None.
        terms: this run's term-frequency value codes (for the next run), None when a
            comparison does not say its values.
        stats: ``prepared_records``, ``reused_pairs`` and ``scored_pairs``.
    """

    prepared: list[Prepared] | None
    terms: TermCodes | None
    stats: dict[str, int] = field(default_factory=dict)


def compare_stage(
    features: pd.DataFrame,
    pairs: pd.DataFrame,
    comparisons: Sequence[Comparison],
    *,
    previous: PreviousComparisons | None = None,
    chunk_size: int = 1_000_000,
) -> tuple[pd.DataFrame, CompareState]:
    """:func:`compare_pairs` of the candidate pairs and the stage's state; given ``previous``,
    pairs of two unchanged records keep their stored levels (the same result)."""
    if previous is not None:
        return _compare_reusing(features, pairs, list(comparisons), previous, chunk_size)
    prepared = prepare_all(comparisons, features)
    compared = compare_pairs(features, pairs, comparisons, prepared=prepared, chunk_size=chunk_size)
    stats = {"prepared_records": len(features), "reused_pairs": 0, "scored_pairs": len(pairs)}
    return compared, CompareState(prepared, TermCodes.of(comparisons, prepared), stats)


def _compare_reusing(
    features: pd.DataFrame,
    pairs: pd.DataFrame,
    comparisons: list[Comparison],
    previous: PreviousComparisons,
    chunk_size: int,
) -> tuple[pd.DataFrame, CompareState]:
    """Stored levels for pairs of two unchanged records compared last run; the other pairs
    compared after preparing only their records, and the new and changed ones (term
    frequencies from the stored codes of the unchanged records, :func:`_codes_now`). Without
    stored codes every record is prepared."""
    n = len(features)
    unchanged, old_rows = previous.unchanged, previous.old_rows
    if n != len(unchanged):
        raise ValueError("the features are not the records the previous run was matched with")
    il = pairs["idx_l"].to_numpy(dtype=np.int64)
    ir = pairs["idx_r"].to_numpy(dtype=np.int64)
    stored = previous.levels
    level_columns = [f"{c.name}_level" for c in comparisons]
    if level_columns != previous.level_columns:
        raise RuntimeError("the pinned model's comparisons differ from the stored levels")
    # previous row -> row now (-1: removed); then the stored pairs' rows now
    known = np.flatnonzero(old_rows >= 0)
    now = np.full(previous.records, -1, dtype=np.int64)
    now[old_rows[known]] = known
    sl = now[stored["idx_l"].to_numpy(dtype=np.int64)]
    sr = now[stored["idx_r"].to_numpy(dtype=np.int64)]
    alive = (sl >= 0) & (sr >= 0)
    alive[alive] &= unchanged[sl[alive]] & unchanged[sr[alive]]
    stored_keys = sl[alive] * n + sr[alive]
    stored_rows = np.flatnonzero(alive)
    keys = il * n + ir
    if len(stored_keys) and bool((stored_keys[1:] > stored_keys[:-1]).all()):
        # sorted (candidate pairs are, and unchanged records usually keep their order)
        pos = np.searchsorted(stored_keys, keys)
        pos[pos == len(stored_keys)] = 0
        lookup = np.where(stored_keys[pos] == keys, pos, -1)
    else:
        lookup = pd.Index(stored_keys).get_indexer(keys)
    reuse = lookup >= 0
    todo = np.flatnonzero(~reuse)
    done = np.flatnonzero(reuse)
    old_terms = previous.terms
    if old_terms is not None and old_terms.keys != TermCodes.keys_of(comparisons):
        old_terms = None
    terms = None
    if old_terms is not None:
        # only the records that are compared, or whose value codes are not stored
        fresh = np.flatnonzero(~unchanged)
        rows = np.unique(np.concatenate([il[todo], ir[todo], fresh]))
        prepared = [c.prepare(features.take(rows)) for c in comparisons]
        terms = _codes_now(old_terms, comparisons, prepared, rows, fresh, unchanged, old_rows)
    everyone = terms is None
    if everyone:  # every record prepared: its frequencies are the term frequencies
        prepared = prepare_all(comparisons, features)
        rows = np.arange(n)
    at = np.full(n, -1, dtype=np.int64)
    at[rows] = np.arange(len(rows))
    fresh_levels, _ = compare_columns(
        comparisons,
        prepared,
        at[il[todo]],
        at[ir[todo]],
        chunk_size=chunk_size,
        term_frequencies=False,
    )
    rows_stored = stored_rows[lookup[done]]
    levels = []
    for j, column in enumerate(level_columns):
        lv = np.empty(len(pairs), dtype=np.int8)
        lv[todo] = fresh_levels[j]
        lv[done] = stored[column].to_numpy(dtype=np.int8)[rows_stored]
        levels.append(lv)
    del stored
    by_key = {} if terms is None else dict(zip(terms.keys, terms.codes, strict=True))
    sources = None if terms is None else source_codes(features)
    tf = []
    for j, comparison in enumerate(comparisons):
        if not comparison.tf_levels:
            continue
        counted = prepared[j]
        if terms is not None:
            codes = {key: by_key[(comparison.name, key)] for key in term_keys(comparison)}
            counted = term_prepared(codes, sources)
        tf.append(pair_term_frequencies(comparison, counted, il, ir, levels[j]))
    data: dict[Any, Any] = {c: pairs[c] for c in pairs}
    for j, comparison in enumerate(comparisons):
        data[f"{comparison.name}_level"] = pd.Series(levels[j], index=pairs.index)
    for comparison, values in zip([c for c in comparisons if c.tf_levels], tf, strict=True):
        data[f"{comparison.name}_tf"] = pd.Series(values, index=pairs.index)
    compared = pd.DataFrame(data, index=pairs.index, copy=False)
    state = CompareState(
        prepared if everyone else None,
        TermCodes.of(comparisons, prepared) if everyone else terms,
        {"prepared_records": len(rows), "reused_pairs": len(done), "scored_pairs": len(todo)},
    )
    return compared, state


def _codes_now(
    old: TermCodes,
    comparisons: list[Comparison],
    prepared: list[Prepared],
    rows: np.ndarray,
    fresh: np.ndarray,
    unchanged: np.ndarray,
    old_rows: np.ndarray,
) -> TermCodes | None:
    """This run's value codes per term-frequency key: the stored codes of unchanged records;
    for the new and changed records (``fresh``, among the prepared ``rows``), the codes of
    their values in the stored values, new codes for unseen values."""
    kept = np.flatnonzero(unchanged)
    old_of_kept = old_rows[kept]
    at_fresh = np.searchsorted(rows, fresh)
    codes_out, values_out = [], []
    i = 0
    for comparison, arrays in zip(comparisons, prepared, strict=True):
        for key in term_keys(comparison):
            found = term_values(arrays, key)
            if found is None:
                return None
            sub_codes, sub_values = found
            dictionary = old.values[i]
            codes = np.full(len(unchanged), -1, dtype=np.int64)
            codes[kept] = old.codes[i][old_of_kept]
            try:
                probe = pa.array(sub_values, type=dictionary.type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
                return None
            # the (few) values looked up in the (many) stored ones: hash the few only
            # (the stored values are distinct)
            where = pc.index_in(dictionary, value_set=probe).fill_null(-1)
            where_np = where.to_numpy(zero_copy_only=False).astype(np.int64)
            hit = np.flatnonzero(where_np >= 0)
            mapped = np.full(len(probe), -1, dtype=np.int64)
            mapped[where_np[hit]] = hit
            unseen = np.flatnonzero(mapped < 0)
            if len(unseen):
                labels, uniques = pd.factorize(sub_values[unseen])
                mapped[unseen] = len(dictionary) + labels
                added = pa.array(np.asarray(uniques, dtype=object), type=dictionary.type)
                dictionary = pa.concat_arrays([dictionary, added])
            codes[fresh] = np.append(mapped, -1)[sub_codes[at_fresh]]
            codes_out.append(codes)
            values_out.append(dictionary)
            i += 1
    return TermCodes(old.keys, codes_out, values_out)
