"""Local engine vs Spark engine: wall time of one run on the same generated records.

Generates a fragmented-registry data set and links it with ``linkage run`` once per engine,
each in a fresh process (so Spark's start-up counts), then checks that both runs wrote the same
memberships and entities. Prints a Markdown table with the command and the per-stage timings
from the manifests.

    python benchmarks/spark_engine.py --entities 56000 --seed 7 --master 'local[2]'

(56,000 entities give about 100,000 records.) Needs pyspark and Java 17.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from linkage.datasets import generate

STAGES = ("read", "standardize", "block", "compare", "score", "cluster", "survive")
SAME = ("memberships.csv", "entities.csv")


def run(config: Path, out: Path, engine: str, master: str) -> tuple[float, dict[str, float]]:
    """Wall seconds of one ``linkage run`` and its manifest's stage timings."""
    command = [sys.executable, "-m", "linkage", "run", str(config), "--out", str(out), "--quiet"]
    command += ["--engine", engine]
    env = {**os.environ, "SPARK_MASTER": master, "PYSPARK_PYTHON": sys.executable}
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env)
    wall = time.perf_counter() - started
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return wall, manifest["timings_seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=56_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        data = generate(Path(work) / "data", entities=args.entities, seed=args.seed)
        results = {
            engine: run(data.config_path, Path(work) / engine, engine, args.master)
            for engine in ("local", "spark")
        }
        same = all(
            (Path(work) / "local" / name).read_bytes() == (Path(work) / "spark" / name).read_bytes()
            for name in SAME
        )
    command = f"python benchmarks/spark_engine.py --entities {args.entities} --seed {args.seed}"
    print(f"`{command} --master '{args.master}'`: {data.n_records:,} records\n")
    print("| engine | wall s | " + " | ".join(STAGES) + " |")
    print("|---|---:|" + "---:|" * len(STAGES))
    for engine, (wall, timings) in results.items():
        stages = " | ".join(f"{timings.get(s, 0):.1f}" for s in STAGES)
        print(f"| {engine} | {wall:.1f} | {stages} |")
    print(f"\nsame memberships and entities: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
