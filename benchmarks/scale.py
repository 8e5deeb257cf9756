"""Time and peak memory of end-to-end runs against the number of records (the scale curve).

For each size, generated registries (``linkage generate --entities N --registries 4 --seed 7``;
56,000 entities give about 100k records, 510,000 about 907k) are linked by fresh
``linkage run`` processes, ``--repeats`` times: the median wall time, the peak resident memory,
the time of each stage (from the run's manifest) and the pairwise F1 against the generator's
truth. Beside them, in the same run and on the same records: Splink (the documented recipe of
``splink_baseline.splink_records`` with the real-data table's cap on a blocking rule's pairs,
``bench`` extra) and, when the ``spark`` extra and the
Spark engine are installed, ``linkage run --engine spark`` on ``local[2]``.

Every figure is compared with an anchor measured in the same run, because this machine is
shared and its speed drifts: the seconds rapidfuzz's Jaro-Winkler kernel takes on a fixed
million pairs of names (``anchor``). A run's ``anchor units`` is its wall time over that.

Usage: python benchmarks/scale.py [--entities 56000 510000 ...] [--repeats 3]
[--splink-max 1000000] [--spark-max 1000000] [--spark-repeats N] [--work /tmp/linkage-scale]
[--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import itertools
import json
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from harness import ROOT, SPLINK_RULE_CAP, commit, splink_available

# runs ``linkage ARGS`` (as the console script does, leaving without tearing down the heap)
# or, after "-c", a script in a child, and prints its peak RSS (its own and its forked
# workers') as the last line of stderr
_MEASURED = """
import os, resource, sys, json
args = sys.argv[1:]
if args[0] == "-c":
    exec(compile(args[1], "<job>", "exec"), {"__name__": "__main__"})
    code = 0
else:
    from linkage.cli import main
    sys.argv = args
    code = main()
