"""The fragmented-registry generator: N true businesses spread over K inconsistent registries.

``generate`` writes one file per registry (CSV, one of them GB18030, plus Parquet and JSON
Lines), ``truth.csv`` (``source,record_id,entity_id``) and a ready ``config.toml``. Everything
is drawn from one seeded numpy Generator and written in a fixed order, so the same arguments
give byte-identical files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from linkage.datasets import registries_latin as latin
from linkage.datasets import registries_zh as zh
from linkage.datasets.entities import Entities, make_entities
from linkage.datasets.noise import NOISE, Difficulty, Noise
from linkage.datasets.registry import RegistrySpec, RegistryTable
from linkage.errors import UsageError

Profile = Callable[[Entities, np.random.Generator, Noise], RegistryTable]

# Registry profiles in the order they are added as ``registries`` grows: with 3 there are hanzi,
# Latin and mixed records and a GB18030 file; from 4 on a Parquet and a JSON Lines file.
PROFILES: tuple[Profile, ...] = (
    zh.enterprise,
    latin.gleif,
    zh.tax_legacy,
    latin.trade_directory,
    zh.court_cases,
    latin.customs,
    zh.hk_filings,
    latin.eu_vat,
)
MIN_REGISTRIES, MAX_REGISTRIES = 3, len(PROFILES)


@dataclass(frozen=True)
class GeneratedDataset:
    """Where a generated data set was written and how big it is.

    Attributes:
        out_dir: the output folder.
        config_path: the ready-to-run ``config.toml``.
        truth_path: ``truth.csv`` with ``source,record_id,entity_id`` for every record.
        source_paths: registry name -> data file.
        n_records: records over all registries.
        n_entities: distinct true entities that appear in at least one registry.
    """

    out_dir: Path
    config_path: Path
    truth_path: Path
    source_paths: dict[str, Path]
    n_records: int
    n_entities: int


def generate(
    out_dir: str | Path,
    *,
    entities: int,
    registries: int = 4,
    seed: int = 0,
    difficulty: Difficulty = "medium",
) -> GeneratedDataset:
    """Generate registries describing ``entities`` true businesses, with known truth.

    Args:
        out_dir: folder to write into (created if missing; existing files are overwritten).
        entities: number of true businesses drawn; firms no registry covers do not appear.
        registries: number of registries, 3 to 8; each has its own profile. A registry that
            covers none of the entities (possible only for a handful) is not written.
        seed: seed of the numpy Generator; same arguments give byte-identical files.
        difficulty: ``easy``, ``medium`` or ``hard``; scales every noise rate.

    Returns:
        The paths written and the record and entity counts.

    Raises:
        UsageError: an argument is out of range.
    """
    if not MIN_REGISTRIES <= registries <= MAX_REGISTRIES:
        raise UsageError(f"registries must be {MIN_REGISTRIES}..{MAX_REGISTRIES}, got {registries}")
    if entities < 1:
        raise UsageError(f"entities must be positive, got {entities}")
    if difficulty not in NOISE:
        raise UsageError(f"difficulty must be one of {sorted(NOISE)}, got {difficulty!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    noise = NOISE[difficulty]
    ents = make_entities(entities, rng, noise)
    drawn = [profile(ents, rng, noise) for profile in PROFILES[:registries]]
    tables = [t for t in drawn if len(t.frame)]  # tiny data sets can leave a registry empty

    paths = {t.spec.name: write_registry(t, out) for t in tables}
    truth = pd.concat(
        [
            pd.DataFrame(
                {
                    "source": t.spec.name,
                    "record_id": t.frame[t.spec.id].to_numpy(),
                    "entity_id": ents.cols["entity_id"][t.entity],
                }
            )
            for t in tables
        ],
        ignore_index=True,
    )
    truth_path = out / "truth.csv"
    truth.to_csv(truth_path, index=False, lineterminator="\n")
    config_path = out / "config.toml"
    config_path.write_text(config_toml([t.spec for t in tables]), encoding="utf-8")
    return GeneratedDataset(
        out_dir=out,
        config_path=config_path,
        truth_path=truth_path,
        source_paths=paths,
        n_records=len(truth),
        n_entities=int(truth["entity_id"].nunique()),
    )


def write_registry(table: RegistryTable, out: Path) -> Path:
    """Write one registry into ``out`` in the format its path names; returns the path."""
    spec, frame = table.spec, table.frame
    path = out / spec.path
    if path.suffix == ".csv":
        frame.to_csv(
            path,
            index=False,
            encoding=spec.encoding or "utf-8",
            sep=spec.delimiter or ",",
            lineterminator="\n",
        )
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    return path


def _toml_str(value: str) -> str:
    """A TOML basic string (JSON string syntax is valid TOML for these values)."""
    return json.dumps(value, ensure_ascii=False)


def config_toml(
    specs: list[RegistrySpec],
    header: str = "Generated by linkage.datasets.generate: one [[sources]] entry per registry.",
) -> str:
    """The ``config.toml`` text for the given registries (paths relative to the config).

    Args:
        specs: the registries, in config order.
        header: the comment line that opens the file (says what wrote it).
    """
    lines = [f"# {header}", ""]
    for s in specs:
        lines += [
            "[[sources]]",
            f"name = {_toml_str(s.name)}",
            f"path = {_toml_str(s.path)}",
            f"id = {_toml_str(s.id)}",
            f"priority = {s.priority}",
            f"unique = {'true' if s.unique else 'false'}",
        ]
        if s.encoding:
            lines.append(f"encoding = {_toml_str(s.encoding)}")
        if s.delimiter:
            lines.append(f"delimiter = {_toml_str(s.delimiter)}")
        if s.country:
            lines.append(f"country = {_toml_str(s.country)}")
        for table, mapping in (
            ("fields", s.fields),
            ("identifiers", s.identifiers),
            ("formats", s.formats),
        ):
            if mapping:
                lines.append(f"[sources.{table}]")
                lines += [f"{k} = {_toml_str(v)}" for k, v in mapping.items()]
        lines.append("")
    return "\n".join(lines)
