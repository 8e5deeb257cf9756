"""Metrics against hand-computed cases, brute-force pair enumeration and recordlinkage."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import recordlinkage

from linkage.evaluation import (
    PAIR_COLUMNS,
    bcubed,
    best_threshold,
    blocking_metrics,
    evaluate_memberships,
    exact_match_rate,
    falsely_merged_records,
    labelled_pair_scores,
    pairs_found,
    pairwise_from_clusters,
    read_truth,
    threshold_sweep,
    true_pair_count,
    true_pairs,
    truth_form,
)


def _memberships(clusters: dict[str, list[str]], source: str = "s") -> pd.DataFrame:
    rows = [(source, rid, ent) for ent, ids in clusters.items() for rid in ids]
    return pd.DataFrame(rows, columns=["source", "record_id", "entity_id"])


# truth: X = a1 a2 a3, Y = b1 b2, Z = c1; prediction: {a1 a2}, {a3 b1 b2}, {c1}
TRUTH = _memberships({"X": ["a1", "a2", "a3"], "Y": ["b1", "b2"], "Z": ["c1"]})
PRED = _memberships({"P1": ["a1", "a2"], "P2": ["a3", "b1", "b2"], "P3": ["c1"]})


def test_hand_computed_cluster_case():
    report = evaluate_memberships(TRUTH, PRED)
    # true pairs 3 + 1 = 4, predicted pairs 1 + 3 = 4, correct: a1-a2 and b1-b2
    assert (report.pairwise.actual, report.pairwise.predicted) == (4, 4)
    assert report.pairwise.true_positives == 2
    assert report.pairwise.precision == pytest.approx(0.5)
    assert report.pairwise.recall == pytest.approx(0.5)
    # B-cubed precision per record: 1, 1, 1/3, 2/3, 2/3, 1; recall: 2/3, 2/3, 1/3, 1, 1, 1
    assert report.bcubed.precision == pytest.approx((1 + 1 + 1 / 3 + 2 / 3 + 2 / 3 + 1) / 6)
    assert report.bcubed.recall == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1 + 1 + 1) / 6)
    assert report.exact_match == pytest.approx(1 / 3)  # only Z
    assert (report.n_true_entities, report.n_predicted_entities) == (3, 3)
    assert report.missing_from_prediction == report.missing_from_truth == 0


def test_perfect_and_all_singletons():
    perfect = evaluate_memberships(TRUTH, TRUTH)
    assert perfect.pairwise.f1 == perfect.bcubed.f1 == perfect.exact_match == 1.0
    singles = TRUTH.assign(entity_id=TRUTH["record_id"])
    report = evaluate_memberships(TRUTH, singles)
    assert report.pairwise.predicted == 0
    assert report.pairwise.precision == report.pairwise.recall == 0.0
    assert report.bcubed.precision == 1.0


def test_missing_records_are_reported_not_dropped_silently():
    pred = pd.concat([PRED[PRED["record_id"] != "c1"], _memberships({"Q": ["zz"]})])
    report = evaluate_memberships(TRUTH, pred)
    assert report.missing_from_prediction == 1
    assert report.examples_missing_from_prediction == ["s:c1"]
    assert report.missing_from_truth == 1
    assert report.examples_missing_from_truth == ["s:zz"]
    assert report.n_records == 5
    text = report.to_text()
    assert "missing from prediction: 1" in text and "s:zz" in text
    assert report.to_dict()["pairwise"]["true_positives"] == 2


def _all_pairs(uids: np.ndarray, labels: np.ndarray) -> set[tuple[str, str]]:
    out = set()
    for lab in np.unique(labels):
        members = sorted(uids[labels == lab])
        out.update(itertools.combinations(members, 2))
    return out


@pytest.mark.parametrize("seed", range(5))
def test_contingency_counts_equal_brute_force_and_recordlinkage(seed):
    rng = np.random.default_rng(seed)
    n = 200
    uids = np.array([f"s:{i:04d}" for i in range(n)])
    true = rng.integers(0, 60, n)
    pred = np.where(rng.random(n) < 0.3, rng.integers(0, 60, n), true)
    t_pairs, p_pairs = _all_pairs(uids, true), _all_pairs(uids, pred)
    scores = pairwise_from_clusters(true, pred)
    assert scores.true_positives == len(t_pairs & p_pairs)
    assert (scores.actual, scores.predicted) == (len(t_pairs), len(p_pairs))
    links_true = pd.MultiIndex.from_tuples(sorted(t_pairs))
    links_pred = pd.MultiIndex.from_tuples(sorted(p_pairs))
    assert scores.precision == pytest.approx(recordlinkage.precision(links_true, links_pred))
    assert scores.recall == pytest.approx(recordlinkage.recall(links_true, links_pred))
    assert scores.f1 == pytest.approx(recordlinkage.fscore(links_true, links_pred))


def test_bcubed_and_exact_match_are_label_invariant():
    t = np.array([0, 0, 1, 1, 2])
    p = np.array([5, 5, 7, 9, 9])
    renamed = np.array(["x", "x", "y", "z", "z"])
    assert bcubed(t, p) == bcubed(t, renamed)
    assert exact_match_rate(t, p) == exact_match_rate(t, renamed) == pytest.approx(1 / 3)


def _pair_truth(pairs: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [("l", a, "r", b) for a, b in pairs],
        columns=["source_l", "record_id_l", "source_r", "record_id_r"],
    )


def test_pair_truth_two_source_linkage():
    truth = _pair_truth([("1", "1"), ("2", "2"), ("9", "9")])  # l:9 and r:9 not predicted
    pred = pd.DataFrame(
        [("l", "1", "A"), ("r", "1", "A"), ("l", "2", "B"), ("r", "2", "C"),
         ("l", "3", "D"), ("r", "3", "D")],
        columns=["source", "record_id", "entity_id"],
    )  # fmt: skip
    report = evaluate_memberships(truth, pred)
    assert report.truth_form == "pairs"
    # true pairs among predicted records: l1-r1, l2-r2; predicted pairs: l1-r1, l3-r3
    assert (report.pairwise.true_positives, report.pairwise.predicted) == (1, 2)
    assert report.pairwise.actual == 2
    assert report.missing_from_prediction == 2
    assert report.n_records == 6
    # true clusters: {l1 r1} {l2 r2} {l3} {r3}; predicted {l1 r1} {l2} {r2} {l3 r3}
    assert report.exact_match == pytest.approx(1 / 4)


def test_truth_form_detection_and_reading(tmp_path):
    path = tmp_path / "truth.csv"
    pd.DataFrame({"source": ["a"], "record_id": ["007"], "entity_id": ["E1"]}).to_csv(
        path, index=False
    )
    truth = read_truth(path)
    assert truth_form(truth) == "clusters"
    assert truth.loc[0, "record_id"] == "007"  # ids stay text
    with pytest.raises(ValueError, match="truth needs columns"):
        truth_form(pd.DataFrame({"x": [1]}))


def test_threshold_sweep_counts_blocking_losses():
    # true pairs: a1-a2, a1-a3, a2-a3, b1-b2 (4); scored pairs below
    scored = pd.DataFrame({
        "uid_l": ["s:a1", "s:a1", "s:b1", "s:a3"],
        "uid_r": ["s:a2", "s:b1", "s:b2", "s:c1"],
        "probability": [0.9, 0.8, 0.6, 0.2],
    })  # fmt: skip
    points = {pt.threshold: pt.scores for pt in threshold_sweep(TRUTH, scored, [0.5, 0.85])}
    assert (points[0.85].true_positives, points[0.85].predicted) == (1, 1)
    assert points[0.85].recall == pytest.approx(1 / 4)
    assert (points[0.5].true_positives, points[0.5].predicted) == (2, 3)
    best = best_threshold(threshold_sweep(TRUTH, scored, [0.5, 0.85]))
    assert best.threshold == 0.5


def test_blocking_metrics():
    pairs = pd.DataFrame({"uid_l": ["s:a1", "s:a1", "s:a1"], "uid_r": ["s:a2", "s:a2", "s:c1"]})
    report = blocking_metrics(TRUTH, pairs)
    assert report.candidate_pairs == 2
    assert (report.true_pairs, report.true_pairs_found) == (4, 1)
    assert report.pair_completeness == pytest.approx(0.25)
    assert report.reduction_ratio == pytest.approx(1 - 2 / 15)
    with pytest.raises(ValueError, match="total_pairs"):
        blocking_metrics(_pair_truth([("1", "1")]), pairs)
    pair_report = blocking_metrics(_pair_truth([("1", "1")]), pd.DataFrame(
        {"uid_l": ["l:1"], "uid_r": ["r:1"]}), total_pairs=4)  # fmt: skip
    assert pair_report.pair_completeness == 1.0
    assert pair_report.reduction_ratio == pytest.approx(0.75)


def test_labelled_pairs_score_only_the_labelled_pairs():
    # labelled: a1-a2 match, a3-b1 no match, b1-b2 match, a1-c1 no match; the prediction also
    # joins a1 and a3 (unlabelled, so it cannot count either way)
    labelled = pd.DataFrame({
        "uid_l": ["s:a1", "s:a3", "s:b1", "s:a1"],
        "uid_r": ["s:a2", "s:b1", "s:b2", "s:c1"],
        "is_match": [True, False, True, False],
    })  # fmt: skip
    scores = labelled_pair_scores(labelled, PRED)
    # predicted same: a1-a2 (right), a3-b1 (wrong), b1-b2 (right); a1-c1 apart (right)
    assert (scores.true_positives, scores.predicted, scores.actual) == (2, 3, 2)
    assert scores.precision == pytest.approx(2 / 3) and scores.recall == 1.0
    missing = labelled.assign(uid_r=["s:zz", "s:b1", "s:b2", "s:c1"])
    assert labelled_pair_scores(missing, PRED).true_positives == 1


def test_falsely_merged_records_counts_every_record_of_a_mixed_entity():
    # P2 = {a3 (X), b1 (Y), b2 (Y)} mixes two true entities: its 3 records are falsely merged
    assert falsely_merged_records(TRUTH, PRED) == 3
    assert falsely_merged_records(TRUTH, TRUTH) == 0
    everything = TRUTH.assign(entity_id="one")
    assert falsely_merged_records(TRUTH, everything) == len(TRUTH)
    with pytest.raises(ValueError, match="cluster truth"):
        falsely_merged_records(pd.DataFrame(columns=list(PAIR_COLUMNS)), PRED)


def test_true_pairs_enumerates_what_true_pair_count_counts():
    pairs = true_pairs(TRUTH)
    assert len(pairs) == true_pair_count(TRUTH) == 4
    assert (pairs["uid_l"] < pairs["uid_r"]).all()
    assert set(zip(pairs["uid_l"], pairs["uid_r"], strict=True)) == {
        ("s:a1", "s:a2"), ("s:a1", "s:a3"), ("s:a2", "s:a3"), ("s:b1", "s:b2"),
    }  # fmt: skip
    listed = pd.DataFrame([("s", "b2", "s", "b1"), ("s", "b1", "s", "b2")],
                          columns=list(PAIR_COLUMNS))  # fmt: skip
    assert true_pairs(listed).to_dict("list") == {"uid_l": ["s:b1"], "uid_r": ["s:b2"]}
    assert true_pairs(TRUTH.assign(entity_id=TRUTH["record_id"])).empty


def test_pairs_found_is_the_recall_on_a_subset_of_pairs():
    pairs = true_pairs(TRUTH)
    assert pairs_found(pairs, PRED) == (2, 4)  # a1-a2 and b1-b2
    cross = pairs[pairs["uid_r"] == "s:a3"]
    assert pairs_found(cross, PRED) == (0, 2)
    assert pairs_found(pairs, TRUTH) == (4, 4)
