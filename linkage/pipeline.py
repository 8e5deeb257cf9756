"""The Linker: wires the stages from sources to entity profiles (docs/architecture.md).

Each stage is a function from tables to tables, imported from its own package; this module only
calls them in order, times them, reports progress (the ``linkage`` logger, at INFO) and
collects what the manifest records. Besides :meth:`Linker.run`, the library API fits, predicts,
clusters and scores in memory, with scikit-learn habits: ``Linker(settings).fit(frames)``.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from linkage.blocking import (
    BlockingReport,
    BlockingRule,
    blocking_settings,
    candidate_pairs,
    rules_for,
)
from linkage.clustering import (
    Clustering,
    apply_judgements,
    at_higher_cutoff,
    cluster,
    cluster_stage,
    clustering_settings,
    pair_outcomes,
    verdicts,
)
from linkage.compare import Comparison, Prepared, compare_pairs, compare_stage, comparisons_for
from linkage.config import CANONICAL_FIELDS, Config, load_config
from linkage.contract import check_config
from linkage.engines import ENGINES, EngineName
from linkage.errors import InputError, InputProblem, UsageError
from linkage.evaluation import read_truth
from linkage.explain import Explanation, explain_pair
from linkage.memory import compact_text, map_large_blocks, release_unused_memory
from linkage.outputs import RunResult, build_manifest, matching_choices
from linkage.profiles import reuse_profiles, survivorship_settings
from linkage.quality import check_quality, data_quality
from linkage.report import build_report
from linkage.run_state import (
    PreviousRun,
    discard_staged,
    matching_settings,
    record_hashes,
    save_run_state,
    stage_parts,
)
from linkage.scoring import (
    FellegiSunter,
    SupervisedModel,
    clustered_threshold,
    fit_model,
    load_model,
    model_from_dict,
    raise_threshold,
    score_pairs,
)
from linkage.sources import SourceTable, complete_records, read_sources
from linkage.standardize.features import build_features
from linkage.standardize.identifiers import SCHEMES
from linkage.store import Store, store_lock

LOG = logging.getLogger("linkage")
Model = FellegiSunter | SupervisedModel
Settings = Config | Mapping[str, Any] | str | Path


@dataclass
class Clusters:
    """Entities of scored pairs: one membership per record, one profile per entity, and the
    merge log (every union tried, with its evidence or the reason it was refused)."""

    memberships: pd.DataFrame
    entities: pd.DataFrame
    merges: pd.DataFrame


@dataclass
class _Matched:
    """What an engine's stages leave for the rest of a run (survive, outputs, the store)."""

    features: pd.DataFrame
    scored: pd.DataFrame
    clustering: Clustering
    memberships: pd.DataFrame
    lineage: pd.DataFrame | None
    model: Model
    rules: list[BlockingRule]
    comparisons: list[Comparison]
    blocking: BlockingReport
    judgements: pd.DataFrame | None
    quality: dict[str, Any]
    compare_stats: dict[str, int]


