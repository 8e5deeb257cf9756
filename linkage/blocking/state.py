"""What blocking keeps for the next run: every rule's keys per record (int codes and the key
strings), how they are saved and loaded, and how the next run carries them over
(:func:`carry_keys`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from linkage.blocking.keys import RuleKeys
from linkage.blocking.rules import BlockingRule

KEY_STATE_FORMAT = 1
_STATE_FILES = ("blocking_keys.json", "blocking_keys.npz", "blocking_keys.parquet")


@dataclass
class RuleKeyState:
    """One rule's keys in one run, as the next incremental run reuses them.

    ``rows``/``codes`` (int32): record ``rows[j]`` of that run's features holds key
    ``codes[j]`` (a token rule holds several keys per record, an exact rule at most one),
    ordered by row, or for a sorted neighbourhood by code, then row (the order it walks).
    ``keys`` spells every code (Arrow strings; a run's own keys may be an object array until
    they are saved); each code is held by some record. Codes follow ``hashes`` (uint64
    ascending, distinct: the keys' ``pd.util.hash_array``, looked up by binary search) or,
    for a sorted neighbourhood (``hashes`` None), the key strings themselves.
    """

    rows: np.ndarray
    codes: np.ndarray
    keys: np.ndarray | pa.Array | pa.ChunkedArray
    hashes: np.ndarray | None

    @property
    def count(self) -> int:
        return len(self.keys)

    def spell(self, codes: np.ndarray) -> np.ndarray:
        """Key strings of key codes (object array)."""
        return take_keys(self.keys, codes)


def take_keys(keys: np.ndarray | pa.Array | pa.ChunkedArray, codes: np.ndarray) -> np.ndarray:
    """``keys[codes]`` as an object array of strings."""
    codes = np.asarray(codes, dtype=np.int64)
    if isinstance(keys, np.ndarray):
        return keys[codes]
    taken = keys.take(pa.array(codes))
    return np.asarray(taken.to_numpy(zero_copy_only=False), dtype=object)


def arrow_chunks(keys: np.ndarray | pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    """``keys`` as Arrow large-string arrays."""
    if isinstance(keys, np.ndarray):
        return [pa.array(keys, type=pa.large_string())]
    if isinstance(keys, pa.ChunkedArray):
        return [c.cast(pa.large_string()) for c in keys.chunks]
    return [keys.cast(pa.large_string())]


@dataclass
class KeyState:
    """Every rule's keys of one run (:func:`save_key_state` writes it, :func:`load_key_state`
    reads it back): ``rules`` (``BlockingRule.to_dict()`` each) and ``records``, the rows of
    that run's features (sorted by uid)."""

    rules: list[dict[str, Any]]
    records: int
    per_rule: list[RuleKeyState]


def hash_keys(strings: np.ndarray) -> np.ndarray:
    """A 64-bit hash per key string (pandas' fixed-key hashing: the same in every process)."""
    if not len(strings):
        return np.zeros(0, dtype=np.uint64)
    return pd.util.hash_array(np.asarray(strings, dtype=object), categorize=False)


def rule_key_state(
    keys: RuleKeys, rule: BlockingRule, ranked: np.ndarray | None = None
) -> RuleKeyState | None:
    """A rule's keys as built by :func:`linkage.blocking.rule_keys` (rows ascending, codes
    dense), recoded as :class:`RuleKeyState` keeps them; None on a hash collision (two keys,
    one hash: the next run blocks in full). For a sorted neighbourhood, ``ranked`` is the
    order of ``keys``' entries by key, then row, when the caller has it."""
    count = keys.count
    strings = np.asarray(keys.spell(np.arange(count)), dtype=object)
    rows = keys.idx.astype(np.int32)
    if rule.kind == "sorted_neighbourhood":  # codes already follow the key strings
        order = np.lexsort((keys.idx, keys.codes)) if ranked is None else ranked
        return RuleKeyState(rows[order], keys.codes[order].astype(np.int32), strings, None)
    hashes = hash_keys(strings)
    order = np.argsort(hashes)  # distinct hashes: any sort gives one order
    hashes = hashes[order]
    if len(hashes) > 1 and bool((hashes[1:] == hashes[:-1]).any()):
        return None
    rank = np.empty(count, dtype=np.int32)
    rank[order] = np.arange(count, dtype=np.int32)
    return RuleKeyState(rows, rank[keys.codes], strings[order], hashes)


