"""The store: a DuckDB file holding what must outlive a run.

Tables:

- ``runs``: one row per run (``run_id``, time, config hash, counts and manifest as JSON).
- ``entities``: every entity id ever issued, with ``first_run``, ``last_run``, ``retired_run``,
  member count and name. Ids are never reused.
- ``memberships``: record uid -> entity id with history (``valid_from_run``, ``valid_to_run``;
  the current row has ``valid_to_run`` NULL). Nothing is deleted.
- ``judgements``: reviewer verdicts (``same``, ``different``, ``unsure``) on record pairs, with
  who, when and a note; the latest per pair wins; nothing is deleted.
- ``lineage``: per run, ``new``, ``merge`` (an entity absorbed another's members), ``split``
  (a new entity took members of an existing one) and ``retired`` events.

What an incremental run reuses is not in the store but in a folder beside it
(:func:`linkage.run_state.cache_dir`).

Every write of a run happens in one transaction: a failure leaves the previous state intact.
One process holds the store at a time (:func:`store_lock`: a run from reading the previous run's
ids to recording its own, or a judgement); another waits, or stops with :class:`StoreBusyError`.

Stable ids (``assign_stable_ids``): each new cluster takes the id of the previous entity it shares
most members with (ties by previous id, then cluster); each previous id goes to one cluster at most;
clusters left over get an id derived from their smallest member uid (salted if that id was ever
issued before), so ids never depend on input row order.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from filelock import FileLock, Timeout

from linkage.clustering import Verdict, entity_id_for
from linkage.errors import StoreBusyError, UsageError

VERDICTS = tuple(v.value for v in Verdict)

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS runs (
        run_id INTEGER, created_at TIMESTAMP, config_sha256 VARCHAR, incremental BOOLEAN,
        counts VARCHAR, manifest VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS entities (
        entity_id VARCHAR, first_run INTEGER, last_run INTEGER, retired_run INTEGER,
        member_count INTEGER, name VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS memberships (
        uid VARCHAR, entity_id VARCHAR, valid_from_run INTEGER, valid_to_run INTEGER)""",
    """CREATE TABLE IF NOT EXISTS judgements (
        seq INTEGER, uid_a VARCHAR, uid_b VARCHAR, verdict VARCHAR, note VARCHAR,
        judged_by VARCHAR, judged_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS lineage (
        run_id INTEGER, event VARCHAR, entity_id VARCHAR, related_entity_id VARCHAR,
        members INTEGER)""",
)


@dataclass
class IdAssignment:
    """Stable ids for a run's clusters.

    Attributes:
        mapping: cluster key (the derived ``entity_id`` clustering gave) -> stable entity id.
        lineage: ``event, entity_id, related_entity_id, members`` rows for this run.
        ids: per row of the memberships given, its stable id (``mapping`` of its key; NaN
            for a missing key), when :func:`assign_stable_ids` made it.
    """

    mapping: dict[str, str]
    lineage: pd.DataFrame
    ids: np.ndarray | None = None


