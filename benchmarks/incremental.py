"""Incremental run vs full run: wall time when 1% of the records are new.

Generates a fragmented-registry data set, links 99% of it (the previous run, with a store),
then links all of it twice: a full run (fresh store, model refitted) and an incremental run on a
copy of the previous run's store (pinned model). Each run is a fresh ``linkage run`` process;
wall times are medians over ``--repeats``; per-stage timings come from the manifests.

    python benchmarks/incremental.py --entities 56000 --repeats 3 --work /tmp/incbench

(56,000 entities give about 100,000 records.) Prints a Markdown table with the command.

Each repeat also measures the floor of any run under the output contract, in a fresh process
(``benchmarks/incremental_floor.py``): start-up, reading and hashing every record, and writing
complete outputs. An incremental run cannot be faster than that, whatever its stages reuse.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from linkage.config import load_config
from linkage.datasets import generate
from linkage.run_state import cache_dir


def write_version(generated: Path, out: Path, *, hold_every: int, change: int) -> Path:
    """Copy the data set keeping record lines with ``i % hold_every != 0`` (all when 0), and
    renaming the first ``change`` kept records of the JSON Lines registries."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copy(generated / "config.toml", out / "config.toml")
    config = load_config(generated / "config.toml")

    def keep(i: int) -> bool:
        return hold_every == 0 or i % hold_every != 0

    for source in config.sources:
        path = config.source_path(source)
        target = out / path.name
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            pq.write_table(table.take([i for i in range(table.num_rows) if keep(i)]), target)
            continue
        lines = path.read_bytes().decode(source.encoding).splitlines(keepends=True)
        header, body = ([lines[0]], lines[1:]) if path.suffix == ".csv" else ([], lines)
        kept = []
        for i, line in enumerate(body):
            if not keep(i):
                continue
            if path.suffix == ".jsonl" and len(kept) < change:
                row = json.loads(line)
                row[source.fields["name"]] = str(row[source.fields["name"]]) + " Renamed"
                line = json.dumps(row, ensure_ascii=False) + "\n"
            kept.append(line)
        target.write_bytes("".join(header + kept).encode(source.encoding))
    return out / "config.toml"


def run(config: Path, out: Path, store: Path, *, incremental: bool) -> tuple[float, dict]:
    """One ``linkage run`` in a fresh process: wall seconds and the manifest."""
    command = [sys.executable, "-m", "linkage.cli", "run", str(config), "--out", str(out)]
    command += ["--store", str(store), "--quiet"] + (["--incremental"] if incremental else [])
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    return wall, json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def floor(config: Path, run_dir: Path, store: Path) -> tuple[float, dict]:
    """Wall seconds of what every run pays (start-up, read, hash, write; the tables the
    script reads back to write are not counted) and its parts."""
    script = Path(__file__).with_name("incremental_floor.py")
    command = [sys.executable, str(script), str(config), str(run_dir), str(store)]
    started = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - started
    parts = json.loads(done.stdout)
    return wall - parts.pop("untimed_read_back"), parts


def copy_store(store: Path, target_dir: Path) -> Path:
    if target_dir.exists():
        shutil.rmtree(target_dir)
    target_dir.mkdir(parents=True)
    target = target_dir / store.name
    shutil.copy(store, target)
    shutil.copytree(cache_dir(store), cache_dir(target))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=56_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--new-every", type=int, default=100, help="every n-th record is new")
    parser.add_argument("--change", type=int, default=20, help="records changed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path("/tmp/linkage-incremental-bench"))
    args = parser.parse_args()

    work = args.work
    generated = work / "generated"
    if not (generated / "config.toml").exists():
        generate(generated, entities=args.entities, registries=4, seed=args.seed)
    previous = write_version(generated, work / "previous", hold_every=args.new_every, change=0)
    current = write_version(generated, work / "current", hold_every=0, change=args.change)
    base_store = work / "base" / "linkage.duckdb"
    if base_store.parent.exists():
        shutil.rmtree(base_store.parent)
    run(previous, work / "base" / "out", base_store, incremental=False)

    full, incremental, floors = [], [], []
    floor_parts: dict = {}
    full_manifest = incremental_manifest = {}
    for i in range(args.repeats):
        store = work / f"full{i}" / "linkage.duckdb"
        if store.parent.exists():
            shutil.rmtree(store.parent)
        wall, full_manifest = run(current, store.parent / "out", store, incremental=False)
        full.append(wall)
        store = copy_store(base_store, work / f"inc{i}")
        wall, incremental_manifest = run(current, store.parent / "out", store, incremental=True)
        incremental.append(wall)
        wall, floor_parts = floor(current, store.parent / "out", store)
        floors.append(wall)
    full_median, inc_median = statistics.median(full), statistics.median(incremental)
    floor_median = statistics.median(floors)
    stats = incremental_manifest["incremental"]
    stages = sorted(
        set(full_manifest["timings_seconds"]) | set(incremental_manifest["timings_seconds"])
    )
    print(f"command: `python benchmarks/incremental.py {' '.join(sys.argv[1:])}`\n")
    print(f"records: {full_manifest['counts']['records']:,}; incremental: {json.dumps(stats)}\n")
    print("| run | wall s (median) | all runs |")
    print("|---|---|---|")
    print(f"| full | {full_median:.2f} | {', '.join(f'{w:.2f}' for w in full)} |")
    print(f"| incremental | {inc_median:.2f} | {', '.join(f'{w:.2f}' for w in incremental)} |")
    print(f"| floor (start-up, read, hash, write) | {floor_median:.2f} | ", end="")
    print(f"{', '.join(f'{w:.2f}' for w in floors)} |")
    print(f"\nratio incremental / full: **{inc_median / full_median:.3f}** (target <= 0.2)")
    print(f"ratio floor / full: {floor_median / full_median:.3f}", end="")
    print(f" (the last floor's parts: {floor_parts})\n")
    print("| stage | full s | incremental s |")
    print("|---|---|---|")
    for stage in stages:
        a = full_manifest["timings_seconds"].get(stage, "")
        b = incremental_manifest["timings_seconds"].get(stage, "")
        print(f"| {stage} | {a} | {b} |")


if __name__ == "__main__":
    main()