peak = max(resource.getrusage(who).ru_maxrss for who in
           (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print(json.dumps({"peak_kb": peak}), file=sys.stderr)
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
"""


def anchor_seconds(pairs: int = 1_000_000) -> float:
    """Seconds of rapidfuzz's Jaro-Winkler on ``pairs`` fixed pairs of names (best of 3)."""
    from rapidfuzz import process
    from rapidfuzz.distance import JaroWinkler

    rng = np.random.default_rng(0)
    words = np.array(["".join(rng.choice(list("abcdefghij"), 12)) for _ in range(2000)])
    left = words[rng.integers(0, len(words), pairs)].tolist()
    right = words[rng.integers(0, len(words), pairs)].tolist()
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        process.cpdist(left, right, scorer=JaroWinkler.normalized_similarity, workers=1)
        best = min(best, time.perf_counter() - started)
    return best


def measured(command: list[str], timeout: float) -> dict[str, Any]:
    """Wall seconds and peak RSS (GB) of ``python -m <command>`` in a fresh process."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, *command],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    wall = time.perf_counter() - started
    last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "{}"
    peak = json.loads(last).get("peak_kb", 0) if last.startswith("{") else 0
    if done.returncode:
        raise RuntimeError(f"{shlex.join(command)} failed: {done.stderr.strip()[-2000:]}")
    return {"wall": wall, "peak_gb": peak / 1024**2}


def dataset(entities: int, work: Path) -> tuple[Path, float | None]:
    """The generated registries of ``entities`` (made once per work folder) and the seconds
    generating them took (None when they were there already)."""
    folder = work / f"generated-{entities}-seed7"
    config = folder / "config.toml"
    if config.exists():
        return config, None
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "linkage", "generate", "--entities", str(entities),
         "--registries", "4", "--seed", "7", "--out", str(folder), "--quiet"],
        check=True,
    )  # fmt: skip
    return config, time.perf_counter() - started


def pairwise_f1(truth_csv: Path, memberships: pd.DataFrame) -> float:
    from linkage.evaluation import evaluate_memberships, read_truth

    return float(evaluate_memberships(read_truth(truth_csv), memberships).pairwise.f1)


def linkage_runs(
    config: Path, work: Path, repeats: int, timeout: float, engine: str = "local"
) -> dict[str, Any]:
    """``repeats`` fresh runs of one engine: wall times, peak RSS, stages of the last run,
    records and F1."""
    out = work / f"run-{engine}"
    walls, peaks = [], []
    for _ in range(repeats):
        command = ["linkage", "run", str(config), "--out", str(out), "--quiet"]
        if engine != "local":
            command += ["--engine", engine]
        result = measured(command, timeout)
        walls.append(result["wall"])
        peaks.append(result["peak_gb"])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    memberships = pd.read_csv(out / "memberships.csv", dtype=str, keep_default_na=False)
    return {
        "walls": walls,
        "peak_gb": max(peaks),
        "stages": manifest.get("timings_seconds", {}),
        "records": len(memberships),
        "f1": pairwise_f1(config.parent / "truth.csv", memberships),
    }


_SPLINK_CHILD = """
import sys, json, time
sys.path.insert(0, {benchmarks!r})
from linkage.config import load_config
from linkage.sources import read_sources
from harness import SPLINK_RULE_CAP
from splink_baseline import splink_records
from linkage.standardize.features import build_features
records, _ = read_sources(load_config({config!r}))
features = build_features(records)
given = features[["uid", "source", "record_id"]].copy()
for ours, theirs in (("name_norm", "name"), ("address_norm", "address"), ("city", "city"),
                     ("postcode_norm", "postcode"), ("email_norm", "email"),
                     ("phone_e164", "phone")):
    if ours in features:
        given[theirs] = features[ours].astype(object).where(features[ours].notna(), None)
for column in features.columns:
    if column.startswith("id_") and column.endswith("_norm"):
        given[column.removesuffix("_norm")] = features[column].astype(object)
started = time.perf_counter()
memberships, dropped = splink_records(
    given, two_sources=False, max_rule_comparisons=SPLINK_RULE_CAP
)
seconds = time.perf_counter() - started
memberships.to_csv({out!r}, index=False)
print(json.dumps({{"seconds": seconds, "dropped": dropped}}))
"""


def splink_run(config: Path, work: Path, timeout: float) -> dict[str, Any]:
    """Splink's documented recipe on the same records given our standardised features
    (normalised name, address, postcode, e-mail, E.164 phone, identifiers), in a fresh
    process: its linking seconds (reading and standardising excluded), peak RSS and F1."""
    out = work / "splink-memberships.csv"
    script = _SPLINK_CHILD.format(
        benchmarks=str(ROOT / "benchmarks"), config=str(config), out=str(out)
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, "-c", script],
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"Splink failed: {done.stderr.strip()[-2000:]}")
    info = json.loads(done.stdout.strip().splitlines()[-1])
    peak = json.loads(done.stderr.strip().splitlines()[-1])["peak_kb"] / 1024**2
    memberships = pd.read_csv(out, dtype=str, keep_default_na=False)
    return {
        "walls": [info["seconds"]],
        "process_wall": wall,
        "peak_gb": peak,
        "records": len(memberships),
        "f1": pairwise_f1(config.parent / "truth.csv", memberships),
        "note": "dropped: " + ", ".join(info["dropped"]) if info["dropped"] else "",
    }


def spark_available() -> bool:
    """Whether ``linkage run --engine spark`` can run here (the extra and the engine)."""
    try:
        import pyspark  # noqa: F401

        from linkage import engines  # noqa: F401
    except ImportError:
        return False
    return True


def _row(size: str, engine: str, res: dict[str, Any], anchor: float) -> str:
    if "error" in res:
        return f"| {size} | {engine} | failed: {res['error']} ||||||"
    wall = statistics.median(res["walls"])
    runs = ", ".join(f"{w:.1f}" for w in res["walls"])
    return (
        f"| {size} | {engine} | {res['records']:,} | {wall:.1f} ({runs}) | {wall / anchor:.0f} | "
        f"{res['peak_gb']:.2f} | {res['records'] / wall:,.0f} | {res['f1']:.4f} | "
        f"{res.get('note', '')} |"
    )


def _growth(rows: list[dict[str, Any]]) -> list[str]:
    """Time and memory growth between consecutive sizes, as exponents of records."""
    out = []
    for a, b in itertools.pairwise(rows):
        ratio = np.log(b["records"] / a["records"])
        t = np.log(statistics.median(b["walls"]) / statistics.median(a["walls"])) / ratio
        m = np.log(b["peak_gb"] / a["peak_gb"]) / ratio
        out.append(
            f"- {a['records']:,} -> {b['records']:,} records: time grows as records^{t:.2f}, "
            f"peak memory as records^{m:.2f}."
        )
    return out


def main() -> None:
    """Run every size with every engine and write ``benchmarks/results/scale.md``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, nargs="+", default=[56_000, 510_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--spark-repeats", type=int, default=None,
                        help="runs of the Spark engine per size (default: --repeats)")  # fmt: skip
    parser.add_argument("--splink-max", type=int, default=1_000_000,
                        help="largest record count Splink runs at")  # fmt: skip
    parser.add_argument("--spark-max", type=int, default=1_000_000,
                        help="largest record count the Spark engine runs at")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--work", type=Path, default=Path("/tmp/linkage-scale"))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    anchor_before = anchor_seconds()
    header = (
        "| data set | engine | records | wall s, median (runs) | anchor units | peak RSS GB "
        "| records/s | pairwise F1 | note |\n|---|---|---:|---:|---:|---:|---:|---:|---|"
    )
    rows: list[str] = []
    local: list[dict[str, Any]] = []
    stages: list[tuple[int, dict[str, float]]] = []
    generated: list[str] = []
    for entities in args.entities:
        config, seconds = dataset(entities, args.work)
        if seconds is not None:
            generated.append(f"{entities:,} entities: {seconds:.0f} s")
        size = f"generated, {entities:,} entities"
        work = args.work / f"runs-{entities}"
        work.mkdir(exist_ok=True)
        res = linkage_runs(config, work, args.repeats, args.timeout)
        local.append(res)
        stages.append((res["records"], res["stages"]))
        rows.append(_row(size, "linkage (local)", res, anchor_before))
        print(rows[-1], flush=True)
        jobs: list[tuple[str, Callable[[], dict[str, Any]]]] = []
        if splink_available() and res["records"] <= args.splink_max:
            from splink import __version__ as splink_version

            splink = partial(splink_run, config, work, args.timeout)
            jobs.append((f"Splink {splink_version}, DuckDB", splink))
        if spark_available() and res["records"] <= args.spark_max:
            spark_repeats = args.repeats if args.spark_repeats is None else args.spark_repeats
            spark = partial(linkage_runs, config, work, spark_repeats, args.timeout, "spark")
            jobs.append(("linkage (spark, local[2])", spark))
        for name, job in jobs:
            try:
                other = job()
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                lines = str(error).splitlines()
                said = [line for line in lines if "Error" in line] or lines
                other = {"error": said[-1][:300]}
            rows.append(_row(size, name, other, anchor_before))
            print(rows[-1], flush=True)
    anchor_after = anchor_seconds()
    names = sorted({s for _, st in stages for s in st})
    stage_table = [
        "| records | " + " | ".join(names) + " |",
        "|---:|" + "---:|" * len(names),
        *(
            f"| {n:,} | " + " | ".join(f"{st.get(s, 0):.1f}" for s in names) + " |"
            for n, st in stages
        ),
    ]
    command = "python benchmarks/scale.py " + shlex.join(sys.argv[1:])
    text = "\n".join(
        [
            "# Scale: time and memory against records",
            "",
            f"Command (from the project root): `{command.strip()}` at commit {commit()}.",
            "",
            f"Anchor (rapidfuzz Jaro-Winkler on 1M fixed pairs, one thread, best of 3): "
            f"{anchor_before:.3f} s before the runs, {anchor_after:.3f} s after. A run's "
            "anchor units are its median wall time over the first.",
            "",
            header,
            *rows,
            "",
            "Growth of the local engine:",
            *_growth(local),
            "",
            "Stages of the local engine's last run (seconds, from the manifest):",
            "",
            *stage_table,
            "",
            "- Wall time is the whole `linkage run` process (start-up, reading, writing "
            "included). Splink is given our standardised features of the same records "
            "(normalised name, address, postcode, e-mail, E.164 phone, identifiers) and its "
            f"prediction blocking rules are capped at {SPLINK_RULE_CAP:,} pairs each, as in "
            "the real-data table (a rule over it is dropped and named); its "
            "time is its linking only (reading and standardising excluded), in a fresh "
            "process. Peak RSS is the larger of the process's own and its forked "
            "standardisation workers'; for the Spark engine that is the Python driver's, "
            "not Spark's JVM.",
            "- Generation is not timed in the runs"
            + (f" ({'; '.join(generated)})." if generated else "."),
        ]
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scale.md").write_text(text + "\n", encoding="utf-8")
    print("\n" + text)


if __name__ == "__main__":
    main()
