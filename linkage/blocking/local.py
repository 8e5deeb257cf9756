"""Localised blocking for incremental runs: the candidate pairs of a full run, recomputed only
where new, changed or removed records can change them.

:func:`linkage.blocking.candidate_pairs` gives every pair the first rule that finds it. Rule
``i`` finds a pair when the two records share a key of a block that is kept (not over the
rule's size cap), or, for a sorted neighbourhood, when they are less than ``window`` positions
apart in (key, uid) order; pairs inside one ``unique`` source are never produced.

A key is *touched* when a new or changed record holds it now, or a changed or removed record
held it in the previous run. A block whose key is untouched has exactly the members it had, so
the same size and the same cap decision. Hence a pair of two unchanged records that shares no
touched key in any rule, and whose sorted-neighbourhood membership did not change, is found by
exactly the rules that found it before: it keeps its previous first rule (or stays no pair).
Every other ("dirty") pair that is a candidate now is

- a pair inside a touched, kept block of some rule, or
- a sorted-neighbourhood pair with a new or changed record, or of two unchanged records that
  were neighbours before and are not now or the other way round (unchanged records keep their
  order, so only those fewer than ``window`` apart around a new, changed or removed record), or
- a previous candidate pair (a dirty pair found through an untouched block was found through
  it before, since the block and its members are unchanged),

and for those the first rule is decided afresh, rule by rule. The result equals
``candidate_pairs`` on all records (``tests/unit/blocking/test_local_blocking.py`` checks it per
rule kind, with caps crossed both ways).

Block sizes need every record's keys. :func:`cached_candidate_pairs` takes them from the
previous run's :class:`KeyState` (per rule int32 ``(row, key code)`` tables and the key
strings in code order; ``candidate_pairs(..., keep_keys=True)`` hands it back, and
:func:`save_key_state` / :func:`load_key_state` write and read it): unchanged records keep
their codes, only the new and changed records' keys are built (``blocking.rule_keys``) and
looked up (by a 64-bit hash, checked against the text; by the text itself for a sorted
neighbourhood, whose codes follow the keys' order), unseen keys inserted. The rest is numpy
over int arrays (its cost against ``candidate_pairs``: ``benchmarks/results/incremental.md``).
The state it returns is the one
``candidate_pairs(..., keep_keys=True)`` would make (keys no record holds are dropped; codes
in hash or key order).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from linkage.blocking.keys import rule_keys, unique_groups
from linkage.blocking.pairs import (
    BlockingReport,
    block_cap,
    few_names,
    largest_blocks,
    name_codes,
    pairs_table,
    reduced_block_pairs,
    report_blocks,
)
from linkage.blocking.rules import BlockingRule
from linkage.blocking.state import (
    KeyState,
    carry_keys,
    insert_at,
    take_keys,
)

_NO_PAIRS = np.zeros(0, dtype=np.int64)


def _unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an int64 array (a sort; ``np.unique`` hashes, slower here)."""
    values = np.sort(values)
    return values[np.append(True, values[1:] != values[:-1])] if len(values) else values


def _isin(values: np.ndarray, members: np.ndarray) -> np.ndarray:
    """``np.isin`` for int64 arrays, by binary search in the sorted distinct ``members``."""
    if not len(members) or not len(values):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(members, values), len(members) - 1)
    return members[at] == values


