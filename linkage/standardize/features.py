"""Table-level standardisation: the records table in, the features table out.

Each distinct raw value is standardised once and mapped back to its rows, so a column with
many repeated names, countries or identifiers costs one call per distinct value.

The per-value work (names, addresses, phones, identifiers, ...) is pure Python and runs in
``workers`` processes when there is enough of it (see :func:`build_features`). The parent
factorises the columns, lists the distinct values in a fixed order, forks the workers (which
inherit the values and the loaded OpenCC / pypinyin dictionaries, so nothing is pickled on the
way in), and puts the results back in that order: the table is the same, byte for byte, with
any number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from linkage.gcpause import gc_paused
from linkage.standardize.addresses import normalize_address, normalize_postcode
from linkage.standardize.contacts import (
    country_code,
    normalize_email,
    normalize_phone,
    registrable_domain,
)
from linkage.standardize.distinctive import address_numbers
from linkage.standardize.hanzi import romanise
from linkage.standardize.identifier_batch import SCHEMES as BATCH_SCHEMES
from linkage.standardize.identifier_batch import clean_valid_codes
from linkage.standardize.identifiers import parse_identifier
from linkage.standardize.latin_anatomy import analyse as analyse_latin_name
from linkage.standardize.legal_forms import legal_form_code
from linkage.standardize.names import normalize_name
from linkage.standardize.syllables import syllable_pairs

ID_SUFFIXES = ("_norm", "_valid", "_scheme", "_problem")
NAME_COLUMNS = (
    "name_norm",
    "name_tokens",
    "name_latin",
    "legal_form_code",
    "is_branch",
    "branch_place",
    "name_place",
    "name_core",
    "name_generic",
    "name_unit",
    "name_parent",
    "name_place_path",
    "name_syllables",
)
WORKERS_ENV = "LINKAGE_WORKERS"
# below this many distinct values in all, forking the workers costs more than it saves
MIN_PARALLEL_VALUES = 5000
_MIN_CHUNK, _MAX_CHUNK, _CHUNKS_PER_WORKER = 256, 4096, 24


def _text(value: Any) -> str | None:
    """Return the value as text, or None when it is missing or blank."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None


