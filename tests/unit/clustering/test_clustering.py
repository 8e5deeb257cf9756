"""Constrained clustering: must-links first, strongest edges next, refused unions logged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.clustering import apply_judgements, at_higher_cutoff, cluster, entity_id_for
from linkage.scoring import raise_threshold
from linkage.standardize import normalize_name


def make_features(rows: list[tuple[str, str, bool]], source: str = "s") -> pd.DataFrame:
    """Features from (record_id, id_keys, is_branch) rows, sorted by uid like the pipeline's."""
    frame = pd.DataFrame(
        {
            "uid": [f"{source}:{r[0]}" for r in rows],
            "source": source,
            "record_id": [r[0] for r in rows],
            "id_keys": [r[1] for r in rows],
            "is_branch": [r[2] for r in rows],
        }
    )
    return frame.sort_values("uid").reset_index(drop=True)


def make_scored(features: pd.DataFrame, edges: list[tuple[int, int, float]]) -> pd.DataFrame:
    """Scored pairs over row positions; every edge is a match."""
    rows = []
    for a, b, score in edges:
        left, right = min(a, b), max(a, b)
        if left == right:
            continue
        rows.append((left, right, score))
    frame = pd.DataFrame(rows, columns=["idx_l", "idx_r", "score"]).drop_duplicates(
        ["idx_l", "idx_r"]
    )
    uids = features["uid"].to_numpy()
    frame["uid_l"] = uids[frame["idx_l"].to_numpy(dtype=int)]
    frame["uid_r"] = uids[frame["idx_r"].to_numpy(dtype=int)]
    frame["is_match"] = True
    frame["decided_by"] = "model"
    return frame.reset_index(drop=True)


def entity_of(result, uid: str) -> str:  # type: ignore[no-untyped-def]
    members = result.memberships
    return str(members.loc[members["uid"] == uid, "entity_id"].iloc[0])


def test_must_link_on_shared_identifier_key_without_any_scored_pair() -> None:
    features = make_features([("a", "cn_org:1 uscc:X", False), ("b", "cn_org:1", False)])
    result = cluster(features, make_scored(features, []))
    assert entity_of(result, "s:a") == entity_of(result, "s:b") == entity_id_for("s:a")
    assert result.merges["kind"].tolist() == ["identifier"]
    assert result.merges["evidence"].tolist() == ["cn_org:1"]


def test_conflicting_identifiers_refuse_a_chain_through_a_record_without_one() -> None:
    # a -- c -- b: c has no identifier; a and b hold different USCCs. The strongest edge wins.
    features = make_features([("a", "uscc:X", False), ("b", "uscc:Y", False), ("c", "", False)])
    result = cluster(features, make_scored(features, [(0, 2, 0.95), (1, 2, 0.9)]))
    assert entity_of(result, "s:a") == entity_of(result, "s:c") != entity_of(result, "s:b")
    refused = result.merges[~result.merges["accepted"]]
    assert refused["reason"].tolist() == ["identifier:uscc"]
    assert result.stats["refused"] == {
        "identifier": 1,
        "branch": 0,
        "unit": 0,
        "unique_source": 0,
        "judgement": 0,
    }


def test_branch_never_joins_head_office_unless_they_share_a_key() -> None:
    features = make_features(
        [("head", "", False), ("branch", "", True), ("b2", "lei:L", True), ("h2", "lei:L", False)]
    )
    result = cluster(features, make_scored(features, [(0, 1, 0.99)]))
    assert entity_of(result, "s:head") != entity_of(result, "s:branch")
    assert entity_of(result, "s:b2") == entity_of(result, "s:h2")
    assert "branch" in result.merges["reason"].tolist()


def test_sub_units_with_different_units_stay_apart_even_through_a_chain() -> None:
    # 南京银行洪武支行 / 钟山支行 / another 洪武 record; a shared code joins two units' records
    features = make_features(
        [("hw", "", True), ("zs", "", True), ("hw2", "", True), ("x", "uscc:A", True),
         ("y", "uscc:A", True)]
    )  # fmt: skip
    unit = {"hw": "hongwu", "zs": "zhongshan", "hw2": "hongwu", "x": "a", "y": "b"}
    features["name_unit"] = features["record_id"].map(unit)
    row = {r: i for i, r in enumerate(features["record_id"])}
    edges = [
        (row["hw"], row["zs"], 0.99),
        (row["zs"], row["hw2"], 0.98),
        (row["hw"], row["hw2"], 0.9),
    ]
    result = cluster(features, make_scored(features, edges))
    assert entity_of(result, "s:hw") != entity_of(result, "s:zs")
    assert entity_of(result, "s:hw") == entity_of(result, "s:hw2")
    assert entity_of(result, "s:x") == entity_of(result, "s:y")
    assert result.merges["reason"].tolist().count("unit") == 2


