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
- a sorted-neighbourhood pair (recomputed in full: a sort and a few shifts), or
- a previous candidate pair (a dirty pair found through an untouched block was found through
  it before, since the block and its members are unchanged),

and for those the first rule is decided afresh, rule by rule. The result equals
``candidate_pairs`` on all records (``tests/unit/test_incremental_blocking.py`` checks it per
rule kind, with caps crossed both ways). Keys still come from every record (block sizes need
them; ``blocking._rule_keys``, integer codes over distinct values, with the old versions of the
changed and removed records coded alongside); the self-joins and anti-joins over all blocks are
what is saved. Since ``candidate_pairs`` joins its blocks with numpy (5a703f6) those are cheap,
so building the keys is what both cost and incremental runs do not block locally by default
(:data:`linkage.incremental.LOCAL_BLOCKING`); caching the keys of unchanged records is what
would make this pay.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from linkage.blocking import BlockingReport, BlockingRule, _reported, _rule_keys, pairs_table


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
    ``(rows, keys)``? ``width`` bounds the key codes."""
    out = np.zeros(len(left), dtype=bool)
    if not len(left) or not len(rows):
        return out
    order = np.argsort(rows, kind="stable")
    rows_s, keys_s = rows[order], keys[order]
    start = np.searchsorted(rows_s, left, "left")
    counts = np.searchsorted(rows_s, left, "right") - start
    total = int(counts.sum())
    if not total:
        return out
    pair = np.repeat(np.arange(len(left)), counts)
    offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    key = keys_s[np.repeat(start, counts) + offset]
    held = _isin(right[pair] * width + key, np.sort(rows * width + keys))
    out[pair[held]] = True
    return out


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


def _neighbour_pairs(rows: np.ndarray, keys: np.ndarray, window: int, n: int) -> np.ndarray:
    """Sorted-neighbourhood pair ids (sorted, unique), as ``candidate_pairs`` forms them."""
    order = np.lexsort((rows, keys))
    ranked = rows[order]
    parts = []
    for offset in range(1, max(int(window), 1)):
        a, b = ranked[:-offset], ranked[offset:]
        parts.append(np.minimum(a, b) * n + np.maximum(a, b))
    return _unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def local_candidate_pairs(
    features: pd.DataFrame,
    rules: Sequence[BlockingRule],
    *,
    unique_sources: set[str],
    max_block_size: int,
    touched: np.ndarray,
    old_features: pd.DataFrame,
    old_pairs: pd.DataFrame,
) -> tuple[pd.DataFrame, BlockingReport]:
    """``candidate_pairs(features, rules, ...)``, given the previous run's candidate pairs.

    Args:
        features: this run's features, sorted by uid.
        rules, unique_sources, max_block_size: as the previous run blocked with (the caller
            checks they are the same).
        touched: bool per features row: the record is new or changed.
        old_features: the previous run's features (at least ``uid`` and the rules' columns),
            sorted by uid.
        old_pairs: the previous run's candidate pairs: ``idx_l``, ``idx_r`` (rows of
            ``old_features``) and ``rule`` (index into ``rules``).
    """
    n = len(features)
    report = BlockingReport()
    uids = features["uid"].to_numpy(dtype=object)
    old_uids = old_features["uid"].to_numpy(dtype=object)
    now = pd.Index(uids).get_indexer(old_uids)  # old row -> row now (-1: removed)
    alive_old = now >= 0
    old_alive_unchanged = alive_old.copy()
    old_alive_unchanged[alive_old] = ~touched[now[alive_old]]
    # old versions of changed and removed records: their keys are touched too
    gone = np.flatnonzero(~old_alive_unchanged)
    old_gone = old_features.iloc[gone].reset_index(drop=True)

    source_codes, source_names = pd.factorize(features["source"].astype(object))
    restricted = np.isin(np.asarray(source_names, dtype=object), sorted(unique_sources))
    group = np.where(restricted[source_codes], source_codes, -1 - np.arange(n)).astype(np.int64)

    # previous pairs, in rows of now; those with a removed or changed record are dropped
    # (their records' pairs are all dirty and recomputed)
    ol = old_pairs["idx_l"].to_numpy(dtype=np.int64)
    orr = old_pairs["idx_r"].to_numpy(dtype=np.int64)
    orule = old_pairs["rule"].to_numpy(dtype=np.int64)
    keep_old = old_alive_unchanged[ol] & old_alive_unchanged[orr]
    pl, pr, prule = now[ol[keep_old]], now[orr[keep_old]], orule[keep_old]
    prev_dirty = np.zeros(len(pl), dtype=bool)

    # keys of this run's records and of the old versions of the changed and removed ones,
    # coded together (rows >= n are old versions)
    columns = sorted({c for rule in rules for c in rule.columns if c in features})
    both = pd.concat([features[columns], old_gone[columns]], ignore_index=True)
    cleaned: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    kept_long: list[tuple[np.ndarray, np.ndarray, int] | None] = []  # per non-SN rule
    sn_sets: dict[int, np.ndarray] = {}
    candidates: list[np.ndarray] = []
    largest: list[dict[str, object]] = []
    for i, rule in enumerate(rules):
        keys = _rule_keys(both, rule, cleaned)
        current = keys.idx < n
        ridx, key_codes = keys.idx[current], keys.codes[current]
        gone_codes = keys.codes[~current]
        count = keys.count
        width = max(count, 1)
        sizes = np.bincount(key_codes, minlength=count)
        if rule.kind == "sorted_neighbourhood":
            kept_long.append(None)
            new_sn = _neighbour_pairs(ridx, key_codes, rule.window, n)
            sn_sets[i] = new_sn
            # the previous run's neighbours, in rows of now, between unchanged records
            old_keys = _rule_keys(old_features, rule)
            m = max(len(old_uids), 1)
            old_sn = _neighbour_pairs(old_keys.idx, old_keys.codes, rule.window, m)
            a, b = old_sn // m, old_sn % m
            kept_pair = old_alive_unchanged[a] & old_alive_unchanged[b]
            old_sn = _unique(now[a[kept_pair]] * n + now[b[kept_pair]])
            nl, nr = new_sn // max(n, 1), new_sn % max(n, 1)
            new_clean = new_sn[~touched[nl] & ~touched[nr]]
            changed = np.setxor1d(new_clean, old_sn, assume_unique=True)
            prev_dirty |= _isin(pl * n + pr, changed)
            # neighbours of touched records, and those whose neighbourhood changed
            candidates.append(new_sn[touched[nl] | touched[nr]])
            candidates.append(np.intersect1d(new_sn, changed, assume_unique=True))
            continue
        cap = rule.max_block_size
        if cap is None and rule.kind != "tokens":
            cap = max_block_size
        keep_key = np.ones(count, dtype=bool) if cap is None else sizes <= cap
        # the report, as candidate_pairs makes it
        if cap is not None:
            generic = np.flatnonzero(sizes > cap)
            report.skipped_blocks += [
                {"rule": rule.name, "key": key, "size": size}
                for key, size in _reported(keys, sizes, generic)
            ]
        kept_sizes = np.where(sizes <= (cap if cap is not None else sizes.max(initial=0)), sizes, 0)
        fifth = np.sort(kept_sizes)[-5:][:1]  # the 5th largest size (ties all compete)
        top = np.flatnonzero((kept_sizes > 0) & (kept_sizes >= fifth.max(initial=1)))
        largest += [
            {"rule": rule.name, "key": key, "size": size}
            for key, size in _reported(keys, kept_sizes, top)[:5]
        ]
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
        # previous pairs sharing a flipped key are dirty
        hold = flipped[key_codes]
        if hold.any():
            f_rows, f_keys = ridx[hold], key_codes[hold]
            in_flipped = np.zeros(n, dtype=bool)
            in_flipped[f_rows] = True
            maybe = np.flatnonzero(in_flipped[pl] & in_flipped[pr] & ~prev_dirty)
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
        live = keep_key[key_codes]
        kept_long.append((ridx[live], key_codes[live], width))
    report.largest_blocks = sorted(largest, key=lambda b: (-int(b["size"]), b["rule"], b["key"]))[
        :10
    ]

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
            found = _isin(dl[open_] * n + dr[open_], sn_sets[i])
        else:
            found = _share(dl[open_], dr[open_], *long)
        first[open_[found]] = i
    hit = first >= 0
    clean = ~prev_dirty
    left = np.concatenate([pl[clean], dl[hit]])
    right = np.concatenate([pr[clean], dr[hit]])
    rule_of = np.concatenate([prule[clean], first[hit]])
    order = np.lexsort((right, left))
    left, right, rule_of = left[order], right[order], rule_of[order]
    return pairs_table(features, rules, left, right, rule_of, report), report


__all__ = ["local_candidate_pairs"]