class _Distinct:
    """A column factorised into one integer code per row (-1 = missing) and its distinct texts."""

    def __init__(self, records: pd.DataFrame, column: str) -> None:
        if column in records.columns:
            codes, uniques = pd.factorize(records[column], use_na_sentinel=True)
            if pd.api.types.infer_dtype(uniques, skipna=False) == "string":
                texts = [u if u.strip() else None for u in uniques]  # the usual case, faster
            else:
                texts = [_text(u) for u in uniques]
            if None in texts:  # blank texts count as missing
                blank = np.array([t is None for t in texts] + [True])
                codes = np.where(blank[codes], -1, codes)
                keep = [i for i, t in enumerate(texts) if t is not None]
                remap = np.full(len(texts) + 1, -1, dtype=np.intp)
                remap[keep] = np.arange(len(keep))
                codes = remap[codes]
                texts = [texts[i] for i in keep]
        else:
            codes, texts = np.full(len(records), -1, dtype=np.intp), []
        self.codes: np.ndarray = codes
        self.texts: list[str] = texts  # type: ignore[assignment]

    def with_context(
        self, context: np.ndarray, values: list[Any]
    ) -> tuple[np.ndarray, list[tuple[str, Any]]]:
        """Distinct ``(text, context value)`` pairs and one pair code per row (-1 = missing).

        Args:
            context: One index into ``values`` per row.
            values: The distinct context values (a country code, a region, ...).
        """
        present = self.codes >= 0
        width = max(len(values), 1)
        pair_codes, uniques = pd.factorize(
            self.codes[present].astype(np.int64) * width + context[present]
        )
        codes = np.full(len(self.codes), -1, dtype=np.intp)
        codes[present] = pair_codes
        items = [(self.texts[key // width], values[key % width]) for key in uniques.tolist()]
        return codes, items


def _context(countries: _Distinct, per_country: list[Any]) -> tuple[np.ndarray, list[Any]]:
    """Row indexes into the distinct values of ``per_country`` (one value per country text;
    ``per_country[-1]`` for rows without a country)."""
    values = list(dict.fromkeys(per_country))
    index = {v: i for i, v in enumerate(values)}
    lookup = np.array([index[v] for v in per_country], dtype=np.int64)
    return lookup[countries.codes], values  # code -1 takes the last entry: no country


def _spread(codes: np.ndarray, values: Sequence[Any]) -> np.ndarray:
    table = np.empty(len(values) + 1, dtype=object)
    table[: len(values)] = values
    table[-1] = None
    return table[codes]


# ---- the work per distinct value (runs in the workers; every result is a tuple of plain values)


def _name_item(item: tuple[str, str | None]) -> tuple[Any, ...]:
    parsed = normalize_name(item[0], country=item[1])
    return (
        parsed.norm,
        " ".join(parsed.tokens),
        parsed.latin,
        parsed.legal_form,
        parsed.is_branch,
        parsed.branch_place,
        parsed.place,
        parsed.core,
        parsed.generic,
        parsed.unit_key,
        parsed.parent,
        parsed.place_path,
        syllable_pairs(parsed.norm) if parsed.norm else None,
        None if parsed.core else (parsed.places[-1] if parsed.places else None),
    )


def _address_item(text: str) -> tuple[str | None, str | None]:
    norm = normalize_address(text)
    return norm, (None if norm is None else address_numbers(norm))


def _postcode_item(item: tuple[str, str | None]) -> tuple[str | None]:
    return (normalize_postcode(item[0], item[1]),)


def _phone_item(item: tuple[str, str | None]) -> tuple[str | None]:
    return (normalize_phone(item[0], region=item[1]),)


def _email_item(text: str) -> tuple[str | None, str | None]:
    norm = normalize_email(text)
    return norm, (None if norm is None else registrable_domain(norm))


def _website_item(text: str) -> tuple[str | None]:
    return (registrable_domain(text),)


def _legal_form_item(text: str) -> tuple[str | None]:
    return (legal_form_code(text),)


def _identifier_item(scheme: str) -> Callable[[str], tuple[Any, ...]]:
    def parse(text: str) -> tuple[Any, ...]:
        p = parse_identifier(text, scheme)
        keys = " ".join(sorted(p.keys))
        alone = " ".join(sorted(set(keys.split())))  # id_keys of a row with no other id
        problem = "; ".join(p.problems) or None
        return p.value, p.valid, p.scheme, problem, keys, (None if alone == keys else alone)

    return parse


def _batch_codes(
    scheme: str, texts: list[str]
) -> tuple[np.ndarray, list[tuple[Any, ...]], list[str]]:
    """The clean, valid Chinese codes of a column checked at once (:mod:`identifier_batch`):
    their mask over ``texts``, their results, and the texts left for ``parse_identifier``."""
    if scheme not in BATCH_SCHEMES:
        return np.zeros(len(texts), dtype=bool), [], texts
    mask, results = clean_valid_codes(texts, scheme)
    return mask, results, [t for t, done in zip(texts, mask.tolist(), strict=True) if not done]


def _merged(
    batch: tuple[np.ndarray, list[tuple[Any, ...]], list[str]], parts: list[list[Any]]
) -> list[list[Any]]:
    """Per result value, one list over all the column's texts: the batch's results where its
    mask is set, the parsed ones elsewhere, in text order."""
    mask, results, _ = batch
    if not results:
        return parts
    merged = []
    for position, parsed in enumerate(parts):
        column = np.empty(len(mask), dtype=object)
        column[mask] = [r[position] for r in results]
        column[~mask] = parsed
        merged.append(column.tolist())
    return merged


# ---- running the work: in process, or in forked workers


class Task:
    """A function applied to each item of a list; it returns a tuple of ``width`` values."""

    def __init__(self, func: Callable[[Any], tuple[Any, ...]], items: Sequence[Any], width: int):
        self.func, self.items, self.width = func, items, width

    def columns(self, start: int, stop: int) -> list[list[Any]]:
        """The results of items[start:stop], one list per value of the tuple."""
        rows = [self.func(item) for item in self.items[start:stop]]
        if not rows:
            return [[] for _ in range(self.width)]
        return [list(c) for c in zip(*rows, strict=True)]


_PENDING: list[Task] = []  # the tasks of the running parallel call; the workers inherit them
_FORK_LOCK = threading.Lock()


def _chunk(task: int, start: int, stop: int) -> list[list[Any]]:
    return _PENDING[task].columns(start, stop)


def worker_count(workers: int | None = None) -> int:
    """The number of processes ``build_features`` uses for the per-value work.

    ``workers`` when given, else the ``LINKAGE_WORKERS`` environment variable, else
    ``min(2, CPUs available to this process)``. 1 means in process only; ``n`` means this
    process and ``n - 1`` forked ones.
    """
    if workers is None:
        env = os.environ.get(WORKERS_ENV, "").strip()
        if env:
            try:
                workers = int(env)
            except ValueError:
                raise ValueError(f"{WORKERS_ENV} must be a whole number, got {env!r}") from None
        else:
            cpus = (
                len(os.sched_getaffinity(0))
                if hasattr(os, "sched_getaffinity")
                else (os.cpu_count() or 1)
            )
            workers = min(2, cpus)
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    return workers


def _can_fork() -> bool:
    """Fork is the only start method that shares the loaded dictionaries for free; macOS
    system libraries are not fork-safe, and daemonic processes may not have children."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and sys.platform != "darwin"
        and not multiprocessing.current_process().daemon
    )


def run_tasks(tasks: list[Task], workers: int) -> list[list[list[Any]]]:
    """Apply each task's function to each of its items: per task, one list per result value.

    With ``workers`` > 1 and at least ``MIN_PARALLEL_VALUES`` items in all, the items are cut
    into chunks in a fixed order; ``workers - 1`` forked processes take chunks from the front
    while this process takes them from the back, and the results are put together in chunk
    order, so they equal the in-process results.
    """
    total = sum(len(t.items) for t in tasks)
    if workers < 2 or total < max(MIN_PARALLEL_VALUES, 1) or not _can_fork():
        return [t.columns(0, len(t.items)) for t in tasks]
    size = min(_MAX_CHUNK, max(_MIN_CHUNK, total // (workers * _CHUNKS_PER_WORKER)))
    jobs = [
        (i, start, min(start + size, len(t.items)))
        for i, t in enumerate(tasks)
        for start in range(0, len(t.items), size)
    ]
    for task in tasks:  # load lazy dictionaries and metadata once, before the fork
        if task.items:
            task.func(task.items[0])
    global _PENDING
    chunks: list[list[list[Any]] | None] = [None] * len(jobs)
    with _FORK_LOCK:  # one parallel call at a time: the workers see _PENDING as forked
        _PENDING = tasks
        try:
            with warnings.catch_warnings():
                # Python 3.12+ warns about fork in a threaded process; the workers only run the
                # pure-Python normalisers, never a lock another thread may hold
                warnings.filterwarnings("ignore", message=".*fork", category=DeprecationWarning)
                pool = ProcessPoolExecutor(
                    workers - 1, mp_context=multiprocessing.get_context("fork")
                )
                futures = [pool.submit(_chunk, *job) for job in jobs]  # the first one forks
            try:
                for index in range(len(jobs) - 1, -1, -1):  # from the back to the workers' front
                    if not futures[index].cancel():
                        break
                    number, start, stop = jobs[index]
                    chunks[index] = tasks[number].columns(start, stop)
                for index, future in enumerate(futures):
                    if chunks[index] is None:
                        chunks[index] = future.result()
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
        finally:
            _PENDING = []
    results: list[list[list[Any]]] = [[[] for _ in range(t.width)] for t in tasks]
    for (number, _, _), chunk in zip(jobs, chunks, strict=True):
        for column, values in zip(results[number], chunk or [], strict=True):
            column.extend(values)
    return results


# ---- the table


def _identifier_columns(records: pd.DataFrame) -> list[str]:
    return [
        c
        for c in records.columns
        if isinstance(c, str)
        and c.startswith("id_")
        and c != "id_keys"
        and not c.endswith(ID_SUFFIXES)
    ]


def _merge_keys(
    parts: list[tuple[np.ndarray, list[str], list[str | None]]], rows: int
) -> np.ndarray:
    """Per row, the sorted union of the space-joined keys of every identifier column.

    Args:
        parts: Per identifier column: the code per row, the keys per distinct value, and
            per distinct value the keys' sorted distinct words when they differ from the keys.
    """
    if not parts:
        return np.full(rows, "", dtype=object)
    if len(parts) == 1:
        column = _spread(parts[0][0], parts[0][1])
        return np.where(pd.isna(column), "", column)
    merged = np.full(rows, "", dtype=object)
    count = np.zeros(rows, dtype=np.int64)
    present = []
    for codes, keys, _ in parts:
        present.append(np.array([bool(k) for k in keys] + [False])[codes])
        count += present[-1]
    for (codes, keys, alone), has in zip(parts, present, strict=True):
        single = has & (count == 1)  # the usual case: one identifier with keys
        words = [k if a is None else a for k, a in zip(keys, alone, strict=True)]
        merged[single] = _spread(codes[single], words)
    for row in np.flatnonzero(count > 1).tolist():
        found = {w for codes, keys, _ in parts if (c := codes[row]) >= 0 for w in keys[c].split()}
        merged[row] = " ".join(sorted(found))
    return merged


@dataclass
class StoredFeatures:
    """What a previous run standardised: its standardised column names, a reader of those
    columns (rows in that run's order), and per record now whether its raw values hash as in
    that run (``unchanged``) and its row there (``old_rows``, -1 for a new record)."""

    columns: list[str]
    read: Callable[[list[str]], pd.DataFrame]
    unchanged: np.ndarray
    old_rows: np.ndarray


def build_features(
    records: pd.DataFrame,
    *,
    default_region: str | None = None,
    workers: int | None = None,
    previous: StoredFeatures | None = None,
) -> pd.DataFrame:
    """Add standardised columns to the canonical records table.

    Args:
        records: Columns ``uid``, ``source``, ``record_id``, any canonical raw fields and
            identifier columns ``id_<scheme>`` (scheme may be ``auto``).
        default_region: ISO alpha-2 region for phone numbers of records without a country.
        workers: Processes for the per-value work (see :func:`worker_count`: default the
            ``LINKAGE_WORKERS`` environment variable, else ``min(2, CPUs)``). The pool is used
            only where fork is available and with at least ``MIN_PARALLEL_VALUES`` distinct
            values; the result does not depend on it.
        previous: A previous run's standardised columns: each standardised value is a function
            of its own record's raw values, so unchanged records keep theirs and only the new
            and changed ones are standardised (the same table).

    Returns:
        A new frame, same rows and order, input columns untouched, plus ``name_norm``,
        ``name_tokens``, ``name_latin``, ``legal_form_code``, ``is_branch``, ``branch_place``,
        ``name_place``, ``name_core`` and ``name_generic`` (the trade name romanised and the
        industry words in English, see :mod:`linkage.standardize.distinctive`), ``name_head``
        (``name_core``, or without one the most specific place the name states), ``name_unit``,
        ``name_parent`` (a sub-unit's key and its parent's ``name_norm``),
        ``name_place_path`` (the Latin path of the most specific place), ``name_syllables``
        (adjacent pinyin syllable pairs, :mod:`linkage.standardize.syllables`), ``address_norm``,
        ``address_numbers``, ``postcode_norm``, ``phone_e164``, ``email_norm``,
        ``domain``, per identifier column ``id_<scheme>_norm``/``_valid``/``_scheme``/
        ``_problem``, and ``id_keys`` (sorted, space-joined crosswalk keys; "" when none).
        Missing values stay missing (None); blank strings count as missing.
    """
    if previous is not None:
        return _with_stored(records, previous, default_region, workers)
    workers = worker_count(workers)
    with gc_paused():
        try:
            return _build(records, default_region, workers)
        finally:
            _forget_values()


def _with_stored(
    records: pd.DataFrame,
    previous: StoredFeatures,
    default_region: str | None,
    workers: int | None,
) -> pd.DataFrame:
    """The features table from the stored columns of unchanged records and fresh ones."""
    columns = previous.columns
    fresh_rows = np.flatnonzero(~previous.unchanged)
    stored = previous.read(columns)
    # per record its row in ``combined``: the stored row, or a fresh one after them
    position = np.where(previous.unchanged, previous.old_rows, -1).astype(np.int64)
    combined = stored
    if len(fresh_rows):
        fresh = build_features(
            records.iloc[fresh_rows], default_region=default_region, workers=workers
        )
        fresh_columns = [c for c in fresh.columns if c not in records.columns]
        if fresh_columns != columns:
            raise RuntimeError(
                f"standardised columns differ from the previous run's: {fresh_columns} vs {columns}"
            )
        position[fresh_rows] = len(stored) + np.arange(len(fresh_rows))
        combined = pd.concat([stored, fresh[columns]], ignore_index=True)
        del stored, fresh  # their copies in combined
    standard = combined.take(position)
    del combined
    standard.index = records.index
    return pd.concat([records, standard], axis=1)


def _forget_values() -> None:
    """Empty the normalisers' memo caches once a table is done.

    Each distinct value of a table is standardised once, so the caches do nothing more for it,
    but they would keep up to 65k raw values and results each alive for the whole run (about
    0.2 GB at 907k records).
    """
    for normaliser in (
        normalize_name,
        analyse_latin_name,
        normalize_address,
        normalize_phone,
        registrable_domain,
        parse_identifier,
        romanise,
    ):
        normaliser.cache_clear()


def _build(records: pd.DataFrame, default_region: str | None, workers: int) -> pd.DataFrame:
    countries = _Distinct(records, "country")
    country_codes = [country_code(t) for t in countries.texts] + [None]
    country_rows, country_values = _context(countries, country_codes)
    region_rows, region_values = _context(countries, [c or default_region for c in country_codes])
    names = _Distinct(records, "name")
    name_codes, name_items = names.with_context(country_rows, country_values)
    addresses = _Distinct(records, "address")
    postcode_codes, postcode_items = _Distinct(records, "postcode").with_context(
        country_rows, country_values
    )
    phone_codes, phone_items = _Distinct(records, "phone").with_context(region_rows, region_values)
    emails, websites, forms = (_Distinct(records, c) for c in ("email", "website", "legal_form"))
    id_columns = _identifier_columns(records)
    id_values = [_Distinct(records, c) for c in id_columns]
    id_batches = [_batch_codes(c[3:], v.texts) for c, v in zip(id_columns, id_values, strict=True)]
    tasks = [
        Task(_name_item, name_items, len(NAME_COLUMNS) + 1),
        Task(_address_item, addresses.texts, 2),
        Task(_postcode_item, postcode_items, 1),
        Task(_phone_item, phone_items, 1),
        Task(_email_item, emails.texts, 2),
        Task(_website_item, websites.texts, 1),
        Task(_legal_form_item, forms.texts, 1),
        *(
            Task(_identifier_item(c[3:]), rest, 6)
            for c, (_, _, rest) in zip(id_columns, id_batches, strict=True)
        ),
    ]
    done = run_tasks(tasks, workers)
    done[7:] = [_merged(batch, parts) for batch, parts in zip(id_batches, done[7:], strict=True)]
    name_parts, address_parts, (postcodes,), (phones,), email_parts, (domains,), (codes,) = done[:7]

    *name_parts, towns = name_parts
    new = {c: _spread(name_codes, v) for c, v in zip(NAME_COLUMNS, name_parts, strict=True)}
    # the trade name, or for a name without one the most specific place it states (虎丘,
    # Huqiu Town; 吴江市, Wujiangshi): the one part both scripts read alike either way
    cores = name_parts[NAME_COLUMNS.index("name_core")]
    heads = [core or town for core, town in zip(cores, towns, strict=True)]
    new["name_head"] = _spread(name_codes, heads)
    new["is_branch"] = new["is_branch"].astype(bool)
    raw_forms = _spread(forms.codes, codes)
    new["legal_form_code"] = np.where(pd.isna(raw_forms), new["legal_form_code"], raw_forms)
    new["address_norm"] = _spread(addresses.codes, address_parts[0])
    for column in (
        "name_core",
        "name_head",
        "name_generic",
        "name_unit",
        "name_parent",
        "name_place_path",
        "name_syllables",
    ):
        new[column] = new.pop(column)
    new["address_numbers"] = _spread(addresses.codes, address_parts[1])
    new["postcode_norm"] = _spread(postcode_codes, postcodes)
    new["phone_e164"] = _spread(phone_codes, phones)
    new["email_norm"] = _spread(emails.codes, email_parts[0])
    website_domains = _spread(websites.codes, domains)
    email_domains = _spread(emails.codes, email_parts[1])
    new["domain"] = np.where(pd.isna(website_domains), email_domains, website_domains)
    key_parts = []
    for column, values, parts in zip(id_columns, id_values, done[7:], strict=True):
        norm, valid, scheme, problem = (_spread(values.codes, p) for p in parts[:4])
        new[f"{column}_norm"] = norm
        new[f"{column}_valid"] = valid.astype(bool)
        new[f"{column}_scheme"] = scheme
        new[f"{column}_problem"] = problem
        key_parts.append((values.codes, parts[4], parts[5]))
    new["id_keys"] = _merge_keys(key_parts, len(records))
    frame = pd.DataFrame(new, index=records.index)
    return pd.concat([records, frame], axis=1)
