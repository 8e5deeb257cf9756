"""Clustering only the touched components equals clustering everything."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from linkage.clustering import cluster, components_of_run, incremental_cluster

UNIQUE = {"a"}


def make_features(uids: list[str], rng: np.random.Generator) -> pd.DataFrame:
    n = len(uids)
    keys = [
        " ".join(sorted({f"uscc:K{int(k)}" for k in rng.integers(0, n // 3 + 2, 2)}))
        if r < 0.25
        else ("lei:L1" if r < 0.28 else None)
        for r in rng.random(n)
    ]
    return pd.DataFrame(
        {
            "uid": uids,
            "source": [u.split(":")[0] for u in uids],
            "record_id": [u.split(":")[1] for u in uids],
            "id_keys": keys,
            "is_branch": rng.random(n) < 0.1,
        }
    )


def make_pairs(
    features: pd.DataFrame, rng: np.random.Generator, group: dict[str, int]
) -> pd.DataFrame:
    """Matched and unmatched pairs, mostly inside latent groups (so components form)."""
    uids = features["uid"].tolist()
    n = len(uids)
    pairs = set()
    for _ in range(n * 2):
        i, j = sorted(rng.integers(0, n, 2).tolist())
        if i != j and (group[uids[i]] == group[uids[j]] or rng.random() < 0.05):
            pairs.add((i, j))
    left = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    weight = rng.normal(2.0, 3.0, len(left)).round(2)  # ties happen
    return pd.DataFrame(
        {
            "uid_l": [uids[i] for i in left[:, 0]],
            "uid_r": [uids[j] for j in left[:, 1]],
            "idx_l": left[:, 0],
            "idx_r": left[:, 1],
            "rules": rng.choice(["name", "phone"], len(left)),
            "match_weight": weight,
            "probability": 1 / (1 + 2.0 ** (-weight)),
            "decided_by": np.where(rng.random(len(left)) < 0.1, "identifier", "model"),
            "is_match": weight > 0,
        }
    )


def sized(frame: pd.DataFrame, uids: list[str]) -> pd.DataFrame:
    """Pairs re-indexed to the rows of ``uids`` (both sides present)."""
    at = pd.Index(uids)
    out = frame.assign(idx_l=at.get_indexer(frame["uid_l"]), idx_r=at.get_indexer(frame["uid_r"]))
    return out[(out["idx_l"] >= 0) & (out["idx_r"] >= 0)].reset_index(drop=True)


@pytest.mark.parametrize("arrow_keys", [False, True])
@pytest.mark.parametrize("seed", range(30))
def test_incremental_clustering_equals_clustering_everything(seed: int, arrow_keys: bool) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 160))
    uids = sorted(f"{'abc'[int(s)]}:{i:04d}" for i, s in enumerate(rng.integers(0, 3, n)))
    group = {u: int(g) for u, g in zip(uids, rng.integers(0, max(n // 3, 1), n), strict=True)}
    every = make_features(uids, rng)
    if arrow_keys:  # as the pipeline holds them (Arrow strings, missing values NA)
        every["id_keys"] = every["id_keys"].astype(pd.ArrowDtype(pa.string()))
    pairs = make_pairs(every, rng, group)
    judged = rng.choice(len(pairs), size=min(3, len(pairs)), replace=False)
    judgements = pd.DataFrame(
        {
            "uid_a": pairs["uid_l"].to_numpy()[judged],
            "uid_b": pairs["uid_r"].to_numpy()[judged],
            "verdict": rng.choice(["same", "different", "unsure"], len(judged)),
        }
    )

    # the previous run: without the new records, with the old versions of the changed ones
    new = rng.random(n) < 0.06
    removed = ~new & (rng.random(n) < 0.03)
    changed = ~new & ~removed & (rng.random(n) < 0.05)
    old_uids = [u for u, x in zip(uids, new, strict=True) if not x]
    old_features = every[~new].reset_index(drop=True)
    # a changed record's old version: another branch flag (its component can be the same:
    # only the record's change says it must be clustered again)
    flip = changed[~new]
    old_features.loc[flip, "is_branch"] = ~old_features.loc[flip, "is_branch"]
    old_pairs = sized(pairs, old_uids)
    # some previous weights differ: a few components keep their order, others do not
    nudge = rng.random(len(old_pairs)) < 0.05
    old_pairs.loc[nudge, "match_weight"] += rng.normal(0, 2, int(nudge.sum())).round(2)
    old_pairs["is_match"] = old_pairs["match_weight"] > 0
    evidence = rng.random(len(old_pairs)) < 0.02
    old_pairs.loc[evidence, "rules"] = "other"
    before = cluster(old_features, old_pairs, unique_sources=UNIQUE, judgements=judgements)
    # the cache keeps final ids; any renaming of the entities does
    old_entity = before.memberships["entity_id"].map(lambda e: f"X{e}").to_numpy(dtype=object)
    merges = before.merges.assign(
        entity_l="X" + before.merges["entity_l"], entity_r="X" + before.merges["entity_r"]
    )
    members = before.memberships.assign(entity_id=old_entity)
    component = components_of_run(members, merges)["component"].to_numpy(dtype=np.int64)
    matched = old_pairs[old_pairs["is_match"]]
    old_edges = pd.DataFrame(
        {
            "idx_l": matched["idx_l"],
            "idx_r": matched["idx_r"],
            "weight": matched["match_weight"],
            "kind": matched["decided_by"],
            "evidence": matched["rules"],
        }
    )

    # this run: the removed records gone
    now_uids = [u for u, x in zip(uids, removed, strict=True) if not x]
    features = every[~removed].reset_index(drop=True)
    scored = sized(pairs, now_uids)
    old_rows = pd.Index(old_uids).get_indexer(now_uids)
    unchanged = (old_rows >= 0) & ~changed[~removed]

    expected = cluster(features, scored, unique_sources=UNIQUE, judgements=judgements)
    got, reused = incremental_cluster(
        features,
        scored,
        unique_sources=UNIQUE,
        judgements=judgements,
        unchanged=unchanged,
        old_rows=old_rows,
        old_component=component,
        old_entity=old_entity,
        old_edges=old_edges,
        old_merges=merges,
    )
    pd.testing.assert_frame_equal(got.memberships, expected.memberships)
    pd.testing.assert_frame_equal(got.merges, expected.merges)
    assert got.stats == expected.stats
    assert 0 <= reused <= len(features)


def test_reuse_happens_and_nothing_changed_reuses_everything() -> None:
    rng = np.random.default_rng(99)
    uids = sorted(f"{'abc'[i % 3]}:{i:04d}" for i in range(120))
    group = {u: i // 3 for i, u in enumerate(uids)}
    features = make_features(uids, rng)
    scored = make_pairs(features, rng, group)
    before = cluster(features, scored, unique_sources=UNIQUE)
    component = components_of_run(before.memberships, before.merges)["component"].to_numpy()
    matched = scored[scored["is_match"]]
    got, reused = incremental_cluster(
        features,
        scored,
        unique_sources=UNIQUE,
        judgements=None,
        unchanged=np.ones(len(features), dtype=bool),
        old_rows=np.arange(len(features)),
        old_component=component,
        old_entity=before.memberships["entity_id"].to_numpy(dtype=object),
        old_edges=matched.rename(
            columns={"match_weight": "weight", "decided_by": "kind", "rules": "evidence"}
        ),
        old_merges=before.merges,
    )
    assert reused == len(features)
    pd.testing.assert_frame_equal(got.memberships, before.memberships)
    pd.testing.assert_frame_equal(got.merges, before.merges)
    assert got.stats == before.stats


def test_component_labels_equal_scipy() -> None:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from linkage.graph import component_labels

    rng = np.random.default_rng(0)
    for trial in range(100):
        n = int(rng.integers(1, 300))
        if trial % 3 == 0:  # long chains, in random node order
            perm = rng.permutation(n)
            left, right = perm[:-1], perm[1:]
        else:
            m = int(rng.integers(0, 400))
            left, right = rng.integers(0, n, m), rng.integers(0, n, m)
        ours = component_labels(left, right, n)
        graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n)).tocsr()
        theirs = connected_components(graph, directed=False)[1]
        assert np.array_equal(ours, theirs)  # the same numbering too


def test_other_space_matches_every_whitespace_but_the_space() -> None:
    """Arrow splits ``id_keys`` on spaces only when no text holds another character that
    ``str.split()`` splits on."""
    import pyarrow.compute as pc

    from linkage.clustering.identifiers import _OTHER_SPACE

    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]  # no surrogates
    found = pc.match_substring_regex(pa.array(chars), _OTHER_SPACE).to_pylist()
    assert [c for c, hit in zip(chars, found, strict=True) if hit] == [
        c for c in chars if c.isspace() and c != " "
    ]


@pytest.mark.parametrize("arrow", [False, True])
def test_key_links_split_like_python(arrow: bool) -> None:
    """Arrow's split gives each row the keys ``str.split()`` gives it, codes in text order."""
    from linkage.clustering.identifiers import key_links

    texts = [
        "uscc:1 cn_org:2",
        "",
        None,
        "  uscc:1   lei:9 ",
        "lei:9 lei:9",
        "uscc:3\tcn_org:4",  # another whitespace: split by Python
        "uscc:5\u3000lei:6",
        "uscc:1",
        "uscc:1\xa0x",
    ]
    cases = [texts, [t for t in texts if t is None or (t.isascii() and "\t" not in t)], [None] * 3]
    if not arrow:
        cases += [["uscc:1 a", 12, None], [b"uscc:1", "uscc:1"], [float("nan"), "a b"]]
    for case in cases:
        column = pd.Series(case, dtype=pd.ArrowDtype(pa.string()) if arrow else object)
        frame = pd.DataFrame({"id_keys": column, "source": "s"})
        rows, codes, names = key_links(frame)
        expected = [
            (row, key)
            for row, text in enumerate(case)
            if isinstance(text, str | bytes | int)
            for key in str(text).split()
        ]
        keys = names.to_pylist()
        assert list(zip(rows.tolist(), [keys[c] for c in codes], strict=True)) == expected
        assert keys == sorted(set(keys))  # codes in the keys' text order
        assert rows.dtype == codes.dtype == np.int64