def key_state(
    rules: Sequence[BlockingRule], records: int, per_rule: Sequence[RuleKeyState | None]
) -> KeyState | None:
    """The key state of a run (None when a rule's keys could not be kept)."""
    if any(state is None for state in per_rule):
        return None
    kept = [state for state in per_rule if state is not None]
    return KeyState([r.to_dict() for r in rules], records, kept)


def save_key_state(folder: Path, state: KeyState) -> None:
    """Write ``state`` into ``folder``: ``blocking_keys.json`` (format, rules, records, key
    counts), ``blocking_keys.npz`` (per rule rows, codes and key hashes, uncompressed) and
    ``blocking_keys.parquet`` (every rule's key strings, one after the other, zstd)."""
    folder = Path(folder)
    arrays: dict[str, np.ndarray] = {}
    for i, rule_state in enumerate(state.per_rule):
        arrays[f"rows_{i}"] = rule_state.rows
        arrays[f"codes_{i}"] = rule_state.codes
        if rule_state.hashes is not None:
            arrays[f"hashes_{i}"] = rule_state.hashes
    np.savez(folder / "blocking_keys.npz", **arrays)  # type: ignore[arg-type]
    strings = pa.chunked_array(
        [c for rule_state in state.per_rule for c in arrow_chunks(rule_state.keys)],
        type=pa.large_string(),
    )
    pq.write_table(pa.table({"key": strings}), folder / "blocking_keys.parquet", compression="zstd")
    meta = {
        "format": KEY_STATE_FORMAT,
        "rules": state.rules,
        "records": state.records,
        "keys": [rule_state.count for rule_state in state.per_rule],
    }
    (folder / "blocking_keys.json").write_text(json.dumps(meta, sort_keys=True), encoding="utf-8")


def load_key_state(folder: Path) -> KeyState | None:
    """The key state :func:`save_key_state` wrote into ``folder``; None when there is none
    (or of another format)."""
    folder = Path(folder)
    if not all((folder / name).exists() for name in _STATE_FILES):
        return None
    meta = json.loads((folder / "blocking_keys.json").read_text(encoding="utf-8"))
    if meta.get("format") != KEY_STATE_FORMAT:
        return None
    strings = pq.read_table(folder / "blocking_keys.parquet").column("key")
    if not pa.types.is_large_string(strings.type):
        strings = strings.cast(pa.large_string())
    per_rule = []
    offset = 0
    with np.load(folder / "blocking_keys.npz") as arrays:
        for i, count in enumerate(meta["keys"]):
            hashes = arrays.get(f"hashes_{i}")
            per_rule.append(
                RuleKeyState(
                    arrays[f"rows_{i}"], arrays[f"codes_{i}"], strings.slice(offset, count), hashes
                )
            )
            offset += count
    if offset != len(strings):
        return None
    return KeyState(meta["rules"], int(meta["records"]), per_rule)


