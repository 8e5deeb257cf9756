"""Resident memory of a run, stage by stage: the RSS at the end of each stage and the highest
so far, sampled every 50 ms in the running process (Linux: /proc/self/status).

    python benchmarks/memory_by_stage.py /tmp/g1m/config.toml --out /tmp/mem-run

Runs like ``linkage run`` (with the store in the output folder, or ``--store``; an incremental
run with ``--incremental``) and prints a Markdown table, with the process's peak RSS as the
kernel counts it.
"""

from __future__ import annotations

import argparse
import logging
import resource
import shutil
import sys
import threading
import time
from pathlib import Path

from linkage.pipeline import Linker


def resident_gb() -> float:
    """This process's resident set size, in GB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1e6
    raise RuntimeError("no VmRSS in /proc/self/status")


class Sampler:
    """The highest RSS seen, sampled in a background thread."""

    def __init__(self, every: float = 0.05) -> None:
        self.highest = resident_gb()
        thread = threading.Thread(target=self._sample, args=(every,), daemon=True)
        thread.start()

    def _sample(self, every: float) -> None:
        while True:
            self.highest = max(self.highest, resident_gb())
            time.sleep(every)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--store", type=Path, help="default: linkage.duckdb in --out")
    parser.add_argument("--incremental", action="store_true")
    args = parser.parse_args()
    store = args.store or args.out / "linkage.duckdb"
    shutil.rmtree(args.out, ignore_errors=True)
    sampler = Sampler()
    rows: list[tuple[str, float, float]] = []
    stage = ["start"]

    class StageEnds(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            # a stage's start ends the step before it; after the profiles come the outputs and
            # the store (their line says "records -> N entities")
            message = record.getMessage()
            if message.endswith("…") or "entities" in message:
                now = resident_gb()
                rows.append((stage[0], now, max(now, sampler.highest)))
                stage[0] = message.rstrip("…") if message.endswith("…") else "write, store"

    logger = logging.getLogger("linkage")
    logger.addHandler(StageEnds())
    logger.setLevel(logging.INFO)
    started = time.perf_counter()
    Linker(args.config, store=store, incremental=args.incremental).run(args.out)
    now = resident_gb()
    rows.append((stage[0], now, max(now, sampler.highest)))
    wall = time.perf_counter() - started
    print(f"command: `python benchmarks/memory_by_stage.py {' '.join(sys.argv[1:])}`\n")
    print("| stage | RSS at its end (GB) | highest so far (GB) |")
    print("|---|---|---|")
    for name, now, highest in rows[1:]:
        print(f"| {name} | {now:.2f} | {highest:.2f} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"\nwall {wall:.1f} s; peak RSS (kernel, ru_maxrss) {peak:.2f} GB")


if __name__ == "__main__":
    main()
