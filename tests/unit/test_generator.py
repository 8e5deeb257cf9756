"""The fragmented-registry generator: truth coverage, determinism, identifier validity, realism."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from stdnum import lei, vatin
from stdnum.cn import uscc

from linkage.datasets import generate, write_demo
from linkage.datasets.noise import NOISE
from linkage.pipeline import Linker


def _read(config_dir: Path, source: dict) -> pd.DataFrame:
    path = config_dir / source["path"]
    if path.suffix == ".csv":
        return pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            encoding=source.get("encoding", "utf-8"),
            sep=source.get("delimiter", ","),
        )
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_json(path, lines=True, dtype=False)


def _sources(out: Path) -> list[dict]:
    return tomllib.loads((out / "config.toml").read_text(encoding="utf-8"))["sources"]


@pytest.fixture(scope="module")
def hard(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hard")
    generate(out, entities=12_000, registries=8, seed=7, difficulty="hard")
    return out


def test_truth_covers_every_written_record_exactly_once(hard):
    truth = pd.read_csv(hard / "truth.csv", dtype=str, keep_default_na=False)
    assert not truth.duplicated(["source", "record_id"]).any()
    written = []
    for source in _sources(hard):
        frame = _read(hard, source)
        ids = frame[source["id"]].astype(str)
        assert ids.is_unique, source["name"]
        for column in [*source.get("fields", {}).values(), *source.get("identifiers", {}).values()]:
            assert column in frame.columns, (source["name"], column)
        written.append(pd.DataFrame({"source": source["name"], "record_id": ids}))
    records = pd.concat(written, ignore_index=True)
    merged = records.merge(truth, on=["source", "record_id"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert len(records) == len(truth)


def test_same_seed_gives_identical_bytes(tmp_path):
    a = generate(tmp_path / "a", entities=800, registries=8, seed=3)
    b = generate(tmp_path / "b", entities=800, registries=8, seed=3)
    c = generate(tmp_path / "c", entities=800, registries=8, seed=4)
    files = sorted(p.name for p in a.out_dir.iterdir())
    assert files == sorted(p.name for p in b.out_dir.iterdir())
    for name in files:
        assert (a.out_dir / name).read_bytes() == (b.out_dir / name).read_bytes(), name
    assert (a.truth_path.read_bytes()) != (c.truth_path.read_bytes())


def _invalid_share(values: pd.Series, is_valid) -> tuple[float, int]:
    present = [v for v in values if isinstance(v, str) and v]
    return sum(not is_valid(v) for v in present) / len(present), len(present)


def _close_to(share: float, rate: float, n: int) -> bool:
    return abs(share - rate) <= 4 * np.sqrt(rate * (1 - rate) / n) + 1e-9


def test_identifier_validity_matches_the_mistype_rate(hard):
    rate = NOISE["hard"].id_mistype
    sources = {s["name"]: s for s in _sources(hard)}
    enterprise = _read(hard, sources["enterprise"])
    share, n = _invalid_share(enterprise["统一社会信用代码"], uscc.is_valid)
    assert n > 5000 and _close_to(share, rate, n), share
    gleif = _read(hard, sources["gleif"])
    assert _invalid_share(gleif["LEI"], lei.is_valid)[0] == 0.0  # the LEI register is clean
    share, n = _invalid_share(gleif["Entity.RegistrationAuthorityEntityID"], uscc.is_valid)
    assert _close_to(share, rate, n), share
    customs = _read(hard, sources["customs"])
    share, n = _invalid_share(customs["lei"], lei.is_valid)
    assert n > 300 and _close_to(share, rate, n), share
    vat = _read(hard, sources["eu_vat"])
    share, n = _invalid_share(vat["vat_number"], vatin.is_valid)
    assert n > 1000 and _close_to(share, rate, n), share


def _gb11714_ok(code: str) -> bool:
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(code, weights, strict=False)
    )
    check = 11 - total % 11
    return code[8] == {10: "X", 11: "0"}.get(check, str(check))


def test_chinese_identifiers_share_the_organisation_code(hard):
    sources = {s["name"]: s for s in _sources(hard)}
    truth = pd.read_csv(hard / "truth.csv", dtype=str, keep_default_na=False)
    ent = _read(hard, sources["enterprise"]).rename(columns={"reg_no": "record_id"})
    ent = ent.merge(truth[truth["source"] == "enterprise"], on="record_id")
    valid = ent[[uscc.is_valid(v) for v in ent["统一社会信用代码"]]]
    assert all(_gb11714_ok(v[8:17]) for v in valid["统一社会信用代码"])
    tax = _read(hard, sources["tax_legacy"]).rename(columns={"档案编号": "record_id"})
    tax = tax.merge(truth[truth["source"] == "tax_legacy"], on="record_id")
    legacy = tax[tax["纳税人识别号"].str.len() == 15]
    assert len(legacy) > 500
    joined = legacy.merge(valid[["entity_id", "统一社会信用代码"]], on="entity_id")
    same = [
        t[6:] == u[8:17]
        for t, u in zip(joined["纳税人识别号"], joined["统一社会信用代码"], strict=False)
    ]
    assert np.mean(same) > 0.85  # the rest are mistyped
    court = _read(hard, sources["court_cases"])["组织机构代码"]
    court = court[court != ""]
    assert court.str.contains("-").any() and (~court.str.contains("-")).any()


def test_hard_negatives_and_variants_are_present(hard):
    sources = {s["name"]: s for s in _sources(hard)}
    truth = pd.read_csv(hard / "truth.csv", dtype=str, keep_default_na=False)
    ent = _read(hard, sources["enterprise"]).rename(columns={"reg_no": "record_id"})
    ent = ent.merge(truth[truth["source"] == "enterprise"], on="record_id")
    branches = ent[ent["企业名称"].str.endswith("分公司")]
    assert len(branches) > 50
    heads = dict(zip(ent["企业名称"], ent["entity_id"], strict=True))
    pattern = re.compile(r"^(.+有限(?:责任)?公司)(.+)分公司$")
    split = [(pattern.match(n), e) for n, e in zip(branches["企业名称"], branches["entity_id"],
                                                   strict=True)]  # fmt: skip
    pairs = [(heads.get(m.group(1)), e) for m, e in split if m and m.group(1) in heads]
    assert pairs and all(h != b for h, b in pairs)  # a branch is its own entity
    assert ent["住所"].value_counts().iloc[0] > 5  # registered-agent address
    tax = _read(hard, sources["tax_legacy"])["纳税人名称"]
    assert tax.str.contains("（").any()  # city in brackets
    hk = _read(hard, sources["hk_filings"])["公司名稱"]
    assert hk.str.contains("責任|區|華").any()  # traditional characters
    customs = _read(hard, sources["customs"])["company_name"]
    assert customs.str.len().max() <= 30 and (customs == customs.str.upper()).all()
    directory = _read(hard, sources["trade_directory"])
    assert directory["company"].str.contains(r"Co\., Ltd\.").any()
    assert directory["company"].str.contains("[\u4e00-\u9fff]").any()
    court = truth[truth["source"] == "court_cases"]
    assert court["entity_id"].duplicated().any()  # one row per case
    unique = {s["name"]: s["unique"] for s in _sources(hard)}
    assert unique["court_cases"] is False and unique["enterprise"] is True


def test_formats_and_encoding(hard):
    sources = {s["name"]: s for s in _sources(hard)}
    assert sources["tax_legacy"]["encoding"] == "gb18030"
    raw = (hard / "tax_legacy.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    suffixes = {Path(s["path"]).suffix for s in sources.values()}
    assert {".csv", ".parquet", ".jsonl"} <= suffixes
    dates = _read(hard, sources["tax_legacy"])["登记日期"]
    fmt = sources["tax_legacy"]["formats"]["founded"]
    assert pd.to_datetime(dates, format=fmt).notna().all()


@pytest.mark.parametrize("registries", [2, 9])
def test_registry_count_is_checked(tmp_path, registries):
    with pytest.raises(ValueError, match="registries"):
        generate(tmp_path, entities=10, registries=registries)


def test_demo_is_small_mixed_script_with_known_truth(tmp_path):
    demo = write_demo(tmp_path)
    assert 150 <= demo.n_records <= 600
    assert len(demo.source_paths) >= 3
    sources = _sources(tmp_path)
    names = {s["fields"]["name"] for s in sources}
    assert len(names) == len(sources)  # different column names per source
    text = "".join(_read(tmp_path, s)[s["fields"]["name"]].astype(str).str.cat() for s in sources)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text) and any(ch.isascii() for ch in text)
    truth = pd.read_csv(demo.truth_path, dtype=str)
    assert len(truth) == demo.n_records and truth["entity_id"].nunique() == demo.n_entities


@pytest.mark.parametrize(("entities", "registries"), [(1, 3), (2, 8), (10, 3), (30, 5)])
def test_tiny_data_sets_generate_and_link(tmp_path, entities, registries):
    data = generate(tmp_path, entities=entities, registries=registries, seed=3)
    truth = pd.read_csv(data.truth_path, dtype=str)
    assert len(truth) == data.n_records >= 1
    assert set(truth["source"]) == set(data.source_paths)
    members = Linker(data.config_path).run().memberships
    assert sorted(members["uid"]) == sorted(truth["source"] + ":" + truth["record_id"])
