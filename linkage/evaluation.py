"""Accuracy of a linkage against ground truth: pairwise, B-cubed, cluster and blocking metrics.

Truth comes in two forms: cluster labels (``source, record_id, entity_id``: every record with
the entity it belongs to) or true pairs (``source_l, record_id_l, source_r, record_id_r``: the
usual form for two-source linkage, where records in no pair are singletons). Pair counts are
computed from a contingency table of (true, predicted) labels, ``sum C(n, 2)``, so a million
records are evaluated without enumerating their pairs. Records present on one side only are
counted and shown, never silently dropped from the report.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from linkage.errors import InputError, InputProblem
from linkage.graph import component_labels
from linkage.sources import read_table

CLUSTER_COLUMNS = ("source", "record_id", "entity_id")
PAIR_COLUMNS = ("source_l", "record_id_l", "source_r", "record_id_r")
TruthForm = Literal["clusters", "pairs"]
_EXAMPLES = 5


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 (0 when undefined), with the counts behind them."""

    precision: float
    recall: float
    f1: float
    true_positives: int = 0
    predicted: int = 0
    actual: int = 0

    @classmethod
    def from_counts(cls, tp: int, predicted: int, actual: int) -> Scores:
        """Scores from true positives and the predicted and actual totals."""
        p = tp / predicted if predicted else 0.0
        r = tp / actual if actual else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return cls(p, r, f, int(tp), int(predicted), int(actual))


@dataclass(frozen=True)
class EvaluationReport:
    """Everything ``linkage evaluate`` prints: metrics plus what could not be evaluated.

    Attributes:
        truth_form: ``clusters`` or ``pairs``.
        n_records: records evaluated (present in truth and prediction, or in the prediction
            for pair truth).
        n_true_entities: true clusters among the evaluated records.
        n_predicted_entities: predicted clusters among the evaluated records.
        pairwise: pair precision, recall and F1.
        bcubed: B-cubed precision, recall and F1 (per-record averages).
        exact_match: share of true clusters reproduced exactly by one predicted cluster.
        missing_from_prediction: truth records absent from the prediction (count).
        missing_from_truth: predicted records absent from the truth (count; cluster truth).
        examples_missing_from_prediction: a few such uids.
        examples_missing_from_truth: a few such uids.
    """

    truth_form: TruthForm
    n_records: int
    n_true_entities: int
    n_predicted_entities: int
    pairwise: Scores
    bcubed: Scores
    exact_match: float
    missing_from_prediction: int = 0
    missing_from_truth: int = 0
    examples_missing_from_prediction: list[str] = field(default_factory=list)
    examples_missing_from_truth: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)

    def to_text(self) -> str:
        """A short human-readable summary."""
        pw, bc = self.pairwise, self.bcubed
        lines = [
            f"truth: {self.truth_form}; records evaluated: {self.n_records:,}; "
            f"entities true/predicted: {self.n_true_entities:,}/{self.n_predicted_entities:,}",
            f"pairwise  precision {pw.precision:.4f}  recall {pw.recall:.4f}  F1 {pw.f1:.4f}  "
            f"(true {pw.actual:,}, predicted {pw.predicted:,}, correct {pw.true_positives:,})",
            f"B-cubed   precision {bc.precision:.4f}  recall {bc.recall:.4f}  F1 {bc.f1:.4f}",
            f"clusters reproduced exactly: {self.exact_match:.4f}",
        ]
        for label, count, examples in (
            ("in truth, missing from prediction", self.missing_from_prediction,
             self.examples_missing_from_prediction),
            ("predicted, missing from truth", self.missing_from_truth,
             self.examples_missing_from_truth),
        ):  # fmt: skip
            if count:
                lines.append(f"records {label}: {count:,} (e.g. {', '.join(examples)})")
        return "\n".join(lines)


