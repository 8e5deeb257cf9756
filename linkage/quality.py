"""Data quality per source: what each source fills, and the values it holds that cannot be used
as declared (dates that do not match their format, identifiers that fail their checks).

A few bad values are the registries' own (a mistyped code); a large share means the config
declares something the data is not (a date format, the scheme of an identifier column), and
the run would link on nothing there. So above :data:`TOLERATED` of a field's values the run
stops, unless the user accepts the data as it is.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from linkage.errors import InputError, InputProblem
from linkage.sources import SourceTable

TOLERATED = 0.05
"""The share of a field's values that may be unusable before a run stops."""
MIN_BAD = 10
"""Fewer unusable values than this never stop a run (a share of a handful says little)."""


def data_quality(tables: list[SourceTable], features: pd.DataFrame) -> dict[str, Any]:
    """Per source: its records, how many fill each mapped field, and per date field and
    identifier column the values held and those unusable (identifiers by problem). Counted with
    one pass of ``bincount`` per column over the sources' codes: no copy of the features."""
    codes, names = pd.factorize(features["source"].astype(str))
    k = len(names)

    def per_source(mask: pd.Series) -> dict[str, int]:
        counts = np.bincount(codes, weights=mask.to_numpy(dtype=bool), minlength=k)
        return {str(name): int(count) for name, count in zip(names, counts, strict=True)}

    records = per_source(pd.Series(True, index=features.index))  # every row
    filled: dict[str, dict[str, int]] = {}  # per column, once for every source
    unparsed: dict[str, dict[str, int]] = {}

    def filled_by(column: str) -> dict[str, int]:
        if column not in filled:
            filled[column] = per_source(features[column].notna())
        return filled[column]

    out: dict[str, Any] = {}
    for table in tables:
        name = table.fingerprint.source
        fields = [c for c in table.records.columns if c not in ("uid", "source", "record_id")]
        dated = sorted(c[: -len("_date")] for c in fields if c.endswith("_date"))
        out[name] = {
            "records": records.get(name, 0),
            "filled": {
                c: filled_by(c).get(name, 0)
                for c in fields
                if c in features and not (c.endswith("_date") and c[:-5] in dated)
            },
            "dates": {},
        }
        for field in (f for f in dated if f in features):
            if field not in unparsed:
                dates = features[f"{field}_date"].isna().to_numpy()
                unparsed[field] = per_source(features[field].notna() & dates)
            out[name]["dates"][field] = {
                "values": filled_by(field).get(name, 0),
                "unusable": unparsed[field].get(name, 0),
            }
    identifiers = [c for c in features.columns if c.startswith("id_") and f"{c}_valid" in features]
    for column in identifiers:
        held = features[f"{column}_norm"].notna() | features[column].notna()
        invalid = held & ~features[f"{column}_valid"].fillna(False).astype(bool)
        held_counts, invalid_counts = per_source(held), per_source(invalid)
        rows = np.flatnonzero(invalid.to_numpy())
        kinds = features[f"{column}_problem"].iloc[rows].astype(str).map(_problem_kind)
        by_source = kinds.groupby(names.take(codes[rows])).value_counts()
        for source in names:
            if not held_counts[str(source)]:
                continue
            counted = by_source.get(source, pd.Series(dtype=int)).sort_index()
            out.setdefault(str(source), {}).setdefault("identifiers", {})[column[3:]] = {
                "values": held_counts[str(source)],
                "unusable": invalid_counts[str(source)],
                "problems": {str(k): int(v) for k, v in counted.items()},
            }
    return out


def _problem_kind(problem: str) -> str:
    """A problem without the value it quotes or the character it expected, so that problems
    count by kind (``check character should be 7`` and ``... be X`` are one)."""
    problem = re.sub(r",? got '.*'$", "", problem)
    return re.sub(r" should be \S+$", " is wrong", problem)


def quality_lines(quality: dict[str, Any]) -> list[str]:
    """One line per source that holds unusable values: what and how many."""
    lines = []
    for source, found in quality.items():
        parts = [
            f"{c['unusable']:,} of {c['values']:,} {name} dates do not match their format"
            for name, c in found.get("dates", {}).items()
            if c["unusable"]
        ]
        parts += [
            f"{c['unusable']:,} of {c['values']:,} {scheme} identifiers are invalid ("
            + ", ".join(f"{v:,} {k}" for k, v in _most(c["problems"]))
            + ")"
            for scheme, c in found.get("identifiers", {}).items()
            if c["unusable"]
        ]
        if parts:
            lines.append(f"{source}: " + "; ".join(parts))
    return lines


def _most(counts: dict[str, int], shown: int = 3) -> list[tuple[str, int]]:
    """The most frequent problems (ties by text), and how many others there are."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    rest = sum(v for _, v in ranked[shown:])
    return ranked[:shown] + ([("others", rest)] if rest else [])


def check_quality(quality: dict[str, Any]) -> None:
    """Raise :class:`InputError` when a field's unusable values pass :data:`TOLERATED`."""
    problems = []
    for source, found in quality.items():
        counted = [("date field", n, c) for n, c in found.get("dates", {}).items()]
        counted += [("identifier", n, c) for n, c in found.get("identifiers", {}).items()]
        for kind, name, c in counted:
            if c["unusable"] >= MIN_BAD and c["unusable"] > TOLERATED * c["values"]:
                share = c["unusable"] / max(c["values"], 1)
                problems.append(
                    InputProblem(
                        f"source {source}",
                        f"{c['unusable']:,} of {c['values']:,} values ({share:.0%}) of the "
                        f"{kind} {name!r} cannot be used as declared; check the config (its "
                        "format or scheme), or accept the data as it is "
                        "(--accept-data-warnings)",
                    )
                )
    if problems:
        raise InputError(problems)
