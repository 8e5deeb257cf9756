"""The compare stage: levels and term frequencies of candidate pairs, computed once per distinct
pair of records' prepared values, on two threads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from linkage.compare.base import Comparison
from linkage.compare.values import NULL, Prepared, frequencies, gather


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


def prepare_all(comparisons: Sequence[Comparison], features: pd.DataFrame) -> list[Prepared]:
    """Prepared per-record arrays for every comparison: what :func:`compare_pairs` and the
    model fit read (prepare once, pass to both)."""
    return [c.prepare(features) for c in comparisons]


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
    void: bool = True,
) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """Per comparison, int8 levels and shared-value term frequencies (None for comparisons
    without term frequencies, or for all with ``term_frequencies=False``) of the index pairs.
    With ``void`` (the default), each comparison's ``void_when`` applies.

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
    if void:
        _void(comparisons, levels, tf)
    return levels, tf


def _void(
    comparisons: Sequence[Comparison], levels: list[np.ndarray], tf: list[np.ndarray | None]
) -> None:
    """Null each comparison's agreement (its levels above "else", and their term
    frequencies) where the comparison its ``void_when`` names is at the level it names;
    nothing when that one is not compared. A disagreement stays evidence."""
    names = {c.name: j for j, c in enumerate(comparisons)}
    for j, comparison in enumerate(comparisons):
        if comparison.void_when is None or comparison.void_when[0] not in names:
            continue
        other, level = comparison.void_when
        void = (levels[names[other]] == level) & (levels[j] > 0)
        levels[j][void] = NULL
        column = tf[j]
        if column is not None:
            column[void] = np.nan


def compare_indexed(
    comparisons: Sequence[Comparison],
    prepared: Sequence[Prepared],
    idx_l: np.ndarray,
    idx_r: np.ndarray,
    *,
    chunk_size: int = 1_000_000,
    term_frequencies: bool = True,
    void: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Levels (n, k) int8 and shared-value term frequencies (n, k) for index pairs (all nan
    with ``term_frequencies=False``; ``void`` as in :func:`compare_columns`)."""
    levels, tf = compare_columns(
        comparisons,
        prepared,
        idx_l,
        idx_r,
        chunk_size=chunk_size,
        term_frequencies=term_frequencies,
        void=void,
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
    prepared: Sequence[Prepared] | None = None,
    chunk_size: int = 1_000_000,
) -> pd.DataFrame:
    """The pairs plus ``<name>_level`` (int8) and ``<name>_tf`` (float) per comparison.

    Args:
        features: the features table (row positions match ``idx_l`` / ``idx_r``).
        pairs: candidate pairs with ``idx_l`` and ``idx_r``.
        comparisons: the comparisons to compute.
        prepared: ``prepare_all(comparisons, features)``, when the caller holds it already.
        chunk_size: pairs per chunk (bounds the memory of intermediate arrays).
    """
    levels, tf = compare_columns(
        comparisons,
        prepare_all(comparisons, features) if prepared is None else prepared,
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