def _share(
    left: np.ndarray, right: np.ndarray, rows: np.ndarray, keys: np.ndarray, width: int
) -> np.ndarray:
    """Per pair (left[i], right[i]): do the two rows hold a common key of the long table
    ``(rows, keys)``? ``rows`` ascending, a row's keys distinct; ``width`` bounds the codes."""
    out = np.zeros(len(left), dtype=bool)
    if not len(left) or not len(rows):
        return out
    size = int(max(left.max(), right.max(), rows[-1])) + 1
    counts = np.bincount(rows, minlength=size)
    starts = np.cumsum(counts) - counts
    l_count, r_count = counts[left], counts[right]
    both = np.flatnonzero((l_count > 0) & (r_count > 0))
    if not len(both):
        return out
    l_start, r_start = starts[left[both]], starts[right[both]]
    l_count, r_count = l_count[both], r_count[both]
    if bool((l_count == 1).all()) and bool((r_count == 1).all()):  # one key a row (exact)
        out[both] = keys[l_start] == keys[r_start]
        return out
    # every (pair, key) of both rows: a key held by both appears twice
    pair = np.arange(len(both), dtype=np.int64)
    codes = np.concatenate(
        [
            np.repeat(pair, l_count) * width + keys[_ranges(l_start, l_count)],
            np.repeat(pair, r_count) * width + keys[_ranges(r_start, r_count)],
        ]
    )
    codes.sort()
    twice = codes[1:][codes[1:] == codes[:-1]]
    out[both[twice // width]] = True
    return out


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])``."""
    total = int(counts.sum())
    offset = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + offset


def _pairs_among(
    pl: np.ndarray,
    pr: np.ndarray,
    rows: np.ndarray,
    ids: np.ndarray | None,
    n: int,
    pl_sorted: bool,
) -> np.ndarray:
    """Indices of the pairs ``(pl, pr)`` whose two rows are both among ``rows`` (and, with
    ``ids``, whose id ``pl * n + pr`` is among the sorted ``ids``). With ``pl`` sorted only the
    pairs of ``rows`` are looked at, else every pair."""
    if not len(rows) or not len(pl):
        return np.zeros(0, dtype=np.int64)
    among = np.zeros(n, dtype=bool)
    among[rows] = True
    if pl_sorted:
        lefts = np.flatnonzero(among)
        start = np.searchsorted(pl, lefts, "left")
        count = np.searchsorted(pl, lefts, "right") - start
        maybe = _ranges(start, count)
    else:
        maybe = np.flatnonzero(among[pl])
    maybe = maybe[among[pr[maybe]]]
    if ids is not None:
        maybe = maybe[_isin(pl[maybe] * n + pr[maybe], ids)]
    return maybe


def _block_pairs(rows: np.ndarray, keys: np.ndarray, n: int) -> np.ndarray:
    """Pair ids ``l * n + r`` (l < r) of every two rows sharing a key of ``(rows, keys)``."""
    if not len(rows):
        return np.zeros(0, dtype=np.int64)
    frame = pd.DataFrame({"row": rows, "key": keys})
    joined = frame.merge(frame, on="key", suffixes=("_l", "_r"))
    left = joined["row_l"].to_numpy(dtype=np.int64)
    right = joined["row_r"].to_numpy(dtype=np.int64)
    keep = left < right
    return _unique(left[keep] * n + right[keep])


def _touching_pairs(rows: np.ndarray, keys: np.ndarray, mark: np.ndarray, n: int) -> np.ndarray:
    """Pair ids ``l * n + r`` (l < r, sorted, unique) of two rows sharing a key of
    ``(rows, keys)`` of which at least one is marked."""
    if not mark.any():
        return np.zeros(0, dtype=np.int64)
    marked = pd.DataFrame({"row": rows[mark], "key": keys[mark]})
    joined = marked.merge(pd.DataFrame({"other": rows, "key": keys}), on="key")
    a = joined["row"].to_numpy(dtype=np.int64)
    b = joined["other"].to_numpy(dtype=np.int64)
    keep = a != b
    a, b = a[keep], b[keep]
    return _unique(np.minimum(a, b) * n + np.maximum(a, b))


def _sn_changes(
    ranked: np.ndarray,
    old_ranked: np.ndarray,
    window: int,
    touched: np.ndarray,
    unchanged_old: np.ndarray,
    n: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What a sorted neighbourhood changed, from this run's and the previous run's order
    (rows of now and of the previous run): each row's position now (-1: no key), the pair ids
    (sorted, unique) of this run's neighbours with a new or changed record, and those of the
    pairs of two unchanged records that are neighbours now and were not, or the other way.

    The unchanged records keep their keys and rows map in uid order, so they come in the same
    order in both runs; two of them are neighbours when fewer than ``window`` positions apart,
    so a pair whose status changed is fewer than ``window`` unchanged records apart, with a new,
    changed or removed record between them: only the pairs around those are looked at.
    """
    w = max(int(window), 1)
    position = np.full(n, -1, dtype=np.int64)
    position[ranked] = np.arange(len(ranked))
    # pairs with a new or changed record: its neighbours within the window
    fresh = np.flatnonzero(touched[ranked])
    parts = [np.zeros(0, dtype=np.int64)]
    for offset in range(1, w):
        for at, other in ((fresh, fresh + offset), (fresh - offset, fresh)):
            ok = (at >= 0) & (other < len(ranked))
            a, b = ranked[at[ok]], ranked[other[ok]]
            parts.append(np.minimum(a, b) * n + np.maximum(a, b))
    touching = _unique(np.concatenate(parts))
    # the unchanged records in their common order, their positions now and before
    kept_now = ~touched[ranked]
    kept_before = unchanged_old[old_ranked]
    kept = ranked[kept_now]
    at_now, at_before = np.flatnonzero(kept_now), np.flatnonzero(kept_before)
    # gap j lies between kept[j] and kept[j + 1]; a gap holding another record is open
    before_now = np.cumsum(kept_now) - kept_now  # kept records before each position
    before_then = np.cumsum(kept_before) - kept_before
    gaps = np.concatenate([before_now[~kept_now], before_then[~kept_before]]) - 1
    gaps = _unique(gaps[(gaps >= 0) & (gaps < len(kept) - 1)])
    lo, hi = [], []
    for back in range(w - 1):  # pairs (j - back, j + ahead) across an open gap j, < w apart
        for ahead in range(1, w - back):
            first, last = gaps - back, gaps + ahead
            ok = (first >= 0) & (last < len(kept))
            lo.append(first[ok])
            hi.append(last[ok])
    if not lo:
        return position, touching, np.zeros(0, dtype=np.int64)
    first, last = np.concatenate(lo), np.concatenate(hi)
    now_near = at_now[last] - at_now[first] < w
    flipped = now_near != (at_before[last] - at_before[first] < w)
    a, b = kept[first[flipped]], kept[last[flipped]]
    changed = _unique(np.minimum(a, b) * n + np.maximum(a, b))
    return position, touching, changed


