"""What a generated registry is (its config entry and rows) and the helpers profiles share."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from linkage.datasets.entities import BRANCH, Entities
from linkage.datasets.identifiers import zero_pad


@dataclass(frozen=True)
class RegistrySpec:
    """One ``[[sources]]`` entry of the generated config; field names follow the config contract."""

    name: str
    path: str
    id: str
    priority: int
    unique: bool
    fields: dict[str, str]
    identifiers: dict[str, str] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    delimiter: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class RegistryTable:
    """A generated registry: its spec, its rows, and the true entity index of every row."""

    spec: RegistrySpec
    frame: pd.DataFrame
    entity: np.ndarray


def select(
    ents: Entities,
    rng: np.random.Generator,
    *,
    cn: float,
    foreign: float,
    branch: float | None = None,
    allow: np.ndarray | None = None,
) -> np.ndarray:
    """Entities a registry covers: independent draws with a coverage rate per kind of firm."""
    c = ents.cols
    p = np.where(c["country"] >= 0, foreign, cn)
    p = np.where(c["role"] == BRANCH, cn if branch is None else branch, p)
    hit = rng.random(ents.n) < p
    if allow is not None:
        hit &= allow
    return np.flatnonzero(hit)


def with_duplicates(rows: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Repeat a ``rate`` share of rows (a registry listing the same firm twice)."""
    return np.concatenate([rows, rows[rng.random(len(rows)) < rate]])


def shuffled(rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rows in random order, so that file order reveals nothing about entities."""
    return rows[rng.permutation(len(rows))]


def record_ids(rng: np.random.Generator, n: int, prefix: str, width: int) -> np.ndarray:
    """``n`` distinct record ids ``<prefix><zero-padded number>`` in random order."""
    stride = max(1, (10**width // 2) // max(n, 1))  # one random number per bucket: distinct
    numbers = 10**width // 2 + rng.permutation(n) * stride + rng.integers(0, stride, n)
    return (prefix + zero_pad(numbers, width)).astype(object)


def draw(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """A boolean mask with ``rate`` share of True."""
    return rng.random(n) < rate


def variants(
    rng: np.random.Generator, n: int, base: int, rate: float, others: tuple[int, ...]
) -> np.ndarray:
    """Per-row layout codes: ``base`` except a ``rate`` share drawn uniformly from ``others``."""
    alt = np.asarray(others)[rng.integers(0, len(others), n)]
    return np.where(draw(rng, n, rate), alt, base)