def test_unit_keys_read_alike_across_scripts_are_one_unit() -> None:
    # 南京康林仁和…中山北路专卖店 and its rendering "... Zhongshanbeilu Monopoly Store" (the
    # rendering glued its unit word on); two Chinese units, or another unit, stay apart
    names = {
        "zh": ("南京康林仁和家庭医疗保健用品有限公司中山北路专卖店", "beilu"),
        "en": (
            "nanjing kanglin renhejiating healthcare zhongshanbeilu monopoly store",
            "beilumonopoly",
        ),
        "zh2": ("南京康林仁和家庭医疗保健用品有限公司中山北路零售店", "beilulingshou"),
        "en2": ("nanjing kanglin renhejiating healthcare hunan road monopoly store", "hunan"),
    }
    features = make_features([(r, "", True) for r in names])
    features["name_norm"] = features["record_id"].map(lambda r: names[r][0])
    features["name_unit"] = features["record_id"].map(lambda r: names[r][1])
    row = {r: i for i, r in enumerate(features["record_id"])}
    edges = [
        (row["zh"], row["en"], 0.99),
        (row["zh"], row["zh2"], 0.98),
        (row["zh"], row["en2"], 0.97),
    ]
    result = cluster(features, make_scored(features, edges))
    assert entity_of(result, "s:zh") == entity_of(result, "s:en")
    assert entity_of(result, "s:zh") != entity_of(result, "s:zh2")
    assert entity_of(result, "s:zh") != entity_of(result, "s:en2")
    assert result.merges["reason"].tolist().count("unit") == 2


def parsed_features(names: dict[str, str]) -> pd.DataFrame:
    """Features from record -> name, with the name columns the pipeline parses from it."""
    parsed = {r: normalize_name(n) for r, n in names.items()}
    features = make_features([(r, "", p.is_branch) for r, p in parsed.items()])
    for column, attribute in (
        ("name_norm", "norm"), ("name_latin", "latin"), ("name_unit", "unit_key"),
        ("name_parent", "parent"),
    ):  # fmt: skip
        features[column] = [getattr(parsed[r], attribute) for r in features["record_id"]]
    return features


def test_a_latin_name_that_names_a_branch_unit_joins_it_and_the_parent_stays_apart() -> None:
    # real names of one site (Chicago early-childhood registry): "Center" is read as a unit
    # only after an organisation word, so one record of the site is a branch and one is not
    names = {
        "site": "Chicago Commons Association - Nia Family Center",
        "same": "Chicago Commons - Nia Family Center",
        "head": "Chicago Commons Association",
        "other": "Chicago Commons Association - Guadalupano Family Center",
    }
    features = parsed_features(names)
    row = {r: i for i, r in enumerate(features["record_id"])}
    edges = [
        (row["site"], row["same"], 0.99),
        (row["same"], row["head"], 0.98),
        (row["same"], row["other"], 0.97),
    ]
    result = cluster(features, make_scored(features, edges))
    assert entity_of(result, "s:site") == entity_of(result, "s:same")
    assert entity_of(result, "s:head") != entity_of(result, "s:site")
    assert entity_of(result, "s:other") != entity_of(result, "s:site")
    assert sorted(result.merges["reason"].dropna()) == ["branch", "unit"]


