"""The run configuration: pydantic models for the TOML contract (docs/config.md).

A config is validated as a whole: every problem is collected and reported at once, each with its
TOML path (``sources[2].fields.nmae: unknown field; did you mean 'name'?``). Source indices in
paths count from 0, as in the TOML array. Paths in the config are relative to the config file.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, model_validator

from linkage.errors import ConfigError, ConfigProblem

CANONICAL_FIELDS: tuple[str, ...] = (
    "name",
    "address",
    "city",
    "region",
    "postcode",
    "country",
    "phone",
    "email",
    "website",
    "founded",
    "representative",
    "status",
    "legal_form",
)
"""Fields the library knows how to standardise and compare (docs/architecture.md, Tables)."""

FieldType = Literal[
    "text",
    "company_name",
    "person_name",
    "address",
    "postcode",
    "date",
    "number",
    "identifier",
    "phone",
    "email",
    "url",
    "category",
]
SourceFormat = Literal["csv", "parquet", "jsonl"]
FORMAT_BY_SUFFIX: dict[str, SourceFormat] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_\-]+$")
SCHEME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}$")
RESERVED_COLUMNS = frozenset(
    {"uid", "source", "record_id", "entity_id", "domain", "is_branch", "branch_place"}
)
"""Column names of the records and features tables that no custom field may take."""
RESERVED_SCHEME_SUFFIXES = ("_norm", "_valid", "_scheme", "_problem")
"""Suffixes of the standardised identifier columns (``id_<scheme>_norm`` …)."""
MAX_BLOCK = 100_000
"""The largest block size a config may allow (all pairs of a block are compared)."""
MAX_WINDOW = 1000
"""The largest sorted-neighbourhood window (pairs per record)."""
DATE_DIRECTIVES = frozenset("aAwdbBmyYHIpMSfzZjUWcxXGuV%")
"""The strptime directives a date format may use (``%Y-%m-%d``)."""
SIMILARITY_TYPES = frozenset({"JaroWinklerAtThresholds", "CompanyNameComparison"})
"""Comparisons whose thresholds are similarities in (0, 1], most alike first."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceConfig(_Strict):
    """One registry: where it is, how to read it, and which of its columns mean what."""

    name: str = Field(description="Unique source name, used in record uids as `name:record_id`.")
    path: Path | None = Field(
        default=None, description="File path, relative to the config file; None for DataFrames."
    )
    id: str = Field(description="Column holding the record id, unique within the source.")
    priority: int | None = Field(
        default=None, description="Survivorship rank: lower wins ties. Default: config order."
    )
    unique: StrictBool = Field(default=False, description="True when the source has no duplicates.")
    format: SourceFormat | None = Field(default=None, description="Default: from the suffix.")
    encoding: str = Field(default="utf-8", description="CSV text encoding (BOM is accepted).")
    delimiter: str | None = Field(
        default=None,
        description="CSV field separator, one character; default tab for .tsv, else ','.",
    )
    fields: dict[str, str] = Field(default_factory=dict, description="field = source column")
    identifiers: dict[str, str] = Field(default_factory=dict, description="scheme = column")
    formats: dict[str, str] = Field(default_factory=dict, description="field = strftime format")
    country: str | None = Field(
        default=None,
        description="ISO 3166 alpha-2 country of records that name none (phones, postcodes).",
    )

    def resolved_delimiter(self) -> str:
        """The declared delimiter, else a tab for ``.tsv`` files and a comma otherwise."""
        if self.delimiter is not None:
            return self.delimiter
        return "\t" if self.path is not None and self.path.suffix.lower() == ".tsv" else ","

    def resolved_format(self) -> SourceFormat:
        """The declared format, or the one the file suffix implies (CSV when unknown)."""
        if self.format is not None:
            return self.format
        suffix = self.path.suffix.lower() if self.path else ".csv"
        return FORMAT_BY_SUFFIX.get(suffix, "csv")


class CustomField(_Strict):
    """A field beyond the canonical ones, with the type that decides how it is compared."""

    type: FieldType


