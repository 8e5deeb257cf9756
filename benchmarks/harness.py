"""What the benchmark scripts share: jobs that run one matcher on one data set in a fresh
process, the matchers, the metrics, and the commit the figures belong to.

A ``Job`` names a data set and how to prepare it (a picklable callable, run in the job's own
process: data loading and generation are never timed). ``run_job`` spawns a process per
(data set, matcher), so wall time and peak RSS are that job's own, and a job that dies or
overruns its time limit is reported, not fatal. Matchers (``MATCHERS``):

- ``linkage``: ``linkage.pipeline.Linker`` with the automatic configuration;
- ``exact name``: equal lower-cased, whitespace-normalised names are one entity;
- ``recordlinkage ECM``: recordlinkage's documented recipe (``baselines.recordlinkage_ecm``);
- ``splink``: Splink's documented recipe (``splink_baseline.splink_records``) when the
  ``bench`` extra is installed, with a cap on the pairs one blocking rule may make.

All matchers read the same canonical records (``linkage.sources.read_sources``).
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

SPLINK_RULE_CAP = 5_000_000
"""Most pairs one Splink prediction blocking rule may make; a rule above it is dropped."""


@dataclass(frozen=True)
class Prepared:
    """A data set ready for the matchers.

    Attributes:
        config: the run config (sources, fields; nothing tuned).
        frames: in-memory sources by name (empty when the config names files).
        truth: cluster or pair truth (``linkage.evaluation``).
        labelled: for labelled-pair sets, ``uid_l, uid_r, is_match``: only these are scored.
        false_merges: also count records merged with a record of another true entity.
        script: uid -> ``hanzi`` or ``latin`` (the script of the record's name): also report
            the recall of true pairs that join the two scripts.
    """

    config: Any
    frames: dict[str, pd.DataFrame]
    truth: pd.DataFrame
    labelled: pd.DataFrame | None = None
    false_merges: bool = False
    script: pd.Series | None = None


@dataclass(frozen=True)
class Job:
    """One data set: a label and ``prepare(tmp_dir) -> Prepared`` (module-level function or
    ``functools.partial`` of one, since it is sent to the job's process)."""

    label: str
    prepare: Callable[[Path], Prepared]


def from_benchmark(bench: Any, *, false_merges: bool = False) -> Prepared:
    """A ``linkage.datasets.loaders.BenchmarkData`` as a config over in-memory sources.

    Two sources are declared ``unique`` (each record links to at most one of the other)
    unless they come from labelled pairs, where names recur within a side.
    """
    from linkage.config import Config, CustomField, SourceConfig

    unique = len(bench.sources) == 2 and bench.labelled is None
    sources = [
        SourceConfig(name=name, id="record_id", fields=bench.fields[name],
                     identifiers=bench.identifiers.get(name, {}), unique=unique,
                     country=bench.country)
        for name in bench.sources
    ]  # fmt: skip
    fields = {name: CustomField(type=kind) for name, kind in bench.field_types.items()}
    return Prepared(
        Config(sources=sources, fields=fields),
        dict(bench.sources),
        bench.truth,
        labelled=bench.labelled,
        false_merges=false_merges,
    )


def from_loader(
    loader: str, argument: str | int, tmp: Path, *, false_merges: bool = False, **options: Any
) -> Prepared:
    """``linkage.datasets.loaders.<loader>(argument, **options)``, prepared (``tmp`` unused)."""
    from linkage.datasets import loaders

    bench = getattr(loaders, loader)(argument, **options)
    return from_benchmark(bench, false_merges=false_merges)


def from_generated(entities: int, difficulty: str, registries: int, tmp: Path) -> Prepared:
    """A registry set of ``linkage.datasets.generate`` (seed 0), written into ``tmp``."""
    from linkage.config import load_config
    from linkage.datasets import generate
    from linkage.evaluation import read_truth

    ds = generate(tmp, entities=entities, registries=registries, seed=0, difficulty=difficulty)
    return Prepared(load_config(ds.config_path), {}, read_truth(ds.truth_path))


def splink_available() -> bool:
    """Whether Splink (optional ``bench`` extra) can be imported."""
    try:
        import splink  # noqa: F401
    except ImportError:
        return False
    return True


def available_matchers() -> list[str]:
    """The matchers this environment can run, in table order."""
    return ["linkage", "exact name", "recordlinkage ECM"] + (
        ["splink"] if splink_available() else []
    )


def run_matcher(matcher: str, prepared: Prepared) -> tuple[pd.DataFrame, str]:
    """Memberships of one matcher on a prepared set, and a note on what it left out."""
    if matcher == "linkage":
        from linkage.pipeline import Linker

        return Linker(prepared.config, frames=prepared.frames).run().memberships, ""
    from baselines import exact_name, recordlinkage_ecm

    from linkage.sources import read_sources

    records, _ = read_sources(prepared.config, prepared.frames)
    two = len(prepared.config.sources) == 2
    if matcher == "exact name":
        return exact_name(records), ""
    if matcher == "recordlinkage ECM":
        return recordlinkage_ecm(records, two_sources=two), ""
    if matcher == "splink":
        from splink_baseline import splink_records

        memberships, dropped = splink_records(
            records, two_sources=two, max_rule_comparisons=SPLINK_RULE_CAP
        )
        return memberships, ("blocking rules over the cap, dropped: " + "; ".join(dropped)
                             if dropped else "")  # fmt: skip
    raise ValueError(f"unknown matcher {matcher!r}")


def measure(prepared: Prepared, predicted: pd.DataFrame) -> dict[str, Any]:
    """The metrics of a prediction: pairwise precision/recall/F1 and B-cubed F1 (labelled
    pairs: scores over those pairs, no B-cubed), plus false merges and cross-script recall
    when the data set asks for them."""
    from linkage import evaluation as ev

    out: dict[str, Any] = {}
    if prepared.labelled is not None:
        pw = ev.labelled_pair_scores(prepared.labelled, predicted)
        out.update(precision=pw.precision, recall=pw.recall, f1=pw.f1, bcubed_f1=None)
    else:
        report = ev.evaluate_memberships(prepared.truth, predicted)
        pw = report.pairwise
        out.update(precision=pw.precision, recall=pw.recall, f1=pw.f1,
                   bcubed_f1=report.bcubed.f1)  # fmt: skip
    out["true_pairs"], out["predicted_pairs"] = pw.actual, pw.predicted
    out["records"] = len(predicted[["source", "record_id"]].drop_duplicates())
    if prepared.false_merges:
        out["false_merged"] = ev.falsely_merged_records(prepared.truth, predicted)
    if prepared.script is not None:
        pairs = ev.true_pairs(prepared.truth)
        script = prepared.script
        left = script.reindex(pairs["uid_l"].to_numpy()).to_numpy()
        right = script.reindex(pairs["uid_r"].to_numpy()).to_numpy()
        out["cross_script"] = ev.pairs_found(pairs[left != right], predicted)
    return out


def _child(job: Job, matcher: str, queue: Any) -> None:
    """Job process: prepare the data, time the matcher, measure, report through ``queue``."""
    try:
        with tempfile.TemporaryDirectory() as tmp:
            prepared = job.prepare(Path(tmp))
            start = time.perf_counter()
            predicted, note = run_matcher(matcher, prepared)
            wall = time.perf_counter() - start
            result = measure(prepared, predicted)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queue.put({**result, "wall": wall, "peak": peak, "note": note})
    except Exception as exc:  # a failing matcher is a result, not a crash of the harness
        traceback.print_exc()
        queue.put({"error": f"{type(exc).__name__}: {exc}"[:160]})


def run_job(job: Job, matcher: str, timeout: float | None = None) -> dict[str, Any]:
    """Run one matcher on one data set in a fresh process; ``{"error": ...}`` when it fails,
    dies, or runs longer than ``timeout`` seconds (then it is terminated)."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(job, matcher, queue))
    started = time.monotonic()
    proc.start()
    while True:  # a child that dies without reporting (killed, out of memory) must not hang us
        try:
            result = queue.get(timeout=2)
            break
        except Empty:
            if not proc.is_alive():
                result = {"error": f"process ended with exit code {proc.exitcode}"}
                break
            if timeout is not None and time.monotonic() - started > timeout:
                proc.terminate()
                result = {"error": f"stopped after {timeout:.0f} s"}
                break
    proc.join()
    return result


def commit() -> str:
    """The checked-out commit (with ``+dirty`` when tracked files differ), so results name
    their code."""

    def git(*cmd: str) -> str:
        return subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True).stdout

    return git("rev-parse", "--short", "HEAD").strip() + (
        "+dirty" if git("status", "--porcelain", "-uno").strip() else ""
    )
