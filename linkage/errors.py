"""The exceptions `linkage` raises, each saying what failed, where, and how to fix it.

```
LinkageError                 base class; never raised itself
├── ConfigError              the TOML config (or Config object) is invalid; lists every problem
├── InputError               a source cannot be read as declared; names file, row and column
├── UsageError               a command-line argument or API argument is invalid
└── StoreBusyError           another process holds the store (a run or a judgement)
```

The CLI maps the first three to exit code 2 (bad input or config) and a busy store to 3; an
interrupt exits 130; anything else is an internal error (1).
"""

from __future__ import annotations

from dataclasses import dataclass


class LinkageError(Exception):
    """Base class of every error this library raises on purpose."""


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a config, located by its TOML path (e.g. ``sources[2].fields.nmae``)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigError(LinkageError):
    """The config is invalid. ``problems`` holds all of them, not just the first."""

    def __init__(self, problems: list[ConfigProblem], *, file: str | None = None) -> None:
        self.problems = problems
        self.file = file
        where = f" in {file}" if file else ""
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s){where}:\n{lines}")


@dataclass(frozen=True)
class InputProblem:
    """One problem in an input file: what is wrong and where (row and column when known).

    ``row`` is the 1-based line number for CSV and JSON Lines (the header is line 1 in CSV),
    and the 1-based row number for Parquet and DataFrames.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}"


class InputError(LinkageError):
    """A source cannot be read as the config declares it. ``problems`` lists every finding."""

    def __init__(self, problems: list[InputProblem], *, limit: int = 20) -> None:
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:limit])
        more = f"\n  … and {len(problems) - limit} more" if len(problems) > limit else ""
        super().__init__(f"{len(problems)} input problem(s):\n{shown}{more}")


class UsageError(LinkageError, ValueError):
    """An argument is invalid (a negative count, an unknown choice, a missing run folder)."""


class StoreBusyError(LinkageError):
    """Another process holds the store: a run (from reading the previous run's ids to recording
    its own) or a judgement. Retry later, or wait for it (``--wait SECONDS``)."""
