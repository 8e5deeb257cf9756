"""Blocking: which record pairs are worth comparing.

Blocking is a list of rules whose pairs are unioned. A pair belongs to the *first* rule that
finds it: each later rule skips the pairs that an earlier rule's key also joins (a predicate on
the two records, as in Splink), so every rule's work stays local to its own blocks and no
global de-duplication of pairs is needed.

Rule kinds:

- ``exact``: records with equal values on all of ``columns`` (optionally on the first
  ``prefix`` characters of the last column: postcode + name prefix).
- ``tokens``: records sharing a space-separated token of ``columns[0]`` (identifier crosswalk
  keys, name tokens). Tokens held by more than ``max_block_size`` records are generic
  ("trading", "科技"): they are skipped and reported.
- ``sorted_neighbourhood``: records within ``window`` positions of each other when sorted by
  ``columns[0]`` (catches typos in a first letter that exact keys miss).

Keys are joined in DuckDB (a self-join is several times faster and leaner than a pandas merge
at a million records). Pairs inside a ``unique = true`` source are never produced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd

RuleKind = Literal["exact", "tokens", "sorted_neighbourhood"]


@dataclass(frozen=True)
class BlockingRule:
    """A named way of deriving blocking keys from features columns.

    Attributes:
        name: the rule's name, recorded on every pair it finds.
        columns: the features columns the key comes from.
        kind: ``exact``, ``tokens`` or ``sorted_neighbourhood``.
        prefix: for ``exact``, compare only the first ``prefix`` characters of the last column.
        min_length: keys (tokens) shorter than this are ignored.
        max_block_size: skip (and report) keys held by more records than this; None = no cap.
        window: for ``sorted_neighbourhood``, how many neighbours each record meets.
    """

    name: str
    columns: tuple[str, ...]
    kind: RuleKind = "exact"
    prefix: int | None = None
    min_length: int = 1
    max_block_size: int | None = None
    window: int = 5

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what the manifest records and ``[blocking]`` accepts)."""
        data = asdict(self)
        data["columns"] = list(self.columns)
        return data


@dataclass
class BlockingReport:
    """What blocking did: pairs per rule, largest blocks and the generic keys it skipped."""

    pairs_per_rule: dict[str, int] = field(default_factory=dict)
    skipped_blocks: list[dict[str, object]] = field(default_factory=list)
    largest_blocks: list[dict[str, object]] = field(default_factory=list)


def _present(frame: pd.DataFrame, column: str) -> bool:
    return column in frame and bool((frame[column].fillna("").astype(str) != "").any())


def choose_rules(
    features: pd.DataFrame,
    *,
    max_block_size: int = 200,
    custom_fields: dict[str, str] | None = None,
) -> list[BlockingRule]:
    """Automatic rules from the fields present, strongest evidence first.

    Identifier keys, exact and Latin-key names, phone, web domain, postcode + name prefix,
    name tokens, and a sorted neighbourhood on the Latin key; for custom fields, an exact rule
    on each field of a selective type (person names, identifiers, dates, phones, e-mails,
    postcodes) and a sorted neighbourhood on the first name-like field.
    """
    cap = max_block_size
    candidates = [
        BlockingRule("identifier", ("id_keys",), "tokens"),
        BlockingRule("name_exact", ("name_norm",), max_block_size=cap),
        BlockingRule("latin_exact", ("name_latin",), max_block_size=cap),
        # distinctive words and industry, then distinctive words alone in small blocks (a
        # trade name held by many firms is generic, and at 1M records its blocks explode)
        BlockingRule(
            "core_generic", ("name_core", "name_generic"), min_length=3, max_block_size=cap
        ),
        BlockingRule("core_exact", ("name_core",), min_length=3, max_block_size=min(cap, 50)),
        BlockingRule("phone", ("phone_e164",), max_block_size=cap),
        BlockingRule("domain", ("domain",), max_block_size=cap),
        BlockingRule("address_numbers", ("address_numbers",), min_length=5, max_block_size=cap),
        BlockingRule(
            "postcode_name", ("postcode_norm", "name_latin"), prefix=3, max_block_size=cap
        ),
        BlockingRule("name_token", ("name_tokens",), "tokens", min_length=2, max_block_size=cap),
    ]
    rules = [r for r in candidates if all(_present(features, c) for c in r.columns)]
    selective = ("person_name", "company_name", "identifier", "date", "phone", "email", "url")
    for name, kind in (custom_fields or {}).items():
        if kind in selective and _present(features, name):
            rules.append(BlockingRule(f"{name}_exact", (name,), max_block_size=cap))
    if _present(features, "postcode_norm") and not any("postcode_norm" in r.columns for r in rules):
        rules.append(BlockingRule("postcode", ("postcode_norm",), max_block_size=cap))
    if _present(features, "name_latin"):
        rules.append(BlockingRule("latin_neighbours", ("name_latin",), "sorted_neighbourhood"))
    else:
        names = [n for n, k in (custom_fields or {}).items() if k in ("person_name", "text")]
        names = [n for n in names if _present(features, n)]
        if names:
            rules.append(
                BlockingRule(f"{names[0]}_neighbours", (names[0],), "sorted_neighbourhood")
            )
    return rules


