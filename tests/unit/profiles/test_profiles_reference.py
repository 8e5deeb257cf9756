"""build_profiles against the plain pandas version it replaced (a per-entity join of Python
strings, sorts of the object columns), on random small inputs: equal frames, value types and
CSV text, for every rule, blank and mixed-type values, non-object columns, unsorted and
duplicated uids, memberships in another order, uids JSON must escape and lone surrogates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reference import SOURCES, assert_same, random_case, reference_build_profiles

from linkage.profiles import build_profiles


@pytest.mark.parametrize("block", range(10))
def test_equal_to_reference_on_random_inputs(block: int) -> None:
    for seed in range(block * 40, block * 40 + 40):
        args, kwargs = random_case(seed)
        try:
            want = reference_build_profiles(*args, **kwargs)
        except Exception as error:  # then the new one fails alike
            with pytest.raises(type(error)):
                build_profiles(*args, **kwargs)
            continue
        assert_same(build_profiles(*args, **kwargs), want)


def test_empty_features() -> None:
    args, _ = random_case(1)
    frame, memberships, *rest = args
    empty = frame.iloc[:0]
    assert_same(
        build_profiles(empty, memberships, *rest),
        reference_build_profiles(empty, memberships, *rest),
    )


def test_default_rules_on_a_pipeline_like_table() -> None:
    """Sorted unique uids, memberships in the same order (the lookup-free path), str values."""
    rng = np.random.default_rng(0)
    size = 2000
    uids = sorted(f"{SOURCES[i % 3]}:{i:05d}" for i in range(size))
    frame = pd.DataFrame(
        {
            "uid": uids,
            "source": [u.split(":")[0] for u in uids],
            "name": [f"N{i}" for i in rng.integers(0, 300, size)],
            "address": [[None, "", "A", "B", "C"][i] for i in rng.integers(0, 5, size)],
            "id_x_norm": [[None, "I1", "I2", "I3"][i] for i in rng.integers(0, 4, size)],
            "id_x_valid": rng.random(size) < 0.5,
        }
    )
    memberships = pd.DataFrame(
        {
            "uid": uids,
            "entity_id": [f"E{i:04d}" for i in rng.integers(0, 700, size)],
            "confidence": rng.random(size),
        }
    )
    args = (frame, memberships, {"reg": 1, "dir": 2, "web": 3})
    assert_same(build_profiles(*args), reference_build_profiles(*args))