def _comb2(n: np.ndarray) -> int:
    n = n.astype(np.int64)
    return int((n * (n - 1) // 2).sum())


def _codes(labels: pd.Series | np.ndarray) -> np.ndarray:
    return pd.factorize(pd.Series(labels), sort=False)[0]


def contingency(true_labels, pred_labels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-zero cells of the (true, predicted) contingency table and both marginals.

    Returns:
        ``(cells, true_sizes, pred_sizes)``: counts n_ij of each non-empty cell, and the sizes
        of the true and predicted clusters.
    """
    t, p = _codes(true_labels), _codes(pred_labels)
    pairs = t.astype(np.int64) * (p.max() + 1 if len(p) else 1) + p
    _, cells = np.unique(pairs, return_counts=True)
    return cells, np.bincount(t), np.bincount(p)


def pairwise_from_clusters(true_labels, pred_labels) -> Scores:
    """Pair precision/recall/F1 of two clusterings of the same records, via ``sum C(n, 2)``."""
    cells, a, b = contingency(true_labels, pred_labels)
    return Scores.from_counts(_comb2(cells), _comb2(b), _comb2(a))


def bcubed(true_labels, pred_labels) -> Scores:
    """B-cubed precision and recall: per record, the share of its predicted cluster that is truly
    its entity, and the share of its entity that is in its predicted cluster; averaged."""
    t, p = _codes(true_labels), _codes(pred_labels)
    n = len(t)
    if n == 0:
        return Scores(0.0, 0.0, 0.0)
    key = t.astype(np.int64) * (p.max() + 1) + p
    _, inverse, cells = np.unique(key, return_inverse=True, return_counts=True)
    same = cells[inverse].astype(float)  # records sharing both labels with each record
    precision = float((same / np.bincount(p)[p]).mean())
    recall = float((same / np.bincount(t)[t]).mean())
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1)


def exact_match_rate(true_labels, pred_labels) -> float:
    """Share of true clusters (singletons included) that equal one predicted cluster."""
    t, p = _codes(true_labels), _codes(pred_labels)
    if len(t) == 0:
        return 0.0
    frame = pd.DataFrame({"t": t, "p": p})
    a, b = np.bincount(t), np.bincount(p)
    cell = frame.groupby(["t", "p"]).size().reset_index(name="n")
    exact = (cell["n"].to_numpy() == a[cell["t"]]) & (cell["n"].to_numpy() == b[cell["p"]])
    return float(exact.sum() / len(a))


def _uids(source: pd.Series, record_id: pd.Series) -> pd.Series:
    return source.astype(str) + ":" + record_id.astype(str)


def truth_form(truth: pd.DataFrame) -> TruthForm:
    """Which form a truth table has, from its columns."""
    if set(CLUSTER_COLUMNS) <= set(truth.columns):
        return "clusters"
    if set(PAIR_COLUMNS) <= set(truth.columns):
        return "pairs"
    raise ValueError(
        f"truth needs columns {', '.join(CLUSTER_COLUMNS)} (cluster labels) or "
        f"{', '.join(PAIR_COLUMNS)} (true pairs); got {', '.join(map(str, truth.columns))}"
    )


def read_truth(path: str | Path) -> pd.DataFrame:
    """Read a truth CSV (either form, detected from its header) with every value as text.

    Raises:
        InputError: the file is missing, empty, or has neither form's columns.
    """
    truth = read_table(path)
    try:
        truth_form(truth)
    except ValueError as exc:
        raise InputError([InputProblem(str(path), str(exc))]) from None
    return truth


def _pair_uids(truth: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    return (
        _uids(truth["source_l"], truth["record_id_l"]),
        _uids(truth["source_r"], truth["record_id_r"]),
    )


def evaluate_memberships(truth: pd.DataFrame, predicted: pd.DataFrame) -> EvaluationReport:
    """Compare predicted memberships (``source, record_id, entity_id``) with truth of either form.

    With cluster truth the metrics cover records present on both sides; with pair truth they
    cover every predicted record, those in no true pair being true singletons. Records missing
    from a side are counted in the report with examples.
    """
    pred = pd.DataFrame({
        "uid": _uids(predicted["source"], predicted["record_id"]),
        "entity": predicted["entity_id"].astype(str),
    }).drop_duplicates("uid")  # fmt: skip
    form = truth_form(truth)
    if form == "clusters":
        tru = pd.DataFrame({
            "uid": _uids(truth["source"], truth["record_id"]),
            "entity": truth["entity_id"].astype(str),
        }).drop_duplicates("uid")  # fmt: skip
        merged = tru.merge(pred, on="uid", how="outer", suffixes=("_t", "_p"), indicator=True)
        only_t = merged.loc[merged["_merge"] == "left_only", "uid"]
        only_p = merged.loc[merged["_merge"] == "right_only", "uid"]
        both = merged[merged["_merge"] == "both"]
        t_lab, p_lab = both["entity_t"].to_numpy(), both["entity_p"].to_numpy()
        pairwise = pairwise_from_clusters(t_lab, p_lab)
    else:
        left, right = _pair_uids(truth)
        known = set(pred["uid"])
        in_pairs = pd.concat([left, right]).drop_duplicates()
        only_t = in_pairs[~in_pairs.isin(known)]
        only_p = pd.Series([], dtype=str)
        t_lab = _components(pred["uid"], left, right)
        p_lab = pred["entity"].to_numpy()
        pairwise = _pairwise_from_pairs(pred, left, right)
    return EvaluationReport(
        truth_form=form,
        n_records=len(t_lab),
        n_true_entities=int(pd.Series(t_lab).nunique()),
        n_predicted_entities=int(pd.Series(p_lab).nunique()),
        pairwise=pairwise,
        bcubed=bcubed(t_lab, p_lab),
        exact_match=exact_match_rate(t_lab, p_lab),
        missing_from_prediction=len(only_t),
        missing_from_truth=len(only_p),
        examples_missing_from_prediction=sorted(only_t)[:_EXAMPLES],
        examples_missing_from_truth=sorted(only_p)[:_EXAMPLES],
    )


def _components(uids: pd.Series, left: pd.Series, right: pd.Series) -> np.ndarray:
    """True cluster label per uid: connected components of the true pairs (others alone)."""
    index = pd.Index(uids)
    li, ri = index.get_indexer(left), index.get_indexer(right)
    ok = (li >= 0) & (ri >= 0)
    return component_labels(li[ok], ri[ok], len(index))


def _pairwise_from_pairs(pred: pd.DataFrame, left: pd.Series, right: pd.Series) -> Scores:
    """Pair scores against an explicit list of true pairs (not necessarily transitive)."""
    entity = pd.Series(pred["entity"].to_numpy(), index=pred["uid"].to_numpy())
    el, er = entity.reindex(left.to_numpy()), entity.reindex(right.to_numpy())
    both = el.notna().to_numpy() & er.notna().to_numpy()
    ordered = _ordered_pairs(left[both], right[both])
    same = entity.reindex(ordered["a"]).to_numpy() == entity.reindex(ordered["b"]).to_numpy()
    tp = int(same.sum())
    sizes = pred["entity"].value_counts().to_numpy()
    return Scores.from_counts(tp, _comb2(sizes), len(ordered))


def true_pair_count(truth: pd.DataFrame) -> int:
    """Number of true pairs a truth table implies (cluster form: ``sum C(n, 2)``)."""
    if truth_form(truth) == "clusters":
        return _comb2(truth["entity_id"].value_counts().to_numpy())
    return len(_ordered_pairs(*_pair_uids(truth)))


def _ordered_pairs(left: pd.Series, right: pd.Series) -> pd.DataFrame:
    """Distinct unordered pairs ``a < b`` of two uid columns, self-pairs dropped."""
    keep = (left != right).to_numpy()
    lo, hi = left.to_numpy()[keep], right.to_numpy()[keep]
    return pd.DataFrame({"a": np.minimum(lo, hi), "b": np.maximum(lo, hi)}).drop_duplicates()


def is_true_pair(truth: pd.DataFrame, uid_l: pd.Series, uid_r: pd.Series) -> np.ndarray:
    """Whether each ``(uid_l, uid_r)`` pair is a true match under the truth table."""
    if truth_form(truth) == "clusters":
        entity = pd.Series(truth["entity_id"].astype(str).to_numpy(),
                           index=_uids(truth["source"], truth["record_id"]).to_numpy())  # fmt: skip
        el = entity.reindex(uid_l.to_numpy()).to_numpy()
        er = entity.reindex(uid_r.to_numpy()).to_numpy()
        return pd.notna(el) & (el == er)
    left, right = _pair_uids(truth)
    keys = set(zip(left, right, strict=True)) | set(zip(right, left, strict=True))
    return np.array([(a, b) in keys for a, b in zip(uid_l, uid_r, strict=True)], dtype=bool)


@dataclass(frozen=True)
class ThresholdPoint:
    """Pair scores when every pair scoring at least ``threshold`` is called a match."""

    threshold: float
    scores: Scores


def threshold_sweep(
    truth: pd.DataFrame,
    scored: pd.DataFrame,
    thresholds: np.ndarray | None = None,
    score_column: str = "probability",
) -> list[ThresholdPoint]:
    """Pairwise precision/recall/F1 of scored pairs (``uid_l, uid_r, <score>``) per threshold.

    Recall is against all true pairs, not only those among the scored pairs, so blocking losses
    count. Default thresholds: 0.05 to 0.95 in steps of 0.05.
    """
    if thresholds is None:
        thresholds = np.round(np.arange(0.05, 1.0, 0.05), 2)
    actual = true_pair_count(truth)
    scores = scored[score_column].to_numpy(dtype=float)
    hit = is_true_pair(truth, scored["uid_l"], scored["uid_r"])
    order = np.argsort(-scores, kind="stable")
    s_sorted, cum_tp = scores[order], np.cumsum(hit[order])
    points = []
    for t in thresholds:
        k = int(np.searchsorted(-s_sorted, -t, side="right"))  # pairs with score >= t
        tp = int(cum_tp[k - 1]) if k else 0
        points.append(ThresholdPoint(float(t), Scores.from_counts(tp, k, actual)))
    return points


def best_threshold(points: list[ThresholdPoint]) -> ThresholdPoint:
    """The sweep point with the highest F1 (lowest threshold on ties). Tuned on the data it was
    computed on: say so when reporting it."""
    return max(points, key=lambda pt: (pt.scores.f1, -pt.threshold))


@dataclass(frozen=True)
class BlockingQuality:
    """Blocking quality: how many true pairs survive and how much the comparison space shrank."""

    candidate_pairs: int
    true_pairs: int
    true_pairs_found: int
    pair_completeness: float
    reduction_ratio: float


def blocking_metrics(
    truth: pd.DataFrame, pairs: pd.DataFrame, total_pairs: int | None = None
) -> BlockingQuality:
    """Pair completeness (recall of blocking) and reduction ratio of candidate pairs.

    Args:
        truth: truth in either form.
        pairs: candidate pairs with ``uid_l, uid_r``.
        total_pairs: size of the full comparison space; default ``C(N, 2)`` over the records of
            a cluster truth (give ``N_l * N_r`` for two-source linkage).
    """
    if total_pairs is None:
        if truth_form(truth) != "clusters":
            raise ValueError("total_pairs is required with pair truth")
        n = len(truth)
        total_pairs = n * (n - 1) // 2
    distinct = pairs[["uid_l", "uid_r"]].drop_duplicates()
    found = int(is_true_pair(truth, distinct["uid_l"], distinct["uid_r"]).sum())
    actual = true_pair_count(truth)
    return BlockingQuality(
        candidate_pairs=len(distinct),
        true_pairs=actual,
        true_pairs_found=found,
        pair_completeness=found / actual if actual else 0.0,
        reduction_ratio=1.0 - len(distinct) / total_pairs if total_pairs else 0.0,
    )


def labelled_pair_scores(labelled: pd.DataFrame, predicted: pd.DataFrame) -> Scores:
    """Precision, recall and F1 of the prediction on labelled pairs only.

    For benchmarks given as a list of labelled pairs (name-pair sets), where nothing is known
    about unlabelled pairs: a labelled pair is predicted a match when both records share a
    predicted entity.

    Args:
        labelled: ``uid_l, uid_r, is_match`` (bool).
        predicted: memberships (``source, record_id, entity_id``).

    Returns:
        Scores over the labelled pairs; pairs with a record missing from the prediction count
        as predicted non-matches.
    """
    entity = _entity_by_uid(predicted)
    el = entity.reindex(labelled["uid_l"].to_numpy()).to_numpy()
    er = entity.reindex(labelled["uid_r"].to_numpy()).to_numpy()
    same = pd.notna(el) & (el == er)
    actual = labelled["is_match"].to_numpy(dtype=bool)
    return Scores.from_counts(int((same & actual).sum()), int(same.sum()), int(actual.sum()))


def falsely_merged_records(truth: pd.DataFrame, predicted: pd.DataFrame) -> int:
    """Records whose predicted entity holds a record of another true entity.

    The count a false-merge control reports: with cluster truth such as the USCC of real
    firms, every record of a predicted entity that mixes true entities is merged with a
    record it should not be. Records on one side only are ignored.

    Args:
        truth: cluster truth (``source, record_id, entity_id``).
        predicted: memberships (``source, record_id, entity_id``).
    """
    if truth_form(truth) != "clusters":
        raise ValueError(
            "falsely_merged_records needs cluster truth (source, record_id, entity_id)"
        )
    true_entity = pd.Series(
        truth["entity_id"].astype(str).to_numpy(),
        index=_uids(truth["source"], truth["record_id"]).to_numpy(),
    )
    true_entity = true_entity[~true_entity.index.duplicated()]
    pred_entity = _entity_by_uid(predicted)
    both = pd.DataFrame({"pred": pred_entity, "true": true_entity.reindex(pred_entity.index)})
    both = both.dropna()
    mixed = both.groupby("pred")["true"].transform("nunique") > 1
    return int(mixed.sum())


def true_pairs(truth: pd.DataFrame) -> pd.DataFrame:
    """Every true pair of a truth table as ``uid_l, uid_r`` (``uid_l < uid_r``), enumerated.

    Cluster truth gives all pairs within each entity (size grows with the square of the
    largest entity: fine for benchmark truths, not for a million-record registry).
    """
    if truth_form(truth) == "pairs":
        pairs = _ordered_pairs(*_pair_uids(truth))
        return pairs.rename(columns={"a": "uid_l", "b": "uid_r"}).reset_index(drop=True)
    frame = pd.DataFrame({
        "uid": _uids(truth["source"], truth["record_id"]).to_numpy(),
        "entity": truth["entity_id"].astype(str).to_numpy(),
    }).drop_duplicates("uid").sort_values(["entity", "uid"], kind="stable")  # fmt: skip
    uid, entity = frame["uid"].to_numpy(), frame["entity"].to_numpy()
    starts = np.flatnonzero(np.r_[True, entity[1:] != entity[:-1]])
    sizes = np.diff(np.r_[starts, len(entity)])
    left, right = [], []
    for start, size in zip(starts[sizes > 1], sizes[sizes > 1], strict=True):
        i, j = np.triu_indices(int(size), k=1)
        left.append(uid[start + i])
        right.append(uid[start + j])
    if not left:
        return pd.DataFrame({"uid_l": pd.Series([], dtype=object),
                             "uid_r": pd.Series([], dtype=object)})  # fmt: skip
    return pd.DataFrame({"uid_l": np.concatenate(left), "uid_r": np.concatenate(right)})


def pairs_found(pairs: pd.DataFrame, predicted: pd.DataFrame) -> tuple[int, int]:
    """How many of the given pairs (``uid_l, uid_r``) the prediction puts in one entity.

    With a subset of the true pairs (say those joining a hanzi and a Latin-script record),
    ``found / total`` is the recall on that kind of pair.

    Returns:
        ``(found, total)``; a pair with a record missing from the prediction is not found.
    """
    el, er = _entities_of_pairs(pairs, predicted)
    return int((pd.notna(el) & (el == er)).sum()), len(pairs)


def pairs_apart(pairs: pd.DataFrame, predicted: pd.DataFrame) -> pd.DataFrame:
    """The given pairs (``uid_l, uid_r``) whose two records the prediction holds in two
    entities (a pair with a record missing from the prediction is left out)."""
    el, er = _entities_of_pairs(pairs, predicted)
    return pairs[pd.notna(el) & pd.notna(er) & (el != er)]


def _entities_of_pairs(
    pairs: pd.DataFrame, predicted: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """The predicted entity of each pair's two records (NaN where a record is missing)."""
    entity = _entity_by_uid(predicted)
    el = entity.reindex(pairs["uid_l"].to_numpy()).to_numpy()
    er = entity.reindex(pairs["uid_r"].to_numpy()).to_numpy()
    return el, er


def _entity_by_uid(predicted: pd.DataFrame) -> pd.Series:
    """Predicted entity per uid (first one kept when a uid repeats)."""
    entity = pd.Series(
        predicted["entity_id"].astype(str).to_numpy(),
        index=_uids(predicted["source"], predicted["record_id"]).to_numpy(),
    )
    return entity[~entity.index.duplicated()]
