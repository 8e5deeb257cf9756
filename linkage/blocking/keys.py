"""Blocking keys as integer codes built over distinct values: per rule, ``(row, key code)``
rows and how to spell a code."""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from linkage.blocking.rules import BlockingRule


def _clean_distinct(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Factorise a column: per record the code of its cleaned text (-1 = missing/blank) and
    the distinct cleaned texts (equal texts, one code).

    Cleaning (case-folding, single spaces) runs once per distinct value, not per record; a
    value that is already clean is kept as the features' own string, not a copy.
    """
    raw, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    cleaned = [_clean_text(u) for u in np.asarray(uniques, dtype=object)]
    canonical, texts = pd.factorize(np.array(cleaned, dtype=object))
    texts = np.asarray(texts, dtype=object)
    canonical = np.where(texts[canonical] == "", -1, canonical) if len(texts) else canonical
    return np.append(canonical, -1).astype(np.int64)[raw], texts


def _clean_text(value: object) -> object:
    """``value`` case-folded with single spaces; ``value`` itself when that changes nothing."""
    text = " ".join(str(value).casefold().split())
    return value if text == value else text


@dataclass
class RuleKeys:
    """A rule's keys: ``(idx, code)`` rows (codes dense from 0; for a sorted neighbourhood,
    in the order of the key strings) and how to spell a key code as its string."""

    idx: np.ndarray
    codes: np.ndarray
    spell: Any  # Callable[[np.ndarray], np.ndarray]: key codes -> key strings

    @property
    def count(self) -> int:
        return int(self.codes.max(initial=-1)) + 1


def rule_keys(
    features: pd.DataFrame,
    rule: BlockingRule,
    cache: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> RuleKeys:
    """The keys of a rule, as integer codes built over distinct values (no per-record
    strings). ``cache`` keeps each column's cleaned values across the rules of one run."""
    cache = {} if cache is None else cache

    def clean(column: str) -> tuple[np.ndarray, np.ndarray]:
        if column not in cache:
            cache[column] = _clean_distinct(features[column])
        return cache[column]

    n = len(features)
    idx = np.arange(n, dtype=np.int64)
    none = np.zeros(0, dtype=np.int64)
    if any(c not in features for c in rule.columns):
        return RuleKeys(none, none, lambda codes: np.zeros(len(codes), dtype=object))
    excluded = np.zeros(n, dtype=bool)
    for column in rule.without:
        if column in features:
            excluded |= clean(column)[0] >= 0
    if rule.kind == "tokens":
        codes, texts = clean(rule.columns[0])
        # each text's distinct tokens, coded in order of first appearance straight away (a
        # token string is kept once, not once per text)
        table: dict[str, int] = {}
        sizes, flat = array("q"), array("q")
        for text in texts.tolist():
            tokens = dict.fromkeys(t for t in str(text).split() if len(t) >= rule.min_length)
            sizes.append(len(tokens))
            flat.extend([table.setdefault(t, len(table)) for t in tokens])
        counts = np.append(np.frombuffer(sizes, dtype=np.int64), 0)
        token_codes = np.frombuffer(flat, dtype=np.int64)
        names = np.array(list(table), dtype=object)
        starts = np.append(np.cumsum(counts[:-1]) - counts[:-1], 0)
        repeat = np.where(excluded, 0, counts[codes])  # code -1 reads the trailing 0
        total = int(repeat.sum())
        offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(repeat) - repeat, repeat)
        positions = np.repeat(starts[codes], repeat) + offsets
        return RuleKeys(
            np.repeat(idx, repeat), token_codes[positions].astype(np.int64), lambda k: names[k]
        )
    combined = np.zeros(n, dtype=np.int64)
    lengths = np.full(n, -1, dtype=np.int64)  # the separators between the parts
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    for position, column in enumerate(rule.columns):
        codes, texts = clean(column)
        if rule.prefix is not None and position == len(rule.columns) - 1:
            sliced = np.array([t[: rule.prefix] for t in texts.tolist()], dtype=object)
            canonical, texts = pd.factorize(sliced)
            texts = np.asarray(texts, dtype=object)
            codes = np.where(codes >= 0, np.append(canonical, -1)[codes], -1)
        parts.append((codes, texts))
        text_lengths = np.array([len(t) for t in texts.tolist()] + [0], dtype=np.int64)
        lengths += text_lengths[codes] + 1
        combined, _ = pd.factorize(combined * (len(texts) + 1) + (codes + 1))
        combined = combined.astype(np.int64)
    live = lengths >= rule.min_length
    for codes, _ in parts:
        live &= codes >= 0
    live &= ~excluded
    codes, _ = pd.factorize(combined[live])
    codes = codes.astype(np.int64)
    rows = idx[live]
    first = np.empty(int(codes.max(initial=-1)) + 1, dtype=np.int64)
    first[codes[::-1]] = rows[::-1]  # a record of each key (all spell it alike)

    def spell(keys: np.ndarray) -> np.ndarray:
        records = first[np.asarray(keys, dtype=np.int64)]
        pieces = [texts[codes_of[records]] for codes_of, texts in parts]
        if len(pieces) == 1:
            return pieces[0]
        return np.array(["\x1f".join(p) for p in zip(*pieces, strict=True)], dtype=object)

    if rule.kind == "sorted_neighbourhood":  # codes in the order of the key strings
        rank = np.empty(len(first), dtype=np.int64)
        rank[np.argsort(spell(np.arange(len(first))), kind="stable")] = np.arange(len(first))
        codes = rank[codes]
        order = np.argsort(rank)
        first = first[order]
    return RuleKeys(rows, codes, spell)


def reported_keys(keys: RuleKeys, sizes: np.ndarray, chosen: np.ndarray) -> list[tuple[str, int]]:
    """``(key, size)`` of the chosen key codes, largest first, ties by key."""
    if not len(chosen):
        return []
    names = keys.spell(chosen)
    return sorted(
        ((str(name), int(size)) for name, size in zip(names, sizes[chosen], strict=True)),
        key=lambda item: (-item[1], item[0]),
    )


def unique_groups(features: pd.DataFrame, unique_sources: set[str]) -> np.ndarray:
    """Per record its "unique group": its source's code where the source is unique (no pair
    inside it), else a group of its own (-1 - row)."""
    source_codes, source_names = pd.factorize(features["source"].astype(object))
    restricted = np.isin(np.asarray(source_names, dtype=object), sorted(unique_sources))
    rows = np.arange(len(features))
    return np.where(restricted[source_codes], source_codes, -1 - rows).astype(np.int64)