@dataclass
class _RuleInput:
    """What the local pass needs of one rule: this run's keys (``ridx`` ascending, ``codes``
    below ``count``, ``spell``: codes -> key strings), the codes of the old versions of the
    changed and removed records (``gone``, same code space) and, for a sorted neighbourhood,
    the rows in key order: ``ranked`` now, ``old_ranked`` in the previous run (its rows)."""

    ridx: np.ndarray
    codes: np.ndarray
    count: int
    spell: Callable[[np.ndarray], np.ndarray]
    gone: np.ndarray
    ranked: np.ndarray | None = None
    old_ranked: np.ndarray | None = None


def _local_pairs(
    features: pd.DataFrame,
    rules: Sequence[BlockingRule],
    inputs: Sequence[_RuleInput],
    *,
    unique_sources: set[str],
    max_block_size: int,
    touched: np.ndarray,
    now: np.ndarray,
    old_alive_unchanged: np.ndarray,
    old_pairs: pd.DataFrame,
) -> tuple[pd.DataFrame, BlockingReport]:
    """The local pass of :func:`cached_candidate_pairs` over every rule's keys; ``now`` maps
    the previous run's rows to this run's (-1: removed), ``old_alive_unchanged`` marks the
    previous run's rows that are still here, unchanged."""
    n = len(features)
    report = BlockingReport()
    group = unique_groups(features, unique_sources)

    # previous pairs, in rows of now; those with a removed or changed record are dropped
    # (their records' pairs are all dirty and recomputed)
    ol = old_pairs["idx_l"].to_numpy(dtype=np.int64)
    orr = old_pairs["idx_r"].to_numpy(dtype=np.int64)
    orule = old_pairs["rule"].to_numpy(dtype=np.int64)
    keep_old = old_alive_unchanged[ol] & old_alive_unchanged[orr]
    pl, pr, prule = now[ol[keep_old]], now[orr[keep_old]], orule[keep_old]
    del ol, orr, orule, keep_old
    prev_dirty = np.zeros(len(pl), dtype=bool)

    # per non-SN rule: its kept keys' long table, and the sorted ids of its reduced blocks' pairs
    kept_long: list[tuple[np.ndarray, np.ndarray, int, np.ndarray] | None] = []
    names = name_codes(features)
    sn_positions: dict[int, np.ndarray] = {}
    pl_sorted = len(pl) < 2 or bool((pl[1:] >= pl[:-1]).all())
    candidates: list[np.ndarray] = []
    largest: list[dict[str, Any]] = []
    for i, (rule, keys) in enumerate(zip(rules, inputs, strict=True)):
        ridx, key_codes, gone_codes, count = keys.ridx, keys.codes, keys.gone, keys.count
        width = max(count, 1)
        if rule.kind == "sorted_neighbourhood":
            assert keys.ranked is not None and keys.old_ranked is not None
            kept_long.append(None)
            position, touching, changed = _sn_changes(
                keys.ranked, keys.old_ranked, rule.window, touched, old_alive_unchanged, n
            )
            sn_positions[i] = position
            # previous pairs whose neighbourhood changed are dirty
            cl, cr = changed // max(n, 1), changed % max(n, 1)
            rows_changed = np.concatenate([cl, cr])
            prev_dirty[_pairs_among(pl, pr, rows_changed, changed, n, pl_sorted)] = True
            # neighbours of touched records, and those whose neighbourhood changed
            candidates.append(touching)
            near = np.abs(position[cl] - position[cr]) < max(int(rule.window), 1)
            candidates.append(changed[near & (position[cl] >= 0) & (position[cr] >= 0)])
            continue
        sizes = np.bincount(key_codes, minlength=count)
        cap = block_cap(rule, max_block_size)
        keep_key = np.ones(count, dtype=bool) if cap is None else sizes <= cap
        reduced = np.zeros(count, dtype=bool)
        if cap is not None and rule.kind == "exact" and names is not None:
            reduced = few_names(ridx, key_codes, ~keep_key, names, cap)
        largest += report_blocks(report, rule, keys, sizes, cap, reduced)
        # touched keys: held now by a new or changed record, or before by a changed or
        # removed one; a touched block whose cap decision flipped changes pairs of
        # unchanged records, the others only pairs of the touched records
        now_touched = touched[ridx]
        held_now = np.bincount(key_codes[now_touched], minlength=count)
        held_before = np.bincount(gone_codes, minlength=count)
        is_touched = (held_now > 0) | (held_before > 0)
        flipped = np.zeros(count, dtype=bool)
        if cap is not None:
            kept_before = sizes - held_now + held_before <= cap
            flipped = is_touched & (kept_before != keep_key)
            if rule.kind == "exact" and names is not None:
                # which records stand for a reduced block's names can change with any record
                # of the block: its pairs are decided afresh, over the cap now or before
                flipped |= ~keep_key | ~kept_before
        # previous pairs sharing a flipped key are dirty
        hold = flipped[key_codes]
        if hold.any():
            f_rows, f_keys = ridx[hold], key_codes[hold]
            maybe = _pairs_among(pl, pr, f_rows, None, n, pl_sorted)
            maybe = maybe[~prev_dirty[maybe]]
            if len(maybe):
                prev_dirty[maybe[_share(pl[maybe], pr[maybe], f_rows, f_keys, width)]] = True
        # pairs of kept touched blocks: all of them in flipped blocks, else those with a
        # new or changed record
        kept = keep_key[key_codes]
        whole = kept & hold
        candidates.append(_block_pairs(ridx[whole], key_codes[whole], n))
        members = kept & is_touched[key_codes] & ~hold
        candidates.append(
            _touching_pairs(ridx[members], key_codes[members], touched[ridx[members]], n)
        )
        assert names is not None or not reduced.any()
        found_reduced = [
            left * n + right
            for left, right in reduced_block_pairs(ridx, key_codes, reduced, names)  # type: ignore[arg-type]
        ]
        reduced_ids = _unique(np.concatenate(found_reduced)) if found_reduced else _NO_PAIRS
        candidates.append(reduced_ids)
        kept_long.append((ridx[kept], key_codes[kept], width, reduced_ids))
    report.largest_blocks = largest_blocks(largest)

    candidates.append(pl[prev_dirty] * n + pr[prev_dirty])
    dirty = _unique(np.concatenate(candidates)) if candidates else np.zeros(0, np.int64)
    dl, dr = dirty // max(n, 1), dirty % max(n, 1)
    ok = group[dl] != group[dr]
    dl, dr = dl[ok], dr[ok]
    first = np.full(len(dl), -1, dtype=np.int64)
    for i in range(len(rules)):
        open_ = np.flatnonzero(first < 0)
        if not len(open_):
            break
        long = kept_long[i]
        if long is None:
            position = sn_positions[i]
            a, b = position[dl[open_]], position[dr[open_]]
            found = (a >= 0) & (b >= 0) & (np.abs(a - b) < max(int(rules[i].window), 1))
        else:
            rows, keys_of, width, reduced_ids = long
            found = _share(dl[open_], dr[open_], rows, keys_of, width)
            found |= _isin(dl[open_] * n + dr[open_], reduced_ids)
        first[open_[found]] = i
    hit = first >= 0
    clean = ~prev_dirty
    left, right, rule_of = _merged(
        pl[clean], pr[clean], prule[clean], dl[hit], dr[hit], first[hit], n
    )
    return pairs_table(features, rules, left, right, rule_of, report), report


