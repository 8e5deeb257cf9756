"""What a config promises, checked before any record is read.

:class:`~linkage.config.Config` checks each setting by itself; here are the checks that need
the rest of the library or the files: every identifier scheme is one the library knows, every
source path is a regular file (not a folder, a device or a pipe, which would hang or never
end), and every column a pinned blocking rule or comparison names is one some source gives
(else it would find nothing, silently). Problems are raised together, each with its TOML path.
"""

from __future__ import annotations

import pandas as pd

from linkage.config import CANONICAL_FIELDS, Config
from linkage.errors import ConfigError, ConfigProblem
from linkage.standardize.features import build_features
from linkage.standardize.identifiers import SCHEMES

# comparison settings that name a features column
_COLUMN_SETTINGS = (
    "column",
    "email",
    "domain",
    "address",
    "postcode",
    "norm",
    "latin",
    "tokens",
    "keys",
)


def check_config(config: Config) -> None:
    """Raise :class:`ConfigError` listing what the config names that no run of it could use."""
    problems = _source_problems(config)
    given, derived = _columns(config)
    for i, rule in enumerate(config.blocking.rules or []):
        for key, columns in (("columns", rule.columns), ("without", rule.without)):
            for column in columns:
                reason = _unusable(column, given, derived)
                if reason:
                    problems.append(ConfigProblem(f"blocking.rules[{i}].{key}", reason))
    for i, comparison in enumerate(config.comparisons or []):
        for key in _COLUMN_SETTINGS:
            column = getattr(comparison, key)
            reason = _unusable(column, given, derived) if column is not None else None
            if reason:
                problems.append(ConfigProblem(f"comparisons[{i}].{key}", reason))
    if problems:
        raise ConfigError(problems)


def _source_problems(config: Config) -> list[ConfigProblem]:
    problems = []
    for i, source in enumerate(config.sources):
        for scheme in source.identifiers:
            if scheme not in (*SCHEMES, "auto"):
                problems.append(
                    ConfigProblem(
                        f"sources[{i}].identifiers.{scheme}",
                        f"unknown identifier scheme; known: auto, {', '.join(SCHEMES)}",
                    )
                )
        if source.path is None:
            continue
        path = config.source_path(source)
        if path.exists() and not path.is_file():
            kind = "a folder" if path.is_dir() else "not a regular file (a device or a pipe?)"
            problems.append(ConfigProblem(f"sources[{i}].path", f"{path} is {kind}"))
    return problems


def _columns(config: Config) -> tuple[set[str], dict[str, str]]:
    """The columns some source gives (read, or standardised from what it maps), and the
    columns of fields no source maps, each with those fields."""
    mapped = {field for s in config.sources for field in s.fields}
    schemes = {scheme for s in config.sources for scheme in s.identifiers}
    dated = {field for s in config.sources for field in s.formats}
    fields = [*CANONICAL_FIELDS, *config.fields]
    records = ["uid", "source", "record_id", *fields]
    records += [f"id_{scheme}" for scheme in sorted(schemes)]
    records += [f"{field}_date" for field in sorted(dated)]
    empty = pd.DataFrame({column: pd.Series(dtype=object) for column in records})
    given, derived = set(), {}
    for column in map(str, build_features(empty, workers=1).columns):
        bases = _base_fields(column, fields)
        if not bases or bases & mapped or (column.startswith("id_") and schemes):
            given.add(column)
        else:
            derived[column] = " or ".join(sorted(bases))
    return given, derived


def _base_fields(column: str, fields: list[str]) -> set[str]:
    """The fields a column is read or standardised from (empty: not from a field)."""
    if column == "domain":
        return {"email", "website"}
    if column == "id_keys" or column.startswith("id_"):
        return {"identifiers"}
    bases = [f for f in fields if column == f or column.startswith(f + "_")]
    return {max(bases, key=len)} if bases else set()


def _unusable(column: str, given: set[str], derived: dict[str, str]) -> str | None:
    if column in given:
        return None
    if column in derived:
        return (
            f"column {column!r} comes from {derived[column]}, which no source maps: it "
            "would be empty"
        )
    return f"no source gives a column {column!r}; columns: {', '.join(sorted(given))}"