def insert_at(base: np.ndarray, at: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``np.insert(base, at, values)`` for ascending ``at``."""
    out = np.empty(len(base) + len(values), dtype=np.result_type(base, values))
    where = at + np.arange(len(values))
    mask = np.ones(len(out), dtype=bool)
    mask[where] = False
    out[where] = values
    out[mask] = base
    return out


@dataclass
class CarriedKeys:
    """A rule's keys now: the long table (rows ascending) in the merged code space (the
    previous keys and the new ones, in sort order), the codes of the old versions of changed
    and removed records, and the state to save (codes no record holds dropped)."""

    ridx: np.ndarray
    codes: np.ndarray
    gone: np.ndarray
    keys: pa.Array | pa.ChunkedArray
    state: RuleKeyState


def carry_keys(
    old: RuleKeyState,
    rule: BlockingRule,
    fresh: RuleKeys,
    fresh_rows: np.ndarray,
    now: np.ndarray,
    unchanged_old: np.ndarray,
    n: int,
) -> CarriedKeys | None:
    """Carry a rule's keys over to this run: unchanged records keep their codes (rows mapped
    by ``now``), the keys of ``fresh`` (new and changed records; ``fresh_rows`` their rows
    now) are looked up among the previous keys, unseen ones inserted in order. None on a hash
    collision."""
    keep = unchanged_old[old.rows]
    rows_kept = now[old.rows[keep]]
    codes_kept = old.codes[keep]
    gone = old.codes[~keep].astype(np.int64)
    count = old.count
    strings = np.asarray(fresh.spell(np.arange(fresh.count)), dtype=object)
    sn = old.hashes is None
    reference: np.ndarray
    if sn:
        reference = take_keys(old.keys, np.arange(count))
        query = strings
    else:
        assert old.hashes is not None
        reference, query = old.hashes, hash_keys(strings)
    pos = np.searchsorted(reference, query).astype(np.int64)
    found = np.zeros(len(query), dtype=bool)
    if count:
        at = np.minimum(pos, count - 1)
        found = (pos < count) & (reference[at] == query)
    if not sn and found.any():  # equal hashes: the keys must be equal too
        stored = take_keys(old.keys, pos[found]).tolist()
        if stored != strings[found].tolist():
            return None
    new = np.flatnonzero(~found)
    new = new[np.argsort(query[new], kind="stable")]
    if not sn and len(new) > 1 and bool((query[new][1:] == query[new][:-1]).any()):
        return None
    inserted = pos[new]  # ascending
    # an old code moves up by the inserted keys before it (at or below its position)
    shift = np.cumsum(np.bincount(inserted, minlength=count + 1)[:count])
    old_to_new = np.arange(count, dtype=np.int64) + shift
    fresh_code = np.empty(fresh.count, dtype=np.int64)
    fresh_code[found] = old_to_new[pos[found]]
    new_codes = inserted + np.arange(len(new))
    fresh_code[new] = new_codes
    total = count + len(new)
    source = np.empty(total, dtype=np.int64)  # merged code -> position in old keys + new
    source[old_to_new] = np.arange(count)
    source[new_codes] = count + np.arange(len(new))
    keys = pa.chunked_array(
        [*arrow_chunks(old.keys), *arrow_chunks(strings[new])], type=pa.large_string()
    ).take(pa.array(source))
    hashes = None
    if not sn:
        assert old.hashes is not None
        hashes = np.concatenate([old.hashes, query[new].astype(np.uint64)])[source]
    # this run's long table, in the state's order (by row; by code, then row): the fresh
    # entries between the kept ones (whose order the maps keep)
    rows_kept, codes_kept = rows_kept.astype(np.int64), old_to_new[codes_kept]
    rows_fresh, codes_fresh = fresh_rows[fresh.idx], fresh_code[fresh.codes]
    if sn:
        order = np.lexsort((rows_fresh, codes_fresh))
        rows_fresh, codes_fresh = rows_fresh[order], codes_fresh[order]
        at = np.searchsorted(codes_kept * (n + 1) + rows_kept, codes_fresh * (n + 1) + rows_fresh)
    else:
        at = np.searchsorted(rows_kept, rows_fresh)
    ridx = insert_at(rows_kept, at, rows_fresh)
    codes = insert_at(codes_kept, at, codes_fresh)
    # the state to save: only the keys held now
    held = np.bincount(codes, minlength=total) > 0
    if held.all():
        state = RuleKeyState(ridx.astype(np.int32), codes.astype(np.int32), keys, hashes)
    else:
        recode = (np.cumsum(held) - 1).astype(np.int32)
        state = RuleKeyState(
            ridx.astype(np.int32),
            recode[codes],
            keys.filter(pa.array(held)),
            None if hashes is None else hashes[held],
        )
    return CarriedKeys(ridx, codes, old_to_new[gone], keys, state)