def assign_stable_ids(
    memberships: pd.DataFrame, previous: pd.DataFrame, issued: Collection[str]
) -> IdAssignment:
    """Map each cluster to the previous entity with the largest member overlap.

    A cluster whose members are exactly those of a previous entity keeps its id and makes no
    lineage event: their overlap is the only one either has, so it comes first for both in
    the order below whatever the other overlaps; and its id is taken. Those are found with a
    few array passes; the overlaps are counted only for the other clusters and previous
    entities, which share no member with them (an incremental run changes a few entities).

    Args:
        memberships: this run's ``uid, entity_id`` (entity_id = the cluster's derived key).
        previous: the store's current ``uid, entity_id``.
        issued: every entity id ever issued (new ids must avoid them).
    """
    uids = memberships["uid"].to_numpy(dtype=object)
    cluster_codes, cluster_keys = pd.factorize(memberships["entity_id"].to_numpy(dtype=object))
    previous_codes, previous_ids = pd.factorize(previous["entity_id"].to_numpy(dtype=object))
    k, p = len(cluster_keys), len(previous_ids)
    at = pd.Index(previous["uid"].to_numpy(dtype=object)).get_indexer(uids)
    # per cluster: the previous entity all its members were in (-1: none or several) ...
    was = np.append(previous_codes, -1)[at]  # -1: a new record
    low = np.full(k, p, dtype=np.int64)
    high = np.full(k, -1, dtype=np.int64)
    np.minimum.at(low, cluster_codes, was)
    np.maximum.at(high, cluster_codes, was)
    # ... which had no other member
    previous_size = np.bincount(previous_codes, minlength=p)
    size = np.bincount(cluster_codes, minlength=k)
    same = (low == high) & (low >= 0)
    same &= np.append(previous_size, 0)[np.where(same, low, -1)] == size
    if len(at) and np.bincount(at[at >= 0], minlength=1).max(initial=0) > 1:
        same[:] = False  # a uid twice in this run: its clusters are no sets of members
    kept = np.zeros(p, dtype=bool)
    kept[low[same]] = True
    rest = _assign_by_overlap(
        memberships[~same[cluster_codes]],
        previous[~kept[previous_codes]],
        issued,
        set(np.asarray(previous_ids, dtype=object)[kept].tolist()),
    )
    keys = np.asarray(cluster_keys, dtype=object)[same].tolist()
    identity = np.asarray(previous_ids, dtype=object)[low[same]].tolist()
    mapping = dict(zip(keys, identity, strict=True))
    mapping.update(rest.mapping)
    # per row: the stable id of its cluster, looked up once per cluster
    keys = np.asarray(cluster_keys, dtype=object).tolist()
    ids = np.array([*(mapping[key] for key in keys), np.nan], dtype=object)[cluster_codes]
    return IdAssignment(mapping, rest.lineage, ids)