class MatchingConfig(_Strict):
    """Settings of the matcher; everything here has an automatic default."""

    threshold: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Match probability cut-off; default: the one maximising expected F1.",
    )
    model: Literal["fellegi_sunter"] = Field(
        default="fellegi_sunter", description="The match model."
    )
    u_sample_size: int = Field(
        default=300_000,
        ge=1000,
        le=100_000_000,
        description="Random record pairs drawn to estimate u.",
    )
    tf_adjust: StrictBool = Field(default=True, description="Term-frequency adjustments.")
    max_block_size: int = Field(
        default=200,
        ge=2,
        le=MAX_BLOCK,
        description=(
            "Skip blocks larger than this (reported), unless an exact key's records hold at "
            "most this many distinct names: then compare one record per name."
        ),
    )
    seed: int = Field(default=0, description="Seed for every random choice of a run.")
    learn_from_judgements: StrictBool | None = Field(
        default=None,
        description=(
            "Learn m and the threshold from reviewers' judgements of candidate pairs: true, "
            "false, or unset for automatic (from 50 judged pairs, 10 of each verdict)."
        ),
    )


class BlockingRuleConfig(_Strict):
    """One pinned blocking rule (the manifest's ``choices.blocking_rules`` use this form)."""

    name: str
    columns: list[str] = Field(min_length=1, description="features columns of the key")
    kind: Literal["exact", "tokens", "sorted_neighbourhood"] = "exact"
    prefix: int | None = Field(
        default=None, ge=1, le=1000, description="first characters of last column"
    )
    min_length: int = Field(default=1, ge=1, le=1000, description="ignore shorter keys")
    max_block_size: int | None = Field(
        default=None, ge=2, le=MAX_BLOCK, description="skip larger blocks"
    )
    window: int = Field(default=5, ge=2, le=MAX_WINDOW, description="sorted neighbourhood window")
    without: list[str] = Field(
        default_factory=list, description="records with a value in these columns take no key"
    )


class BlockingConfig(_Strict):
    """Blocking rules; when ``rules`` is unset they are chosen from the fields present."""

    rules: list[BlockingRuleConfig] | None = None


ComparisonType = Literal[
    "ExactMatch",
    "JaroWinklerAtThresholds",
    "LevenshteinAtThresholds",
    "DateComparison",
    "PhoneComparison",
    "EmailComparison",
    "AddressComparison",
    "CompanyNameComparison",
    "IdentifierComparison",
]


class ComparisonConfig(_Strict):
    """One pinned comparison (the manifest's ``choices.comparisons`` use this form)."""

    type: ComparisonType
    name: str | None = None
    column: str | None = None
    clean: StrictBool | None = None
    tf_adjust: StrictBool | None = None
    thresholds: list[float] | None = None
    max_days: int | None = None
    digits: int | None = None
    email: str | None = None
    domain: str | None = None
    address: str | None = None
    postcode: str | None = None
    norm: str | None = None
    latin: str | None = None
    tokens: str | None = None
    token_threshold: float | None = None
    jw_thresholds: list[float] | None = None
    keys: str | None = None


SurvivorshipRule = Literal["source_priority", "most_recent", "most_frequent", "longest"]
"""How a field's surviving value is chosen among an entity's members; see docs/config.md."""


class FieldSurvivorship(_Strict):
    """The survivorship rule of one field, with the date that orders records for most_recent."""

    rule: SurvivorshipRule
    date: str | None = Field(
        default=None, description="field whose date orders records (most_recent)"
    )


class SurvivorshipConfig(_Strict):
    """How entity profiles pick one value per field; ties always go to source priority, uid."""

    default: SurvivorshipRule = Field(
        default="source_priority", description="rule of fields not listed in `fields`"
    )
    date: str | None = Field(
        default=None, description="default date field for most_recent (e.g. `updated`)"
    )
    fields: dict[str, SurvivorshipRule | FieldSurvivorship] = Field(default_factory=dict)
    identifiers: Literal["valid_first", "source_priority"] = Field(
        default="valid_first", description="primary identifier per scheme: valid ones first"
    )

    @model_validator(mode="after")
    def _dates_for_most_recent(self) -> SurvivorshipConfig:
        needing = [
            name
            for name in ["*default*", *self.fields]
            if self.rule_for(name)[0] == "most_recent" and self.rule_for(name)[1] is None
        ]
        if needing:
            raise ValueError(
                f"most_recent needs a date field: set survivorship.date (used by {needing})"
            )
        return self

    def rule_for(self, field: str) -> tuple[SurvivorshipRule, str | None]:
        """(rule, date field) of a field."""
        own = self.fields.get(field)
        if own is None:
            return self.default, self.date
        if isinstance(own, FieldSurvivorship):
            return own.rule, own.date or self.date
        return own, self.date