def _merged(
    pl: np.ndarray,
    pr: np.ndarray,
    prule: np.ndarray,
    dl: np.ndarray,
    dr: np.ndarray,
    drule: np.ndarray,
    n: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The kept previous pairs and the decided dirty pairs (disjoint), sorted by left, right.
    The previous pairs come sorted (a run's pairs are, and rows map in uid order): the dirty
    ones, sorted, are inserted among them; otherwise everything is sorted."""
    kept = pl * n + pr
    if len(kept) > 1 and not bool((kept[1:] > kept[:-1]).all()):
        left = np.concatenate([pl, dl])
        right = np.concatenate([pr, dr])
        rule_of = np.concatenate([prule, drule])
        order = np.lexsort((right, left))
        return left[order], right[order], rule_of[order]
    codes = dl * n + dr
    order = np.argsort(codes, kind="stable")
    at = np.searchsorted(kept, codes[order])
    return (
        insert_at(pl, at, dl[order]),
        insert_at(pr, at, dr[order]),
        insert_at(prule, at, drule[order]),
    )


def cached_candidate_pairs(
    features: pd.DataFrame,
    rules: Sequence[BlockingRule],
    *,
    unique_sources: set[str],
    max_block_size: int,
    touched: np.ndarray,
    old_rows: np.ndarray,
    old_pairs: pd.DataFrame,
    state: KeyState,
) -> tuple[pd.DataFrame, BlockingReport, KeyState] | None:
    """``candidate_pairs(features, rules, ...)`` from the previous run's pairs and keys:
    only the new and changed records' keys are built; also this run's key state (to save for
    the next run). None when ``state`` does not fit (other rules or records, a hash collision):
    block in full then.

    Args:
        features: this run's features, sorted by uid.
        rules, unique_sources, max_block_size: as the previous run blocked with (the caller
            checks they are the same; ``state`` records the rules).
        touched: bool per features row: the record is new or changed.
        old_rows: per features row, its row in the previous run's features (-1: new).
        old_pairs: the previous run's candidate pairs: ``idx_l``, ``idx_r`` (rows of the
            previous run's features) and ``rule`` (index into ``rules``).
        state: the previous run's keys (:func:`load_key_state`, or ``report.key_state`` of
            ``candidate_pairs(..., keep_keys=True)`` or of this function).
    """
    n = len(features)
    m = state.records
    if (
        state.rules != [r.to_dict() for r in rules]
        or len(state.per_rule) != len(rules)
        or len(touched) != n
        or len(old_rows) != n
        or int(old_rows.max(initial=-1)) >= m
    ):
        return None
    old_rows = np.asarray(old_rows, dtype=np.int64)
    known = old_rows >= 0
    now = np.full(m, -1, dtype=np.int64)
    now[old_rows[known]] = np.flatnonzero(known)
    if int(np.count_nonzero(now >= 0)) != int(known.sum()):
        return None  # two rows from one previous row
    unchanged_old = np.zeros(m, dtype=bool)
    unchanged_old[old_rows[known & ~touched]] = True
    alive = now[now >= 0]
    if len(alive) > 1 and not bool((alive[1:] > alive[:-1]).all()):
        return None  # rows do not map in uid order
    fresh_rows = np.flatnonzero(touched)
    subset = features.iloc[fresh_rows]
    cleaned: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    inputs, states = [], []
    for rule, old in zip(rules, state.per_rule, strict=True):
        fresh = rule_keys(subset, rule, cleaned)
        updated = carry_keys(old, rule, fresh, fresh_rows, now, unchanged_old, n)
        if updated is None:
            return None
        ranked = old_ranked = None
        if rule.kind == "sorted_neighbourhood":
            ranked, old_ranked = updated.ridx, old.rows.astype(np.int64)
        keys = updated.keys

        def spell(codes: np.ndarray, keys: pa.ChunkedArray = keys) -> np.ndarray:
            return take_keys(keys, codes)

        inputs.append(
            _RuleInput(
                updated.ridx,
                updated.codes,
                len(updated.keys),
                spell,
                updated.gone,
                ranked,
                old_ranked,
            )
        )
        states.append(updated.state)
    pairs, report = _local_pairs(
        features,
        rules,
        inputs,
        unique_sources=unique_sources,
        max_block_size=max_block_size,
        touched=touched,
        now=now,
        old_alive_unchanged=unchanged_old,
        old_pairs=old_pairs,
    )
    new_state = KeyState(list(state.rules), n, states)
    report.key_state = new_state
    return pairs, report, new_state