def _clean_distinct(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Factorise a column: per record a code (-1 = missing/blank) and the cleaned distinct texts.

    Cleaning (case-folding, single spaces) runs once per distinct value, not per record.
    """
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    texts = np.array(
        [" ".join(str(u).casefold().split()) for u in np.asarray(uniques, dtype=object)] or [""],
        dtype=object,
    )[: len(uniques)]
    blank = np.append(texts == "", True)
    codes = np.where(blank[codes], -1, codes)
    return codes.astype(np.int64), texts


def _rule_long(
    features: pd.DataFrame,
    rule: BlockingRule,
    cache: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(idx, key)`` rows of a rule: one per record (exact, sorted neighbourhood) or per
    distinct token (tokens), keys as strings; vectorised over distinct values. ``cache``
    keeps each column's cleaned values across the rules of one run."""
    cache = {} if cache is None else cache

    def clean(column: str) -> tuple[np.ndarray, np.ndarray]:
        if column not in cache:
            cache[column] = _clean_distinct(features[column])
        return cache[column]

    n = len(features)
    idx = np.arange(n, dtype=np.int64)
    if any(c not in features for c in rule.columns):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    if rule.kind == "tokens":
        codes, texts = clean(rule.columns[0])
        tokens = pd.Series(texts, dtype=object).str.split().explode().dropna()
        tokens = tokens[tokens.str.len() >= rule.min_length]
        table = pd.DataFrame(
            {"code": tokens.index.to_numpy(dtype=np.int64), "key": tokens.to_numpy(dtype=object)}
        ).drop_duplicates()
        live = codes >= 0
        long = pd.DataFrame({"idx": idx[live], "code": codes[live]}).merge(
            table, on="code", how="inner", sort=False
        )
        # row order is free: key codes are sorted by key, and pairs are sorted at the end
        return long["idx"].to_numpy(dtype=np.int64), long["key"].to_numpy(dtype=object)
    keys: np.ndarray | None = None
    live = np.ones(n, dtype=bool)
    for position, column in enumerate(rule.columns):
        codes, texts = clean(column)
        if rule.prefix is not None and position == len(rule.columns) - 1:
            texts = pd.Series(texts, dtype=object).str.slice(0, rule.prefix).to_numpy(object)
        part = np.append(texts, "").astype(object)[codes]
        live &= codes >= 0
        keys = part if keys is None else keys + "\x1f" + part
    assert keys is not None
    lengths = pd.Series(keys, dtype=object).str.len().to_numpy()
    live &= lengths >= rule.min_length
    return idx[live], keys[live]


def candidate_pairs(
    features: pd.DataFrame,
    rules: Sequence[BlockingRule],
    *,
    unique_sources: set[str],
    max_block_size: int = 200,
) -> tuple[pd.DataFrame, BlockingReport]:
    """Candidate pairs ``uid_l < uid_r`` with the (first) rule that found each.

    ``features`` must be sorted by uid, so that a pair's row positions order like its uids.
    ``max_block_size`` is the cap for rules that leave theirs unset (``None`` on an
    identifier rule means no cap). Keys are built with vectorised string operations over
    distinct values and joined as integer codes in DuckDB; a pair that an earlier rule found
    is dropped by an anti-join on the pair's id (``idx_l * n + idx_r``).
    """
    report = BlockingReport()
    n = len(features)
    source_codes, source_names = pd.factorize(features["source"].astype(object))
    restricted = np.isin(np.asarray(source_names, dtype=object), sorted(unique_sources))
    # a record's "unique group": its source code where the source is unique, else its own row
    group = np.where(restricted[source_codes], source_codes, -1 - np.arange(n)).astype(np.int64)
    largest: list[dict[str, object]] = []
    con = duckdb.connect()
    results: list[pd.DataFrame] = []
    cleaned: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    try:
        con.execute("SET threads TO 2")
        con.register("g", pd.DataFrame({"idx": np.arange(n, dtype=np.int64), "grp": group}))
        con.execute("CREATE TABLE seen (pid BIGINT)")
        for i, rule in enumerate(rules):
            ridx, rkeys = _rule_long(features, rule, cleaned)
            key_codes, key_names = pd.factorize(pd.Series(rkeys, dtype=object), sort=True)
            sizes = np.bincount(key_codes, minlength=len(key_names))
            cap = rule.max_block_size
            if cap is None and rule.kind != "tokens":
                cap = max_block_size
            if rule.kind == "sorted_neighbourhood":
                cap = None
            keep = np.ones(len(ridx), dtype=bool)
            if cap is not None:
                generic = np.flatnonzero(sizes > cap)
                if len(generic):
                    order = generic[np.argsort(-sizes[generic], kind="stable")]
                    report.skipped_blocks += [
                        {"rule": rule.name, "key": str(key_names[k]), "size": int(sizes[k])}
                        for k in order
                    ]
                    keep = sizes[key_codes] <= cap
            if rule.kind != "sorted_neighbourhood":
                kept_sizes = np.where(
                    sizes <= (cap if cap is not None else sizes.max(initial=0)), sizes, 0
                )
                top = np.argsort(-kept_sizes, kind="stable")[:5]
                largest += [
                    {"rule": rule.name, "key": str(key_names[k]), "size": int(kept_sizes[k])}
                    for k in top
                    if kept_sizes[k] > 0
                ]
            frame = pd.DataFrame({"idx": ridx[keep], "key": key_codes[keep].astype(np.int64)})
            con.register("e", frame)
            if rule.kind == "sorted_neighbourhood":
                # neighbours in (key, idx) order, offset by offset: plain numpy, no range join
                order = np.lexsort((frame["idx"].to_numpy(), frame["key"].to_numpy()))
                ranked = frame["idx"].to_numpy()[order]
                pid_parts = []
                for offset in range(1, max(int(rule.window), 1)):
                    a, b = ranked[:-offset], ranked[offset:]
                    pid_parts.append(np.minimum(a, b) * n + np.maximum(a, b))
                pids = np.sort(np.concatenate(pid_parts)) if pid_parts else np.zeros(0, np.int64)
                pids = pids[np.append(True, pids[1:] != pids[:-1])] if len(pids) else pids
                con.register(
                    "sn", pd.DataFrame({"idx_l": pids // max(n, 1), "idx_r": pids % max(n, 1)})
                )
                found = "SELECT idx_l, idx_r FROM sn"
            else:
                distinct = "DISTINCT" if rule.kind == "tokens" else ""
                found = f"""
                    SELECT {distinct} l.idx AS idx_l, r.idx AS idx_r
                    FROM e l JOIN e r ON l.key = r.key AND l.idx < r.idx
                """
            con.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE p AS
                SELECT f.idx_l, f.idx_r, f.idx_l * {n} + f.idx_r AS pid
                FROM ({found}) f
                JOIN g gl ON gl.idx = f.idx_l JOIN g gr ON gr.idx = f.idx_r
                WHERE gl.grp <> gr.grp
                AND NOT EXISTS (SELECT 1 FROM seen s WHERE s.pid = f.idx_l * {n} + f.idx_r)
                """
            )
            con.unregister("e")
            con.execute("INSERT INTO seen SELECT pid FROM p")
            pairs = con.execute("SELECT idx_l, idx_r FROM p").df()
            pairs["rule"] = i
            report.pairs_per_rule[rule.name] = len(pairs)
            results.append(pairs)
    finally:
        con.close()
    report.largest_blocks = sorted(largest, key=lambda b: (-int(b["size"]), b["rule"], b["key"]))[
        :10
    ]
    if results:
        allpairs = pd.concat(results, ignore_index=True)
    else:
        allpairs = pd.DataFrame({"idx_l": [], "idx_r": [], "rule": []})
    left = allpairs["idx_l"].to_numpy(dtype=np.int64)
    right = allpairs["idx_r"].to_numpy(dtype=np.int64)
    order = np.lexsort((right, left))
    left, right = left[order], right[order]
    rule_of = allpairs["rule"].to_numpy(dtype=np.int64)[order]
    uids = features["uid"].to_numpy(dtype=object)
    names = np.array([r.name for r in rules] or [""], dtype=object)
    out = pd.DataFrame(
        {
            "uid_l": uids[left],
            "uid_r": uids[right],
            "rules": names[rule_of],
            "idx_l": left,
            "idx_r": right,
        }
    )
    return out, report


def pair_completeness(
    pairs: pd.DataFrame, true_uid_l: Sequence[str], true_uid_r: Sequence[str]
) -> dict[str, Any]:
    """Share of the true pairs found, overall and per rule (each pair counts for its rule)."""
    left = np.asarray(true_uid_l, dtype=object)
    right = np.asarray(true_uid_r, dtype=object)
    truth = pd.DataFrame(
        {"uid_l": np.minimum(left, right), "uid_r": np.maximum(left, right)}
    ).drop_duplicates()
    found = truth.merge(pairs[["uid_l", "uid_r", "rules"]], on=["uid_l", "uid_r"], how="left")
    total = max(len(truth), 1)
    per_rule = found["rules"].value_counts().sort_index()
    return {
        "true_pairs": len(truth),
        "found": int(found["rules"].notna().sum()),
        "pair_completeness": float(found["rules"].notna().sum() / total),
        "per_rule": {str(k): round(int(v) / total, 6) for k, v in per_rule.items()},
        "candidate_pairs": len(pairs),
    }
