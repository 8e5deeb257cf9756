"""Exact relations between the word sets of two records (industry words, address numbers):
shared words, and one set inside the other."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from linkage.compare.values import Distinct, Prepared


def word_columns(name: str, column: Distinct) -> Prepared:
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
    """Exact relations of the word sets of a column (:func:`word_columns` ``name``) per pair.

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
