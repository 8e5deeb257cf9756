"""EM estimates that cannot be trusted are named and replaced; agreeing names with nothing
against are matches whatever the prior."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linkage import plausibility
from linkage.compare import (
    CompanyNameComparison,
    ExactMatch,
    IdentifierComparison,
    JaroWinklerAtThresholds,
)
from linkage.scoring import FellegiSunter, agreement, em_fit, score_pairs

NAME = CompanyNameComparison()
OTHERS = [JaroWinklerAtThresholds("representative", (0.9,)), ExactMatch("city")]


def simulate(n: int, lam: float, seed: int) -> np.ndarray:
    """Levels of (name, representative, city) for candidate pairs with a match share ``lam``:
    matches agree on names and mostly on the rest; non-matches have similar names only."""
    rng = np.random.default_rng(seed)
    match = rng.random(n) < lam
    name = np.where(match, rng.choice([9, 7, 4], n, p=[0.7, 0.2, 0.1]), rng.choice([3, 1], n))
    rep = np.where(match, rng.choice([2, 1, 0], n, p=[0.8, 0.1, 0.1]), rng.choice([0, 1], n))
    city = np.where(match, rng.choice([1, 0], n, p=[0.9, 0.1]), rng.choice([1, 0], n))
    return np.column_stack([name, rep, city]).astype(np.int8)


def test_em_on_rich_candidates_is_kept() -> None:
    levels = simulate(50_000, 0.1, seed=1)
    random_levels = simulate(50_000, 0.0, seed=2)
    model = FellegiSunter([NAME, *OTHERS]).fit_levels(
        levels, random_levels, n_possible_pairs=10**8, n_agreeing_pairs=10
    )
    assert model.estimation_ == "em" and model.problems_ == []
    assert abs(model.lambda_ - 0.1) < 0.02


def test_names_alone_cannot_identify_em_and_the_prior_comes_from_agreeing_names() -> None:
    levels = simulate(20_000, 0.5, seed=3)[:, :1]
    model = FellegiSunter([NAME]).fit_levels(
        levels, simulate(20_000, 0.0, seed=4)[:, :1], n_possible_pairs=10**6, n_agreeing_pairs=5500
    )
    assert model.estimation_ == "fallback"
    assert "only 1 comparison" in model.problems_[0]
    expected = 5500 / model.m_[0][9] / 10**6  # the m of the exact level, before any floor
    assert abs(model.prior_ - expected) / expected < 0.05
    assert model.to_dict()["parameters"]["estimation"] == "fallback"


def test_problems_name_an_estimate_whose_matches_disagree_on_most_fields() -> None:
    levels = simulate(10_000, 0.1, seed=5)
    comparisons = [NAME, *OTHERS]
    plausible_m = [np.asarray(c.default_m()) for c in comparisons]
    u = [np.full(c.n_levels, 1.0 / c.n_levels) for c in comparisons]
    assert plausibility.problems(comparisons, plausible_m, u, levels) == []
    disagreeing = [plausible_m[0], np.array([0.9, 0.05, 0.05]), np.array([0.8, 0.2])]
    found = plausibility.problems(comparisons, disagreeing, u, levels)
    assert len(found) >= 1 and "disagree on most" in found[-1]
    inverted = [plausible_m[0], plausible_m[1], np.array([0.9, 0.1])]
    found = plausibility.problems(comparisons, inverted, [u[0], u[1], np.array([0.1, 0.9])], levels)
    assert any("city" in p and "agree less often" in p for p in found)


def test_fallback_m_follows_the_pairs_that_share_an_identifier() -> None:
    comparisons = [NAME, IdentifierComparison(), *OTHERS]
    # on pairs sharing a valid identifier the representative agrees 3 times in 4; pairs with
    # equal names only are no anchor
    levels = np.array(
        [[9, 2, 2, 1]] * 300 + [[9, 2, 0, 1]] * 100 + [[9, -1, 0, 0]] * 500 + [[1, 0, 0, 0]] * 600,
        dtype=np.int8,
    )
    m = plausibility.fallback_m(comparisons, levels)
    assert abs(m[2][2] - (300 + 20 * OTHERS[0].default_m()[2]) / 420) < 1e-9
    assert abs(m[0][9] - (400 + 20 * NAME.default_m()[9]) / 420) < 1e-9
    assert np.allclose(m[1], comparisons[1].default_m())  # no anchor but itself: knowledge


def test_agreeing_pairs_counts_equal_names_outside_unique_sources() -> None:
    features = pd.DataFrame(
        {
            "source": ["a", "a", "b", "b", "b", "a"],
            "name_norm": ["acme", "acme", "acme", "beta", "beta", None],
        }
    )
    assert plausibility.agreeing_pairs(features, [NAME], set()) == 3 + 1
    assert plausibility.agreeing_pairs(features, [NAME], {"a", "b"}) == 2
    assert plausibility.agreeing_pairs(features, OTHERS, set()) is None


def test_agreement_needs_equal_names_and_nothing_against() -> None:
    scored = pd.DataFrame(
        {
            "name_level": [9, 8, 9, 6, -1],
            "name_weight": [2.0, 3.0, 2.0, 4.0, 0.0],
            "city_level": [1, -1, 0, 1, 1],
            "city_weight": [1.0, 0.0, -3.0, 1.0, 1.0],
        }
    )
    assert agreement(scored, [NAME, ExactMatch("city")]).tolist() == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert not agreement(scored, [ExactMatch("city")]).any()


def test_agreeing_names_match_whatever_the_prior() -> None:
    levels = simulate(2000, 0.5, seed=6)[:, :1]
    model = FellegiSunter([NAME]).fit_levels(
        levels, simulate(2000, 0.0, seed=7)[:, :1], n_possible_pairs=10**12, n_agreeing_pairs=1
    )
    compared = pd.DataFrame({"name_level": [9, 4], "name_tf": [np.nan, np.nan]})
    scored = score_pairs(compared, model)
    assert scored["probability"].iloc[0] < model.threshold_
    assert scored["is_match"].tolist() == [True, False]
    assert scored["decided_by"].tolist() == ["agreement", "model"]


def test_two_chinese_names_of_different_firms_are_strong_evidence_against() -> None:
    # names only: the knowledge-based m, under which another trade name costs some eight bits
    levels = simulate(5000, 0.3, seed=8)[:, :1]
    random_levels = np.random.default_rng(9).choice([0, 1], size=(20_000, 1)).astype(np.int8)
    model = FellegiSunter([NAME]).fit_levels(levels, random_levels, n_agreeing_pairs=100)
    assert model.estimation_ == "fallback"
    assert model.weights_[0][0] < -8 and model.weights_[0][0] < model.weights_[0][1] - 5


def test_judged_pairs_enter_em_with_their_class_known() -> None:
    levels = np.array([[9, 2, 1]] * 30 + [[4, 0, 0]] * 30 + [[1, 0, 0]] * 200, dtype=np.int8)
    labels = np.array([1] * 30 + [1] * 30 + [0] * 200, dtype=np.int8)  # every pair judged
    m, u, share, _, _ = em_fit(levels, [10, 3, 2], labels=labels)
    assert share == pytest.approx(60 / 260, abs=1e-6)
    # with every class known, m and u are the level shares of each class (and EM's tiny
    # pseudo-count)
    assert m[0][9] == pytest.approx(0.5, abs=1e-3) and m[0][4] == pytest.approx(0.5, abs=1e-3)
    assert u[0][1] == pytest.approx(1.0, abs=1e-3)
    unlabelled = em_fit(levels, [10, 3, 2])
    assert not np.allclose(unlabelled.m[0], m[0], atol=1e-2)  # the labels changed the fit


def test_a_descriptive_field_weighs_what_candidate_pairs_show() -> None:
    # names only, plus a sector that firms with like names share far more often than random
    # pairs do: in the fallback its agreement must not weigh as if random pairs were the base
    rng = np.random.default_rng(10)
    names = simulate(5000, 0.3, seed=11)[:, :1]
    sector = np.where(names[:, 0] >= 7, 1, rng.choice([0, 1], len(names), p=[0.6, 0.4]))
    levels = np.column_stack([names[:, 0], sector]).astype(np.int8)
    random_levels = np.column_stack(
        [rng.choice([0, 1], 20_000), rng.choice([0, 1], 20_000, p=[0.99, 0.01])]
    ).astype(np.int8)
    sector_field = ExactMatch("sector", descriptive=True)
    model = FellegiSunter([NAME, sector_field]).fit_levels(
        levels, random_levels, n_agreeing_pairs=100
    )
    assert model.estimation_ == "fallback"
    random_share = (random_levels[:, 1] == 1).mean()
    assert model.u_[1][1] > 10 * random_share  # the candidates' share, not the random one
    assert model.weights_[1][1] < 1
