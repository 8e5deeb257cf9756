"""The Linker: wires the stages of DESIGN §2 from sources to entity profiles.

Each stage is a function from tables to tables, imported from its own module; this module only
calls them in order, times them, reports progress, and collects what the manifest records.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from linkage.autoconfig import comparisons_for, fit_model, matching_choices, rules_for
from linkage.blocking import candidate_pairs
from linkage.clustering import Clustering, apply_judgements, cluster
from linkage.comparisons import compare_pairs
from linkage.config import Config, load_config
from linkage.outputs import build_manifest, write_outputs
from linkage.profiles import build_profiles
from linkage.scoring import score_pairs
from linkage.sources import SourceTable, read_sources
from linkage.standardize.features import build_features
from linkage.store import Store

Progress = Callable[[str], None]


@dataclass
class RunResult:
    """Everything a run produced, as tables, plus the manifest that describes it."""

    features: pd.DataFrame
    pairs: pd.DataFrame
    memberships: pd.DataFrame
    entities: pd.DataFrame
    manifest: dict[str, Any]
    sources: list[SourceTable] = field(default_factory=list)
    merges: pd.DataFrame | None = None
    model: dict[str, Any] | None = None

    def write(self, out_dir: str | Path) -> Path:
        """Write memberships, entities, pairs and manifest into ``out_dir``."""
        return write_outputs(self, Path(out_dir))


class Linker:
    """Links the sources of one config into entities.

    Args:
        config: a validated Config, or the path of a TOML config file.
        frames: in-memory DataFrames for sources declared without a path, by source name.
        progress: called with one line per stage (the CLI prints them on stderr).
        store: a store file (DuckDB): its judgements are respected, entity ids stay those of its
            previous run where clusters overlap, and the run is recorded in it.
    """

    def __init__(
        self,
        config: Config | str | Path,
        *,
        frames: dict[str, pd.DataFrame] | None = None,
        progress: Progress | None = None,
        store: str | Path | None = None,
    ) -> None:
        self.config = config if isinstance(config, Config) else load_config(config)
        self.frames = frames or {}
        self.progress = progress or (lambda _message: None)
        self.timings: dict[str, float] = {}
        self.store_path = Path(store) if store is not None else None

    def run(self, out_dir: str | Path | None = None) -> RunResult:
        """Run every stage; write the outputs when ``out_dir`` is given."""
        config = self.config
        with self._stage("read"):
            records, tables = read_sources(config, self.frames)
        self.progress(f"read {len(records):,} records from {len(tables)} sources")
        with self._stage("standardize"):
            features = build_features(records)
        with self._stage("block"):
            rules = rules_for(config, features)
            unique = {s.name for s in config.sources if s.unique}
            pairs, blocking = candidate_pairs(
                features,
                rules,
                unique_sources=unique,
                max_block_size=config.matching.max_block_size,
            )
        self.progress(f"blocking found {len(pairs):,} candidate pairs")
        with self._stage("compare"):
            comparisons = comparisons_for(config, features)
            compared = compare_pairs(features, pairs, comparisons)
        with self._stage("score"):
            model = fit_model(config, features, compared, comparisons, unique)
            scored = score_pairs(compared, model)
        self.progress(f"scored {len(scored):,} pairs, {int(scored['is_match'].sum()):,} match")
        with self._stage("cluster"):
            judgements = self._judgements()
            scored = apply_judgements(scored, judgements)
            clustering = cluster(features, scored, unique_sources=unique, judgements=judgements)
            memberships, lineage = self._stable_ids(clustering)
        with self._stage("survive"):
            priorities = {s.name: config.priority(s) for s in config.sources}
            entities = build_profiles(
                features, memberships, priorities, config.survivorship, list(config.fields)
            )
        self.progress(f"{len(records):,} records -> {len(entities):,} entities")
        choices = matching_choices(rules, comparisons, model)
        choices["max_block_size"] = config.matching.max_block_size
        manifest = build_manifest(
            config, tables, choices, blocking, features, scored, entities, self.timings
        )
        manifest["clustering"] = clustering.stats
        if lineage is not None:
            manifest["lineage"] = lineage["event"].value_counts().sort_index().to_dict()
        result = RunResult(
            features, scored, memberships, entities, manifest, tables, clustering.merges
        )
        result.model = model.to_dict()
        if out_dir is not None:
            result.write(out_dir)
        self._record(result, lineage)
        return result

    def _judgements(self) -> pd.DataFrame | None:
        if self.store_path is None:
            return None
        with Store(self.store_path) as store:
            return store.judgements(latest=True)[["uid_a", "uid_b", "verdict"]]

    def _stable_ids(self, clustering: Clustering) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """Replace derived entity ids by the store's stable ones (no store: keep them)."""
        if self.store_path is None:
            return clustering.memberships, None
        with Store(self.store_path) as store:
            assignment = store.assign_ids(clustering.memberships)
        mapping = assignment.mapping
        members = clustering.memberships
        clustering.memberships = members.assign(entity_id=members["entity_id"].map(mapping))
        merges = clustering.merges
        clustering.merges = merges.assign(
            entity_l=merges["entity_l"].map(mapping), entity_r=merges["entity_r"].map(mapping)
        )
        return clustering.memberships, assignment.lineage

    def _record(self, result: RunResult, lineage: pd.DataFrame | None) -> None:
        if self.store_path is None or lineage is None:
            return
        with Store(self.store_path) as store:
            run_id = store.record_run(result.memberships, result.entities, lineage, result.manifest)
        self.progress(f"recorded run {run_id} in {self.store_path}")

    @contextmanager
    def _stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        self.progress(f"{name}…")
        yield
        self.timings[name] = round(time.perf_counter() - started, 3)