class Linker:
    """Links the records of some registries into entities.

    ``Linker(settings)`` only keeps its arguments (no file is read before the first call
    that needs one). ``run`` does everything and writes a run folder; ``fit``, ``predict``,
    ``cluster`` and ``score`` do it in memory, step by step::

        linker = Linker({"sources": [{"name": "a", "fields": {"name": "Name"}}, ...]})
        linker.fit({"a": frame_a, "b": frame_b})
        pairs = linker.predict({"a": frame_a, "b": frame_b})
        clusters = linker.cluster(pairs)

    Args:
        settings: A ``Config``, a dict of the TOML config's contents, or the path of a TOML
            config file.
        frames: DataFrames for sources declared without a ``path``, by source name.
        store: A store file (DuckDB): its judgements are respected, entity ids stay those of
            its previous run where clusters overlap, and each run is recorded in it.
        model: A fitted model (or its JSON file, or its dict) to score with instead of fitting
            one; its comparisons replace the automatic ones.
        incremental: With a store, ``run`` links only new and changed records against the
            store's previous run, with that run's model; with nothing to build on, it runs in
            full and says why in ``manifest["incremental"]``.
        wait: Seconds to wait for a store another process holds (a run or a judgement)
            before raising :class:`~linkage.errors.StoreBusyError`.
        accept_data_warnings: Run on although a source's date field or identifier column
            holds more unusable values than :data:`linkage.quality.TOLERATED` (else ``run``
            raises :class:`~linkage.errors.InputError` naming them).
        truth: Ground truth (a DataFrame or CSV file in either form ``linkage evaluate``
            reads): the run's report then scores the run against it.
        engine: ``"local"`` or ``"spark"``: where ``run`` runs the stages (default: the
            config's ``engine``); both give the same entities (docs/spark.md).

    Attributes (after ``fit``):
        rules_: The blocking rules.
        comparisons_: The comparisons.
        model_: The fitted (or pinned) model; ``model_.save(path)`` writes it as JSON.
        threshold_: The probability cut-off (raised to the best expected F1 of the clusters
            when the config leaves it automatic).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        frames: Mapping[str, pd.DataFrame] | None = None,
        store: str | Path | None = None,
        model: Model | Mapping[str, Any] | str | Path | None = None,
        incremental: bool = False,
        wait: float = 0.0,
        accept_data_warnings: bool = False,
        truth: pd.DataFrame | str | Path | None = None,
        engine: EngineName | None = None,
    ) -> None:
        if incremental and store is None:
            raise UsageError("an incremental run needs a store (--store PATH)")
        self.settings = settings
        self.frames = dict(frames or {})
        self.store_path = Path(store) if store is not None else None
        self.pinned = model
        self.incremental = incremental
        self.wait = wait
        self.accept_data_warnings = accept_data_warnings
        self.truth = truth
        if engine is not None and engine not in ENGINES:
            raise UsageError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
        self.engine_override = engine
        self.timings: dict[str, float] = {}
        self._store: Store | None = None  # the store a run holds, open
        self._config: Config | None = settings if isinstance(settings, Config) else None
        self._model: Model | None = None
        self._predicted: tuple[pd.DataFrame, pd.DataFrame] | None = None

    @property
    def config(self) -> Config:
        """The validated config (read from its file on first use)."""
        if self._config is None:
            settings = self.settings
            if isinstance(settings, Mapping):
                self._config = Config.from_dict(dict(settings))
            else:
                self._config = load_config(cast("str | Path", settings))
        return self._config

    @property
    def engine(self) -> EngineName:
        """Where ``run`` runs the stages: the ``engine`` given, else the config's."""
        return self.engine_override or self.config.engine

    @property
    def model(self) -> Model | None:
        """The pinned model, if one was given (read from its file on first use)."""
        if self._model is None and self.pinned is not None:
            pinned = self.pinned
            if isinstance(pinned, str | Path):
                self._model = load_model(pinned)
            elif isinstance(pinned, Mapping):
                self._model = model_from_dict(dict(pinned))
            else:
                self._model = cast(Model, pinned)
        return self._model

    def fit(self, frames: Mapping[str, pd.DataFrame] | None = None) -> Linker:
        """Choose the blocking rules and comparisons, fit the model and set the threshold on
        these records, as ``run`` does; return ``self``.

        Args:
            frames: DataFrames of the sources declared without a ``path``, by source name (with
                the frames given to the constructor); sources with a path are read from it.
        """
        features = build_features(self._read(frames)[0])
        unique = self._unique_sources()
        self.rules_ = rules_for(self.config, features)
        pinned = self.model
        self.comparisons_ = self._comparisons(features, pinned)
        compared, compare = compare_stage(features, self._candidates(features), self.comparisons_)
        judgements = self._judgements()
        model = self._fitted(
            features, compared, self.comparisons_, judgements, pinned, compare.prepared
        )
        del compare  # the prepared arrays
        scored = apply_judgements(score_pairs(compared, model), judgements)
        if pinned is None and self.config.matching.threshold is None:
            clustering = cluster(features, scored, unique_sources=unique, judgements=judgements)
            _, scored = _at_clustered_threshold(
                features, scored, clustering, model, unique, judgements
            )
        self.model_, self.threshold_ = model, float(model.threshold_)
        self._predicted = (features, scored)
        LOG.info(f"fitted on {len(features):,} records, {len(scored):,} candidate pairs")
        return self

    def predict(self, frames: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
        """The scored candidate pairs of these records with the fitted model: per pair its
        levels, weights, ``match_weight``, ``probability``, ``decided_by`` and ``is_match``."""
        self._check_fitted()
        features = build_features(self._read(frames)[0])
        compared = compare_pairs(features, self._candidates(features), self.comparisons_)
        scored = apply_judgements(score_pairs(compared, self.model_), self._judgements())
        self._predicted = (features, scored)
        return scored

    def cluster(self, pairs: pd.DataFrame) -> Clusters:
        """Entities of the pairs of the last ``predict`` (or ``fit``): memberships, profiles and
        the merge log. ``pairs`` may be those pairs as returned or a row subset of them."""
        if self._predicted is None:
            raise UsageError("call predict() (or fit()) before cluster(): it gives the pairs")
        features, predicted = self._predicted
        if (
            not {"idx_l", "idx_r", "is_match"} <= set(pairs.columns)
            or not pairs.index.isin(predicted.index).all()
        ):
            raise UsageError("cluster() takes the pairs the last predict() (or fit()) returned")
        clustering = cluster(
            features,
            pairs,
            unique_sources=self._unique_sources(),
            judgements=self._judgements(),
        )
        entities, _ = reuse_profiles(None, features, clustering.memberships, self.config)
        return Clusters(clustering.memberships, entities, clustering.merges)

    def score(self, record_a: Mapping[str, Any], record_b: Mapping[str, Any]) -> Explanation:
        """Explain how the fitted model scores two records given as dicts of fields
        (``name``, ``address``, ``phone``, ..., identifiers as ``id_<scheme>``, dates as the
        source writes them, optionally ``source``: the first source by default): per
        comparison its level, m, u and weight, the match weight and the probability. Term
        frequencies are left out (two records say nothing of how common a value is)."""
        self._check_fitted()
        config = self.config
        known = {*CANONICAL_FIELDS, *config.fields, "source"}
        known |= {f"id_{scheme}" for scheme in (*SCHEMES, "auto")}
        rows = []
        for letter, record in zip("ab", (record_a, record_b), strict=True):
            unknown = sorted(k for k in record if k not in known)
            if unknown:
                raise UsageError(
                    f"record {letter}: unknown field(s) {', '.join(unknown)}; known: "
                    f"{', '.join(sorted(known))}"
                )
            name = str(record.get("source", config.sources[0].name))
            source = next((s for s in config.sources if s.name == name), None)
            if source is None:
                raise UsageError(f"record {letter}: no source named {name!r} in the config")
            fields = {k: v for k, v in record.items() if k != "source"}
            row = pd.DataFrame([{"uid": f"{name}:{letter}", "source": name, "record_id": letter}])
            row = row.assign(**{k: pd.Series([v], dtype=object) for k, v in fields.items()})
            complete_records(row, source)  # as the source's records are read
            rows.append(row)
        records = pd.concat(rows, ignore_index=True)
        for column in (*CANONICAL_FIELDS, *config.fields):
            if column not in records:
                records[column] = None
        records = records.astype(object)
        features = build_features(records.where(records.notna(), None), workers=1)
        uid_a, uid_b = records["uid"]
        return explain_pair(self.model_, features, uid_a, uid_b, term_frequencies=False)

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise UsageError("this Linker is not fitted yet: call fit() first")

    def _read(
        self, frames: Mapping[str, pd.DataFrame] | None = None
    ) -> tuple[pd.DataFrame, list[SourceTable]]:
        check_config(self.config)  # what the config names, before any record is read
        records, tables = read_sources(self.config, {**self.frames, **(frames or {})})
        LOG.info(f"read {len(records):,} records from {len(tables)} sources")
        return records, tables

    def _unique_sources(self) -> set[str]:
        return {s.name for s in self.config.sources if s.unique}

    def _comparisons(self, features: pd.DataFrame, pinned: Model | None) -> list[Comparison]:
        """A pinned model's comparisons, else the automatic ones (an error when no record
        holds a value any comparison could read)."""
        if pinned is not None:
            return list(pinned.comparisons)
        comparisons = comparisons_for(self.config, features)
        if not comparisons:
            config = self.config
            raise InputError(
                [
                    InputProblem(
                        str(config.source_path(s)) if s.path is not None else f"source {s.name}",
                        "no record holds a value to compare in the mapped fields "
                        f"({', '.join([*s.fields, *s.identifiers]) or 'none'}): map a column "
                        "of names, addresses, phones or identifiers",
                    )
                    for s in config.sources
                ]
            )
        return comparisons

    def _fitted(
        self,
        features: pd.DataFrame,
        compared: pd.DataFrame,
        comparisons: list[Comparison],
        judgements: pd.DataFrame | None,
        pinned: Model | None,
        prepared: list[Prepared] | None = None,
    ) -> Model:
        """The pinned model, else one fitted on the compared pairs (judged pairs anchor it;
        ``prepared``: the comparisons' prepared arrays of every record, when held)."""
        if pinned is not None:
            return pinned
        judged = verdicts(compared, judgements)
        unique = self._unique_sources()
        return fit_model(self.config, features, compared, comparisons, unique, judged, prepared)

    def _candidates(self, features: pd.DataFrame) -> pd.DataFrame:
        pairs, _ = candidate_pairs(
            features,
            self.rules_,
            unique_sources=self._unique_sources(),
            max_block_size=self.config.matching.max_block_size,
        )
        return pairs

    def run(self, out_dir: str | Path | None = None) -> RunResult:
        """Run every stage; write the outputs when ``out_dir`` is given.

        The tables built by each stage are frozen out of the garbage collector's sight until
        the run ends (``gc.freeze``): otherwise every full collection walks the millions of
        objects they hold (about 10 s of a million-record run) and finds nothing to free.
        From scoring on, large freed blocks go back to the system at once
        (:func:`map_large_blocks`; the comparisons' many mid-sized chunks run faster without).
        """
        frozen_before = gc.get_freeze_count()
        try:
            return self._run(out_dir)
        finally:
            map_large_blocks(False)
            if not frozen_before:  # a caller's own freeze stays as it was
                gc.unfreeze()

    @contextmanager
    def _holding_store(self) -> Iterator[None]:
        """Hold the store (if any) for the whole run, open until the run is recorded (then
        :meth:`_close_store` lets DuckDB's memory go); what crashed runs staged for the next
        run's state is removed first, and what this run staged if it fails."""
        if self.store_path is None:
            yield
            return
        with store_lock(self.store_path, wait=self.wait):
            discard_staged(self.store_path, every=True)  # no other process stages now
            self._store = Store(self.store_path)
            try:
                yield
            finally:
                self._close_store()
                discard_staged(self.store_path)  # saved by now, unless the run failed

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    @contextmanager
    def _opened_store(self) -> Iterator[Store]:
        """The store the run holds, else the store opened (and held) for one read."""
        if self._store is not None:
            yield self._store
            return
        assert self.store_path is not None
        with (
            store_lock(self.store_path, wait=self.wait, purpose="a read"),
            Store(self.store_path) as store,
        ):
            yield store

    def _run(self, out_dir: str | Path | None) -> RunResult:
        config = self.config
        with self._stage("read"):  # nothing is written, nor the store taken, before
            records, tables = self._read()
            truth = self._truth()
        with self._holding_store():
            hashes, previous = self._previous_run(records)
            pinned = previous.model or self.model
            n_records, record_columns = len(records), list(records.columns)
            handed = [records]  # the match lets them go once standardised
            del records
            match = self._match_on_spark if self.engine == "spark" else self._match_locally
            matched = match(handed, tables, previous, pinned)
            features, scored, clustering = matched.features, matched.scored, matched.clustering
            model, blocking, unique = matched.model, matched.blocking, self._unique_sources()
            rules, comparisons, judgements = matched.rules, matched.comparisons, matched.judgements
            memberships, lineage = matched.memberships, matched.lineage
            with self._stage("survive"):
                entities, reused_profiles = reuse_profiles(
                    previous.profiles(), features, memberships, config
                )
            LOG.info(f"{n_records:,} records -> {len(entities):,} entities")
            # both kinds of model have what matching_choices reads (threshold, to_dict)
            choices = matching_choices(rules, comparisons, cast(FellegiSunter, model))
            choices["max_block_size"] = config.matching.max_block_size
            manifest = build_manifest(
                config, tables, choices, blocking, features, scored, entities, self.timings
            )
            manifest["clustering"] = clustering.stats
            manifest["data_quality"] = matched.quality
            manifest["engine"] = self.engine
            if lineage is not None:
                manifest["lineage"] = lineage["event"].value_counts().sort_index().to_dict()
            if self.incremental:
                if previous.folder is None:
                    manifest["incremental"] = {"mode": "full", "fallback": previous.fallback}
                else:
                    manifest["incremental"] = {
                        "mode": "incremental",
                        **previous.stats,
                        "blocking": blocking.mode,
                        **matched.compare_stats,
                        "reused_cluster_records": clustering.reused_records,
                        "reused_profiles": reused_profiles,
                    }
            result = RunResult(
                features, scored, memberships, entities, manifest, tables, clustering.merges
            )
            result.model = model.to_dict()
            with self._stage("report"):
                result.report = build_report(result, truth)
            if out_dir is not None:
                result.write(out_dir)
            run_id = self._record(result, lineage, incremental=previous.folder is not None)
            self._close_store()  # still held (locked) while the next run's state is saved
            if run_id and self.store_path is not None and hashes is not None:
                settings = {
                    "settings": matching_settings(config),
                    "blocking": blocking_settings(rules, unique, config.matching.max_block_size),
                    "clustering": clustering_settings(unique, judgements),
                    "profiles": survivorship_settings(config),
                }
                with self._stage("cache"):
                    save_run_state(
                        self.store_path,
                        run_id,
                        result,
                        model=model,
                        comparisons=comparisons,
                        record_columns=record_columns,
                        hashes=hashes,
                        settings=settings,
                        out_dir=out_dir,
                    )
            return result

    def _match_locally(
        self,
        handed: list[pd.DataFrame],
        tables: list[SourceTable],
        previous: PreviousRun,
        pinned: Model | None,
    ) -> _Matched:
        """Standardise, block, compare, score and cluster in process (incremental given the
        previous run's state); ``handed`` holds the records, taken from it."""
        config = self.config
        records = handed.pop()
        with self._stage("standardize"):
            features = build_features(records, previous=previous.features())
            quality = self._checked_quality(tables, features)
        record_columns = list(records.columns)
        del records  # the features table holds every column of it
        with self._stage("block"):
            rules = rules_for(config, features)
            unique = self._unique_sources()
            pairs, blocking = candidate_pairs(
                features,
                rules,
                unique_sources=unique,
                max_block_size=config.matching.max_block_size,
                keep_keys=self.store_path is not None,  # the next run's keys
                previous=previous.blocking(),
            )
            if self.store_path is not None:  # written now, not held to the end
                stage_parts(self.store_path, key_state=blocking.key_state)
            blocking.key_state = None
        LOG.info(f"blocking found {len(pairs):,} candidate pairs")
        with self._stage("compare"):
            comparisons = self._comparisons(features, pinned)
            compared, compare = compare_stage(
                features, pairs, comparisons, previous=previous.comparisons()
            )
            del pairs  # compared holds them
            if self.store_path is not None:  # held to the end, they would keep prepared alive
                stage_parts(self.store_path, terms=compare.terms, comparisons=comparisons)
            compare.terms = None
        map_large_blocks()  # from here on, few and large temporaries: hand them back at once
        with self._stage("score"):
            judgements = self._judgements()
            model = self._fitted(
                features, compared, comparisons, judgements, pinned, compare.prepared
            )
            # nothing compares records from here on: the standardised text as Arrow strings
            # takes a third (the read columns stay Python strings, which entities and
            # memberships share)
            compare.prepared = None
            features = compact_text(
                features, [c for c in features.columns if c not in record_columns]
            )
            scored = score_pairs(compared, model)
            del compared  # scored shares its columns except the term frequencies
        LOG.info(f"scored {len(scored):,} pairs, {int(scored['is_match'].sum()):,} match")
        with self._stage("cluster"):
            scored = apply_judgements(scored, judgements)
            clustering = cluster_stage(
                features,
                scored,
                unique_sources=unique,
                judgements=judgements,
                previous=previous.clusters(),
            )
            if pinned is None and config.matching.threshold is None:
                clustering, scored = _at_clustered_threshold(
                    features, scored, clustering, model, unique, judgements
                )
            memberships, lineage = self._identified(features, scored, clustering)
        return _Matched(
            features, scored, clustering, memberships, lineage, model, rules, comparisons,
            blocking, judgements, quality, compare.stats,
        )  # fmt: skip

    def _match_on_spark(
        self,
        handed: list[pd.DataFrame],
        tables: list[SourceTable],
        previous: PreviousRun,
        pinned: Model | None,
    ) -> _Matched:
        """Standardise, block, compare, score and cluster on Spark (docs/spark.md), the model
        fitted on the driver as in process: the same entities."""
        from linkage.engines.spark import SparkEngine, require_pyspark

        require_pyspark()  # a clear error before any work
        if previous.folder is not None:
            raise UsageError(
                "the spark engine does not run incrementally yet: run without --incremental "
                "(a full run on Spark), or incrementally with --engine local"
            )
        config = self.config
        records = handed.pop()
        engine = SparkEngine(config.spark.master, config.spark.conf)
        try:
            with self._stage("standardize"):
                features = engine.standardize(records)
                quality = self._checked_quality(tables, features)
            record_columns = list(records.columns)
            del records
            with self._stage("block"):
                rules = rules_for(config, features)
                unique = self._unique_sources()
                count, blocking = engine.candidate_pairs(
                    rules, unique_sources=unique, max_block_size=config.matching.max_block_size
                )
            LOG.info(f"blocking found {count:,} candidate pairs")
            with self._stage("compare"):
                comparisons = self._comparisons(features, pinned)
                levels, prepared = engine.compare(features, comparisons)
            with self._stage("score"):
                judgements = self._judgements()
                model = self._fitted(features, levels, comparisons, judgements, pinned, prepared)
                del levels, prepared
                features = compact_text(
                    features, [c for c in features.columns if c not in record_columns]
                )
                scored = engine.score(model)
            LOG.info(f"scored {len(scored):,} pairs, {int(scored['is_match'].sum()):,} match")
            with self._stage("cluster"):
                scored = apply_judgements(scored, judgements)

                def on_spark(pairs: pd.DataFrame) -> Clustering:
                    return engine.cluster(
                        features, pairs, unique_sources=unique, judgements=judgements
                    )

                clustering = on_spark(scored)
                if pinned is None and config.matching.threshold is None:
                    clustering, scored = _at_clustered_threshold(
                        features, scored, clustering, model, unique, judgements, on_spark
                    )
                memberships, lineage = self._identified(features, scored, clustering)
        finally:
            engine.close()
        stats = {"prepared_records": len(features), "reused_pairs": 0, "scored_pairs": len(scored)}
        return _Matched(
            features, scored, clustering, memberships, lineage, model, rules, comparisons,
            blocking, judgements, quality, stats,
        )  # fmt: skip

    def _checked_quality(self, tables: list[SourceTable], features: pd.DataFrame) -> dict[str, Any]:
        """The data-quality summary; raises on its warnings unless they are accepted."""
        quality = data_quality(tables, features)
        if not self.accept_data_warnings:
            check_quality(quality)
        return quality

    def _identified(
        self, features: pd.DataFrame, scored: pd.DataFrame, clustering: Clustering
    ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """The memberships with the store's stable ids and the lineage; adds each pair's
        final decision beside the model's to ``scored`` (``same_entity``, ``refused_by``)."""
        clustering.identifiers = None  # parsed keys: no later stage reads them
        memberships, lineage = self._stable_ids(clustering)
        uids = features["uid"].to_numpy(dtype=object)
        same, refused = pair_outcomes(scored, uids, memberships, clustering.merges)
        scored["same_entity"], scored["refused_by"] = same, refused
        return memberships, lineage

    def _previous_run(self, records: pd.DataFrame) -> tuple[np.ndarray | None, PreviousRun]:
        """The records' hashes (runs with a store) and the state the store's latest run left
        (incremental runs; else nothing)."""
        if self.store_path is None:
            return None, PreviousRun.nothing()
        with self._stage("hash"):
            hashes = record_hashes(records)
        if not self.incremental:
            return hashes, PreviousRun.nothing()
        with self._opened_store() as store:
            run_id = store.last_run_id()
        previous = PreviousRun.load(self.store_path, run_id, self.config, records, hashes)
        if previous.folder is None:
            LOG.info(f"note: incremental run not possible ({previous.fallback}); running in full")
        else:
            stats = previous.stats
            LOG.info(
                f"incremental: {stats['new']:,} new, {stats['changed']:,} changed, "
                f"{stats['removed']:,} removed, {stats['unchanged']:,} unchanged records"
            )
        return hashes, previous

    def _truth(self) -> pd.DataFrame | None:
        if self.truth is None or isinstance(self.truth, pd.DataFrame):
            return self.truth
        return read_truth(self.truth)

    def _judgements(self) -> pd.DataFrame | None:
        if self.store_path is None:
            return None
        with self._opened_store() as store:
            return store.judgements(latest=True)[["uid_a", "uid_b", "verdict"]]

    def _stable_ids(self, clustering: Clustering) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """Replace derived entity ids by the store's stable ones (no store: keep them)."""
        if self.store_path is None:
            return clustering.memberships, None
        with self._opened_store() as store:
            assignment = store.assign_ids(clustering.memberships)
        mapping = assignment.mapping
        members = clustering.memberships
        ids = assignment.ids  # each row's stable id, when the store gives them
        if ids is None:
            ids = _mapped(members["entity_id"], mapping)
        clustering.memberships = members.assign(entity_id=ids)
        merges = clustering.merges
        clustering.merges = merges.assign(
            entity_l=_mapped(merges["entity_l"], mapping),
            entity_r=_mapped(merges["entity_r"], mapping),
        )
        return clustering.memberships, assignment.lineage

    def _record(self, result: RunResult, lineage: pd.DataFrame | None, *, incremental: bool) -> int:
        """Record the run in the store; its run id (0: no store)."""
        if self.store_path is None or lineage is None:
            return 0
        with self._opened_store() as store:
            run_id = store.record_run(
                result.memberships,
                result.entities,
                lineage,
                result.manifest,
                incremental=incremental,
            )
        LOG.info(f"recorded run {run_id} in {self.store_path}")
        return run_id

    @contextmanager
    def _stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        LOG.info(f"{name}…")
        yield
        self.timings[name] = round(time.perf_counter() - started, 3)
        gc.freeze()  # the stage's tables live on: later collections need not walk them
        release_unused_memory()


def _at_clustered_threshold(
    features: pd.DataFrame,
    scored: pd.DataFrame,
    clustering: Clustering,
    model: Model,
    unique: set[str],
    judgements: pd.DataFrame | None,
    recluster: Callable[[pd.DataFrame], Clustering] | None = None,
) -> tuple[Clustering, pd.DataFrame]:
    """The automatic cut-off: raised to the best expected F1 of the clusters, not of the pairs
    (``model.threshold_`` is set), with the clustering and the scored pairs at it
    (``recluster``: how to cluster the scored pairs again, when not in process)."""
    raised = clustered_threshold(features, scored, clustering.merges, model.threshold_)
    if raised <= model.threshold_:
        return clustering, scored
    model.threshold_ = raised
    model.threshold_source_ = "expected_f1_clusters"  # type: ignore[union-attr]
    before, scored = scored, raise_threshold(scored, raised)
    if recluster is not None:
        return recluster(scored), scored
    # the weakest edges dropped: usually a prefix of the first merge log
    clustering = at_higher_cutoff(
        features, before, scored, clustering, unique_sources=unique, judgements=judgements
    ) or cluster(
        features,
        scored,
        unique_sources=unique,
        judgements=judgements,
        identifiers=clustering.identifiers,
    )
    return clustering, scored


def _mapped(values: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """``values.map(mapping)``, looked up once per distinct value (NaN where unmapped)."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    looked_up = pd.Series(distinct, dtype=object).map(mapping).to_numpy(dtype=object)
    return pd.Series(np.append(looked_up, np.nan)[codes], index=values.index, dtype=object)