def _named_features(names: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Features from record -> (name, normalised address), parsed as the pipeline parses."""
    features = parsed_features({r: n for r, (n, _) in names.items()})
    address = {r: a for r, (_, a) in names.items()}
    features["address_norm"] = features["record_id"].map(address)
    features["address_numbers"] = features["address_norm"].str.extract(r"(\d+)")[0]
    return features


def test_a_latin_record_at_the_exact_address_of_a_latin_unit_is_that_unit() -> None:
    # real records of one site (Chicago early-childhood lists): one list names the site by
    # its organisation only, at the site's address; another site of it stays apart
    features = _named_features(
        {
            "site": ("Marcy Newberry Association - FOSCO ABLA Center", "1312 south racine avenue"),
            "org": ("Marcy Newberry Association", "1312 south racine avenue"),
            "other": ("Marcy Newberry Association", "1073 west maxwell street"),
        }
    )
    assert features.set_index("record_id")["is_branch"].to_dict() == {
        "site": True, "org": False, "other": False
    }  # fmt: skip
    row = {r: i for i, r in enumerate(features["record_id"])}
    edges = [(row["site"], row["org"], 0.99), (row["site"], row["other"], 0.98)]
    result = cluster(features, make_scored(features, edges))
    assert entity_of(result, "s:site") == entity_of(result, "s:org")
    assert entity_of(result, "s:other") != entity_of(result, "s:site")
    assert result.merges["reason"].tolist() == [None, "branch"]


def test_a_chinese_unit_at_its_company_address_stays_a_registration_of_its_own() -> None:
    # a 门市部 at its company's address is registered apart (real Jiangsu pattern)
    address = "江苏省南京市玄武区中山路1号"
    features = _named_features(
        {
            "store": ("南京贤丰石油化工有限公司门市部", address),
            "company": ("南京贤丰石油化工有限公司", address),
        }
    )
    assert features["is_branch"].tolist() == [False, True]  # sorted by uid: company, store
    result = cluster(features, make_scored(features, [(0, 1, 0.99)]))
    assert entity_of(result, "s:store") != entity_of(result, "s:company")
    assert result.merges["reason"].tolist() == ["branch"]


def test_of_equally_strong_edges_the_more_alike_names_join_first() -> None:
    # a rendering agrees on the same levels with two registered firms of one town (real
    # Jiangsu names); the register is unique, so the rendering joins one: the closer name
    names = {
        "a": "wuxidongtinghardwareelectricalapplianceparts",  # 东亭五金电器配件厂
        "b": "wuxidongtingelectricheatingelectricalappliancemanufacturing",  # 东亭电热电器制造厂
        "x": "wuxidongtingelectricheatingelectricalappliancemanufactureplant",
    }
    features = pd.concat(
        [
            make_features([("a", "", False), ("b", "", False)], source="register"),
            make_features([("x", "", False)], source="customs"),
        ]
    ).reset_index(drop=True)
    features["name_latin"] = features["record_id"].map(names)
    row = {r: i for i, r in enumerate(features["record_id"])}
    scored = make_scored(features, [(row["a"], row["x"], 0.9), (row["b"], row["x"], 0.9)])
    result = cluster(features, scored, unique_sources={"register"})
    assert entity_of(result, "customs:x") == entity_of(result, "register:b")
    assert result.merges["reason"].tolist() == [None, "unique_source"]


def test_two_values_of_one_identifier_column_of_one_source_are_two_registrations() -> None:
    # Jiangsu register (real): 大丰市大龙供销合作社灶河购销站 under its old 15-digit number and
    # 盐城市大丰区…灶河购销站 under a USCC: one name, two registrations. No crosswalk relates
    # the two numbers; their column in one source does. Another source's old number does not.
    features = pd.concat(
        [
            make_features(
                [("old", "cn_regno:320982000005967", False),
                 ("new", "cn_org:MA1UU3DG1 uscc:91320982MA1UU3DG1A", False)],
                source="register",
            ),
            make_features([("x", "cn_regno:320982000005967", False)], source="tax"),
        ]
    ).reset_index(drop=True)  # fmt: skip
    features["id_uscc_norm"] = ["320982000005967", "91320982MA1UU3DG1A", None]
    features["id_uscc_valid"] = [True, True, False]
    features["id_uscc_scheme"] = ["cn_regno", "uscc", None]
    features["id_tax_norm"] = [None, None, "320982000005967"]
    features["id_tax_valid"] = [False, False, True]
    features["id_tax_scheme"] = [None, None, "cn_regno"]
    row = {r: i for i, r in enumerate(features["record_id"])}
    scored = make_scored(features, [(row["old"], row["new"], 0.99), (row["x"], row["new"], 0.9)])
    result = cluster(features, scored)
    assert entity_of(result, "register:old") != entity_of(result, "register:new")
    assert entity_of(result, "tax:x") == entity_of(result, "register:old")  # the shared number
    assert "identifier:registration/register/uscc" in result.merges["reason"].tolist()


def test_unique_source_records_are_never_joined_but_others_are() -> None:
    features = make_features([("a", "", False), ("b", "", False)], source="reg")
    scored = make_scored(features, [(0, 1, 0.99)])
    joined = cluster(features, scored)
    assert entity_of(joined, "reg:a") == entity_of(joined, "reg:b")
    result = cluster(features, scored, unique_sources={"reg"})
    assert entity_of(result, "reg:a") != entity_of(result, "reg:b")
    assert result.merges["reason"].tolist() == ["unique_source"]


def test_judgements_split_and_join_and_latest_wins() -> None:
    features = make_features([("a", "", False), ("b", "", False), ("c", "", False)])
    scored = make_scored(features, [(0, 1, 0.99), (1, 2, 0.95)])
    judgements = pd.DataFrame(
        {
            "uid_a": ["s:b", "s:a", "s:c"],
            "uid_b": ["s:a", "s:b", "s:a"],
            "verdict": ["same", "different", "unsure"],
        }
    )
    applied = apply_judgements(scored, judgements)
    assert applied["decided_by"].tolist() == ["judgement", "model"]
    assert applied["is_match"].tolist() == [False, True]
    result = cluster(features, applied, judgements=judgements)
    assert entity_of(result, "s:b") == entity_of(result, "s:c") != entity_of(result, "s:a")
    # a "same" verdict joins records no blocking rule paired, overriding the branch rule
    features = make_features([("x", "", True), ("y", "", False)])
    same = pd.DataFrame({"uid_a": ["s:x"], "uid_b": ["s:y"], "verdict": ["same"]})
    result = cluster(features, make_scored(features, []), judgements=same)
    assert entity_of(result, "s:x") == entity_of(result, "s:y")


def test_different_judgement_blocks_a_transitive_join() -> None:
    features = make_features([("a", "", False), ("b", "", False), ("c", "", False)])
    scored = make_scored(features, [(0, 1, 0.99), (1, 2, 0.95)])
    different = pd.DataFrame({"uid_a": ["s:a"], "uid_b": ["s:c"], "verdict": ["different"]})
    result = cluster(features, scored, judgements=different)
    assert entity_of(result, "s:a") == entity_of(result, "s:b") != entity_of(result, "s:c")
    assert result.merges["reason"].tolist()[-1] == "judgement"


def test_edges_go_strongest_first_by_match_weight_when_present() -> None:
    features = make_features([("a", "uscc:X", False), ("b", "", False), ("c", "uscc:Y", False)])
    scored = make_scored(features, [(0, 1, 0.99), (1, 2, 0.90)])
    scored["match_weight"] = [3.0, 9.0]  # the model ranks b-c first
    scored["probability"] = [0.8, 0.99]
    result = cluster(features, scored)
    assert entity_of(result, "s:b") == entity_of(result, "s:c") != entity_of(result, "s:a")
    confidence = result.memberships.set_index("uid")["confidence"]
    assert confidence["s:b"] == 0.99 and confidence["s:a"] == 1.0


keys = st.one_of(
    st.just(""),
    st.sampled_from(["uscc:A", "uscc:B", "lei:L1", "lei:L2", "uscc:A lei:L1", "uscc:B lei:L2"]),
)
record = st.tuples(keys, st.booleans())
graph = st.integers(2, 14).flatmap(
    lambda n: st.tuples(
        st.lists(record, min_size=n, max_size=n),
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.floats(0.5, 1.0)),
            max_size=40,
        ),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3),
    )
)


def _prefix_sets(id_keys: str) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for key in id_keys.split():
        prefix, _, value = key.partition(":")
        out.setdefault(prefix, set()).add(value)
    return {p: frozenset(v) for p, v in out.items()}


@settings(max_examples=300, deadline=None)
@given(graph)
def test_no_entity_holds_conflicting_identifiers_or_a_branch_with_its_head(data) -> None:  # type: ignore[no-untyped-def]
    rows, edges, different = data
    # branches carry their own codes: give them keys no head office has
    rows = [
        (f"r{i:02d}", k.replace(":", ":br") if branch else k, branch)
        for i, (k, branch) in enumerate(rows)
    ]
    features = make_features(rows)
    judgements = pd.DataFrame(
        {
            "uid_a": [f"s:r{a:02d}" for a, _ in different],
            "uid_b": [f"s:r{b:02d}" for _, b in different],
            "verdict": "different",
        }
    )
    scored = apply_judgements(make_scored(features, edges), judgements)
    result = cluster(features, scored, judgements=judgements)
    members = result.memberships.merge(features, on=["uid", "source", "record_id"])
    assert len(members) == len(features) and members["uid"].is_unique
    for _, group in members.groupby("entity_id"):
        seen: dict[str, frozenset[str]] = {}
        for text in group["id_keys"]:
            for prefix, values in _prefix_sets(text).items():
                assert seen.setdefault(prefix, values) == values
        assert group["is_branch"].nunique() == 1
    entity = members.set_index("uid")["entity_id"]
    for a, b in different:
        if a != b:
            assert entity[f"s:r{a:02d}"] != entity[f"s:r{b:02d}"]
    # edge order in the input table changes nothing
    shuffled = scored.sample(frac=1.0, random_state=len(edges)).reset_index(drop=True)
    again = cluster(features, shuffled, judgements=judgements)
    pd.testing.assert_frame_equal(again.memberships, result.memberships)
    pd.testing.assert_frame_equal(again.merges, result.merges)


@settings(max_examples=300, deadline=None)
@given(graph, st.floats(0.5, 1.0), st.sets(st.integers(0, 39), max_size=4))
def test_a_raised_cutoff_from_the_merge_log_equals_clustering_again(  # type: ignore[no-untyped-def]
    data, cutoff, by_identifier
) -> None:
    rows, edges, different = data
    features = make_features([(f"r{i:02d}", k, b) for i, (k, b) in enumerate(rows)])
    judgements = pd.DataFrame(
        {
            "uid_a": [f"s:r{a:02d}" for a, _ in different],
            "uid_b": [f"s:r{b:02d}" for _, b in different],
            "verdict": "different",
        }
    )
    scored = make_scored(features, edges)
    scored["probability"] = scored["score"]
    # a few pairs decided by a shared identifier or by agreeing names: a raised cut-off keeps
    # them however weak, so the dropped edges are then not always the last ones tried
    picked = scored.index.isin(sorted(by_identifier))
    even = scored.index.to_numpy() % 2 == 0
    scored["decided_by"] = np.select(
        [picked & even, picked], ["identifier", "agreement"], "model"
    ).astype(object)
    first = cluster(features, scored, judgements=judgements)
    raised = raise_threshold(scored, cutoff)
    again = cluster(features, raised, judgements=judgements)
    derived = at_higher_cutoff(features, scored, raised, first)
    if derived is None:  # only when a kept edge comes after a dropped one
        weak = ~raised["is_match"].to_numpy()
        kept_weakest = scored.loc[~weak, "score"].min()
        assert weak.any() and scored.loc[weak, "score"].max() >= kept_weakest
    # given the run's constraints, the merge log is replayed: never None
    replayed = at_higher_cutoff(
        features, scored, raised, first, unique_sources=set(), judgements=judgements
    )
    assert replayed is not None
    for result in (derived, replayed) if derived is not None else (replayed,):
        pd.testing.assert_frame_equal(result.memberships, again.memberships)
        pd.testing.assert_frame_equal(result.merges, again.merges)
        assert result.stats == again.stats


def test_empty_inputs() -> None:
    features = make_features([])
    result = cluster(features, make_scored(features, []))
    assert result.memberships.empty and result.merges.empty
    features = make_features([("a", "", False)])
    result = cluster(features, make_scored(features, []))
    assert result.memberships["confidence"].tolist() == [1.0]
    assert np.array_equal(result.memberships["entity_id"], [entity_id_for("s:a")])


def test_identifier_links_do_not_depend_on_the_features_index() -> None:
    features = make_features(
        [("a", "lei:1", False), ("b", "lei:1 uscc:9", False), ("c", "uscc:9", False)]
    )
    scored = make_scored(features, [])
    plain = cluster(features, scored)
    shifted = cluster(features.set_axis(features.index + 7), scored)
    pd.testing.assert_frame_equal(plain.memberships, shifted.memberships)
    pd.testing.assert_frame_equal(plain.merges, shifted.merges)
    assert plain.memberships["entity_id"].nunique() == 1


def test_arrow_backed_id_keys_cluster_like_python_strings() -> None:
    features = make_features(
        [
            ("a", "cn_org:1 uscc:A", False),
            ("b", "cn_org:1", False),
            ("c", "cn_org:2 uscc:B", False),
            ("d", "", False),
        ]
    )
    scored = make_scored(features, [(0, 2, 0.99), (1, 3, 0.9), (2, 3, 0.8)])
    compact = features.assign(id_keys=features["id_keys"].astype(pd.ArrowDtype(pa.string())))
    python, arrow = cluster(features, scored), cluster(compact, scored)
    pd.testing.assert_frame_equal(python.memberships, arrow.memberships)
    pd.testing.assert_frame_equal(python.merges, arrow.merges)
    assert python.merges["reason"].tolist() == [
        None,
        "identifier:cn_org",
        None,
        "identifier:cn_org",
    ]
