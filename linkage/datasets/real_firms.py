"""Real firms to build registries on: read a real Chinese registry, take its names apart, and
draw a sample that holds the hard cases of real data.

The registry is a CSV (or DataFrame) with the columns of the shared Jiangsu file
(``REGISTRY_COLUMNS``); one firm per USCC (a USCC listed twice keeps its first row by ``rid``).
The sample mixes whole groups of confusable firms with a random rest (``QUOTAS``):

- ``sub_units``: a parent and its sub-units (…支行, …分公司, …门市部, …加油站 of one parent);
- ``sisters``: firms of one city sharing a trade name in different industries;
- ``namesakes``: the same trade name, industry and form under different place prefixes;
- ``town``: many firms of one town or county, all with the same place prefix;
- ``random``: the rest, uniformly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from linkage.datasets.zh_anatomy import Anatomy, Gazetteer, parse
from linkage.errors import InputError, InputProblem

REGISTRY_COLUMNS = (
    "rid", "name", "uscc", "founded", "type", "representative", "capital", "region", "city",
    "address",
)  # fmt: skip
# Share of the sample drawn from each kind of hard case; the rest is drawn at random.
QUOTAS = {"sub_units": 0.25, "sisters": 0.15, "namesakes": 0.1, "town": 0.15}
# Most members taken from one group, so that one bank's 600 sub-branches do not fill a sample.
GROUP_CAPS = {"sub_units": 12, "sisters": 5, "namesakes": 5, "town": 20}
_MIN_TOWN = 8


@dataclass(frozen=True)
class FirmPool:
    """Every firm of a registry with its name's anatomy.

    Attributes:
        frame: one row per USCC, in ``rid`` order, index 0..n-1, all values text.
        anatomy: the parsed name of each row.
        gazetteer: the places learned from the registry's names and addresses.
    """

    frame: pd.DataFrame
    anatomy: list[Anatomy]
    gazetteer: Gazetteer


@dataclass(frozen=True)
class Firms:
    """The drawn firms: a slice of a pool, and which hard case drew each.

    Attributes:
        frame: the drawn rows of the pool, index 0..n-1.
        anatomy: their parsed names.
        case: per firm, the quota that drew it (``sub_units``, ``sisters``, … or ``random``).
        gazetteer: the pool's gazetteer.
    """

    frame: pd.DataFrame
    anatomy: list[Anatomy]
    case: np.ndarray
    gazetteer: Gazetteer

    @property
    def n(self) -> int:
        """Number of firms."""
        return len(self.frame)

    def column(self, name: str) -> np.ndarray:
        """A registry column as an object array."""
        return self.frame[name].to_numpy(dtype=object)

    @property
    def is_sub_unit(self) -> np.ndarray:
        """Whether each firm is a unit of a parent."""
        return np.array([a.is_sub_unit for a in self.anatomy], dtype=bool)


def read_registry(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """The registry as text columns, one row per USCC, sorted by ``rid``.

    Raises:
        InputError: the file is missing or lacks a column of ``REGISTRY_COLUMNS``.
    """
    if isinstance(source, pd.DataFrame):
        frame, where = source.copy(), "registry DataFrame"
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError([InputProblem(str(path), "no such file")])
        frame, where = pd.read_csv(path, dtype=str, keep_default_na=False), str(path)
    missing = [c for c in REGISTRY_COLUMNS if c not in frame.columns]
    if missing:
        need = ", ".join(REGISTRY_COLUMNS)
        problem = f"missing column(s) {', '.join(missing)}; the registry needs {need}"
        raise InputError([InputProblem(where, problem)])
    frame = frame[list(REGISTRY_COLUMNS)].fillna("").astype(str)
    frame = frame[frame["uscc"].str.len() == 18].sort_values("rid", kind="stable")
    return frame.drop_duplicates("uscc").reset_index(drop=True)


def firm_pool(source: str | Path | pd.DataFrame) -> FirmPool:
    """Read a registry, learn its places and parse every name."""
    frame = read_registry(source)
    names, addresses = frame["name"].tolist(), frame["address"].tolist()
    gaz = Gazetteer.learn(
        names + addresses, sorted(set(frame["city"])), min_count=2 if len(frame) >= 1000 else 1
    )
    return FirmPool(frame, [parse(n, gaz) for n in names], gaz)


def _groups(pool: FirmPool) -> dict[str, list[list[int]]]:
    """Candidate groups of each hard case, as lists of pool rows, in a fixed order."""
    city = pool.frame["city"].tolist()
    by: dict[str, dict[object, list[int]]] = {k: defaultdict(list) for k in QUOTAS}
    for i, a in enumerate(pool.anatomy):
        core = a.trade + "".join(a.industry) + a.form
        if a.is_sub_unit:
            by["sub_units"][a.parent].append(i)
            continue
        by["sub_units"][a.registered].append(i)  # the parent joins its units' group
        if len(a.trade) >= 2:
            by["sisters"][(city[i], a.trade)].append(i)
            by["namesakes"][core].append(i)
        if len(a.places) >= 2:
            by["town"]["".join(p.text for p in a.places)].append(i)
    keep: dict[str, Callable[[list[int]], bool]] = {
        "sub_units": lambda rows: len(rows) > 1 and any(pool.anatomy[r].tails for r in rows),
        "sisters": lambda rows: len({pool.anatomy[r].industry for r in rows}) > 1,
        "namesakes": lambda rows: len({pool.anatomy[r].places for r in rows}) > 1,
        "town": lambda rows: len(rows) >= _MIN_TOWN,
    }
    return {
        kind: [rows for key, rows in sorted(groups.items(), key=lambda kv: str(kv[0]))
               if keep[kind](rows)]
        for kind, groups in by.items()
    }  # fmt: skip


def draw_firms(pool: FirmPool, n: int, rng: np.random.Generator) -> Firms:
    """Draw ``n`` firms (all of them when the pool is smaller): whole groups of each hard
    case up to its quota (``QUOTAS``, at most ``GROUP_CAPS`` members per group), then a
    uniform random rest. Heads of sub-unit groups come first so a group keeps its parent."""
    total = len(pool.frame)
    n = min(n, total)
    case = np.full(total, "", dtype=object)
    taken = 0
    for kind, groups in _groups(pool).items():
        quota = round(QUOTAS[kind] * n)
        got = 0
        for g in rng.permutation(len(groups)):
            if got >= quota or taken >= n:
                break
            rows = rng.permutation([r for r in groups[g] if not case[r]]).astype(np.int64)
            if len(rows) < 2:
                continue
            units = np.array([bool(pool.anatomy[r].tails) for r in rows], dtype=bool)
            size = min(GROUP_CAPS[kind], quota - got, n - taken)
            pick = np.concatenate([rows[~units], rows[units]])[:size]
            if len(pick) < 2:
                continue
            case[pick] = kind
            got += len(pick)
            taken += len(pick)
    free = np.flatnonzero(case == "")
    case[rng.permutation(free)[: n - taken]] = "random"
    rows = np.flatnonzero(case != "")
    return Firms(
        frame=pool.frame.iloc[rows].reset_index(drop=True),
        anatomy=[pool.anatomy[r] for r in rows],
        case=case[rows].astype(str),
        gazetteer=pool.gazetteer,
    )
