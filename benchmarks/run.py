"""Accuracy and speed of linkage and its baselines on generated and real benchmark sets.

Every (data set, matcher) job runs in a fresh process (``harness.run_job``) so that wall time
and peak RSS are its own. Prints one Markdown table and writes it, with the exact command, to
benchmarks/results/. No threshold is tuned here: linkage runs with its config defaults and
recordlinkage's ECM is unsupervised, so no figure is reported on the set a threshold was tuned
on. ``benchmarks/real_data.py`` is the table over every shared real set.

Matchers: linkage, recordlinkage's ECM and, when it can be imported (``bench`` extra), Splink
(``splink_baseline.splink_records``: the recipe of Splink's documentation, cluster threshold 0.95).

Usage: python benchmarks/run.py [--quick] [--only TEXT] [--data ../shared/data]
[--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import shlex
import sys
from functools import partial
from pathlib import Path

from harness import (
    ROOT,
    Job,
    commit,
    from_generated,
    from_loader,
    run_job,
    splink_available,
)

MATCHERS = ["linkage", "recordlinkage ECM"]


def _jobs(quick: bool, data: Path) -> list[Job]:
    generated = [(1500, "easy"), (1500, "hard")] if quick else [
        (2000, "easy"), (2000, "medium"), (2000, "hard"), (20000, "medium"), (20000, "hard"),
    ]  # fmt: skip
    jobs = [
        Job(f"generated {n:,} entities, {d}, 4 registries", partial(from_generated, n, d, 4))
        for n, d in generated
    ]
    if not quick:
        jobs.append(Job("generated 5,000 entities, medium, 8 registries",
                        partial(from_generated, 5000, "medium", 8)))  # fmt: skip
    jobs.append(Job("febrl4 (5,000 x 5,000)", partial(from_loader, "load_febrl", 4)))
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
    jobs += [Job(label, partial(from_loader, fn, str(data / folder)))
             for label, fn, folder in real if (data / folder).exists()]  # fmt: skip
    return jobs


def main() -> None:
    """Run every job with every matcher and write the results table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sets only (a few minutes)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument(
        "--only", action="append", default=[], help="run the data sets whose label holds TEXT"
    )
    args = parser.parse_args()
    matchers = MATCHERS + (["splink"] if splink_available() else [])
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
            res = run_job(job, matcher)
            if "error" in res:
                rows.append(f"| {job.label} | {matcher} | failed: {res['error']} ||||||")
            else:
                rows.append(
                    f"| {job.label} | {matcher} | {res['precision']:.3f} | {res['recall']:.3f} | "
                    f"{res['f1']:.3f} | {res['bcubed_f1']:.3f} | {res['wall']:.1f} | "
                    f"{res['peak']:,.0f} |"
                )
            print(rows[-1], flush=True)
    command = "python benchmarks/run.py " + shlex.join(sys.argv[1:])
    notes = [
        f"Command (from the project root): `{command.strip()}` at commit {commit()}",
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