def _assign_by_overlap(
    memberships: pd.DataFrame, previous: pd.DataFrame, issued: Collection[str], taken: set[str]
) -> IdAssignment:
    """:func:`assign_stable_ids` counting every overlap; ``taken``: ids kept by clusters not
    given here (new ids avoid them too)."""
    # clusters and previous entities as integer codes in the order of their keys, so that
    # every sort below is an integer sort with the string tie-breaks of the contract
    uids = memberships["uid"].to_numpy(dtype=object)
    cluster_codes, cluster_keys = pd.factorize(
        memberships["entity_id"].to_numpy(dtype=object), sort=True
    )
    cluster_keys = np.asarray(cluster_keys, dtype=object)
    k = len(cluster_keys)
    size = np.bincount(cluster_codes, minlength=k)
    # smallest uid per cluster
    by_uid = np.argsort(uids, kind="stable")
    _, first_at = np.unique(cluster_codes[by_uid], return_index=True)
    first_uid = uids[by_uid[first_at]] if k else uids[:0]
    previous_codes, previous_ids = pd.factorize(
        previous["entity_id"].to_numpy(dtype=object), sort=True
    )
    previous_ids = np.asarray(previous_ids, dtype=object)
    at = pd.Index(previous["uid"].to_numpy(dtype=object)).get_indexer(uids)
    both = at >= 0
    pair = (
        cluster_codes[both].astype(np.int64) * max(len(previous_ids), 1) + previous_codes[at[both]]
    )
    pair_codes, pairs = pd.factorize(pair)
    overlap_n = np.bincount(pair_codes, minlength=len(pairs))
    overlap_cluster = pairs // max(len(previous_ids), 1)
    overlap_previous = pairs % max(len(previous_ids), 1)
    # largest overlap first, ties by previous id, then cluster
    order = np.lexsort((overlap_cluster, overlap_previous, -overlap_n))
    overlap_n, overlap_cluster, overlap_previous = (
        overlap_n[order],
        overlap_cluster[order],
        overlap_previous[order],
    )
    mapped = np.full(k, -1, dtype=np.int64)  # cluster code -> previous code it inherits
    taken_codes = np.zeros(len(previous_ids), dtype=bool)
    for c, p in zip(overlap_cluster.tolist(), overlap_previous.tolist(), strict=True):
        if mapped[c] < 0 and not taken_codes[p]:
            mapped[c] = p
            taken_codes[p] = True
    inheriting = np.flatnonzero(mapped >= 0)
    mapping: dict[str, str] = dict(
        zip(
            cluster_keys[inheriting].tolist(),
            previous_ids[mapped[inheriting]].tolist(),
            strict=True,
        )
    )
    sizes = pd.Series(size, index=pd.Index(cluster_keys, dtype=object))
    overlap = pd.DataFrame(
        {
            "cluster": cluster_keys[overlap_cluster],
            "entity_id": previous_ids[overlap_previous],
            "n": overlap_n.astype(np.int64),
        }
    )
    inherited = set(mapping)
    used = set(previous_ids[taken_codes].tolist())  # with taken and issued: ids to avoid
    newcomers = mapped < 0  # clusters in key order
    mapping.update(
        _new_ids(
            cluster_keys[newcomers].tolist(), first_uid[newcomers].tolist(), used, taken, issued
        )
    )
    events = []
    overlap["final"] = overlap["cluster"].map(mapping)
    moved = overlap[overlap["final"] != overlap["entity_id"]]
    inherits = moved["cluster"].isin(inherited)
    events.append(
        pd.DataFrame(
            {
                "event": np.where(inherits, "merge", "split"),
                "entity_id": moved["final"],
                "related_entity_id": moved["entity_id"],
                "members": moved["n"],
            }
        )
    )
    fresh = cluster_keys[np.bincount(overlap_cluster, minlength=k) == 0].tolist()  # key order
    events.append(
        pd.DataFrame(
            {
                "event": "new",
                "entity_id": [mapping[c] for c in fresh],
                "related_entity_id": pd.Series([None] * len(fresh), dtype=object),
                "members": sizes.reindex(fresh).to_numpy(dtype=np.int64),
            }
        )
    )
    gone = sorted(set(previous["entity_id"]) - set(previous_ids[taken_codes].tolist()))
    events.append(
        pd.DataFrame(
            {
                "event": "retired",
                "entity_id": gone,
                "related_entity_id": pd.Series([None] * len(gone), dtype=object),
                "members": 0,
            }
        )
    )
    empty = pd.DataFrame(
        {c: pd.Series(dtype=object) for c in ("event", "entity_id", "related_entity_id")}
    ).assign(members=pd.Series(dtype=np.int64))
    lineage = pd.concat([empty, *(e for e in events if len(e))], ignore_index=True)
    lineage["members"] = lineage["members"].astype(np.int64)
    lineage = lineage.sort_values(
        ["event", "entity_id", "related_entity_id"], kind="stable", na_position="first"
    ).reset_index(drop=True)
    return IdAssignment(mapping, lineage)


def _new_ids(
    keys: list[str], uids: list[Any], used: set[str], taken: set[str], issued: Collection[str]
) -> dict[str, str]:
    """New entity ids for clusters (``keys`` in order, each with its smallest member uid): the
    uid's derived id, salted (``uid#1``, ...) while it clashes with one used, taken, issued or
    given to an earlier cluster. Clashes are rare: first all at once, one by one if any."""
    candidates = [entity_id_for(str(uid)) for uid in uids]
    if len(set(candidates)) == len(candidates) and not any(
        c in used or c in taken or c in issued for c in candidates
    ):
        return dict(zip(keys, candidates, strict=True))
    given: dict[str, str] = {}
    used = set(used)
    for key, uid in zip(keys, uids, strict=True):
        candidate, salt = entity_id_for(str(uid)), 0
        while candidate in used or candidate in taken or candidate in issued:
            salt += 1
            candidate = entity_id_for(f"{uid}#{salt}")
        given[key] = candidate
        used.add(candidate)
    return given