class SparkConfig(_Strict):
    """Settings of the Spark engine (``engine = "spark"``, docs/spark.md)."""

    master: str | None = Field(
        default=None,
        description="Spark master URL; default the SPARK_MASTER variable, else local[*]. "
        "Ignored under spark-submit (its session is used).",
    )
    conf: dict[str, str] = Field(
        default_factory=dict,
        description="Spark settings for a new session (spark.sql.shuffle.partitions = '64').",
    )


class Config(_Strict):
    """A whole run: the sources (required), custom fields, and matching settings."""

    sources: list[SourceConfig] = Field(min_length=1)
    engine: Literal["local", "spark"] = Field(
        default="local",
        description="Where the stages run: in process, or on Apache Spark (same results).",
    )
    spark: SparkConfig = Field(default_factory=SparkConfig)
    fields: dict[str, CustomField] = Field(default_factory=dict)
    matching: MatchingConfig = Field(default_factory=MatchingConfig)
    blocking: BlockingConfig = Field(default_factory=BlockingConfig)
    comparisons: list[ComparisonConfig] | None = None
    survivorship: SurvivorshipConfig = Field(default_factory=SurvivorshipConfig)
    base_dir: Path = Field(default=Path("."), exclude=True)

    def source_path(self, source: SourceConfig) -> Path:
        """The source's file path, resolved against the config file's folder."""
        if source.path is None:
            raise ValueError(f"source {source.name!r} has no path")
        return source.path if source.path.is_absolute() else self.base_dir / source.path

    def field_types(self) -> dict[str, str]:
        """Custom field name -> declared type."""
        return {name: f.type for name, f in self.fields.items()}

    def priority(self, source: SourceConfig) -> int:
        """The source's survivorship rank (its declared priority, else its position + 1)."""
        if source.priority is not None:
            return source.priority
        return self.sources.index(source) + 1

    def digest(self) -> str:
        """sha256 of the config's canonical JSON form (paths as written, not resolved)."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, base_dir: Path | None = None) -> Config:
        """Validate a config given as a dict; raise ConfigError listing every problem."""
        problems = _structural_problems(data) + _semantic_problems(data)
        if problems:
            raise ConfigError(_dedupe(problems))
        config = cls.model_validate(data)
        return config.model_copy(update={"base_dir": base_dir or Path(".")})


def load_config(path: str | Path) -> Config:
    """Read and validate a TOML config file; paths in it are relative to its folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem("", f"config file not found: {path}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem("", f"cannot read config {path}: {exc}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([ConfigProblem("", f"not valid TOML: {exc}")], file=str(path)) from None
    try:
        return Config.from_dict(data, base_dir=path.resolve().parent)
    except ConfigError as exc:
        raise ConfigError(exc.problems, file=str(path)) from None


def toml_path(loc: tuple[int | str, ...]) -> str:
    """Render a pydantic error location as a TOML path: ``sources[2].fields.nmae``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _structural_problems(data: dict[str, Any]) -> list[ConfigProblem]:
    try:
        Config.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = _data_path(err["loc"], data, keep_last=err["type"] == "missing")
            message = err["msg"]
            if err["type"] == "extra_forbidden":
                message = _unknown_key_message(loc, data)
            problems.append(ConfigProblem(toml_path(loc), message))
        return problems
    return []


def _data_path(loc: tuple[int | str, ...], data: Any, *, keep_last: bool) -> tuple[int | str, ...]:
    """The error location without the tags pydantic adds (union members, validator kinds).

    A part is kept when it names a key or index present in the data; a missing key is kept
    only as the last part of a 'missing' error.
    """
    kept: list[int | str] = []
    current = data
    for i, part in enumerate(loc):
        in_table = isinstance(current, dict) and part in current
        in_array = isinstance(current, list) and isinstance(part, int) and part < len(current)
        if in_table or in_array:
            current = current[part]
        elif not (keep_last and i == len(loc) - 1):
            continue
        kept.append(part)
    return tuple(kept)


def _unknown_key_message(loc: tuple[int | str, ...], data: dict[str, Any]) -> str:
    """'unknown key', plus the closest key the enclosing model accepts.

    Walks the error location through the models; parts that are not fields (list indices,
    table keys, the union member names pydantic inserts) leave the current model as it is.
    """
    model: type[BaseModel] | None = Config
    for part in loc[:-1]:
        if model is None:
            break
        field = model.model_fields.get(str(part))
        if field is not None:
            model = _model_in(field.annotation)
    choices = list(model.model_fields) if model is not None else []
    return "unknown key" + _suggest(str(loc[-1]), choices)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _semantic_problems(data: dict[str, Any]) -> list[ConfigProblem]:
    """Checks pydantic's types cannot express: names, field keys, duplicates, formats."""
    problems: list[ConfigProblem] = []
    custom = _table(data, "fields")
    for custom_name in custom:
        reason = _reserved_field_reason(str(custom_name))
        if reason:
            problems.append(ConfigProblem(f"fields.{custom_name}", reason))
    known_fields = list(CANONICAL_FIELDS) + list(custom)
    sources = data.get("sources")
    sources = sources if isinstance(sources, list) else []
    seen: dict[str, int] = {}
    for i, src in enumerate(sources):
        if not isinstance(src, dict):
            continue
        where = f"sources[{i}]"
        name = src.get("name")
        if isinstance(name, str):
            if not NAME_PATTERN.fullmatch(name):
                problems.append(
                    ConfigProblem(f"{where}.name", "use letters, digits, '_' or '-' only")
                )
            if name in seen:
                problems.append(
                    ConfigProblem(f"{where}.name", f"duplicate of sources[{seen[name]}].name")
                )
            seen.setdefault(name, i)
        fields = _table(src, "fields")
        for key in fields:
            if key not in known_fields:
                problems.append(
                    ConfigProblem(
                        f"{where}.fields.{key}",
                        "unknown field"
                        + _suggest(key, known_fields)
                        + " (declare custom fields under [fields.NAME] with a type)",
                    )
                )
        identifiers = _table(src, "identifiers")
        for scheme in identifiers:
            if not SCHEME_PATTERN.fullmatch(str(scheme)):
                problems.append(
                    ConfigProblem(
                        f"{where}.identifiers.{scheme}", "scheme names are lower snake_case"
                    )
                )
            elif scheme == "keys" or str(scheme).endswith(RESERVED_SCHEME_SUFFIXES):
                problems.append(
                    ConfigProblem(
                        f"{where}.identifiers.{scheme}",
                        "reserved: its column would clash with a standardised identifier column",
                    )
                )
        formats = _table(src, "formats")
        for key, fmt in formats.items():
            if key not in fields:
                problems.append(
                    ConfigProblem(f"{where}.formats.{key}", "format for a field not mapped here")
                )
            reason = _date_format_problem(fmt) if isinstance(fmt, str) else None
            if reason:
                problems.append(ConfigProblem(f"{where}.formats.{key}", reason))
        country = src.get("country")
        if isinstance(country, str) and not COUNTRY_PATTERN.fullmatch(country):
            problems.append(
                ConfigProblem(f"{where}.country", "use a two-letter ISO 3166 code such as 'US'")
            )
        delimiter = src.get("delimiter", ",")
        if isinstance(delimiter, str) and len(delimiter) != 1:
            problems.append(ConfigProblem(f"{where}.delimiter", "must be one character"))
        elif isinstance(delimiter, str) and delimiter in '\r\n"':
            problems.append(
                ConfigProblem(
                    f"{where}.delimiter", "a line break or a quote cannot separate fields"
                )
            )
        encoding = src.get("encoding", "utf-8")
        if isinstance(encoding, str) and not _known_encoding(encoding):
            problems.append(
                ConfigProblem(f"{where}.encoding", f"unknown text encoding {encoding!r}")
            )
    problems += _comparison_problems(data) + _survivorship_problems(data, known_fields)
    return problems


def _date_format_problem(fmt: str) -> str | None:
    """Why a date format cannot parse dates, or None."""
    directives = re.findall(r"%(.?)", fmt)
    if not directives:
        return "a date format needs % directives, e.g. '%Y-%m-%d' (see Python's strptime)"
    unknown = list(dict.fromkeys(d for d in directives if d not in DATE_DIRECTIVES))
    if unknown:
        shown = ", ".join(f"%{d}" if d else "a lone % at the end" for d in unknown)
        return f"unknown directive(s) {shown} (see Python's strptime)"
    return None


def _comparison_problems(data: dict[str, Any]) -> list[ConfigProblem]:
    """Thresholds that cannot be: similarities in (0, 1] most alike first, edit distances and
    day counts whole and ascending."""
    comparisons = data.get("comparisons")
    problems = []
    for i, item in enumerate(comparisons if isinstance(comparisons, list) else []):
        if not isinstance(item, dict):
            continue
        for key in ("thresholds", "jw_thresholds"):
            values = item.get(key)
            if not isinstance(values, list) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in values
            ):
                continue
            similarity = key == "jw_thresholds" or item.get("type") in SIMILARITY_TYPES
            if similarity and not all(0 < v <= 1 for v in values):
                reason = "similarities lie in (0, 1]"
            elif similarity and values != sorted(values, reverse=True):
                reason = "most alike first (descending)"
            elif not similarity and not all(v >= 0 and float(v).is_integer() for v in values):
                reason = "whole numbers from 0 (edit distances or days)"
            elif not similarity and values != sorted(values):
                reason = "closest first (ascending)"
            else:
                continue
            problems.append(ConfigProblem(f"comparisons[{i}].{key}", reason))
    return problems


