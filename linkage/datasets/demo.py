"""The bundled demo: a small fixed generated data set that ``linkage demo`` links end to end."""

from __future__ import annotations

from pathlib import Path

from linkage.datasets.generator import GeneratedDataset, generate
from linkage.datasets.noise import Difficulty

DEMO_ENTITIES = 120
DEMO_REGISTRIES = 4
DEMO_SEED = 20240611
DEMO_DIFFICULTY: Difficulty = "easy"


def write_demo(out_dir: str | Path) -> GeneratedDataset:
    """Write the demo registries (a few hundred records, hanzi and Latin, four sources with
    different columns and formats), ``truth.csv`` and ``config.toml`` into ``out_dir``."""
    return generate(
        out_dir,
        entities=DEMO_ENTITIES,
        registries=DEMO_REGISTRIES,
        seed=DEMO_SEED,
        difficulty=DEMO_DIFFICULTY,
    )
