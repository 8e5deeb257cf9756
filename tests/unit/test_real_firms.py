"""Registries built on real firms: parse, renderings, determinism, truth and configs.

A dozen real-looking firms typed here stand in for a registry, so these tests run without the
shared data; one test draws from the shared Jiangsu file and skips when it is absent.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from stdnum.cn import uscc

from linkage.config import load_config
from linkage.datasets import generate_from_registry
from linkage.datasets.real_firms import REGISTRY_COLUMNS, draw_firms, firm_pool, read_registry
from linkage.datasets.zh_anatomy import Gazetteer, cn_number, parse, terms
from linkage.datasets.zh_latin import latin_address, latin_name
from linkage.datasets.zh_variants import LAYOUTS, hanzi_name
from linkage.errors import InputError
from linkage.sources import read_sources

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
JIANGSU = DATA / "cn_enterprise_registry_jiangsu" / "registry.csv"
CJK = re.compile("[\u4e00-\u9fff]")


def _uscc(admin: str, org: str) -> str:
    body = "91" + admin + org
    return body + uscc.calc_check_digit(body)


# rid, name, admin code, organisation code, founded, representative, city, address
_FIRMS = [
    ("r01", "江苏华信商贸有限公司", "320106", "134500011", "1992-03-01", "王建国", "南京",
     "南京市鼓楼区中山北路18号"),
    ("r02", "江苏华信商贸有限公司城西加油站", "320106", "134500029", "1995-06-12", "李明",
     "南京", "南京市鼓楼区城西路5号"),
    ("r03", "江苏华信商贸有限公司第三门市部", "320106", "134500037", "1996-01-20", "张伟",
     "南京", "南京市鼓楼区湖南路100号"),
    ("r04", "江苏华信商贸有限公司无锡分公司", "320213", "134500045", "1997-09-09", "刘洋",
     "无锡", "无锡市梁溪区人民中路8号"),
    ("r05", "常州市恒达机械厂", "320412", "137100012", "1988-05-05", "陈强", "常州",
     "常州市武进区湖塘镇长安路12号"),
    ("r06", "常州市恒达化工有限公司", "320412", "137100020", "1994-11-11", "陈强", "常州",
     "常州市武进区湖塘镇长安路14号"),
    ("r07", "江阴市红光五金厂", "320281", "142200013", "1985-02-02", "周立", "无锡",
     "江阴市周庄镇红光村"),
    ("r08", "靖江市红光五金厂", "321282", "141000018", "1990-07-07", "吴兵", "泰州",
     "靖江市新桥镇利民路3号"),
    ("r09", "宜兴市周铁永兴陶瓷有限公司", "320282", "142500016", "1993-04-04", "徐芳", "无锡",
     "宜兴市周铁镇竺山路2号"),
    ("r10", "宜兴市周铁金达建材有限公司", "320282", "142500024", "1998-08-08", "孙磊", "无锡",
     "宜兴市周铁镇沙塘港村"),
    ("r11", "康达(苏州)精密机械有限公司", "320506", "138800011", "1999-12-12", "马丽", "苏州",
     "苏州市吴中区木渎镇金枫路9号"),
    ("r12", "中国工商银行股份有限公司宜兴周铁支行", "320282", "142500032", "1991-10-10",
     "朱敏", "无锡", "宜兴市周铁镇东大街1号"),
    ("r13", "南京市栖霞区华信电子科技有限公司", "320113", "134900017", "1997-03-03", "胡军",
     "南京", "南京市栖霞区仙林大道6号"),
]  # fmt: skip
SUB_UNITS = {"r02": "加油站", "r03": "门市部", "r04": "分公司", "r12": "支行"}


def _registry() -> pd.DataFrame:
    rows = [
        (rid, name, _uscc(admin, org), founded, "", rep, "100(万元人民币)", "江苏", city, addr)
        for rid, name, admin, org, founded, rep, city, addr in _FIRMS
    ]
    frame = pd.DataFrame(rows, columns=list(REGISTRY_COLUMNS))
    duplicate = frame.iloc[[4]].assign(rid="r99")  # a registry listing a firm twice
    return pd.concat([frame, duplicate], ignore_index=True)


REGISTRY = _registry()
USCC_OF = dict(zip(REGISTRY["rid"], REGISTRY["uscc"], strict=True))


@pytest.fixture(scope="module")
def pool():
    return firm_pool(REGISTRY)


def test_read_registry_keeps_one_row_per_uscc_and_names_missing_columns():
    frame = read_registry(REGISTRY)
    assert len(frame) == len(_FIRMS) and frame["uscc"].is_unique
    assert frame["rid"].tolist() == sorted(frame["rid"])
    with pytest.raises(InputError, match="uscc"):
        read_registry(REGISTRY.drop(columns="uscc"))


def test_parse_takes_real_names_apart(pool):
    gaz: Gazetteer = pool.gazetteer
    bank = parse("中国工商银行股份有限公司宜兴周铁支行", gaz)
    assert bank.parent == "中国工商银行股份有限公司" and bank.tails[-1].marker == "支行"
    assert [p.text for p in bank.tails[-1].places] == ["宜兴", "周铁"]
    store = parse("江苏华信商贸有限公司第三门市部", gaz)
    assert (store.tails[-1].ordinal, store.tails[-1].marker) == (3, "门市部")
    assert (store.trade, store.industry, store.form) == ("华信", ("商贸",), "有限公司")
    works = parse("常州市恒达机械厂", gaz)
    assert ([p.text for p in works.places], works.trade, works.industry, works.form) == (
        ["常州市"], "恒达", ("机械",), "厂")  # fmt: skip
    assert not works.is_sub_unit
    assert parse("康达(苏州)精密机械有限公司", gaz).bracket_place.stem == "苏州"
    town = parse("宜兴市周铁永兴陶瓷有限公司", gaz)
    assert [p.text for p in town.places] == ["宜兴市", "周铁"]  # 周铁 learned from 周铁镇
    assert [cn_number(t) for t in ("三", "十二", "二十", "七O三", "12")] == [3, 12, 20, 703, 12]


def _markers(marker: str) -> tuple[str, ...]:
    return tuple(m.lower() for m in terms().unit[marker])


def test_every_rendering_of_a_sub_unit_keeps_its_unit(pool):
    rng = np.random.default_rng(1)
    for anatomy in pool.anatomy:
        if not anatomy.is_sub_unit:
            continue
        marker = anatomy.tails[-1].marker
        for layout in LAYOUTS:
            assert marker in hanzi_name(anatomy, layout, "江苏"), (anatomy.registered, layout)
        for _ in range(60):
            latin = latin_name(anatomy, rng).lower()
            assert any(m in latin for m in _markers(marker)), (anatomy.registered, latin)


def test_latin_renderings_hold_no_hanzi_and_vary(pool):
    rng = np.random.default_rng(2)
    for anatomy, address in zip(pool.anatomy, pool.frame["address"], strict=True):
        names = {latin_name(anatomy, rng) for _ in range(30)}
        assert len(names) > 3, anatomy.registered  # several habits, not one table lookup
        for text in [*names, latin_address(address, pool.gazetteer, rng)]:
            assert not CJK.search(text) and text.isascii(), text


def test_hanzi_layouts_move_places_and_forms(pool):
    by_rid = dict(zip(pool.frame["rid"], pool.anatomy, strict=True))
    works = by_rid["r06"]  # 常州市恒达化工有限公司
    assert hanzi_name(works, "bracket") == "恒达化工(常州)有限公司"
    assert hanzi_name(works, "bare_suffix") == "常州恒达化工有限公司"
    assert hanzi_name(works, "form_swap") == "常州市恒达化工有限责任公司"
    assert hanzi_name(works, "no_place") == "恒达化工有限公司"
    assert hanzi_name(works, "with_province", "江苏") == "江苏省常州市恒达化工有限公司"
    assert hanzi_name(works, "short") == "恒达化工"
    assert hanzi_name(by_rid["r01"], "no_province") == "华信商贸有限公司"


def test_draw_takes_whole_groups_of_hard_cases():
    big = firm_pool(REGISTRY)
    firms = draw_firms(big, 100, np.random.default_rng(0))
    assert firms.n == len(_FIRMS)  # a small registry is taken whole
    assert set(firms.case) <= {"sub_units", "sisters", "namesakes", "town", "random"}
    assert (firms.case == "sub_units").sum() >= 2


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> list[Path]:
    """The registry drawn whole with several seeds, so every view holds records."""
    outs = []
    for seed in range(6):
        out = tmp_path_factory.mktemp(f"real{seed}")
        generate_from_registry(REGISTRY, out, firms=50, seed=seed)
        outs.append(out)
    return outs


def _sources(out: Path) -> list[dict]:
    return tomllib.loads((out / "config.toml").read_text(encoding="utf-8"))["sources"]


def _read(out: Path, source: dict) -> pd.DataFrame:
    path = out / source["path"]
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_csv(path, dtype=str, keep_default_na=False, sep=source.get("delimiter", ","),
                       encoding=source.get("encoding", "utf-8"))  # fmt: skip


def test_same_seed_gives_identical_bytes(tmp_path):
    a = generate_from_registry(REGISTRY, tmp_path / "a", firms=50, seed=3)
    b = generate_from_registry(REGISTRY, tmp_path / "b", firms=50, seed=3)
    c = generate_from_registry(REGISTRY, tmp_path / "c", firms=50, seed=4)
    files = sorted(p.name for p in a.out_dir.iterdir())
    assert files == sorted(p.name for p in b.out_dir.iterdir())
    for name in files:
        assert (a.out_dir / name).read_bytes() == (b.out_dir / name).read_bytes(), name
    assert a.truth_path.read_bytes() != c.truth_path.read_bytes()


def test_every_record_names_a_firm_by_its_uscc(generated):
    registered = dict(zip(REGISTRY["uscc"], REGISTRY["name"], strict=True))
    for out in generated:
        truth = pd.read_csv(out / "truth.csv", dtype=str, keep_default_na=False)
        assert set(truth["entity_id"]) <= set(registered)
        assert not truth.duplicated(["source", "record_id"]).any()
        entity = dict(zip(truth["source"] + ":" + truth["record_id"], truth["entity_id"],
                          strict=True))  # fmt: skip
        for source in _sources(out):
            frame = _read(out, source)
            uids = source["name"] + ":" + frame[source["id"]].astype(str)
            assert uids.is_unique and uids.isin(list(entity)).all(), source["name"]
            if source["name"] == "enterprise":  # the register names firms as registered
                assert [registered[entity[u]] for u in uids] == frame["企业名称"].tolist()
            if source["name"] == "tax":  # USCC or legacy number: area code + org code
                for u, number in zip(uids, frame["纳税人识别号"], strict=True):
                    usc = entity[u]
                    if number and number not in (usc, usc[2:17]):
                        assert len(number) in (15, 18)  # one mistyped character at most
                        target = usc if len(number) == 18 else usc[2:17]
                        assert sum(x != y for x, y in zip(number, target, strict=True)) == 1


def test_views_render_what_they_claim(generated):
    unit_of = {USCC_OF[rid]: marker for rid, marker in SUB_UNITS.items()}
    seen = {"customs": 0, "sub-unit latin": 0, "sub-unit hanzi": 0}
    for out in generated:
        truth = pd.read_csv(out / "truth.csv", dtype=str, keep_default_na=False)
        entity = dict(zip(truth["source"] + ":" + truth["record_id"], truth["entity_id"],
                          strict=True))  # fmt: skip
        for source in _sources(out):
            frame = _read(out, source)
            name_col = source["fields"]["name"]
            for rid, name in zip(frame[source["id"]].astype(str), frame[name_col], strict=True):
                latin = not CJK.search(name)
                if source["name"] == "customs":
                    assert latin and name.isascii(), name
                    seen["customs"] += 1
                elif source["name"] in ("enterprise", "tax", "court"):
                    assert not latin, (source["name"], name)
                marker = unit_of.get(entity[f"{source['name']}:{rid}"])
                if marker is None:
                    continue
                if latin:
                    assert any(m in name.lower() for m in _markers(marker)), name
                    seen["sub-unit latin"] += 1
                else:
                    assert marker in name, name
                    seen["sub-unit hanzi"] += 1
    assert all(seen.values()), seen


def test_names_only_config_maps_no_identifier(generated):
    out = generated[0]
    with_ids = {s["name"]: s.get("identifiers", {}) for s in _sources(out)}
    assert with_ids["enterprise"] == {"uscc": "统一社会信用代码"}
    assert with_ids["tax"] == {"cn_tax": "纳税人识别号"}
    assert with_ids["customs"] == {"uscc": "credit_code"}
    names = tomllib.loads((out / "config_names.toml").read_text(encoding="utf-8"))["sources"]
    assert [s["name"] for s in names] == list(with_ids)
    assert not any("identifiers" in s for s in names)
    truth = pd.read_csv(out / "truth.csv", dtype=str)
    for config in ("config.toml", "config_names.toml"):  # GB18030, ';' and JSON Lines read
        records, _ = read_sources(load_config(out / config))
        assert len(records) == len(truth)
    records, _ = read_sources(load_config(out / "config_names.toml"))
    assert not [c for c in records.columns if c.startswith("id_")]


@pytest.mark.skipif(not JIANGSU.exists(), reason="shared Jiangsu registry not present")
def test_jiangsu_sample_holds_the_hard_cases(tmp_path):
    ds = generate_from_registry(JIANGSU, tmp_path, firms=600, seed=0)
    assert ds.n_firms == 600
    assert set(ds.cases) == {"sub_units", "sisters", "namesakes", "town", "random"}
    truth = pd.read_csv(ds.truth_path, dtype=str)
    assert truth["entity_id"].map(uscc.is_valid).all()
    enterprise = pd.read_csv(ds.source_paths["enterprise"], dtype=str, keep_default_na=False)
    parents = enterprise["企业名称"].str.extract(
        r"^(.+?(?:有限公司|公司))..+(?:支行|分公司|门市部|加油站|营业部)$"
    )[0]
    assert parents.value_counts().max() >= 3  # whole groups of sub-units of one parent
    customs = pd.read_csv(ds.source_paths["customs"], dtype=str, sep=";", keep_default_na=False)
    assert not customs["company_name"].str.contains(CJK).any()