def _survivorship_problems(data: dict[str, Any], known_fields: list[str]) -> list[ConfigProblem]:
    """Survivorship rules for fields no source could map, and dates of unknown fields."""
    survivorship = _table(data, "survivorship")
    problems = []
    known = ", ".join(known_fields)
    for name, setting in _table(survivorship, "fields").items():
        if name not in known_fields:
            problems.append(
                ConfigProblem(
                    f"survivorship.fields.{name}",
                    "unknown field" + _suggest(str(name), known_fields) + f"; fields: {known}",
                )
            )
        date = setting.get("date") if isinstance(setting, dict) else None
        if isinstance(date, str) and date not in known_fields:
            problems.append(
                ConfigProblem(f"survivorship.fields.{name}.date", f"unknown field {date!r}")
            )
    date = survivorship.get("date")
    if isinstance(date, str) and date not in known_fields:
        problems.append(ConfigProblem("survivorship.date", f"unknown field {date!r}"))
    return problems


def _reserved_field_reason(name: str) -> str | None:
    """Why a custom field name cannot be used, or None when it can.

    Custom fields become record columns, so they must not collide with the key columns, the
    identifier columns, or the columns standardisation derives from canonical fields.
    """
    if name in CANONICAL_FIELDS:
        return "is a canonical field already"
    if not SCHEME_PATTERN.fullmatch(name):
        return "field names are lower snake_case (letters, digits, '_')"
    if name in RESERVED_COLUMNS or name.startswith("id_"):
        return "reserved: the records table uses this column name"
    if any(name.startswith(f"{field}_") for field in CANONICAL_FIELDS) or name.endswith("_date"):
        return "reserved: standardisation derives columns with this name pattern"
    return None


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    """``data[key]`` when it is a table, else empty (pydantic reports the wrong type)."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _known_encoding(name: str) -> bool:
    """Whether ``name`` is a text encoding (``rot13`` is a codec, but not one)."""
    try:
        "x".encode(name)
    except LookupError:
        return False
    return True


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _dedupe(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            out.append(p)
    return out
