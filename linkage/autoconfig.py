"""Automatic configuration: comparisons (and, through blocking, rules) from the fields present.

Every choice made here is written to the run manifest (``choices``) in the same form the
config accepts, so a user can copy it and pin it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from linkage.blocking import BlockingRule, choose_rules
from linkage.compare import (
    AddressComparison,
    CompanyNameComparison,
    Comparison,
    DateComparison,
    EmailComparison,
    ExactMatch,
    IdentifierComparison,
    JaroWinklerAtThresholds,
    LevenshteinAtThresholds,
    PhoneComparison,
    Prepared,
    comparison_from_dict,
)
from linkage.graph import component_labels
from linkage.scoring import FellegiSunter


def _present(features: pd.DataFrame, column: str) -> bool:
    """Does any record hold a non-blank value in ``column``? (stops at the first one)"""
    if column not in features:
        return False
    return any(str(value).strip() for value in features[column].dropna().to_numpy())


DESCRIPTIVE_TYPES = ("text", "number", "category")
"""Custom field types that describe a firm rather than identify it (their disagreement is weak
evidence: see ``default_m``)."""


def comparison_for_field(column: str, field_type: str) -> Comparison:
    """The default comparison of a custom field, by its declared type."""
    descriptive = field_type in DESCRIPTIVE_TYPES
    if field_type in ("person_name", "text", "company_name", "address"):
        return JaroWinklerAtThresholds(column, (0.92, 0.8), descriptive=descriptive)
    if field_type == "date":
        return DateComparison(column)
    if field_type in ("identifier", "postcode", "number"):
        thresholds = (1, 2) if field_type == "identifier" else (1,)
        return LevenshteinAtThresholds(column, thresholds, descriptive=descriptive)
    if field_type == "phone":
        return PhoneComparison(column, name=column)
    return ExactMatch(column, descriptive=descriptive)


def choose_comparisons(
    features: pd.DataFrame, custom_fields: Mapping[str, str] | None = None
) -> list[Comparison]:
    """Comparisons for the standardised and custom fields that hold any value."""
    out: list[Comparison] = []
    if _present(features, "name_norm"):
        # the trade name, or the town of a name without one: a rendering may read a town as
        # the trade name (Huqiu Town Motorbike Parts: 苏州市虎丘摩托车配件厂)
        core = "name_head" if "name_head" in features else "name_core"
        out.append(CompanyNameComparison(core=core))
    if _present(features, "id_keys") or any(
        c.endswith("_norm") and c.startswith("id_") and _present(features, c) for c in features
    ):
        out.append(IdentifierComparison())
    if _present(features, "address_norm"):
        postcode = "postcode_norm" if _present(features, "postcode_norm") else None
        # no TF on exact addresses: a site listed many times looks like a shared address
        out.append(AddressComparison(postcode=postcode, number_conflict=True, tf_adjust=False))
    elif _present(features, "postcode_norm"):
        out.append(LevenshteinAtThresholds("postcode_norm", (1,), name="postcode"))
    if _present(features, "phone_e164"):
        out.append(PhoneComparison(tf_adjust=True))
    if _present(features, "email_norm") or _present(features, "domain"):
        out.append(EmailComparison())
    for column, field_type in (("representative", "person_name"), ("city", "text")):
        if _present(features, column):
            out.append(comparison_for_field(column, field_type))
    for column in ("founded_date", "founded"):
        if _present(features, column):
            out.append(DateComparison(column, name="founded"))
            break
    for column, field_type in (custom_fields or {}).items():
        if _present(features, column):
            out.append(comparison_for_field(column, field_type))
    return out


def comparisons_from_config(items: list[Mapping[str, Any]]) -> list[Comparison]:
    """Comparisons pinned in the config (``[[comparisons]]`` tables of ``to_dict`` form)."""
    return [comparison_from_dict(item) for item in items]


def custom_field_types(config: Any) -> dict[str, str]:
    """Custom field name -> declared type, from a Config."""
    return {name: f.type for name, f in config.fields.items()}


def rules_for(config: Any, features: pd.DataFrame) -> list[BlockingRule]:
    """The pinned ``[blocking]`` rules of the config, else the automatic ones."""
    if config.blocking.rules is not None:
        return [
            BlockingRule(
                name=r.name,
                columns=tuple(r.columns),
                kind=r.kind,
                prefix=r.prefix,
                min_length=r.min_length,
                max_block_size=r.max_block_size,
                window=r.window,
                without=tuple(r.without),
            )
            for r in config.blocking.rules
        ]
    return choose_rules(
        features,
        max_block_size=config.matching.max_block_size,
        custom_fields=custom_field_types(config),
    )


def comparisons_for(config: Any, features: pd.DataFrame) -> list[Comparison]:
    """The pinned ``[[comparisons]]`` of the config, else the automatic ones."""
    if config.comparisons is not None:
        return comparisons_from_config(
            [c.model_dump(exclude_none=True) for c in config.comparisons]
        )
    return choose_comparisons(features, custom_field_types(config))


def fit_model(
    config: Any,
    features: pd.DataFrame,
    compared: pd.DataFrame,
    comparisons: list[Comparison],
    unique_sources: set[str],
    known_matches: np.ndarray | None = None,
    prepared: list[Prepared] | None = None,
) -> FellegiSunter:
    """A Fellegi–Sunter model with the config's settings, fitted on this run's data
    (``known_matches``: the compared pairs reviewers judged "same"; ``prepared``: the
    comparisons' prepared arrays, when the caller holds them)."""
    matching = config.matching
    model = FellegiSunter(
        comparisons,
        u_sample_size=matching.u_sample_size,
        tf_adjust=matching.tf_adjust,
        threshold=matching.threshold,
        random_state=matching.seed,
    )
    return model.fit(
        features,
        compared,
        unique_sources=unique_sources,
        known_matches=known_matches,
        prepared=prepared,
    )


def clustered_threshold(
    features: pd.DataFrame,
    scored: pd.DataFrame,
    merges: pd.DataFrame,
    threshold: float,
    *,
    max_candidates: int = 64,
) -> float:
    """The probability cut-off (at least ``threshold``) maximising the expected F1 of the
    *clusters*, not of the pair decisions; no labels needed.

    The pairwise expected F1 counts each pair once, but clustering closes matches
    transitively: a weak edge between two sites of one agency joins their whole clusters, and
    every cross pair is then predicted. Here the expected true pairs of a clustering are the
    summed match probabilities of the candidate pairs it puts together (pairs never compared
    count as non-matches) and the predicted pairs are all pairs inside clusters. Clustering
    processes edges strongest first and a union depends only on earlier ones, so the entities at
    a higher cut-off are the connected components of the accepted unions (``merges``) at or
    above it: one clustering run serves every candidate cut-off.
    """
    if len(scored) == 0 or len(merges) == 0 or "probability" not in scored:
        return threshold
    accepted = merges["accepted"].astype(bool).to_numpy()
    position = pd.Index(features["uid"].astype(str))
    a = position.get_indexer(merges["uid_l"][accepted].astype(str))
    b = position.get_indexer(merges["uid_r"][accepted].astype(str))
    del position
    modelled = (merges["kind"][accepted].astype(str) == "model").to_numpy()
    confidence = merges["confidence"].to_numpy(dtype=np.float64)[accepted]
    candidates = np.unique(confidence[modelled & (confidence >= threshold)])
    if len(candidates) <= 1:
        return threshold
    if len(candidates) > max_candidates:
        grid = np.linspace(0.0, 1.0, max_candidates)
        candidates = np.unique(np.quantile(candidates, grid, method="lower"))
    # clusters only split as the cut-off rises: pairs apart at the lowest one stay apart, and
    # records joined by no union stay alone (they add nothing to either count)
    joined = np.unique(np.concatenate([a, b]))
    m = len(joined)
    node = np.full(len(features), -1, dtype=np.int64)
    node[joined] = np.arange(m)
    a, b = node[a], node[b]
    keep = ~modelled | (confidence >= candidates[0])
    lowest = component_labels(a[keep], b[keep], m)
    actual, left, right, p_together = _pairs_together(scored, node, lowest)
    if actual <= 0:
        return threshold
    best_t, best_f1 = threshold, -1.0
    for t in candidates:
        keep = ~modelled | (confidence >= t)
        label = component_labels(a[keep], b[keep], m)
        sizes = np.bincount(label).astype(np.float64)
        predicted = float((sizes * (sizes - 1) / 2).sum())
        expected = float(p_together[label[left] == label[right]].sum())
        f1 = 2 * expected / (predicted + actual)
        if f1 > best_f1 + 1e-9:
            best_t, best_f1 = float(t), f1
    return max(best_t, threshold)


_CHUNK = 1 << 20  # pairs at a time: temporaries of a few MB, not of the millions of pairs


def _pairs_together(
    scored: pd.DataFrame, node: np.ndarray, label: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """The summed match probability of all scored pairs (1 when decided by an identifier,
    the verdict when by a judgement), and the nodes and probabilities of the pairs whose
    records are nodes (``node`` >= 0) with one ``label``, in pair order."""
    probability = scored["probability"].to_numpy(dtype=np.float64)
    is_match = scored["is_match"].to_numpy(dtype=bool)
    left = scored["idx_l"].to_numpy(dtype=np.int64)
    right = scored["idx_r"].to_numpy(dtype=np.int64)
    p = np.empty(len(scored))  # the whole array: its sum is the same float as before
    parts = []
    for start in range(0, len(scored), _CHUNK):
        rows = slice(start, start + _CHUNK)
        decided = scored["decided_by"].iloc[rows].astype(str).to_numpy()
        chunk = p[rows]
        chunk[:] = probability[rows]
        chunk[(decided == "identifier") | (decided == "agreement")] = 1.0
        judged = decided == "judgement"
        chunk[judged] = is_match[rows][judged]
        at_l, at_r = node[left[rows]], node[right[rows]]
        inside = np.flatnonzero((at_l >= 0) & (at_r >= 0))
        inside = inside[label[at_l[inside]] == label[at_r[inside]]]
        parts.append((at_l[inside], at_r[inside], chunk[inside]))
    together = [np.concatenate(column) for column in zip(*parts, strict=True)]
    return float(p.sum()), *together


def raise_threshold(scored: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Scored pairs with model-decided matches below ``threshold`` no longer matching."""
    is_match = scored["is_match"].to_numpy(dtype=bool)
    # only the matches below the cut-off: no temporaries over all pairs but the masks
    low = np.flatnonzero(is_match & (scored["probability"].to_numpy(dtype=np.float64) < threshold))
    decided = pd.Series(scored["decided_by"].array[low]).astype(str)
    weak = low[~decided.isin(["identifier", "agreement", "judgement"]).to_numpy()]
    is_match = is_match.copy()
    is_match[weak] = False
    # a new frame sharing every other column (no copy of the pairs)
    columns = {c: scored[c] for c in scored if c != "is_match"}
    out = pd.DataFrame(columns, index=scored.index, copy=False)
    out.insert(list(scored.columns).index("is_match"), "is_match", is_match)
    return out


def matching_choices(
    rules: list[BlockingRule], comparisons: list[Comparison], model: FellegiSunter
) -> dict[str, Any]:
    """Every automatic (or pinned) matching choice, in the form the config accepts."""
    return {
        "blocking_rules": [r.to_dict() for r in rules],
        "comparisons": [c.to_dict() for c in comparisons],
        "comparison_levels": {c.name: c.describe()["levels"] for c in comparisons},
        "threshold": model.threshold_,
        "threshold_source": (
            "config"
            if model.threshold is not None
            else getattr(model, "threshold_source_", "expected_f1")
        ),
        "model": model.to_dict().get("parameters", {}),
    }
