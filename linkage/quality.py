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

import pandas as pd

from linkage.errors import InputError, InputProblem
from linkage.sources import SourceTable

TOLERATED = 0.05
"""The share of a field's values that may be unusable before a run stops."""
MIN_BAD = 10
"""Fewer unusable values than this never stop a run (a share of a handful says little)."""


def data_quality(tables: list[SourceTable], features: pd.DataFrame) -> dict[str, Any]:
    """Per source: its records, how many fill each mapped field, and per date field and
    identifier column the values held and those unusable (identifiers by problem). Counted by
    source over boolean columns: no copy of the features."""
    source = features["source"].astype(str)
    records = source.value_counts()
    out: dict[str, Any] = {}
    for table in tables:
        name = table.fingerprint.source
        fields = [c for c in table.records.columns if c not in ("uid", "source", "record_id")]
        dated = sorted(c[: -len("_date")] for c in fields if c.endswith("_date"))
        plain = [
            c for c in fields if c in features and not (c.endswith("_date") and c[:-5] in dated)
        ]
        mine = source == name
        out[name] = {
            "records": int(records.get(name, 0)),
            "filled": {c: int((features[c].notna() & mine).sum()) for c in plain},
            "dates": {},
        }
        for field in (f for f in dated if f in features):
            held = features[field].notna() & mine
            unusable = held & features[f"{field}_date"].isna()
            out[name]["dates"][field] = {"values": int(held.sum()), "unusable": int(unusable.sum())}
    identifiers = [c for c in features.columns if c.startswith("id_") and f"{c}_valid" in features]
    for column in identifiers:
        held = features[f"{column}_norm"].notna() | features[column].notna()
        invalid = held & ~features[f"{column}_valid"].fillna(False).astype(bool)
        counts = pd.DataFrame({"held": held, "invalid": invalid}).groupby(source).sum()
        problems = features[f"{column}_problem"][invalid].astype(str).map(_problem_kind)
        by_problem = problems.groupby(source[invalid]).value_counts()
        for name, row in counts.iterrows():
            if not row["held"]:
                continue
            found = by_problem.get(name, pd.Series(dtype=int)).sort_index()
            out.setdefault(str(name), {}).setdefault("identifiers", {})[column[3:]] = {
                "values": int(row["held"]),
                "unusable": int(row["invalid"]),
                "problems": {str(k): int(v) for k, v in found.items()},
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
