"""What reviewers' answers are worth: F1 after N judged pairs, the review queue's order
against random order, on shared real sets.

For each set: one run without judgements; then, for N in 50, 100, 200, 500 and each order, a
fresh store holding N judgements and a new run with it. The judgements come from the truth (a
simulated reviewer who is always right), for:

- queue order: the first N pairs of ``linkage review``'s queue of the first run;
- random order: N candidate pairs the model decided, drawn at random (seed 0).

Each batch is judged at once from the first run's queue (a reviewer working in rounds, with a
rerun between them, would see a fresher queue). The run applies the judged pairs (must-links
and cannot-links) and, from 50 judged pairs with 10 of each verdict, learns m and the
threshold from them (``[matching] learn_from_judgements``, automatic).

Usage: python benchmarks/review.py [--data ../shared/data] [--out benchmarks/results]
[--sizes 50 100 200 500] [--firms 3000]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from harness import ROOT, Prepared, commit, from_loader, measure
from real_data import from_real_firms

SIZES = (50, 100, 200, 500)


def _sets(data: Path, firms: int) -> list[tuple[str, Any]]:
    registry = str(data / "cn_enterprise_registry_jiangsu" / "registry.csv")
    return [
        ("patstat NL applicants", partial(from_loader, "load_patstat",
                                          str(data / "company_patstat_nl_dedupe"))),
        ("chicago early childhood", partial(from_loader, "load_chicago",
                                            str(data / "org_chicago_early_childhood_dedupe"))),
        (f"real firms (jiangsu, {firms:,}), names only",
         partial(from_real_firms, registry, firms, False)),
    ]  # fmt: skip


def _answers(prepared: Prepared, pairs: pd.DataFrame) -> pd.DataFrame:
    """The simulated reviewer: each pair's verdict from the truth."""
    from linkage.evaluation import is_true_pair

    same = is_true_pair(prepared.truth, pairs["uid_l"], pairs["uid_r"])
    return pd.DataFrame({
        "uid_a": pairs["uid_l"].to_numpy(),
        "uid_b": pairs["uid_r"].to_numpy(),
        "verdict": np.where(same, "same", "different"),
        "judged_by": "simulated reviewer (truth)",
    })  # fmt: skip


def _run(prepared: Prepared, out: Path, answers: pd.DataFrame | None) -> dict[str, Any]:
    from linkage.pipeline import Linker
    from linkage.store import Store

    store = out / "linkage.duckdb"
    out.mkdir(parents=True, exist_ok=True)
    if answers is not None:
        with Store(store) as s:
            s.judge_many(answers)
    started = time.perf_counter()
    result = Linker(prepared.config, frames=prepared.frames, store=store).run(out)
    scores = measure(prepared, result.memberships)
    judged = (result.model or {}).get("parameters", {}).get("judgements", {})
    scores["seconds"] = time.perf_counter() - started
    scores["learned"] = _learned(judged)
    scores["threshold"] = float(result.manifest["choices"]["threshold"])
    return scores


def _learned(judged: dict[str, Any]) -> str:
    if not judged.get("learned"):
        return "no"
    if "largest_m_change" not in judged:
        return "yes: u and the match share (m knowledge-based)"
    return f"yes: m moved by up to {judged['largest_m_change']:.3g}"


def evaluate_set(label: str, prepare: Any, sizes: tuple[int, ...], tmp: Path) -> list[str]:
    """The table rows of one set: the first run, then every (N, order)."""
    from linkage.review import review_queue

    prepared = prepare(tmp / "data")
    base = _run(prepared, tmp / "base", None)
    rows = [_row(label, 0, "-", None, base)]
    pairs = pd.read_parquet(
        tmp / "base" / "pairs.parquet", columns=["uid_l", "uid_r", "decided_by"]
    )
    pool = pairs[pairs["decided_by"] == "model"]
    for size in sizes:
        queued = review_queue(tmp / "base", limit=size)[["uid_l", "uid_r"]]
        drawn = pool.sample(n=min(size, len(pool)), random_state=0)[["uid_l", "uid_r"]]
        for order, chosen in (("queue", queued), ("random", drawn)):
            answers = _answers(prepared, chosen)
            result = _run(prepared, tmp / f"{order}{size}", answers)
            rows.append(_row(label, len(answers), order, answers, result))
            print(rows[-1], flush=True)
    return rows


def _row(label: str, n: int, order: str, answers: pd.DataFrame | None, r: dict[str, Any]) -> str:
    same = 0 if answers is None else int((answers["verdict"] == "same").sum())
    split = "-" if answers is None else f"{same} / {len(answers) - same}"
    return (
        f"| {label} | {n} | {order} | {split} | {r['precision']:.3f} | {r['recall']:.3f} | "
        f"{r['f1']:.3f} | {r['threshold']:.4g} | {r['learned']} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--firms", type=int, default=3000)
    args = parser.parse_args()
    header = [
        "| data set | judged pairs | order | same / different | precision | recall | F1 | "
        "threshold | learned from the judgements |",
        "|---|---:|---|---|---:|---:|---:|---:|---|",
    ]
    rows = []
    for label, prepare in _sets(args.data, args.firms):
        with tempfile.TemporaryDirectory() as tmp:
            rows += evaluate_set(label, prepare, tuple(args.sizes), Path(tmp))
    command = "python benchmarks/review.py " + shlex.join(sys.argv[1:])
    text = "\n".join(
        ["# Review: F1 after N judged pairs, queue order against random order", "", *header,
         *rows, "", f"Command (from the project root): `{command.strip()}` at commit {commit()}.",
         "", *_notes()]
    )  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "review.md").write_text(text + "\n", encoding="utf-8")
    print(text)


def _notes() -> list[str]:
    return [
        "- Judged pairs 0: the run without judgements (automatic configuration).",
        "- A simulated reviewer answers from the truth: every answer is right. Queue order "
        "takes the first N pairs of `linkage review`'s queue of that run; random order draws N "
        "of the candidate pairs the model decided (seed 0). Each batch is judged at once.",
        "- The run applies every judged pair (same: must-link, different: cannot-link) and, "
        "with at least 50 judged pairs of which 10 of each verdict, learns from them (the last "
        "column): EM runs with the judged pairs' classes known, and the threshold follows from "
        "the refitted model (best expected F1, raised for the clusters).",
        "- Precision, recall and F1 are pairwise over all records, the judged pairs included: "
        "the figures show what the answers are worth to the whole result.",
        "- PATSTAT and the real-firm registries were worked on in issue 12 (seen data), Chicago "
        "in issue 5; nothing here is tuned on these runs.",
    ]


if __name__ == "__main__":
    main()
