"""Accuracy and speed of linkage and its baselines on generated and real benchmark sets.

Every (data set, matcher) job runs in a fresh process so that wall time and peak RSS are its
own. Prints one Markdown table and writes it, with the exact command, to benchmarks/results/.
No threshold is tuned here: linkage runs with its config defaults and recordlinkage's ECM is
unsupervised, so no figure is reported on the set a threshold was tuned on.

Matchers: linkage, recordlinkage's ECM and, when it can be imported (``bench`` extra), Splink
(``splink_baseline.splink_records``: the recipe of Splink's documentation, cluster threshold 0.95).

Usage: python benchmarks/run.py [--quick] [--only TEXT] [--data ../shared/data]
[--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from queue import Empty

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


@dataclass(frozen=True)
class Job:
    """One data set: generated (``entities`` > 0) or a loader call."""

    label: str
    entities: int = 0
    difficulty: str = "medium"
    registries: int = 4
    loader: str = ""
    argument: str = ""


def _jobs(quick: bool, data: Path) -> list[Job]:
    generated = [(1500, "easy"), (1500, "hard")] if quick else [
        (2000, "easy"), (2000, "medium"), (2000, "hard"), (20000, "medium"), (20000, "hard"),
    ]  # fmt: skip
    jobs = [
        Job(f"generated {n:,} entities, {d}, 4 registries", entities=n, difficulty=d)
        for n, d in generated
    ]
    if not quick:
        jobs.append(Job("generated 5,000 entities, medium, 8 registries", 5000, "medium", 8))
    jobs.append(Job("febrl4 (5,000 x 5,000)", loader="load_febrl", argument="4"))
    real = [("chicago early childhood (3,337)", "load_chicago",
             "org_chicago_early_childhood_dedupe"),
            ("leipzig restaurants (339 x 2,256)", "load_leipzig",
             "leipzig_restaurants_oaei_pyjedai")]  # fmt: skip
    if not quick:
        real += [
            ("patstat NL applicants (2,379)", "load_patstat", "company_patstat_nl_dedupe"),
            ("leipzig abt-buy (1,076 x 1,076)", "load_leipzig", "leipzig_abt_buy_pyjedai"),
            ("leipzig dblp-acm (2,616 x 2,294)", "load_leipzig", "leipzig_dblp_acm_pyjedai"),
        ]
    jobs += [Job(label, loader=fn, argument=str(data / folder)) for label, fn, folder in real
             if (data / folder).exists()]  # fmt: skip
    return jobs


def _prepare(job: Job, tmp: Path):
    """Config, in-memory frames and truth of a job (data loading is not timed)."""
    from linkage.config import Config, SourceConfig, load_config
    from linkage.datasets import generate, loaders
    from linkage.evaluation import read_truth

    if job.entities:
        ds = generate(tmp, entities=job.entities, registries=job.registries, seed=0,
                      difficulty=job.difficulty)  # fmt: skip
        return load_config(ds.config_path), {}, read_truth(ds.truth_path)
    loader = getattr(loaders, job.loader)
    bench = loader(int(job.argument)) if job.loader == "load_febrl" else loader(job.argument)
    two = len(bench.sources) == 2
    sources = [SourceConfig(name=name, id="record_id", fields=bench.fields[name], unique=two,
                            country=bench.country)
               for name in bench.sources]  # fmt: skip
    return Config(sources=sources), dict(bench.sources), bench.truth


def _run_one(job: Job, matcher: str, queue: mp.Queue) -> None:
    """Child process: prepare the data, time the matcher, evaluate, report through ``queue``."""
    from linkage.evaluation import evaluate_memberships

    try:
        with tempfile.TemporaryDirectory() as tmp:
            config, frames, truth = _prepare(job, Path(tmp))
            start = time.perf_counter()
            if matcher == "linkage":
                from linkage.pipeline import Linker

                predicted = Linker(config, frames=frames).run().memberships
            else:
                from baselines import recordlinkage_ecm
                from splink_baseline import splink_records

                from linkage.sources import read_sources

                records, _ = read_sources(config, frames)
                two = len(config.sources) == 2
                if matcher == "splink":
                    predicted = splink_records(records, two_sources=two)
                else:
                    predicted = recordlinkage_ecm(records, two_sources=two)
            wall = time.perf_counter() - start
        report = evaluate_memberships(truth, predicted)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queue.put({"report": report, "wall": wall, "peak": peak})
    except Exception as exc:  # a failing matcher is a result, not a crash of the harness
        queue.put({"error": f"{type(exc).__name__}: {exc}"[:120]})


def _run(job: Job, matcher: str) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_run_one, args=(job, matcher, queue))
    proc.start()
    while True:  # a child that dies without reporting (killed, out of memory) must not hang us
        try:
            result = queue.get(timeout=2)
            break
        except Empty:
            if not proc.is_alive():
                result = {"error": f"process ended with exit code {proc.exitcode}"}
                break
    proc.join()
    return result


def _commit() -> str:
    """The checked-out commit (with ``+dirty`` when files differ), so results name their code."""

    def git(*cmd: str) -> str:
        return subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True).stdout

    return git("rev-parse", "--short", "HEAD").strip() + (
        "+dirty" if git("status", "--porcelain", "-uno").strip() else ""
    )


def main() -> None:
    """Run every job with every matcher and write the results table."""
    from baselines import splink_available

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sets only (a few minutes)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument(
        "--only", action="append", default=[], help="run the data sets whose label holds TEXT"
    )
    args = parser.parse_args()
    matchers = ["linkage", "recordlinkage ECM"] + (["splink"] if splink_available() else [])
    header = (
        "| data set | matcher | precision | recall | F1 | B-cubed F1 | wall s | peak RSS MB |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|"
    )
    rows = []
    jobs = _jobs(args.quick, args.data)
    if args.only:
        jobs = [j for j in jobs if any(text.lower() in j.label.lower() for text in args.only)]
    for job in jobs:
        for matcher in matchers:
            res = _run(job, matcher)
            if "error" in res:
                rows.append(f"| {job.label} | {matcher} | failed: {res['error']} ||||||")
            else:
                pw, bc = res["report"].pairwise, res["report"].bcubed
                rows.append(
                    f"| {job.label} | {matcher} | {pw.precision:.3f} | {pw.recall:.3f} | "
                    f"{pw.f1:.3f} | {bc.f1:.3f} | {res['wall']:.1f} | {res['peak']:,.0f} |"
                )
            print(rows[-1], flush=True)
    command = "python benchmarks/run.py " + shlex.join(sys.argv[1:])
    notes = [
        f"Command (from the project root): `{command.strip()}` at commit {_commit()}",
        "",
        "Thresholds: linkage uses its default config threshold, recordlinkage's ECM is "
        "unsupervised; no threshold is set per data set. Chicago was used to develop linkage's "
        "automatic configuration (issue 5: seen, not held out). Wall time covers the matcher only "
        "(data loading and generation excluded); peak RSS is the whole job process.",
        "Splink: "
        + (
            "the recipe of its documentation (`splink_baseline.splink_records`; cluster "
            "threshold 0.95, as its tutorials)."
            if splink_available()
            else "not installed (optional `bench` extra), not run."
        ),
    ]
    table = "\n".join([header, *rows])
    args.out.mkdir(parents=True, exist_ok=True)
    name = "quick.md" if args.quick else "full.md"
    if args.only:
        name = name.replace(".md", "-only.md")
    (args.out / name).write_text("\n".join([table, "", *notes, ""]), encoding="utf-8")
    print("\n" + table + "\n\n" + "\n".join(notes))


if __name__ == "__main__":
    main()
