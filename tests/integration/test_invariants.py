"""Properties of whole runs: every record in exactly one entity; row order changes no byte."""

import tempfile
from pathlib import Path

import pandas as pd
from helpers import source_toml, write_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkage.pipeline import Linker

WORDS = ["acme", "huaxin", "blue", "sky", "trading", "华信", "科技", "Ltd", "GmbH", "有限公司"]
name = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)
registry = st.lists(
    st.tuples(name, st.sampled_from(["", "91440300MA5F1234XX", "12345678-9"])),
    min_size=1,
    max_size=12,
)


def write_sources(folder: Path, registries: list[list[tuple[str, str]]], seed: int) -> Path:
    tables = []
    for i, rows in enumerate(registries):
        frame = pd.DataFrame(
            {"rid": [f"r{j}" for j in range(len(rows))], "nm": [r[0] for r in rows]}
        )
        frame["code"] = [r[1] for r in rows]
        frame = frame.sample(frac=1.0, random_state=seed) if seed else frame
        frame.to_csv(folder / f"s{i}.csv", index=False)
        tables.append(
            source_toml(
                f"s{i}", f"s{i}.csv", "rid", fields={"name": "nm"}, identifiers={"auto": "code"}
            )
        )
    return write_config(folder, tables)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(registries=st.lists(registry, min_size=1, max_size=4), seed=st.integers(1, 10_000))
def test_every_record_once_and_row_order_changes_no_output_byte(
    registries: list[list[tuple[str, str]]], seed: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        outputs = {}
        for label, shuffle in (("ordered", 0), ("shuffled", seed)):
            folder = root / label
            folder.mkdir()
            Linker(write_sources(folder, registries, shuffle)).run(folder / "out")
            outputs[label] = folder / "out"
        members = pd.read_csv(outputs["ordered"] / "memberships.csv", dtype=str)
        expected = sorted(
            f"s{i}:r{j}" for i, rows in enumerate(registries) for j in range(len(rows))
        )
        assert sorted(members["uid"]) == expected
        assert members["entity_id"].notna().all()
        entities = pd.read_csv(outputs["ordered"] / "entities.csv", dtype=str)
        assert set(entities["entity_id"]) == set(members["entity_id"])
        for name in ("memberships.csv", "entities.csv", "entities.parquet", "pairs.parquet"):
            first = (outputs["ordered"] / name).read_bytes()
            assert first == (outputs["shuffled"] / name).read_bytes(), name
