"""Difficulty levels and the value-level noise the generator applies to registry columns.

Noise functions take an object array and return a new one; they touch only the rows their rate
selects, so the Python work scales with the noise, not with the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Difficulty = Literal["easy", "medium", "hard"]


@dataclass(frozen=True)
class Noise:
    """Rates of the phenomena that make linkage hard; ``difficulty`` scales all of them.

    Attributes:
        typo: share of names and addresses with one typing error.
        missing: share of optional values left empty.
        id_mistype: share of identifiers with one wrong character (invalid check character).
        variant: share of names written in a non-canonical variant of the registry's habit.
        renamed: share of firms renamed; the old name survives in older registries.
        moved: share of firms that moved; older registries keep the old address.
        hard_negative: share of entities that are branches, namesakes or subsidiaries.
        agent: share of firms registered at a registered-agent address.
        duplicate: share of extra duplicate rows in registries declared ``unique = false``.
    """

    typo: float
    missing: float
    id_mistype: float
    variant: float
    renamed: float
    moved: float
    hard_negative: float
    agent: float
    duplicate: float


NOISE: dict[str, Noise] = {
    "easy": Noise(0.01, 0.03, 0.005, 0.15, 0.02, 0.05, 0.05, 0.01, 0.03),
    "medium": Noise(0.04, 0.08, 0.02, 0.35, 0.05, 0.12, 0.12, 0.03, 0.06),
    "hard": Noise(0.10, 0.15, 0.05, 0.6, 0.10, 0.25, 0.25, 0.06, 0.12),
}

_LATIN = "abcdefghijklmnopqrstuvwxyz"
_HANZI_TYPO = "华化信兴金今达大鑫新源元恒亨泰太瑞锐丰风康宏洪盛胜隆龙安中海天星"


def typos(values: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """One substitution, deletion, insertion or transposition in a ``rate`` share of values.

    Hanzi strings get a look-alike or sound-alike character, Latin strings a letter.
    """
    out = values.copy()
    idx = np.flatnonzero(rng.random(len(out)) < rate)
    ops, pos_u, pick_u = rng.integers(0, 4, len(idx)), rng.random(len(idx)), rng.random(len(idx))
    for i, op, pu, ku in zip(idx, ops, pos_u, pick_u, strict=True):
        v = out[i]
        if not isinstance(v, str) or len(v) < 3:
            continue
        p = 1 + int(pu * (len(v) - 2))  # keep the first character: it anchors most blocking
        pool = _HANZI_TYPO if v[0] > "\u2e80" else _LATIN
        ch = pool[int(ku * len(pool))]
        if op == 0:
            out[i] = v[:p] + ch + v[p + 1 :]
        elif op == 1:
            out[i] = v[:p] + v[p + 1 :]
        elif op == 2:
            out[i] = v[:p] + ch + v[p:]
        else:
            out[i] = v[: p - 1] + v[p] + v[p - 1] + v[p + 1 :]
    return out


def blank(values: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Set a ``rate`` share of values to None (missing)."""
    out = values.copy()
    out[rng.random(len(out)) < rate] = None
    return out


def choose(rng: np.random.Generator, n: int, weights: tuple[float, ...]) -> np.ndarray:
    """Draw ``n`` category codes with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def where_many(codes: np.ndarray, options: list[np.ndarray]) -> np.ndarray:
    """Pick ``options[codes[i]][i]`` for every row: a vectorised switch over rendered variants."""
    out = np.empty(len(codes), dtype=object)
    for k, opt in enumerate(options):
        sel = codes == k
        out[sel] = opt[sel]
    return out