def lock_path(path: str | Path) -> Path:
    """The lock file beside a store (``<store>.lock``)."""
    return Path(f"{path}.lock")


@contextmanager
def store_lock(path: str | Path, *, wait: float = 0.0, purpose: str = "a run") -> Iterator[None]:
    """Hold the store ``path`` for this process (an OS lock on :func:`lock_path`, released when
    the process ends, however it ends): wait up to ``wait`` seconds for another holder, then
    raise :class:`StoreBusyError` saying who holds it. ``purpose`` is what other processes
    are told this one does."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path(path)), timeout=max(float(wait), 0.0))
    holder = Path(f"{path}.holder.json")  # beside the lock, which a contender may truncate
    try:
        lock.acquire()
    except Timeout:
        raise StoreBusyError(
            f"the store {path} is busy: {_holder(holder)}. Retry when it is done, or wait for "
            "it (--wait SECONDS)"
        ) from None
    try:
        since = datetime.now(UTC).isoformat(timespec="seconds")
        about = {"pid": os.getpid(), "purpose": purpose, "since": since, "argv": sys.argv}
        holder.write_text(json.dumps(about), encoding="utf-8")
        yield
    finally:
        holder.unlink(missing_ok=True)
        lock.release()


def _holder(path: Path) -> str:
    """Who holds a store, as its holder file says."""
    try:
        about = json.loads(path.read_text(encoding="utf-8"))
        return f"process {about['pid']} holds it for {about['purpose']} since {about['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process holds it"


class Store:
    """A linkage store in one DuckDB file (created on first use).

    Use as a context manager, or call ``close()``.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(self.path))
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            raise StoreBusyError(
                f"the store {self.path} is open in another process ({error}); retry when it is done"
            ) from None
        for statement in _SCHEMA:
            self.con.execute(statement)

    def close(self) -> None:
        """Close the database file."""
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """BEGIN ... COMMIT; ROLLBACK and re-raise on any error."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    # -- reading ----------------------------------------------------------------------------

    def last_run_id(self) -> int:
        """The id of the latest run, 0 when none."""
        row = self.con.execute("SELECT coalesce(max(run_id), 0) FROM runs").fetchone()
        return int(row[0]) if row else 0

    def current_memberships(self) -> pd.DataFrame:
        """``uid, entity_id`` of the latest run (rows still valid)."""
        return self.con.execute(
            "SELECT uid, entity_id FROM memberships WHERE valid_to_run IS NULL ORDER BY uid"
        ).df()

    def membership_history(self, uid: str | None = None) -> pd.DataFrame:
        """Every membership row (of one uid when given), oldest first."""
        where, params = ("WHERE uid = ?", [uid]) if uid is not None else ("", [])
        return self.con.execute(
            f"SELECT * FROM memberships {where} ORDER BY uid, valid_from_run", params
        ).df()

    def issued_ids(self) -> set[str]:
        """Every entity id ever issued by this store."""
        return set(self.con.sql("SELECT entity_id FROM entities").to_arrow_table()[0].to_pylist())

    def entities(self, *, include_retired: bool = False) -> pd.DataFrame:
        """The entities table (live ones unless ``include_retired``)."""
        where = "" if include_retired else "WHERE retired_run IS NULL"
        return self.con.execute(f"SELECT * FROM entities {where} ORDER BY entity_id").df()

    def lineage(self, run_id: int | None = None) -> pd.DataFrame:
        """Lineage events (of one run when given)."""
        where, params = ("WHERE run_id = ?", [run_id]) if run_id is not None else ("", [])
        return self.con.execute(
            f"SELECT * FROM lineage {where} ORDER BY run_id, event, entity_id", params
        ).df()

    def runs(self) -> pd.DataFrame:
        """One row per run."""
        return self.con.execute("SELECT * FROM runs ORDER BY run_id").df()

    def judgements(self, *, latest: bool = False) -> pd.DataFrame:
        """Judgements in the order they were made (only the latest per pair if ``latest``)."""
        frame = self.con.execute(
            "SELECT seq, uid_a, uid_b, verdict, note, judged_by, judged_at FROM judgements "
            "ORDER BY seq"
        ).df()
        if latest:
            frame = frame.drop_duplicates(["uid_a", "uid_b"], keep="last").reset_index(drop=True)
        return frame

    # -- writing ----------------------------------------------------------------------------

    def judge(
        self,
        uid_a: str,
        uid_b: str,
        verdict: Verdict | str,
        *,
        note: str = "",
        by: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Record a reviewer's verdict on a record pair (latest wins; nothing is deleted)."""
        row = {"uid_a": uid_a, "uid_b": uid_b, "verdict": verdict, "note": note}
        self.judge_many(pd.DataFrame([{**row, "judged_by": by, "judged_at": at}]))

    def judge_many(self, answers: pd.DataFrame, *, by: str | None = None) -> int:
        """Record many verdicts in one transaction (all or none), in the frame's order.

        ``answers`` has ``uid_a, uid_b, verdict`` and optionally ``note``, ``judged_by`` and
        ``judged_at``; an empty one takes ``by`` (default: the OS user), or now. Returns the
        number recorded.
        """
        rows = []
        now = datetime.now(UTC).replace(tzinfo=None)
        for answer in answers.to_dict(orient="records"):
            verdict, uid_a, uid_b = answer["verdict"], str(answer["uid_a"]), str(answer["uid_b"])
            if verdict not in VERDICTS:
                raise UsageError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
            if uid_a == uid_b:
                raise UsageError(f"a judgement needs two different records, got {uid_a!r} twice")
            at = answer.get("judged_at")
            at = now if at is None or pd.isna(at) else pd.Timestamp(at).to_pydatetime()
            if at.tzinfo is not None:
                at = at.astimezone(UTC).replace(tzinfo=None)
            note, who = answer.get("note"), answer.get("judged_by")
            rows.append([
                *sorted((uid_a, uid_b)),
                Verdict(verdict).value,
                "" if note is None or pd.isna(note) else str(note),
                who if isinstance(who, str) and who else by or _os_user(),
                at,
            ])  # fmt: skip
        with self.transaction() as con:
            row = con.execute("SELECT coalesce(max(seq), 0) FROM judgements").fetchone()
            first = int(row[0]) if row else 0
            numbered = [[first + i, *r] for i, r in enumerate(rows, start=1)]
            if numbered:
                con.executemany("INSERT INTO judgements VALUES (?, ?, ?, ?, ?, ?, ?)", numbered)
        return len(rows)

    def assign_ids(self, memberships: pd.DataFrame) -> IdAssignment:
        """Stable ids for this run's clusters against the store's current state (read only)."""
        # the current memberships in no particular order (assign_stable_ids needs none),
        # through Arrow rather than a pandas fetch
        table = self.con.sql(
            "SELECT uid, entity_id FROM memberships WHERE valid_to_run IS NULL"
        ).to_arrow_table()
        previous = pd.DataFrame(
            {name: table[name].to_numpy(zero_copy_only=False) for name in ("uid", "entity_id")}
        )
        return assign_stable_ids(memberships, previous, self.issued_ids())

    def record_run(
        self,
        memberships: pd.DataFrame,
        entities: pd.DataFrame,
        lineage: pd.DataFrame,
        manifest: dict[str, Any],
        *,
        incremental: bool = False,
    ) -> int:
        """Write a run in one transaction; return its run id.

        Args:
            memberships: final ``uid, entity_id`` (stable ids).
            entities: final entities (``entity_id``, ``member_count``, ``name`` when present).
            lineage: ``assign_ids(...).lineage``.
            manifest: the run manifest (its ``counts`` are kept in a column of their own).
            incremental: whether the run was incremental.
        """
        run_id = self.last_run_id() + 1
        names = entities["name"] if "name" in entities else pd.Series([None] * len(entities))
        current = pd.DataFrame(
            {"uid": memberships["uid"].astype(str), "entity_id": memberships["entity_id"]}
        )
        live = pd.DataFrame(
            {
                "entity_id": entities["entity_id"].astype(str).to_numpy(),
                "member_count": entities["member_count"].to_numpy(dtype=np.int64)
                if "member_count" in entities
                else np.ones(len(entities), dtype=np.int64),
                "name": names.astype(object).where(names.notna(), None).to_numpy(),
            }
        )
        events = lineage.assign(run_id=run_id)[
            ["run_id", "event", "entity_id", "related_entity_id", "members"]
        ]
        with self.transaction() as con:
            con.register("new_members", current)
            con.register("live_entities", live)
            con.register("new_lineage", events)
            self._write_memberships(con, run_id)
            con.execute(
                "UPDATE entities SET retired_run = ? WHERE retired_run IS NULL AND entity_id "
                "NOT IN (SELECT entity_id FROM live_entities)",
                [run_id],
            )
            con.execute(
                "UPDATE entities SET last_run = ?, member_count = l.member_count, name = l.name "
                "FROM live_entities l WHERE entities.entity_id = l.entity_id",
                [run_id],
            )
            con.execute(
                "INSERT INTO entities SELECT l.entity_id, ?, ?, NULL, l.member_count, l.name "
                "FROM live_entities l WHERE l.entity_id NOT IN (SELECT entity_id FROM entities)",
                [run_id, run_id],
            )
            self._write_lineage(con)
            con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    datetime.now(UTC).replace(tzinfo=None),
                    manifest.get("config_sha256"),
                    incremental,
                    json.dumps(manifest.get("counts", {}), sort_keys=True, default=str),
                    json.dumps(manifest, sort_keys=True, ensure_ascii=False, default=str),
                ],
            )
            for view in ("new_members", "live_entities", "new_lineage"):
                con.unregister(view)
        return run_id

    def _write_memberships(self, con: duckdb.DuckDBPyConnection, run_id: int) -> None:
        """Close the current memberships that ``new_members`` does not hold and add those it
        holds that are not current: only the changes are written. One join of the two finds
        both (a current row and a new one that do not match; NULLs match nothing)."""
        con.execute(
            "CREATE OR REPLACE TEMP TABLE membership_changes AS "
            "SELECT o.rid, m.uid, m.entity_id, m.present "
            "FROM (SELECT rowid AS rid, uid, entity_id FROM memberships "
            "WHERE valid_to_run IS NULL) o "
            "FULL OUTER JOIN (SELECT uid, entity_id, true AS present FROM new_members) m "
            "ON o.uid = m.uid AND o.entity_id = m.entity_id "
            "WHERE o.rid IS NULL OR m.present IS NULL"
        )
        con.execute(
            "UPDATE memberships SET valid_to_run = ? "
            "WHERE rowid IN (SELECT rid FROM membership_changes WHERE rid IS NOT NULL)",
            [run_id],
        )
        con.execute(
            "INSERT INTO memberships SELECT uid, entity_id, ?, NULL FROM membership_changes "
            "WHERE present",
            [run_id],
        )
        con.execute("DROP TABLE membership_changes")

    def _write_lineage(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute("INSERT INTO lineage SELECT * FROM new_lineage")

    def table(self, name: str) -> pd.DataFrame | None:
        """A whole table by name, or None when it does not exist."""
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()
        if not exists or not exists[0]:
            return None
        return self.con.execute(f'SELECT * FROM "{name}"').df()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "unknown"
